import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BondgateError, isBondgateError, validationError, type ErrorCode } from '../../shared/errors.ts';
import { isUtf8 } from 'node:buffer';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ReleaseDecision } from '../customs/risk.ts';
import { mapCebHere, type MapCeb } from './ceb-pool.ts';
import type { AuditInput } from '../audit.ts';
import { AUDIT_ERROR_FIELDS, intakeAudit } from './intake-audit.ts';
import type { CustomsService, IntakeWarning, OrderOutcome } from './customs.ts';

/**
 * Document intake at scale: an upload of up to 100,000 customs documents (JSON `{documents: […]}`, or NDJSON with one
 * document or one CEB XML message per line) becomes a job that feeds `CustomsService.ingest` in chunks and reports its
 * progress. The same runner serves the drop folder (drop-folder.ts).
 *
 * A CEB XML message is an item as `{"xmlBase64": "…"}` (the file's bytes, decoded by the hub by its BOM and declaration,
 * as over HTTP: what `bondgate documents import` sends) or as a JSON string (text: its bytes are the UTF-8 of the
 * string, so a declaration naming another encoding contradicts them and the message is refused, XML_ENCODING_MISMATCH).
 *
 * - Chunks: `ingest` validates a call whole and stores nothing of it when one document is bad, so a chunk is the unit
 *   of failure: a bad chunk's documents are reported (field by field) and not stored, and the next chunk goes on.
 *   Documents of one set (linked by orderNo, logisticsCode + logisticsNo, copNo, payCode + payTransactionId, or a
 *   receipt's target) go into the same chunk, so matching sees the set at once and a set is never half-stored.
 * - A CEB XML message is its own `ingest` call, so the message is kept beside its documents as received.
 * - Jobs run one at a time per hub process, in memory. A restarted hub loses an unfinished job's progress record
 *   (its spool file is cleared at start) but never half-stores a chunk; ingest is idempotent by document key, so the
 *   caller simply posts the batch again.
 */

export const BATCH_MAX_BYTES = 200 * 1024 * 1024;
export const BATCH_MAX_DOCUMENTS = 100_000;
export const BATCH_CHUNK_DOCUMENTS = 500;
/** Field-level problems kept per job; the count of the rest is reported. */
const MAX_ERRORS = 100;
const MAX_FAILED_CHUNKS = 100;
/** Finished jobs kept for GET after they end (oldest dropped first). */
const KEEP_FINISHED_JOBS = 50;

export const BatchFormat = z.enum(['json', 'ndjson']);
export type BatchFormat = z.infer<typeof BatchFormat>;

type Decision = ReleaseDecision['decision'];
export const DECISIONS = ['released', 'hold', 'inspect', 'pending'] as const satisfies readonly Decision[];

export interface BatchIssue {
  /** The chunk that was refused. */
  chunk: number;
  /** 0-based position of the item (a document, or an NDJSON line) in the upload. */
  item: number;
  /** NDJSON: 1-based line number. */
  line?: number;
  /** `documents.<item>.inventory.grossWeight`: the same paths POST /api/documents reports. */
  field: string;
  message: string;
}

export interface FailedChunk {
  chunk: number;
  code: ErrorCode | 'INTERNAL';
  message: string;
  /** The items not stored. */
  items: number[];
}

/** What a run has done so far. Counts are items: a document, or a CEB XML message (which may hold many documents). */
export interface BatchProgress {
  total: number;
  processed: number;
  stored: number;
  rejected: number;
  /** Documents actually stored (an XML message counts its documents). */
  documentsStored: number;
  chunks: { total: number; done: number; failed: number };
  /** Orders by their latest decision in this batch. */
  outcomes: Record<Decision, number>;
  errors: BatchIssue[];
  /** All problems, including those beyond the first MAX_ERRORS kept in `errors`. */
  errorsTotal: number;
  failedChunks: FailedChunk[];
  /** Warnings recorded with stored documents (issue 15), the first MAX_ERRORS of them; `warningsTotal` counts all. */
  warnings: BatchWarning[];
  warningsTotal: number;
}

/** A warning recorded with a stored document: `item` is the upload's item (line), `document` the document within it. */
export type BatchWarning = IntakeWarning & { item: number; line?: number };

// ---------------------------------------------------------------------------------------------------------------------
// Items and chunk planning (pure)

/** What pass one learnt of an item: a document and the keys tying it to its set, a CEB XML message, or garbage. */
export type ItemEntry = { kind: 'document'; links: string[]; line?: number } | { kind: 'xml'; line?: number } | { kind: 'bad'; message: string; line?: number };

