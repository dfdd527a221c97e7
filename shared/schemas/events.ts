import { z } from 'zod';
import { HLC_PATTERN } from '../hlc.ts';
import { BENCH_TOKEN_MAX_CHARS, BENCH_TOKEN_PATTERN } from '../bench-token.ts';
import { GATEWAY_ID_PATTERN } from '../ids.ts';

/**
 * The event envelope every edge event travels in, and the payload of each event type.
 * Types are inferred from these schemas; nothing else declares them.
 */

export const GatewayId = z.string().regex(GATEWAY_ID_PATTERN, 'letters, digits, _ or -, at most 64, starting with a letter or digit').brand<'GatewayId'>();
export type GatewayId = z.infer<typeof GatewayId>;

const shortText = z.string().min(1).max(128);
const reason = z.string().min(1).max(500);
export const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hex digest');

/**
 * A reason as a code with parameters (shared/reason-codes.ts says it in the reader's language). Stations journal this,
 * never an English sentence: the journal is evidence, and every screen renders the code in its reader's language.
 */
export const CodedReason = z.object({
  code: z.string().regex(/^[a-z][a-z0-9.-]*$/, 'a reason code').max(64),
  params: z.record(z.string().max(32), z.union([z.string().max(512), z.number(), z.boolean(), z.null(), z.array(z.string().max(512)).max(32)])).optional(),
});
/** A line reason; `because`: the hub's own reasons behind a hold or an inspection order, as the station had them cached. */
export const LineReason = CodedReason.extend({ because: z.array(CodedReason).max(16).optional() });
export type LineReason = z.infer<typeof LineReason>;

/** Trustworthy time: wall clock, a per-boot monotonic clock and whether the wall clock was synchronised. */
export const EventTime = z.object({
  wallMs: z.number().int().nonnegative(),
  hlc: z.string().regex(HLC_PATTERN),
  /** Linux boot id: uptimeMs is comparable only within one boot. */
  bootId: z.string().min(1).max(64),
  /** CLOCK_BOOTTIME in ms: never goes backwards within a boot, whatever NTP or an operator does to the wall clock. */
  uptimeMs: z.number().int().nonnegative(),
  clockSynced: z.boolean(),
});
export type EventTime = z.infer<typeof EventTime>;

/** Every decision a station makes offline names the cache version it decided from (issue 4: offline decisions). */
const decisionFields = {
  cacheVersion: z.number().int().nonnegative().optional(),
  /** The local copy was older than the station's staleness bound: the station failed safe. */
  cacheStale: z.boolean().optional(),
};

/** What a gate lane captured and measured for one passage, and what it compared it with. */
const gatePassageFields = {
  passageId: shortText.optional(),
  containerNo: shortText.optional(),
  sealId: shortText.optional(),
  weighbridgeKg: z.number().nonnegative().max(1_000_000).optional(),
  expectedKg: z.number().nonnegative().max(1_000_000).optional(),
  /** weighbridge − expected, recorded whatever the outcome (wtError). */
  diffKg: z.number().min(-1_000_000).max(1_000_000).optional(),
  reasons: z.array(reason).max(16).optional(),
  ...decisionFields,
};

/** Codes one `parcel.inspected` transaction may fuse: a station opens a new parcel rather than exceed it. */
export const MAX_INSPECTED_CODES = 16;
/** The longest raw read text journalled as is (the serial scanner's own maxLength ceiling); longer reads are cut and say so. */
export const MAX_READ_TEXT = 8192;

