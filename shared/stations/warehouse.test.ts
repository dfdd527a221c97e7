import { describe, expect, it } from 'vitest';
import { EdgeEvent, Payloads } from '../schemas/events.ts';
import { ExpectedList, StationRules } from './feed.ts';
import { memoryCache, type CacheView, type Decision, type StationEvent } from './types.ts';
import {
  decideWarehouse,
  initialWarehouseState,
  readWarehouseLabel,
  transactionIdOf,
  WarehouseConfig,
  warehouseDisplay,
  type TransactionPayload,
  type WarehouseInput,
  type WarehouseState,
} from './warehouse.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures: valid GS1 keys (check digits computed with gs1CheckDigit), lists, caches
// ---------------------------------------------------------------------------------------------

const T0 = 1_750_000_000_000;
const SSCC1 = '350123450000000016';
const SSCC2 = '350123450000000023';
const SSCC3 = '350123450000000030';
const SSCC_X = '350123450000000092';
const GTIN_A = '06901234567892';
const GTIN_B = '06901234567908';
const GTIN_C = '06901234567915';
const carton = (sscc: string) => `00${sscc}`;
const item = (gtin: string) => `01${gtin}`;

const IN1 = ExpectedList.parse({
  listId: 'IN-1',
  kind: 'inbound',
  warehouse: 'bonded',
  orderNo: 'ENTRY-1',
  items: [
    { sscc: SSCC1, sku: 'SKU-A', qty: 12, expectedWeightKg: 6, locationId: 'A-01-01' },
    { sscc: SSCC2, sku: 'SKU-B', qty: 6, expectedWeightKg: 3 },
    // a GTIN-13 SKU matches the GTIN-14 a label carries
    { sku: '6901234567892', qty: 2, expectedWeightKg: 1, locationId: 'A-02-01' },
  ],
});
const OUT1 = ExpectedList.parse({
  listId: 'OUT-1',
  kind: 'outbound',
  warehouse: 'bonded',
  orderNo: 'ORD-1',
  items: [
    { sku: '6901234567892', qty: 2, expectedWeightKg: 1, locationId: 'P-01' },
    { sku: GTIN_B, qty: 1, expectedWeightKg: 0.8 },
  ],
});
const OUT_NW = ExpectedList.parse({ listId: 'OUT-NW', kind: 'outbound', warehouse: 'bonded', items: [{ sku: GTIN_B, qty: 1 }] });
const OV_IN = ExpectedList.parse({ listId: 'OV-IN', kind: 'inbound', warehouse: 'overseas', items: [{ sscc: SSCC1, qty: 1 }] });

const rules = StationRules.parse({ rulesId: 'r-1', validFromMs: 0, validToMs: 9_000_000_000_000 });
const lists = [IN1, OUT1, OUT_NW, OV_IN];
const fresh = memoryCache({ version: 7, syncedAtMs: T0, rules, expected: lists });
const stale = memoryCache({ version: 5, syncedAtMs: T0 - 3_600_000, rules, expected: lists });
const config = WarehouseConfig.parse({ packagingKg: 0.2 });

// ---------------------------------------------------------------------------------------------
// Helpers: play a sequence of inputs (1 s apart unless timed), check every event against the schema
// ---------------------------------------------------------------------------------------------

type Timed = { at: number; input: WarehouseInput };
type Step = WarehouseInput | Timed;
const scan = (text: string): WarehouseInput => ({ kind: 'scan', text });
const weigh = (weightKg: number): WarehouseInput => ({ kind: 'weight', weightKg });
const mode = (m: 'receive' | 'putaway' | 'pick' | 'pack'): WarehouseInput => ({ kind: 'select', mode: m });
const at = (ms: number, input: WarehouseInput): Timed => ({ at: ms, input });

function assertValid(events: StationEvent[]): void {
  for (const e of events) {
    expect(e.type).toBe('warehouse.transaction');
    const payload = Payloads['warehouse.transaction'].safeParse(e.payload);
    expect(payload.success, JSON.stringify(payload.error?.issues)).toBe(true);
    const envelope = {
      id: '0190b9d8-7d5e-7000-8000-0000000000aa',
      gatewayId: 'GW-1',
      seq: 1,
      stationId: 'WH-1',
      time: { wallMs: 1, hlc: '000000000000001.00000', bootId: 'b', uptimeMs: 1, clockSynced: true },
      prevHash: '0'.repeat(64),
      hash: '1'.repeat(64),
    };
    const full = EdgeEvent.safeParse({ ...envelope, ...e });
    expect(full.success, JSON.stringify(full.error?.issues)).toBe(true);
  }
}

