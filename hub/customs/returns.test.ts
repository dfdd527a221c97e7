import { describe, expect, it } from 'vitest';
import * as dec from '../../shared/decimal.ts';
import { ExportInventoryList, ExportOrder, ReturnRequest, type InventoryList } from './documents.ts';
import { generateParcel } from './generate-docs.ts';
import { matchExportReturn, matchReturn, returnedValueCny, type ExportReturn, type ReturnRule } from './returns.ts';

// A 1210 list with two lines: gnum 1 (1 × 电动牙刷, unit 007) and gnum 2 (3 × 保湿面霜, unit 142).
const list: InventoryList = generateParcel({ seed: 1 }, 0).set.inventory;
const [line1, line2] = list.lines as [InventoryList['lines'][number], InventoryList['lines'][number]];

const request = (patch: Partial<ReturnRequest> = {}): ReturnRequest =>
  ReturnRequest.parse({
    kind: 'return',
    customsCode: list.customsCode,
    orderNo: list.orderNo,
    ebpCode: list.ebpCode,
    ebpName: list.ebpName,
    ebcCode: list.ebcCode,
    ebcName: list.ebcName,
    logisticsNo: list.logisticsNo,
    logisticsCode: list.logisticsCode,
    logisticsName: list.logisticsName,
    copNo: 'R0001',
    invtNo: list.invtNo,
    buyerIdType: '1',
    buyerIdNumber: list.buyerIdNumber,
    buyerName: list.buyerName,
    buyerTelephone: list.buyerTelephone,
    agentCode: list.agentCode,
    agentName: list.agentName,
    reason: '七天无理由退货',
    lines: [{ gnum: 2, gcode: line2.gcode, gname: line2.gname, qty: '2', unit: line2.unit }],
    ...patch,
  });
const none = new Map<number, string>();