/** Items of an upload: entries known up front, values read chunk by chunk (so an NDJSON upload is never all in memory). */
export interface ItemSource {
  readonly entries: readonly ItemEntry[];
  read(items: readonly number[]): Promise<unknown[]>;
  close(): Promise<void>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * The keys that tie an (unvalidated) document to the others of its set; a receipt is tied to the document it answers.
 * Links are namespaced so an orderNo never meets a copNo of the same spelling.
 */
export function linksOf(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [];
  const d = doc as Record<string, unknown>;
  const out: string[] = [];
  const orderNo = str(d.orderNo);
  if (orderNo) out.push(`order\u0000${orderNo}`);
  const lc = str(d.logisticsCode);
  const ln = str(d.logisticsNo);
  if (lc && ln) out.push(`logistics\u0000${lc}\u0000${ln}`);
  const pc = str(d.payCode);
  const pt = str(d.payTransactionId);
  if (pc && pt) out.push(`payment\u0000${pc}\u0000${pt}`);
  const kind = str(d.kind);
  const copNo = str(d.copNo);
  if (kind && copNo) out.push(`cop\u0000${kind}\u0000${copNo}`);
  if (kind === 'receipt') out.push(...linksOf(d.refersTo));
  return out;
}

export type Chunk = { kind: 'documents'; items: number[] } | { kind: 'xml'; item: number };

/**
 * Sets (items linked directly or through others: union-find over their links) packed in upload order into chunks of
 * at most `size` documents; a set larger than `size` gets a chunk of its own rather than being split. Each XML message
 * is a chunk. Bad items are not planned: they are rejected before the run.
 */
export function planChunks(entries: readonly ItemEntry[], size: number): Chunk[] {
  const parent = entries.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const owner = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.kind !== 'document') return;
    for (const link of e.links) {
      const o = owner.get(link);
      if (o === undefined) owner.set(link, i);
      else parent[find(i)] = find(o);
    }
  });
  // Sets in order of their first item, each listing its items in upload order.
  const sets = new Map<number, number[]>();
  entries.forEach((e, i) => {
    if (e.kind !== 'document') return;
    const root = find(i);
    const set = sets.get(root);
    if (set) set.push(i);
    else sets.set(root, [i]);
  });
  const chunks: Chunk[] = [];
  let current: number[] = [];
  for (const set of sets.values()) {
    if (current.length > 0 && current.length + set.length > size) {
      chunks.push({ kind: 'documents', items: current });
      current = [];
    }
    current.push(...set);
  }
  if (current.length > 0) chunks.push({ kind: 'documents', items: current });
  entries.forEach((e, i) => {
    if (e.kind === 'xml') chunks.push({ kind: 'xml', item: i });
  });
  return chunks;
}

/** `{"xmlBase64": "…"}`: a CEB XML message as its bytes (no document has an `xmlBase64` field, nor lacks `kind`). */
function xmlBytesItem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const b64 = (value as { xmlBase64?: unknown }).xmlBase64;
  return keys.length === 1 && typeof b64 === 'string' ? b64 : undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** An XML item's bytes: a string is text (its UTF-8), `{xmlBase64}` the bytes themselves. */
function xmlItemBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  const b64 = xmlBytesItem(value);
  if (b64 === undefined || b64.length % 4 !== 0 || !BASE64.test(b64)) throw new BondgateError('VALIDATION_FAILED', 'a CEB XML item must be a string or {"xmlBase64": "<base64 of the bytes>"}', [{ field: '', message: 'not a string or valid base64' }]);
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function entryOf(value: unknown, line?: number): ItemEntry {
  const at = line !== undefined ? { line } : {};
  return typeof value === 'string' || xmlBytesItem(value) !== undefined ? { kind: 'xml', ...at } : { kind: 'document', links: linksOf(value), ...at };
}

const JsonUpload = z.object({ documents: z.array(z.unknown()).min(1).max(BATCH_MAX_DOCUMENTS) });

/** `{documents: […]}` (as POST /api/documents takes it) already parsed; a string item is a CEB XML message. */
export function jsonSource(body: unknown): ItemSource {
  const b = JsonUpload.safeParse(body);
  if (!b.success) throw validationError(b.error, 'VALIDATION_FAILED', 'body');
  const values = b.data.documents;
  return { entries: values.map((v) => entryOf(v)), read: async (items) => items.map((i) => values[i]), close: async () => {} };
}

