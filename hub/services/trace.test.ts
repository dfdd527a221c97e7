import { describe, expect, it } from 'vitest';
import { isBondgateError } from '../../shared/errors.ts';
import type { EdgeEvent, NewEvent } from '../../shared/schemas/events.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { ExportInventoryList, InventoryList, type CustomsDocument } from '../customs/documents.ts';
import { generateParcel } from '../customs/generate-docs.ts';
import { bulkInsertSyntheticItems, syntheticIndexes, syntheticItem } from '../repos/trace-fixtures.ts';
import { openTraceRepo } from '../repos/trace.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import type { Storage } from '../storage/storage.ts';
import { TraceService, traceOrderOf } from './trace.ts';

// Valid GTINs (GS1 check digits): G1 is declared on lists as its EAN-13, the way platforms write barCode.
const G1 = '06901234567892';
const G2 = '06901234567908';
const G3 = '06901234567915';
const G4 = '05901234123457';
const EAN_G1 = G1.slice(1);

const buyers = {
  su: { buyerIdNumber: '33010619831213027x', buyerName: '苏芳', buyerTelephone: '18914449259' },
  li: { buyerIdNumber: '110101199003074518', buyerName: '李伟', buyerTelephone: '13800138000' },
};

/** An import inventory list for one order/parcel with the given barcoded lines (hand-made on a generated base). */
function importList(orderNo: string, parcelKey: string, buyer: (typeof buyers)[keyof typeof buyers], lines: { barCode: string; qty: number }[]): CustomsDocument {
  const base = generateParcel({ seed: 3 }, 0).set.inventory;
  const proto = base.lines[0]!;
  return InventoryList.parse({
    ...base,
    orderNo,
    logisticsNo: parcelKey,
    copNo: `C-${orderNo}`,
    ...buyer,
    lines: lines.map((l, i) => ({ ...proto, gnum: i + 1, barCode: l.barCode, qty: l.qty })),
  });
}

const exportList = (orderNo: string, parcelKey: string, barCode: string): CustomsDocument =>
  ExportInventoryList.parse({
    kind: 'exportInventory', customsCode: '2991', ebpCode: '3301960A01', ebpName: '云海跨境电商平台', orderNo, logisticsCode: '3301980H21', logisticsName: '鹏程速递有限公司',
    logisticsNo: parcelKey, copNo: `E-${orderNo}`, portCode: '2991', ieDate: '20250301', statisticsFlag: 'B', agentCode: '3301980L31', agentName: '杭州关通报关有限公司',
    ebcCode: '3301968D11', ebcName: '杭州云海供应链管理有限公司', ownerCode: '3301968D11', ownerName: '杭州云海供应链管理有限公司', tradeMode: '9610', trafMode: '5', country: '502',
    POD: '5024', freight: 3, fCurrency: '502', insuredFee: 0, iCurrency: '502', wrapType: '2', packNo: 1, grossWeight: 0.3, netWeight: 0.25,
    lines: [{ gnum: 1, itemNo: 'TS-01', gcode: '6109100022', gname: '棉质T恤', gmodel: '针织 棉100%', barCode, country: '502', currency: '502', qty: 2, qty1: 2, unit: '011', unit1: '011', price: 12.5, totalPrice: 25 }],
  });

type Tx = { transactionId: string; op: 'receive' | 'pick' | 'pack'; gtin?: string; lot?: string; listId?: string; orderNo?: string; sscc?: string; qty?: number; outcome?: 'ok' | 'over_quantity' | 'rejected' };
const tx = (t: Tx): NewEvent => ({
  type: 'warehouse.transaction',
  stationId: 'WH-1',
  payload: { warehouse: 'bonded', outcome: 'ok', ...t },
});
const events = (j: JournalBuilder, list: Tx[]): EdgeEvent[] => list.map((t) => j.next(tx(t)).event as EdgeEvent);

const setup = async (s: Storage) => {
  const repo = openTraceRepo(s.sql);
  await repo.migrate();
  let now = 1_760_000_000_000;
  return { repo, service: new TraceService({ repo, now: () => (now += 1000) }) };
};