describe('matchReturn: an import return request (CEB625) against its original list', () => {
  it('a return of part of a released line, by the same parties, matches', () => {
    expect(matchReturn(request(), list, none, true)).toEqual({ ok: true, issues: [] });
    // The ID number compares normalised: a lower-case check character and stray spaces are the same buyer.
    const idWithX = '11010519491231002X';
    expect(matchReturn(request({ buyerIdNumber: ` ${idWithX.toLowerCase()} ` }), { ...list, buyerIdNumber: idWithX }, none, true).ok).toBe(true);
  });

  const cases: [string, ReturnRequest, InventoryList | undefined, Map<number, string>, boolean, { rule: ReturnRule; field: string; expected?: unknown; actual?: unknown }[]][] = [
    ['the original list is unknown (nothing else can be compared)', request(), undefined, none, true, [{ rule: 'original.unknown', field: 'invtNo', actual: list.invtNo }]],
    ['the original list is not released', request(), list, none, false, [{ rule: 'original.not_released', field: 'invtNo' }]],
    ['another orderNo', request({ orderNo: 'YP-OTHER' as ReturnRequest['orderNo'] }), list, none, true, [{ rule: 'header.differs', field: 'orderNo', expected: list.orderNo, actual: 'YP-OTHER' }]],
    ['another logisticsNo', request({ logisticsNo: 'PC9' as ReturnRequest['logisticsNo'] }), list, none, true, [{ rule: 'header.differs', field: 'logisticsNo', expected: list.logisticsNo, actual: 'PC9' }]],
    ['another e-commerce company', request({ ebcCode: '3301968X99' }), list, none, true, [{ rule: 'header.differs', field: 'ebcCode', expected: list.ebcCode, actual: '3301968X99' }]],
    ['another platform', request({ ebpCode: '4403960Z99' }), list, none, true, [{ rule: 'header.differs', field: 'ebpCode', expected: list.ebpCode, actual: '4403960Z99' }]],
    // Reported masked: region prefix and the last 4 only.
    ['another buyer', request({ buyerIdNumber: '110105194912310021' }), list, none, true, [{ rule: 'header.differs', field: 'buyerIdNumber', expected: '330***********0274', actual: '110***********0021' }]],
    ['a line not on the list', request({ lines: [{ gnum: 7, gcode: line1.gcode, gname: line1.gname, qty: '1', unit: line1.unit }] }), list, none, true, [{ rule: 'line.unknown', field: 'lines[gnum=7].gnum', actual: 7 }]],
    ['another HS code', request({ lines: [{ gnum: 2, gcode: '3304100000', gname: line2.gname, qty: '1', unit: line2.unit }] }), list, none, true, [{ rule: 'line.gcode', field: 'lines[gnum=2].gcode', expected: line2.gcode, actual: '3304100000' }]],
    ['another goods name', request({ lines: [{ gnum: 2, gcode: line2.gcode, gname: '面膜', qty: '1', unit: line2.unit }] }), list, none, true, [{ rule: 'line.gname', field: 'lines[gnum=2].gname', expected: line2.gname, actual: '面膜' }]],
    ['another unit', request({ lines: [{ gnum: 2, gcode: line2.gcode, gname: line2.gname, qty: '1', unit: '007' }] }), list, none, true, [{ rule: 'line.unit', field: 'lines[gnum=2].unit', expected: line2.unit, actual: '007' }]],
    ['more than the list declared', request({ lines: [{ gnum: 2, gcode: line2.gcode, gname: line2.gname, qty: '4', unit: line2.unit }] }), list, none, true, [{ rule: 'line.qty', field: 'lines[gnum=2].qty', expected: '3', actual: '4' }]],
    ['more than is left after earlier returns', request(), list, new Map([[2, '2']]), true, [{ rule: 'line.qty', field: 'lines[gnum=2].qty', expected: '1', actual: '2' }]],
    [
      'several problems: one issue each',
      request({ ebcCode: '3301968X99', lines: [{ gnum: 1, gcode: line1.gcode, gname: line1.gname, qty: '2', unit: '011' }, { gnum: 9, gcode: line2.gcode, gname: line2.gname, qty: '1', unit: line2.unit }] }),
      list,
      none,
      false,
      [
        { rule: 'original.not_released', field: 'invtNo' },
        { rule: 'header.differs', field: 'ebcCode' },
        { rule: 'line.unit', field: 'lines[gnum=1].unit' },
        { rule: 'line.qty', field: 'lines[gnum=1].qty', expected: '1', actual: '2' },
        { rule: 'line.unknown', field: 'lines[gnum=9].gnum' },
      ],
    ],
  ];
  it.each(cases)('%s', (_title, req, original, already, released, expected) => {
    const r = matchReturn(req, original, already, released);
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual(expected.map((e) => expect.objectContaining(e)));
  });

  it('the quantity message names both numbers, and what is left is compared exactly (decimal quantities)', () => {
    const r = matchReturn(request(), list, new Map([[2, '2']]), true);
    expect(r.issues[0]!.message).toMatch(/declared 3.*2 were already returned.*at most 1/);
    // 0.1 + 0.2 already returned of 0.3 declared leaves exactly 0: returning 0.00001 more is too much, 0 left is not negative.
    const small = { ...list, lines: [{ ...line2, qty: '0.3' }] };
    const req = request({ lines: [{ gnum: 2, gcode: line2.gcode, gname: line2.gname, qty: '0.1', unit: line2.unit }] });
    expect(matchReturn(req, small, new Map([[2, dec.add('0.1', '0.1')]]), true).ok).toBe(true);
    expect(matchReturn(req, small, new Map([[2, dec.add('0.1', '0.2')]]), true).issues).toEqual([expect.objectContaining({ rule: 'line.qty', expected: '0' })]);
  });

  it('never shows the full ID number in an issue', () => {
    const r = matchReturn(request({ buyerIdNumber: '110105194912310021' }), list, none, true);
    expect(JSON.stringify(r)).not.toContain('110105194912310021');
    expect(JSON.stringify(r)).not.toContain(list.buyerIdNumber);
  });
});

