import { expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { SlipPrepareRequest } from '../bonded/slips.ts';
import type { WarehouseTransaction } from '../customs/stock.ts';
import { openBondedRepo } from '../repos/bonded.ts';
import { openStockRepo } from '../repos/stock.ts';
import { BondedService } from './bonded.ts';
import { StationFeedService } from './station-feed.ts';
import { StockStateService } from './stock-states.ts';

const log = createLogger('test', 'silent');
const EMS = 'T5301W000001';
const config = { emsNo: EMS, district: '4403', enterprise: { sccd: '91440300MA5XXXXX1Q', etpsno: '4403660001', name: '前海保税仓储有限公司' }, sysId: 'Z7', supvModecd: '1210', exitPeriodHours: 24 };
const pricing = new Map([1, 2].map((n) => [n, { dclCurrcd: '142', dclUprcAmt: '12.5', natcd: '116', destinationNatcd: '142', gdsSpcfModelDesc: '50ml' }]));
let n = 0;
const tx = (over: Partial<WarehouseTransaction>): WarehouseTransaction => ({ transactionId: `T${++n}`, warehouse: 'bonded', op: 'receive', outcome: 'ok', qty: 1, ...over }) as WarehouseTransaction;

/**
 * Stock states come from the account book's documents only: an entry declared is 核注申请中, recorded it is 保税; an
 * exit list approved moves goods out of 保税 into 核注申请中, a slip applied for them into 核放申请中, the deduction
 * after the gate into 已核销; what the desks count off the book is 非保税. Without a book: no state at all.
 */
eachStore('stock states from the bonded book', (store) => {
  it('follows lists, slips and receipts, never where the goods sit; says so when there is no book', async () => {
    const sql = store().sql;
    const stock = openStockRepo(sql);
    const repo = openBondedRepo(sql);
    await Promise.all([stock.migrate(), repo.migrate()]);
    const feed = new StationFeedService({ storage: store(), log, publish: () => undefined, gateways: async () => [], signing: { privateKeyPem: '', keyId: 'unused' } });
    const bonded = new BondedService({ repo, storage: store(), feed, config, log, now: () => Date.UTC(2026, 11, 7, 2) });
    expect(await new StockStateService({ stock }).states({})).toEqual({ book: null });
    const svc = new StockStateService({ stock, book: { repo, emsNo: EMS } });

    await bonded.fileItem({ emsNo: EMS, gdsSeqno: 1, gdsMtno: 'SKU-A', gdecd: '3304990099', gdsNm: '面霜', dclUnitcd: '011', openingQty: '0', storageLimitQty: null }, 'manager-1');
    await bonded.fileItem({ emsNo: EMS, gdsSeqno: 2, gdsMtno: 'SKU-B', gdecd: '1901101000', gdsNm: '奶粉', dclUnitcd: '122', openingQty: '5', storageLimitQty: null }, 'manager-1');
    // The desks: 30 SKU-A received and put away (where they sit does not matter), an SKU the book lacks, overseas stock.
    let seq = 0;
    const put = (t: Partial<WarehouseTransaction>, site = 'WH-1') => stock.apply(site, ++seq, tx(t), 1000 + seq);
    await put({ op: 'receive', sku: 'SKU-A', qty: 30 });
    await put({ op: 'putaway', sku: 'SKU-A', qty: 30, locationId: 'A-01' });
    await put({ op: 'receive', sku: 'SKU-X', qty: 3 });
    await put({ warehouse: 'overseas', op: 'receive', sku: 'SKU-A', qty: 7, locationId: 'LA-1' }, 'OS-1');

    const entry = await bonded.makeList({ kind: 'first_line_in', lines: [{ sku: 'SKU-A', qty: 30 }], sources: ['tally-1'] }, 'officer-1');
    let s = await svc.states({});
    // A draft is nothing yet: goods on the shelf without a declared list are in no state of the book.
    expect(s).toMatchObject({ book: EMS, totals: { non_bonded: '10', bonded: '5', list_applied: '0', slip_applied: '0', written_off: '0' } });
    await bonded.declareList(entry.etpsInnerInvtNo, 'officer-1', pricing);
    s = await svc.states({});
    expect(s).toMatchObject({ totals: { bonded: '5', list_applied: '30' }, nonBonded: [{ sku: 'SKU-X', warehouse: 'bonded', qty: 3 }, { sku: 'SKU-A', warehouse: 'overseas', qty: 7 }] });
    if (!s.book) throw new Error('book');
    expect(s.items[0]).toMatchObject({ gdsSeqno: 1, gdsMtno: 'SKU-A', balanceQty: '0', countedQty: '30', qty: { list_applied: '30' }, documents: [{ state: 'list_applied', listNo: entry.etpsInnerInvtNo, kind: 'first_line_in', qty: '30' }] });

    await bonded.applyReceipt({ type: 'INV201', receiptId: 'r-1', etpsInnerInvtNo: entry.etpsInnerInvtNo, bondInvtNo: 'QD440326I000000001', invtStucd: '0', entryStucd: '1' });
    await bonded.applyReceipt({ type: 'INV211', receiptId: 'r-2', etpsInnerInvtNo: entry.etpsInnerInvtNo, bondInvtNo: 'QD440326I000000001', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlIncQty: '30', actlRedcQty: '0' }] });
    expect(await svc.states({})).toMatchObject({ totals: { bonded: '35', list_applied: '0' } });

    // Second line: 10 on an approved exit list, 6 of them on a slip customs approved.
    const exit = await bonded.makeExit({ released: [{ orderNo: 'O-1', releasedMs: 1, lines: [{ sku: 'SKU-A', qty: 10 }] }], fromMs: 0 }, 'manager-1');
    await bonded.declareList(exit.etpsInnerInvtNo, 'officer-1', pricing);
    await bonded.applyReceipt({ type: 'INV201', receiptId: 'r-3', etpsInnerInvtNo: exit.etpsInnerInvtNo, bondInvtNo: 'QD440326E000000002', invtStucd: '0', vrfdedMarkcd: '1' });
    expect(await svc.states({})).toMatchObject({ totals: { bonded: '25', list_applied: '10', slip_applied: '0' } });
    const slip = await bonded.prepareSlip(SlipPrepareRequest.parse({ ioTypecd: 'E', passportTypecd: '3', bindTypecd: '2', rltTbTypecd: '1', rltNos: ['QD440326E000000002'], vehicleNo: '粤B12345', vehicleWt: '8000' }), 'officer-1');
    expect(await svc.states({})).toMatchObject({ totals: { list_applied: '10', slip_applied: '0' } }); // a draft slip carries nothing
    await bonded.applySlip(slip.etpsPreentNo, 'officer-1');
    const passportNo = 'Z4403E261207000000000001';
    await bonded.applyReceipt({ type: 'SAS221', receiptId: 'r-4', etpsPreentNo: slip.etpsPreentNo, manageResult: '1', passportNo });
    s = await svc.states({ state: ['slip_applied'] });
    if (!s.book) throw new Error('book');
    expect(s.totals).toMatchObject({ bonded: '25', list_applied: '0', slip_applied: '10' });
    expect(s.items.map((i) => i.gdsSeqno)).toEqual([1]);
    expect(s.items[0]!.documents).toContainEqual({ state: 'slip_applied', listNo: 'QD440326E000000002', kind: 'second_line_out', qty: '10', slips: [passportNo] });
    expect(s.nonBonded).toEqual([]);

    // The truck passes; customs deducts: out of the book, written off.
    expect((await bonded.gatePassage({ eventId: 'e-1', passportNo, laneId: 'OUT-1' })).kind).toBe('done');
    await bonded.applyReceipt({ type: 'INV211', receiptId: 'r-5', etpsInnerInvtNo: exit.etpsInnerInvtNo, bondInvtNo: 'QD440326E000000002', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlIncQty: '0', actlRedcQty: '10' }] });
    s = await svc.states({ sku: 'SKU-A' });
    if (!s.book) throw new Error('book');
    expect(s.totals).toEqual({ non_bonded: '7', bonded: '20', list_applied: '0', slip_applied: '0', written_off: '10' });
    expect(s.items).toMatchObject([{ gdsSeqno: 1, balanceQty: '20', qty: { bonded: '20', written_off: '10' } }]);
    expect(await svc.states({ state: ['non_bonded'] })).toMatchObject({ items: [], nonBonded: [{ sku: 'SKU-X' }, { sku: 'SKU-A', warehouse: 'overseas' }] });
  });
});
