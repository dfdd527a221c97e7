import { describe, expect, it } from 'vitest';
import { renderLineReason } from '../reason-codes.ts';
import { Payloads, type LineReason } from '../schemas/events.ts';
import { StationRules, type ParcelDecision } from './feed.ts';
import { chooseLane, decideInspection, initialInspectionState, InspectionConfig, inspectionDisplay, type InspectionInput, type InspectionState } from './inspection.ts';
import { memoryCache, type CacheView, type Decision } from './types.ts';

const T0 = 1_800_000_000_000;
const rules = StationRules.parse({ rulesId: 'R1', validFromMs: 0, validToMs: T0 * 2, weightTolerancePct: 10, weightToleranceKg: 0.05, samplingRate: 0 });
const decisions: ParcelDecision[] = [
  { parcelKey: 'EA000000015CN', decision: 'released', declaredWeightKg: 1.2 },
  { parcelKey: 'EA000000029CN', decision: 'hold', reason: 'watch list', reasons: [{ code: 'risk.watch.sender', params: { hit: 'ACME' } }] },
  { parcelKey: 'EA000000032CN', decision: 'inspect', declaredWeightKg: 2 },
  { parcelKey: 'EA000000046CN', decision: 'released', declaredWeightKg: 3 },
];
const fresh = memoryCache({ version: 42, syncedAtMs: T0 - 1000, decisions, rules });
const config = InspectionConfig.parse({ lineId: 'LINE-1', decideTimeoutMs: 5000, multiReadWindowMs: 300 });

/** Run inputs in order; each at its own time. */
function run(inputs: [number, InspectionInput][], cache: CacheView = fresh, state: InspectionState = initialInspectionState()): { state: InspectionState; all: Decision<InspectionState>[] } {
  const all: Decision<InspectionState>[] = [];
  for (const [dt, input] of inputs) {
    const d = decideInspection(state, input, T0 + dt, cache, config);
    all.push(d);
    state = d.state;
  }
  return { state, all };
}
const events = (all: Decision<InspectionState>[]) => all.flatMap((d) => d.events);
/** The journalled reasons, said in English (the event holds codes only). */
const said = (codes: readonly LineReason[] | undefined) => (codes ?? []).map((r) => renderLineReason('en', r) ?? r.code);
const diverts = (all: Decision<InspectionState>[]) => all.flatMap((d) => d.commands).filter((c) => c.kind === 'divert');
const scan = (code: string, valid = true): InspectionInput => ({ kind: 'scan', code, valid });
const xray = (parcelId: string, verdict: 'clear' | 'suspect' | 'reject' | 'unreadable' = 'clear'): InspectionInput => ({ kind: 'xray', parcelId, verdict, imageRef: `xr/${parcelId}.png` });

