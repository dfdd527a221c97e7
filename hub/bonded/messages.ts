import type { BondList, BondSlip } from './model.ts';
import { isQtyText, parseQty, ZERO } from './qty.ts';

/**
 * INV101 and SAS121 message bodies, checked field by field before they leave. There is no official XSD for 金二 in
 * this repository (eport.md §3): the field table below is written from the public SAS models in
 * `ronannnn/gx-customs-bridge` (pkg/customs/sasmodels/inv101_models.go, sas121_models.go: field names, the
 * `validate` tags — len, oneof, numeric, required — and the 8-digit dates), plus customs.md §4 for the 24-character
 * passportNo. The envelope (EnvelopInfo) and the signature are the e-port channel's (issue 18): `buildInv101` /
 * `buildSas121` return the business part, `<Package>…<BussinessData>`, for the channel to wrap and sign.
 */
export interface Enterprise {
  /** 18-character unified social credit code and 10-character customs code of the zone enterprise. */
  sccd: string;
  etpsno: string;
  name: string;
  /** 主管海关 / 申报地关区 (4 digits) — configuration, never a constant. */
  district: string;
  /** Single-window system id of the zone system (public integrations send it as SysId). */
  sysId: string;
  /** 进出境关别 for first-line lists. */
  impexpPortcd: string;
}

export type Rule =
  | { kind: 'required' }
  | { kind: 'len'; n: number }
  | { kind: 'max'; n: number }
  | { kind: 'oneof'; values: readonly string[] }
  | { kind: 'numeric'; len?: number }
  | { kind: 'date8' }
  | { kind: 'qty_gt0' }
  | { kind: 'qty' }
  | { kind: 'pattern'; re: RegExp; what: string };

export interface FieldRule {
  path: string;
  required: boolean;
  rules: readonly Rule[];
}

const req = (path: string, ...rules: Rule[]): FieldRule => ({ path, required: true, rules });
const opt = (path: string, ...rules: Rule[]): FieldRule => ({ path, required: false, rules });