/** One CEB XML message (a drop-folder .xml file: its bytes, decoded by the encoding the message declares). */
export function xmlSource(xml: string | Uint8Array): ItemSource {
  return { entries: [{ kind: 'xml' }], read: async () => [xml], close: async () => {} };
}

const NEWLINE = 0x0a;

/**
 * An NDJSON file, scanned once: each line is parsed to learn its links, then dropped; only its offset is kept, and a
 * chunk's lines are read back by offset. Blank lines are skipped; a line that is not JSON is a bad item.
 */
export async function ndjsonFileSource(file: string, maxItems = BATCH_MAX_DOCUMENTS): Promise<ItemSource> {
  const fh = await open(file, 'r');
  const entries: ItemEntry[] = [];
  const spans: { offset: number; length: number }[] = [];
  const addLine = (bytes: Buffer, offset: number, line: number) => {
    // NDJSON is UTF-8 (RFC 8259): bytes that are not would become U+FFFD in the documents, so the line is refused.
    const valid = isUtf8(bytes);
    const text = valid ? bytes.toString('utf8').trim() : '?';
    if (text === '') return;
    if (entries.length >= maxItems) throw new BondgateError('VALIDATION_FAILED', `at most ${maxItems} documents per batch`, [{ field: 'body', message: `more than ${maxItems} lines` }]);
    spans.push({ offset, length: bytes.length });
    if (!valid) {
      entries.push({ kind: 'bad', message: 'not valid UTF-8', line });
      return;
    }
    try {
      entries.push(entryOf(JSON.parse(text), line));
    } catch (e) {
      entries.push({ kind: 'bad', message: `not JSON: ${(e as Error).message}`, line });
    }
  };
  try {
    let carry: Buffer[] = [];
    let carryStart = 0;
    let pos = 0;
    let line = 0;
    for await (const raw of fh.createReadStream({ autoClose: false, start: 0 })) {
      const chunk = raw as Buffer;
      let from = 0;
      for (let nl = chunk.indexOf(NEWLINE, from); nl >= 0; nl = chunk.indexOf(NEWLINE, from)) {
        const piece = chunk.subarray(from, nl);
        const bytes = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
        addLine(bytes, carry.length > 0 ? carryStart : pos + from, ++line);
        carry = [];
        from = nl + 1;
      }
      if (from < chunk.length) {
        if (carry.length === 0) carryStart = pos + from;
        carry.push(chunk.subarray(from));
      }
      pos += chunk.length;
    }
    if (carry.length > 0) addLine(Buffer.concat(carry), carryStart, ++line);
  } catch (e) {
    await fh.close();
    throw e;
  }
  return {
    entries,
    read: async (items) => {
      const out: unknown[] = [];
      for (const i of items) {
        const { offset, length } = spans[i]!;
        const buf = Buffer.alloc(length);
        await fh.read(buf, 0, length, offset);
        out.push(JSON.parse(buf.toString('utf8')));
      }
      return out;
    },
    close: () => fh.close(),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// The runner

export function emptyProgress(): BatchProgress {
  return { total: 0, processed: 0, stored: 0, rejected: 0, documentsStored: 0, chunks: { total: 0, done: 0, failed: 0 }, outcomes: { released: 0, hold: 0, inspect: 0, pending: 0 }, errors: [], errorsTotal: 0, failedChunks: [], warnings: [], warningsTotal: 0 };
}

export interface RunOptions {
  customs: Pick<CustomsService, 'ingest'>;
  /** Where CEB XML is parsed and checked: a worker pool in the hub (ceb-pool.ts), the calling thread by default. */
  mapXml?: MapCeb;
  actor: string;
  log: Logger;
  chunkSize?: number;
  /** Each stored chunk's order outcomes, as ingest returned them. */
  onOutcomes?: (outcomes: readonly OrderOutcome[]) => void;
  /** Called after each chunk (and once after bad items are rejected) with the live progress record. */
  onProgress?: (p: BatchProgress) => void;
  signal?: AbortSignal;
}

/**
 * Ingest every item of `source` in chunks, recording what was stored and what was refused and why. Never throws for a
 * refused chunk; throws only when aborted (the chunk in flight completes first: ingest is not interrupted midway).
 */
export async function runBatch(source: ItemSource, o: RunOptions, progress: BatchProgress = emptyProgress()): Promise<BatchProgress> {
  const { entries } = source;
  const chunks = planChunks(entries, o.chunkSize ?? BATCH_CHUNK_DOCUMENTS);
  progress.total = entries.length;
  progress.chunks.total = chunks.length;
  const latest = new Map<string, Decision>();
  const issue = (chunk: number, item: number, field: string, message: string) => {
    progress.errorsTotal++;
    const line = entries[item]?.line;
    if (progress.errors.length < MAX_ERRORS) progress.errors.push({ chunk, item, ...(line !== undefined ? { line } : {}), field, message });
  };
  const refuse = (chunk: number, items: number[], code: FailedChunk['code'], message: string) => {
    progress.rejected += items.length;
    progress.chunks.failed++;
    if (progress.failedChunks.length < MAX_FAILED_CHUNKS) progress.failedChunks.push({ chunk, code, message, items });
  };

  // Lines that were not JSON are refused before anything runs (as chunk -1: they were never part of a chunk).
  entries.forEach((e, i) => {
    if (e.kind !== 'bad') return;
    progress.rejected++;
    progress.processed++;
    issue(-1, i, `documents.${i}`, e.message);
  });
  o.onProgress?.(progress);

  for (const [n, chunk] of chunks.entries()) {
    if (o.signal?.aborted) throw new BondgateError('CONFLICT', 'the hub is stopping: the batch was interrupted between chunks; post it again');
    // Each chunk starts on a fresh turn of the event loop: whatever a chunk does on the main thread (storing, deciding),
    // health checks, ingest and the broker get their turn between two chunks of a large batch.
    await nextTurn();
    const items = chunk.kind === 'xml' ? [chunk.item] : chunk.items;
    const values = await source.read(items);
    const onWarnings = (ws: IntakeWarning[]) => {
      for (const w of ws) {
        progress.warningsTotal++;
        const item = chunk.kind === 'xml' ? chunk.item : items[w.document] ?? items[0]!;
        const line = entries[item]?.line;
        if (progress.warnings.length < MAX_ERRORS) progress.warnings.push({ ...w, item, ...(line !== undefined ? { line } : {}) });
      }
    };
    try {
      let outcomes;
      let stored: number;
      if (chunk.kind === 'xml') {
        const bytes = xmlItemBytes(values[0]);
        const mapped = await (o.mapXml ?? mapCebHere)(bytes);
        // The code too (XML_ENCODING_MISMATCH…): the job's errors are what the sender reads to fix the file.
        if (!mapped.ok) throw new BondgateError('VALIDATION_FAILED', `the CEB message is not valid (${mapped.issues.length} problem(s)); nothing of it was stored`, mapped.issues.map((f) => ({ field: f.field, message: 'code' in f && typeof f.code === 'string' ? `${f.code}: ${f.message}` : f.message })));
        outcomes = await o.customs.ingest(mapped.documents, o.actor, { xml: bytes, sha256: mapped.sha256, ...(mapped.signature ? { signature: mapped.signature } : {}) }, { warnings: mapped.documentWarnings, onWarnings });
        stored = mapped.documents.length;
      } else {
        outcomes = await o.customs.ingest(values, o.actor, null, { onWarnings });
        stored = values.length;
      }
      progress.stored += items.length;
      progress.documentsStored += stored;
      for (const out of outcomes) latest.set(out.orderNo, out.release.decision);
      o.onOutcomes?.(outcomes);
    } catch (e) {
      const err = isBondgateError(e) ? e : null;
      // ingest names fields `documents.<index in the call>`; report them by position in the upload instead.
      for (const f of err?.fields ?? []) {
        const m = /^documents\.(\d+)(.*)$/.exec(f.field);
        const item = chunk.kind === 'xml' ? chunk.item : m ? items[Number(m[1])] ?? items[0]! : items[0]!;
        const rest = chunk.kind !== 'xml' && m ? m[2]! : f.field ? `.${f.field}` : '';
        issue(n, item, `documents.${item}${rest}`, f.message);
      }
      if (!err || err.fields.length === 0) issue(n, items[0]!, `documents.${items[0]}`, (e as Error).message);
      if (!err || err.status >= 500) o.log.error({ chunk: n, err: (e as Error).message }, 'a document batch chunk failed');
      refuse(n, items, err?.code ?? 'INTERNAL', err?.message ?? 'internal error');
    }
    progress.processed += items.length;
    progress.chunks.done++;
    progress.outcomes = { released: 0, hold: 0, inspect: 0, pending: 0 };
    for (const d of latest.values()) progress.outcomes[d]++;
    o.onProgress?.(progress);
  }
  return progress;
}

/** What an audit entry says of a run: counts, and the fields of the first problems (never their messages: those may quote values). */
export function batchCounts(p: BatchProgress) {
  return {
    total: p.total,
    stored: p.stored,
    rejected: p.rejected,
    documentsStored: p.documentsStored,
    outcomes: p.outcomes,
    errorsTotal: p.errorsTotal,
    errorFields: p.errors.slice(0, AUDIT_ERROR_FIELDS).map((e) => e.field),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Jobs

export type BatchStatus = 'queued' | 'running' | 'done' | 'failed';

export interface BatchJobView extends BatchProgress {
  id: string;
  status: BatchStatus;
  format: BatchFormat;
  actor: string;
  bytes: number;
  createdMs: number;
  startedMs: number | null;
  finishedMs: number | null;
  /** Why the job as a whole failed (the upload was not a batch, or the hub stopped): nothing after it ran. */
  failure: { code: string; message: string; fields: { field: string; message: string }[] } | null;
}

interface Job {
  view: BatchJobView;
  file: string;
  listeners: Set<(v: BatchJobView) => void>;
}

export interface DocumentBatchDeps {
  customs: Pick<CustomsService, 'ingest'>;
  /** Where CEB XML is parsed (the hub's worker pool); the calling thread when absent. */
  mapXml?: MapCeb;
  /** The audit chain: each finished job leaves an entry, whatever it decided (hub/audit.ts, intakeAudit). */
  appendAudit?: (input: AuditInput, atMs: number) => Promise<unknown>;
  log: Logger;
  /** A directory of its own: uploads are spooled there and it is emptied at start (a crashed run's leftovers). */
  spoolDir: string;
  maxBytes?: number;
  maxDocuments?: number;
  chunkSize?: number;
  now?: () => number;
}

/** Counts the bytes (and NDJSON lines) going through, failing the stream past the limits. */
function limiter(maxBytes: number, maxLines: number | null, counted: { bytes: number; lines: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      counted.bytes += chunk.length;
      if (counted.bytes > maxBytes) return done(tooLarge(maxBytes));
      if (maxLines !== null) {
        for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) counted.lines++;
        // One more than the limit: the last line needs no newline.
        if (counted.lines > maxLines) return done(new BondgateError('VALIDATION_FAILED', `at most ${maxLines} documents per batch`, [{ field: 'body', message: `more than ${maxLines} lines` }]));
      }
      done(null, chunk);
    },
  });
}

/**
 * Pipe `body` through `limit` into `file`. Unlike stream.pipeline, a failure does not destroy `body`: it is an HTTP
 * request whose socket must live to carry the 413 (the route closes the connection after it).
 */
function spool(body: Readable, limit: Transform, file: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      body.unpipe(limit);
      limit.destroy();
      out.destroy();
      reject(e);
    };
    limit.on('error', fail);
    out.on('error', fail);
    body.on('error', fail);
    body.on('close', () => {
      if (!body.readableEnded) fail(new BondgateError('VALIDATION_FAILED', 'the upload was interrupted', [{ field: 'body', message: 'incomplete' }]));
    });
    out.on('finish', () => {
      settled = true;
      resolve();
    });
    body.pipe(limit).pipe(out);
  });
}

