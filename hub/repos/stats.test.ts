import { describe, expect, it } from 'vitest';
import { eachStore } from '../../test/helpers/stores.ts';
import { csvCell, StatsParams, statsCsv, statsQuery, totalOf } from '../services/stats.ts';
import { openCaseRepo, type CaseRecord, type CaseStatus } from './cases.ts';
import { chinaDay, chinaDayStartMs, openStatsRepo, trackCaseStats, type StatsRow } from './stats.ts';

/** A case as the engine or an officer would have written it. */
const kase = (parcelKey: string, over: Partial<CaseRecord> = {}): CaseRecord => ({
  parcelKey,
  orderNo: `O-${parcelKey}`,
  direction: 'import',
  tradeMode: '1210',
  status: 'pending',
  decidedBy: 'auto',
  engineDecision: 'pending',
  riskLevel: 'low',
  rulesVersion: 'r1',
  reasons: [],
  matchComplete: true,
  matchConsistent: true,
  customsStatus: null,
  officerHold: false,
  inspectionResult: null,
  buyerKey: null,
  buyerIdMasked: null,
  valueCny: '100.1',
  year: 2026,
  ebcCode: 'EBC-A',
  declaredWeightKg: 1,
  createdMs: 0,
  updatedMs: 0,
  version: 1,
  ...over,
});

// 2026-03-01 00:30 in Beijing is still 2026-02-28 in UTC: the rollup's day must be the China one.
const MAR1 = chinaDayStartMs('2026-03-01');

describe('China days', () => {
  it.each([
    [Date.UTC(2026, 1, 28, 16, 30), '2026-03-01'],
    [Date.UTC(2026, 1, 28, 15, 59, 59, 999), '2026-02-28'],
    [Date.UTC(2025, 11, 31, 16, 0), '2026-01-01'],
  ])('%i is %s in China', (ms, day) => {
    expect(chinaDay(ms)).toBe(day);
    expect(chinaDayStartMs(day)).toBeLessThanOrEqual(ms);
  });
});

describe('stats query and CSV (pure)', () => {
  const now = Date.UTC(2026, 2, 10, 20, 0); // 2026-03-11 04:00 in Beijing
  it('defaults to the last 30 China days up to today', () => {
    expect(statsQuery(StatsParams.parse({}), now)).toMatchObject({ from: '2026-02-10', to: '2026-03-11', groupBy: 'mode' });
  });
  it.each([
    [{ from: '2026-03-02', to: '2026-03-01' }, 'from'],
    [{ from: '2024-01-01', to: '2026-01-01' }, 'from'],
  ])('refuses %j', (p, field) => {
    expect(() => statsQuery(StatsParams.parse(p), now)).toThrowError(expect.objectContaining({ code: 'VALIDATION_FAILED', fields: [expect.objectContaining({ field })] }));
  });
  it('refuses malformed parameters', () => {
    expect(StatsParams.safeParse({ from: '2026-02-30x' }).success).toBe(false);
    expect(StatsParams.safeParse({ mode: '9610;DROP' }).success).toBe(false);
    expect(StatsParams.safeParse({ groupBy: 'buyer' }).success).toBe(false);
  });
  it('writes CSV with a BOM, localised headers and statuses, quoted and formula-safe cells', () => {
    const rows: StatsRow[] = [
      { key: 'released', cases: 2, valueCny: '10.1', unvalued: 0, byStatus: { released: 2 } },
      { key: 'held', cases: 1, valueCny: '0.2', unvalued: 0, byStatus: { held: 1 } },
    ];
    const zh = statsCsv({ from: 'a', to: 'b', groupBy: 'status', rows, total: totalOf(rows) }, 'zh-CN');
    expect(zh.split('\r\n')[0]).toBe('\uFEFF状态,单量,申报货值（元）,待处理,已审结待放行,已放行,暂停放行,查验中,已查扣,已退运,已销毁,已撤销,无汇率单量');
    expect(zh.split('\r\n').slice(1, 4)).toEqual(['已放行,2,10.10,0,0,2,0,0,0,0,0,0,0', '暂停放行,1,0.20,0,0,0,1,0,0,0,0,0,0', '合计,3,10.30,0,0,2,1,0,0,0,0,0,0']);
    const en = statsCsv({ from: 'a', to: 'b', groupBy: 'enterprise', rows: [{ key: '=HYPERLINK("x")', cases: 1, valueCny: '1', unvalued: 0, byStatus: {} }, { key: null, cases: 1, valueCny: '0', unvalued: 0, byStatus: {} }], total: totalOf([]) }, 'en');
    expect(en.split('\r\n')[0]).toBe('\uFEFFE-commerce enterprise code,Cases,Declared value (CNY),Pending,Awaiting release,Released,Held,Inspection,Seized,Returned,Destroyed,Cancelled,Cases with no rate');
    expect(en.split('\r\n')[1]).toBe(`"'=HYPERLINK(""x"")",1,1.00,0,0,0,0,0,0,0,0,0,0`);
    expect(en.split('\r\n')[2]).toMatch(/^\(none\),1,0\.00,/);
  });
  it('keeps every formula start a spreadsheet accepts as text: after spaces, full-width, DDE pipe, tab and CR (issue 13)', () => {
    const asText: [string, string][] = [
      [' =1+1', "' =1+1"],
      ['\t =cmd', "'\t =cmd"],
      ['\u3000=1', "'\u3000=1"], // ideographic space
      ['\u00A0@SUM(A1)', "'\u00A0@SUM(A1)"],
      ['＝1+1', "'＝1+1"],
      ['＋1', "'＋1"],
      ['－1', "'－1"],
      ['＠SUM(A1)', "'＠SUM(A1)"],
      ["|' /C calc'!A0", "'|' /C calc'!A0"],
      ["cmd|' /C calc'!A0", "cmd|' /C calc'!A0"], // a pipe inside is harmless: Excel reads DDE only at the start
      ['\tx', "'\tx"],
      ['\rx', `"'\rx"`],
      ['-5', "'-5"],
      ['1-2', '1-2'],
      ['3100000000', '3100000000'],
      ['  plain', '  plain'],
      ['上海 =', '上海 ='],
    ];
    for (const [v, out] of asText) expect([v, csvCell(v)]).toEqual([v, out]);
    expect(csvCell(-5)).toBe('-5'); // numbers are written by us, never text
  });
});