/** INV101 (InvtHeadType / InvtListType[]) — from inv101_models.go. */
export const INV101_FIELDS: readonly FieldRule[] = [
  opt('InvtHeadType.seqNo', { kind: 'len', n: 18 }),
  req('InvtHeadType.etpsInnerInvtNo', { kind: 'max', n: 64 }),
  opt('InvtHeadType.bondInvtNo', { kind: 'len', n: 18 }),
  req('InvtHeadType.putrecNo', { kind: 'len', n: 12 }),
  req('InvtHeadType.dclTypecd', { kind: 'oneof', values: ['1', '2', '3'] }),
  req('InvtHeadType.bizopEtpsSccd', { kind: 'len', n: 18 }),
  req('InvtHeadType.bizopEtpsno', { kind: 'len', n: 10 }),
  req('InvtHeadType.bizopEtpsNm', { kind: 'max', n: 255 }),
  req('InvtHeadType.dclEtpsSccd', { kind: 'len', n: 18 }),
  req('InvtHeadType.dclEtpsno', { kind: 'len', n: 10 }),
  req('InvtHeadType.dclEtpsNm', { kind: 'max', n: 255 }),
  req('InvtHeadType.rvsngdEtpsSccd', { kind: 'len', n: 18 }),
  req('InvtHeadType.rcvgdEtpsno', { kind: 'len', n: 10 }),
  req('InvtHeadType.rcvgdEtpsNm', { kind: 'max', n: 255 }),
  req('InvtHeadType.inputCreditCode', { kind: 'len', n: 18 }),
  req('InvtHeadType.inputCode', { kind: 'len', n: 10 }),
  req('InvtHeadType.inputName', { kind: 'max', n: 255 }),
  req('InvtHeadType.inputTime', { kind: 'date8' }),
  req('InvtHeadType.invtDclTime', { kind: 'date8' }),
  req('InvtHeadType.impexpMarkcd', { kind: 'oneof', values: ['I', 'E'] }),
  req('InvtHeadType.mtpckEndprdMarkcd', { kind: 'oneof', values: ['I', 'E'] }),
  req('InvtHeadType.supvModecd', { kind: 'numeric', len: 4 }),
  req('InvtHeadType.trspModecd', { kind: 'numeric', len: 1 }),
  req('InvtHeadType.impexpPortcd', { kind: 'numeric', len: 4 }),
  req('InvtHeadType.dclPlcCuscd', { kind: 'numeric', len: 4 }),
  req('InvtHeadType.stshipTrsarvNatcd', { kind: 'numeric', len: 3 }),
  req('InvtHeadType.dclcusFlag', { kind: 'oneof', values: ['1', '2'] }),
  req('InvtHeadType.genDecFlag', { kind: 'oneof', values: ['1', '2'] }),
  req('InvtHeadType.decType', { kind: 'max', n: 2 }),
  req('InvtHeadType.dclcusTypecd', { kind: 'oneof', values: ['1', '2'] }),
  opt('InvtHeadType.rltPutrecNo', { kind: 'max', n: 64 }),
  req('InvtListType[].gdsSeqno', { kind: 'numeric' }),
  req('InvtListType[].entryGdsSeqno', { kind: 'numeric' }),
  opt('InvtListType[].putrecSeqno', { kind: 'numeric' }),
  req('InvtListType[].gdecd', { kind: 'numeric', len: 10 }),
  req('InvtListType[].gdsMtno', { kind: 'max', n: 32 }),
  req('InvtListType[].gdsNm', { kind: 'max', n: 255 }),
  req('InvtListType[].gdsSpcfModelDesc', { kind: 'max', n: 255 }),
  req('InvtListType[].lawfUnitcd', { kind: 'numeric', len: 3 }),
  req('InvtListType[].lawfQty', { kind: 'qty_gt0' }),
  req('InvtListType[].dclUnitcd', { kind: 'numeric', len: 3 }),
  req('InvtListType[].dclQty', { kind: 'qty_gt0' }),
  req('InvtListType[].dclCurrcd', { kind: 'numeric', len: 3 }),
  req('InvtListType[].dclUprcAmt', { kind: 'qty_gt0' }),
  req('InvtListType[].dclTotalAmt', { kind: 'qty_gt0' }),
  req('InvtListType[].natcd', { kind: 'numeric', len: 3 }),
  req('InvtListType[].destinationNatcd', { kind: 'numeric', len: 3 }),
  req('InvtListType[].lvyrlfModecd', { kind: 'oneof', values: ['1', '2', '3', '4', '5', '6', '7', '8', '9'] }),
  req('InvtListType[].clyMarkcd', { kind: 'oneof', values: ['0', '1'] }),
  req('InvtListType[].modfMarkcd', { kind: 'oneof', values: ['0', '1', '2', '3'] }),
];