describe('inspection line station', () => {
  const table: { name: string; inputs: [number, InspectionInput][]; cache?: CacheView; lane: string; outcome: string; reason?: RegExp }[] = [
    { name: 'clean parcel: released', inputs: [[0, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.22 }], [600, xray('EA000000015CN')]], lane: 'release', outcome: 'ok' },
    { name: 'customs hold', inputs: [[0, scan('EA000000029CN')], [200, { kind: 'weight', weightKg: 1 }], [600, xray('EA000000029CN')]], lane: 'inspection', outcome: 'ok', reason: /customs hold: sender ACME is on the watch list/ },
    { name: 'inspection ordered', inputs: [[0, scan('EA000000032CN')], [200, { kind: 'weight', weightKg: 2 }], [600, xray('EA000000032CN')]], lane: 'inspection', outcome: 'ok', reason: /inspection ordered/ },
    { name: 'X-ray suspect', inputs: [[0, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.2 }], [600, xray('EA000000015CN', 'suspect')]], lane: 'inspection', outcome: 'ok', reason: /X-ray image marked suspect/ },
    { name: 'over weight', inputs: [[0, scan('EA000000046CN')], [200, { kind: 'weight', weightKg: 3.5 }], [600, xray('EA000000046CN')]], lane: 'inspection', outcome: 'out_of_tolerance', reason: /3\.5 kg vs declared 3 kg/ },
    { name: 'weight never settled', inputs: [[0, scan('EA000000015CN')], [200, { kind: 'weight.unstable' }], [600, xray('EA000000015CN')]], lane: 'inspection', outcome: 'weight_unstable', reason: /never settled/ },
    { name: 'X-ray unreadable', inputs: [[0, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.2 }], [600, xray('EA000000015CN', 'unreadable')]], lane: 'inspection', outcome: 'xray_fault' },
    { name: 'no verdict before the timeout (X-ray fault)', inputs: [[0, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.2 }], [5000, { kind: 'timer', id: 'decide:LINE-1-' }]], lane: 'none', outcome: 'none' },
    { name: 'no read: the PLC reports a parcel no scanner read', inputs: [[600, xray('PLC-7781')]], lane: 'exception', outcome: 'no_read' },
    { name: 'multi read: two labels on one parcel', inputs: [[0, scan('EA000000015CN')], [80, scan('EA000000046CN')], [200, { kind: 'weight', weightKg: 1.2 }], [600, xray('EA000000015CN')]], lane: 'exception', outcome: 'multi_read', reason: /EA000000015CN, EA000000046CN/ },
    { name: 'unknown parcel', inputs: [[0, scan('EA000000050CN')], [200, { kind: 'weight', weightKg: 1 }], [600, xray('EA000000050CN')]], lane: 'exception', outcome: 'unknown_parcel' },
    { name: 'stale cache fails safe', inputs: [[0, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.2 }], [600, xray('EA000000015CN')]], cache: memoryCache({ version: 9, syncedAtMs: T0 - 60 * 60_000, decisions, rules }), lane: 'inspection', outcome: 'stale_cache' },
    { name: 'no signed rules fails safe', inputs: [[0, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.2 }], [600, xray('EA000000015CN')]], cache: memoryCache({ version: 9, syncedAtMs: T0, decisions }), lane: 'inspection', outcome: 'stale_cache', reason: /no valid signed rules/ },
  ];
  for (const row of table.filter((r) => r.lane !== 'none')) {
    it(row.name, () => {
      const { all } = run(row.inputs, row.cache);
      const [e] = events(all);
      expect(e).toBeDefined();
      const p = Payloads['parcel.inspected'].parse(e!.payload);
      expect({ lane: p.lane, outcome: p.outcome }).toEqual({ lane: row.lane, outcome: row.outcome });
      if (row.reason) expect(said(p.reasonCodes).join('; ')).toMatch(row.reason);
      // The journal is evidence: codes with parameters, never an English sentence as the reason (issue 17 item 5).
      expect(p.reasons).toBeUndefined();
      if (row.lane !== 'release') expect(p.reasonCodes?.length).toBeGreaterThan(0);
      expect(p.cacheVersion).toBe((row.cache ?? fresh).version);
      expect(diverts(all)).toEqual([expect.objectContaining({ kind: 'divert', lane: row.lane, transactionId: p.transactionId })]);
      expect(events(all)).toHaveLength(1); // one transaction per parcel, not raw readings
    });
  }

  it('decides on its timer when the verdict never comes, and fails safe', () => {
    const first = run([[0, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.2 }]]);
    const timer = first.all[0]!.commands.find((c) => c.kind === 'timer')!;
    expect(timer).toMatchObject({ atMs: T0 + 5000 });
    const d = decideInspection(first.state, { kind: 'timer', id: (timer as { id: string }).id }, T0 + 5000, fresh, config);
    expect(d.events[0]!.payload).toMatchObject({ lane: 'inspection', outcome: 'xray_fault', reasonCodes: [{ code: 'line.xray-timeout' }] });
    expect(d.state.open).toEqual([]);
  });

  it('an X-ray fault sends every parcel to inspection until a verdict comes again', () => {
    const { state, all } = run([[0, { kind: 'xray.fault', detail: 'tube over-temperature' }], [10, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.2 }], [5010, { kind: 'timer', id: 'decide:' }]]);
    expect(state.xrayFault).toBe('tube over-temperature');
    const t = all[1]!.commands.find((c) => c.kind === 'timer') as { id: string };
    const d = decideInspection(state, { kind: 'timer', id: t.id }, T0 + 5010, fresh, config);
    expect(d.events[0]!.payload).toMatchObject({ lane: 'inspection', outcome: 'xray_fault', reasonCodes: [{ code: 'line.xray-fault', params: { fault: 'tube over-temperature' } }] });
    // The next verdict proves the X-ray works again, and so does the PLC clearing its fault.
    const back = run([[6000, scan('EA000000015CN')], [6200, { kind: 'weight', weightKg: 1.2 }], [6600, xray('EA000000015CN', 'clear')]], fresh, d.state);
    expect(events(back.all)[0]!.payload).toMatchObject({ lane: 'release' });
    expect(decideInspection(d.state, { kind: 'xray.recovered' }, T0, fresh, config).state.xrayFault).toBeNull();
  });

  it('the same label read by two scanners is one read; weights go to parcels in belt order', () => {
    const { all } = run([
      [0, scan('EA000000015CN')],
      [30, scan('EA000000015CN')],
      [700, scan('EA000000046CN')],
      [800, { kind: 'weight', weightKg: 1.21 }],
      [900, { kind: 'weight', weightKg: 3.02 }],
      [1000, xray('EA000000015CN')],
      [1500, xray('EA000000046CN')],
    ]);
    const ps = events(all).map((e) => Payloads['parcel.inspected'].parse(e.payload));
    expect(ps.map((p) => [p.codes, p.grossWeightKg, p.lane])).toEqual([
      [['EA000000015CN'], 1.21, 'release'],
      [['EA000000046CN'], 3.02, 'release'],
    ]);
  });

  it('a re-scan of a decided parcel amends its transaction (same id, next revision) instead of duplicating it', () => {
    const { state, all } = run([[0, scan('EA000000015CN')], [200, { kind: 'weight', weightKg: 1.2 }], [600, xray('EA000000015CN')]]);
    const first = Payloads['parcel.inspected'].parse(events(all)[0]!.payload);
    const again = run([[60_000, scan('EA000000015CN')], [60_200, { kind: 'weight', weightKg: 1.2 }], [60_600, xray('EA000000015CN', 'suspect')]], fresh, state);
    const second = Payloads['parcel.inspected'].parse(events(again.all)[0]!.payload);
    expect(second.transactionId).toBe(first.transactionId);
    expect([first.revision, second.revision]).toEqual([1, 2]);
    expect(second.lane).toBe('inspection');
  });

  it('a second re-scan amends the latest revision (3), not the first decision again', () => {
    const seq: [number, InspectionInput][] = [];
    for (const at of [0, 60_000, 120_000]) seq.push([at, scan('EA000000015CN')], [at + 200, { kind: 'weight', weightKg: 1.2 }], [at + 600, xray('EA000000015CN')]);
    const ps = events(run(seq).all).map((e) => Payloads['parcel.inspected'].parse(e.payload));
    expect(ps.map((p) => p.revision)).toEqual([1, 2, 3]);
    expect(new Set(ps.map((p) => p.transactionId)).size).toBe(1);
  });

  it('two open amendments of one multi-read transaction: deciding the first leaves the second findable by its id', () => {
    // A and B read as one multi-read parcel, decided; then each re-scanned apart: both reopen the same transaction id.
    const first = run([[0, scan('EA000000015CN')], [80, scan('EA000000046CN')], [600, xray('EA000000015CN')]]);
    const txId = (Payloads['parcel.inspected'].parse(events(first.all)[0]!.payload)).transactionId;
    const again = run([[60_000, scan('EA000000015CN')], [61_000, scan('EA000000046CN')], [62_000, { kind: 'timer', id: `decide:${txId}` }], [62_001, { kind: 'timer', id: `decide:${txId}` }]], fresh, first.state);
    const ps = events(again.all).map((e) => Payloads['parcel.inspected'].parse(e.payload));
    expect(ps.map((p) => [p.transactionId, p.codes])).toEqual([
      [txId, ['EA000000015CN']],
      [txId, ['EA000000046CN']],
    ]);
    expect(again.state.open).toEqual([]);
  });

  it('a misread label is kept, not dropped: alone it is a no-read', () => {
    const { all } = run([[0, scan('EA000000016CN', false)], [200, { kind: 'weight', weightKg: 1.2 }], [5000, { kind: 'timer', id: 'x' }]]);
    expect(events(all)).toEqual([]); // the timer id did not match
    const t = all[0]!.commands.find((c) => c.kind === 'timer') as { id: string };
    const d = decideInspection(all.at(-1)!.state, { kind: 'timer', id: t.id }, T0 + 5000, fresh, config);
    expect(d.events[0]!.payload).toMatchObject({ outcome: 'no_read', lane: 'exception' });
  });

  it('samples only what the hub drew: no edge-side hash, whatever the rules say (issue 16 item 6)', () => {
    const clear = { codes: ['EA000000015CN'], weightKg: 1.2, xray: { verdict: 'clear' as const } };
    // Rules asking the line to sample everything no longer do: the line has no key to draw with.
    expect(chooseLane(clear, decisions[0], { ...rules, samplingRate: 1 }, false, null)).toMatchObject({ lane: 'release', reasons: [] });
    // The hub's per-parcel outcome does.
    const lane = chooseLane(clear, { ...decisions[0]!, sampled: true }, rules, false, null);
    expect(lane).toMatchObject({ lane: 'inspection', reasons: ['random sample (drawn by the hub)'] });
    // A parcel the line has no decision for is never released (unchanged).
    expect(chooseLane(clear, undefined, rules, false, null).lane).toBe('exception');
  });

  it('shows a bilingual verdict', () => {
    const { state } = run([[0, scan('EA000000029CN')], [200, { kind: 'weight', weightKg: 1 }], [600, xray('EA000000029CN')]]);
    expect(inspectionDisplay(state).verdict).toMatchObject({ tone: 'stop', zh: '转人工查验', en: 'To manual inspection' });
    expect(inspectionDisplay(initialInspectionState()).verdict).toMatchObject({ tone: 'idle' });
  });
});

