import { z } from 'zod';
import { QtyText } from './model.ts';

/**
 * Receipts from customs, as the e-port inbox hands them over once parsed (the channel is issue 18's; hub/bonded only
 * applies them). Fields are the public SAS models' (eport.md §3): INV201 核注清单审批回执, INV202 报关单生成回执,
 * INV211 账册记账回执, SAS221 核放单审批回执, SAS223 过卡回执, SAS224 核放单状态回执 (delete / void). `receiptId`
 * is the message guid: applying the same receipt twice changes nothing.
 */
const id = z.string().min(1).max(64);

export const Inv201 = z.object({
  type: z.literal('INV201'),
  receiptId: id,
  etpsInnerInvtNo: id,
  seqNo: z.string().length(18).optional(),
  bondInvtNo: z.string().length(18).optional(),
  /** 0 approved, 1 declared, 2 returned (退单), 3 deleted. */
  invtStucd: z.enum(['0', '1', '2', '3']),
  vrfdedMarkcd: z.enum(['0', '1']).optional(),
  /** 1: the declaration behind the list is released. */
  entryStucd: z.enum(['0', '1']).optional(),
  reason: z.string().max(500).optional(),
});
export const Inv202 = z.object({
  type: z.literal('INV202'),
  receiptId: id,
  etpsInnerInvtNo: id,
  businessId: z.string().max(64).optional(),
  entrySeqNo: z.string().max(64).optional(),
  /** 1 declaration generated, 2 failed. */
  manageResult: z.enum(['1', '2']),
  reason: z.string().max(500).optional(),
});
export const Inv211Line = z.object({ gdsSeqno: z.number().int().positive(), actlIncQty: QtyText.default('0'), actlRedcQty: QtyText.default('0') });
export const Inv211 = z.object({
  type: z.literal('INV211'),
  receiptId: id,
  etpsInnerInvtNo: id,
  bondInvtNo: z.string().length(18),
  /** 2 deducted (核扣, moves the book), 3 written off (核销, closes the list). */
  vrfdedMarkcd: z.enum(['2', '3']),
  entryStucd: z.enum(['0', '1']).optional(),
  lines: z.array(Inv211Line).max(1000).default([]),
});
export const Sas221 = z.object({
  type: z.literal('SAS221'),
  receiptId: id,
  etpsPreentNo: id,
  seqNo: z.string().max(18).optional(),
  passportNo: z.string().length(24).optional(),
  /** 1 approved, 2 returned (退单). */
  manageResult: z.enum(['1', '2']),
  reason: z.string().max(500).optional(),
});
export const Sas223 = z.object({
  type: z.literal('SAS223'),
  receiptId: id,
  passportNo: z.string().length(24),
  stucd: z.enum(['2', '3', '4']),
  passCollectWt: QtyText.optional(),
  wtError: z.string().max(32).optional(),
});
export const Sas224 = z.object({ type: z.literal('SAS224'), receiptId: id, passportNo: z.string().length(24), stucd: z.enum(['5', '6']), reason: z.string().max(500).optional() });

export const ListReceipt = z.discriminatedUnion('type', [Inv201, Inv202, Inv211]);
export type ListReceipt = z.infer<typeof ListReceipt>;
export const SlipReceipt = z.discriminatedUnion('type', [Sas221, Sas223, Sas224]);
export type SlipReceipt = z.infer<typeof SlipReceipt>;
export const BondReceipt = z.discriminatedUnion('type', [Inv201, Inv202, Inv211, Sas221, Sas223, Sas224]);
export type BondReceipt = z.infer<typeof BondReceipt>;