/** SAS121 (PassportHead / PassportList[] / PassportAcmp[]) — from sas121_models.go and customs.md §4. */
export const SAS121_FIELDS: readonly FieldRule[] = [
  req('PassportHead.etpsPreentNo', { kind: 'max', n: 64 }),
  opt('PassportHead.passportNo', { kind: 'pattern', re: /^Z\d{4}[IE]\d{18}$/, what: '24 characters: Z, district, I/E, date, serial' }),
  req('PassportHead.dclTypecd', { kind: 'oneof', values: ['1', '2', '3'] }),
  req('PassportHead.ioTypecd', { kind: 'oneof', values: ['I', 'E'] }),
  req('PassportHead.passportTypecd', { kind: 'oneof', values: ['1', '2', '3', '4', '5', '6'] }),
  req('PassportHead.bindTypecd', { kind: 'oneof', values: ['1', '2', '3'] }),
  opt('PassportHead.rltTbTypecd', { kind: 'oneof', values: ['1', '2', '3'] }),
  opt('PassportHead.rltNo', { kind: 'max', n: 512 }),
  req('PassportHead.masterCuscd', { kind: 'numeric', len: 4 }),
  req('PassportHead.areainOriactNo', { kind: 'len', n: 12 }),
  req('PassportHead.areainEtpsSccd', { kind: 'len', n: 18 }),
  req('PassportHead.areainEtpsno', { kind: 'len', n: 10 }),
  req('PassportHead.areainEtpsNm', { kind: 'max', n: 255 }),
  req('PassportHead.dclEtpsSccd', { kind: 'len', n: 18 }),
  req('PassportHead.dclEtpsno', { kind: 'len', n: 10 }),
  req('PassportHead.dclEtpsNm', { kind: 'max', n: 255 }),
  req('PassportHead.inputSccd', { kind: 'len', n: 18 }),
  req('PassportHead.inputCode', { kind: 'len', n: 10 }),
  req('PassportHead.inputName', { kind: 'max', n: 255 }),
  req('PassportHead.vehicleNo', { kind: 'max', n: 32 }),
  opt('PassportHead.vehicleIcNo', { kind: 'max', n: 64 }),
  req('PassportHead.vehicleWt', { kind: 'qty' }),
  opt('PassportHead.vehicleFrameWt', { kind: 'qty' }),
  opt('PassportHead.vehicleFrameNo', { kind: 'max', n: 64 }),
  opt('PassportHead.containerNo', { kind: 'max', n: 32 }),
  opt('PassportHead.containerWt', { kind: 'qty' }),
  opt('PassportHead.containerType', { kind: 'max', n: 8 }),
  req('PassportHead.totalGrossWt', { kind: 'qty' }),
  req('PassportHead.totalNetWt', { kind: 'qty' }),
  req('PassportHead.totalWt', { kind: 'qty' }),
  req('PassportList[].passportSeqNo', { kind: 'numeric' }),
  req('PassportList[].rltGdsSeqno', { kind: 'numeric' }),
  req('PassportList[].gdsMtno', { kind: 'max', n: 32 }),
  req('PassportList[].gdecd', { kind: 'numeric', len: 10 }),
  req('PassportList[].gdsNm', { kind: 'max', n: 255 }),
  req('PassportList[].dclUnitcd', { kind: 'numeric', len: 3 }),
  req('PassportList[].dclQty', { kind: 'qty_gt0' }),
  req('PassportList[].grossWt', { kind: 'qty' }),
  req('PassportList[].netWt', { kind: 'qty' }),
  req('PassportAcmp[].rtlBillTypecd', { kind: 'oneof', values: ['1', '2', '3'] }),
  req('PassportAcmp[].rtlBillNo', { kind: 'max', n: 64 }),
];

export interface FieldIssue {
  field: string;
  message: string;
}

type Fields = Record<string, string | undefined>;
export interface MessageBody {
  head: Fields;
  lists: Record<string, Fields[]>;
}

function check(value: string | undefined, rule: FieldRule): string | null {
  if (value === undefined || value === '') return rule.required ? 'required' : null;
  for (const r of rule.rules) {
    switch (r.kind) {
      case 'required':
        break;
      case 'len':
        if ([...value].length !== r.n) return `must be ${r.n} characters`;
        break;
      case 'max':
        if ([...value].length > r.n) return `must be at most ${r.n} characters`;
        break;
      case 'oneof':
        if (!r.values.includes(value)) return `must be one of ${r.values.join(' ')}`;
        break;
      case 'numeric':
        if (!/^\d+$/.test(value) || (r.len !== undefined && value.length !== r.len)) return r.len ? `must be ${r.len} digits` : 'must be digits';
        break;
      case 'date8':
        if (!/^\d{8}$/.test(value)) return 'must be a date as yyyymmdd';
        break;
      case 'qty':
        if (!isQtyText(value)) return 'must be a decimal (≤5 places)';
        break;
      case 'qty_gt0':
        if (!isQtyText(value) || parseQty(value) === ZERO) return 'must be a decimal greater than 0';
        break;
      case 'pattern':
        if (!r.re.test(value)) return `must be ${r.what}`;
        break;
    }
  }
  return null;
}

/** Every field issue of a body against its table (paths like `InvtListType[2].dclQty`). */
export function validateBody(body: MessageBody, table: readonly FieldRule[], headName: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const rule of table) {
    const [section, field] = rule.path.split('.') as [string, string];
    if (section === headName) {
      const m = check(body.head[field], rule);
      if (m) issues.push({ field: rule.path, message: m });
      continue;
    }
    const name = section.replace('[]', '');
    (body.lists[name] ?? []).forEach((row, i) => {
      const m = check(row[field], rule);
      if (m) issues.push({ field: `${name}[${i}].${field}`, message: m });
    });
  }
  return issues;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const el = (name: string, fields: Fields) => `<${name}>${Object.entries(fields).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `<${k}>${esc(v!)}</${k}>`).join('')}</${name}>`;