describe('inspection station: every read is evidence (issue 14)', () => {
  const c0 = InspectionConfig.parse({ lineId: 'LINE-1' }); // the defaults: no multi-read pairing
  const decideAll = (inputs: [number, InspectionInput][], cfg: InspectionConfig, state = initialInspectionState()) => {
    const all: Decision<InspectionState>[] = [];
    for (const [dt, input] of inputs) {
      const d = decideInspection(state, input, T0 + dt, fresh, cfg);
      all.push(d);
      state = d.state;
    }
    return { state, all };
  };
  /** Fire every timer the decisions armed, in the order given (ids by the parcel's first code). */
  const timersOf = (all: Decision<InspectionState>[]) => all.flatMap((d) => d.commands).filter((c): c is { kind: 'timer'; id: string; atMs: number } => c.kind === 'timer');
  const codes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `JDX${String(from + i).padStart(12, '0')}`);

  // Item 2: distinct codes read together (one serial chunk: the same instant) are distinct parcels.
  const distinct: { name: string; cfg: InspectionConfig; reads: [number, string][]; parcels: string[][] }[] = [
    { name: 'window 0, one instant', cfg: InspectionConfig.parse({ lineId: 'LINE-1', multiReadWindowMs: 0 }), reads: codes(5).map((c) => [0, c]), parcels: codes(5).map((c) => [c]) },
    { name: 'defaults, 10 ms apart (100 lines/s)', cfg: c0, reads: codes(40).map((c, i) => [i * 10, c]), parcels: codes(40).map((c) => [c]) },
    { name: 'the same code twice is one parcel (two symbols of one label)', cfg: c0, reads: [[0, 'EA000000015CN'], [0, 'EA000000015CN'], [5, 'EA000000046CN']], parcels: [['EA000000015CN'], ['EA000000046CN']] },
    { name: 'an opt-in pairing window fuses two labels of one parcel', cfg: InspectionConfig.parse({ lineId: 'LINE-1', multiReadWindowMs: 300 }), reads: [[0, 'EA000000015CN'], [80, 'EA000000046CN'], [900, 'EA000000029CN']], parcels: [['EA000000015CN', 'EA000000046CN'], ['EA000000029CN']] },
  ];
  for (const row of distinct) {
    it(`distinct parcels: ${row.name}`, () => {
      const { state, all } = decideAll(row.reads.map(([t, code]) => [t, scan(code)]), row.cfg);
      const ts = timersOf(all);
      const closed = decideAll(ts.map((t) => [t.atMs - T0, { kind: 'timer', id: t.id }] as [number, InspectionInput]), row.cfg, state);
      const ps = events(closed.all).map((e) => Payloads['parcel.inspected'].parse(e.payload));
      expect(ps.map((p) => p.codes)).toEqual(row.parcels);
    });
  }

  // Item 1: a window that would fuse more codes than one event may carry opens a new parcel instead; nothing is refused.
  it('a pairing window never fuses past the event limit: 1,000 reads at 100 lines/s all reach valid events', () => {
    const cfg = InspectionConfig.parse({ lineId: 'LINE-1', multiReadWindowMs: 300 });
    const all1000 = codes(1000);
    const { state, all } = decideAll(all1000.map((c, i) => [i * 10, scan(c)]), cfg);
    const closed = decideAll(timersOf(all).map((t) => [t.atMs - T0 + 10_000, { kind: 'timer', id: t.id }] as [number, InspectionInput]), cfg, state);
    const ps = events(closed.all).map((e) => Payloads['parcel.inspected'].safeParse(e.payload));
    expect(ps.every((p) => p.success)).toBe(true);
    expect(ps.flatMap((p) => p.data!.codes)).toEqual(all1000);
    expect(closed.state.open).toEqual([]);
  });

  // Item 3: a refused read keeps its text and reason.
  it.each([
    ['a bad check digit', 'EA000000016CN', 'S10 check digit is 5, not 6'],
    ['a long garbage read (cut to 512)', 'x'.repeat(900), 'not a waybill, S10 or GS1 read'],
  ])('a rejected read (%s) is its own no-read parcel carrying its text and reason', (_name, text, reason) => {
    const { state, all } = decideAll([[0, { kind: 'scan', code: text, valid: false, reason }], [0, { kind: 'scan', code: 'EA000000099CN', valid: false, reason: 'check digit' }]], c0);
    const closed = decideAll(timersOf(all).map((t) => [t.atMs - T0, { kind: 'timer', id: t.id }] as [number, InspectionInput]), c0, state);
    const ps = events(closed.all).map((e) => Payloads['parcel.inspected'].parse(e.payload));
    expect(ps.map((p) => [p.outcome, p.rejectedReads])).toEqual([
      ['no_read', [{ text: text.slice(0, 512), reason }]],
      ['no_read', [{ text: 'EA000000099CN', reason: 'check digit' }]],
    ]);
    expect(ps[0]!.reasonCodes).toEqual([{ code: 'line.read-refused', params: { reason } }]);
    expect(said(ps[0]!.reasonCodes)).toEqual([`read refused: ${reason}`]);
  });

  // Item 5: timers due together fire in any order; decisions come out in scan order.
  it.each([
    ['newest timer first', [2, 1, 0]],
    ['middle first', [1, 2, 0]],
    ['in order', [0, 1, 2]],
  ])('decisions follow the scan sequence whatever order due timers fire in (%s)', (_name, order) => {
    const three = ['EA000000015CN', 'EA000000046CN', 'EA000000029CN'];
    const { state, all } = decideAll(three.map((c, i) => [i, scan(c)]), c0);
    const ts = timersOf(all);
    const late = 5000 + 500; // the process was busy: all three are due when the first fires
    const closed = decideAll(order.map((i) => [late, { kind: 'timer', id: ts[i]!.id }] as [number, InspectionInput]), c0, state);
    const ps = events(closed.all).map((e) => Payloads['parcel.inspected'].parse(e.payload));
    expect(ps.map((p) => p.codes[0])).toEqual(three);
    expect(ps.map((p) => p.scanSeq)).toEqual([1, 2, 3]);
    expect(closed.all.flatMap((d) => d.commands).filter((cmd) => cmd.kind === 'divert').map((cmd) => (cmd as { parcelKey: string }).parcelKey)).toEqual(three);
  });

  // Item 6: the open parcels are indexed (a backlog holds thousands); the state stays plain data, and deciding from an
  // older state again, or from one read back from its JSON, gives the same result as the first time.
  it('a backlog of 3,000 open parcels: an older state used again and a state from JSON decide the same', () => {
    const reads = codes(3000);
    const { state, all } = decideAll(reads.map((c) => [0, scan(c)]), c0);
    expect(state.open).toHaveLength(3000);
    const ts = timersOf(all);
    const fire = (s: InspectionState) => decideAll(ts.map((t) => [t.atMs - T0, { kind: 'timer', id: t.id }] as [number, InspectionInput]), c0, s);
    const first = fire(state);
    expect(events(first.all).map((e) => (e.payload as { codes: string[] }).codes[0])).toEqual(reads);
    expect(first.state.open).toEqual([]);
    // The same state again (its index moved on to the states made from it), and the same state as saved and loaded.
    for (const s of [state, JSON.parse(JSON.stringify(state)) as InspectionState]) {
      expect(s.open).toHaveLength(3000);
      const again = fire(s);
      expect(events(again.all)).toEqual(events(first.all));
      // A re-scan of an open parcel is still one read, found by its code.
      expect(decideInspection(s, scan(reads[1234]!), T0 + 1, fresh, c0).state.open).toHaveLength(3000);
    }
  });

  it('a parcel whose time is not up yet is not decided early by a younger one', () => {
    const { state, all } = decideAll([[0, scan('EA000000015CN')], [10, scan('EA000000046CN')]], c0);
    const ts = timersOf(all);
    // The X-ray names the younger parcel before the older one's time is up: only the younger is decided.
    const d = decideInspection(state, xray('EA000000046CN'), T0 + 600, fresh, c0);
    expect(d.events.map((e) => (e.payload as { codes: string[] }).codes)).toEqual([['EA000000046CN']]);
    expect(d.state.open.map((t) => t.codes)).toEqual([['EA000000015CN']]);
    expect(ts).toHaveLength(2);
  });
});

