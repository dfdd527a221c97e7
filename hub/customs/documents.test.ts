import { describe, expect, it } from 'vitest';
import { isBondgateError } from '../../shared/errors.ts';
import {
  Amount,
  CustomsDocument,
  documentKey,
  ExportInventoryList,
  ExportOrder,
  ExportWaybill,
  Order,
  parseCebTime,
  parseDocument,
  parseDocumentAs,
  parseDocumentJson,
  parseDocumentSet,
  Receipt,
  ReturnRequest,
  safeParseDocument,
  toCebTime,
  toReceiptTime,
  type ReceiptRef,
} from './documents.ts';
import { generateDocumentSets, generateParcel } from './generate-docs.ts';
import { documentWarnings } from './document-warnings.ts';

const parcel = generateParcel({ seed: 1 }, 0);
const { order, payment, waybill, inventory } = parcel.set;

/** The field names a thrown validation error reports. */
function fieldsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (isBondgateError(e, 'VALIDATION_FAILED')) return e.fields.map((x) => x.field);
    throw e;
  }
  throw new Error('expected a validation error');
}

const exportOrder = {
  kind: 'exportOrder',
  orderType: 'E',
  orderNo: 'EX20250301000001',
  ebpCode: '3301960A01',
  ebpName: '云海跨境电商平台',
  ebcCode: '3301968D11',
  ebcName: '杭州云海供应链管理有限公司',
  goodsValue: 12.5,
  freight: 3,
  currency: '502',
  lines: [{ gnum: 1, itemNo: 'TS-01', itemName: '棉质T恤', unit: '011', currency: '502', qty: 1, price: 12.5, totalPrice: 12.5 }],
};
const exportWaybill = {
  kind: 'exportWaybill',
  logisticsCode: '3301980H21',
  logisticsName: '鹏程速递有限公司',
  logisticsNo: 'PC000000000001',
  freight: 3,
  insuredFee: 0,
  currency: '502',
  grossWeight: 0.3,
  packNo: 1,
  goodsInfo: '棉质T恤*1',
};
const exportList = {
  kind: 'exportInventory',
  customsCode: '2991',
  ebpCode: '3301960A01',
  ebpName: '云海跨境电商平台',
  orderNo: 'EX20250301000001',
  logisticsCode: '3301980H21',
  logisticsName: '鹏程速递有限公司',
  logisticsNo: 'PC000000000001',
  copNo: 'E0001',
  invtNo: '29912025E000000001',
  portCode: '2991',
  ieDate: '20250301',
  statisticsFlag: 'B',
  agentCode: '3301980L31',
  agentName: '杭州关通报关有限公司',
  ebcCode: '3301968D11',
  ebcName: '杭州云海供应链管理有限公司',
  ownerCode: '3301968D11',
  ownerName: '杭州云海供应链管理有限公司',
  tradeMode: '9610',
  trafMode: '5',
  country: '502',
  POD: '5024',
  freight: 3,
  fCurrency: '502',
  insuredFee: 0,
  iCurrency: '502',
  wrapType: '2',
  packNo: 1,
  grossWeight: 0.3,
  netWeight: 0.25,
  lines: [{ gnum: 1, itemNo: 'TS-01', gcode: '6109100022', gname: '棉质T恤', gmodel: '针织 棉100%', barCode: '无', country: '502', currency: '502', qty: 1, qty1: 1, unit: '011', unit1: '011', price: 12.5, totalPrice: 12.5 }],
};
const returnRequest = {
  kind: 'return',
  customsCode: inventory.customsCode,
  orderNo: inventory.orderNo,
  ebpCode: inventory.ebpCode,
  ebpName: inventory.ebpName,
  ebcCode: inventory.ebcCode,
  ebcName: inventory.ebcName,
  logisticsNo: inventory.logisticsNo,
  logisticsCode: inventory.logisticsCode,
  logisticsName: inventory.logisticsName,
  copNo: 'R0001',
  invtNo: inventory.invtNo,
  buyerIdType: '1',
  buyerIdNumber: inventory.buyerIdNumber,
  buyerName: inventory.buyerName,
  buyerTelephone: inventory.buyerTelephone,
  agentCode: inventory.agentCode,
  agentName: inventory.agentName,
  reason: '七天无理由退货',
  lines: [{ gnum: 1, gcode: inventory.lines[0]!.gcode, gname: inventory.lines[0]!.gname, qty: 1, unit: inventory.lines[0]!.unit }],
};
const receipt = {
  kind: 'receipt',
  messageType: 'CEB622',
  refersTo: { kind: 'inventory', copNo: inventory.copNo, preNo: inventory.preNo, invtNo: inventory.invtNo },
  returnStatus: 800,
  returnTime: '20250301113000123',
  returnInfo: '放行',
};