interface Played {
  state: WarehouseState;
  last: Decision<WarehouseState>;
  events: StationEvent[];
}

function play(steps: Step[], o: { cache?: CacheView; cfg?: WarehouseConfig; from?: WarehouseState } = {}): Played {
  let state = o.from ?? initialWarehouseState();
  let last: Decision<WarehouseState> = { state, commands: [], events: [] };
  const events: StationEvent[] = [];
  steps.forEach((step, i) => {
    const { input, now } = 'input' in step ? { input: step.input, now: T0 + step.at } : { input: step, now: T0 + (i + 1) * 1000 };
    last = decideWarehouse(state, input, now, o.cache ?? fresh, o.cfg ?? config);
    assertValid(last.events);
    state = last.state;
    events.push(...last.events);
  });
  return { state, last, events };
}

const payloads = (events: StationEvent[]) => events.map((e) => e.payload as TransactionPayload);
const lastPayload = (p: Played) => payloads(p.last.events).at(-1);

// ---------------------------------------------------------------------------------------------

describe('reading warehouse labels', () => {
  const cfg = { locationPrefixes: ['LOC:', 'BIN '], bareDigitsAsGtin: true };
  it.each([
    ['SSCC carton', carton(SSCC1), { kind: 'carton', sscc: SSCC1 }],
    ['SSCC with AIM prefix', `]C1${carton(SSCC1)}`, { kind: 'carton', sscc: SSCC1 }],
    ['carton with content and count', `${carton(SSCC3)}02${GTIN_B}3712`, { kind: 'carton', sscc: SSCC3, contentGtin: GTIN_B, count: 12 }],
    ['GTIN item', item(GTIN_A), { kind: 'item', gtin: GTIN_A }],
    ['serialised item', `${item(GTIN_A)}21SN001`, { kind: 'item', gtin: GTIN_A, serial: 'SN001' }],
    ['item with a batch/lot (10)', `]C1${item(GTIN_A)}10LOT-7`, { kind: 'item', gtin: GTIN_A, lot: 'LOT-7' }],
    ['serialised item with a lot, GS after the variable-length (10)', `]d2${item(GTIN_A)}10L2025/03\x1d21SN9`, { kind: 'item', gtin: GTIN_A, lot: 'L2025/03', serial: 'SN9' }],
    ['carton naming its content, lot and count', `]C1${carton(SSCC3)}02${GTIN_B}10B42\x1d3712`, { kind: 'carton', sscc: SSCC3, contentGtin: GTIN_B, count: 12, lot: 'B42' }],
    ['EAN-13 with AIM prefix', `]E0${GTIN_A.slice(1)}`, { kind: 'item', gtin: GTIN_A }],
    ['bare EAN-13: a reference that may be a GTIN', GTIN_A.slice(1), { kind: 'reference', value: GTIN_A.slice(1), gtin: GTIN_A }],
    ['location', 'LOC:A-01-02', { kind: 'location', locationId: 'A-01-02' }],
    ['location, any case, AIM prefix', ']C0loc:b-7', { kind: 'location', locationId: 'b-7' }],
    ['location, configured prefix', 'BIN Z9', { kind: 'location', locationId: 'Z9' }],
    ['list id', 'IN-1', { kind: 'reference', value: 'IN-1' }],
    ['S10 parcel', 'EA123456785CN', { kind: 'reference', value: 'EA123456785CN' }],
  ] as const)('%s', (_name, text, expected) => {
    expect(readWarehouseLabel(text, cfg)).toEqual(expected);
  });

  it.each([
    ['location without id', 'LOC:'],
    ['location with spaces', 'LOC:A 01'],
    ['free text', 'hello world!'],
    ['GS1-128 SSCC with a bad check digit', ']C100350123450000000017'],
    ['GS1 without SSCC or GTIN', ']C11012345'],
  ])('%s is rejected with a reason', (_name, text) => {
    const r = readWarehouseLabel(text, cfg);
    expect(r.kind).toBe('rejected');
    expect(r.kind === 'rejected' && r.reason.length).toBeGreaterThan(0);
  });

  it('a GS-less item label whose lot may hide a serial is rejected as ambiguous, never stocked with a wrong lot', () => {
    const r = readWarehouseLabel(`]C1${item(GTIN_A)}10LOT4221SN0001`, cfg);
    expect(r).toMatchObject({ kind: 'rejected' });
    expect(r.kind === 'rejected' && r.reason).toMatch(/^ambiguous: .*\(10\)LOT42 \(21\)SN0001/);
  });
});

