import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import type { EdgeEvent, NewEvent } from '../../shared/schemas/events.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import { openCaseRepo } from '../repos/cases.ts';
import { openZoneStatsRepo, type ZoneParcel } from '../repos/zone-stats.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import { classify, dwellBucket, dwellBucketRange, dwellQuantile, foldStamps, HOUR_MS, ZoneStatsService, type Overview, type Stamp } from './zone-stats.ts';

const log = createLogger('test', 'silent');
const MIN = 60_000;
/** 2026-03-02 08:00 Asia/Shanghai, on an hour boundary (China has no DST: zone hours are UTC hours). */
const H0 = Date.UTC(2026, 2, 2, 0);

describe('dwell buckets', () => {
  it.each([
    [0, 0],
    [59_999, 0],
    [MIN, 1],
    [Math.ceil(MIN * Math.SQRT2), 2],
    [2 * MIN, 3],
    [60 * MIN, 12],
    [24 * HOUR_MS, 21],
    [10 * 365 * 24 * HOUR_MS, 40],
  ])('%d ms falls in bucket %d, inside its range', (ms, bucket) => {
    expect(dwellBucket(ms)).toBe(bucket);
    const r = dwellBucketRange(bucket);
    expect(ms).toBeGreaterThanOrEqual(r.fromMs);
    if (bucket < 40) expect(ms).toBeLessThan(r.toMs);
  });

  it('median and p90 from buckets stay within a bucket width of the true values', () => {
    // 100 parcels with dwells 1 h … 100 h: true median 50.5 h, true p90 90 h.
    const hist = new Map<number, number>();
    for (let h = 1; h <= 100; h++) hist.set(dwellBucket(h * HOUR_MS), (hist.get(dwellBucket(h * HOUR_MS)) ?? 0) + 1);
    const rows = [...hist].map(([bucket, n]) => ({ bucket, n }));
    const median = dwellQuantile(rows, 0.5)!;
    const p90 = dwellQuantile(rows, 0.9)!;
    expect(median / (50.5 * HOUR_MS)).toBeGreaterThan(1 / Math.SQRT2);
    expect(median / (50.5 * HOUR_MS)).toBeLessThan(Math.SQRT2);
    expect(p90 / (90 * HOUR_MS)).toBeGreaterThan(1 / Math.SQRT2);
    expect(p90 / (90 * HOUR_MS)).toBeLessThan(Math.SQRT2);
    expect(p90).toBeGreaterThan(median);
  });

  it('an empty histogram has no quantiles; one parcel is its own median; the open bucket reports its floor', () => {
    expect(dwellQuantile([], 0.5)).toBeNull();
    expect(dwellQuantile([{ bucket: 5, n: 0 }], 0.5)).toBeNull();
    const one = dwellQuantile([{ bucket: dwellBucket(3 * HOUR_MS), n: 1 }], 0.5)!;
    expect(dwellBucket(one)).toBe(dwellBucket(3 * HOUR_MS));
    expect(dwellQuantile([{ bucket: 40, n: 3 }], 0.9)).toBe(dwellBucketRange(40).fromMs);
  });
});

const j = new JournalBuilder('GW-ZS', H0);
const ev = (e: NewEvent, at: number) => j.next(e, at).event as EdgeEvent;

