import { describe, expect, it } from 'vitest';
import { encodeHlc } from '../../shared/hlc.ts';
import { EdgeEvent, type NewEvent } from '../../shared/schemas/events.ts';
import { identifiersOf, mergeHits, normalEpc, normalSscc, planSearch, type KeyHit } from './identifiers.ts';

const edge = (e: NewEvent, wallMs = 1_790_000_000_000): EdgeEvent =>
  EdgeEvent.parse({
    ...e,
    id: '0190e5d4-0000-7000-8000-000000000001',
    gatewayId: 'GW-1',
    seq: 1,
    time: { wallMs, hlc: encodeHlc({ l: wallMs, c: 0 }), bootId: 'b', uptimeMs: 1, clockSynced: true },
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
  });

describe('what a query string could be', () => {
  it.each([
    ['EA123456785CN', ['EA123456785CN']],
    ['  EA1234 ', ['EA1234']],
    // An SSCC as a GS1 barcode reads it: AI (00) in brackets or run on.
    ['(00)123456789012345675', ['(00)123456789012345675', '123456789012345675']],
    ['00123456789012345675', ['00123456789012345675', '123456789012345675']],
    // 18 digits are an SSCC and, being hex, an EPC too: both forms are the same text.
    ['123456789012345675', ['123456789012345675']],
    // An EPC typed in lower case is looked up as the reader reports it.
    ['3034257bf7194e4000001a85', ['3034257bf7194e4000001a85', '3034257BF7194E4000001A85']],
    ['ORD-2026-0001', ['ORD-2026-0001']],
  ])('%s', (q, identifiers) => {
    expect(planSearch(q)).toEqual({ text: q.trim(), identifiers });
  });

  it('normalises SSCCs and EPCs and refuses what they are not', () => {
    expect(normalSscc('(00) 1234 5678 9012 3456 75')).toBe('123456789012345675');
    expect(normalSscc('12345678901234567')).toBeNull(); // 17 digits
    expect(normalSscc('01123456789012345675')).toBeNull(); // AI (01) is a GTIN, not an SSCC
    expect(normalEpc('3034 257B')).toBe('3034257B');
    expect(normalEpc('3034257')).toBeNull(); // shorter than the 8 hex digits rfid.sighting allows
    expect(normalEpc('EA123456785CN')).toBeNull();
  });
});