describe('batch/lot (AI 10) for traceability', () => {
  const lotItem = (gtin: string, lot: string) => `]C1${item(gtin)}10${lot}`;

  it('a received carton carries its content GTIN and lot; a plain item its GTIN and no lot', () => {
    const p = play([scan('IN-1'), scan(`]C1${carton(SSCC1)}02${GTIN_A}10LOT-A`), scan(item(GTIN_A))]);
    const [cartonTx, itemTx] = payloads(p.events);
    expect(cartonTx).toMatchObject({ op: 'receive', outcome: 'ok', sscc: SSCC1, gtin: GTIN_A, lot: 'LOT-A', listId: 'IN-1', qty: 12 });
    expect(itemTx).toMatchObject({ op: 'receive', gtin: GTIN_A });
    expect(itemTx).not.toHaveProperty('lot');
  });

  it('two lots of one GTIN keep separate counted records, and both count against the line', () => {
    // IN-1 line 3 expects 2 of GTIN_A: lot A ×2 fills it, so the lot B item is over_quantity, on its own record.
    const p = play([scan('IN-1'), scan(lotItem(GTIN_A, 'A')), scan(lotItem(GTIN_A, 'A')), scan(lotItem(GTIN_A, 'B'))]);
    expect(payloads(p.events).map((e) => [e.lot, e.outcome, e.qty])).toEqual([
      ['A', 'ok', 1],
      ['A', 'ok', 2],
      ['B', 'over_quantity', 1],
    ]);
    const ids = new Set(payloads(p.events).map((e) => e.transactionId));
    expect(ids.size).toBe(2);
    expect([...ids].every((id) => id.includes(`${GTIN_A}/L`))).toBe(true);
  });

  it('a plain item keeps its transactionId without a lot (ids of events already journalled stay stable)', () => {
    const p = play([scan('IN-1'), scan(item(GTIN_A))]);
    expect(lastPayload(p)!.transactionId).toBe(`bonded:receive:IN-1:${GTIN_A}#2@${T0 + 1000}`);
  });

  it('a pick carries GTIN, lot and the order: what the hub links to the parcel', () => {
    const p = play([mode('pick'), scan('OUT-1'), scan(lotItem(GTIN_A, 'LOT-7')), scan(lotItem(GTIN_B, 'X1'))]);
    expect(payloads(p.events).map((e) => [e.op, e.orderNo, e.gtin, e.lot, e.outcome])).toEqual([
      ['pick', 'ORD-1', GTIN_A, 'LOT-7', 'ok'],
      ['pick', 'ORD-1', GTIN_B, 'X1', 'ok'],
    ]);
  });

  it('putaway of goods scanned with a lot keeps it', () => {
    const p = play([scan('IN-1'), mode('putaway'), scan(lotItem(GTIN_A, 'A')), scan('LOC:A-02-01')]);
    expect(lastPayload(p)).toMatchObject({ op: 'putaway', outcome: 'ok', gtin: GTIN_A, lot: 'A', locationId: 'A-02-01' });
  });

  it.each([
    ['no gtin nor lot (events journalled before this field existed)', {}, true],
    ['a 14-digit GTIN and a set-82 lot', { gtin: GTIN_A, lot: "L-1/2'A" }, true],
    ['a GTIN-13', { gtin: GTIN_A.slice(1) }, false],
    ['a lot of 21 characters', { lot: 'L'.repeat(21) }, false],
    ['a lot with a space', { lot: 'L 1' }, false],
  ])('the payload schema: %s', (_name, extra, valid) => {
    const payload = { transactionId: 't-1', warehouse: 'bonded', op: 'receive', outcome: 'ok', ...extra };
    expect(Payloads['warehouse.transaction'].safeParse(payload).success).toBe(valid);
  });
});

