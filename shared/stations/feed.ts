import { z } from 'zod';

/**
 * What the hub pushes to a gateway for its stations to decide offline (issue 4): parcel decisions, release slips,
 * signed rules, expected lists. It travels as a versioned change feed: every change has a hub-wide version; the edge
 * keeps the highest version it applied and asks for "changes since N" after an outage, or gets a full snapshot when
 * it is too far behind. Types are inferred from these schemas; nothing else declares them.
 */
const key = z.string().min(1).max(64);
const text = z.string().min(1).max(128);

/** The hub's decision for a parcel (by logisticsNo), as the inspection line needs it. */
export const ParcelDecision = z.object({
  parcelKey: key,
  decision: z.enum(['released', 'hold', 'inspect']),
  declaredWeightKg: z.number().nonnegative().max(100_000).optional(),
  reason: z.string().max(500).optional(),
  /**
   * The same reasons as codes with parameters (shared/reason-codes.ts), so a console says them in its reader's
   * language. Never a personal value: the hub drops compared values before they reach the feed.
   */
  reasons: z
    .array(z.object({ code: z.string().min(1).max(64), params: z.record(z.string().max(32), z.union([z.string().max(200), z.number(), z.boolean(), z.null(), z.array(z.string().max(64)).max(32)])).optional() }))
    .max(16)
    .optional(),
  /** The order/list the parcel belongs to, for the officer's screen. */
  orderNo: text.optional(),
  /**
   * The hub drew this parcel for a random check at the line: released parcels marked so go to the inspection lane.
   * Drawn at the hub under a key no gateway holds (customs.md §6); the line never samples on its own.
   */
  sampled: z.boolean().optional(),
});
export type ParcelDecision = z.infer<typeof ParcelDecision>;

/** A release slip (核放单, customs.md §4) as the gate checks it. */
export const ReleaseSlip = z.object({
  passportNo: text,
  ioType: z.enum(['I', 'E']),
  /** approved → passed (single gate) or passed_gate1 → passed (double gate); used/void slips are refused. */
  status: z.enum(['applied', 'approved', 'passed_gate1', 'passed', 'deleted', 'void']),
  gateMode: z.enum(['single', 'double']).default('single'),
  vehicleNo: text,
  vehicleIcNo: text.optional(),
  containerNos: z.array(text).max(4).default([]),
  sealIds: z.array(text).max(8).default([]),
  vehicleWtKg: z.number().nonnegative().optional(),
  containerWtKg: z.number().nonnegative().optional(),
  totalGrossWtKg: z.number().nonnegative(),
  /** Including the vehicle: what the weighbridge should read. Derived from the parts when absent. */
  totalWtKg: z.number().nonnegative().optional(),
  /** Goods on the slip (logisticsNo, SSCC or EPC), checked for holds. */
  goods: z.array(key).max(10_000).default([]),
  /** SAS121 type (1–6; 6 empty vehicle) and bind type (1–3), when the slip came from 金二 (hub/bonded). Optional: older slips carry neither. */
  passportTypecd: z.enum(['1', '2', '3', '4', '5', '6']).optional(),
  bindTypecd: z.enum(['1', '2', '3']).optional(),
});
export type ReleaseSlip = z.infer<typeof ReleaseSlip>;

/** Rules a station decides by; signed by the hub, valid in a window, checked at the edge before use. */
export const StationRules = z.object({
  rulesId: text,
  validFromMs: z.number().int().nonnegative(),
  validToMs: z.number().int().positive(),
  /** Line: measured vs declared weight tolerance, the larger of the two bounds. */
  weightTolerancePct: z.number().min(0).max(100).default(10),
  weightToleranceKg: z.number().min(0).max(1000).default(0.05),
  /** Line: an X-ray "suspect" sends the parcel to inspection. */
  xraySuspectToInspection: z.boolean().default(true),
  /**
   * Deprecated and ignored by the line: random sampling is decided at the hub (risk rules `sampling.lineRate`) and
   * arrives per parcel as `ParcelDecision.sampled`. Still accepted so existing rule sets parse and verify.
   */
  samplingRate: z.number().min(0).max(1).default(0),
  /** Gate: weighbridge vs slip tolerance (per zone, customs.md §4). */
  gateWeightTolerancePct: z.number().min(0).max(100).default(3),
  gateWeightToleranceKg: z.number().min(0).max(100_000).default(50),
  /** Beyond this age of the local copy, decisions fail safe (gate shut, parcel to inspection). */
  maxCacheAgeMs: z.number().int().min(1000).default(15 * 60_000),
});
export type StationRules = z.infer<typeof StationRules>;

export const SignedRules = z.object({ rules: StationRules, signature: z.string().regex(/^[A-Za-z0-9+/=]+$/), keyId: text });
export type SignedRules = z.infer<typeof SignedRules>;

/** Expected goods for a warehouse step: an inbound notice, an outbound order's lines. */
export const ExpectedList = z.object({
  listId: text,
  kind: z.enum(['inbound', 'outbound', 'return']),
  warehouse: z.enum(['bonded', 'overseas']),
  orderNo: text.optional(),
  items: z
    .array(
      z.object({
        sku: text.optional(),
        sscc: z.string().regex(/^\d{18}$/).optional(),
        parcelKey: key.optional(),
        qty: z.number().int().min(1).max(1_000_000).default(1),
        expectedWeightKg: z.number().nonnegative().optional(),
        locationId: text.optional(),
      }),
    )
    .max(10_000),
});
export type ExpectedList = z.infer<typeof ExpectedList>;

export const FeedKind = z.enum(['decision', 'slip', 'rules', 'expected']);
export type FeedKind = z.infer<typeof FeedKind>;

const FeedValue = { decision: ParcelDecision, slip: ReleaseSlip, rules: SignedRules, expected: ExpectedList } as const;

/** One change: `value` null deletes the key. */
export const FeedChange = z
  .object({ version: z.number().int().positive(), kind: FeedKind, key: z.string().min(1).max(128), value: z.unknown().nullable() })
  .superRefine((c, ctx) => {
    if (c.value === null) return;
    const r = FeedValue[c.kind].safeParse(c.value);
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: ['value', ...i.path] });
  });
export type FeedChange = z.infer<typeof FeedChange>;

/** Hub → edge: changes after `fromVersion`, up to `toVersion`; `snapshot` means "replace everything you hold". */
export const FeedBatch = z.object({
  fromVersion: z.number().int().nonnegative(),
  toVersion: z.number().int().nonnegative(),
  snapshot: z.boolean(),
  /** More changes follow: ask again from toVersion. */
  more: z.boolean(),
  hubTimeMs: z.number().int().nonnegative(),
  changes: z.array(FeedChange).max(5000),
});
export type FeedBatch = z.infer<typeof FeedBatch>;

/** Edge → hub: "changes since N, please". */
export const FeedRequest = z.object({ gatewayId: z.string().min(1).max(64), sinceVersion: z.number().int().nonnegative() });
export type FeedRequest = z.infer<typeof FeedRequest>;

export function parseFeedValue<K extends FeedKind>(kind: K, value: unknown): z.infer<(typeof FeedValue)[K]> {
  return FeedValue[kind].parse(value) as z.infer<(typeof FeedValue)[K]>;
}