export function tooLarge(maxBytes: number): BondgateError {
  const mb = Math.round(maxBytes / (1024 * 1024));
  return new BondgateError('PAYLOAD_TOO_LARGE', `a document batch may be at most ${mb} MB (${maxBytes} bytes); split it`, [{ field: 'body', message: `larger than ${mb} MB` }]);
}

export class DocumentBatchService {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();
  readonly maxBytes: number;
  private readonly maxDocuments: number;

  constructor(private readonly d: DocumentBatchDeps) {
    this.maxBytes = d.maxBytes ?? BATCH_MAX_BYTES;
    this.maxDocuments = d.maxDocuments ?? BATCH_MAX_DOCUMENTS;
    rmSync(d.spoolDir, { recursive: true, force: true });
    mkdirSync(d.spoolDir, { recursive: true });
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  /**
   * Spool an upload to disk (one copy, streamed, refused past `maxBytes` with PAYLOAD_TOO_LARGE) and queue it as a
   * job. Resolves once the upload is received, before any of it is ingested.
   */
  async receive(body: Readable, format: BatchFormat, actor: string): Promise<BatchJobView> {
    if (this.abort.signal.aborted) throw new BondgateError('CONFLICT', 'the hub is stopping');
    const id = randomUUID();
    const file = join(this.d.spoolDir, `${id}.${format}`);
    const counted = { bytes: 0, lines: 0 };
    try {
      await spool(body, limiter(this.maxBytes, format === 'ndjson' ? this.maxDocuments : null, counted), file);
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
    if (counted.bytes === 0) {
      await rm(file, { force: true });
      throw new BondgateError('VALIDATION_FAILED', 'the upload is empty', [{ field: 'body', message: 'empty' }]);
    }
    const view: BatchJobView = { id, status: 'queued', format, actor, bytes: counted.bytes, createdMs: this.now(), startedMs: null, finishedMs: null, failure: null, ...emptyProgress() };
    const job: Job = { view, file, listeners: new Set() };
    this.jobs.set(id, job);
    this.queue.push(job);
    this.forgetOldJobs();
    this.running ??= this.drain();
    return this.snapshot(job);
  }

  get(id: string): BatchJobView | undefined {
    const job = this.jobs.get(id);
    return job && this.snapshot(job);
  }

  list(): BatchJobView[] {
    return [...this.jobs.values()].map((j) => this.snapshot(j)).reverse();
  }

  /** Progress of one job as it happens; returns the unsubscribe. Not called for a job already finished. */
  watch(id: string, listener: (v: BatchJobView) => void): () => void {
    const job = this.jobs.get(id);
    if (!job) return () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Stop after the chunk in flight; queued and interrupted jobs are marked failed. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.running;
    rmSync(this.d.spoolDir, { recursive: true, force: true });
  }

  private snapshot(job: Job): BatchJobView {
    return structuredClone(job.view);
  }

  private emit(job: Job): void {
    if (job.listeners.size === 0) return;
    const v = this.snapshot(job);
    for (const l of job.listeners) l(v);
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((j) => j.view.status === 'done' || j.view.status === 'failed');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED_JOBS))) this.jobs.delete(j.view.id);
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) await this.run(job);
    this.running = null;
  }

  private async run(job: Job): Promise<void> {
    const v = job.view;
    v.status = 'running';
    v.startedMs = this.now();
    this.emit(job);
    let source: ItemSource | undefined;
    try {
      if (this.abort.signal.aborted) throw new BondgateError('CONFLICT', 'the hub stopped before the batch ran; post it again');
      if (v.format === 'ndjson') source = await ndjsonFileSource(job.file, this.maxDocuments);
      else {
        // A JSON body has to be parsed whole (one string and its objects); NDJSON is the streaming format.
        let body: unknown;
        const bytes = await readFile(job.file);
        if (!isUtf8(bytes)) throw new BondgateError('VALIDATION_FAILED', 'the upload is not valid UTF-8 (JSON is UTF-8)', [{ field: 'body', message: 'not valid UTF-8' }]);
        try {
          body = JSON.parse(bytes.toString('utf8'));
        } catch (e) {
          throw new BondgateError('VALIDATION_FAILED', 'the upload is not valid JSON', [{ field: 'body', message: (e as Error).message }]);
        }
        source = jsonSource(body);
      }
      await runBatch(source, { customs: this.d.customs, ...(this.d.mapXml ? { mapXml: this.d.mapXml } : {}), actor: v.actor, log: this.d.log, ...(this.d.chunkSize ? { chunkSize: this.d.chunkSize } : {}), signal: this.abort.signal, onProgress: () => this.emit(job) }, v);
      v.status = 'done';
      this.d.log.info({ batch: v.id, actor: v.actor, total: v.total, stored: v.stored, rejected: v.rejected, outcomes: v.outcomes }, 'document batch done');
    } catch (e) {
      const err = isBondgateError(e) ? e : new BondgateError('STORAGE_FAILED', (e as Error).message);
      v.status = 'failed';
      v.failure = { code: err.code, message: err.message, fields: err.fields };
      this.d.log.warn({ batch: v.id, code: err.code }, `document batch failed: ${err.message}`);
    } finally {
      await source?.close();
      await rm(job.file, { force: true });
      v.finishedMs = this.now();
      // On the chain whatever the batch decided — a batch of receipts, or one refused whole, decides no parcel.
      await this.d.appendAudit?.(intakeAudit(v.actor, 'documents.batch.done', v.id, { format: v.format, bytes: v.bytes, status: v.status, ...batchCounts(v), failure: v.failure?.code ?? null }), v.finishedMs).catch((e: Error) => this.d.log.error({ batch: v.id, err: e.message }, 'document batch: the audit entry failed'));
      this.emit(job);
      job.listeners.clear();
    }
  }
}
