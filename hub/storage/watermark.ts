import type { JournalAlert } from './storage.ts';

/**
 * Pure: walk a gateway's stored entries above its watermark and advance the watermark over the contiguous
 * run, checking the hash chain as it goes. Both store implementations call this inside their transaction
 * with rows read back in seq order; it does no I/O.
 */
export interface ChainRow { seq: number; prevHash: string; hash: string }

export interface WatermarkInput {
  gatewayId: string;
  ackedSeq: number;
  headHash: string;
  /** Stored rows with seq > ackedSeq, ascending (including the ones just inserted). */
  rowsAbove: readonly ChainRow[];
  /** The edge says seqs from gapFrom up to its first sent entry are gone from its journal. */
  gapFrom?: number;
  nowMs: number;
}

export interface WatermarkResult {
  ackedSeq: number;
  headHash: string;
  ranges: [number, number][];
  alerts: JournalAlert[];
}

export const MAX_ACK_RANGES = 32;

export function advanceWatermark(input: WatermarkInput): WatermarkResult {
  let { ackedSeq, headHash } = input;
  const alerts: JournalAlert[] = [];
  const rows = input.rowsAbove;
  let i = 0;

  const first = rows[0];
  if (input.gapFrom !== undefined && first && input.gapFrom <= ackedSeq + 1 && first.seq > ackedSeq + 1) {
    alerts.push({
      gatewayId: input.gatewayId,
      seq: ackedSeq + 1,
      kind: 'journal_gap',
      detail: `gateway reports seq ${ackedSeq + 1}..${first.seq - 1} missing from its journal`,
      atMs: input.nowMs,
    });
    ackedSeq = first.seq - 1;
    headHash = first.prevHash;
  }

  for (; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.seq !== ackedSeq + 1) break;
    if (row.prevHash !== headHash) {
      alerts.push({
        gatewayId: input.gatewayId,
        seq: row.seq,
        kind: 'chain_break',
        detail: `prevHash ${row.prevHash.slice(0, 12)}… does not match the hash of seq ${row.seq - 1} (${headHash.slice(0, 12)}…)`,
        atMs: input.nowMs,
      });
    }
    ackedSeq = row.seq;
    headHash = row.hash;
  }

  const ranges: [number, number][] = [];
  for (; i < rows.length && ranges.length < MAX_ACK_RANGES; i++) {
    const seq = rows[i]!.seq;
    const last = ranges[ranges.length - 1];
    if (last && seq === last[1] + 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return { ackedSeq, headHash, ranges, alerts };
}

/** A request for the rows above `ackedSeq` (at most `limit`), answered by the store. */
export type ReadRequest = { ackedSeq: number; limit: number };

/**
 * Advance over as many rows as are contiguous, reading them in chunks: a large commit or a long run of earlier
 * live events is never acked short. Written once as a generator so the synchronous SQLite store and the
 * asynchronous PostgreSQL store drive the same loop (runWatermark / runWatermarkAsync).
 */
export function* watermarkSteps(input: Omit<WatermarkInput, 'rowsAbove'>, chunk = 20_000): Generator<ReadRequest, WatermarkResult, ChainRow[]> {
  let acked = input.ackedSeq;
  let headHash = input.headHash;
  const alerts: WatermarkResult['alerts'] = [];
  let gapFrom = input.gapFrom;
  for (;;) {
    const rows = yield { ackedSeq: acked, limit: chunk };
    // gapFrom set explicitly (undefined after the first chunk): spreading `input` alone would re-apply the edge's
    // declared gap to a later chunk and jump a real hole (rows the edge still has) with a false journal_gap.
    const wm = advanceWatermark({ ...input, ackedSeq: acked, headHash, rowsAbove: rows, gapFrom });
    gapFrom = undefined;
    alerts.push(...wm.alerts);
    const progressed = wm.ackedSeq > acked;
    acked = wm.ackedSeq;
    headHash = wm.headHash;
    if (rows.length < chunk || !progressed || wm.ranges.length > 0) return { ackedSeq: acked, headHash, ranges: wm.ranges, alerts };
  }
}

export function runWatermark(input: Omit<WatermarkInput, 'rowsAbove'>, read: (r: ReadRequest) => ChainRow[], chunk?: number): WatermarkResult {
  const gen = watermarkSteps(input, chunk);
  let step = gen.next(undefined as unknown as ChainRow[]);
  while (!step.done) step = gen.next(read(step.value));
  return step.value;
}

export async function runWatermarkAsync(input: Omit<WatermarkInput, 'rowsAbove'>, read: (r: ReadRequest) => Promise<ChainRow[]>, chunk?: number): Promise<WatermarkResult> {
  const gen = watermarkSteps(input, chunk);
  let step = gen.next(undefined as unknown as ChainRow[]);
  while (!step.done) step = gen.next(await read(step.value));
  return step.value;
}

/**
 * The common case: a batch that is exactly the next run after the watermark, with nothing stored above it. Then the
 * rows above the watermark are the batch itself and the store need not read them back. Returns them, or undefined
 * when the store must read (the store checks "nothing stored above" with one index probe).
 */
export function nextRunOf(inserted: readonly ChainRow[], ackedSeq: number): ChainRow[] | undefined {
  for (let i = 0; i < inserted.length; i++) if (inserted[i]!.seq !== ackedSeq + 1 + i) return undefined;
  return inserted.length > 0 ? [...inserted] : undefined;
}
