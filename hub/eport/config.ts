import { z } from 'zod';

/** The e-port exchange's part of the hub config (kept apart so loading the config loads nothing else of it). */
export const EportExchangeConfig = z.object({
  outbox: z.string().min(1).describe("the single-window client's OutBox: the hub writes outgoing messages here"),
  inbox: z.string().min(1).describe("the single-window client's InBox: transmission results, CEB900 and business receipts; processed files move to done/ or failed/"),
  pollMs: z.number().int().min(50).max(600_000).default(2000).describe('how often the OutBox queue and the InBox are looked at'),
  receiptWithinMinutes: z.number().positive().max(60 * 24 * 30).default(240).describe('a message sent with no business receipt after this long raises an eport_no_receipt alarm'),
  holdEarlyMinutes: z.number().min(0).max(60 * 24 * 7).default(60).describe('a 金二 receipt that arrives before the one it follows (INV211 before INV201) waits this long in the InBox for it before it is applied as it is'),
  retryBaseMs: z.number().int().min(0).max(3_600_000).default(5000).describe('first retry of a message that could not be signed or written; doubles per attempt'),
  retryMaxMs: z.number().int().min(1000).max(86_400_000).default(15 * 60_000),
  signer: z
    .object({ privateKeyFile: z.string().min(1), certificateFile: z.string().min(1) })
    .optional()
    .describe('a soft SM2 key and certificate (PEM) to sign with; absent: the signer the hub is given (the card client), else nothing is sent and every message stays queued with an alarm'),
  zone: z.object({
    copCode: z.string().min(1).max(18),
    copName: z.string().min(1).max(100),
    dxpId: z.string().min(1).max(30),
    customsCode: z.string().length(4),
    operatorCode: z.string().min(1).max(18),
    operatorName: z.string().min(1).max(100),
    logisticsCode: z.string().min(1).max(18),
    logisticsName: z.string().min(1).max(100),
    gateTrafMode: z.string().length(1).default('4'),
  }),
});
export type EportExchangeConfig = z.output<typeof EportExchangeConfig>;

