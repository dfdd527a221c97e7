import { describe, expect, it } from 'vitest';
import { EdgeEvent, Payloads } from '../schemas/events.ts';
import { ExpectedList, StationRules } from './feed.ts';
import { memoryCache, type CacheView, type Decision, type StationEvent } from './types.ts';
import {
  applyDeltas,
  decideOverseas,
  initialOverseasState,
  OverseasConfig,
  overseasDisplay,
  stockOf,
  type OverseasInput,
  type OverseasState,
  type StockLedger,
} from './overseas.ts';
import type { TransactionPayload } from './warehouse.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures (GS1 check digits computed with gs1CheckDigit)
// ---------------------------------------------------------------------------------------------

const T0 = 1_750_000_000_000;
const SSCC1 = '350123450000000016';
const SSCC2 = '350123450000000023';
const SSCC3 = '350123450000000030';
const GTIN_A = '06901234567892';
const GTIN_B = '06901234567908';
const GTIN_C = '06901234567915';
const PARCEL = 'EA123456785CN';
const carton = (sscc: string) => `00${sscc}`;
const item = (gtin: string) => `01${gtin}`;

const IN1 = ExpectedList.parse({
  listId: 'OIN-1',
  kind: 'inbound',
  warehouse: 'overseas',
  orderNo: 'W-BOOK-1',
  items: [
    { sscc: SSCC1, sku: GTIN_A, qty: 10, expectedWeightKg: 5, locationId: 'S-01' },
    { sscc: SSCC2, sku: GTIN_B, qty: 4, locationId: 'S-02' },
    { sku: GTIN_B, qty: 2 },
  ],
});
const OUT1 = ExpectedList.parse({
  listId: 'OOUT-1',
  kind: 'outbound',
  warehouse: 'overseas',
  orderNo: 'W-ORD-1',
  items: [
    { sku: GTIN_A, qty: 3, locationId: 'S-01' },
    { sku: GTIN_B, qty: 1 },
  ],
});
/** A return notice keyed by the parcel's S10 number: scanning the parcel finds it. */
const RET1 = ExpectedList.parse({ listId: PARCEL, kind: 'return', warehouse: 'overseas', orderNo: 'W-ORD-0', items: [{ sku: GTIN_A, qty: 1, parcelKey: PARCEL }] });
const BONDED_IN = ExpectedList.parse({ listId: 'B-IN', kind: 'inbound', warehouse: 'bonded', items: [{ sscc: SSCC1, qty: 1 }] });

const rules = StationRules.parse({ rulesId: 'r-1', validFromMs: 0, validToMs: 9_000_000_000_000 });
const lists = [IN1, OUT1, RET1, BONDED_IN];
const fresh = memoryCache({ version: 11, syncedAtMs: T0, rules, expected: lists });
const stale = memoryCache({ version: 9, syncedAtMs: T0 - 3_600_000, rules, expected: lists });
const config = OverseasConfig.parse({});

/** Stock on the shelves before picking. */
const SHELVES: StockLedger = { [GTIN_A]: { 'S-01': 5, RETURNS: 1 }, [GTIN_B]: { 'S-02': 1 } };

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Mode = 'inbound' | 'putaway' | 'pick' | 'ship' | 'return';
const scan = (text: string): OverseasInput => ({ kind: 'scan', text });
const weigh = (weightKg: number): OverseasInput => ({ kind: 'weight', weightKg });
const mode = (m: Mode): OverseasInput => ({ kind: 'select', mode: m });
const reason = (r: string): OverseasInput => ({ kind: 'select', reason: r });
const condition = (c: 'sellable' | 'damaged' | 'opened' | 'missing_parts'): OverseasInput => ({ kind: 'select', condition: c });

function assertValid(events: StationEvent[]): void {
  for (const e of events) {
    expect(e.type).toBe('warehouse.transaction');
    const payload = Payloads['warehouse.transaction'].safeParse(e.payload);
    expect(payload.success, JSON.stringify(payload.error?.issues)).toBe(true);
    const envelope = {
      id: '0190b9d8-7d5e-7000-8000-0000000000ab',
      gatewayId: 'GW-9',
      seq: 1,
      stationId: 'OW-1',
      time: { wallMs: 1, hlc: '000000000000001.00000', bootId: 'b', uptimeMs: 1, clockSynced: true },
      prevHash: '0'.repeat(64),
      hash: '1'.repeat(64),
    };
    const full = EdgeEvent.safeParse({ ...envelope, ...e });
    expect(full.success, JSON.stringify(full.error?.issues)).toBe(true);
  }
}