describe('classify: what an event counts as', () => {
  const inspected = (lane: 'release' | 'inspection' | 'exception', parcelKey?: string) =>
    ev({ type: 'parcel.inspected', stationId: 'LINE-A', ...(parcelKey ? { parcelKey } : {}), payload: { transactionId: 't', lineId: 'LA', outcome: parcelKey ? 'ok' : 'no_read', codes: [], hubDecision: 'released', lane, reasons: [] } }, H0);
  it.each<[string, EdgeEvent, Stamp['kind'][], boolean]>([
    ['a scan', ev({ type: 'parcel.scanned', stationId: 'S', parcelKey: 'P', payload: { code: 'P', source: 'scanner' } }, H0), ['seen'], false],
    ['a release', ev({ type: 'parcel.released', stationId: 'S', parcelKey: 'P', payload: { by: 'auto' } }, H0), ['released'], false],
    ['a hold', ev({ type: 'parcel.held', stationId: 'S', parcelKey: 'P', payload: { reason: 'r' } }, H0), ['held'], false],
    ['a line pass to the release lane', inspected('release', 'P'), ['released', 'line'], false],
    ['a line pass to the inspection lane', inspected('inspection', 'P'), ['held', 'line'], false],
    ['a line pass to the exception lane', inspected('exception', 'P'), ['held', 'line'], false],
    ['a no-read on the line (no parcel)', inspected('exception'), [], false],
    ['a divert to inspection', ev({ type: 'parcel.diverted', stationId: 'S', parcelKey: 'P', payload: { lane: 'inspection' } }, H0), ['held'], false],
    ['an officer passing an inspection', ev({ type: 'officer.action', stationId: 'D', parcelKey: 'P', payload: { officerId: 'o', action: 'pass', reason: 'ok' } }, H0), ['released'], false],
    ['an officer ordering inspection', ev({ type: 'officer.action', stationId: 'D', parcelKey: 'P', payload: { officerId: 'o', action: 'inspect', reason: 'x' } }, H0), ['held'], false],
    ['an officer seizing', ev({ type: 'officer.action', stationId: 'D', parcelKey: 'P', payload: { officerId: 'o', action: 'seize', reason: 'x' } }, H0), ['seen'], false],
    ['a parcel through the gate outward', ev({ type: 'gate.passed', stationId: 'GATE-1', parcelKey: 'P', payload: { laneId: 'L1', direction: 'out' } }, H0), ['out'], true],
    ['a parcel through the gate inward', ev({ type: 'gate.passed', stationId: 'GATE-1', parcelKey: 'P', payload: { laneId: 'L1', direction: 'in' } }, H0), ['seen'], true],
    ['a truck with a slip (no parcel key)', ev({ type: 'gate.passed', stationId: 'GATE-1', payload: { laneId: 'L1', direction: 'out', slipNo: 'Z1' } }, H0), [], true],
  ])('%s', (_name, e, kinds, passage) => {
    const c = classify(e);
    expect(c.stamps.map((s) => s.kind)).toEqual(kinds);
    expect(c.passage !== undefined).toBe(passage);
    if (c.stamps.some((s) => s.kind === 'line')) expect(c.stamps.find((s) => s.kind === 'line')!.lineId).toBe('LA');
  });

  it('a slip passage asks for its goods, out or in by direction', () => {
    expect(classify(ev({ type: 'gate.passed', stationId: 'GATE-1', payload: { laneId: 'L1', direction: 'out', slipNo: 'Z1' } }, H0 + 5)).slip).toEqual({ slipNo: 'Z1', kind: 'out', atMs: H0 + 5 });
    expect(classify(ev({ type: 'gate.passed', stationId: 'GATE-1', payload: { laneId: 'L1', direction: 'in', slipNo: 'Z2' } }, H0 + 6)).slip).toEqual({ slipNo: 'Z2', kind: 'seen', atMs: H0 + 6 });
  });
});

