import { z } from 'zod';
import { isQtyText } from './qty.ts';

/**
 * The documents of the bonded account book (金二, eport.md §3; customs.md §4–5), as the hub keeps them. Field names
 * follow the public SAS models (`ronannnn/gx-customs-bridge`, pkg/customs/sasmodels/{inv101,sas121,inv211}_models.go)
 * where a field goes on the wire; hub-only fields (kind, sources, passages) are named in our own words. Quantities and
 * weights are decimal strings (qty.ts), never floats.
 */
export const QtyText = z.string().refine(isQtyText, 'a decimal with at most 14 digits and 5 decimals');
export const EmsNo = z.string().regex(/^[A-Z0-9]{12}$/, '12 letters/digits (e.g. T5301W000001)');
export const Gdecd = z.string().regex(/^\d{10}$/, 'a 10-digit HS code');
export const Unitcd = z.string().regex(/^\d{3}$/, 'a 3-digit unit code');
export const District = z.string().regex(/^\d{4}$/, 'a 4-digit customs district');

/** One account-book item (备案序号 gdsSeqno, 料号 gdsMtno): its filed figures; the movements come only from receipts. */
export const BookItemFiling = z.object({
  emsNo: EmsNo,
  gdsSeqno: z.number().int().positive(),
  /** 料号: the enterprise's part number, which the warehouse desks use as the SKU. */
  gdsMtno: z.string().trim().min(1).max(32),
  gdecd: Gdecd,
  gdsNm: z.string().trim().min(1).max(255),
  dclUnitcd: Unitcd,
  openingQty: QtyText.default('0'),
  /** 存储上限: the balance may not exceed it (null: none filed). */
  storageLimitQty: QtyText.nullable().default(null),
});
export type BookItemFiling = z.output<typeof BookItemFiling>;

// ---------------------------------------------------------------------------------------------------------------------
// Entry/exit lists (核注清单, INV101)

/**
 * What happened that the list writes into the book: first-line entry from a tally (一线入区), second-line exit of
 * released 1210 lists (二线出区), a return re-entering, goods moving to or from another book in the zone or another zone
 * (区内流转 / 区间流转).
 */
export const ListKind = z.enum(['first_line_in', 'second_line_out', 'return_in', 'transfer_in', 'transfer_out']);
export type ListKind = z.infer<typeof ListKind>;
export const IMPEXP_OF: Record<ListKind, 'I' | 'E'> = { first_line_in: 'I', second_line_out: 'E', return_in: 'I', transfer_in: 'I', transfer_out: 'E' };

export const ListLine = z.object({
  gdsSeqno: z.number().int().positive(),
  gdsMtno: z.string().min(1).max(32),
  gdecd: Gdecd,
  gdsNm: z.string().min(1).max(255),
  dclUnitcd: Unitcd,
  dclQty: QtyText,
});
export type ListLine = z.infer<typeof ListLine>;

/** invtStucd of INV201/211: 1 declared, 0 approved, 2 returned, 3 deleted; `draft` before the hub sends it. */
export const ListStat = z.enum(['draft', 'declared', 'approved', 'rejected', 'deleted']);
/** 核扣标记 vrfdedMarkcd: 0 not deducted, 1 pre-deducted, 2 deducted, 3 written off. */
export const VrfdedMarkcd = z.enum(['0', '1', '2', '3']);
export type VrfdedMarkcd = z.infer<typeof VrfdedMarkcd>;

export const BondList = z.object({
  /** 企业内部清单编号: the hub's own number, the key until customs gives bondInvtNo. */
  etpsInnerInvtNo: z.string().min(1).max(64),
  /** 18: QD + district + year + I/E + 9 digits, from INV201. */
  bondInvtNo: z.string().length(18).nullable(),
  seqNo: z.string().length(18).nullable(),
  emsNo: EmsNo,
  kind: ListKind,
  transferScope: z.enum(['intra', 'inter']).nullable().default(null),
  /** The other book of a transfer (rltPutrecNo) and its list once known (rltInvtNo). */
  rltPutrecNo: z.string().max(64).nullable().default(null),
  rltInvtNo: z.string().max(64).nullable().default(null),
  impexpMarkcd: z.enum(['I', 'E']),
  supvModecd: z.string().regex(/^\d{4}$/),
  /** 1 declared with a customs declaration (报关), 2 not (非报关). */
  dclcusFlag: z.enum(['1', '2']),
  listStat: ListStat,
  vrfdedMarkcd: VrfdedMarkcd,
  /** The declaration behind the list is released (entryStucd 1); always true for a 非报关 list. */
  entryReleased: z.boolean(),
  entrySeqNo: z.string().max(64).nullable().default(null),
  lines: z.array(ListLine).min(1).max(1000),
  /** Quantity per gdsSeqno that has passed the gate on slips (reported by the lanes). */
  passedQty: z.record(z.string(), QtyText).default({}),
  /** What the list was made from: tally ids, order numbers, parcel keys, returns. */
  sources: z.array(z.string().max(64)).max(10_000).default([]),
  periodFromMs: z.number().int().nullable().default(null),
  periodToMs: z.number().int().nullable().default(null),
  rejectReason: z.string().max(500).nullable().default(null),
  createdMs: z.number().int(),
  updatedMs: z.number().int(),
});
export type BondList = z.output<typeof BondList>;