describe('identifiers an edge event ties to a parcel', () => {
  const at = { gatewayId: 'GW-1', stationId: 'WH-1', atMs: 1_790_000_000_000 };
  it('a warehouse pick ties its SSCC, list and order to the parcel it names', () => {
    const e = edge({ type: 'warehouse.transaction', stationId: 'WH-1', parcelKey: 'EA1', payload: { transactionId: 't1', warehouse: 'bonded', op: 'pick', outcome: 'ok', sscc: '123456789012345675', listId: 'L-9', orderNo: 'O-1' } });
    expect(identifiersOf('GW-1', e)).toEqual([
      { value: '123456789012345675', kind: 'sscc', parcelKey: 'EA1', orderNo: 'O-1', ...at },
      { value: 'L-9', kind: 'listId', parcelKey: 'EA1', orderNo: 'O-1', ...at },
      { value: 'O-1', kind: 'orderNo', parcelKey: 'EA1', orderNo: '', ...at },
    ]);
  });

  it('a carton with no parcel key, or that is itself the subject, ties through its order only', () => {
    const unnamed = edge({ type: 'warehouse.transaction', stationId: 'WH-1', payload: { transactionId: 't2', warehouse: 'bonded', op: 'pack', outcome: 'ok', sscc: '123456789012345675', orderNo: 'O-2' } });
    expect(identifiersOf('GW-1', unnamed)).toEqual([{ value: '123456789012345675', kind: 'sscc', parcelKey: '', orderNo: 'O-2', ...at }]);
    const pallet = edge({ type: 'warehouse.transaction', stationId: 'WH-1', parcelKey: '123456789012345675', payload: { transactionId: 't3', warehouse: 'bonded', op: 'ship', outcome: 'ok', sscc: '123456789012345675', orderNo: 'O-3' } });
    expect(identifiersOf('GW-1', pallet)).toEqual([
      { value: '123456789012345675', kind: 'sscc', parcelKey: '', orderNo: 'O-3', ...at },
      { value: 'O-3', kind: 'orderNo', parcelKey: '123456789012345675', orderNo: '', ...at },
    ]);
    // Neither a parcel nor an order: nothing to tie.
    expect(identifiersOf('GW-1', edge({ type: 'warehouse.transaction', stationId: 'WH-1', payload: { transactionId: 't4', warehouse: 'bonded', op: 'receive', outcome: 'ok', sscc: '123456789012345675' } }))).toEqual([]);
  });

  it('scans and line passes tie codes other than the key, each labelled by what it is', () => {
    const line = { gatewayId: 'GW-1', stationId: 'LINE-1', atMs: 1_790_000_000_000 };
    expect(identifiersOf('GW-1', edge({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: 'EA1', payload: { code: 'EA1', source: 'scanner' } }))).toEqual([]);
    expect(identifiersOf('GW-1', edge({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: 'EA1', payload: { code: '3034257BF7194E4000001A85', source: 'rfid' } }))).toEqual([{ value: '3034257BF7194E4000001A85', kind: 'epc', parcelKey: 'EA1', orderNo: '', ...line }]);
    expect(identifiersOf('GW-1', edge({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: 'EA1', payload: { code: '(00)123456789012345675', source: 'camera' } }))).toEqual([{ value: '123456789012345675', kind: 'sscc', parcelKey: 'EA1', orderNo: '', ...line }]);
    const inspected = edge({ type: 'parcel.inspected', stationId: 'LINE-1', parcelKey: 'EA1', payload: { transactionId: 'x', lineId: 'L1', outcome: 'ok', codes: ['EA1', 'JD0042'], hubDecision: 'released', lane: 'release', reasons: [] } });
    expect(identifiersOf('GW-1', inspected)).toEqual([{ value: 'JD0042', kind: 'code', parcelKey: 'EA1', orderNo: '', ...line }]);
  });

  it('an rfid sighting ties its EPC when it names a parcel; a gate passage its slip; other events nothing', () => {
    expect(identifiersOf('GW-1', edge({ type: 'rfid.sighting', stationId: 'PORTAL', parcelKey: 'EA1', payload: { epc: 'ABCDEF0123' } }))).toMatchObject([{ value: 'ABCDEF0123', kind: 'epc', parcelKey: 'EA1' }]);
    expect(identifiersOf('GW-1', edge({ type: 'rfid.sighting', stationId: 'PORTAL', payload: { epc: 'ABCDEF0123' } }))).toEqual([]);
    expect(identifiersOf('GW-1', edge({ type: 'gate.passed', stationId: 'GATE-1', parcelKey: 'EA1', payload: { laneId: 'OUT-1', direction: 'out', slipNo: 'Z5301E260000000000101' } }))).toMatchObject([{ value: 'Z5301E260000000000101', kind: 'slipNo', parcelKey: 'EA1' }]);
    expect(identifiersOf('GW-1', edge({ type: 'parcel.weighed', stationId: 'LINE-1', parcelKey: 'EA1', payload: { grossWeightKg: 1, stable: true } }))).toEqual([]);
  });
});

describe('merging lookups into one page', () => {
  const h = (parcelKey: string, kind: KeyHit['kind'] = 'orderNo', value = 'O'): KeyHit => ({ parcelKey, kind, value });

  it('orders by key in byte order, joins what matched, and says when there is more', () => {
    const page = mergeHits([[h('B', 'parcelKeyPrefix', 'B'), h('C', 'parcelKeyPrefix', 'B')], [h('B', 'sscc', '1')], [h('A')]], 2);
    expect(page).toEqual({
      items: [
        { parcelKey: 'A', matched: [{ kind: 'orderNo', value: 'O' }] },
        { parcelKey: 'B', matched: [{ kind: 'parcelKeyPrefix', value: 'B' }, { kind: 'sscc', value: '1' }] },
      ],
      more: true,
    });
    expect(mergeHits([[h('A'), h('B')], []], 2).more).toBe(false);
    // Byte order, as the databases sort: upper case before lower, digits before letters.
    expect(mergeHits([[h('a'), h('B'), h('1')]], 5).items.map((i) => i.parcelKey)).toEqual(['1', 'B', 'a']);
  });

  it('a lookup cut at limit + 1 bounds the page: nothing past its last key is claimed complete', () => {
    // Lookup 1 had more than 2 (it stopped at C); lookup 2 reached past it. The page is A, B; the next starts after B.
    const page = mergeHits([[h('A'), h('B'), h('C')], [h('B', 'sscc'), h('D', 'sscc')]], 2);
    expect(page.items.map((i) => i.parcelKey)).toEqual(['A', 'B']);
    expect(page.items[1]!.matched).toHaveLength(2);
    expect(page.more).toBe(true);
  });
});