export type Built = { ok: true; xml: string; body: MessageBody } | { ok: false; issues: FieldIssue[] };

const yyyymmdd = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '');

/** Commercial figures the list needs that the book does not keep: per gdsSeqno, from the order/tally documents. */
export interface ListPricing {
  dclCurrcd: string;
  dclUprcAmt: string;
  natcd: string;
  destinationNatcd: string;
  gdsSpcfModelDesc: string;
}

export function inv101Body(l: BondList, e: Enterprise, pricing: ReadonlyMap<number, ListPricing>, nowMs: number): MessageBody {
  const head: Fields = {
    seqNo: l.seqNo ?? undefined,
    etpsInnerInvtNo: l.etpsInnerInvtNo,
    bondInvtNo: l.bondInvtNo ?? undefined,
    putrecNo: l.emsNo,
    dclTypecd: l.bondInvtNo ? '2' : '1',
    bizopEtpsSccd: e.sccd, bizopEtpsno: e.etpsno, bizopEtpsNm: e.name,
    dclEtpsSccd: e.sccd, dclEtpsno: e.etpsno, dclEtpsNm: e.name,
    rvsngdEtpsSccd: e.sccd, rcvgdEtpsno: e.etpsno, rcvgdEtpsNm: e.name,
    inputCreditCode: e.sccd, inputCode: e.etpsno, inputName: e.name,
    inputTime: yyyymmdd(nowMs),
    invtDclTime: yyyymmdd(nowMs),
    impexpMarkcd: l.impexpMarkcd,
    mtpckEndprdMarkcd: 'I',
    supvModecd: l.supvModecd,
    // 9 other (a road truck at the zone's gate: 4 road for first line would need the border crossing's own code).
    trspModecd: l.kind === 'first_line_in' ? '2' : '9',
    impexpPortcd: e.impexpPortcd,
    dclPlcCuscd: e.district,
    stshipTrsarvNatcd: '142',
    dclcusFlag: l.dclcusFlag,
    genDecFlag: l.dclcusFlag === '1' ? '1' : '2',
    decType: l.dclcusFlag === '1' ? (l.impexpMarkcd === 'I' ? 'I' : 'E') : '0',
    dclcusTypecd: l.dclcusFlag === '1' ? '2' : '1',
    rltPutrecNo: l.rltPutrecNo ?? undefined,
    rltInvtNo: l.rltInvtNo ?? undefined,
  };
  const rows = l.lines.map((x, i): Fields => {
    const p = pricing.get(x.gdsSeqno);
    const total = p && isQtyText(p.dclUprcAmt) ? mulMoney(p.dclUprcAmt, x.dclQty) : undefined;
    return {
      gdsSeqno: String(i + 1), entryGdsSeqno: String(i + 1), putrecSeqno: String(x.gdsSeqno),
      gdecd: x.gdecd, gdsMtno: x.gdsMtno, gdsNm: x.gdsNm, gdsSpcfModelDesc: p?.gdsSpcfModelDesc,
      lawfUnitcd: x.dclUnitcd, lawfQty: x.dclQty, dclUnitcd: x.dclUnitcd, dclQty: x.dclQty,
      dclCurrcd: p?.dclCurrcd, dclUprcAmt: p?.dclUprcAmt, dclTotalAmt: total,
      natcd: p?.natcd, destinationNatcd: p?.destinationNatcd, lvyrlfModecd: '1', clyMarkcd: '0', modfMarkcd: l.bondInvtNo ? '1' : '3',
    };
  });
  return { head, lists: { InvtListType: rows } };
}

/** unit price × qty rounded half-up to 2 places (dclTotalAmt ≤2 decimals in inv101_models.go), exactly. */
function mulMoney(price: string, qty: string): string {
  const p = parseQty(price) * parseQty(qty); // scale 10^10
  const cents = (p + 50_000_000n) / 100_000_000n;
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}