describe('schemas accept realistic documents', () => {
  it('every generated document parses unchanged (1210, 1239 and 9610)', () => {
    for (const p of generateDocumentSets({ seed: 9, tradeModes: ['1210', '1239', '9610'] }, 60)) {
      for (const doc of Object.values(p.set)) expect(CustomsDocument.parse(doc)).toEqual(doc);
    }
  });

  it.each([
    ['exportOrder', ExportOrder, exportOrder],
    ['exportWaybill', ExportWaybill, exportWaybill],
    ['exportInventory', ExportInventoryList, exportList],
    ['return', ReturnRequest, returnRequest],
    ['receipt', Receipt, receipt],
  ] as const)('%s parses on its own and through the union', (kind, schema, input) => {
    expect(schema.safeParse(input).success).toBe(true);
    expect(parseDocument(input).kind).toBe(kind);
  });

  it('fills the fixed values the XSD implies (currency 142, ieFlag I, packNo 1, export flags 3)', () => {
    const { currency: _c, ...bare } = order;
    expect(Order.parse(bare).currency).toBe('142');
    const { ieFlag: _i, packNo: _p, ...list } = inventory;
    const parsed = parseDocumentAs('inventory', list);
    expect([parsed.ieFlag, parsed.packNo]).toEqual(['I', 1]);
    const exp = ExportInventoryList.parse(exportList);
    expect([exp.ieFlag, exp.fFlag, exp.iFlag]).toEqual(['E', '3', '3']);
  });

  it('keeps district extensions (unknown elements) as data', () => {
    expect(parseDocumentAs('waybill', { ...waybill, extensions: { sortingLineId: 'L3' } }).extensions).toEqual({ sortingLineId: 'L3' });
  });
});