function negatives(ledger: StockLedger): string[] {
  return Object.entries(ledger).flatMap(([sku, at]) => Object.entries(at).filter(([, n]) => !(n > 0)).map(([loc, n]) => `${sku}@${loc}=${n}`));
}

interface Played {
  state: OverseasState;
  last: Decision<OverseasState>;
  events: StationEvent[];
}

function play(inputs: OverseasInput[], o: { cache?: CacheView; ledger?: StockLedger; mode?: Mode } = {}): Played {
  let state = initialOverseasState({ ...(o.ledger && { ledger: o.ledger }), ...(o.mode && { mode: o.mode }) });
  let last: Decision<OverseasState> = { state, commands: [], events: [] };
  const events: StationEvent[] = [];
  inputs.forEach((input, i) => {
    last = decideOverseas(state, input, T0 + (i + 1) * 1000, o.cache ?? fresh, config);
    assertValid(last.events);
    expect(negatives(last.state.ledger)).toEqual([]); // stock is never negative (nor a stored zero)
    state = last.state;
    events.push(...last.events);
  });
  return { state, last, events };
}

const payloads = (events: StationEvent[]) => events.map((e) => e.payload as TransactionPayload);
const lastPayload = (p: Played) => payloads(p.last.events).at(-1);
const at = (p: Played, sku: string) => Object.fromEntries(stockOf(p.state, sku).byLocation.map((l) => [l.locationId, l.qty]));

// ---------------------------------------------------------------------------------------------

describe('inbound (9810 stock arriving by SSCC)', () => {
  const open = [scan('OIN-1')];
  it.each<{ name: string; inputs: OverseasInput[]; expected: Partial<TransactionPayload>; stock: [string, Record<string, number>][] }>([
    {
      name: 'expected carton → ok, on the dock',
      inputs: [...open, scan(carton(SSCC1))],
      expected: { op: 'receive', outcome: 'ok', warehouse: 'overseas', sscc: SSCC1, sku: GTIN_A, qty: 10, cacheVersion: 11, transactionId: `overseas:receive:OIN-1:${SSCC1}` },
      stock: [[GTIN_A, { DOCK: 10 }]],
    },
    {
      name: 're-scanned carton → amended, stock not doubled',
      inputs: [...open, scan(carton(SSCC1)), scan(carton(SSCC1))],
      expected: { outcome: 'ok', qty: 10, transactionId: `overseas:receive:OIN-1:${SSCC1}` },
      stock: [[GTIN_A, { DOCK: 10 }]],
    },
    {
      name: 'carton not on the list → unexpected, into quarantine',
      inputs: [...open, scan(`${carton(SSCC3)}02${GTIN_C}3703`)],
      expected: { outcome: 'unexpected', sscc: SSCC3, sku: GTIN_C, qty: 3 },
      stock: [[GTIN_C, { QUARANTINE: 3 }]],
    },
    {
      name: 'more items than the line → over_quantity; the surplus into quarantine',
      inputs: [...open, scan(item(GTIN_B)), scan(item(GTIN_B)), scan(item(GTIN_B))],
      expected: { outcome: 'over_quantity', sku: GTIN_B, qty: 1 },
      stock: [[GTIN_B, { DOCK: 2, QUARANTINE: 1 }]],
    },
    {
      name: 'carton weighed outside tolerance → weight_off, still on the dock',
      inputs: [...open, scan(carton(SSCC1)), weigh(6)],
      expected: { outcome: 'weight_off', weightKg: 6, expectedWeightKg: 5, transactionId: `overseas:receive:OIN-1:${SSCC1}` },
      stock: [[GTIN_A, { DOCK: 10 }]],
    },
    {
      name: 'a label that is neither SSCC, GTIN nor location → rejected, no stock',
      inputs: [...open, scan('not a label')],
      expected: { outcome: 'rejected', qty: 0, reason: 'label "not a label" is not an SSCC, GTIN or location label: not a logisticsNo: only letters, digits and "-" are allowed' },
      stock: [],
    },
  ])('$name', ({ inputs, expected, stock }) => {
    const p = play(inputs);
    expect(lastPayload(p)).toMatchObject(expected);
    for (const [sku, where] of stock) expect(at(p, sku)).toEqual(where);
    if (stock.length === 0) expect(p.state.ledger).toEqual({});
  });

  it('on a stale cache it records and marks', () => {
    expect(lastPayload(play([scan('OIN-1'), scan(carton(SSCC1))], { cache: stale }))).toMatchObject({ outcome: 'ok', cacheVersion: 9, cacheStale: true });
  });

  it.each([
    ['unknown list id', 'NO-SUCH', { zh: '未知单号', en: 'Unknown list' }],
    ["the bonded warehouse's list", 'B-IN', { zh: '非本仓单据', en: 'List is for another warehouse' }],
    ['an outbound order', 'OOUT-1', { zh: '单据类型不符', en: 'Wrong kind of list for this step' }],
  ])('%s: said, not recorded', (_name, text, verdict) => {
    const p = play([scan(text)]);
    expect(p.events).toEqual([]);
    expect(overseasDisplay(p.state).verdict).toMatchObject({ tone: 'stop', ...verdict });
  });
});