export const Payloads = {
  // customs-relevant: never evicted or expired before the hub has acknowledged them
  'parcel.scanned': z.object({ code: z.string().min(1).max(512), symbology: shortText.optional(), source: z.enum(['scanner', 'rfid', 'camera', 'manual']) }),
  /**
   * One device read, exactly as the scanner (serial, keyboard wedge, HID POS, camera) delivered it, journalled before
   * any station logic sees it: a read a station later refuses, fuses or fails on is never lost. `accepted` reads
   * carry the classified code; rejected ones their reason. Evidence only: the hub folds no parcel state from it.
   */
  'scan.read': z.object({
    text: z.string().max(MAX_READ_TEXT),
    /** The read was longer than MAX_READ_TEXT and `text` is its head; `length` is the whole. */
    truncated: z.literal(true).optional(),
    length: z.number().int().nonnegative(),
    accepted: z.boolean(),
    code: z.string().min(1).max(512).optional(),
    /** How the read was classified (gs1, s10, logistics_no…). */
    kind: shortText.optional(),
    symbology: shortText.optional(),
    reason: reason.optional(),
  }),
  'parcel.weighed': z.object({ grossWeightKg: z.number().nonnegative().max(100_000), resolutionKg: z.number().positive().optional(), stable: z.literal(true) }),
  'xray.verdict': z.object({ verdict: z.enum(['clear', 'suspect', 'unreadable']), imageRef: shortText.optional() }),
  /** `reason`: English text older gateways wrote (shown as written, marked so); `reasonCode`: the reason as a code. */
  'parcel.diverted': z.object({ lane: z.enum(['release', 'inspection', 'exception']), reason: reason.optional(), reasonCode: LineReason.optional() }),
  'parcel.released': z.object({ by: z.enum(['auto', 'officer']), officerId: shortText.optional(), reason: reason.optional() }),
  'parcel.held': z.object({ reason, officerId: shortText.optional() }),
  /**
   * A finding at an edge inspection bench. `officerId` is the console operator who pressed the button (a claim the
   * gateway makes, never an identity the hub trusts); `officerToken` is the bench token of the customs officer signed
   * in at the bench (shared/bench-token.ts), which the hub verifies before it names an officer. The hub takes this
   * event only from the benches it is configured with, and only as a finding: never a release, never a lifted hold.
   */
  'officer.action': z.object({
    officerId: shortText,
    action: z.enum(['release', 'hold', 'inspect', 'pass', 'seize', 'return', 'destroy']),
    reason,
    officerToken: z.string().max(BENCH_TOKEN_MAX_CHARS).regex(BENCH_TOKEN_PATTERN, 'a bench token').optional(),
  }),
  'gate.passed': z.object({
    laneId: shortText,
    direction: z.enum(['in', 'out']),
    slipNo: shortText.optional(),
    vehicleNo: shortText.optional(),
    manual: z.object({ by: shortText, reason }).optional(),
    ...gatePassageFields,
  }),
  'gate.alarmed': z.object({ laneId: shortText, reason, direction: z.enum(['in', 'out']).optional(), slipNo: shortText.optional(), vehicleNo: shortText.optional(), ...gatePassageFields }),
  /**
   * One parcel's pass down an inspection line, fused: its reads, stable weight, X-ray verdict and images, the hub's
   * decision as cached at the edge, and the lane the station chose with its reasons. A re-scan of the same parcel
   * amends it: same transactionId, higher revision.
   */
  'parcel.inspected': z.object({
    transactionId: shortText,
    revision: z.number().int().min(1).default(1),
    lineId: shortText,
    outcome: z.enum(['ok', 'no_read', 'multi_read', 'unknown_parcel', 'weight_unstable', 'out_of_tolerance', 'xray_fault', 'stale_cache']),
    codes: z.array(z.string().min(1).max(512)).max(MAX_INSPECTED_CODES),
    /** Reads on this parcel that were refused (check digit, format), with their text (cut to 512) and why. */
    rejectedReads: z.array(z.object({ text: z.string().min(1).max(512), reason })).max(MAX_INSPECTED_CODES).optional(),
    /** The station's read sequence of the parcel's first read: decisions are journalled in this order. */
    scanSeq: z.number().int().positive().optional(),
    grossWeightKg: z.number().nonnegative().max(100_000).optional(),
    declaredWeightKg: z.number().nonnegative().max(100_000).optional(),
    xray: z.object({ verdict: z.enum(['clear', 'suspect', 'reject', 'unreadable']), imageRef: shortText.optional() }).optional(),
    hubDecision: z.enum(['released', 'hold', 'inspect', 'unknown']),
    lane: z.enum(['release', 'inspection', 'exception']),
    /** English text, as older gateways journalled it: accepted and shown as written (marked so), never written now. */
    reasons: z.array(reason).max(16).optional(),
    /** The lane's reasons as codes with parameters (issue 17 item 5): what a station journals now. */
    reasonCodes: z.array(LineReason).max(16).optional(),
    photoRef: shortText.optional(),
    /** A small WebP thumbnail (base64) of the parcel photo; the full image stays on the edge. */
    thumbnailWebp: z.string().max(64_000).regex(/^[A-Za-z0-9+/=]*$/).optional(),
    ...decisionFields,
  }),
  /** A stock movement in a bonded or overseas warehouse, as the station recorded it. */
  'warehouse.transaction': z.object({
    transactionId: shortText,
    warehouse: z.enum(['bonded', 'overseas']),
    op: z.enum(['receive', 'putaway', 'pick', 'pack', 'ship', 'return']),
    outcome: z.enum(['ok', 'unexpected', 'over_quantity', 'wrong_location', 'weight_off', 'not_in_order', 'rejected']),
    sku: shortText.optional(),
    sscc: z.string().regex(/^\d{18}$/).optional(),
    /** The GTIN scanned (an item's (01), a carton's content (02)), as 14 digits: with `lot`, what a recall traces. */
    gtin: z.string().regex(/^\d{14}$/, 'a GTIN-14').optional(),
    /** GS1 AI (10) batch/lot: up to 20 characters of GS1 character set 82. */
    lot: z.string().regex(/^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/, 'a GS1 (10) batch/lot: 1–20 characters of set 82').optional(),
    qty: z.number().int().min(0).max(1_000_000).default(1),
    locationId: shortText.optional(),
    listId: shortText.optional(),
    orderNo: shortText.optional(),
    weightKg: z.number().nonnegative().max(100_000).optional(),
    expectedWeightKg: z.number().nonnegative().max(100_000).optional(),
    condition: z.enum(['sellable', 'damaged', 'opened', 'missing_parts']).optional(),
    reason: reason.optional(),
    operatorId: shortText.optional(),
    ...decisionFields,
  }),
  'seal.state_changed': z.object({ sealId: shortText, state: z.enum(['sealed', 'opened', 'tampered']), insideFence: z.boolean() }),
  'fence.breached': z.object({
    fenceId: shortText,
    sealId: shortText.optional(),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
    /** low: the position was too coarse (LBS), too old or missing to be sure the seal was outside. */
    confidence: z.enum(['high', 'low']).optional(),
  }),
  /**
   * A station's own event failed its schema, or the station failed on an input: instead of the event (which would be
   * refused and lost) the journal keeps this, with the reads involved and the refused payload (cut to 64 KiB), beside
   * an `edge.alarm` station_event_refused.
   */
  'station.exception': z.object({
    /** The event type the station tried to journal; "decide" when the station threw on an input. */
    eventType: shortText,
    error: z.string().min(1).max(1000),
    /** The read texts (codes, rejected reads) the refused event or input carried. */
    reads: z.array(z.string().max(MAX_READ_TEXT)).max(10_000),
    payloadJson: z.string().max(65_536),
  }),
  'edge.alarm': z.object({
    alarm: z.enum(['disk_soft_limit', 'disk_hard_limit', 'disk_recovered', 'clock_unsynced', 'journal_key_changed', 'station_event_refused']),
    detail: z.string().max(1000),
  }),
  // telemetry: may be shed under the journal's stated policy (see edge/journal.ts)
  'device.health': z.object({ status: z.enum(['up', 'down', 'degraded']), detail: z.string().max(1000).optional() }),
  'device.error': z.object({ reason: z.string().min(1).max(1000), rawHex: z.string().max(8192).regex(/^[0-9a-f]*$/).optional() }),
  'rfid.sighting': z.object({ epc: z.string().regex(/^[0-9A-F]{8,64}$/), antenna: z.number().int().min(0).max(64).optional(), rssi: z.number().optional() }),
} as const;

