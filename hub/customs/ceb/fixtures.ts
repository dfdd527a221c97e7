import type { Signer } from './generate.ts';
import { CEB_NS, DS_NS } from './schema.ts';
import { escapeXmlAttr, escapeXmlText } from './xml.ts';

/**
 * Realistic sample messages for tests: one 1210 bonded-import parcel (order, payment, waybill, inventory list,
 * return, and the receipts) and one 9610 export parcel, written field by field in the XSD's order by hand — not
 * from the rule table — so that the validator and xmllint check them independently. Companies and people are
 * fictitious; the ID number and phone are the standard sample values.
 */

export type NsStyle = 'ceb' | 'default' | 'other';

export const FIXTURE_TYPES = ['CEB311', 'CEB312', 'CEB411', 'CEB412', 'CEB511', 'CEB512', 'CEB621', 'CEB622', 'CEB625', 'CEB303', 'CEB505', 'CEB603', 'CEB604'] as const;
export type FixtureType = (typeof FIXTURE_TYPES)[number];

/** Ordered fields: a string is a leaf, an object a block, an array a repeated block. Key order is XSD order. */
export interface FixtureNode {
  [name: string]: string | FixtureNode | FixtureNode[];
}

const SIGNATURE = '__signature__';

/**
 * Shaped like an enveloped XML-DSig signature so the official XSD accepts the document, but NOT a signature: the
 * algorithm URIs say so and the digest and value are zero bytes. Tests only.
 */
export function placeholderSignatureXml(indent = '  '): string {
  const i = (n: number): string => indent.repeat(n);
  return [
    `${i(1)}<ds:Signature xmlns:ds="${DS_NS}">`,
    `${i(2)}<ds:SignedInfo>`,
    `${i(3)}<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>`,
    `${i(3)}<ds:SignatureMethod Algorithm="urn:bondgate:placeholder:not-a-signature"/>`,
    `${i(3)}<ds:Reference URI="">`,
    `${i(4)}<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>`,
    `${i(4)}<ds:DigestMethod Algorithm="urn:bondgate:placeholder:not-a-digest"/>`,
    `${i(4)}<ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue>`,
    `${i(3)}</ds:Reference>`,
    `${i(2)}</ds:SignedInfo>`,
    `${i(2)}<ds:SignatureValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==</ds:SignatureValue>`,
    `${i(1)}</ds:Signature>`,
  ].join('\n');
}

/**
 * NOT A SIGNATURE: inserts {@link placeholderSignatureXml} as the root's last child, so a generated CEB711 can be
 * checked against the official XSD, which requires ds:Signature. Tests only.
 */
export class SchemaShapedPlaceholderSigner implements Signer {
  async sign(xml: string): Promise<string> {
    const close = xml.lastIndexOf('</');
    return `${xml.slice(0, close)}${placeholderSignatureXml()}\n${xml.slice(close)}`;
  }
}

// ---- the parties and goods of the samples ----

const T = { app: '20240728101530', pay: '20240728100812', ret: '20240728101702318', declDate: '20240728' };
const EBP = { ebpCode: '4401986Y1B', ebpName: '广州跨境优选电子商务有限公司' };
const EBC = { ebcCode: '440166K00A', ebcName: '广州南沙海淘优品贸易有限公司' };
const PAY = { payCode: '3301961A07', payName: '杭州云付网络科技有限公司' };
const LOG = { logisticsCode: '440316T004', logisticsName: '广州南沙顺捷国际物流有限公司' };
const AGENT = { agentCode: '4401980XYZ', agentName: '广州南沙诚通报关有限公司' };
const AREA = { areaCode: '4401630ABC', areaName: '广州南沙保税港区仓储有限公司' };
const BUYER = { name: '张伟', idNumber: '11010519491231002X', telephone: '13800138000', regNo: 'zhangwei_1988' };
const ADDRESS = '广东省广州市天河区天河路385号太古汇1座2201室';
const ORDER_NO = 'GZKJ20240728000123';
const LOGISTICS_NO = 'SF1429876543210';
const GUIDS = {
  message: '8E2F4C1A-3B5D-4E6F-9A7B-1C2D3E4F5A60',
  head: '4C0B7E91-2D6A-4F3B-8C5E-0A1B2C3D4E5F',
  receipt: 'D3A1F5C7-9B2E-4C8D-A6F0-7E1B3C5D9A24',
};
const TRANSFER = { copCode: '440166K00A', copName: '广州南沙海淘优品贸易有限公司', dxpMode: 'DXP', dxpId: 'DXPENT0000012345' };