describe('putaway (dock → location)', () => {
  const received = [scan('OIN-1'), scan(carton(SSCC1)), mode('putaway')];
  it.each<{ name: string; inputs: OverseasInput[]; expected: Partial<TransactionPayload>; stock: Record<string, number> }>([
    { name: 'to the suggested location → ok', inputs: [...received, scan(carton(SSCC1)), scan('LOC:S-01')], expected: { op: 'putaway', outcome: 'ok', qty: 10, locationId: 'S-01' }, stock: { 'S-01': 10 } },
    {
      name: 'elsewhere → wrong_location, the stock is where it was put',
      inputs: [...received, scan(carton(SSCC1)), scan('LOC:X-9')],
      expected: { outcome: 'wrong_location', locationId: 'X-9', reason: 'suggested S-01, put away at X-9' },
      stock: { 'X-9': 10 },
    },
    {
      name: 'moved to the right place → amended, the stock moves (not duplicated)',
      inputs: [...received, scan(carton(SSCC1)), scan('LOC:X-9'), scan(carton(SSCC1)), scan('LOC:S-01')],
      expected: { outcome: 'ok', locationId: 'S-01', transactionId: `overseas:putaway:OIN-1:${SSCC1}` },
      stock: { 'S-01': 10 },
    },
    {
      name: 'a carton never received → rejected: the dock would go below zero',
      inputs: [scan('OIN-1'), mode('putaway'), scan(carton(SSCC1)), scan('LOC:S-01')],
      expected: { outcome: 'rejected', qty: 10, reason: `would take ${GTIN_A} at DOCK below zero: 0 there, 10 needed`, transactionId: `overseas:putaway:OIN-1:${SSCC1}:rejected` },
      stock: {},
    },
  ])('$name', ({ inputs, expected, stock }) => {
    const p = play(inputs);
    expect(lastPayload(p)).toMatchObject(expected);
    expect(at(p, GTIN_A)).toEqual(stock);
  });
});

