import { useEffect, useState } from 'preact/hooks';
import { admin } from './admin.ts';
import { bench } from './bench.ts';
import { bonded } from './bonded.ts';
import { common } from './common.ts';
import { eport } from './eport.ts';
import { gateways } from './gateways.ts';
import { overview } from './overview.ts';
import { parcels } from './parcels.ts';
import { queue } from './queue.ts';
import { slips } from './slips.ts';
import { stats } from './stats.ts';
import { stock } from './stock.ts';

/**
 * Two languages, zh-CN by default (most users read Chinese), English on a switch that is remembered per browser.
 * Each page keeps its words in its own file; a test checks that both languages have the same keys.
 */
export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export const DICTIONARIES = { common, overview, parcels, queue, slips, bench, stock, gateways, stats, admin, eport, bonded };
const merged: Record<Lang, Record<string, string>> = { 'zh-CN': {}, en: {} };
for (const d of Object.values(DICTIONARIES)) {
  Object.assign(merged['zh-CN'], d.zh);
  Object.assign(merged.en, d.en);
}

const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('bg.lang') : null;
let current: Lang = stored === 'en' ? 'en' : 'zh-CN';
const listeners = new Set<(l: Lang) => void>();

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem('bg.lang', l);
  document.documentElement.lang = l;
  for (const fn of listeners) fn(l);
}

/** Re-render on a language switch. */
export function useLang(): Lang {
  const [l, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return l;
}

/** The text for a key in the current language, `{name}` placeholders filled; an unknown key shows as itself. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const text = merged[current][key] ?? merged['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** Times are shown in China time whatever the browser's zone: the zone's day is the unit of every report. */
export const ZONE = 'Asia/Shanghai';

export function fmtTime(ms: number | null | undefined, withDate = true): string {
  if (ms === null || ms === undefined) return '—';
  return new Intl.DateTimeFormat(current, { timeZone: ZONE, hour12: false, ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}), hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ms);
}

export function fmtNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}

/**
 * An exact decimal from the API (money and quantities come as strings, shared/decimal.ts): Intl formats the string
 * itself, digit for digit, where a Number would round `12345678912345.12345` to 16 digits.
 */
export function fmtDecimal(d: string | null | undefined, digits = 2): string {
  if (d === null || d === undefined || d === '') return '—';
  const format = new Intl.NumberFormat(current, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format as (v: number | bigint | string) => string;
  return format(d);
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const m = Math.round(ms / 60_000);
  if (m < 60) return current === 'en' ? `${m} min` : `${m} 分钟`;
  const h = Math.floor(m / 60);
  return current === 'en' ? `${h} h ${m % 60} min` : `${h} 小时 ${m % 60} 分`;
}