describe('shapes only the documentation or the code tables give are warnings, not errors (issue 15 item 1)', () => {
  it.each([
    ['an ID type other than 1/2', { ...order, buyerIdType: '3' }, 'DOC_CODE_SHAPE', 'buyerIdType'],
    ['more than one package on an import waybill', { ...waybill, packNo: 2 }, 'DOC_WAYBILL_PACK_NO', 'packNo'],
    ['an 8-digit HS code', { ...inventory, lines: [{ ...inventory.lines[0]!, gcode: '33049900' }] }, 'DOC_CODE_SHAPE', 'lines.0.gcode'],
    ['an export invtNo on an import list', { ...inventory, invtNo: '29912025E000000001' }, 'DOC_INVT_NO_SHAPE', 'invtNo'],
    ['a list number of another district scheme', { ...inventory, invtNo: '516520241000123456' }, 'DOC_INVT_NO_SHAPE', 'invtNo'],
    ['a 3-digit customs district', { ...inventory, customsCode: '299' }, 'DOC_CODE_SHAPE', 'customsCode'],
    ['a return of a non-import list', { ...returnRequest, invtNo: '29912025E000000001' }, 'DOC_INVT_NO_SHAPE', 'invtNo'],
    ['an export list with statisticsFlag C', { ...exportList, statisticsFlag: 'C' }, 'DOC_STATISTICS_FLAG', 'statisticsFlag'],
    ['a trade mode the hub does not know (the XSD has only length 4)', { ...inventory, tradeMode: '0110' }, 'DOC_UNKNOWN_CODE', 'tradeMode'],
    ['an export list of a mode the hub does not know', { ...exportList, tradeMode: '0110' }, 'DOC_UNKNOWN_CODE', 'tradeMode'],
    ['an export order of type I (the XSD has only length 1)', { ...exportOrder, orderType: 'I' }, 'DOC_UNKNOWN_CODE', 'orderType'],
    ['a payTime of the XSD length that is no calendar time', { ...payment, payTime: '20261332250000' }, 'DOC_UNKNOWN_TIME', 'payTime'],
    ['a payTime that is not even digits', { ...payment, payTime: '2026-01-01 10:' }, 'DOC_UNKNOWN_TIME', 'payTime'],
    ['a receipt time with month 13', { ...receipt, returnTime: '20261332250000000' }, 'DOC_UNKNOWN_TIME', 'returnTime'],
    ['a list declTime of 31 February', { ...inventory, declTime: '20250231' }, 'DOC_UNKNOWN_TIME', 'declTime'],
    ['an export ieDate of month 00', { ...exportList, ieDate: '20250001' }, 'DOC_UNKNOWN_TIME', 'ieDate'],
    ['a receipt naming a list number of another shape', { ...receipt, refersTo: { ...receipt.refersTo, invtNo: '516520241000123456' } }, 'DOC_INVT_NO_SHAPE', 'refersTo.invtNo'],
  ])('%s → %s at %s', (_what, input, code, field) => {
    const doc = parseDocument(input);
    expect(documentWarnings(doc)).toEqual([expect.objectContaining({ code, field })]);
  });

  it('the sample documents have none', () => {
    for (const d of [order, payment, waybill, inventory, returnRequest, exportOrder, exportWaybill, exportList, receipt]) expect(documentWarnings(parseDocument(d)), d.kind).toEqual([]);
  });
});