// 2 cans of formula at 228.00 and 1 pack of nappies at 139.00: goodsValue 595.00; tax 9.1% (70% of 13% VAT) = 54.15;
// discount 10.00 → acturalPaid = 595.00 + 0 + 54.15 − 10.00 = 639.15.
const GOODS = [
  { itemNo: 'A2-S3-900', itemRecordNo: 'T5165W000123-0001', itemName: 'a2 Platinum 白金版婴幼儿配方奶粉3段 900g', gcode: '1901101000', gname: '婴幼儿配方奶粉', gmodel: '3段|900g/罐|乳清蛋白粉,脱脂奶粉|a2牌', barCode: '9421902960055', country: '601', unit: '122', qty: '2', qty1: '1.8', unit1: '035', price: '228.00', totalPrice: '456.00' },
  { itemNo: 'KAO-MER-L54', itemRecordNo: 'T5165W000123-0002', itemName: '花王妙而舒纸尿裤L号54片', gcode: '9619001100', gname: '婴儿纸尿裤', gmodel: 'L号|54片/包|无纺布,高分子吸水树脂|花王牌', barCode: '4901301230843', country: '116', unit: '140', qty: '1', qty1: '1', unit1: '140', price: '139.00', totalPrice: '139.00' },
] as const;

function bodyOf(type: FixtureType): FixtureNode {
  switch (type) {
    case 'CEB311':
      return {
        Order: [
          {
            OrderHead: {
              guid: GUIDS.head, appType: '1', appTime: T.app, appStatus: '2', orderType: 'I', orderNo: ORDER_NO, ...EBP, ...EBC,
              goodsValue: '595.00', freight: '0', discount: '10.00', taxTotal: '54.15', acturalPaid: '639.15', currency: '142',
              buyerRegNo: BUYER.regNo, buyerName: BUYER.name, buyerTelephone: BUYER.telephone, buyerIdType: '1', buyerIdNumber: BUYER.idNumber,
              payCode: PAY.payCode, payName: PAY.payName, payTransactionId: '2024072822001468301234567890',
              consignee: BUYER.name, consigneeTelephone: BUYER.telephone, consigneeAddress: ADDRESS, consigneeDistrict: '440106',
            },
            OrderList: GOODS.map((g, i) => ({
              gnum: String(i + 1), itemNo: g.itemNo, itemName: g.itemName, gmodel: g.gmodel, barCode: g.barCode, unit: g.unit,
              qty: g.qty, price: g.price, totalPrice: g.totalPrice, currency: '142', country: g.country,
            })),
          },
        ],
        BaseTransfer: TRANSFER,
      };
    case 'CEB312':
      return { OrderReturn: [{ guid: GUIDS.receipt, ebpCode: EBP.ebpCode, ebcCode: EBC.ebcCode, orderNo: ORDER_NO, returnStatus: '120', returnTime: T.ret, returnInfo: '[Code:2600;Desc:订单新增申报成功]' }] };
    case 'CEB411':
      return {
        Payment: [
          {
            PaymentHead: {
              guid: GUIDS.head, appType: '1', appTime: T.app, appStatus: '2', ...PAY, payTransactionId: '2024072822001468301234567890', orderNo: ORDER_NO, ...EBP,
              payerIdType: '1', payerIdNumber: BUYER.idNumber, payerName: BUYER.name, telephone: BUYER.telephone, amountPaid: '639.15', currency: '142', payTime: T.pay,
            },
          },
        ],
        BaseTransfer: { ...TRANSFER, copCode: PAY.payCode, copName: PAY.payName },
      };
    case 'CEB412':
      return { PaymentReturn: [{ guid: GUIDS.receipt, payCode: PAY.payCode, payTransactionId: '2024072822001468301234567890', returnStatus: '120', returnTime: T.ret, returnInfo: '[Code:2600;Desc:支付单新增申报成功]' }] };
    case 'CEB511':
      return {
        Logistics: [
          {
            LogisticsHead: {
              guid: GUIDS.head, appType: '1', appTime: T.app, appStatus: '2', ...LOG, logisticsNo: LOGISTICS_NO, orderNo: ORDER_NO,
              freight: '0', insuredFee: '0', currency: '142', weight: '2.35', packNo: '1', goodsInfo: '奶粉2罐,纸尿裤1包',
              consignee: BUYER.name, consigneeAddress: ADDRESS, consigneeTelephone: BUYER.telephone,
            },
          },
        ],
        BaseTransfer: { ...TRANSFER, copCode: LOG.logisticsCode, copName: LOG.logisticsName },
      };
    case 'CEB512':
      return { LogisticsReturn: [{ guid: GUIDS.receipt, logisticsCode: LOG.logisticsCode, logisticsNo: LOGISTICS_NO, returnStatus: '120', returnTime: T.ret, returnInfo: '[Code:2600;Desc:运单新增申报成功]' }] };
    case 'CEB621':
      return {
        Inventory: [
          {
            InventoryHead: {
              guid: GUIDS.head, appType: '1', appTime: T.app, appStatus: '2', orderNo: ORDER_NO, ...EBP, ...EBC, logisticsNo: LOGISTICS_NO, ...LOG,
              copNo: 'NSHT2024072800123', assureCode: EBC.ebcCode, emsNo: 'T5165W000123', ieFlag: 'I', declTime: T.declDate, customsCode: '5165', portCode: '5165',
              buyerIdType: '1', buyerIdNumber: BUYER.idNumber, buyerName: BUYER.name, buyerTelephone: BUYER.telephone, consigneeAddress: ADDRESS,
              ...AGENT, ...AREA, tradeMode: '1210', trafMode: 'Y', country: '142', freight: '0', insuredFee: '0', currency: '142',
              packNo: '1', grossWeight: '2.35', netWeight: '2.05',
            },
            InventoryList: GOODS.map((g, i) => ({
              gnum: String(i + 1), itemRecordNo: g.itemRecordNo, itemNo: g.itemNo, itemName: g.itemName, gcode: g.gcode, gname: g.gname, gmodel: g.gmodel,
              barCode: g.barCode, country: g.country, currency: '142', qty: g.qty, unit: g.unit, qty1: g.qty1, unit1: g.unit1, price: g.price, totalPrice: g.totalPrice,
            })),
          },
        ],
        BaseTransfer: { ...TRANSFER, copCode: AGENT.agentCode, copName: AGENT.agentName },
        [SIGNATURE]: '',
      };
    case 'CEB622':
      return {
        InventoryReturn: [
          { guid: GUIDS.receipt, customsCode: '5165', ebpCode: EBP.ebpCode, ebcCode: EBC.ebcCode, agentCode: AGENT.agentCode, copNo: 'NSHT2024072800123', preNo: 'B20240728123456789', invtNo: '51652024I000123456', returnStatus: '800', returnTime: T.ret, returnInfo: '[Code:2600;Desc:放行]' },
        ],
      };
    case 'CEB625':
      return {
        InvtRefund: [
          {
            InvtRefundHead: {
              guid: GUIDS.head, appType: '1', appTime: T.app, appStatus: '2', customsCode: '5165', orderNo: ORDER_NO, ...EBP, ...EBC, logisticsNo: LOGISTICS_NO, ...LOG,
              copNo: 'NSTH2024080500007', invtNo: '51652024I000123456', buyerIdType: '1', buyerIdNumber: BUYER.idNumber, buyerName: BUYER.name, buyerTelephone: BUYER.telephone,
              ...AGENT, reason: '消费者七天无理由退货：奶粉罐体凹陷', note: '退回南沙保税仓 B区-03-12 库位',
            },
            InvtRefundList: [{ gnum: '1', gcode: GOODS[0].gcode, gname: GOODS[0].gname, qty: '1', unit: GOODS[0].unit }],
          },
        ],
        BaseTransfer: { ...TRANSFER, copCode: AGENT.agentCode, copName: AGENT.agentName },
        [SIGNATURE]: '',
      };
    case 'CEB303':
      return {
        Order: [
          {
            OrderHead: {
              guid: GUIDS.head, appType: '1', appTime: T.app, appStatus: '2', orderType: 'E', orderNo: 'YW-EX-20240728-0042', ebpCode: '3318960AB1', ebpName: '义乌出海优选跨境电商平台有限公司',
              ebcCode: '3318960CD2', ebcName: '义乌市星辰日用品有限公司', goodsValue: '86.50', freight: '12.00', currency: '142',
            },
            OrderList: [
              { gnum: '1', itemNo: 'XC-MUG-350', itemName: '陶瓷马克杯', barCode: '6923450612345', unit: '011', currency: '142', qty: '2', price: '18.25', totalPrice: '36.50' },
              { gnum: '2', itemNo: 'XC-TWL-7035', itemName: '纯棉毛巾', unit: '011', currency: '142', qty: '4', price: '12.50', totalPrice: '50.00' },
            ],
          },
        ],
        BaseTransfer: { ...TRANSFER, copCode: '3318960AB1', copName: '义乌出海优选跨境电商平台有限公司' },
      };
    case 'CEB505':
      return {
        Logistics: [
          {
            guid: GUIDS.head, appType: '1', appTime: T.app, appStatus: '2', logisticsCode: '3318980EMS', logisticsName: '中国邮政速递物流股份有限公司义乌分公司', logisticsNo: 'EA123456785CN',
            freight: '12.00', insuredFee: '0', currency: '142', grossWeight: '1.62', packNo: '1', goodsInfo: '陶瓷马克杯2只,纯棉毛巾4条',
            ebcCode: '3318960CD2', ebcName: '义乌市星辰日用品有限公司',
          },
        ],
        BaseTransfer: { ...TRANSFER, copCode: '3318980EMS', copName: '中国邮政速递物流股份有限公司义乌分公司' },
      };
    case 'CEB603':
      return {
        Inventory: [
          {
            InventoryHead: {
              guid: GUIDS.head, appType: '1', appTime: T.app, appStatus: '2', customsCode: '2924', ebpCode: '3318960AB1', ebpName: '义乌出海优选跨境电商平台有限公司', orderNo: 'YW-EX-20240728-0042',
              logisticsCode: '3318980EMS', logisticsName: '中国邮政速递物流股份有限公司义乌分公司', logisticsNo: 'EA123456785CN', copNo: 'YWXC2024072800042', ieFlag: 'E', portCode: '2924',
              ieDate: T.declDate, statisticsFlag: 'A', agentCode: '3318960CD2', agentName: '义乌市星辰日用品有限公司', ebcCode: '3318960CD2', ebcName: '义乌市星辰日用品有限公司',
              ownerCode: '3318960CD2', ownerName: '义乌市星辰日用品有限公司', tradeMode: '9610', trafMode: '5', country: '304', POD: '304',
              freight: '12.00', fCurrency: '142', fFlag: '3', insuredFee: '0', iCurrency: '142', iFlag: '3', wrapType: '2', packNo: '1', grossWeight: '1.62', netWeight: '1.40',
            },
            InventoryList: [
              { gnum: '1', itemNo: 'XC-MUG-350', gcode: '6912000000', gname: '陶瓷马克杯', gmodel: '350ml|陶瓷|星辰牌', barCode: '6923450612345', country: '304', currency: '142', qty: '2', qty1: '2', unit: '011', unit1: '011', price: '18.25', totalPrice: '36.50' },
              { gnum: '2', itemNo: 'XC-TWL-7035', gcode: '6302910000', gname: '纯棉毛巾', gmodel: '70x35cm|棉100%|星辰牌', barCode: '无', country: '304', currency: '142', qty: '4', qty1: '0.6', unit: '011', unit1: '035', price: '12.50', totalPrice: '50.00' },
            ],
          },
        ],
        BaseTransfer: { ...TRANSFER, copCode: '3318960CD2', copName: '义乌市星辰日用品有限公司' },
      };
    case 'CEB604':
      return {
        InventoryReturn: [
          { guid: GUIDS.receipt, agentCode: '3318960CD2', copNo: 'YWXC2024072800042', preNo: 'B20240728000004242', invtNo: '29242024E000042420', ebcCode: '3318960CD2', ebpCode: '3318960AB1', orderNo: 'YW-EX-20240728-0042', statisticsFlag: 'A', returnStatus: '800', returnTime: T.ret, returnInfo: '[Code:2600;Desc:放行]' },
        ],
      };
  }
}

