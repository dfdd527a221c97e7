import { expect, it } from 'vitest';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { createLogger } from '../../shared/log.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { documentKey, ExportInventoryList } from '../customs/documents.ts';
import { applyToBook, emptyStockBook, type WarehouseTransaction } from '../customs/stock.ts';
import { openReturnsRepo } from '../repos/returns.ts';
import { openStockRepo } from '../repos/stock.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import { ReturnsService } from './returns.ts';
import { StockService } from './stock.ts';

const log = createLogger('test', 'silent');
const A = '06901234567892';
const B = '06901234567908';
type Payload = Partial<WarehouseTransaction> & Pick<WarehouseTransaction, 'transactionId' | 'op'>;

/** A gateway's journal of warehouse transactions, sealed as the edge would. */
function journal(gatewayId: string, payloads: readonly Payload[]): EdgeEvent[] {
  const b = new JournalBuilder(gatewayId);
  return payloads.map((p) => b.next({ type: 'warehouse.transaction', stationId: 'OVS-1', payload: { warehouse: 'overseas', outcome: 'ok', sku: A, qty: 1, ...p } }).event!);
}

// A day at the overseas warehouse: receive two cartons, put them away (one amended to another shelf), pick an order
// (a counted pick amended 1 → 2), ship it, take a parcel back sellable and one damaged, and a pick from a shelf the hub
// thinks empty (its receipt was never journalled).
const DAY: Payload[] = [
  { transactionId: 'overseas:receive:IN-1:350123450000000016', op: 'receive', qty: 10, listId: 'IN-1' },
  { transactionId: 'overseas:receive:IN-1:350123450000000023', op: 'receive', sku: B, qty: 4, listId: 'IN-1' },
  { transactionId: 'overseas:putaway:IN-1:350123450000000016', op: 'putaway', qty: 10, listId: 'IN-1', locationId: 'S-01' },
  { transactionId: 'overseas:putaway:IN-1:350123450000000016', op: 'putaway', qty: 10, listId: 'IN-1', locationId: 'S-02' },
  { transactionId: 'overseas:putaway:IN-1:350123450000000023', op: 'putaway', sku: B, qty: 4, listId: 'IN-1', locationId: 'S-03' },
  { transactionId: `overseas:pick:OUT-1:${A}#0>S-02@1`, op: 'pick', qty: 1, listId: 'OUT-1', orderNo: 'W-ORD-1', locationId: 'S-02' },
  { transactionId: `overseas:pick:OUT-1:${A}#0>S-02@1`, op: 'pick', qty: 2, listId: 'OUT-1', orderNo: 'W-ORD-1', locationId: 'S-02' },
  { transactionId: 'overseas:ship:OUT-1', op: 'ship', sku: undefined, qty: 2, listId: 'OUT-1', orderNo: 'W-ORD-1' },
  { transactionId: `overseas:return:PARCEL-1:${A}`, op: 'return', qty: 1, listId: 'PARCEL-1', orderNo: 'W-ORD-1', condition: 'sellable', locationId: 'RETURNS', reason: 'customer_refused' },
  { transactionId: `overseas:return:PARCEL-2:${B}`, op: 'return', sku: B, qty: 1, listId: 'PARCEL-2', orderNo: 'W-ORD-1', condition: 'damaged', locationId: 'QUARANTINE', reason: 'damaged_in_transit' },
  { transactionId: `overseas:pick:OUT-2:${B}#0>S-09@1`, op: 'pick', sku: B, qty: 2, listId: 'OUT-2', orderNo: 'W-ORD-2', locationId: 'S-09' },
];

const exportList = ExportInventoryList.parse({
  kind: 'exportInventory', customsCode: '2991', ebpCode: '3301960A01', ebpName: '云海跨境电商平台', orderNo: 'W-EXP-7', logisticsCode: '3301980H21', logisticsName: '鹏程速递有限公司',
  logisticsNo: 'PC000000000001', copNo: 'E0001', portCode: '2991', ieDate: '20250301', statisticsFlag: 'B', agentCode: '3301980L31', agentName: '杭州关通报关有限公司',
  ebcCode: '3301968D11', ebcName: '杭州云海供应链管理有限公司', ownerCode: '3301968D11', ownerName: '杭州云海供应链管理有限公司', tradeMode: '9810', trafMode: '5', country: '502', POD: '5024',
  freight: 3, fCurrency: '502', insuredFee: 0, iCurrency: '502', wrapType: '2', packNo: 1, grossWeight: 3, netWeight: 2.5,
  lines: [{ gnum: 1, itemNo: 'TS-01', gcode: '6109100022', gname: '棉质T恤', gmodel: '针织', barCode: '6901234567892', country: '502', currency: '502', qty: 2, qty1: 2, unit: '011', unit1: '011', price: 12.5, totalPrice: 25 }],
});

