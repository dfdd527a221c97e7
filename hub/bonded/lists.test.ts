import { describe, expect, it } from 'vitest';
import { approvedExit, catalog, EMS } from './fixtures.ts';
import { applyMoves, balance, itemKey, newItem } from './ledger.ts';
import { applyListReceipt, consolidateExit, makeList, withPassage } from './lists.ts';
import type { ListReceipt } from './receipts.ts';
import { formatQty, parseQty, qtyOf } from './qty.ts';

describe('qty', () => {
  it.each([['0', 0n], ['12.5', 1_250_000n], ['0.00001', 1n], ['99999999999999.99999', 9_999_999_999_999_999_999n]])('%s', (t, q) => {
    expect(parseQty(t)).toBe(q);
    expect(formatQty(q)).toBe(t);
  });
  it.each(['-1', '1.000001', '1e3', '', ' 1', '123456789012345'])('refuses %j', (t) => expect(() => parseQty(t)).toThrow(RangeError));
  it('adds exactly where floats do not', () => expect(formatQty(parseQty('0.1') + parseQty('0.2'))).toBe('0.3'));
});

describe('making lists from what happened', () => {
  it('first-line entry from a tally: summed by item, declared, goods inside', () => {
    const m = makeList({ etpsInnerInvtNo: 'BG-I-1', emsNo: EMS, kind: 'first_line_in', lines: [{ sku: 'SKU-A', qty: 3 }, { sku: 'SKU-B', qty: 1 }, { sku: 'SKU-A', qty: 2 }], sources: ['tally-1'], nowMs: 1 }, catalog);
    expect(m.ok && m.list).toMatchObject({ impexpMarkcd: 'I', dclcusFlag: '1', entryReleased: false, vrfdedMarkcd: '0', lines: [{ gdsSeqno: 1, dclQty: '5' }, { gdsSeqno: 2, dclQty: '1' }], passedQty: { 1: '5', 2: '1' } });
  });
  it('a SKU not on the book is named, nothing guessed', () => {
    expect(makeList({ etpsInnerInvtNo: 'x', emsNo: EMS, kind: 'first_line_in', lines: [{ sku: 'NOPE', qty: 1 }], sources: [], nowMs: 1 }, catalog)).toEqual({ ok: false, problems: [{ sku: 'NOPE', problem: 'not_on_book' }] });
  });
  it('second-line exit consolidates released orders of the period only', () => {
    const r = consolidateExit('BG-E-9', EMS, [{ orderNo: 'O1', releasedMs: 10, lines: [{ sku: 'SKU-A', qty: 1 }] }, { orderNo: 'O2', releasedMs: 20, lines: [{ sku: 'SKU-A', qty: 2 }] }, { orderNo: 'O3', releasedMs: 30, lines: [{ sku: 'SKU-A', qty: 4 }] }], { fromMs: 10, toMs: 30 }, catalog, 40);
    expect(r.ok && r.list).toMatchObject({ kind: 'second_line_out', impexpMarkcd: 'E', dclcusFlag: '2', entryReleased: true, sources: ['O1', 'O2'], lines: [{ gdsSeqno: 1, dclQty: '3' }] });
  });
  it('transfers carry the other book', () => {
    const r = makeList({ etpsInnerInvtNo: 't', emsNo: EMS, kind: 'transfer_out', transferScope: 'inter', rltPutrecNo: 'T4403W000009', lines: [{ sku: 'SKU-B', qty: 1 }], sources: [], nowMs: 1 }, catalog);
    expect(r.ok && r.list).toMatchObject({ impexpMarkcd: 'E', transferScope: 'inter', rltPutrecNo: 'T4403W000009', dclcusFlag: '2' });
  });
});