describe('picking (shelf → staging), stock never negative', () => {
  const open = [mode('pick'), scan('OOUT-1')];
  it.each<{ name: string; inputs: OverseasInput[]; expected: Partial<TransactionPayload>; stock: Record<string, number> }>([
    { name: 'from the suggested location', inputs: [...open, scan(item(GTIN_A))], expected: { op: 'pick', outcome: 'ok', qty: 1, locationId: 'S-01', orderNo: 'W-ORD-1' }, stock: { 'S-01': 4, RETURNS: 1, 'STAGING/OOUT-1': 1 } },
    { name: 'from a scanned location', inputs: [...open, scan('LOC:RETURNS'), scan(item(GTIN_A))], expected: { outcome: 'ok', locationId: 'RETURNS' }, stock: { 'S-01': 5, 'STAGING/OOUT-1': 1 } },
    {
      name: 'from a scanned location without the stock → rejected',
      inputs: [...open, scan('LOC:S-09'), scan(item(GTIN_A))],
      expected: { outcome: 'rejected', qty: 1, locationId: 'S-09', reason: `would take ${GTIN_A} at S-09 below zero: 0 there, 1 needed` },
      stock: { 'S-01': 5, RETURNS: 1 },
    },
    { name: 'from quarantine → rejected', inputs: [...open, scan('LOC:QUARANTINE'), scan(item(GTIN_A))], expected: { outcome: 'rejected', reason: 'QUARANTINE is not a pick location' }, stock: { 'S-01': 5, RETURNS: 1 } },
    { name: 'item not in the order → not_in_order, no stock moved', inputs: [...open, scan(item(GTIN_C))], expected: { outcome: 'not_in_order', sku: GTIN_C }, stock: { 'S-01': 5, RETURNS: 1 } },
    {
      name: 'over-pick → over_quantity, no stock moved',
      inputs: [...open, scan(item(GTIN_A)), scan(item(GTIN_A)), scan(item(GTIN_A)), scan(item(GTIN_A))],
      expected: { outcome: 'over_quantity', qty: 1 },
      stock: { 'S-01': 2, RETURNS: 1, 'STAGING/OOUT-1': 3 },
    },
  ])('$name', ({ inputs, expected, stock }) => {
    const p = play(inputs, { ledger: SHELVES });
    expect(lastPayload(p)).toMatchObject(expected);
    expect(at(p, GTIN_A)).toEqual(stock);
  });

  it('with no pickable stock left → rejected with the reason, never below zero', () => {
    const p = play([...open, scan(item(GTIN_B)), scan(item(GTIN_B))], { ledger: { [GTIN_B]: { QUARANTINE: 2 } } });
    expect(payloads(p.events).map((e) => [e.outcome, e.reason])).toEqual([
      ['rejected', `no pickable stock of ${GTIN_B} (1 needed)`],
      ['rejected', `no pickable stock of ${GTIN_B} (1 needed)`],
    ]);
    expect(stockOf(p.state, GTIN_B)).toEqual({ sku: GTIN_B, total: 2, available: 0, byLocation: [{ locationId: 'QUARANTINE', qty: 2 }] });
  });

  it('many scans against little stock: the ledger never goes negative and nothing is created or lost', () => {
    const p = play([...open, ...Array.from({ length: 12 }, () => scan(item(GTIN_A))), scan('LOC:S-01'), scan(item(GTIN_A))], { ledger: { [GTIN_A]: { 'S-01': 2 } } });
    expect(at(p, GTIN_A)).toEqual({ 'STAGING/OOUT-1': 2 });
    // counted picks carry their running total: the last amendment of each transaction is what was picked
    const picked = new Map(payloads(p.events).filter((e) => e.outcome === 'ok').map((e) => [e.transactionId, e.qty ?? 0]));
    expect([...picked.values()].reduce((n, q) => n + q, 0)).toBe(2);
    expect(payloads(p.events).filter((e) => e.outcome === 'rejected')).toHaveLength(11);
  });

  it('order complete when every line is picked', () => {
    const p = play([...open, scan(item(GTIN_A)), scan(item(GTIN_A)), scan(item(GTIN_B)), scan(item(GTIN_A))], { ledger: SHELVES });
    expect(overseasDisplay(p.state).verdict).toMatchObject({ tone: 'go', zh: '拣货完成', en: 'Order complete' });
  });
});

describe('shipping (staging → out)', () => {
  const picked = [mode('pick'), scan('OOUT-1'), scan(item(GTIN_A)), scan(item(GTIN_A)), scan(item(GTIN_A)), scan(item(GTIN_B))];
  it('an order not fully picked → rejected with what is missing', () => {
    const p = play([mode('pick'), scan('OOUT-1'), scan(item(GTIN_A)), mode('ship'), scan('OOUT-1')], { ledger: SHELVES });
    expect(lastPayload(p)).toMatchObject({ op: 'ship', outcome: 'rejected', reason: `not fully picked: ${GTIN_A} 1/3, ${GTIN_B} 0/1`, transactionId: 'overseas:ship:OOUT-1:rejected' });
    expect(at(p, GTIN_A)).toMatchObject({ 'STAGING/OOUT-1': 1 });
  });

  it('a fully picked order ships: staging emptied, a re-scan amends without shipping twice', () => {
    const once = play([...picked, mode('ship'), scan('OOUT-1')], { ledger: SHELVES });
    expect(lastPayload(once)).toMatchObject({ op: 'ship', outcome: 'ok', qty: 4, listId: 'OOUT-1', orderNo: 'W-ORD-1', transactionId: 'overseas:ship:OOUT-1' });
    expect(at(once, GTIN_A)).toEqual({ 'S-01': 2, RETURNS: 1 });
    expect(at(once, GTIN_B)).toEqual({});
    const twice = play([...picked, mode('ship'), scan('OOUT-1'), scan('OOUT-1')], { ledger: SHELVES });
    expect(lastPayload(twice)).toEqual(lastPayload(once));
    expect(twice.state.ledger).toEqual(once.state.ledger);
    expect(overseasDisplay(twice.state).verdict).toMatchObject({ tone: 'go', zh: '已发货', en: 'Shipped' });
  });
});