describe('matchExportReturn: a parcel returned to the overseas warehouse against its export', () => {
  const exportList = ExportInventoryList.parse({
    kind: 'exportInventory', customsCode: '2991', ebpCode: '3301960A01', ebpName: '云海跨境电商平台', orderNo: 'W-ORD-1', logisticsCode: '3301980H21', logisticsName: '鹏程速递有限公司',
    logisticsNo: 'PC000000000001', copNo: 'E0001', portCode: '2991', ieDate: '20250301', statisticsFlag: 'B', agentCode: '3301980L31', agentName: '杭州关通报关有限公司',
    ebcCode: '3301968D11', ebcName: '杭州云海供应链管理有限公司', ownerCode: '3301968D11', ownerName: '杭州云海供应链管理有限公司', tradeMode: '9810', trafMode: '5', country: '502', POD: '5024',
    freight: 3, fCurrency: '502', insuredFee: 0, iCurrency: '502', wrapType: '2', packNo: 1, grossWeight: 3, netWeight: 2.5,
    lines: [
      { gnum: 1, itemNo: 'TS-01', gcode: '6109100022', gname: '棉质T恤', gmodel: '针织', barCode: '6901234567892', country: '502', currency: '502', qty: '3', qty1: 3, unit: '011', unit1: '011', price: 12.5, totalPrice: 37.5 },
      { gnum: 2, itemNo: 'MUG-1', gcode: '6912000010', gname: '陶瓷杯', gmodel: '350ml', barCode: '无', country: '502', currency: '502', qty: '2', qty1: 2, unit: '011', unit1: '011', price: 5, totalPrice: 10 },
    ],
  });
  const exportOrder = ExportOrder.parse({
    kind: 'exportOrder', orderType: 'W', orderNo: 'W-ORD-1', ebpCode: '3301960A01', ebpName: '云海跨境电商平台', ebcCode: '3301968D11', ebcName: '杭州云海供应链管理有限公司',
    goodsValue: 47.5, freight: 3, currency: '502',
    lines: [{ gnum: 1, itemNo: 'TS-01', itemName: '棉质T恤', barCode: '6901234567892', unit: '011', currency: '502', qty: '3', price: 12.5, totalPrice: 37.5 }],
  });
  const ret = (patch: Partial<ExportReturn> = {}): ExportReturn => ({ orderNo: 'W-ORD-1', sku: 'TS-01', qty: 1, ...patch });

  it('a SKU on the export, by itemNo or by barCode (the station writes GTIN-14), within what was exported, matches', () => {
    expect(matchExportReturn(ret(), exportList, 0)).toEqual({ ok: true, issues: [] });
    expect(matchExportReturn(ret({ sku: '06901234567892', qty: 3 }), exportList, 0).ok).toBe(true);
    expect(matchExportReturn(ret({ sku: 'MUG-1', qty: 2 }), exportOrder, 0).issues.map((i) => i.rule)).toEqual(['export.sku_not_exported']);
    expect(matchExportReturn(ret({ qty: 2 }), exportOrder, 1).ok).toBe(true);
  });

  const cases: [string, ExportReturn, ExportInventoryList | ExportOrder | undefined, number, { rule: ReturnRule; expected?: unknown; actual?: unknown }][] = [
    ['no orderNo on the event', ret({ orderNo: undefined }), exportList, 0, { rule: 'export.no_order' }],
    ['no export of that order', ret({ orderNo: 'W-ORD-9' }), undefined, 0, { rule: 'export.unknown', actual: 'W-ORD-9' }],
    ['no SKU on the event', ret({ sku: undefined }), exportList, 0, { rule: 'export.no_sku' }],
    ['a SKU the export did not carry', ret({ sku: 'HAT-9' }), exportList, 0, { rule: 'export.sku_not_exported', actual: 'HAT-9' }],
    ['more than exported', ret({ qty: 4 }), exportList, 0, { rule: 'export.qty', expected: '3', actual: 4 }],
    ['more than is left after earlier returns', ret({ qty: 2 }), exportList, 2, { rule: 'export.qty', expected: '1', actual: 2 }],
  ];
  it.each(cases)('%s', (_title, r, original, already, expected) => {
    expect(matchExportReturn(r, original, already)).toEqual({ ok: false, issues: [expect.objectContaining(expected)] });
  });
});

describe('returned value (issue 16 item 7)', () => {
  it("is each returned line's share of its original total price; unknown lines and over-returns add nothing more", () => {
    const original = { lines: [{ gnum: 1, qty: 4, totalPrice: 100 }, { gnum: 2, qty: 1, totalPrice: 59.9 }] } as unknown as Parameters<typeof returnedValueCny>[0];
    const r = (lines: { gnum: number; qty: number }[]) => ({ lines }) as unknown as Parameters<typeof returnedValueCny>[1][number];
    expect(returnedValueCny(original, [])).toBe(0);
    expect(returnedValueCny(original, [r([{ gnum: 1, qty: 1 }])])).toBe(25);
    expect(returnedValueCny(original, [r([{ gnum: 1, qty: 1 }]), r([{ gnum: 1, qty: 2 }, { gnum: 2, qty: 1 }])])).toBe(134.9);
    expect(returnedValueCny(original, [r([{ gnum: 1, qty: 9 }, { gnum: 7, qty: 1 }])])).toBe(100);
  });
});