eachStore('stats rollup', (store) => {
  it('moves a case between buckets as its status changes, ignoring replays and older versions', async () => {
    const stats = openStatsRepo(store().sql);
    await stats.migrate();
    await stats.migrate();
    const q = { from: '2026-03-01', to: '2026-03-01', groupBy: 'status' as const };
    await stats.record(kase('P1', { createdMs: MAR1 + 1800_000, valueCny: '0.1' }));
    await stats.record(kase('P2', { createdMs: MAR1, valueCny: '0.2', status: 'held' }));
    expect(await stats.query(q)).toEqual([
      { key: 'held', cases: 1, valueCny: '0.2', unvalued: 0, byStatus: { held: 1 } },
      { key: 'pending', cases: 1, valueCny: '0.1', unvalued: 0, byStatus: { pending: 1 } },
    ]);
    await stats.record(kase('P1', { createdMs: MAR1 + 1800_000, valueCny: '0.1', status: 'released', version: 3 }));
    await stats.record(kase('P1', { createdMs: MAR1 + 1800_000, valueCny: '0.1', status: 'released', version: 3 })); // replay
    await stats.record(kase('P1', { createdMs: MAR1 + 1800_000, valueCny: '0.1', status: 'held', version: 2 })); // late, older
    expect(await stats.query(q)).toEqual([
      { key: 'held', cases: 1, valueCny: '0.2', unvalued: 0, byStatus: { held: 1 } },
      { key: 'released', cases: 1, valueCny: '0.1', unvalued: 0, byStatus: { released: 1 } },
    ]);
    // Value changes move with the case, in whole fen (0.1 + 0.2 is exactly 0.3 here).
    expect(await stats.query({ ...q, groupBy: 'mode' })).toEqual([{ key: '1210', cases: 2, valueCny: '0.3', unvalued: 0, byStatus: { held: 1, released: 1 } }]);
    // The day before (China time) has nothing.
    expect(await stats.query({ ...q, from: '2026-02-28', to: '2026-02-28' })).toEqual([]);
  });

  it('groups by mode, day and enterprise with filters, through the case repository wrapper', async () => {
    const sql = store().sql;
    const stats = openStatsRepo(sql);
    await stats.migrate();
    const base = openCaseRepo(sql);
    await base.migrate();
    const cases = trackCaseStats(base, stats);
    const put = (key: string, over: Partial<CaseRecord>, at: number) => cases.update(key, (c) => ({ ...kase(key), ...c, ...over }), at);
    const D = chinaDayStartMs('2026-04-01');
    await put('G1', { tradeMode: '9610', ebcCode: 'E1', valueCny: '10' }, D + 1000);
    await put('G2', { tradeMode: '9610', ebcCode: 'E2', valueCny: '20' }, D + 2000);
    await put('G3', { tradeMode: '1210', ebcCode: 'E1', valueCny: '30' }, D + 86_400_000 + 1);
    await put('G4', { tradeMode: '9810', direction: 'export', ebcCode: null, valueCny: null }, D + 2 * 86_400_000);
    await put('G1', { status: 'released' as CaseStatus }, D + 3 * 86_400_000); // still counted on its creation day
    const q = { from: '2026-04-01', to: '2026-04-03' };
    expect(await stats.query({ ...q, groupBy: 'mode' })).toEqual([
      { key: '9610', cases: 2, valueCny: '30', unvalued: 0, byStatus: { pending: 1, released: 1 } },
      { key: '1210', cases: 1, valueCny: '30', unvalued: 0, byStatus: { pending: 1 } },
      // An export with no value (no rate for its currency and month) is counted apart, not as ¥0 (issue 16 item 9).
      { key: '9810', cases: 1, valueCny: '0', unvalued: 1, byStatus: { pending: 1 } },
    ]);
    expect((await stats.query({ ...q, groupBy: 'day' })).map((r) => [r.key, r.cases])).toEqual([['2026-04-01', 2], ['2026-04-02', 1], ['2026-04-03', 1]]);
    expect((await stats.query({ ...q, groupBy: 'enterprise', direction: 'import' })).map((r) => [r.key, r.cases, r.valueCny])).toEqual([['E1', 2, '40'], ['E2', 1, '20']]);
    expect((await stats.query({ ...q, groupBy: 'enterprise', direction: 'export' })).map((r) => r.key)).toEqual([null]);
    expect((await stats.query({ ...q, groupBy: 'day', tradeModes: ['1210', '9810'] })).map((r) => r.key)).toEqual(['2026-04-02', '2026-04-03']);
    expect(await stats.query({ ...q, groupBy: 'mode', ebcCode: 'E2' })).toEqual([{ key: '9610', cases: 1, valueCny: '20', unvalued: 0, byStatus: { pending: 1 } }]);
    // Once valued (a rate configured, the case decided again), it leaves the unvalued count and adds its value.
    await put('G4', { tradeMode: '9810', direction: 'export', ebcCode: null, valueCny: '71' }, D + 2 * 86_400_000);
    expect((await stats.query({ ...q, groupBy: 'mode', tradeModes: ['9810'] }))[0]).toMatchObject({ valueCny: '71', unvalued: 0 });
  });

  it('catches up cases written without it, and concurrent writes of many cases sum exactly', async () => {
    const sql = store().sql;
    const stats = openStatsRepo(sql);
    await stats.migrate();
    const base = openCaseRepo(sql);
    await base.migrate();
    const D = chinaDayStartMs('2026-05-01');
    // Written straight to the case table (as before this module existed, or lost in a crash).
    for (let i = 0; i < 7; i++) await base.update(`C${i}`, () => kase(`C${i}`, { tradeMode: '9710', valueCny: '1.11' }), D + i);
    expect(await stats.catchUp(base, { pageSize: 3 })).toBeGreaterThanOrEqual(7);
    const q = { from: '2026-05-01', to: '2026-05-01', groupBy: 'mode' as const, tradeModes: ['9710'] };
    expect(await stats.query(q)).toEqual([{ key: '9710', cases: 7, valueCny: '7.77', unvalued: 0, byStatus: { pending: 7 } }]);
    const errors: unknown[] = [];
    const tracked = trackCaseStats(base, stats, (e) => errors.push(e));
    await Promise.all(Array.from({ length: 20 }, (_, i) => tracked.update(`C${i % 7}`, (c) => ({ ...c!, status: i % 2 ? 'released' : 'held' }), D + 100 + i)));
    expect(errors).toEqual([]);
    const after = await stats.query(q);
    expect(after[0]!.cases).toBe(7);
    const truth = await base.getMany(Array.from({ length: 7 }, (_, i) => `C${i}`));
    const want: Record<string, number> = {};
    for (const c of truth) want[c.status] = (want[c.status] ?? 0) + 1;
    expect(after[0]!.byStatus).toEqual(want);
    // A second catch-up changes nothing.
    await stats.catchUp(base);
    expect(await stats.query(q)).toEqual(after);
  });
});