/** The message's fields as an editable object (tests change a value and render it). */
export function fixtureBody(type: FixtureType): FixtureNode {
  return bodyOf(type);
}

export interface FixtureOptions {
  /** How the CEB namespace is bound: `ceb:` prefix (samples), default namespace (receipts), or another prefix. */
  style?: NsStyle;
  body?: FixtureNode;
  guid?: string;
}

/** Render a fixture as a complete CEB document. */
export function fixtureXml(type: FixtureType, opts: FixtureOptions = {}): string {
  const style = opts.style ?? 'ceb';
  const prefix = style === 'ceb' ? 'ceb:' : style === 'other' ? 'c:' : '';
  const decl = style === 'ceb' ? `xmlns:ceb="${CEB_NS}"` : style === 'other' ? `xmlns:c="${CEB_NS}"` : `xmlns="${CEB_NS}"`;
  const render = (name: string, value: FixtureNode[string], indent: string): string => {
    if (name === SIGNATURE) return placeholderSignatureXml().replace(/^ {2}/gm, indent);
    if (typeof value === 'string') return `${indent}<${prefix}${name}>${escapeXmlText(value)}</${prefix}${name}>`;
    if (Array.isArray(value)) return value.map((v) => render(name, v, indent)).join('\n');
    const inner = Object.entries(value).map(([k, v]) => render(k, v, `${indent}  `)).join('\n');
    return `${indent}<${prefix}${name}>\n${inner}\n${indent}</${prefix}${name}>`;
  };
  const body = opts.body ?? bodyOf(type);
  const inner = Object.entries(body).map(([k, v]) => render(k, v, '  ')).join('\n');
  const root = `${prefix}${type}Message`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} guid="${escapeXmlAttr(opts.guid ?? GUIDS.message)}" version="1.0" ${decl}>\n${inner}\n</${root}>\n`;
}