describe('transaction ids', () => {
  it('are derived from what they are about and bounded to 128 characters', () => {
    expect(transactionIdOf(['bonded', 'receive', 'IN-1', SSCC1])).toBe(`bonded:receive:IN-1:${SSCC1}`);
    const long = transactionIdOf(['bonded', 'receive', 'L'.repeat(128), SSCC1]);
    expect(long.length).toBe(128);
    expect(long).toBe(transactionIdOf(['bonded', 'receive', 'L'.repeat(128), SSCC1]));
    expect(long).not.toBe(transactionIdOf(['bonded', 'receive', 'L'.repeat(128), SSCC2]));
  });
});

describe('receiving', () => {
  const open = [scan('IN-1')];
  it.each<{ name: string; steps: Step[]; expected: Partial<TransactionPayload> | null }>([
    {
      name: 'expected carton → ok, the carton line quantity',
      steps: [...open, scan(carton(SSCC1))],
      expected: { op: 'receive', outcome: 'ok', sscc: SSCC1, sku: 'SKU-A', qty: 12, listId: 'IN-1', orderNo: 'ENTRY-1', warehouse: 'bonded', cacheVersion: 7, transactionId: `bonded:receive:IN-1:${SSCC1}` },
    },
    { name: 'carton not on the list → unexpected', steps: [...open, scan(carton(SSCC_X))], expected: { outcome: 'unexpected', sscc: SSCC_X, qty: 1 } },
    {
      name: 'carton of a listed SKU by content GTIN, beyond its line → over_quantity',
      steps: [...open, scan(`${carton(SSCC3)}02${GTIN_A}3705`)],
      expected: { outcome: 'over_quantity', sscc: SSCC3, sku: '6901234567892', qty: 5 },
    },
    { name: 'expected item → ok', steps: [...open, scan(item(GTIN_A))], expected: { outcome: 'ok', sku: '6901234567892', qty: 1 } },
    { name: 'second item → the same line record, counted', steps: [...open, scan(item(GTIN_A)), scan(item(GTIN_A))], expected: { outcome: 'ok', qty: 2 } },
    {
      name: 'third item on a line of two → over_quantity, its own record',
      steps: [...open, scan(item(GTIN_A)), scan(item(GTIN_A)), scan(item(GTIN_A))],
      expected: { outcome: 'over_quantity', qty: 1, reason: 'expected 2 of 6901234567892, scanned more' },
    },
    { name: 'bare EAN-13 (scanner without AIM) counts as the GTIN', steps: [...open, scan(GTIN_A.slice(1))], expected: { outcome: 'ok', sku: '6901234567892' } },
    { name: 'item not on the list → unexpected', steps: [...open, scan(item(GTIN_C))], expected: { outcome: 'unexpected', sku: GTIN_C, qty: 1 } },
    {
      name: 'stable weight within tolerance → ok with both weights',
      steps: [...open, scan(carton(SSCC1)), weigh(6.2)],
      expected: { outcome: 'ok', weightKg: 6.2, expectedWeightKg: 6, transactionId: `bonded:receive:IN-1:${SSCC1}` },
    },
    {
      name: 'stable weight outside tolerance → weight_off, same transaction',
      steps: [...open, scan(carton(SSCC1)), weigh(7)],
      expected: { outcome: 'weight_off', weightKg: 7, expectedWeightKg: 6, transactionId: `bonded:receive:IN-1:${SSCC1}` },
    },
    {
      name: 're-weighed within tolerance → back to ok',
      steps: [...open, scan(carton(SSCC1)), weigh(7), weigh(6.1)],
      expected: { outcome: 'ok', weightKg: 6.1, expectedWeightKg: 6 },
    },
    { name: 'counted items weighed: expected = unit weight × count', steps: [...open, scan(item(GTIN_A)), scan(item(GTIN_A)), weigh(1.4)], expected: { outcome: 'weight_off', qty: 2, weightKg: 1.4, expectedWeightKg: 1 } },
    { name: 'unexpected carton weighed: weight recorded, outcome kept', steps: [...open, scan(carton(SSCC_X)), weigh(4)], expected: { outcome: 'unexpected', weightKg: 4 } },
    { name: 'a weight long after the scan attaches to nothing', steps: [...open, at(5000, scan(carton(SSCC1))), at(5000 + 61_000, weigh(7))], expected: null },
    { name: 'a weight before any scan attaches to nothing', steps: [...open, weigh(7)], expected: null },
    {
      name: 'a label that is neither SSCC, GTIN nor location → rejected with its reason',
      steps: [...open, scan('hello world!')],
      expected: { outcome: 'rejected', qty: 0, reason: 'label "hello world!" is not an SSCC, GTIN or location label: not a logisticsNo: only letters, digits and "-" are allowed' },
    },
    {
      name: 'an SSCC with a bad check digit (no AIM prefix: a plain number) → rejected',
      steps: [...open, scan('00350123450000000017')],
      expected: { outcome: 'rejected', qty: 0, reason: 'label "00350123450000000017" is not an SSCC, GTIN or location label: "00350123450000000017" is not a known list' },
    },
    { name: 'a plain number that is no list → rejected', steps: [...open, scan('SF1234567890')], expected: { outcome: 'rejected', reason: 'label "SF1234567890" is not an SSCC, GTIN or location label: "SF1234567890" is not a known list' } },
  ])('$name', ({ steps, expected }) => {
    const p = play(steps);
    if (expected === null) expect(p.last.events).toEqual([]);
    else expect(lastPayload(p)).toMatchObject(expected);
  });

  it('a re-scanned carton amends: same transactionId, same quantity, counted once', () => {
    const once = play([scan('IN-1'), scan(carton(SSCC1))]);
    const twice = play([scan('IN-1'), scan(carton(SSCC1)), scan(carton(SSCC1))]);
    expect(lastPayload(twice)).toEqual(lastPayload(once));
    expect(twice.events.map((e) => (e.payload as TransactionPayload).transactionId)).toEqual([`bonded:receive:IN-1:${SSCC1}`, `bonded:receive:IN-1:${SSCC1}`]);
    const session = twice.state.sessions['IN-1']!;
    expect(Object.keys(session.movements)).toEqual([`bonded:receive:IN-1:${SSCC1}`]);
    expect(twice.last.state.verdict).toMatchObject({ tone: 'go', zh: '收货完成', en: 'Received' });
    expect(twice.last.state.verdict?.detail).toContain('re-scan: amended');
  });

  it('a re-scanned serialised item amends; another serial counts', () => {
    const p = play([scan('IN-1'), scan(`${item(GTIN_A)}21SN1`), scan(`${item(GTIN_A)}21SN1`), scan(`${item(GTIN_A)}21SN2`), scan(`${item(GTIN_A)}21SN3`)]);
    expect(payloads(p.events).map((e) => [e.transactionId, e.outcome, e.qty])).toEqual([
      [`bonded:receive:IN-1:${GTIN_A}/SN1`, 'ok', 1],
      [`bonded:receive:IN-1:${GTIN_A}/SN1`, 'ok', 1],
      [`bonded:receive:IN-1:${GTIN_A}/SN2`, 'ok', 1],
      [`bonded:receive:IN-1:${GTIN_A}/SN3`, 'over_quantity', 1],
    ]);
  });

  it('a re-opened list keeps its tally; a list dropped from the station starts a new count without overwriting', () => {
    const cfg = WarehouseConfig.parse({ keepLists: 1 });
    const kept = play([scan('IN-1'), scan(item(GTIN_A)), mode('pick'), scan('OUT-NW'), mode('receive'), scan('IN-1'), scan(item(GTIN_A))]);
    expect(lastPayload(kept)).toMatchObject({ qty: 2, outcome: 'ok' });
    const dropped = play([scan('IN-1'), scan(item(GTIN_A)), mode('pick'), scan('OUT-NW'), mode('receive'), scan('IN-1'), scan(item(GTIN_A))], { cfg });
    const ids = payloads(dropped.events).map((e) => e.transactionId);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
    expect(Object.keys(dropped.state.sessions)).toEqual(['IN-1']);
  });

  it('the whole list received → the console says so', () => {
    const p = play([scan('IN-1'), scan(carton(SSCC1)), scan(carton(SSCC2)), scan(item(GTIN_A)), scan(item(GTIN_A))]);
    expect(warehouseDisplay(p.state).verdict).toMatchObject({ tone: 'go', zh: '整单收货完成', en: 'Inbound list complete', detail: '3/3 lines' });
  });

  it.each<{ name: string; steps: Step[]; verdict: { zh: string; en: string } }>([
    { name: 'unknown list id', steps: [scan('NO-SUCH-LIST')], verdict: { zh: '未知单号', en: 'Unknown list' } },
    { name: 'unknown list id selected from the console', steps: [{ kind: 'select', listId: 'NO-SUCH-LIST' }], verdict: { zh: '未知单号', en: 'Unknown list' } },
    { name: 'an outbound order in receiving', steps: [scan('OUT-1')], verdict: { zh: '单据类型不符', en: 'Wrong kind of list for this step' } },
    { name: "the overseas warehouse's list", steps: [scan('OV-IN')], verdict: { zh: '非本仓单据', en: 'List is for another warehouse' } },
    { name: 'goods before a list', steps: [scan(carton(SSCC1))], verdict: { zh: '请先扫描单号', en: 'Scan a list first' } },
    { name: 'a bad label before a list', steps: [scan('hello world!')], verdict: { zh: '无法识别的标签', en: 'Label not recognised' } },
  ])('$name: said, not recorded', ({ steps, verdict }) => {
    const p = play(steps);
    expect(p.events).toEqual([]);
    expect(p.state.phase).toBe('idle');
    expect(warehouseDisplay(p.state).verdict).toMatchObject({ tone: expect.stringMatching(/stop|wait/), ...verdict });
  });

  it('an unknown list on a stale cache says the cache is stale', () => {
    const p = play([scan('NO-SUCH-LIST')], { cache: stale });
    expect(p.state.verdict?.detail).toContain('cache stale');
  });

  it('on a stale cache it records and marks (does not fail closed)', () => {
    const p = play([scan('IN-1'), scan(carton(SSCC1))], { cache: stale });
    expect(lastPayload(p)).toMatchObject({ outcome: 'ok', cacheVersion: 5, cacheStale: true });
    const ok = play([scan('IN-1'), scan(carton(SSCC1))]);
    expect(lastPayload(ok)).not.toHaveProperty('cacheStale');
  });

  it('a cache that never synced is stale too', () => {
    const p = play([scan('IN-1'), scan(carton(SSCC1))], { cache: memoryCache({ version: 0, syncedAtMs: null, expected: lists }) });
    expect(lastPayload(p)).toMatchObject({ cacheVersion: 0, cacheStale: true });
  });
});

