import { describe, expect, it } from 'vitest';
import { Payloads } from '../../shared/schemas/events.ts';
import { applyToBook, emptyStockBook, foldTransaction, type StockBook, type WarehouseTransaction } from './stock.ts';

const A = '06901234567892';
const B = '06901234567908';

type TxInput = Partial<WarehouseTransaction> & Pick<WarehouseTransaction, 'transactionId' | 'op'>;
const tx = (t: TxInput): WarehouseTransaction => Payloads['warehouse.transaction'].parse({ warehouse: 'overseas', outcome: 'ok', sku: A, qty: 1, ...t });

// The transactions a day at the overseas warehouse produces (ids as the station builds them).
const receiveA10 = tx({ transactionId: 'overseas:receive:IN-1:350123450000000016', op: 'receive', qty: 10, listId: 'IN-1', sscc: '350123450000000016' });
const putawayA10 = (locationId: string) => tx({ transactionId: 'overseas:putaway:IN-1:350123450000000016', op: 'putaway', qty: 10, listId: 'IN-1', locationId });
const pickA = (qty: number, locationId?: string) => tx({ transactionId: `overseas:pick:OUT-1:${A}#0>${locationId ?? '-'}@1`, op: 'pick', qty, listId: 'OUT-1', orderNo: 'W-ORD-1', ...(locationId !== undefined && { locationId }) });
const shipOut1 = tx({ transactionId: 'overseas:ship:OUT-1', op: 'ship', qty: 3, listId: 'OUT-1', orderNo: 'W-ORD-1', sku: undefined });
const returnA = (condition: 'sellable' | 'damaged', locationId: string, key = A) =>
  tx({ transactionId: `overseas:return:RET-1:${key}`, op: 'return', qty: 1, listId: 'RET-1', orderNo: 'W-ORD-0', condition, locationId, reason: 'customer_refused' });

function replay(events: readonly WarehouseTransaction[]): StockBook {
  return events.reduce((book, e, i) => applyToBook(book, i + 1, e), emptyStockBook());
}
const level = (warehouse: 'bonded' | 'overseas', sku: string, locationId: string, qty: number, bucket: 'sellable' | 'quarantine' = 'sellable') => ({ warehouse, sku, locationId, bucket, qty });
const o = (sku: string, locationId: string, qty: number, bucket: 'sellable' | 'quarantine' = 'sellable') => level('overseas', sku, locationId, qty, bucket);
const sorted = (ls: StockBook['levels']) => [...ls].sort((x, y) => `${x.sku}${x.locationId}`.localeCompare(`${y.sku}${y.locationId}`));