describe('JSON input errors name the field', () => {
  const lines = order.lines;
  it.each([
    ['a missing acturalPaid', { ...order, acturalPaid: undefined }, 'order.acturalPaid'],
    ['an amount with 6 decimals', { ...order, goodsValue: 1.123456 }, 'order.goodsValue'],
    ['a negative amount', { ...order, discount: -1 }, 'order.discount'],
    ['an amount as text that is not a decimal', { ...order, freight: '1e3' }, 'order.freight'],
    ['an amount as a JSON number with more digits than a double keeps', { ...order, goodsValue: 12345678912345.12 }, 'order.goodsValue'],
    ['a zero quantity', { ...order, lines: [{ ...lines[0]!, qty: 0 }] }, 'order.lines.0.qty'],
    ['a repeated gnum', { ...order, lines: [lines[0]!, { ...lines[0]! }] }, 'order.lines.1.gnum'],
    ['no lines', { ...order, lines: [] }, 'order.lines'],
    ['an orderNo over 60', { ...order, orderNo: 'X'.repeat(61) }, 'order.orderNo'],
    ['a currency other than RMB', { ...order, currency: '502' }, 'order.currency'],
    ['a payTime without seconds', { ...payment, payTime: '202502011000' }, 'payment.payTime'],
    ['a logisticsNo over 60', { ...waybill, logisticsNo: '9'.repeat(61) }, 'waybill.logisticsNo'],
    ['a zero weight', { ...waybill, weight: 0 }, 'waybill.weight'],
    ['a 5-character trade mode (the XSD says 4)', { ...inventory, tradeMode: '96100' }, 'inventory.tradeMode'],
    ['a 2-character export order type (the XSD says 1)', { ...exportOrder, orderType: 'EB' }, 'exportOrder.orderType'],
    ['a return request with neither copNo nor its head guid', { ...returnRequest, copNo: undefined }, 'return.copNo'],
    ['an export logisticsNo over 32', { ...exportWaybill, logisticsNo: 'P'.repeat(33) }, 'exportWaybill.logisticsNo'],
    ['a receipt answering the wrong document', { ...receipt, messageType: 'CEB312' }, 'receipt.messageType'],
    ['a receipt without its reference key', { ...receipt, refersTo: { kind: 'inventory' } }, 'receipt.refersTo.copNo'],
    ['a receipt with a fractional status', { ...receipt, returnStatus: 1.5 }, 'receipt.returnStatus'],
    ['an unknown kind', { ...order, kind: 'invoice' }, 'kind'],
  ])('%s → %s', (_what, input, field) => {
    expect(fieldsOf(() => parseDocument(input))).toContain(field);
    const safe = safeParseDocument(input);
    expect(safe.ok).toBe(false);
    if (!safe.ok) expect(safe.fields.map((f) => f.field)).toContain(field);
  });

  it('the thrown error is VALIDATION_FAILED (400) and serialises with the fields', () => {
    try {
      parseDocument({ ...order, acturalPaid: 'lots' });
      expect.unreachable();
    } catch (e) {
      expect(isBondgateError(e, 'VALIDATION_FAILED')).toBe(true);
      if (!isBondgateError(e)) return;
      expect(e.status).toBe(400);
      expect(e.toJSON().fields[0]).toMatchObject({ field: 'order.acturalPaid' });
    }
  });

  it('text that is not JSON is DECODE_FAILED; JSON that is not a document is VALIDATION_FAILED', () => {
    expect(() => parseDocumentJson('{"kind":"order",')).toThrow(expect.objectContaining({ code: 'DECODE_FAILED' }));
    expect(fieldsOf(() => parseDocumentJson(JSON.stringify({ ...payment, amountPaid: null })))).toContain('payment.amountPaid');
    expect(parseDocumentJson(JSON.stringify(payment))).toEqual(payment);
  });

  it('parseDocumentAs takes input without `kind` and prefixes fields with the kind', () => {
    const { kind: _k, ...bare } = payment;
    expect(parseDocumentAs('payment', bare)).toEqual(payment);
    expect(fieldsOf(() => parseDocumentAs('payment', { ...bare, payerIdNumber: '' }))).toEqual(['payment.payerIdNumber']);
    expect(fieldsOf(() => parseDocumentAs('payment', { ...bare, kind: 'order' }))).toEqual(['payment.kind']);
  });

  it('a document set takes documents without `kind` and names fields by slot', () => {
    const { kind: _k, ...bare } = order;
    expect(parseDocumentSet({ order: bare, payment }).order).toEqual(order);
    expect(fieldsOf(() => parseDocumentSet({ order, payment: { ...payment, amountPaid: -1 } }))).toEqual(['payment.amountPaid']);
  });
});

describe('amounts are decimal(19,5)', () => {
  it.each([
    [0, true],
    [0.00001, true],
    [12345678901234.5, true],
    ['12345678912345.12345', true], // the full XSD width: as a string, kept exactly
    ['99999999999999.99999', true],
    ['100000000000000', false],
    ['1.000001', false],
    ['-0.1', false],
    ['1e5', false],
    [0.000001, false],
    [1e-7, false],
    [0.1 + 0.2, false], // float noise is not a declared amount: build amounts in fen
    [1e14, false],
    [Number.NaN, false],
    [Number.POSITIVE_INFINITY, false],
  ])('%s → %s', (x, ok) => expect(Amount.safeParse(x).success).toBe(ok));

  it('parses to the canonical decimal string: numbers and strings alike', () => {
    expect(Amount.parse('12345678912345.12345')).toBe('12345678912345.12345');
    expect(Amount.parse('0012.500')).toBe('12.5');
    expect(Amount.parse(12.5)).toBe('12.5');
  });
});

