import { describe, expect, it } from 'vitest';
import type { FieldIssue } from '../../../shared/errors.ts';
import { documentKey, parseDocument, type CustomsDocument, type DocumentOf } from '../documents.ts';
import { FIXTURE_TYPES, fixtureBody, fixtureXml, type FixtureNode, type FixtureType } from './fixtures.ts';
import { cebToDocuments } from './to-documents.ts';

// invtNo: district + year + I/E + serial (customs.md §7). The XSD allows any 18 characters, the documents do not.
const INVT_NO = '51652024I000123456';
const XSD_ONLY_INVT_NO = '516520241000123456';
const BAD_INVT_NO_TYPES: readonly FixtureType[] = ['CEB622', 'CEB625'];

function node(v: FixtureNode[string] | undefined): FixtureNode {
  if (v === undefined || typeof v === 'string' || Array.isArray(v)) throw new Error('not a block');
  return v;
}
function blocks(v: FixtureNode[string] | undefined): FixtureNode[] {
  if (!Array.isArray(v)) throw new Error('not a repeated block');
  return v;
}

function conformingXml(type: FixtureType): string {
  if (!BAD_INVT_NO_TYPES.includes(type)) return fixtureXml(type);
  const body = fixtureBody(type);
  if (type === 'CEB622') blocks(body.InventoryReturn)[0]!.invtNo = INVT_NO;
  else node(blocks(body.InvtRefund)[0]!.InvtRefundHead).invtNo = INVT_NO;
  return fixtureXml(type, { body });
}

function mapped(xml: string | Uint8Array): CustomsDocument[] {
  const r = cebToDocuments(xml);
  if (!r.ok) throw new Error(`expected documents, got ${JSON.stringify(r.issues)}`);
  return r.documents;
}

function only<K extends CustomsDocument['kind']>(xml: string, kind: K): DocumentOf<K> {
  const docs = mapped(xml);
  expect(docs).toHaveLength(1);
  const doc = docs[0]!;
  expect(doc.kind).toBe(kind);
  return doc as DocumentOf<K>;
}

function documentsOf(xml: string | Uint8Array): CustomsDocument[] {
  const r = cebToDocuments(xml);
  if (!r.ok) throw new Error(`expected documents, got ${JSON.stringify(r.issues)}`);
  return r.documents;
}

function issuesOf(xml: string | Uint8Array): FieldIssue[] {
  const r = cebToDocuments(xml);
  if (r.ok) throw new Error('expected issues');
  return r.issues;
}