eachStore('traceability', (store) => {
  it('a lot received via two entry lists and picked into three orders: traced forward to parcels and buyers, and back', async () => {
    const { service } = await setup(store());
    const zone1 = new JournalBuilder('GW-ZONE-1');
    const zone2 = new JournalBuilder('GW-ZONE-2');

    // Inbound: lot L-1 arrives on two entry lists at two sites; lot L-2 on the second only.
    const inbound1 = events(zone1, [
      { transactionId: 'bonded:receive:ENTRY-A:350123450000000016', op: 'receive', gtin: G1, lot: 'L-1', listId: 'ENTRY-A', sscc: '350123450000000016', qty: 12 },
      { transactionId: 'bonded:receive:ENTRY-A:rejected', op: 'receive', gtin: G1, lot: 'L-9', listId: 'ENTRY-A', qty: 0, outcome: 'rejected' },
    ]);
    const inbound2 = events(zone2, [
      { transactionId: 'bonded:receive:ENTRY-B:350123450000000023', op: 'receive', gtin: G1, lot: 'L-1', listId: 'ENTRY-B', sscc: '350123450000000023', qty: 6 },
      { transactionId: 'bonded:receive:ENTRY-B:350123450000000030', op: 'receive', gtin: G1, lot: 'L-2', listId: 'ENTRY-B', sscc: '350123450000000030', qty: 6 },
    ]);
    await service.projection.apply('GW-ZONE-1', inbound1);
    await service.projection.apply('GW-ZONE-2', inbound2);

    // Three orders declare G1 (as EAN-13); O-2 declares two units, picked from two lots. O-1 also has an unpicked G2.
    await service.onDocuments([
      importList('O-1', 'PARCEL-1', buyers.su, [{ barCode: EAN_G1, qty: 1 }, { barCode: G2, qty: 1 }]),
      importList('O-2', 'PARCEL-2', buyers.li, [{ barCode: EAN_G1, qty: 2 }]),
      importList('O-3', 'PARCEL-3', buyers.su, [{ barCode: EAN_G1, qty: 1 }, { barCode: 'INTERNAL-7', qty: 5 }]),
    ]);
    const picks = events(zone1, [
      { transactionId: 'bonded:pick:OUT-1:G1/L-1', op: 'pick', gtin: G1, lot: 'L-1', orderNo: 'O-1', listId: 'OUT-1' },
      { transactionId: 'bonded:pick:OUT-2:G1/L-1', op: 'pick', gtin: G1, lot: 'L-1', orderNo: 'O-2', listId: 'OUT-2' },
      { transactionId: 'bonded:pick:OUT-2:G1/L-2', op: 'pick', gtin: G1, lot: 'L-2', orderNo: 'O-2', listId: 'OUT-2' },
      { transactionId: 'bonded:pick:OUT-3:G1/L-1', op: 'pick', gtin: G1, lot: 'L-1', orderNo: 'O-3', listId: 'OUT-3' },
      // a pick without a lot tells nothing new; an over-quantity scan was put back
      { transactionId: 'bonded:pick:OUT-1:G2', op: 'pick', gtin: G2, orderNo: 'O-1', listId: 'OUT-1' },
      { transactionId: 'bonded:pick:OUT-3:G1/L-7:over', op: 'pick', gtin: G1, lot: 'L-7', orderNo: 'O-3', listId: 'OUT-3', outcome: 'over_quantity' },
    ]);
    await service.projection.apply('GW-ZONE-1', picks);

    // Forward, one lot: the three parcels, two buyers, both entry lists and sites.
    const lot1 = await service.byProduct({ gtin: G1, lot: 'L-1', limit: 50 });
    expect(lot1.parcels.map((p) => [p.parcelKey, p.orderNo, p.lot, p.qty, p.source])).toEqual([
      ['PARCEL-1', 'O-1', 'L-1', 1, 'pick'],
      ['PARCEL-2', 'O-2', 'L-1', 1, 'pick'],
      ['PARCEL-3', 'O-3', 'L-1', 1, 'pick'],
    ]);
    expect(lot1.totals).toEqual({ links: 3, parcels: 3, orders: 3, buyers: 2, qty: 3 });
    expect(lot1.inbound.map((i) => [i.lot, i.entryListId, i.site, i.qty])).toEqual([
      ['L-1', 'ENTRY-A', 'GW-ZONE-1', 12],
      ['L-1', 'ENTRY-B', 'GW-ZONE-2', 6],
    ]);
    expect(lot1.nextCursor).toBeNull();
    // Buyers masked: the ID keeps region and last 4 (normalised: trailing X upper case), the name its first character.
    expect(lot1.parcels[0]!.buyer).toEqual({ idMasked: '330***********027X', nameMasked: '苏*' });
    const json = JSON.stringify(lot1);
    for (const b of Object.values(buyers)) for (const v of Object.values(b)) expect(json).not.toContain(v);

    // Forward, no lot given: every lot, lot-unknown links first, and the per-lot summary.
    const all = await service.byProduct({ gtin: G1, limit: 50 });
    expect(all.parcels.map((p) => [p.lot, p.parcelKey])).toEqual([
      ['L-1', 'PARCEL-1'],
      ['L-1', 'PARCEL-2'],
      ['L-1', 'PARCEL-3'],
      ['L-2', 'PARCEL-2'],
    ]);
    expect(all.lots).toEqual([
      { lot: 'L-1', parcels: 3, qty: 3 },
      { lot: 'L-2', parcels: 1, qty: 1 },
    ]);
    expect(all.totals).toMatchObject({ parcels: 3, orders: 3, buyers: 2, qty: 4 });
    expect(all.inbound.map((i) => [i.lot, i.entryListId])).toEqual([
      ['L-1', 'ENTRY-A'],
      ['L-1', 'ENTRY-B'],
      ['L-2', 'ENTRY-B'],
    ]);
    // G2 was declared but never scanned with a lot: linked with the lot unknown.
    expect((await service.byProduct({ gtin: G2, limit: 50 })).parcels).toEqual([expect.objectContaining({ parcelKey: 'PARCEL-1', lot: null, qty: 1, source: 'list' })]);

    // Back from a parcel: its lots, and for each lot the entry lists and sites it came through.
    const back = await service.byParcel('PARCEL-2');
    expect(back?.orders).toEqual([expect.objectContaining({ orderNo: 'O-2', direction: 'import', buyer: { idMasked: '110***********4518', nameMasked: '李*' } })]);
    expect(back?.items.map((i) => [i.gtin, i.lot, i.qty, i.inbound.map((x) => `${x.entryListId}@${x.site}`), i.inboundIsCandidates])).toEqual([
      [G1, 'L-1', 1, ['ENTRY-A@GW-ZONE-1', 'ENTRY-B@GW-ZONE-2'], false],
      [G1, 'L-2', 1, ['ENTRY-B@GW-ZONE-2'], false],
    ]);
    // A lot not known: every lot the GTIN came in with, marked as candidates.
    const p1 = await service.byParcel('PARCEL-1');
    expect(p1?.items.find((i) => i.gtin === G2)).toMatchObject({ lot: null, inbound: [], inboundIsCandidates: true });
    expect(await service.byParcel('NO-SUCH-PARCEL')).toBeNull();

    // Redelivered events and a resent list change nothing.
    await service.projection.apply('GW-ZONE-1', [...inbound1, ...picks]);
    await service.projection.apply('GW-ZONE-2', inbound2);
    await service.onDocuments([importList('O-2', 'PARCEL-2', buyers.li, [{ barCode: EAN_G1, qty: 2 }])]);
    const again = await service.byProduct({ gtin: G1, limit: 50 });
    expect({ ...again, parcels: again.parcels.map(({ atMs: _a, ...p }) => p) }).toEqual({ ...all, parcels: all.parcels.map(({ atMs: _a, ...p }) => p) });
  });

  it('pages a product by cursor, with the same totals on every page', async () => {
    const { service } = await setup(store());
    const j = new JournalBuilder('GW-PAGE');
    const docs = ['A', 'B', 'C', 'D', 'E'].map((x) => importList(`PO-${x}`, `PP-${x}`, buyers.li, [{ barCode: G3, qty: 1 }]));
    await service.onDocuments(docs);
    await service.projection.apply('GW-PAGE', events(j, ['A', 'B', 'C'].map((x) => ({ transactionId: `pick:${x}`, op: 'pick', gtin: G3, lot: 'P1', orderNo: `PO-${x}` }))));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service.byProduct({ gtin: G3, limit: 2, ...(cursor !== undefined && { cursor }) });
      expect(page.totals).toMatchObject({ parcels: 5, orders: 5, buyers: 1 });
      seen.push(...page.parcels.map((p) => `${p.lot ?? '?'}:${p.parcelKey}`));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    // Lot-unknown links (D, E) sort first, then lot P1.
    expect(seen).toEqual(['?:PP-D', '?:PP-E', 'P1:PP-A', 'P1:PP-B', 'P1:PP-C']);
    const oneLot = await service.byProduct({ gtin: G3, lot: 'P1', limit: 2 });
    const next = await service.byProduct({ gtin: G3, lot: 'P1', limit: 2, cursor: oneLot.nextCursor! });
    expect([...oneLot.parcels, ...next.parcels].map((p) => p.parcelKey)).toEqual(['PP-A', 'PP-B', 'PP-C']);
    expect(next.nextCursor).toBeNull();
    await expect(service.byProduct({ gtin: G3, limit: 2, cursor: 'not-a-cursor' })).rejects.toSatisfy((e) => isBondgateError(e, 'VALIDATION_FAILED'));
  });

  it('a pick before the list: linked to the order, the parcel filled in when the list arrives; amendments and old replays', async () => {
    const { service } = await setup(store());
    const j = new JournalBuilder('GW-EARLY');
    const first = events(j, [{ transactionId: 'pick:O-9:G2/LX', op: 'pick', gtin: G2, lot: 'LX', orderNo: 'O-9', qty: 1 }]);
    await service.projection.apply('GW-EARLY', first);
    expect((await service.byProduct({ gtin: G2, lot: 'LX', limit: 10 })).parcels).toEqual([expect.objectContaining({ parcelKey: null, orderNo: 'O-9', qty: 1, buyer: null })]);

    await service.onDocuments([importList('O-9', 'PARCEL-9', buyers.su, [{ barCode: G2, qty: 3 }])]);
    const amended = events(j, [{ transactionId: 'pick:O-9:G2/LX', op: 'pick', gtin: G2, lot: 'LX', orderNo: 'O-9', qty: 2 }]);
    await service.projection.apply('GW-EARLY', amended);
    // The replay of the older amendment (lower seq) arrives after the newer one: it does not win.
    await service.projection.apply('GW-EARLY', first);
    const back = await service.byParcel('PARCEL-9');
    // Lot-unknown first, as in a product page.
    expect(back?.items.map((i) => [i.lot, i.qty, i.source])).toEqual([
      [null, 1, 'list'],
      ['LX', 2, 'pick'],
    ]);
  });

  it('export lists link parcels without a buyer; lines whose barCode is no GTIN are not linked', async () => {
    const { service } = await setup(store());
    await service.onDocuments([exportList('EX-1', 'EXP-PARCEL-1', G4), exportList('EX-2', 'EXP-PARCEL-2', '无')]);
    const g4 = await service.byProduct({ gtin: G4, limit: 10 });
    expect(g4.parcels).toEqual([expect.objectContaining({ parcelKey: 'EXP-PARCEL-1', orderNo: 'EX-1', qty: 2, buyer: null })]);
    expect(g4.totals).toMatchObject({ parcels: 1, buyers: 0 });
    // The parcel is known (its order), with nothing traceable on it.
    expect(await service.byParcel('EXP-PARCEL-2')).toEqual({ parcelKey: 'EXP-PARCEL-2', orders: [expect.objectContaining({ orderNo: 'EX-2', direction: 'export', buyer: null })], items: [] });
  });
});