describe('returns (退货)', () => {
  const parcel = [mode('return'), scan(PARCEL)];
  it.each<{ name: string; inputs: OverseasInput[]; expected: Partial<TransactionPayload>[]; stock: Record<string, number> }>([
    {
      name: 'sellable → back to stock at the returns location',
      inputs: [...parcel, reason('customer_refused'), condition('sellable')],
      expected: [{ op: 'return', outcome: 'ok', sku: GTIN_A, qty: 1, condition: 'sellable', reason: 'customer_refused', locationId: 'RETURNS', listId: PARCEL, orderNo: 'W-ORD-0' }],
      stock: { RETURNS: 1 },
    },
    {
      name: 'damaged → quarantine (condition chosen first)',
      inputs: [...parcel, condition('damaged'), reason('damaged_in_transit')],
      expected: [{ outcome: 'ok', condition: 'damaged', reason: 'damaged_in_transit', locationId: 'QUARANTINE' }],
      stock: { QUARANTINE: 1 },
    },
    {
      name: 'condition corrected after recording → the same transaction amended, the stock moved',
      inputs: [...parcel, reason('wrong_item'), condition('sellable'), condition('opened')],
      expected: [{ outcome: 'ok', condition: 'opened', locationId: 'QUARANTINE', transactionId: `overseas:return:${PARCEL}:${GTIN_A}` }],
      stock: { QUARANTINE: 1 },
    },
    {
      name: 'a returned order with scanned items: listed → by condition, surplus and strangers → quarantine',
      inputs: [mode('return'), scan('OOUT-1'), scan(item(GTIN_A)), scan(item(GTIN_B)), scan(item(GTIN_B)), scan(item(GTIN_C)), reason('not_delivered'), condition('sellable')],
      expected: [
        { outcome: 'ok', sku: GTIN_A, qty: 1, locationId: 'RETURNS' },
        { outcome: 'ok', sku: GTIN_B, qty: 1, locationId: 'RETURNS' },
        { outcome: 'over_quantity', sku: GTIN_B, qty: 1, locationId: 'QUARANTINE', reason: 'not_delivered; OOUT-1 has 1' },
        { outcome: 'unexpected', sku: GTIN_C, qty: 1, locationId: 'QUARANTINE', reason: 'not_delivered; not on OOUT-1' },
      ],
      stock: { RETURNS: 1 },
    },
  ])('$name', ({ inputs, expected, stock }) => {
    const p = play(inputs);
    expect(payloads(p.last.events)).toMatchObject(expected);
    expect(at(p, GTIN_A)).toEqual(stock);
  });

  it('the parcel number is the event key', () => {
    const p = play([...parcel, reason('customer_refused'), condition('sellable')]);
    expect(p.last.events[0]).toMatchObject({ type: 'warehouse.transaction', parcelKey: PARCEL });
    expect(overseasDisplay(p.state).verdict).toMatchObject({ tone: 'go', zh: '退货入库', en: 'Returned to stock' });
    const q = play([...parcel, reason('customer_refused'), condition('missing_parts')]);
    expect(overseasDisplay(q.state).verdict).toMatchObject({ tone: 'wait', zh: '退货入隔离区', en: 'Returned to quarantine' });
  });

  it.each<{ name: string; inputs: OverseasInput[]; verdict: { zh: string; en: string } }>([
    { name: 'unknown parcel', inputs: [mode('return'), scan('EE000000014CN')], verdict: { zh: '未知单号', en: 'Unknown list' } },
    { name: 'a reason before the parcel', inputs: [mode('return'), reason('customer_refused')], verdict: { zh: '请先扫描退货包裹', en: 'Scan the returned parcel first' } },
    { name: 'a reason not configured', inputs: [...parcel, reason('changed_mind')], verdict: { zh: '退货原因不在列表中', en: 'Not a configured return reason' } },
    { name: 'only the reason', inputs: [...parcel, reason('customer_refused')], verdict: { zh: '请选择货物状态', en: 'Choose the condition' } },
    { name: 'an item after recording', inputs: [...parcel, reason('customer_refused'), condition('sellable'), scan(item(GTIN_A))], verdict: { zh: '退货已登记，请扫描下一个包裹', en: 'Return recorded: scan the next parcel' } },
  ])('$name: said, not recorded', ({ inputs, verdict }) => {
    const p = play(inputs);
    expect(p.last.events).toEqual([]);
    expect(overseasDisplay(p.state).verdict).toMatchObject(verdict);
  });

  it('a configurable list of reasons', () => {
    const cfg = OverseasConfig.parse({ returnReasons: ['changed_mind'] });
    let state = initialOverseasState({ mode: 'return' });
    for (const [i, input] of [scan(PARCEL), reason('changed_mind'), condition('sellable')].entries()) state = decideOverseas(state, input, T0 + i, fresh, cfg).state;
    expect(stockOf(state, GTIN_A, cfg).available).toBe(1);
  });
});