describe('cebToDocuments: every fixture', () => {
  it.each(FIXTURE_TYPES)('%s maps to documents that round-trip through parseDocument', (type) => {
    const r = cebToDocuments(conformingXml(type));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.messageType).toBe(type);
    expect(r.guid).toBe('8E2F4C1A-3B5D-4E6F-9A7B-1C2D3E4F5A60');
    expect(r.documents).toHaveLength(1);
    for (const doc of r.documents) {
      expect(parseDocument(doc)).toEqual(doc);
      expect(parseDocument(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
      expect(doc).not.toHaveProperty('guid');
      expect(doc).not.toHaveProperty('appTime');
    }
  });

  it('works the same for every namespace style and for bytes', () => {
    const expected = mapped(fixtureXml('CEB311'));
    expect(mapped(fixtureXml('CEB311', { style: 'default' }))).toEqual(expected);
    expect(mapped(fixtureXml('CEB311', { style: 'other' }))).toEqual(expected);
    expect(mapped(new TextEncoder().encode(fixtureXml('CEB311')))).toEqual(expected);
  });
});

describe('cebToDocuments: values', () => {
  it('CEB311 → order: amounts are exact decimal strings, codes stay strings, Chinese text intact', () => {
    const o = only(fixtureXml('CEB311'), 'order');
    expect(o.acturalPaid).toBe('639.15');
    expect(o.goodsValue).toBe('595');
    expect(o.freight).toBe('0');
    expect(o.currency).toBe('142');
    expect(o.buyerIdType).toBe('1');
    expect(o.consigneeDistrict).toBe('440106');
    expect(o.buyerName).toBe('张伟');
    expect(o.consigneeAddress).toBe('广东省广州市天河区天河路385号太古汇1座2201室');
    expect(o.lines).toHaveLength(2);
    expect(o.lines[0]).toMatchObject({ gnum: 1, itemName: 'a2 Platinum 白金版婴幼儿配方奶粉3段 900g', unit: '122', qty: '2', price: '228', totalPrice: '456', country: '601' });
    expect(o).not.toHaveProperty('orderType'); // always I for a 311; the document does not model it
    expect(o.extensions).toBeUndefined();
  });

  it('CEB411 → payment, CEB511 → waybill', () => {
    const p = only(fixtureXml('CEB411'), 'payment');
    expect(p).toMatchObject({ amountPaid: '639.15', payTime: '20240728100812', payerName: '张伟', payerIdType: '1' });
    const w = only(fixtureXml('CEB511'), 'waybill');
    expect(w).toMatchObject({ weight: '2.35', packNo: 1, freight: '0', goodsInfo: '奶粉2罐,纸尿裤1包' });
  });

  it('CEB621 → inventory: legal quantities and weights are exact decimals', () => {
    const l = only(fixtureXml('CEB621'), 'inventory');
    expect(l).toMatchObject({ copNo: 'NSHT2024072800123', tradeMode: '1210', grossWeight: '2.35', netWeight: '2.05', packNo: 1, ieFlag: 'I', declTime: '20240728' });
    expect(l.lines.map((x) => [x.gnum, x.gcode, x.qty1, x.unit1])).toEqual([
      [1, '1901101000', '1.8', '035'],
      [2, '9619001100', '1', '140'],
    ]);
  });

  it('CEB625 → return', () => {
    const r = only(conformingXml('CEB625'), 'return');
    expect(r).toMatchObject({ invtNo: INVT_NO, reason: '消费者七天无理由退货：奶粉罐体凹陷', note: '退回南沙保税仓 B区-03-12 库位' });
    expect(r.lines).toEqual([{ gnum: 1, gcode: '1901101000', gname: '婴幼儿配方奶粉', qty: '1', unit: '122' }]);
  });

  it('CEB303, CEB505, CEB603 → export documents', () => {
    const o = only(fixtureXml('CEB303'), 'exportOrder');
    expect(o).toMatchObject({ orderType: 'E', goodsValue: '86.5', freight: '12' });
    expect(o.lines).toHaveLength(2);
    const w = only(fixtureXml('CEB505'), 'exportWaybill');
    expect(w).toMatchObject({ logisticsNo: 'EA123456785CN', grossWeight: '1.62', packNo: 1, ebcName: '义乌市星辰日用品有限公司' });
    const l = only(fixtureXml('CEB603'), 'exportInventory');
    expect(l).toMatchObject({ POD: '304', statisticsFlag: 'A', fFlag: '3', netWeight: '1.4' });
    expect(l.lines[1]).toMatchObject({ qty1: '0.6', barCode: '无' });
  });

  it('receipts: returnStatus is a number and refersTo matches the document it answers', () => {
    const pairs: [FixtureType, FixtureType][] = [
      ['CEB311', 'CEB312'],
      ['CEB411', 'CEB412'],
      ['CEB511', 'CEB512'],
      ['CEB621', 'CEB622'],
      ['CEB603', 'CEB604'],
    ];
    for (const [docType, receiptType] of pairs) {
      const doc = mapped(conformingXml(docType))[0]!;
      const receipt = only(conformingXml(receiptType), 'receipt');
      expect(receipt.messageType).toBe(receiptType);
      expect(documentKey(receipt.refersTo)).toBe(documentKey(doc));
    }
    const r312 = only(fixtureXml('CEB312'), 'receipt');
    expect(r312).toMatchObject({ returnStatus: 120, returnTime: '20240728101702318', returnInfo: '[Code:2600;Desc:订单新增申报成功]' });
    expect(r312.refersTo).toEqual({ kind: 'order', orderNo: 'GZKJ20240728000123', ebpCode: '4401986Y1B', ebcCode: '440166K00A' });
    const r622 = only(conformingXml('CEB622'), 'receipt');
    expect(r622.returnStatus).toBe(800);
    expect(r622.refersTo).toEqual({ kind: 'inventory', copNo: 'NSHT2024072800123', preNo: 'B20240728123456789', invtNo: INVT_NO, ebpCode: '4401986Y1B', ebcCode: '440166K00A', agentCode: '4401980XYZ' });
    const r604 = only(fixtureXml('CEB604'), 'receipt');
    expect(r604.refersTo).toEqual({ kind: 'exportInventory', copNo: 'YWXC2024072800042', preNo: 'B20240728000004242', invtNo: '29242024E000042420' });
  });

  it('a negative returnStatus (a customs error) stays a number', () => {
    const body = fixtureBody('CEB312');
    blocks(body.OrderReturn)[0]!.returnStatus = '-621005';
    expect(only(fixtureXml('CEB312', { body }), 'receipt').returnStatus).toBe(-621005);
  });
});

describe('cebToDocuments: several blocks and extensions', () => {
  it('a CEB311 with two Orders yields two documents, in order', () => {
    const body = fixtureBody('CEB311');
    const [first] = blocks(body.Order);
    const second = structuredClone(first!);
    node(second.OrderHead).orderNo = 'GZKJ20240728000124';
    blocks(second.OrderList).pop();
    body.Order = [first!, second];
    const docs = mapped(fixtureXml('CEB311', { body }));
    expect(docs.map((d) => (d.kind === 'order' ? [d.orderNo, d.lines.length] : d.kind))).toEqual([
      ['GZKJ20240728000123', 2],
      ['GZKJ20240728000124', 1],
    ]);
  });

  it('elements the XSD does not name go into extensions (head, block, line; nested flattened)', () => {
    const body = fixtureBody('CEB311');
    const order = blocks(body.Order)[0]!;
    node(order.OrderHead).districtFlag = '南沙A';
    node(order.OrderHead).crossBorder = { channel: 'NS-01', batch: '7' };
    blocks(order.OrderList)[1]!.originTag = 'JP';
    order.blockNote = 'x';
    const o = only(fixtureXml('CEB311', { body }), 'order');
    expect(o.extensions).toEqual({ districtFlag: '南沙A', 'crossBorder.channel': 'NS-01', 'crossBorder.batch': '7', 'OrderList[1].originTag': 'JP', blockNote: 'x' });
    expect(o.lines).toHaveLength(2);
    expect(parseDocument(o)).toEqual(o);
  });

  it('an empty optional element is left out rather than failing the schema', () => {
    const body = fixtureBody('CEB505');
    blocks(body.Logistics)[0]!.ebcTelephone = '';
    expect(only(fixtureXml('CEB505', { body }), 'exportWaybill')).not.toHaveProperty('ebcTelephone');
  });
});

describe('cebToDocuments: failures', () => {
  it('an invalid message returns validateCeb issues', () => {
    const body = fixtureBody('CEB311');
    node(blocks(body.Order)[0]!.OrderHead).acturalPaid = 'abc';
    const issues = issuesOf(fixtureXml('CEB311', { body }));
    expect(issues).toEqual([expect.objectContaining({ field: 'Order[0].OrderHead.acturalPaid', rule: 'decimal' })]);
  });

  it('a list number in another shape than the hub\'s is kept as sent (issue 15 item 1: its shape is a warning at ingest)', () => {
    // invtNo: the XSD allows any 18 characters; customs.md's district + year + I + serial is practice, not schema.
    const refund = fixtureBody('CEB625');
    node(blocks(refund.InvtRefund)[0]!.InvtRefundHead).invtNo = XSD_ONLY_INVT_NO;
    expect(documentsOf(fixtureXml('CEB625', { body: refund }))[0]).toMatchObject({ invtNo: XSD_ONLY_INVT_NO });
    const receipt = fixtureBody('CEB622');
    blocks(receipt.InventoryReturn)[0]!.invtNo = XSD_ONLY_INVT_NO;
    expect(documentsOf(fixtureXml('CEB622', { body: receipt }))[0]).toMatchObject({ refersTo: { invtNo: XSD_ONLY_INVT_NO } });
  });

  it('a list and a return request without copNo (optional in the XSD) are accepted; the return keeps its head guid as identity', () => {
    const list = fixtureBody('CEB621');
    delete node(blocks(list.Inventory)[0]!.InventoryHead).copNo;
    const [doc] = documentsOf(fixtureXml('CEB621', { body: list }));
    expect(doc).not.toHaveProperty('copNo');
    expect(documentKey(doc!)).toMatch(/^inventory:order:/);
    const refund = fixtureBody('CEB625');
    const head = node(blocks(refund.InvtRefund)[0]!.InvtRefundHead);
    delete head.copNo;
    const [ret] = documentsOf(fixtureXml('CEB625', { body: refund }));
    expect(ret).toMatchObject({ kind: 'return', guid: head.guid });
    expect(documentKey(ret!)).toBe(`return:guid:${String(head.guid)}`);
  });

  it('zod issues in a second block and in a line name that block and line', () => {
    const body = fixtureBody('CEB311');
    const [first] = blocks(body.Order);
    const second = structuredClone(first!);
    node(second.OrderHead).orderNo = 'GZKJ20240728000124';
    blocks(second.OrderList)[1]!.gnum = '1'; // duplicate gnum: fine for the XSD, not for the document
    body.Order = [first!, second];
    expect(issuesOf(fixtureXml('CEB311', { body })).map((i) => i.field)).toEqual(['Order[1].OrderList[1].gnum']);
    // buyerIdType: the XSD's facets allow any 1 character; its documentation says 1 — a warning on that document only.
    const body2 = fixtureBody('CEB311');
    blocks(second.OrderList)[1]!.gnum = '2';
    node(second.OrderHead).buyerIdType = '3';
    body2.Order = [first!, second];
    const r = cebToDocuments(fixtureXml('CEB311', { body: body2 }));
    expect(r).toMatchObject({ ok: true, documentWarnings: [[], [{ field: 'Order[1].OrderHead.buyerIdType', code: 'CEB_DOCUMENTED_ENUMERATION' }]] });
  });

  it('a non-integer returnStatus is reported at its element', () => {
    const body = fixtureBody('CEB412');
    blocks(body.PaymentReturn)[0]!.returnStatus = 'OK';
    expect(issuesOf(fixtureXml('CEB412', { body })).map((i) => i.field)).toEqual(['PaymentReturn[0].returnStatus']);
  });

  it('a decimal(19,5) at full XSD width is kept exactly, digit for digit (issue 15 item 4)', () => {
    const body = fixtureBody('CEB311');
    const head = node(blocks(body.Order)[0]!.OrderHead);
    head.goodsValue = '12345678912345.12345';
    head.freight = '+0012.50';
    const line = node(blocks(blocks(body.Order)[0]!.OrderList)[0]!);
    line.qty = '99999999999999.99999';
    const o = only(fixtureXml('CEB311', { body }), 'order');
    expect(o.goodsValue).toBe('12345678912345.12345');
    expect(o.freight).toBe('12.5');
    expect(o.lines[0]!.qty).toBe('99999999999999.99999');
  });

  it('a decimal beyond decimal(19,5) is still refused at its element', () => {
    const body = fixtureBody('CEB311');
    node(blocks(body.Order)[0]!.OrderHead).goodsValue = '123456789123456.1';
    expect(issuesOf(fixtureXml('CEB311', { body })).map((i) => i.field)).toEqual(['Order[0].OrderHead.goodsValue']);
  });

  it('hostile XML (DOCTYPE) is refused before anything is read', () => {
    const xxe = fixtureXml('CEB311').replace('<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n');
    expect(issuesOf(xxe)).toEqual([expect.objectContaining({ code: 'XML_DOCTYPE_REFUSED' })]);
    expect(issuesOf('<not-xml')).toEqual([expect.objectContaining({ code: 'XML_MALFORMED' })]);
  });

  it('a CEB900 (once refused as "not mapped") is read, and its XSD issues come back like any message\'s', () => {
    const xml = `<ceb:CEB900Message guid="x" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb"/>`;
    expect(issuesOf(xml)).toEqual([expect.objectContaining({ field: '@guid', rule: 'length' }), expect.objectContaining({ field: 'MessageReturn', rule: 'required' })]);
  });

  it('a message of a type no edition declares gets CEB_UNKNOWN_MESSAGE_TYPE naming it, after what else is wrong', () => {
    const xml = `<ceb:CEB999Message guid="x" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:Whatever/><ceb:BaseTransfer><ceb:copCode>C1</ceb:copCode><ceb:copName>N</ceb:copName><ceb:dxpMode>DXP</ceb:dxpMode></ceb:BaseTransfer></ceb:CEB999Message>`;
    expect(issuesOf(xml)).toEqual([
      expect.objectContaining({ field: '@guid', rule: 'length' }),
      expect.objectContaining({ field: 'BaseTransfer.dxpId', rule: 'required' }),
      { field: '(root)', code: 'CEB_UNKNOWN_MESSAGE_TYPE', message: expect.stringContaining('CEB999') },
    ]);
  });
});

describe('cebToDocuments: attributes (issue 13 item 13)', () => {
  const xml = fixtureXml('CEB311');
  it('refuses an attribute the XSD does not declare on an element it declares, root included', () => {
    for (const [from, to, field] of [
      ['<ceb:OrderHead>', '<ceb:OrderHead junk="1">', 'Order[0].OrderHead.@junk'],
      ['<ceb:gnum>1<', '<ceb:gnum note="x">1<', 'Order[0].OrderList[0].gnum.@note'],
      ['version="1.0" xmlns:ceb', 'version="1.0" extra="y" xmlns:ceb', '@extra'],
    ] as const) {
      const r = cebToDocuments(xml.replace(from, to));
      expect(r).toMatchObject({ ok: false, issues: [expect.objectContaining({ field, rule: 'attribute' })] });
    }
  });

  it('takes xsi: attributes and warns of attributes on district additions, which are kept', () => {
    const r = cebToDocuments(xml.replace('<ceb:OrderHead>', '<ceb:OrderHead xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x">').replace('</ceb:OrderHead>', '<ceb:sortLine id="7">S-07</ceb:sortLine></ceb:OrderHead>'));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.warnings).toEqual([{ field: 'Order[0].OrderHead.sortLine.@id', code: 'CEB_EXTENSION_ATTRIBUTE', message: expect.stringMatching(/does not declare/), params: { element: 'sortLine', attribute: 'id' } }]);
      expect(r.documentWarnings).toEqual([r.warnings]);
      expect(r.documents[0]).toMatchObject({ extensions: { sortLine: 'S-07' } });
    }
  });

  it('bounds attribute values before building the tree', () => {
    const r = cebToDocuments(xml.replace('</ceb:OrderHead>', `<ceb:sortLine id="${'x'.repeat(4097)}">S</ceb:sortLine></ceb:OrderHead>`));
    expect(r).toMatchObject({ ok: false, issues: [expect.objectContaining({ code: 'XML_ATTRIBUTE_TOO_LONG' })] });
  });
});
