import * as dec from '../../shared/decimal.ts';
import type { Decimal } from '../../shared/decimal.ts';
import type { DocumentSet, KnownImportTradeMode, InventoryLine, InventoryList, InvtNo, LogisticsNo, Order, OrderLine, OrderNo, Payment, Waybill } from './documents.ts';
import type { CreditClass, RiskRules, XrayVerdict } from './risk.ts';

/**
 * Deterministic test data: realistic, consistent import document sets (order + payment + waybill + inventory list),
 * one parcel per index, each a pure function of (seed, index) — no shared state, random access, so a benchmark can
 * generate a million parcels in slices or in parallel. Per parcel it does a few dozen integer operations and string
 * concatenations: no hashing, no zod, no Intl. Amounts are built in fen (integers) so every total is exact.
 *
 * Mutators then break exactly one thing: each mismatch kind trips one matching rule, each risk trigger one risk rule.
 * Enterprises, people and numbers are fictitious.
 */

export type CompleteSet = Required<DocumentSet>;

export interface GeneratedParcel<S extends DocumentSet = CompleteSet> {
  index: number;
  set: S;
  /** What the line measured: a stable weight within ±2% of the declared gross, a clear X-ray. */
  line: { measuredWeightKg?: number; xray?: XrayVerdict };
  /** Risk context: the buyer's year-to-date total (≤ ¥15,000 so a normal parcel stays within the annual limit). */
  context: { buyerYearToDateCny?: Decimal; enterpriseCredit: Readonly<Record<string, CreditClass>> };
}

export interface GeneratorOptions {
  seed: number;
  /** Trade modes to draw from (default 1210 only). */
  tradeModes?: readonly KnownImportTradeMode[];
  /** Time of parcel 0's order (default 2025-03-01 10:00 Beijing time). */
  baseTimeMs?: number;
  /** Order time step between consecutive parcels (default 1 s). */
  intervalMs?: number;
}

// ---------------------------------------------------------------------------------------------------------------------
// Pools (fictitious enterprises; real HS chapters, JGS-20 unit and country codes, resident-ID region codes)

const PLATFORMS = [
  { code: '3301960A01', name: '云海跨境电商平台', prefix: 'YH' },
  { code: '4403960B02', name: '优品国际商城', prefix: 'YP' },
  { code: '3122960C03', name: '海购通平台', prefix: 'HG' },
] as const;
const SELLERS = [
  { code: '3301968D11', name: '杭州云海供应链管理有限公司' },
  { code: '4403968E12', name: '深圳优品进出口贸易有限公司' },
  { code: '3122968F13', name: '上海海购通国际贸易有限公司' },
  { code: '3301968G14', name: '宁波鑫达跨境电子商务有限公司' },
] as const;
const CARRIERS = [
  { code: '3301980H21', name: '鹏程速递有限公司', style: 'PC' },
  { code: '4403980J22', name: '中邮国际速递物流有限公司', style: 'S10' },
  { code: '3122980K23', name: '迅达供应链物流有限公司', style: 'XD' },
] as const;
const PAYERS = [
  { code: '312226T001', name: '汇通支付有限公司', prefix: 'HT' },
  { code: '440316T002', name: '银联跨境支付服务有限公司', prefix: 'YL' },
] as const;
const AGENT = { code: '3301980L31', name: '杭州关通报关有限公司' } as const;
/** Bonded zones: district, account book, warehouse enterprise. */
const ZONES = [
  { customsCode: '2991', emsNo: 'T2991W000123', areaCode: '3301961M41', areaName: '杭州综保区云仓物流有限公司' },
  { customsCode: '5349', emsNo: 'T5349W000456', areaCode: '4403961N42', areaName: '前海保税仓储服务有限公司' },
] as const;

