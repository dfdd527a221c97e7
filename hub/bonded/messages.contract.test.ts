import { describe, expect, it } from 'vitest';
import { approvedExit, enterprise } from './fixtures.ts';
import { buildInv101, buildSas121, INV101_FIELDS, SAS121_FIELDS, type ListPricing } from './messages.ts';
import type { BondSlip } from './model.ts';
import { BondReceipt } from './receipts.ts';
import { decideInv101, decideSas121, recordInv211 } from './sim-customs.ts';
import { prepareSlip, SlipPrepareRequest } from './slips.ts';
import { itemKey, newItem } from './ledger.ts';
import { catalog, EMS } from './fixtures.ts';

/** Contract tests of every message shape: what leaves (INV101, SAS121) and what comes back (INV201/202/211, SAS221/223/224). */
const pricing = new Map<number, ListPricing>([
  [1, { dclCurrcd: '142', dclUprcAmt: '12.3456', natcd: '116', destinationNatcd: '142', gdsSpcfModelDesc: '50ml' }],
  [2, { dclCurrcd: '142', dclUprcAmt: '100', natcd: '609', destinationNatcd: '142', gdsSpcfModelDesc: '800g' }],
]);
const list = approvedExit(3);
const slip = (): BondSlip => {
  const p = prepareSlip(SlipPrepareRequest.parse({ ioTypecd: 'E', passportTypecd: '3', bindTypecd: '1', rltTbTypecd: '1', rltNos: [list.bondInvtNo], vehicleNo: '粤B12345', vehicleWt: '8000' }), { etpsPreentNo: 'BG-S-1', district: '5301', emsNo: EMS, lists: new Map([[list.bondInvtNo!, list]]), used: new Map(), preparedBy: 'ops', nowMs: 1 });
  if (!p.ok) throw new Error('slip');
  return p.slip;
};

describe('INV101', () => {
  it('builds the head and lines with every table field valid', () => {
    const b = buildInv101(list, enterprise, pricing, Date.UTC(2026, 11, 7, 20));
    if (!b.ok) throw new Error(JSON.stringify(b.issues));
    expect(b.body.head).toMatchObject({ putrecNo: EMS, impexpMarkcd: 'E', dclPlcCuscd: '5301', invtDclTime: '20261208', dclcusFlag: '2', bondInvtNo: 'QD530126E000000001', dclTypecd: '2' });
    expect(b.body.lists.InvtListType!.map((r) => [r.putrecSeqno, r.dclQty, r.dclTotalAmt])).toEqual([['1', '3', '37.04'], ['2', '4', '400.00']]);
    expect(b.xml).toMatch(/^<Package><DataInfo><BussinessData><DelcareFlag>0<\/DelcareFlag><InvtMessage><SysId>Z7<\/SysId>/);
    expect(b.xml).toContain('<gdsNm>面霜</gdsNm>');
    for (const f of INV101_FIELDS.filter((x) => x.required)) {
      const [sec, name] = f.path.split('.') as [string, string];
      if (sec === 'InvtHeadType') expect(b.body.head[name], f.path).toBeTruthy();
      else for (const row of b.body.lists.InvtListType!) expect(row[name], f.path).toBeTruthy();
    }
  });
  it('names each field that breaks its rule, and sends nothing', () => {
    const b = buildInv101(list, { ...enterprise, sccd: 'short', district: '53' }, new Map(), 0);
    expect(b.ok).toBe(false);
    const fields = !b.ok ? b.issues.map((i) => i.field) : [];
    expect(fields).toEqual(expect.arrayContaining(['InvtHeadType.bizopEtpsSccd', 'InvtHeadType.dclPlcCuscd', 'InvtListType[0].dclCurrcd', 'InvtListType[1].dclUprcAmt']));
  });
});