describe('traceOrderOf', () => {
  it('keys the buyer by the SHA-256 of the normalised ID: the same person however the ID was typed', () => {
    const a = traceOrderOf(importList('K-1', 'KP-1', buyers.su, [{ barCode: G1, qty: 1 }]), 0)!;
    const b = traceOrderOf(importList('K-2', 'KP-2', { ...buyers.su, buyerIdNumber: ' 33010619831213027X' }, [{ barCode: G1, qty: 1 }]), 0)!;
    expect(a.buyer!.key).toMatch(/^[0-9a-f]{64}$/);
    expect(a.buyer!.key).toBe(b.buyer!.key);
  });
});

// A million links: the product query is an index walk. Timing is measured in bench/trace.bench.ts, not here.
eachStore('traceability at 1,000,000 parcels', (store) => {
  const N = 1_000_000;
  it('finds exactly one lot’s parcels among a million links, and a parcel’s goods', async () => {
    const s = store();
    const { service } = await setup(s);
    await bulkInsertSyntheticItems(s.sql, N);
    const expected = syntheticIndexes(N, 7, 3).map((i) => syntheticItem(i));
    const target = expected[0]!;
    expect(expected).toHaveLength(50);

    const page = await service.byProduct({ gtin: target.gtin, lot: target.lot, limit: 500 });
    expect(page.parcels.map((p) => p.parcelKey)).toEqual(expected.map((e) => e.parcelKey));
    expect(page.totals).toEqual({ links: 50, parcels: 50, orders: 50, buyers: new Set(expected.map((e) => e.buyerKey)).size, qty: 50 });
    expect(page.nextCursor).toBeNull();

    const back = await service.byParcel(target.parcelKey);
    expect(back?.items.map((i) => [i.gtin, i.lot, i.orderNo])).toEqual([[target.gtin, target.lot, target.orderNo]]);
  }, 180_000);
});