interface Item { sku: string; name: string; model: string; gcode: string; unit: string; unit1: string; gramsEach: number; qty1Each: number; minFen: number; maxFen: number; country: string; barStem: string }
const ITEMS: readonly Item[] = [
  { sku: 'MK900', name: '婴幼儿配方奶粉', model: '3段 900克/罐 牛奶粉', gcode: '1901101010', unit: '122', unit1: '035', gramsEach: 1050, qty1Each: 0.9, minFen: 21_800, maxFen: 35_800, country: '609', barStem: '942110200001' },
  { sku: 'FC050', name: '保湿面霜', model: '50毫升/瓶 护肤用', gcode: '3304990099', unit: '142', unit1: '035', gramsEach: 180, qty1Each: 0.05, minFen: 29_900, maxFen: 129_900, country: '305', barStem: '301234500017' },
  { sku: 'LS035', name: '口红', model: '3.5克/支 唇用', gcode: '3304100091', unit: '012', unit1: '035', gramsEach: 45, qty1Each: 0.0035, minFen: 19_900, maxFen: 39_900, country: '305', barStem: '301234500024' },
  { sku: 'SH400', name: '洗发水', model: '400毫升/瓶 洗发用', gcode: '3305100090', unit: '142', unit1: '035', gramsEach: 470, qty1Each: 0.4, minFen: 5_900, maxFen: 12_900, country: '116', barStem: '490123400015' },
  { sku: 'VC120', name: '复合维生素片', model: '120片/瓶 膳食补充', gcode: '2106909090', unit: '142', unit1: '035', gramsEach: 260, qty1Each: 0.18, minFen: 9_900, maxFen: 29_900, country: '502', barStem: '001234500016' },
  { sku: 'DP060', name: '婴儿纸尿裤', model: 'L码 60片/包', gcode: '9619001100', unit: '125', unit1: '035', gramsEach: 2100, qty1Each: 1.9, minFen: 8_900, maxFen: 16_900, country: '116', barStem: '490123400022' },
  { sku: 'WN750', name: '红葡萄酒', model: '750毫升/瓶 酒精度13.5%', gcode: '2204210000', unit: '142', unit1: '095', gramsEach: 1350, qty1Each: 0.75, minFen: 12_800, maxFen: 68_800, country: '601', barStem: '930123400013' },
  { sku: 'PF100', name: '香水', model: '100毫升/瓶 淡香水', gcode: '3303000000', unit: '142', unit1: '035', gramsEach: 420, qty1Each: 0.1, minFen: 49_900, maxFen: 159_900, country: '305', barStem: '301234500031' },
  { sku: 'TB001', name: '电动牙刷', model: '声波式 充电型', gcode: '8509809000', unit: '007', unit1: '007', gramsEach: 380, qty1Each: 1, minFen: 29_900, maxFen: 99_900, country: '304', barStem: '400123400018' },
  { sku: 'EP001', name: '蓝牙耳机', model: '入耳式 无线', gcode: '8518300000', unit: '007', unit1: '007', gramsEach: 160, qty1Each: 1, minFen: 59_900, maxFen: 189_900, country: '502', barStem: '001234500023' },
  { sku: 'SN042', name: '运动鞋', model: '42码 皮革面', gcode: '6404110000', unit: '025', unit1: '025', gramsEach: 1100, qty1Each: 1, minFen: 49_900, maxFen: 129_900, country: '502', barStem: '001234500030' },
  { sku: 'CF500', name: '咖啡豆', model: '500克/袋 未脱因 已焙炒', gcode: '0901210000', unit: '136', unit1: '035', gramsEach: 540, qty1Each: 0.5, minFen: 8_800, maxFen: 19_800, country: '502', barStem: '001234500047' },
  { sku: 'HN500', name: '麦卢卡蜂蜜', model: '500克/瓶 天然蜂蜜', gcode: '0409000000', unit: '142', unit1: '035', gramsEach: 720, qty1Each: 0.5, minFen: 19_900, maxFen: 59_900, country: '609', barStem: '942110200018' },
  { sku: 'MS010', name: '补水面膜', model: '10片/盒 护肤用', gcode: '3304990099', unit: '140', unit1: '035', gramsEach: 320, qty1Each: 0.25, minFen: 9_900, maxFen: 25_900, country: '133', barStem: '880123400011' },
];

/** EAN-13 check digit over a 12-digit stem. */
function ean13(stem: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(stem[i]) * (i % 2 === 0 ? 1 : 3);
  return `${stem}${(10 - (sum % 10)) % 10}`;
}
const BARCODES = ITEMS.map((i) => ean13(i.barStem));

const REGIONS = [
  { code: '110101', place: '北京市东城区' },
  { code: '310115', place: '上海市浦东新区' },
  { code: '440305', place: '广东省深圳市南山区' },
  { code: '440106', place: '广东省广州市天河区' },
  { code: '330106', place: '浙江省杭州市西湖区' },
  { code: '320106', place: '江苏省南京市鼓楼区' },
  { code: '510104', place: '四川省成都市锦江区' },
  { code: '420103', place: '湖北省武汉市江汉区' },
  { code: '350203', place: '福建省厦门市思明区' },
  { code: '370202', place: '山东省青岛市市南区' },
  { code: '500103', place: '重庆市渝中区' },
  { code: '120101', place: '天津市和平区' },
] as const;
const STREETS = ['人民路', '中山路', '解放路', '建设路', '和平路', '新华路', '长江路', '滨江大道', '科技园路', '学府路', '文三路', '南京西路'];
const ESTATES = ['阳光花园', '锦绣苑', '翠湖天地', '金色家园', '绿城小区', '东方明珠苑', '世纪新城', '华府公寓'];
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = ['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀兰', '霞', '平', '刚', '桂英', '晨', '欣怡', '子涵', '浩然', '宇轩', '梓萱', '一诺', '思远', '佳琪', '雨桐', '俊杰', '诗涵', '晓东'];
const MOBILE = ['138', '139', '135', '136', '137', '150', '151', '152', '158', '159', '182', '183', '187', '188', '130', '131', '132', '155', '156', '185', '186', '133', '153', '180', '181', '189', '177', '199', '166'];
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
/** UPU S10 check-digit weights (customs.md §7). */
const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];

