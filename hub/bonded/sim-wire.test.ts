import { describe, expect, it } from 'vitest';
import { approvedExit, EMS, enterprise } from './fixtures.ts';
import { buildInv101, buildSas121, type ListPricing } from './messages.ts';
import { BondReceipt } from './receipts.ts';
import { parseReceiptXml } from './receipt-xml.ts';
import { readOutbound, receiptToXml, simulateSas, type SimBook } from './sim-wire.ts';
import { prepareSlip, SlipPrepareRequest } from './slips.ts';

const pricing = new Map<number, ListPricing>([1, 2].map((n) => [n, { dclCurrcd: '142', dclUprcAmt: '10', natcd: '116', destinationNatcd: '142', gdsSpcfModelDesc: 'x' }]));
const list = { ...approvedExit(3, 4), bondInvtNo: null, listStat: 'draft' as const, vrfdedMarkcd: '0' as const };

describe('the simulated customs over files', () => {
  it('answers an INV101 exit within the book with an approval and pre-deduction, and a file the inbox parses back', () => {
    const built = buildInv101(list, enterprise, pricing, 0);
    if (!built.ok) throw new Error('build');
    const book: SimBook = { available: { [`${EMS}#1`]: '5', [`${EMS}#2`]: '4' }, invtSerial: 0, passportSerial: 0 };
    const msg = readOutbound(built.xml)!;
    expect(msg.type).toBe('INV101');
    const r = simulateSas(msg, book, { receiptId: 'sim-1', yymmdd: '261207' });
    expect(r).toMatchObject({ type: 'INV201', invtStucd: '0', vrfdedMarkcd: '1', bondInvtNo: 'QD530126E000000001', etpsInnerInvtNo: 'BG-E-1' });
    expect(book.available).toEqual({ [`${EMS}#1`]: '2', [`${EMS}#2`]: '0' });
    expect(parseReceiptXml(receiptToXml(r))).toEqual({ ok: true, receipt: BondReceipt.parse(r) });
    // The same exit again is beyond what is left: returned with the line named.
    const again = simulateSas(msg, book, { receiptId: 'sim-2', yymmdd: '261207' });
    expect(again).toMatchObject({ type: 'INV201', invtStucd: '2' });
    expect(parseReceiptXml(receiptToXml(again))).toMatchObject({ ok: true, receipt: { invtStucd: '2', reason: expect.stringContaining('available') } });
  });
  it('answers a SAS121 with a 24-character number, or returns one whose weights do not add up', () => {
    const l = approvedExit();
    const p = prepareSlip(SlipPrepareRequest.parse({ ioTypecd: 'E', passportTypecd: '3', rltTbTypecd: '1', rltNos: [l.bondInvtNo], vehicleNo: '粤B12345', vehicleWt: '8000' }), { etpsPreentNo: 'BGS1', district: '5301', emsNo: EMS, lists: new Map([[l.bondInvtNo!, l]]), used: new Map(), preparedBy: 'x', nowMs: 0 });
    if (!p.ok) throw new Error('slip');
    const book: SimBook = { available: {}, invtSerial: 0, passportSerial: 0 };
    const ok = simulateSas(readOutbound((buildSas121(p.slip, enterprise) as { xml: string }).xml)!, book, { receiptId: 's-1', yymmdd: '261207' });
    expect(ok).toMatchObject({ type: 'SAS221', manageResult: '1', passportNo: 'Z5301E261207000000000001', etpsPreentNo: 'BGS1' });
    expect(parseReceiptXml(receiptToXml(ok))).toEqual({ ok: true, receipt: BondReceipt.parse(ok) });
    const heavy = simulateSas(readOutbound((buildSas121({ ...p.slip, totalWt: '9000' }, enterprise) as { xml: string }).xml)!, book, { receiptId: 's-2', yymmdd: '261207' });
    expect(heavy).toMatchObject({ manageResult: '2', reason: expect.stringContaining('totalWt') });
  });
  it.each([
    { type: 'INV202', receiptId: 'a', etpsInnerInvtNo: 'QD530126I000000001', businessId: 'QD530126I000000001', entrySeqNo: 'E1', manageResult: '1' },
    { type: 'INV211', receiptId: 'b', etpsInnerInvtNo: 'BG1', bondInvtNo: 'QD530126I000000001', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlIncQty: '3', actlRedcQty: '0' }] },
    { type: 'SAS223', receiptId: 'c', passportNo: 'Z5301E261207000000000001', stucd: '4', passCollectWt: '100.5' },
    { type: 'SAS224', receiptId: 'd', passportNo: 'Z5301E261207000000000001', stucd: '5', reason: '删除' },
  ] as const)('$type round-trips through a file', (r) => {
    expect(parseReceiptXml(receiptToXml(BondReceipt.parse(r)))).toEqual({ ok: true, receipt: BondReceipt.parse(r) });
  });
});
