import { fromUnits, toFixed, unitsAt } from '../../shared/decimal.ts';
import { z } from 'zod';
import { BondgateError } from '../../shared/errors.ts';
import { CaseStatus } from '../repos/cases.ts';
import { chinaDay, STATS_GROUPS, type StatsQuery, type StatsRepo, type StatsRow } from '../repos/stats.ts';

/**
 * Statistics (统计监测): counts and declared values of customs cases by supervision mode, day, enterprise, status or
 * direction over a range of China-time days, from the daily rollup (hub/repos/stats.ts). CSV for Excel: UTF-8 with a
 * byte-order mark (Excel reads BOM-less CSV as the system code page and garbles Chinese), header in the user's language.
 */

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'not a calendar day');
/** A year and a day: a wider report is a different question (and would read a lot of rollup rows). */
export const MAX_RANGE_DAYS = 366;
const DEFAULT_RANGE_DAYS = 30;

export const StatsParams = z
  .object({
    from: Day.optional(),
    to: Day.optional(),
    groupBy: z.enum(STATS_GROUPS).default('mode'),
    /** Comma list of supervision modes, e.g. `9610,1210`. */
    mode: z
      .string()
      .regex(/^\d{4}(,\d{4})*$/, 'four-digit supervision modes, comma separated')
      .optional(),
    direction: z.enum(['import', 'export']).optional(),
    ebcCode: z.string().min(1).max(64).optional(),
    lang: z.enum(['zh-CN', 'en']).default('zh-CN'),
  })
  .strict();
export type StatsParams = z.output<typeof StatsParams>;

export interface StatsReport {
  from: string;
  to: string;
  groupBy: StatsQuery['groupBy'];
  rows: StatsRow[];
  total: { cases: number; valueCny: string; unvalued: number; byStatus: Record<string, number> };
}

const DAY_MS = 86_400_000;
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** Pure: the query a request asks for, with defaults (the last 30 China-time days up to today) and the range checked. */
export function statsQuery(p: StatsParams, nowMs: number): StatsQuery {
  const to = p.to ?? chinaDay(nowMs);
  const from = p.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) throw new BondgateError('VALIDATION_FAILED', 'from is after to', [{ field: 'from', message: 'must not be after to' }]);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days > MAX_RANGE_DAYS) throw new BondgateError('VALIDATION_FAILED', `at most ${MAX_RANGE_DAYS} days`, [{ field: 'from', message: `the range is ${days} days; at most ${MAX_RANGE_DAYS}` }]);
  return {
    from,
    to,
    groupBy: p.groupBy,
    ...(p.mode ? { tradeModes: [...new Set(p.mode.split(','))] } : {}),
    ...(p.direction ? { direction: p.direction } : {}),
    ...(p.ebcCode ? { ebcCode: p.ebcCode } : {}),
  };
}

export function totalOf(rows: readonly StatsRow[]): StatsReport['total'] {
  const byStatus: Record<string, number> = {};
  let cases = 0;
  let fen = 0n;
  let unvalued = 0;
  for (const r of rows) {
    cases += r.cases;
    unvalued += r.unvalued;
    fen += unitsAt(r.valueCny, 2);
    for (const [s, n] of Object.entries(r.byStatus)) byStatus[s] = (byStatus[s] ?? 0) + n;
  }
  return { cases, valueCny: fromUnits(fen, 2), unvalued, byStatus };
}

const HEADERS = {
  'zh-CN': {
    group: { mode: '监管方式', day: '日期', enterprise: '电商企业代码', status: '状态', direction: '进出口' },
    cases: '单量',
    value: '申报货值（元）',
    unvalued: '无汇率单量',
    none: '（无）',
    total: '合计',
    status: { pending: '待处理', released: '已放行', held: '暂停放行', inspection: '查验中', seized: '已查扣', returned: '已退运', destroyed: '已销毁', awaiting_release: '已审结待放行', cancelled: '已撤销' },
    direction: { import: '进口', export: '出口' },
  },
  en: {
    group: { mode: 'Supervision mode', day: 'Day', enterprise: 'E-commerce enterprise code', status: 'Status', direction: 'Direction' },
    cases: 'Cases',
    value: 'Declared value (CNY)',
    unvalued: 'Cases with no rate',
    none: '(none)',
    total: 'Total',
    status: { pending: 'Pending', released: 'Released', held: 'Held', inspection: 'Inspection', seized: 'Seized', returned: 'Returned', destroyed: 'Destroyed', awaiting_release: 'Awaiting release', cancelled: 'Cancelled' },
    direction: { import: 'Import', export: 'Export' },
  },
} as const;

/**
 * Text a spreadsheet may run as a formula (CSV injection, OWASP): = + - @ first, also after leading whitespace
 * (spreadsheets trim it, and \s takes the ideographic space U+3000 too), their full-width forms ＝＋－＠ (WPS and
 * Excel read them as formulas when typed with a CJK input method), | (a DDE call in Excel), or a tab or CR first.
 */
const FORMULA_START = /^\s*[=+\-@|\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r]/;

/** A CSV cell; text a spreadsheet would run as a formula is prefixed with ' so it stays text. */
export function csvCell(v: string | number): string {
  if (typeof v === 'number') return String(v);
  const safe = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Pure: the report as CSV text (BOM first, CRLF lines as RFC 4180 says), one column per case status. */
export function statsCsv(report: StatsReport, lang: StatsParams['lang']): string {
  const h = HEADERS[lang];
  const statuses = CaseStatus.options;
  const label = (key: string | null) => {
    if (key === null) return h.none;
    if (report.groupBy === 'status') return h.status[key as CaseStatus] ?? key;
    if (report.groupBy === 'direction') return h.direction[key as 'import' | 'export'] ?? key;
    return key;
  };
  const line = (cells: (string | number)[]) => cells.map(csvCell).join(',');
  // A value column never says 0 for cases it could not value: their count is its own column (issue 16 item 9).
  const lines = [line([h.group[report.groupBy], h.cases, h.value, ...statuses.map((s) => h.status[s]), h.unvalued])];
  for (const r of report.rows) lines.push(line([label(r.key), r.cases, toFixed(r.valueCny, 2), ...statuses.map((s) => r.byStatus[s] ?? 0), r.unvalued]));
  lines.push(line([h.total, report.total.cases, toFixed(report.total.valueCny, 2), ...statuses.map((s) => report.total.byStatus[s] ?? 0), report.total.unvalued]));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export class StatsService {
  private readonly now: () => number;
  constructor(private readonly d: { stats: StatsRepo; now?: () => number }) {
    this.now = d.now ?? Date.now;
  }

  async report(p: StatsParams): Promise<StatsReport> {
    const q = statsQuery(p, this.now());
    const rows = await this.d.stats.query(q);
    return { from: q.from, to: q.to, groupBy: q.groupBy, rows, total: totalOf(rows) };
  }
}