export function buildInv101(l: BondList, e: Enterprise, pricing: ReadonlyMap<number, ListPricing>, nowMs: number): Built {
  const body = inv101Body(l, e, pricing, nowMs);
  const issues = validateBody(body, INV101_FIELDS, 'InvtHeadType');
  if (issues.length) return { ok: false, issues };
  const xml = `<Package><DataInfo><BussinessData><DelcareFlag>0</DelcareFlag><InvtMessage><SysId>${esc(e.sysId)}</SysId><OperCusRegCode>${esc(e.etpsno)}</OperCusRegCode>${el('InvtHeadType', body.head)}${body.lists.InvtListType!.map((r) => el('InvtListType', r)).join('')}</InvtMessage></BussinessData></DataInfo></Package>`;
  return { ok: true, xml, body };
}

export function sas121Body(s: BondSlip, e: Enterprise): MessageBody {
  const head: Fields = {
    etpsPreentNo: s.etpsPreentNo, seqNo: s.seqNo ?? undefined, passportNo: s.passportNo ?? undefined,
    rltTbTypecd: s.rltTbTypecd ?? undefined, rltNo: s.rltNos.join(',') || undefined,
    dclTypecd: s.passportNo ? '2' : '1', ioTypecd: s.ioTypecd, passportTypecd: s.passportTypecd, bindTypecd: s.bindTypecd, masterCuscd: s.masterCuscd,
    areainOriactNo: s.areainOriactNo, areainEtpsSccd: e.sccd, areainEtpsno: e.etpsno, areainEtpsNm: e.name,
    dclEtpsSccd: e.sccd, dclEtpsno: e.etpsno, dclEtpsNm: e.name, inputSccd: e.sccd, inputCode: e.etpsno, inputName: e.name,
    vehicleNo: s.vehicleNo, vehicleIcNo: s.vehicleIcNo ?? undefined, vehicleWt: s.vehicleWt, vehicleFrameWt: s.vehicleFrameWt ?? undefined, vehicleFrameNo: s.vehicleFrameNo ?? undefined,
    containerNo: s.containerNo ?? undefined, containerWt: s.containerWt ?? undefined, containerType: s.containerType ?? undefined,
    totalGrossWt: s.totalGrossWt, totalNetWt: s.totalNetWt, totalWt: s.totalWt,
  };
  const rows = s.lines.map((l): Fields => ({ passportSeqNo: String(l.passportSeqNo), rltGdsSeqno: String(l.rltGdsSeqno), gdsMtno: l.gdsMtno, gdecd: l.gdecd, gdsNm: l.gdsNm, dclUnitcd: l.dclUnitcd, dclQty: l.dclQty, grossWt: l.grossWt, netWt: l.netWt }));
  const acmp = s.rltTbTypecd ? s.rltNos.map((no): Fields => ({ rtlBillTypecd: s.rltTbTypecd!, rtlBillNo: no })) : [];
  return { head, lists: { PassportList: rows, PassportAcmp: acmp } };
}

export function buildSas121(s: BondSlip, e: Enterprise): Built {
  const body = sas121Body(s, e);
  const issues = validateBody(body, SAS121_FIELDS, 'PassportHead');
  // Cross-field rules of customs.md §4 that a table cannot say.
  if (s.passportTypecd === '6' && s.lines.length) issues.push({ field: 'PassportList', message: 'an empty-vehicle slip carries no goods' });
  if (parseQty(s.totalNetWt) > parseQty(s.totalGrossWt)) issues.push({ field: 'PassportHead.totalNetWt', message: 'net weight above gross weight' });
  if (issues.length) return { ok: false, issues };
  const xml = `<Package><DataInfo><BussinessData><DelcareFlag>0</DelcareFlag><PassPortMessage><OperCusRegCode>${esc(e.etpsno)}</OperCusRegCode>${el('PassportHead', body.head)}${body.lists.PassportList!.map((r) => el('PassportList', r)).join('')}${body.lists.PassportAcmp!.map((r) => el('PassportAcmp', r)).join('')}</PassPortMessage></BussinessData></DataInfo></Package>`;
  return { ok: true, xml, body };
}