/** Credit classes of the pool enterprises: two advanced-certified, the rest general. Shared, never mutated. */
const CREDIT: Readonly<Record<string, CreditClass>> = Object.freeze({ [SELLERS[0].code]: 'advanced', [CARRIERS[1].code]: 'advanced' });

// ---------------------------------------------------------------------------------------------------------------------
// Randomness: a per-parcel mulberry32 stream seeded by mixing (seed, index)

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

class Stream {
  private s: number;
  constructor(seed: number, index: number) {
    this.s = fmix32(fmix32(seed >>> 0) ^ fmix32((index >>> 0) + 0x9e3779b9) ^ Math.floor(index / 0x1_0000_0000));
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(Math.floor(this.next() * 10));
    return s;
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * `toCebTime` by arithmetic (days → civil date, Hinnant's algorithm): the same text without a Date per call, which
 * was a quarter of the generator's time.
 */
export function cebTimeOf(ms: number): string {
  const local = Math.floor((ms + 8 * 3_600_000) / 1000);
  const days = Math.floor(local / 86_400);
  const secs = local - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const hh = Math.floor(secs / 3600);
  const mi = Math.floor((secs % 3600) / 60);
  return `${y}${pad(m, 2)}${pad(d, 2)}${pad(hh, 2)}${pad(mi, 2)}${pad(secs % 60, 2)}`;
}
/** Amounts and weights are exact decimals in the documents (shared/decimal.ts); the generator counts in fen and grams. */
const yuan = (fen: number): Decimal => dec.fromUnits(BigInt(fen), 2);
const kg = (grams: number): Decimal => dec.fromUnits(BigInt(grams), 3);
const fen = (x: Decimal): number => Number(dec.unitsAt(x, 2));

/** An 18-digit resident ID number with a valid check character (GB 11643, ISO 7064 MOD 11-2). */
export function residentId(region: string, birth: string, sequence: number): string {
  const body = `${region}${birth}${pad(sequence % 1000, 3)}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * ID_WEIGHTS[i]!;
  return `${body}${ID_CHECK[sum % 11]}`;
}

/** A UPU S10 item number (customs.md §7), e.g. `EA123456785CN`. */
export function s10(prefix: string, serial: number, country = 'CN'): string {
  const digits = pad(serial % 100_000_000, 8);
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(digits[i]) * S10_WEIGHTS[i]!;
  const r = sum % 11;
  return `${prefix}${digits}${r === 0 ? 5 : r === 1 ? 0 : 11 - r}${country}`;
}

function person(r: Stream): { name: string; phone: string; region: (typeof REGIONS)[number]; address: string } {
  const region = r.pick(REGIONS);
  return {
    name: `${SURNAMES[r.int(0, SURNAMES.length - 1)]}${r.pick(GIVEN)}`,
    phone: `${r.pick(MOBILE)}${r.digits(8)}`,
    region,
    address: `${region.place}${r.pick(STREETS)}${r.int(1, 999)}号${r.pick(ESTATES)}${r.int(1, 30)}栋${r.int(1, 32)}${pad(r.int(1, 6), 2)}室`,
  };
}

const DEFAULT_BASE_MS = Date.UTC(2025, 2, 1, 2, 0, 0); // 2025-03-01 10:00 Beijing time
/** Composite CBEC tax within the limits: VAT 13% × 70% (no consumption tax on these goods). */
const TAX_RATE = 0.091;

/** One parcel: a pure function of (options.seed, index). */
export function generateParcel(options: GeneratorOptions, index: number): GeneratedParcel {
  const r = new Stream(options.seed, index);
  const tradeMode = r.pick(options.tradeModes ?? (['1210'] as const));
  const bonded = tradeMode !== '9610';
  const orderMs = (options.baseTimeMs ?? DEFAULT_BASE_MS) + index * (options.intervalMs ?? 1000);
  const orderTime = cebTimeOf(orderMs);
  const payTime = cebTimeOf(orderMs + r.int(5, 600) * 1000);
  const day = orderTime.slice(0, 8);
  const year = orderTime.slice(0, 4);
  const seedTag = (options.seed >>> 0).toString(36);
  // Unique within a seed (logisticsNo, preNo, invtNo); the seed picks a block so two runs rarely collide.
  const serial = (fmix32(options.seed >>> 0) % 1000) * 1_000_000 + index;

  const platform = r.pick(PLATFORMS);
  const seller = r.pick(SELLERS);
  const carrier = r.pick(CARRIERS);
  const payer = r.pick(PAYERS);
  const zone = r.pick(ZONES);

  const buyer = person(r);
  const buyerId = residentId(buyer.region.code, `${r.int(1965, 2004)}${pad(r.int(1, 12), 2)}${pad(r.int(1, 28), 2)}`, r.int(0, 999));
  // Most parcels go to the buyer; some to a relative or a colleague at another address.
  const consignee = r.next() < 0.8 ? buyer : person(r);

  // Goods: 1–3 distinct items, value kept under ¥4,000 so the transaction stays within the ¥5,000 limit.
  const lineCount = r.next() < 0.6 ? 1 : r.next() < 0.75 ? 2 : 3;
  const first = r.int(0, ITEMS.length - 1);
  const step = r.int(1, ITEMS.length - 1);
  const orderLines: OrderLine[] = [];
  const listLines: InventoryLine[] = [];
  let goodsFen = 0;
  let netGrams = 0;
  for (let i = 0; i < lineCount; i++) {
    const itemIndex = (first + i * step) % ITEMS.length;
    const item = ITEMS[itemIndex]!;
    const priceFen = r.int(item.minFen / 100, item.maxFen / 100) * 100 - (r.next() < 0.5 ? 100 : 0) + 90 * (r.next() < 0.3 ? 1 : 0);
    let qty = r.next() < 0.7 ? 1 : r.int(2, 3);
    if (goodsFen + priceFen * qty > 400_000) qty = 1;
    if (goodsFen + priceFen * qty > 400_000 && i > 0) break;
    const gnum = orderLines.length + 1;
    const price = yuan(priceFen);
    const totalPrice = yuan(priceFen * qty);
    goodsFen += priceFen * qty;
    netGrams += item.gramsEach * qty;
    orderLines.push({ gnum, itemNo: item.sku, itemName: item.name, gmodel: item.model, barCode: BARCODES[itemIndex]!, unit: item.unit, qty: String(qty), price, totalPrice, currency: '142', country: item.country });
    listLines.push({
      gnum,
      ...(bonded ? { itemRecordNo: `${zone.emsNo.slice(-6)}${item.sku}` } : {}),
      itemNo: item.sku,
      itemName: item.name,
      gcode: item.gcode,
      gname: item.name,
      gmodel: item.model,
      barCode: BARCODES[itemIndex]!,
      country: item.country,
      currency: '142',
      qty: String(qty),
      unit: item.unit,
      qty1: dec.decimalFromNumber(Math.round(item.qty1Each * qty * 100_000) / 100_000),
      unit1: item.unit1,
      price,
      totalPrice,
    });
  }
  const freightFen = r.next() < 0.6 ? 0 : r.int(8, 20) * 100;
  const discountFen = r.next() < 0.7 ? 0 : Math.min(r.int(5, 30) * 100, Math.floor(goodsFen / 10));
  const taxFen = Math.round((goodsFen + freightFen) * TAX_RATE);
  const paidFen = goodsFen + freightFen + taxFen - discountFen;
  const grossGrams = netGrams + r.int(100, 300);
  // The line's scale: within ±2% of the declared gross, in 5 g steps.
  const measuredGrams = Math.round((grossGrams * (0.98 + r.next() * 0.04)) / 5) * 5;

  const orderNo = `${platform.prefix}${day}${seedTag}${pad(index, 9)}` as OrderNo;
  const logisticsNo = (carrier.style === 'S10' ? s10('E' + 'ABCDEFGHJK'[r.int(0, 9)]!, serial) : `${carrier.style}${pad(serial, 12)}`) as LogisticsNo;
  const payTransactionId = `${payer.prefix}${payTime}${r.digits(10)}`;

  const order: Order = {
    kind: 'order',
    orderNo,
    ebpCode: platform.code,
    ebpName: platform.name,
    ebcCode: seller.code,
    ebcName: seller.name,
    goodsValue: yuan(goodsFen),
    freight: yuan(freightFen),
    discount: yuan(discountFen),
    taxTotal: yuan(taxFen),
    acturalPaid: yuan(paidFen),
    currency: '142',
    buyerRegNo: `u${pad(fmix32(index ^ 0x5bd1e995) % 100_000_000, 8)}`,
    buyerName: buyer.name,
    buyerTelephone: buyer.phone,
    buyerIdType: '1',
    buyerIdNumber: buyerId,
    payCode: payer.code,
    payName: payer.name,
    payTransactionId,
    consignee: consignee.name,
    consigneeTelephone: consignee.phone,
    consigneeAddress: consignee.address,
    consigneeDistrict: consignee.region.code,
    lines: orderLines,
  };
  const payment: Payment = {
    kind: 'payment',
    payCode: payer.code,
    payName: payer.name,
    payTransactionId,
    orderNo,
    ebpCode: platform.code,
    ebpName: platform.name,
    payerIdType: '1',
    payerIdNumber: buyerId,
    payerName: buyer.name,
    telephone: buyer.phone,
    amountPaid: yuan(paidFen),
    currency: '142',
    payTime,
  };
  const waybill: Waybill = {
    kind: 'waybill',
    logisticsCode: carrier.code,
    logisticsName: carrier.name,
    logisticsNo,
    orderNo,
    freight: yuan(freightFen),
    insuredFee: '0',
    currency: '142',
    weight: kg(grossGrams),
    packNo: 1,
    goodsInfo: orderLines.map((l) => `${l.itemName}*${l.qty}`).join(',').slice(0, 200),
    consignee: consignee.name,
    consigneeAddress: consignee.address,
    consigneeTelephone: consignee.phone,
  };
  const inventory: InventoryList = {
    kind: 'inventory',
    orderNo,
    ebpCode: platform.code,
    ebpName: platform.name,
    ebcCode: seller.code,
    ebcName: seller.name,
    logisticsNo,
    logisticsCode: carrier.code,
    logisticsName: carrier.name,
    copNo: `C${seedTag}${pad(index, 9)}`,
    preNo: `${zone.customsCode}${year}0${pad(serial % 1_000_000_000, 9)}`,
    assureCode: seller.code,
    ...(bonded ? { emsNo: zone.emsNo } : {}),
    invtNo: `${zone.customsCode}${year}I${pad(serial % 1_000_000_000, 9)}` as InvtNo,
    ieFlag: 'I',
    declTime: day,
    customsCode: zone.customsCode,
    portCode: zone.customsCode,
    buyerIdType: '1',
    buyerIdNumber: buyerId,
    buyerName: buyer.name,
    buyerTelephone: buyer.phone,
    consigneeAddress: consignee.address,
    agentCode: AGENT.code,
    agentName: AGENT.name,
    ...(bonded ? { areaCode: zone.areaCode, areaName: zone.areaName } : { trafNo: 'CZ3096', voyageNo: day, billNo: `784-${pad(fmix32(serial) % 100_000_000, 8)}` }),
    tradeMode,
    // 1210 leaves the zone by road (second line); 9610 arrives by air.
    trafMode: bonded ? '4' : '5',
    country: bonded ? '142' : orderLines[0]!.country,
    freight: yuan(freightFen),
    insuredFee: '0',
    currency: '142',
    packNo: 1,
    grossWeight: kg(grossGrams),
    netWeight: kg(netGrams),
    lines: listLines,
  };
  return {
    index,
    set: { order, payment, waybill, inventory },
    line: { measuredWeightKg: measuredGrams / 1000, xray: 'clear' },
    context: { buyerYearToDateCny: yuan(r.int(0, 1_500_000)), enterpriseCredit: CREDIT },
  };
}

/** Parcels `start … start + count − 1`, lazily: a million parcels never sit in memory at once. */
export function* generateParcels(options: GeneratorOptions, count: number, start = 0): Generator<GeneratedParcel> {
  for (let i = start; i < start + count; i++) yield generateParcel(options, i);
}

/** `count` parcels as an array (tests). */
export function generateDocumentSets(options: GeneratorOptions, count: number): GeneratedParcel[] {
  return Array.from({ length: count }, (_, i) => generateParcel(options, i));
}

// ---------------------------------------------------------------------------------------------------------------------
// Mismatches: each kind changes one field of one document, so that exactly one matching rule trips

type Sets = CompleteSet;
const withSet = (p: GeneratedParcel, patch: Partial<Sets>): GeneratedParcel => ({ ...p, set: { ...p.set, ...patch } });
const bumpLast = (s: string) => `${s.slice(0, -1)}${s.endsWith('9') ? '8' : s.endsWith('Z') ? 'Y' : /\d$/.test(s) ? String(Number(s.slice(-1)) + 1) : 'Z'}`;
const otherPhone = (phone: string) => `${phone.slice(0, 3)}${phone.slice(3, 7) === '0000' ? '1111' : '0000'}${phone.slice(7)}`;
/** A different valid ID number: the same person's region and birth date, another sequence number. */
const otherId = (id: string) => residentId(id.slice(0, 6), id.slice(6, 14), (Number(id.slice(14, 17)) + 1) % 1000);

function requireBonded(p: GeneratedParcel): InventoryList {
  const list = p.set.inventory;
  if (list.tradeMode === '9610') throw new RangeError('this mismatch needs a bonded (1210/1239) parcel');
  return list;
}

function mapFirstLine<L extends { gnum: number }>(lines: readonly L[], f: (l: L) => L): L[] {
  return lines.map((l, i) => (i === 0 ? f(l) : l));
}

const MISMATCHES = {
  'payment.orderNo': (p) => withSet(p, { payment: { ...p.set.payment, orderNo: `${p.set.payment.orderNo}X` as OrderNo } }),
  'payment.ebpCode': (p) => withSet(p, { payment: { ...p.set.payment, ebpCode: bumpLast(p.set.payment.ebpCode) } }),
  'payment.payCode': (p) => withSet(p, { payment: { ...p.set.payment, payCode: bumpLast(p.set.payment.payCode) } }),
  'payment.payTransactionId': (p) => withSet(p, { payment: { ...p.set.payment, payTransactionId: bumpLast(p.set.payment.payTransactionId) } }),
  'payment.amountPaid': (p) => withSet(p, { payment: { ...p.set.payment, amountPaid: yuan(fen(p.set.payment.amountPaid) + 1) } }),
  'payment.payerName': (p) => withSet(p, { payment: { ...p.set.payment, payerName: `${p.set.payment.payerName}明` } }),
  'payment.payerIdNumber': (p) => withSet(p, { payment: { ...p.set.payment, payerIdNumber: otherId(p.set.payment.payerIdNumber) } }),
  'order.discount': (p) => withSet(p, { order: { ...p.set.order, discount: yuan(fen(p.set.order.discount) + 100) } }),
  'order.lineTotal': (p) => withSet(p, { order: { ...p.set.order, lines: mapFirstLine(p.set.order.lines, (l) => ({ ...l, totalPrice: yuan(fen(l.totalPrice) + 100) })) } }),
  'waybill.orderNo': (p) => withSet(p, { waybill: { ...p.set.waybill, orderNo: `${p.set.waybill.orderNo}X` as OrderNo } }),
  'waybill.consignee': (p) => withSet(p, { waybill: { ...p.set.waybill, consignee: `${p.set.waybill.consignee}华` } }),
  'waybill.consigneeTelephone': (p) => withSet(p, { waybill: { ...p.set.waybill, consigneeTelephone: otherPhone(p.set.waybill.consigneeTelephone) } }),
  'waybill.consigneeAddress': (p) => withSet(p, { waybill: { ...p.set.waybill, consigneeAddress: `${p.set.waybill.consigneeAddress}附1号` } }),
  'inventory.orderNo': (p) => withSet(p, { inventory: { ...p.set.inventory, orderNo: `${p.set.inventory.orderNo}X` as OrderNo } }),
  'inventory.ebpCode': (p) => withSet(p, { inventory: { ...p.set.inventory, ebpCode: bumpLast(p.set.inventory.ebpCode) } }),
  'inventory.ebcCode': (p) => withSet(p, { inventory: { ...p.set.inventory, ebcCode: bumpLast(p.set.inventory.ebcCode) } }),
  'inventory.logisticsCode': (p) => withSet(p, { inventory: { ...p.set.inventory, logisticsCode: bumpLast(p.set.inventory.logisticsCode) } }),
  'inventory.logisticsNo': (p) => withSet(p, { inventory: { ...p.set.inventory, logisticsNo: `${p.set.inventory.logisticsNo.slice(0, -1)}X` as LogisticsNo } }),
  /** A gift line (price 0) the order does not have: only the one-to-one pairing breaks. */
  'inventory.extraLine': (p) => {
    const lines = p.set.inventory.lines;
    const gnum = Math.max(...lines.map((l) => l.gnum)) + 1;
    return withSet(p, { inventory: { ...p.set.inventory, lines: [...lines, { ...lines[0]!, gnum, qty: '1', qty1: dec.decimalFromNumber(Math.round((Number(lines[0]!.qty1) / Number(lines[0]!.qty)) * 100_000) / 100_000), price: '0', totalPrice: '0' }] } });
  },
  'inventory.gname': (p) => withSet(p, { inventory: { ...p.set.inventory, lines: mapFirstLine(p.set.inventory.lines, (l) => ({ ...l, gname: `${l.gname}（赠品装）` })) } }),
  'inventory.lineTotal': (p) => withSet(p, { inventory: { ...p.set.inventory, lines: mapFirstLine(p.set.inventory.lines, (l) => ({ ...l, totalPrice: yuan(fen(l.totalPrice) + 1) })) } }),
  'inventory.buyerIdNumber': (p) => withSet(p, { inventory: { ...p.set.inventory, buyerIdNumber: otherId(p.set.inventory.buyerIdNumber) } }),
  'inventory.buyerName': (p) => withSet(p, { inventory: { ...p.set.inventory, buyerName: `${p.set.inventory.buyerName}明` } }),
  'inventory.buyerTelephone': (p) => withSet(p, { inventory: { ...p.set.inventory, buyerTelephone: otherPhone(p.set.inventory.buyerTelephone) } }),
  'inventory.consigneeAddress': (p) => withSet(p, { inventory: { ...p.set.inventory, consigneeAddress: `${p.set.inventory.consigneeAddress}附1号` } }),
  /** Every list price 20% up, each line still price × qty: only Σ totalPrice ≈ goodsValue breaks. */
  'inventory.total': (p) =>
    withSet(p, {
      inventory: {
        ...p.set.inventory,
        lines: p.set.inventory.lines.map((l) => {
          const priceFen = Math.round(fen(l.price) * 1.2);
          return { ...l, price: yuan(priceFen), totalPrice: yuan(Math.round(priceFen * Number(l.qty))) };
        }),
      },
    }),
  'inventory.grossWeight': (p) => withSet(p, { inventory: { ...p.set.inventory, grossWeight: dec.decimalFromNumber(Math.round(Number(p.set.inventory.grossWeight) * 1500 + 100) / 1000) } }),
  'inventory.emsNo': (p) => {
    const { emsNo: _, ...list } = requireBonded(p);
    return withSet(p, { inventory: list });
  },
  'inventory.areaCode': (p) => {
    const { areaCode: _, ...list } = requireBonded(p);
    return withSet(p, { inventory: list });
  },
  'inventory.itemRecordNo': (p) => {
    const list = requireBonded(p);
    return withSet(p, { inventory: { ...list, lines: mapFirstLine(list.lines, ({ itemRecordNo: _, ...l }) => l) } });
  },
} satisfies Record<string, (p: GeneratedParcel) => GeneratedParcel>;

export type MismatchKind = keyof typeof MISMATCHES;
export const MISMATCH_KINDS = Object.keys(MISMATCHES) as MismatchKind[];

/** The parcel with one mismatch introduced (a new object; the input is untouched). */
export function introduceMismatch(parcel: GeneratedParcel, kind: MismatchKind): GeneratedParcel {
  return MISMATCHES[kind](parcel);
}

/** The parcel without some of its documents (not yet arrived). */
export function withoutDocuments(parcel: GeneratedParcel, ...kinds: (keyof DocumentSet)[]): GeneratedParcel<DocumentSet> {
  const set: DocumentSet = { ...parcel.set };
  for (const k of kinds) delete set[k];
  return { ...parcel, set };
}

// ---------------------------------------------------------------------------------------------------------------------
// Risk triggers: each makes one risk rule fire, by changing the parcel, the line, the context or the rules

/** Every order and list price scaled by `factor`; totals, tax, paid amount and payment recomputed, still consistent. */
export function reprice(p: GeneratedParcel, factor: number): GeneratedParcel {
  const scaled = new Map(p.set.order.lines.map((l) => [l.gnum, Math.round(fen(l.price) * factor)]));
  const lines = p.set.order.lines.map((l) => ({ ...l, price: yuan(scaled.get(l.gnum)!), totalPrice: yuan(Math.round(scaled.get(l.gnum)! * Number(l.qty))) }));
  const goodsFen = lines.reduce((s, l) => s + fen(l.totalPrice), 0);
  const freightFen = fen(p.set.order.freight);
  const taxFen = Math.round((goodsFen + freightFen) * TAX_RATE);
  const paid = yuan(goodsFen + freightFen + taxFen - fen(p.set.order.discount));
  const listLines = p.set.inventory.lines.map((l) => {
    const priceFen = scaled.get(l.gnum) ?? fen(l.price);
    return { ...l, price: yuan(priceFen), totalPrice: yuan(Math.round(priceFen * Number(l.qty))) };
  });
  return withSet(p, {
    order: { ...p.set.order, lines, goodsValue: yuan(goodsFen), taxTotal: yuan(taxFen), acturalPaid: paid },
    payment: { ...p.set.payment, amountPaid: paid },
    inventory: { ...p.set.inventory, lines: listLines },
  });
}

const transactionValue = (p: GeneratedParcel): Decimal => dec.sum([p.set.order.goodsValue, p.set.order.freight, p.set.inventory.insuredFee]);

const TRIGGERS = {
  'weight-off': (p, rules) => ({ parcel: { ...p, line: { ...p.line, measuredWeightKg: Math.round(Number(p.set.waybill.weight) * 1500 + 100) / 1000 } }, rules }),
  'xray-suspect': (p, rules) => ({ parcel: { ...p, line: { ...p.line, xray: 'suspect' } }, rules }),
  'xray-reject': (p, rules) => ({ parcel: { ...p, line: { ...p.line, xray: 'reject' } }, rules }),
  'xray-unreadable': (p, rules) => ({ parcel: { ...p, line: { ...p.line, xray: 'unreadable' } }, rules }),
  'over-transaction-limit': (p, rules) => {
    // A single indivisible item over the limit is allowed at full tax (value.full-tax): make it two of the item.
    const single = p.set.order.lines.length === 1 && p.set.order.lines[0]!.qty === '1';
    const m = single ? withSet(p, { order: { ...p.set.order, lines: p.set.order.lines.map((l) => ({ ...l, qty: '2' })) }, inventory: { ...p.set.inventory, lines: p.set.inventory.lines.map((l) => ({ ...l, qty: '2' })) } }) : p;
    const factor = (rules.valueLimits.perTransactionCny * 1.1) / Number(m.set.order.goodsValue) / (single ? 2 : 1);
    const q = reprice(m, factor);
    // Keep the annual total clear of the limit so only the single-transaction rule fires.
    return { parcel: { ...q, context: { ...q.context, buyerYearToDateCny: '0' } }, rules };
  },
  'over-annual-limit': (p, rules) => ({ parcel: { ...p, context: { ...p.context, buyerYearToDateCny: dec.round(dec.add(dec.sub(dec.decimalFromNumber(rules.valueLimits.annualCny), transactionValue(p)), '1'), 2) } }, rules }),
  'annual-unknown': (p, rules) => {
    const { buyerYearToDateCny: _, ...context } = p.context;
    return { parcel: { ...p, context }, rules };
  },
  'restricted-hs': (p, rules) => ({ parcel: p, rules: { ...rules, restrictedHs: { ...rules.restrictedHs, prefixes: [...rules.restrictedHs.prefixes, p.set.inventory.lines[0]!.gcode.slice(0, 4)] } } }),
  'not-on-positive-list': (p, rules) => {
    const off = p.set.inventory.lines[0]!.gcode;
    return { parcel: p, rules: { ...rules, positiveList: { ...rules.positiveList, hsCodes: [...new Set(ITEMS.map((i) => i.gcode))].filter((c) => c !== off) } } };
  },
  'dishonest-enterprise': (p, rules) => ({ parcel: { ...p, context: { ...p.context, enterpriseCredit: { ...p.context.enterpriseCredit, [p.set.inventory.ebcCode]: 'dishonest' } } }, rules }),
  'watch-sender': (p, rules) => ({ parcel: p, rules: { ...rules, watchLists: { ...rules.watchLists, senders: [...rules.watchLists.senders, p.set.inventory.ebcCode.toLowerCase()] } } }),
  /** Listed as an officer would type it: spaces around the name, the phone with +86. */
  'watch-consignee': (p, rules) => ({
    parcel: p,
    rules: { ...rules, watchLists: { ...rules.watchLists, consignees: [...rules.watchLists.consignees, { name: ` ${p.set.order.consignee} `, telephone: `+86 ${p.set.order.consigneeTelephone}` }] } },
  }),
  'watch-buyer': (p, rules) => ({ parcel: p, rules: { ...rules, watchLists: { ...rules.watchLists, buyerIdNumbers: [...rules.watchLists.buyerIdNumbers, ` ${p.set.inventory.buyerIdNumber.toLowerCase()}`] } } }),
  'match-inconsistent': (p, rules) => ({ parcel: introduceMismatch(p, 'payment.amountPaid'), rules }),
  'random-sample': (p, rules) => ({ parcel: p, rules: { ...rules, sampling: { ...rules.sampling, rate: 1 } } }),
} satisfies Record<string, (p: GeneratedParcel, rules: RiskRules) => { parcel: GeneratedParcel; rules: RiskRules }>;

/** Triggers that leave the set incomplete. */
const INCOMPLETE_TRIGGERS = {
  'match-incomplete': (p, rules) => ({ parcel: withoutDocuments(p, 'payment'), rules }),
} satisfies Record<string, (p: GeneratedParcel, rules: RiskRules) => { parcel: GeneratedParcel<DocumentSet>; rules: RiskRules }>;

export type RiskTrigger = keyof typeof TRIGGERS | keyof typeof INCOMPLETE_TRIGGERS;
export const RISK_TRIGGERS = [...Object.keys(TRIGGERS), ...Object.keys(INCOMPLETE_TRIGGERS)] as RiskTrigger[];

/** The parcel and rules with one risk trigger introduced (new objects; the inputs are untouched). */
export function introduceRiskTrigger(parcel: GeneratedParcel, trigger: keyof typeof TRIGGERS, rules: RiskRules): { parcel: GeneratedParcel; rules: RiskRules };
export function introduceRiskTrigger(parcel: GeneratedParcel, trigger: RiskTrigger, rules: RiskRules): { parcel: GeneratedParcel<DocumentSet>; rules: RiskRules };
export function introduceRiskTrigger(parcel: GeneratedParcel, trigger: RiskTrigger, rules: RiskRules): { parcel: GeneratedParcel<DocumentSet>; rules: RiskRules } {
  return trigger in TRIGGERS ? TRIGGERS[trigger as keyof typeof TRIGGERS](parcel, rules) : INCOMPLETE_TRIGGERS[trigger as keyof typeof INCOMPLETE_TRIGGERS](parcel, rules);
}