describe('the ledger and the console', () => {
  it('stockOf: by location, total and what can be picked', () => {
    const p = play([], { ledger: { [GTIN_A]: { 'S-01': 5, RETURNS: 1, QUARANTINE: 2, DOCK: 3, 'STAGING/O-9': 4 } } });
    expect(stockOf(p.state, GTIN_A)).toEqual({
      sku: GTIN_A,
      total: 15,
      available: 6,
      byLocation: [
        { locationId: 'DOCK', qty: 3 },
        { locationId: 'QUARANTINE', qty: 2 },
        { locationId: 'RETURNS', qty: 1 },
        { locationId: 'S-01', qty: 5 },
        { locationId: 'STAGING/O-9', qty: 4 },
      ],
    });
    expect(stockOf(p.state, 'constructor')).toEqual({ sku: 'constructor', total: 0, available: 0, byLocation: [] });
  });

  it.each<{ name: string; ledger: StockLedger; deltas: { sku: string; locationId: string; qty: number }[]; result: unknown }>([
    { name: 'adds', ledger: {}, deltas: [{ sku: 'A', locationId: 'L', qty: 2 }], result: { ledger: { A: { L: 2 } } } },
    { name: 'moves', ledger: { A: { L: 2 } }, deltas: [{ sku: 'A', locationId: 'L', qty: -2 }, { sku: 'A', locationId: 'M', qty: 2 }], result: { ledger: { A: { M: 2 } } } },
    { name: 'refuses below zero, all or nothing', ledger: { A: { L: 1 } }, deltas: [{ sku: 'A', locationId: 'M', qty: 5 }, { sku: 'A', locationId: 'L', qty: -2 }], result: { short: { sku: 'A', locationId: 'L', have: 1, need: 2 } } },
  ])('applyDeltas $name', ({ ledger, deltas, result }) => {
    expect(applyDeltas(ledger, deltas)).toEqual(result);
  });

  it('prompts per mode, bilingual', () => {
    expect(overseasDisplay(initialOverseasState({ mode: 'return' })).verdict).toEqual({ tone: 'idle', zh: '请扫描退货包裹', en: 'Scan the returned parcel or its order' });
    const p = play([mode('pick'), scan('OOUT-1')]);
    expect(overseasDisplay(p.state).verdict).toMatchObject({ zh: '拣货：请扫描货物', en: 'Picking: scan a location or the items', detail: 'OOUT-1 · 0/2 lines' });
  });

  it('is pure: same state and input → same decision; the input state is untouched; the state is JSON', () => {
    const before = play([mode('pick'), scan('OOUT-1')], { ledger: SHELVES }).state;
    const copy = structuredClone(before);
    const a = decideOverseas(before, scan(item(GTIN_A)), T0 + 9000, fresh, config);
    const b = decideOverseas(before, scan(item(GTIN_A)), T0 + 9000, fresh, config);
    expect(a).toEqual(b);
    expect(before).toEqual(copy);
    expect(JSON.parse(JSON.stringify(a.state))).toEqual(a.state);
  });
});