describe('putaway', () => {
  const open = [scan('IN-1'), mode('putaway')];
  it.each<{ name: string; steps: Step[]; expected: Partial<TransactionPayload> | null }>([
    {
      name: 'carton then its suggested location → ok',
      steps: [...open, scan(carton(SSCC1)), scan('LOC:A-01-01')],
      expected: { op: 'putaway', outcome: 'ok', sscc: SSCC1, sku: 'SKU-A', qty: 12, locationId: 'A-01-01', transactionId: `bonded:putaway:IN-1:${SSCC1}` },
    },
    {
      name: 'another location than suggested → wrong_location, still recorded',
      steps: [...open, scan(carton(SSCC1)), scan('LOC:B-09-09')],
      expected: { outcome: 'wrong_location', locationId: 'B-09-09', reason: 'suggested A-01-01, put away at B-09-09' },
    },
    {
      name: 'moved to the right location → the same transaction amended to ok',
      steps: [...open, scan(carton(SSCC1)), scan('LOC:B-09-09'), scan(carton(SSCC1)), scan('LOC:A-01-01')],
      expected: { outcome: 'ok', locationId: 'A-01-01', transactionId: `bonded:putaway:IN-1:${SSCC1}` },
    },
    { name: 'no suggestion on the line → any location is ok', steps: [...open, scan(carton(SSCC2)), scan('LOC:C-1')], expected: { outcome: 'ok', locationId: 'C-1', qty: 6 } },
    { name: 'an item to its suggested location', steps: [...open, scan(item(GTIN_A)), scan('LOC:A-02-01')], expected: { outcome: 'ok', qty: 1, locationId: 'A-02-01' } },
    { name: 'goods not on the list → unexpected', steps: [...open, scan(carton(SSCC_X)), scan('LOC:C-1')], expected: { outcome: 'unexpected', locationId: 'C-1' } },
    { name: 'a location before the goods', steps: [...open, scan('LOC:C-1')], expected: null },
    { name: 'a bad label → rejected', steps: [...open, scan('LOC:')], expected: { op: 'putaway', outcome: 'rejected', qty: 0 } },
  ])('$name', ({ steps, expected }) => {
    const p = play(steps);
    if (expected === null) expect(p.last.events).toEqual([]);
    else expect(lastPayload(p)).toMatchObject(expected);
  });

  it('switching receive → putaway keeps the inbound list; the goods wait for their location', () => {
    const p = play([...open, scan(carton(SSCC1))]);
    expect(p.state).toMatchObject({ phase: 'putaway', listId: 'IN-1', pending: { kind: 'carton', sscc: SSCC1 } });
    expect(warehouseDisplay(p.state).verdict).toMatchObject({ zh: '请扫描库位', en: 'Scan the location', detail: 'suggested A-01-01' });
  });
});