describe('receipts drive the write-off flag and the book', () => {
  const book = new Map([...catalog.values()].map((r) => [itemKey(EMS, r.gdsSeqno), newItem({ ...r, openingQty: '20', storageLimitQty: null })]));
  const inv211: Extract<ListReceipt, { type: 'INV211' }> = { type: 'INV211', receiptId: 'r2', etpsInnerInvtNo: 'BG-E-1', bondInvtNo: 'QD530126E000000001', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlRedcQty: '10', actlIncQty: '0' }, { gdsSeqno: 2, actlRedcQty: '4', actlIncQty: '0' }] };
  it('INV201 approves and pre-deducts an exit (0 → 1)', () => {
    const declared = { ...approvedExit(), listStat: 'declared' as const, vrfdedMarkcd: '0' as const, bondInvtNo: null };
    const r = applyListReceipt(declared, { type: 'INV201', receiptId: 'r1', etpsInnerInvtNo: 'BG-E-1', bondInvtNo: 'QD530126E000000001', invtStucd: '0', vrfdedMarkcd: '1' }, 2);
    expect(r.ok && [r.list.listStat, r.list.vrfdedMarkcd, r.moves.map((m) => [m.kind, formatQty(m.qty), m.listNo, m.receiptId])]).toEqual(['approved', '1', [['prevd_redc', '10', 'QD530126E000000001', 'r1'], ['prevd_redc', '4', 'QD530126E000000001', 'r1']]]);
  });
  it.each([
    ['goods not through the gate', approvedExit(), 'not_passed'],
    ['declaration not released', { ...approvedExit(), entryReleased: false, passedQty: { 1: '10', 2: '4' } }, 'not_released'],
    ['list not approved', { ...approvedExit(), listStat: 'declared' as const }, 'not_approved'],
  ])('INV211 refused: %s', (_n, list, code) => {
    expect(applyListReceipt(list, inv211, 3)).toMatchObject({ ok: false, code });
  });
  it('INV211 after release and full passage: 1 → 2, actual decrease, pre-decrease released; then 3', () => {
    let l = approvedExit();
    l = withPassage(withPassage(l, 1, qtyOf(10), 2), 2, qtyOf(4), 2);
    const pre = applyListReceipt({ ...l, vrfdedMarkcd: '0', listStat: 'declared' }, { type: 'INV201', receiptId: 'r1', etpsInnerInvtNo: 'BG-E-1', invtStucd: '0', vrfdedMarkcd: '1' }, 2);
    if (!pre.ok) throw new Error('pre');
    const b1 = applyMoves(book, pre.moves);
    if (!b1.ok) throw new Error('b1');
    const booked = new Map(book);
    for (const i of b1.changed) booked.set(itemKey(i.emsNo, i.gdsSeqno), i);
    const r = applyListReceipt(pre.list, inv211, 3);
    if (!r.ok) throw new Error(r.detail);
    const b2 = applyMoves(booked, r.moves);
    expect(b2.ok && b2.changed.map((i) => [formatQty(balance(i)), formatQty(i.prevdRedcQty)])).toEqual([['10', '0'], ['16', '0']]);
    expect(r.list.vrfdedMarkcd).toBe('2');
    const off = applyListReceipt(r.list, { ...inv211, receiptId: 'r3', vrfdedMarkcd: '3' }, 4);
    expect(off.ok && [off.list.vrfdedMarkcd, off.moves.length]).toEqual(['3', 0]);
  });
  it('a receipt whose quantity differs from the list moves nothing', () => {
    const l = withPassage(withPassage(approvedExit(), 1, qtyOf(10), 2), 2, qtyOf(4), 2);
    expect(applyListReceipt(l, { ...inv211, lines: [{ gdsSeqno: 1, actlRedcQty: '9', actlIncQty: '0' }, inv211.lines[1]!] }, 3)).toMatchObject({ ok: false, code: 'line_mismatch' });
  });
  it('the ledger refuses to go negative or past the storage limit, all moves or none', () => {
    const small = new Map([[itemKey(EMS, 1), newItem({ ...catalog.get('SKU-A')!, openingQty: '5', storageLimitQty: '8' })]]);
    const mv = (kind: 'actl_redc' | 'prevd_inc', q: string) => ({ emsNo: EMS, gdsSeqno: 1, kind, qty: parseQty(q), listNo: 'L', receiptId: 'r', receiptType: 'INV211' as const, atMs: 1 });
    expect(applyMoves(small, [mv('actl_redc', '5.00001')])).toMatchObject({ ok: false, problems: [{ problem: 'negative', figure: 'balance' }, { problem: 'negative', figure: 'available' }] });
    expect(applyMoves(small, [mv('prevd_inc', '3.00001')])).toMatchObject({ ok: false, problems: [{ problem: 'over_limit' }] });
    expect(applyMoves(small, [mv('actl_redc', '5')]).ok).toBe(true);
    expect(applyMoves(small, [{ ...mv('actl_redc', '1'), gdsSeqno: 9 }])).toMatchObject({ ok: false, problems: [{ problem: 'unknown_item' }] });
    // A limit lowered below the balance: decreases pass, increases do not.
    const over = new Map([[itemKey(EMS, 1), { ...small.get(itemKey(EMS, 1))!, storageLimitQty: parseQty('4') }]]);
    expect(applyMoves(over, [mv('actl_redc', '0.5')]).ok).toBe(true);
    expect(applyMoves(over, [mv('prevd_inc', '0.5')])).toMatchObject({ ok: false, problems: [{ problem: 'over_limit' }] });
  });
});