export type EventType = keyof typeof Payloads;
export const EVENT_TYPES = Object.keys(Payloads) as EventType[];

export type EventClass = 'customs' | 'telemetry';
const TELEMETRY: ReadonlySet<EventType> = new Set<EventType>(['device.health', 'device.error', 'rfid.sighting']);
export function eventClass(type: EventType): EventClass {
  return TELEMETRY.has(type) ? 'telemetry' : 'customs';
}

const envelopeShape = {
  id: z.uuid(),
  gatewayId: GatewayId,
  seq: z.number().int().positive(),
  stationId: shortText,
  deviceId: shortText.optional(),
  /** The parcel (or pallet, vehicle) the event is about: waybill logisticsNo, SSCC or EPC. */
  parcelKey: z.string().min(1).max(64).optional(),
  time: EventTime,
  prevHash: Hex64,
  hash: Hex64,
};

function eventSchema<T extends EventType>(type: T) {
  return z.object({ ...envelopeShape, type: z.literal(type), payload: Payloads[type] });
}

/** A precise union: `{ type: 'parcel.weighed', payload: { grossWeightKg … } } | …`. */
export type EdgeEvent = { [T in EventType]: z.infer<ReturnType<typeof eventSchema<T>>> }[EventType];

const eventSchemas = EVENT_TYPES.map((t) => eventSchema(t));
// The mapped list loses the per-type literals; the declared output type restores the precise union.
export const EdgeEvent: z.ZodType<EdgeEvent> = z.discriminatedUnion(
  'type',
  eventSchemas as unknown as [ReturnType<typeof eventSchema<EventType>>, ...ReturnType<typeof eventSchema<EventType>>[]],
) as unknown as z.ZodType<EdgeEvent>;

/**
 * A telemetry event shed under disk pressure before it was delivered. Its row keeps its place in the
 * chain (seq, hashes) so the hub still sees an unbroken journal; only telemetry may be shed.
 */
export const ShedEvent = z.object({
  id: z.uuid(),
  gatewayId: GatewayId,
  seq: z.number().int().positive(),
  type: z.enum(['device.health', 'device.error', 'rfid.sighting']),
  shed: z.literal(true),
  time: EventTime,
  prevHash: Hex64,
  hash: Hex64,
});
export type ShedEvent = z.infer<typeof ShedEvent>;

export const JournalEntry = z.union([ShedEvent, EdgeEvent]);
export type JournalEntry = EdgeEvent | ShedEvent;

export function isShed(e: JournalEntry): e is ShedEvent {
  return 'shed' in e && e.shed === true;
}

/** What a station hands the journal: the envelope (seq, id, time, hashes) is the journal's to add. */
export type NewEvent = {
  [T in EventType]: { type: T; stationId: string; deviceId?: string; parcelKey?: string; payload: z.input<(typeof Payloads)[T]> };
}[EventType];