describe('picking a 1210 order', () => {
  const open = [mode('pick'), scan('OUT-1')];
  it.each<{ name: string; steps: Step[]; expected: Partial<TransactionPayload> }>([
    { name: 'item in the order → ok', steps: [...open, scan(item(GTIN_A))], expected: { op: 'pick', outcome: 'ok', sku: '6901234567892', qty: 1, orderNo: 'ORD-1', listId: 'OUT-1' } },
    { name: 'item not in the order → not_in_order', steps: [...open, scan(item(GTIN_C))], expected: { outcome: 'not_in_order', sku: GTIN_C, reason: 'not on the order OUT-1' } },
    { name: 'over-pick → over_quantity', steps: [...open, scan(item(GTIN_B)), scan(item(GTIN_B))], expected: { outcome: 'over_quantity', sku: GTIN_B, qty: 1 } },
    { name: 'after a location scan, picks name where from', steps: [...open, scan('LOC:P-01'), scan(item(GTIN_A))], expected: { outcome: 'ok', locationId: 'P-01' } },
  ])('$name', ({ steps, expected }) => {
    expect(lastPayload(play(steps))).toMatchObject(expected);
  });

  it('order complete when every line is picked, and the display says so', () => {
    const p = play([...open, scan(item(GTIN_A)), scan(item(GTIN_B))]);
    expect(warehouseDisplay(p.state).verdict).toMatchObject({ tone: 'go', zh: '已拣货', en: 'Picked', detail: '1/2 lines' });
    const done = play([...open, scan(item(GTIN_A)), scan(item(GTIN_B)), scan(item(GTIN_A))]);
    expect(warehouseDisplay(done.state).verdict).toMatchObject({ tone: 'go', zh: '拣货完成', en: 'Order complete', detail: '2/2 lines' });
  });

  it('an inbound list is refused in picking', () => {
    const p = play([mode('pick'), scan('IN-1')]);
    expect(p.events).toEqual([]);
    expect(p.state).toMatchObject({ phase: 'idle', mode: 'pick' });
  });
});