describe('the line says its reasons in the reader language (issue 17 item 5)', () => {
  it('line reasons and the hub reasons behind a hold, in Chinese and in English; the event journals them as codes', () => {
    const hold: ParcelDecision = {
      parcelKey: 'EA000000099CN',
      decision: 'hold',
      declaredWeightKg: 1.0,
      reason: 'pending officer review: order.consigneeTelephone differs from waybill.consigneeTelephone',
      reasons: [{ code: 'feed.pending' }, { code: 'match.differs', params: { a: 'order', field: 'consigneeTelephone', b: 'waybill', rightField: 'consigneeTelephone' } }],
    };
    const r = chooseLane({ codes: ['EA000000099CN'], weightKg: 2.0, xray: { verdict: 'clear' } }, hold, rules, false, null);
    expect(r.reasons[0]).toBe('customs hold: pending officer review: order.consigneeTelephone differs from waybill.consigneeTelephone');
    expect(r.said.zh).toEqual(['海关暂不放行：待关员审核；订单的收货人电话与运单的收货人电话不一致', '称重 2 kg，申报 1 kg，超出允许偏差']);
    expect(r.said.en).toEqual(['customs hold: pending officer review; order consignee telephone differs from waybill consignee telephone', 'weight 2 kg vs declared 1 kg is out of tolerance']);
    for (const zh of r.said.zh) expect(zh).not.toMatch(/[A-Za-z]{3,}/);
    // The event carries the same as codes, the hub's reasons as the line had them: any screen says them again.
    expect(r.coded[0]).toEqual({ code: 'line.customs-hold', because: hold.reasons });
    expect(Payloads['parcel.inspected'].shape.reasonCodes.parse(r.coded)).toEqual(r.coded);
  });

  it('a hold from a hub that sends no codes keeps its text in English, and says the line words in Chinese', () => {
    const r = chooseLane({ codes: ['EA000000099CN'], weightKg: 1.0, xray: { verdict: 'clear' } }, { parcelKey: 'EA000000099CN', decision: 'hold', reason: 'old hub text' }, rules, false, null);
    expect(r.said).toEqual({ zh: ['海关暂不放行'], en: ['customs hold: old hub text'] });
  });
});