// ---------------------------------------------------------------------------------------------------------------------
// Release slips (核放单, SAS121)

/** 1 先入区后报关, 2 一线, 3 二线, 4 非报关, 5 卡口登记货物, 6 空车. */
export const PassportTypecd = z.enum(['1', '2', '3', '4', '5', '6']);
export type PassportTypecd = z.infer<typeof PassportTypecd>;
/** 1 one vehicle, many consignments; 2 one to one; 3 one consignment, many vehicles. */
export const BindTypecd = z.enum(['1', '2', '3']);
/** 1 核注清单, 2 出入库单, 3 提运单. */
export const RltTbTypecd = z.enum(['1', '2', '3']);
/**
 * stucd: 0 applied, 1 approved, 2 passed (single gate), 3 passed gate 1, 4 passed gate 2, 5 deleted, 6 void; the hub's
 * own `draft` (prepared, not yet 申报) and `rejected` (customs 退单 by SAS221).
 */
export const SlipStucd = z.enum(['draft', 'rejected', '0', '1', '2', '3', '4', '5', '6']);
export type SlipStucd = z.infer<typeof SlipStucd>;
export const PASSPORT_NO_24 = /^Z\d{4}[IE]\d{6}\d{12}$/;

export const SlipLine = z.object({
  passportSeqNo: z.number().int().positive(),
  /** The list this line moves (hub-side: the wire line names only rltGdsSeqno). */
  listNo: z.string().min(1).max(64),
  rltGdsSeqno: z.number().int().positive(),
  gdsMtno: z.string().min(1).max(32),
  gdecd: Gdecd,
  gdsNm: z.string().min(1).max(255),
  dclUnitcd: Unitcd,
  dclQty: QtyText,
  grossWt: QtyText,
  netWt: QtyText,
});
export type SlipLine = z.infer<typeof SlipLine>;

export const SlipPassage = z.object({ eventId: z.string().min(1).max(128), gate: z.enum(['single', 'gate1', 'gate2']), laneId: z.string().max(64), atMs: z.number().int(), result: z.enum(['passed', 'refused']), reason: z.string().max(200).nullable().default(null) });
export type SlipPassage = z.infer<typeof SlipPassage>;

export const BondSlip = z.object({
  /** 企业内部编号: the hub's key until customs gives passportNo. */
  etpsPreentNo: z.string().min(1).max(64),
  seqNo: z.string().max(18).nullable().default(null),
  passportNo: z.string().regex(PASSPORT_NO_24).nullable(),
  /** Slips carried over from the officer-issued store (21-character numbers): readable, never re-sent. */
  legacyNo: z.string().max(64).nullable().default(null),
  stucd: SlipStucd,
  ioTypecd: z.enum(['I', 'E']),
  passportTypecd: PassportTypecd,
  bindTypecd: BindTypecd,
  rltTbTypecd: RltTbTypecd.nullable(),
  rltNos: z.array(z.string().min(1).max(64)).max(100),
  masterCuscd: District,
  areainOriactNo: EmsNo,
  gateMode: z.enum(['single', 'double']),
  vehicleNo: z.string().min(1).max(32),
  vehicleIcNo: z.string().max(64).nullable().default(null),
  vehicleWt: QtyText,
  vehicleFrameNo: z.string().max(64).nullable().default(null),
  vehicleFrameWt: QtyText.nullable().default(null),
  containerNo: z.string().max(32).nullable().default(null),
  containerWt: QtyText.nullable().default(null),
  containerType: z.string().max(8).nullable().default(null),
  totalGrossWt: QtyText,
  totalNetWt: QtyText,
  totalWt: QtyText,
  lines: z.array(SlipLine).max(1000),
  /** Parcel keys / SSCC the gate checks for holds (feed `goods`). */
  goods: z.array(z.string().min(1).max(64)).max(10_000).default([]),
  sealIds: z.array(z.string().min(1).max(64)).max(8).default([]),
  passages: z.array(SlipPassage).default([]),
  rejectReason: z.string().max(500).nullable().default(null),
  preparedBy: z.string().max(64),
  createdMs: z.number().int(),
  updatedMs: z.number().int(),
});
export type BondSlip = z.output<typeof BondSlip>;