eachStore('stock projection', (store) => {
  const setup = async () => {
    const s = store();
    const stock = openStockRepo(s.sql);
    const returnsRepo = openReturnsRepo(s.sql);
    await stock.migrate();
    await returnsRepo.migrate();
    const returns = new ReturnsService({ storage: s, returns: returnsRepo, log, now: () => 1_800_000_000_000 });
    return { s, stock, returnsRepo, service: new StockService({ stock, returns, log, now: () => 1_800_000_000_000 }) };
  };

  it('folds a gateway\'s transactions into stock exactly as the pure fold does, and a replay changes nothing', async () => {
    const { stock, service } = await setup();
    const events = journal('gw-day', DAY);
    // Two batches, as the ingest hands them over.
    await service.apply('gw-day', events.slice(0, 5));
    await service.apply('gw-day', events.slice(5));
    const book = events.reduce((b, e) => (e.type === 'warehouse.transaction' ? applyToBook(b, e.seq, e.payload) : b), emptyStockBook());
    const levels = await stock.levels({ site: 'gw-day', limit: 100 });
    expect(levels.map(({ site: _s, updatedMs: _u, ...l }) => l)).toEqual(
      [...book.levels].sort((x, y) => `${x.warehouse}|${x.sku}|${x.locationId}|${x.bucket}`.localeCompare(`${y.warehouse}|${y.sku}|${y.locationId}|${y.bucket}`)),
    );
    expect(levels.map((l) => [l.sku, l.locationId, l.bucket, l.qty])).toEqual([
      [A, 'RETURNS', 'sellable', 1],
      [A, 'S-02', 'sellable', 8],
      [B, 'QUARANTINE', 'quarantine', 1],
      [B, 'S-03', 'sellable', 4],
      [B, 'STAGING/OUT-2', 'sellable', 2],
    ]);
    // The pick from an empty shelf: taken to zero (nothing there), the shortfall recorded with its transaction.
    const anomalies = await stock.anomalies({ site: 'gw-day', limit: 10 });
    expect(anomalies).toEqual([expect.objectContaining({ kind: 'below_zero', transactionId: `overseas:pick:OUT-2:${B}#0>S-09@1`, seq: 11, locationId: 'S-09', haveQty: 0, wantedQty: 2 })]);

    // The start-up catch-up replays the whole journal: stock and anomalies stay as they are.
    await service.apply('gw-day', events);
    expect(await stock.levels({ site: 'gw-day', limit: 100 })).toEqual(levels);
    expect(await stock.anomalies({ site: 'gw-day', limit: 10 })).toHaveLength(1);

    expect(await stock.totals({ site: 'gw-day' })).toEqual([
      { sku: A, qty: 9, sellable: 9, quarantine: 0 },
      { sku: B, qty: 7, sellable: 6, quarantine: 1 },
    ]);
    expect((await service.stock({ site: 'gw-day', sku: B, warehouse: 'overseas', limit: 1 })).items).toHaveLength(1);
    expect((await service.stock({ site: 'gw-day', sku: B, limit: 1 })).totals).toEqual([{ sku: B, qty: 7, sellable: 6, quarantine: 1 }]);
    expect((await service.stock({ locationId: 'QUARANTINE', limit: 10 })).items.map((l) => l.sku)).toEqual([B]);
  });

  it('sites keep their own stock: the same transaction id at another gateway is another transaction', async () => {
    const { stock, service } = await setup();
    const receive: Payload = { transactionId: 'overseas:receive:IN-9:350123450000000030', op: 'receive', sku: 'SKU-SITES', qty: 3, listId: 'IN-9' };
    await service.apply('gw-east', journal('gw-east', [receive]));
    await service.apply('gw-west', journal('gw-west', [receive]));
    expect((await stock.totals({ sku: 'SKU-SITES' })).map((t) => t.qty)).toEqual([6]);
    expect((await stock.levels({ site: 'gw-west', limit: 10 })).map((l) => [l.site, l.qty])).toEqual([['gw-west', 3]]);
  });

  it('matches overseas returns with the export that sent them, once per event', async () => {
    const { s, returnsRepo, service } = await setup();
    await s.putDocument({ kind: 'exportInventory', key: documentKey(exportList), orderNo: exportList.orderNo, subjectKey: null, body: exportList as unknown as Record<string, unknown>, originalSha256: null, receivedMs: 1 });
    const ret = (listId: string, sku: string, qty: number, orderNo = 'W-EXP-7'): Payload => ({ transactionId: `overseas:return:${listId}:${sku}`, op: 'return', sku, qty, listId, orderNo, condition: 'sellable', locationId: 'RETURNS' });
    const events = journal('gw-ret', [ret('P-1', A, 1), ret('P-2', A, 2), ret('P-3', 'HAT-9', 1), ret('P-4', A, 1, 'W-ORD-404')]);
    await service.apply('gw-ret', events);
    const byTx = async (tx: string) => (await returnsRepo.getExport('gw-ret', tx))!;
    expect((await byTx(`overseas:return:P-1:${A}`)).match).toEqual({ ok: true, issues: [] });
    // 2 exported, 1 already back: the second parcel's 2 are one too many.
    expect((await byTx(`overseas:return:P-2:${A}`)).match.issues).toEqual([expect.objectContaining({ rule: 'export.qty', expected: '1', actual: 2 })]);
    expect((await byTx('overseas:return:P-3:HAT-9')).match.issues.map((i) => i.rule)).toEqual(['export.sku_not_exported']);
    expect((await byTx(`overseas:return:P-4:${A}`)).match.issues.map((i) => i.rule)).toEqual(['export.unknown']);
    const audited = async () => (await s.auditRange(1, 1000)).filter((e) => e.action === 'return.export.match' && e.detail.site === 'gw-ret');
    expect(await audited()).toHaveLength(4);
    await service.apply('gw-ret', events);
    expect(await audited()).toHaveLength(4);
    expect((await returnsRepo.listExport({ orderNo: 'W-EXP-7', limit: 10 })).map((r) => r.transactionId).sort()).toEqual([`overseas:return:P-1:${A}`, `overseas:return:P-2:${A}`, 'overseas:return:P-3:HAT-9']);
  });
});