describe('foldStamps', () => {
  const stored: ZoneParcel = { parcelKey: 'P', firstMs: H0 + 30 * MIN, releasedMs: null, heldMs: null, outMs: H0 + 3 * HOUR_MS, lineMs: H0 + 40 * MIN, lineId: 'LA' };
  const byKey = (c: ReturnType<typeof foldStamps>) => c.counters.map((d) => `${(d.hourMs - H0) / HOUR_MS}:${d.metric}:${d.stationId}:${d.n}`).sort();

  it('a stamp already reflected changes nothing (replays are free)', () => {
    const c = foldStamps(new Map([['P', stored]]), [{ parcelKey: 'P', kind: 'out', atMs: H0 + 3 * HOUR_MS }, { parcelKey: 'P', kind: 'seen', atMs: H0 + 2 * HOUR_MS }], []);
    expect(c).toEqual({ parcels: [], counters: [], dwell: [] });
  });

  it('an earlier sight arriving late moves the parcel to the earlier hour and lengthens its dwell', () => {
    const c = foldStamps(new Map([['P', stored]]), [{ parcelKey: 'P', kind: 'seen', atMs: H0 - 90 * MIN }], []);
    expect(c.parcels).toEqual([{ ...stored, firstMs: H0 - 90 * MIN }]);
    expect(byKey(c)).toEqual(['-2:in:*:1', '0:in:*:-1', '0:line:LA:-1', '0:line:LA:1', '3:out:*:-1', '3:out:*:1'].sort());
    expect(c.dwell).toEqual([
      { hourMs: H0 + 3 * HOUR_MS, bucket: dwellBucket(150 * MIN), n: -1 },
      { hourMs: H0 + 3 * HOUR_MS, bucket: dwellBucket(270 * MIN), n: 1 },
    ]);
  });

  it('a new parcel counts once however many stamps it has; one going out unseen before has no dwell', () => {
    const c = foldStamps(new Map(), [
      { parcelKey: 'N', kind: 'seen', atMs: H0 + 5 },
      { parcelKey: 'N', kind: 'held', atMs: H0 + 6 },
      { parcelKey: 'N', kind: 'held', atMs: H0 + 7 },
      { parcelKey: 'N', kind: 'released', atMs: H0 + HOUR_MS },
      { parcelKey: 'U', kind: 'out', atMs: H0 + 9 },
    ], [{ eventId: 'e1', stationId: 'GATE-1', atMs: H0 + 9 }]);
    expect(byKey(c)).toEqual(['0:in:*:1', '0:held:*:1', '1:released:*:1', '0:in:*:1', '0:out:*:1', '0:gate:GATE-1:1'].sort());
    expect(c.dwell).toEqual([]);
  });

  it('the earliest line pass names the line', () => {
    const c = foldStamps(new Map(), [
      { parcelKey: 'L', kind: 'line', atMs: H0 + 2 * HOUR_MS, lineId: 'LB' },
      { parcelKey: 'L', kind: 'line', atMs: H0 + HOUR_MS, lineId: 'LA' },
    ], []);
    expect(c.parcels[0]).toMatchObject({ lineId: 'LA', lineMs: H0 + HOUR_MS, firstMs: H0 + HOUR_MS });
  });
});

const outcome = (parcelKey: string, decision: 'pending' | 'hold' | 'released'): EngineOutcome => ({
  parcelKey,
  orderNo: `O-${parcelKey}`,
  direction: 'import',
  tradeMode: '1210',
  release: { decision, reasons: [] },
  risk: { level: 'low', reasons: [], rulesVersion: 'r1' },
  matchComplete: true,
  matchConsistent: true,
  customsStatus: null,
  buyerKey: null,
  buyerIdMasked: null,
  valueCny: '100',
  year: 2026,
  ebcCode: null,
  declaredWeightKg: 1,
});

