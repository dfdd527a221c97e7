import { BenchConfig } from './config.ts';
import { renderReason, type CodedReason } from '../reason-codes.ts';
import type { CacheView, Decision, StationDisplay } from './types.ts';

/**
 * The officer's manual inspection bench: scan the parcel taken off the inspection lane, see what the hub and the line
 * said about it, choose pass / seize / return (a reason is required for seize and return) — recorded as
 * `officer.action`, a finding: with the console operator who pressed the button and, when a customs officer has
 * signed in at the bench, that officer's bench token (verified by the console shell before it reaches here, and again
 * by the hub). Pure, like every station.
 */
// The schema is in config.ts (zod only): an edge configuration parses without loading this core.
export { BenchConfig };

export type BenchAction = 'pass' | 'seize' | 'return';
export type BenchInput =
  | { kind: 'scan'; code: string }
  | { kind: 'action'; action: BenchAction; officerId: string; reason?: string; officerToken?: string }
  /** Put the open parcel back without a finding (it stays in the hub's queue): the only way to leave it unfinished. */
  | { kind: 'set-aside'; officerId: string }
  | { kind: 'timer'; id: string };

export interface BenchState {
  phase: 'idle' | 'parcel';
  /** `reason`: the hub's English sentence; `reasons`: the same as codes (absent in a state saved before them, or from an older hub). */
  current: { code: string; hubDecision: string; reason?: string; reasons?: CodedReason[]; scannedAtMs: number } | null;
  recent: StationDisplay['recent'];
  error: { zh: string; en: string } | null;
}

export const initialBenchState = (): BenchState => ({ phase: 'idle', current: null, recent: [], error: null });

const LABEL: Record<BenchAction, { zh: string; en: string; tone: 'go' | 'stop' | 'wait' }> = {
  pass: { zh: '查验通过', en: 'Passed', tone: 'go' },
  seize: { zh: '查扣', en: 'Seized', tone: 'stop' },
  return: { zh: '退运', en: 'Returned', tone: 'wait' },
};

export function decideBench(state: BenchState, input: BenchInput, nowMs: number, cache: CacheView): Decision<BenchState> {
  if (input.kind === 'timer') return { state, commands: [], events: [] };
  if (input.kind === 'scan') {
    // A second parcel scanned while one is open must not drop the open inspection without a word (issue 17 item 10):
    // the officer finishes it or sets it aside first. The same label scanned again just refreshes what the hub says.
    if (state.current && state.current.code !== input.code) {
      const open = state.current.code;
      return { state: { ...state, error: { zh: `包裹 ${open} 尚未出查验结果：请先处理，或按“放回待查”`, en: `Parcel ${open} has no finding yet: record one, or set it aside first` } }, commands: [], events: [] };
    }
    const d = cache.decision(input.code);
    return { state: { ...state, phase: 'parcel', error: null, current: { code: input.code, hubDecision: d?.decision ?? 'unknown', ...(d?.reason ? { reason: d.reason } : {}), ...(d?.reasons?.length ? { reasons: d.reasons } : {}), scannedAtMs: nowMs } }, commands: [], events: [] };
  }
  if (!state.current) return { state: { ...state, error: { zh: '请先扫描包裹', en: 'Scan the parcel first' } }, commands: [], events: [] };
  if (input.kind === 'set-aside') {
    const code = state.current.code;
    return { state: { phase: 'idle', current: null, error: null, recent: [{ atMs: nowMs, zh: `${code} 未出结果，放回待查`, en: `${code} set aside without a finding`, tone: 'idle' as const }, ...state.recent].slice(0, 20) }, commands: [], events: [] };
  }
  // A pass without words is recorded as a code (shared/reason-codes.ts), never as an English sentence: every screen
  // reading the audit chain says it in its reader's language.
  const reason = input.reason?.trim() || (input.action === 'pass' ? 'bench.pass.no-findings' : '');
  if (!reason) return { state: { ...state, error: { zh: '查扣或退运须填写原因', en: 'Seize and return need a reason' } }, commands: [], events: [] };
  const l = LABEL[input.action];
  return {
    state: { phase: 'idle', current: null, error: null, recent: [{ atMs: nowMs, zh: `${state.current.code} ${l.zh}`, en: `${state.current.code} ${l.en}: ${renderReason('en', { code: reason }) ?? reason}`, tone: l.tone }, ...state.recent].slice(0, 20) },
    commands: [],
    events: [{ type: 'officer.action', parcelKey: state.current.code, payload: { officerId: input.officerId, action: input.action, reason: reason.slice(0, 500), ...(input.officerToken ? { officerToken: input.officerToken } : {}) } }],
  };
}

const HUB_DECISION: Record<string, { zh: string; en: string }> = {
  released: { zh: '已放行', en: 'released' },
  hold: { zh: '暂停放行', en: 'held' },
  inspect: { zh: '查验', en: 'inspection ordered' },
  unknown: { zh: '中心无此包裹的判定', en: 'no decision for this parcel' },
};

/** What the hub says about the open parcel, in each language: its decision, then its reasons said from their codes. */
function hubSays(c: NonNullable<BenchState['current']>): { zh: string; en: string } {
  const d = HUB_DECISION[c.hubDecision] ?? HUB_DECISION.unknown!;
  const said = (lang: 'zh-CN' | 'en') => (c.reasons ?? []).map((r) => renderReason(lang, r)).filter((x): x is string => !!x);
  const zh = said('zh-CN');
  // An older hub sent only its English sentence: an English reader gets it, a Chinese one the decision alone.
  const en = said('en').length > 0 ? said('en') : c.reason ? [c.reason] : [];
  return { zh: `中心判定：${d.zh}${zh.length ? `（${zh.join('；')}）` : ''}`, en: `hub: ${d.en}${en.length ? ` (${en.join('; ')})` : ''}` };
}

export function benchDisplay(state: BenchState): StationDisplay {
  const c = state.current;
  const verdict: StationDisplay['verdict'] = state.error
    ? { tone: 'stop', zh: state.error.zh, en: state.error.en }
    : c
      ? { tone: 'wait', zh: `查验中: ${c.code}`, en: `Inspecting ${c.code}`, detail: hubSays(c).en, details: hubSays(c) }
      : { tone: 'idle', zh: '请扫描待查包裹', en: 'Scan a parcel to inspect' };
  return { verdict, lastCodes: c ? [c.code] : [], weightKg: null, recent: state.recent };
}
