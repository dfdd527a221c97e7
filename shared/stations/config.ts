import { z } from 'zod';

/**
 * What each station kind is configured with, apart from its decision core (inspection.ts, bench.ts, gate.ts,
 * warehouse.ts, overseas.ts, which re-export these): zod only, so a configuration (the edge's `stations:`, the hub's
 * stock view) parses without loading the cores of kinds it does not run — a gate lane's core alone is ~55 KB of source.
 */

/** An inspection line (inspection.ts). */
export const InspectionConfig = z.object({
  lineId: z.string().min(1).max(64),
  /** From the first read to the latest a verdict may come before the station decides without it (fail safe). */
  decideTimeoutMs: z.number().int().min(50).max(600_000).default(5000),
  /**
   * A pairing rule for a line that reads one parcel at a time with gaps between them: a second, different code within
   * this window of a parcel's first read is the same parcel (a multi-read, to the exception lane). 0 (the default):
   * different codes are always different parcels — reads arriving together (one serial chunk, a backlog) never fuse.
   */
  multiReadWindowMs: z.number().int().min(0).max(10_000).default(0),
  /** Re-scans of a decided parcel within this window amend its transaction instead of opening a new one. */
  amendWindowMs: z.number().int().min(0).max(86_400_000).default(10 * 60_000),
  /** Take a photo (camera snapshot) for every parcel. */
  photo: z.boolean().default(false),
});
export type InspectionConfig = z.output<typeof InspectionConfig>;

/** An officer's inspection bench (bench.ts). */
export const BenchConfig = z.object({ benchId: z.string().min(1).max(64) });
export type BenchConfig = z.output<typeof BenchConfig>;

/** A bonded-zone gate lane (gate.ts). */
export const GateConfig = z.object({
  /** ≤ 64 so that `<laneId>-<ms>:<timer>` stays within the events' 128 characters. */
  laneId: z.string().min(1).max(64),
  direction: z.enum(['in', 'out']),
  /** Double-gate zones: gate1 moves an approved slip to passed_gate1, gate2 requires passed_gate1 and completes it. */
  gateRole: z.enum(['single', 'gate1', 'gate2']).default('single'),
  /** From a passage's first capture to deciding with what is there (missing required captures → "incomplete"). */
  captureTimeoutMs: z.number().int().min(100).max(600_000).default(20_000),
  requireWeighbridge: z.boolean().default(true),
  /** When the slip lists e-seals, every one must be read and none other; off: seal reads are only recorded. */
  requireSealMatch: z.boolean().default(true),
  /** Lower the barrier this long after it opened when the vehicle-left loop never reports. */
  barrierCloseAfterMs: z.number().int().min(100).max(600_000).default(30_000),
  /** A commanded raise (or lower) the barrier's position input does not confirm in time → "barrier jammed". */
  barrierTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
  /** Passages kept for the console. */
  recentPassages: z.number().int().min(1).max(100).default(10),
  /** How long an e-seal reported opened outside the fence keeps alarming at this lane. */
  sealAlarmMemoryMs: z.number().int().min(60_000).max(30 * 86_400_000).default(86_400_000),
});
export type GateConfig = z.output<typeof GateConfig>;
export type GateConfigInput = z.input<typeof GateConfig>;

/** What every warehouse desk is configured with (bonded and overseas). */
export const ScanDeskConfig = z.object({
  /** Location labels are plain text with one of these prefixes (compared without case): `LOC:A-01-02` → `A-01-02`. */
  locationPrefixes: z.array(z.string().min(1).max(32)).min(1).max(8).default(['LOC:']),
  /**
   * Scanners set up without AIM identifiers send EAN-13/UPC-A/EAN-8 as bare digits, which classifyRead treats as a
   * waybill number. At a warehouse desk, a bare 8/12/13/14-digit string with a valid GS1 check digit that is not a
   * list id is read as a GTIN.
   */
  bareDigitsAsGtin: z.boolean().default(true),
  /** Measured vs expected weight: the larger of the two bounds. */
  weightTolerancePct: z.number().min(0).max(100).default(5),
  weightToleranceKg: z.number().min(0).max(1000).default(0.05),
  /** A stable weight attaches to the last scan only this long after it. */
  weightWindowMs: z.number().int().min(0).max(3_600_000).default(60_000),
  /** Refuse scans until an operator has signed in. */
  requireOperator: z.boolean().default(false),
  /** Lists whose tallies the station keeps (the least recently used beyond this are dropped). */
  keepLists: z.number().int().min(1).max(1000).default(20),
  recentMax: z.number().int().min(1).max(100).default(10),
  /** > 0: the verdict goes back to the step's prompt this long after it was shown (a 'verdict' timer). */
  verdictHoldMs: z.number().int().min(0).max(600_000).default(0),
});
export type ScanDeskConfig = z.infer<typeof ScanDeskConfig>;

/** The bonded warehouse desk (warehouse.ts). */
export const WarehouseConfig = ScanDeskConfig.extend({
  /** Packing: added to the sum of the order lines' expected weights (box, fill, tape). */
  packagingKg: z.number().min(0).max(1000).default(0),
  /** Packing: extra tolerance for the packaging, on top of the weight tolerance. */
  packagingToleranceKg: z.number().min(0).max(1000).default(0.1),
});
export type WarehouseConfig = z.infer<typeof WarehouseConfig>;

/** The overseas warehouse desk (overseas.ts): a scan desk with a stock ledger's locations. */
export const OverseasConfig = ScanDeskConfig.extend({
  returnReasons: z.array(z.string().min(1).max(64)).min(1).max(32).default(['customer_refused', 'damaged_in_transit', 'wrong_item', 'not_delivered']),
  dockLocationId: z.string().min(1).max(64).default('DOCK'),
  returnsLocationId: z.string().min(1).max(64).default('RETURNS'),
  quarantineLocationId: z.string().min(1).max(64).default('QUARANTINE'),
  /** An order's picked goods wait at `<stagingPrefix><listId>` until shipped. */
  stagingPrefix: z.string().min(1).max(32).default('STAGING/'),
});
export type OverseasConfig = z.infer<typeof OverseasConfig>;