describe('SAS121', () => {
  it('builds head, goods and linked documents', () => {
    const b = buildSas121(slip(), enterprise);
    if (!b.ok) throw new Error(JSON.stringify(b.issues));
    expect(b.body.head).toMatchObject({ passportTypecd: '3', bindTypecd: '1', ioTypecd: 'E', masterCuscd: '5301', rltTbTypecd: '1', rltNo: 'QD530126E000000001', areainOriactNo: EMS, totalWt: '8000' });
    expect(b.body.lists.PassportAcmp).toEqual([{ rtlBillTypecd: '1', rtlBillNo: 'QD530126E000000001' }]);
    expect(b.body.lists.PassportList!.map((r) => [r.passportSeqNo, r.rltGdsSeqno, r.dclQty])).toEqual([['1', '1', '3'], ['2', '2', '4']]);
    expect(b.xml).toContain('<PassPortMessage><OperCusRegCode>4403660001</OperCusRegCode><PassportHead>');
    expect(SAS121_FIELDS.some((f) => f.path === 'PassportHead.passportTypecd')).toBe(true);
  });
  it('refuses a 21-character number and net above gross', () => {
    const b = buildSas121({ ...slip(), passportNo: 'Z5301E260000000000001' as never, totalNetWt: '1' }, enterprise);
    expect(!b.ok && b.issues.map((i) => i.field)).toEqual(['PassportHead.passportNo', 'PassportHead.totalNetWt']);
  });
});

describe('receipts and the simulated customs', () => {
  const book = new Map([...catalog.values()].map((r) => [itemKey(EMS, r.gdsSeqno), newItem({ ...r, openingQty: '5', storageLimitQty: null })]));
  it.each([
    { type: 'INV201', receiptId: 'g1', etpsInnerInvtNo: 'BG-E-1', bondInvtNo: 'QD530126E000000001', invtStucd: '0', vrfdedMarkcd: '1', entryStucd: '1' },
    { type: 'INV202', receiptId: 'g2', etpsInnerInvtNo: 'BG-E-1', entrySeqNo: '530120261000000001', manageResult: '1' },
    { type: 'INV211', receiptId: 'g3', etpsInnerInvtNo: 'BG-E-1', bondInvtNo: 'QD530126E000000001', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlRedcQty: '3' }] },
    { type: 'SAS221', receiptId: 'g4', etpsPreentNo: 'BG-S-1', manageResult: '1', passportNo: 'Z5301E261207000000000001' },
    { type: 'SAS223', receiptId: 'g5', passportNo: 'Z5301E261207000000000001', stucd: '4', passCollectWt: '15500.5' },
    { type: 'SAS224', receiptId: 'g6', passportNo: 'Z5301E261207000000000001', stucd: '6' },
  ])('$type parses', (r) => expect(BondReceipt.safeParse(r).success).toBe(true));
  it.each([
    { type: 'SAS221', receiptId: 'g', etpsPreentNo: 'x', manageResult: '1', passportNo: 'Z5301E260000000000001' },
    { type: 'INV211', receiptId: 'g', etpsInnerInvtNo: 'x', bondInvtNo: 'QD530126E000000001', vrfdedMarkcd: '1' },
    { type: 'SAS223', receiptId: 'g', passportNo: 'Z5301E261207000000000001', stucd: '1' },
  ])('$type with a bad field is refused', (r) => expect(BondReceipt.safeParse(r).success).toBe(false));
  it('customs approves what the book can carry and returns what it cannot', () => {
    const c = { invt: 0, passport: 0 };
    const declared = { ...list, listStat: 'declared' as const, bondInvtNo: null, vrfdedMarkcd: '0' as const };
    expect(decideInv101(declared, book, c, '5301', '26', 'g')).toMatchObject({ invtStucd: '0', vrfdedMarkcd: '1', bondInvtNo: 'QD530126E000000001' });
    expect(decideInv101({ ...declared, lines: [{ ...declared.lines[0]!, dclQty: '5.00001' }] }, book, c, '5301', '26', 'g')).toMatchObject({ invtStucd: '2' });
    expect(recordInv211(list, 'g')).toBeNull();
    const s = { ...slip(), stucd: '0' as const };
    expect(decideSas121(s, new Map([[list.bondInvtNo!, list]]), new Map(), c, '261207', 'g')).toMatchObject({ manageResult: '1', passportNo: 'Z5301E261207000000000001' });
    expect(decideSas121({ ...s, totalWt: '1' }, new Map([[list.bondInvtNo!, list]]), new Map(), c, '261207', 'g')).toMatchObject({ manageResult: '2' });
  });
});