describe('packing', () => {
  // OUT-1: 1 + 0.8 kg of goods + 0.2 kg packaging = 2.0 kg; tolerance max(5 %, 0.05 kg) + 0.1 kg packaging
  const open = [mode('pack'), scan('OUT-1')];
  it.each<{ name: string; steps: Step[]; expected: Partial<TransactionPayload> }>([
    { name: 'within tolerance → ok', steps: [...open, weigh(2.15)], expected: { op: 'pack', outcome: 'ok', qty: 3, weightKg: 2.15, expectedWeightKg: 2, transactionId: 'bonded:pack:OUT-1' } },
    { name: 'outside → weight_off', steps: [...open, weigh(2.25)], expected: { outcome: 'weight_off', weightKg: 2.25, expectedWeightKg: 2, reason: 'packed 2.25 kg, expected 2 kg' } },
    { name: 're-weighed → the same transaction amended', steps: [...open, weigh(2.6), weigh(2.0)], expected: { outcome: 'ok', weightKg: 2, transactionId: 'bonded:pack:OUT-1' } },
    { name: 'no expected weights → recorded, not compared', steps: [mode('pack'), scan('OUT-NW'), weigh(5)], expected: { outcome: 'ok', weightKg: 5, reason: 'no expected weight on every line: weight recorded, not compared' } },
  ])('$name', ({ steps, expected }) => {
    expect(lastPayload(play(steps))).toMatchObject(expected);
  });

  it('pick → pack keeps the order', () => {
    const p = play([mode('pick'), scan('OUT-1'), mode('pack'), weigh(2)]);
    expect(p.state).toMatchObject({ phase: 'packing', listId: 'OUT-1' });
    expect(lastPayload(p)).toMatchObject({ op: 'pack', outcome: 'ok' });
    expect(warehouseDisplay(p.state)).toMatchObject({ verdict: { tone: 'go', zh: '打包完成', en: 'Packed' }, weightKg: 2 });
  });
});