eachStore('zone-stats projection and overview', (store) => {
  const setup = async (nowMs: number, slips: Record<string, string[]> = {}) => {
    const repo = openZoneStatsRepo(store().sql);
    await repo.migrate();
    const cases = openCaseRepo(store().sql);
    await cases.migrate();
    let now = nowMs;
    const service = new ZoneStatsService({ repo, cases, log, now: () => now, slipGoods: async (no) => slips[no] ?? [], minPushGapMs: 0, pushEveryMs: 60_000 });
    return { service, repo, cases, setNow: (ms: number) => (now = ms) };
  };

  it('counts a day of parcels once each, through replays and late gateways, and reports flows, dwell, lines and gates', async () => {
    const T = H0 + 24 * HOUR_MS; // a day of its own in this store
    const { service } = await setup(T + 10 * HOUR_MS + 5 * MIN, { 'Z3111E000001': ['ZP-3', 'ZP-4'] });
    const g1 = new JournalBuilder('GW-ZS-1', T);
    const e = (x: NewEvent, at: number) => g1.next(x, at).event as EdgeEvent;
    const line = (parcelKey: string, lane: 'release' | 'inspection', at: number, lineId = 'LINE-A') =>
      e({ type: 'parcel.inspected', stationId: lineId, parcelKey, payload: { transactionId: `t-${parcelKey}-${at}`, lineId, outcome: 'ok', codes: [parcelKey], hubDecision: lane === 'release' ? 'released' : 'inspect', lane, reasons: [] } }, at);
    const batch1 = [
      e({ type: 'parcel.scanned', stationId: 'WH-IN', parcelKey: 'ZP-1', payload: { code: 'ZP-1', source: 'scanner' } }, T + 10 * MIN),
      e({ type: 'parcel.scanned', stationId: 'WH-IN', parcelKey: 'ZP-2', payload: { code: 'ZP-2', source: 'scanner' } }, T + 20 * MIN),
      e({ type: 'parcel.scanned', stationId: 'WH-IN', parcelKey: 'ZP-3', payload: { code: 'ZP-3', source: 'scanner' } }, T + 30 * MIN),
      e({ type: 'parcel.scanned', stationId: 'WH-IN', parcelKey: 'ZP-4', payload: { code: 'ZP-4', source: 'scanner' } }, T + HOUR_MS + 30 * MIN),
      line('ZP-1', 'release', T + 2 * HOUR_MS),
      line('ZP-2', 'inspection', T + 2 * HOUR_MS + MIN),
      line('ZP-3', 'release', T + 2 * HOUR_MS + 2 * MIN, 'LINE-B'),
      line('ZP-4', 'release', T + 2 * HOUR_MS + 3 * MIN),
      // re-scan of ZP-1 (revision 2): no second line pass, no second release
      line('ZP-1', 'release', T + 2 * HOUR_MS + 10 * MIN),
      e({ type: 'parcel.released', stationId: 'DESK-1', parcelKey: 'ZP-2', payload: { by: 'officer', officerId: 'o1' } }, T + 4 * HOUR_MS),
      e({ type: 'gate.passed', stationId: 'GATE-1', parcelKey: 'ZP-1', payload: { laneId: 'L1', direction: 'out' } }, T + 5 * HOUR_MS + 10 * MIN),
      e({ type: 'gate.passed', stationId: 'GATE-2', payload: { laneId: 'L3', direction: 'out', slipNo: 'Z3111E000001', vehicleNo: '沪A12345' } }, T + 9 * HOUR_MS + 30 * MIN),
    ];
    await service.projection.apply('GW-ZS-1', batch1);
    const first = await service.overview(24);
    // The same batch again (redelivery), and again split differently (start-up replay): nothing moves.
    await service.projection.apply('GW-ZS-1', batch1);
    await service.projection.apply('GW-ZS-1', batch1.slice(0, 5));
    await service.projection.apply('GW-ZS-1', batch1.slice(5));
    const again = await service.overview(24);
    expect(again).toEqual(first);
    expect(first.readModels).toEqual({ lagSeconds: 0, behind: [], failed: [] });
    // Read models with batches not yet applied: the oldest one's age, and which are behind.
    service.watchReadModels(() => [
      { name: 'parcels', queuedEvents: 1200, oldestMs: first.generatedMs - 4500, failed: false },
      { name: 'zone-stats', queuedEvents: 0, oldestMs: undefined, failed: false },
      { name: 'cases', queuedEvents: 3, oldestMs: first.generatedMs - 800, failed: false },
      { name: 'stock', queuedEvents: 0, oldestMs: undefined, failed: true },
    ]);
    expect((await service.overview(24)).readModels).toEqual({ lagSeconds: 4.5, behind: ['cases', 'parcels'], failed: ['stock'] });
    service.watchReadModels(() => []);

    const at = (o: Overview, ms: number) => o.hourly.hourMs.indexOf(ms);
    expect(first.hourly.hourMs).toHaveLength(24);
    expect(first.toMs).toBe(T + 11 * HOUR_MS);
    expect(first.totals).toEqual({ in: 4, released: 4, held: 1, out: 3 });
    expect(first.hourly.in[at(first, T)]).toBe(3);
    expect(first.hourly.in[at(first, T + HOUR_MS)]).toBe(1);
    expect(first.hourly.released[at(first, T + 2 * HOUR_MS)]).toBe(3);
    expect(first.hourly.released[at(first, T + 4 * HOUR_MS)]).toBe(1);
    expect(first.hourly.held[at(first, T + 2 * HOUR_MS)]).toBe(1);
    expect(first.hourly.out[at(first, T + 9 * HOUR_MS)]).toBe(2);
    expect(first.thisHour).toEqual({ in: 0, released: 0, held: 0, out: 0 });
    // Dwells: ZP-1 5 h, ZP-3 9 h, ZP-4 8 h → median 8 h, p90 9 h, each within a bucket.
    expect(first.dwell.parcels).toBe(3);
    expect(dwellBucket(first.dwell.medianMs!)).toBe(dwellBucket(8 * HOUR_MS));
    expect(dwellBucket(first.dwell.p90Ms!)).toBe(dwellBucket(9 * HOUR_MS));
    expect(first.lines.map((l) => [l.stationId, l.total])).toEqual([['LINE-A', 3], ['LINE-B', 1]]);
    expect(first.gates.map((g) => [g.stationId, g.total])).toEqual([['GATE-1', 1], ['GATE-2', 1]]);
    expect(first.gates.find((g) => g.stationId === 'GATE-2')!.hourly[at(first, T + 9 * HOUR_MS)]).toBe(1);

    // Another gateway syncs late: it saw ZP-4 an hour before anyone else. The parcel moves hours; nothing is added.
    const g2 = new JournalBuilder('GW-ZS-2', T);
    await service.projection.apply('GW-ZS-2', [g2.next({ type: 'parcel.weighed', stationId: 'WH-SCALE', parcelKey: 'ZP-4', payload: { grossWeightKg: 1.2, stable: true } }, T + 25 * MIN).event as EdgeEvent]);
    const late = await service.overview(24);
    expect(late.totals).toEqual(first.totals);
    expect(late.hourly.in[at(late, T)]).toBe(4);
    expect(late.hourly.in[at(late, T + HOUR_MS)]).toBe(0);
    expect(late.dwell.parcels).toBe(3);

    // A window of 3 hours sees only its own hours.
    expect((await service.overview(3)).totals).toEqual({ in: 0, released: 0, held: 0, out: 2 });
  });

  it('reports the officers queue: counts per status and the case waiting longest', async () => {
    const { service, cases } = await setup(H0 + 100 * HOUR_MS);
    const before = (await service.overview(24)).queue;
    await cases.update('ZQ-1', (c) => applyEngine(c, outcome('ZQ-1', 'pending'), 5_000), 5_000);
    await cases.update('ZQ-2', (c) => ({ ...applyEngine(c, outcome('ZQ-2', 'hold'), 3_000), status: 'held' }), 3_000);
    await cases.update('ZQ-3', (c) => ({ ...applyEngine(c, outcome('ZQ-3', 'released'), 1_000), status: 'released' }), 1_000);
    await cases.update('ZQ-4', (c) => ({ ...applyEngine(c, outcome('ZQ-4', 'pending'), 4_000), status: 'inspection' }), 4_000);
    const q = (await service.overview(24)).queue;
    expect(q.total).toBe(before.total + 3);
    expect(q.byStatus).toEqual({ pending: before.byStatus.pending + 1, held: before.byStatus.held + 1, inspection: before.byStatus.inspection + 1 });
    // The released case (oldest of all) is not in the queue; the held one is the oldest waiting.
    expect(q.oldest).toEqual({ parcelKey: 'ZQ-2', status: 'held', sinceMs: 3_000 });
  });

  it('pushes figures to watchers at once and after an applied batch, shares one computation, and ends streams on close', async () => {
    const T = H0 + 200 * HOUR_MS;
    const { service } = await setup(T + 30 * MIN);
    const got: Overview[][] = [[], []];
    const ended = [false, false];
    const spy = vi.spyOn(service, 'overview');
    const stops = [0, 1].map((i) => service.watch(24, { send: (o) => got[i]!.push(o), end: () => (ended[i] = true) }));
    await vi.waitFor(() => expect(got.map((g) => g.length)).toEqual([1, 1]), { timeout: 20_000 });
    expect(service.watching).toBe(2);
    spy.mockClear();
    const g = new JournalBuilder('GW-ZS-3', T);
    await service.projection.apply('GW-ZS-3', [g.next({ type: 'parcel.scanned', stationId: 'S', parcelKey: 'ZW-1', payload: { code: 'ZW-1', source: 'scanner' } }, T + MIN).event as EdgeEvent]);
    await vi.waitFor(() => expect(got.map((x) => x.at(-1)!.thisHour.in)).toEqual([1, 1]), { timeout: 20_000 });
    expect(spy).toHaveBeenCalledTimes(1);
    // A replay changes nothing, so nothing is pushed.
    spy.mockClear();
    await service.projection.apply('GW-ZS-3', []);
    expect(spy).not.toHaveBeenCalled();
    stops[0]!();
    expect(service.watching).toBe(1);
    service.close();
    expect(ended).toEqual([false, true]);
    expect(service.watching).toBe(0);
  });
});