describe('the stock fold: stations\' transactions → stock by warehouse, SKU, location and bucket', () => {
  const cases: [string, WarehouseTransaction[], ReturnType<typeof o>[]][] = [
    ['receive: goods land on the dock', [receiveA10], [o(A, 'DOCK', 10)]],
    ['receive unexpected goods: quarantine', [tx({ transactionId: 'overseas:receive:IN-1:x', op: 'receive', outcome: 'unexpected', qty: 2 })], [o(A, 'QUARANTINE', 2, 'quarantine')]],
    ['putaway: dock → location', [receiveA10, putawayA10('S-01')], [o(A, 'S-01', 10)]],
    ['putaway amended to another location: moved, not doubled', [receiveA10, putawayA10('S-01'), putawayA10('S-02')], [o(A, 'S-02', 10)]],
    ['pick: location → the order\'s staging', [receiveA10, putawayA10('S-01'), pickA(3, 'S-01')], [o(A, 'S-01', 7), o(A, 'STAGING/OUT-1', 3)]],
    ['a counted pick amended upward applies only the difference', [receiveA10, putawayA10('S-01'), pickA(1, 'S-01'), pickA(2, 'S-01'), pickA(3, 'S-01')], [o(A, 'S-01', 7), o(A, 'STAGING/OUT-1', 3)]],
    ['ship: the staged goods leave', [receiveA10, putawayA10('S-01'), pickA(3, 'S-01'), shipOut1], [o(A, 'S-01', 7)]],
    ['a ship re-scanned (same transaction, new event) takes nothing more', [receiveA10, putawayA10('S-01'), pickA(3, 'S-01'), shipOut1, shipOut1], [o(A, 'S-01', 7)]],
    ['a sellable return goes back to stock', [returnA('sellable', 'RETURNS')], [o(A, 'RETURNS', 1)]],
    ['a damaged return goes to quarantine', [returnA('damaged', 'QUARANTINE')], [o(A, 'QUARANTINE', 1, 'quarantine')]],
    ['a return whose condition is corrected moves from quarantine to stock', [returnA('damaged', 'QUARANTINE'), returnA('sellable', 'RETURNS')], [o(A, 'RETURNS', 1)]],
    ['a return marked sellable but not on the list (unexpected) is quarantined', [tx({ ...returnA('sellable', 'QUARANTINE'), outcome: 'unexpected' })], [o(A, 'QUARANTINE', 1, 'quarantine')]],
    [
      'an amendment with a smaller quantity takes the surplus back',
      [tx({ transactionId: `overseas:receive:IN-1:${B}#2@1`, op: 'receive', sku: B, qty: 3 }), tx({ transactionId: `overseas:receive:IN-1:${B}#2@1`, op: 'receive', sku: B, qty: 2 })],
      [o(B, 'DOCK', 2)],
    ],
    ['rejected and pack transactions move nothing', [receiveA10, tx({ transactionId: 'r', op: 'pick', outcome: 'rejected', qty: 4, locationId: 'DOCK' }), tx({ transactionId: 'p', op: 'pack', qty: 10, sku: undefined })], [o(A, 'DOCK', 10)]],
  ];
  it.each(cases)('%s', (_title, events, expected) => {
    const book = replay(events);
    expect(sorted(book.levels)).toEqual(sorted(expected));
    expect(book.anomalies).toEqual([]);
  });

  it('a redelivered event (same seq) changes nothing, a later amendment does', () => {
    const book = replay([receiveA10, putawayA10('S-01')]);
    expect(applyToBook(book, 2, putawayA10('S-01'))).toBe(book);
    expect(applyToBook(book, 1, receiveA10)).toBe(book);
    // An older amendment replayed after a newer one is ignored too (start-up catch-up replays in any batch split).
    const moved = applyToBook(book, 3, putawayA10('S-02'));
    expect(applyToBook(moved, 2, putawayA10('S-01'))).toBe(moved);
    expect(sorted(moved.levels)).toEqual([o(A, 'S-02', 10)]);
  });

  it('a pick that would go below zero takes the location to zero and records a shortfall with the transaction id', () => {
    const book = replay([tx({ transactionId: 'rcv', op: 'receive', qty: 2 }), tx({ transactionId: 'put', op: 'putaway', qty: 2, locationId: 'S-01' }), pickA(5, 'S-01')]);
    expect(sorted(book.levels)).toEqual([o(A, 'STAGING/OUT-1', 5)]);
    expect(book.anomalies).toEqual([
      expect.objectContaining({ kind: 'below_zero', transactionId: pickA(5, 'S-01').transactionId, seq: 3, sku: A, locationId: 'S-01', bucket: 'sellable', haveQty: 2, wantedQty: 5 }),
    ]);
    // The receipt that was missing arrives later: the stock stays consistent from then on (never negative).
    const later = applyToBook(book, 4, tx({ transactionId: 'rcv2', op: 'receive', qty: 3 }));
    expect(later.levels.every((l) => l.qty > 0)).toBe(true);
  });

  it('a receive amended down after its goods were put away: the dock stops at zero and the shortfall is recorded', () => {
    const book = replay([receiveA10, putawayA10('S-01'), tx({ ...receiveA10, qty: 8 })]);
    expect(sorted(book.levels)).toEqual([o(A, 'S-01', 10)]);
    expect(book.anomalies).toEqual([expect.objectContaining({ kind: 'below_zero', locationId: 'DOCK', haveQty: 0, wantedQty: 2 })]);
  });

  it('a bonded pick without a location takes from storage before the returns location, and says so when there is too little', () => {
    const bonded = (t: TxInput) => tx({ warehouse: 'bonded', ...t });
    const book = replay([
      bonded({ transactionId: 'r1', op: 'receive', qty: 2 }),
      bonded({ transactionId: 'p1', op: 'putaway', qty: 2, locationId: 'S-09' }),
      tx({ transactionId: 'ret', op: 'return', qty: 1, condition: 'sellable', warehouse: 'bonded', locationId: 'RETURNS' }),
      bonded({ transactionId: 'pk', op: 'pick', qty: 2, listId: 'B-OUT' }),
    ]);
    expect(sorted(book.levels)).toEqual(sorted([level('bonded', A, 'RETURNS', 1), level('bonded', A, 'STAGING/B-OUT', 2)]));
    const short = applyToBook(book, 5, bonded({ transactionId: 'pk2', op: 'pick', qty: 3, listId: 'B-OUT2' }));
    expect(short.anomalies).toEqual([expect.objectContaining({ kind: 'no_pickable_stock', transactionId: 'pk2', haveQty: 1, wantedQty: 3 })]);
    expect(sorted(short.levels)).toEqual(sorted([level('bonded', A, 'STAGING/B-OUT', 2), level('bonded', A, 'STAGING/B-OUT2', 3)]));
  });

  it('goods moved without a SKU or a putaway without a location are reported, not dropped', () => {
    const book = replay([tx({ transactionId: 'x', op: 'receive', sku: undefined, qty: 4 }), tx({ transactionId: 'y', op: 'putaway', qty: 1 })]);
    expect(book.levels).toEqual([]);
    expect(book.anomalies.map((a) => [a.kind, a.transactionId, a.wantedQty])).toEqual([['no_sku', 'x', 4], ['no_location', 'y', 1]]);
  });

  it('foldTransaction reports what the transaction contributed, so the next amendment can diff against it', () => {
    const f = foldTransaction(putawayA10('S-01'), [], [o(A, 'DOCK', 10)]);
    expect(f.changes).toEqual([o(A, 'DOCK', -10), o(A, 'S-01', 10)]);
    expect(f.contribution).toEqual(f.changes);
    const g = foldTransaction(putawayA10('S-02'), f.contribution, [o(A, 'S-01', 10)]);
    expect(g.changes).toEqual([o(A, 'S-01', -10), o(A, 'S-02', 10)]);
    expect(g.contribution).toEqual([o(A, 'DOCK', -10), o(A, 'S-02', 10)]);
  });
});