describe('the desk', () => {
  it('events carry the signed-in operator', () => {
    const p = play([{ kind: 'operator', operatorId: 'op-7' }, scan('IN-1'), scan(carton(SSCC1))]);
    expect(lastPayload(p)).toMatchObject({ operatorId: 'op-7' });
    const out = play([{ kind: 'operator', operatorId: 'op-7' }, { kind: 'operator', operatorId: null }, scan('IN-1'), scan(carton(SSCC1))]);
    expect(lastPayload(out)).not.toHaveProperty('operatorId');
  });

  it('with requireOperator, scans wait for a sign-in', () => {
    const cfg = WarehouseConfig.parse({ requireOperator: true });
    const p = play([scan('IN-1')], { cfg });
    expect(p.state).toMatchObject({ phase: 'idle', verdict: { zh: '请先登录', en: 'Sign in first' } });
  });

  it('a weight the schema cannot carry is refused', () => {
    const p = play([scan('IN-1'), scan(carton(SSCC1)), weigh(-0.02)]);
    expect(p.last.events).toEqual([]);
    expect(p.state.verdict).toMatchObject({ zh: '重量无效', en: 'Weight not usable' });
  });

  it('the verdict goes back to the prompt on its timer, not before', () => {
    const cfg = WarehouseConfig.parse({ verdictHoldMs: 3000 });
    const p = play([scan('IN-1')], { cfg });
    expect(p.last.commands).toEqual([{ kind: 'timer', id: 'verdict', atMs: T0 + 1000 + 3000 }]);
    const early = decideWarehouse(p.state, { kind: 'timer', id: 'verdict' }, T0 + 2000, fresh, cfg);
    expect(early.state.verdict).not.toBeNull();
    const due = decideWarehouse(p.state, { kind: 'timer', id: 'verdict' }, T0 + 4000, fresh, cfg);
    expect(due).toMatchObject({ commands: [], events: [] });
    expect(warehouseDisplay(due.state).verdict).toEqual({ tone: 'wait', zh: '收货：请扫描货物', en: 'Receiving: scan cartons or items', detail: 'IN-1' });
  });

  it('shows bilingual recent lines (most recent first), the last codes and the weight', () => {
    const p = play([scan('IN-1'), scan(carton(SSCC1)), scan(carton(SSCC_X)), weigh(4)]);
    const d = warehouseDisplay(p.state);
    expect(d.recent.map((l) => [l.zh, l.tone])).toEqual([
      ['不在入库单', 'stop'],
      ['不在入库单', 'stop'],
      ['收货完成', 'go'],
      ['收货：请扫描货物', 'wait'],
    ]);
    expect(d.recent[2]!.en).toBe('Received · 1/3 lines');
    expect(d.lastCodes).toEqual([carton(SSCC_X), carton(SSCC1), 'IN-1']);
    expect(d.weightKg).toBe(4);
  });

  it('the idle display prompts for the mode', () => {
    expect(warehouseDisplay(initialWarehouseState('pack')).verdict).toEqual({ tone: 'idle', zh: '请扫描出库订单（打包）', en: 'Scan an outbound order to pack' });
  });

  it('is pure: the same state and input give the same decision, the input state is untouched', () => {
    const before = play([scan('IN-1'), scan(item(GTIN_A))]).state;
    const frozen = structuredClone(before);
    const deepFreeze = (o: unknown): void => {
      if (o && typeof o === 'object') {
        Object.freeze(o);
        for (const v of Object.values(o)) deepFreeze(v);
      }
    };
    deepFreeze(before);
    const a = decideWarehouse(before, scan(item(GTIN_A)), T0 + 9000, fresh, config);
    const b = decideWarehouse(before, scan(item(GTIN_A)), T0 + 9000, fresh, config);
    expect(a).toEqual(b);
    expect(before).toEqual(frozen);
    expect(JSON.parse(JSON.stringify(a.state))).toEqual(a.state);
  });
});