describe('CEB times are Beijing time', () => {
  it('round-trips epoch ms through YYYYMMDDhhmmss and the receipt form', () => {
    const ms = Date.UTC(2025, 2, 1, 2, 0, 5, 123); // 10:00:05.123 in Beijing
    expect(toCebTime(ms)).toBe('20250301100005');
    expect(toReceiptTime(ms)).toBe('20250301100005123');
    expect(parseCebTime('20250301100005')).toBe(ms - 123);
    expect(parseCebTime('20250301100005123')).toBe(ms);
  });

  it('rejects non-dates', () => {
    expect(parseCebTime('20250230100000')).toBeNaN();
    expect(parseCebTime('20251301000000')).toBeNaN();
    expect(parseCebTime('2025-03-01')).toBeNaN();
  });

  it('receipts accept a 14-digit time and pad it to 17 so they sort as text', () => {
    expect(Receipt.parse({ ...receipt, returnTime: '20250301113000' }).returnTime).toBe('20250301113000000');
  });
});

describe('receipts', () => {
  it('carry negative statuses and default returnInfo', () => {
    const { returnInfo: _r, ...bare } = receipt;
    const r = Receipt.parse({ ...bare, returnStatus: -621005 });
    expect(r.returnStatus).toBe(-621005);
    expect(r.returnInfo).toBe('');
  });
});

describe('documentKey', () => {
  it('keys each document by the keys customs uses', () => {
    expect(documentKey(order)).toBe(`order:${order.ebpCode}:${order.orderNo}`);
    expect(documentKey(payment)).toBe(`payment:${payment.payCode}:${payment.payTransactionId}`);
    expect(documentKey(waybill)).toBe(`waybill:${waybill.logisticsCode}:${waybill.logisticsNo}`);
    expect(documentKey(inventory)).toBe(`inventory:${inventory.copNo}`);
    expect(documentKey(parseDocument(returnRequest))).toBe('return:R0001');
    expect(documentKey(parseDocument(exportList))).toBe('exportInventory:E0001');
  });

  it("a receipt's reference yields the key of the document it answers", () => {
    const refs: [ReceiptRef, CustomsDocument][] = [
      [{ kind: 'order', orderNo: order.orderNo, ebpCode: order.ebpCode, ebcCode: order.ebcCode }, order],
      [{ kind: 'payment', payCode: payment.payCode, payTransactionId: payment.payTransactionId }, payment],
      [{ kind: 'waybill', logisticsCode: waybill.logisticsCode, logisticsNo: waybill.logisticsNo }, waybill],
      [Receipt.parse(receipt).refersTo, inventory],
    ];
    for (const [ref, doc] of refs) expect(documentKey(ref)).toBe(documentKey(doc));
    const r = Receipt.parse(receipt);
    expect(documentKey(r)).toBe(`receipt:CEB622:inventory:${inventory.copNo}:20250301113000123:800`);
  });

  it('a list or return sent without copNo (optional in the XSD) is keyed by what the XSD requires, never meeting a copNo', () => {
    const { copNo: _c, ...bare } = inventory;
    const list = parseDocument(bare);
    expect(documentKey(list)).toBe(`inventory:order:${inventory.ebpCode}:${inventory.orderNo}`);
    expect(documentWarnings(list)).toEqual([expect.objectContaining({ code: 'DOC_NO_COP_NO', field: 'copNo' })]);
    const guid = '4CDE1CFA-4E20-4C6C-A8A3-2D4A5B3F6E01';
    const ret = parseDocument({ ...returnRequest, copNo: undefined, guid });
    expect(documentKey(ret)).toBe(`return:guid:${guid}`);
    // A copNo is at most 20 characters: no copNo spells the longer forms.
    expect(() => parseDocument({ ...inventory, copNo: `order:${inventory.ebpCode}:${inventory.orderNo}` })).toThrow();
  });

  it('is the same for every version of a document and unambiguous when a key contains a colon', () => {
    expect(documentKey({ ...order, acturalPaid: '1', lines: order.lines })).toBe(documentKey(order));
    const a = documentKey({ ...waybill, logisticsCode: 'A:B', logisticsNo: waybill.logisticsNo });
    const b = documentKey({ ...waybill, logisticsCode: 'A', logisticsNo: `B:${waybill.logisticsNo}` as typeof waybill.logisticsNo });
    expect(a).not.toBe(b);
  });
});
