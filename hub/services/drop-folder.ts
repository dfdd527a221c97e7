import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Logger } from 'pino';
import { isUtf8 } from 'node:buffer';
import { BondgateError, ErrorCatalogue, isBondgateError, type FieldIssue } from '../../shared/errors.ts';
import type { AuditInput } from '../audit.ts';
import type { MapCeb } from './ceb-pool.ts';
import type { CustomsService, OrderOutcome } from './customs.ts';
import { errorFields, intakeAudit } from './intake-audit.ts';
import { batchCounts, jsonSource, ndjsonFileSource, runBatch, xmlSource, type BatchProgress, type ItemSource } from './document-batches.ts';

/**
 * A watched drop folder for customs documents, for partners that deliver files rather than call the API: `*.xml` (one
 * CEB message), `*.json` (`{documents: […]}`, an array, or one document) and `*.ndjson` (as the batch endpoint).
 *
 * - A file is taken only once complete: its size and mtime unchanged across two looks. Dotfiles and `*.tmp` / `*.part`
 *   are never taken, so a writer that renames a finished temp file into place is picked up on the next looks.
 * - Files go one at a time, in name order, through the batch runner (chunks, sets kept together), as actor
 *   `drop-folder`. Then: `done/<name>` with `done/<name>.result.json` (per-order outcomes; no personal data), or, when
 *   anything was refused, `failed/<name>` with `failed/<name>.errors.json` (field-level reasons). Good chunks of a
 *   failed file are stored: dropping the corrected file again is safe, as ingest is idempotent by document key.
 * - The result is written before the file moves, so a crash in between leaves the file in place to be processed again
 *   after a restart. A store failure (5xx) leaves it in place too, to be retried on a later look.
 */

export interface DropFolderOptions {
  path: string;
  pollMs: number;
  customs: Pick<CustomsService, 'ingest'>;
  log: Logger;
  /** Where CEB XML is parsed (the hub's worker pool); the calling thread when absent. */
  mapXml?: MapCeb;
  /** The audit chain: every file taken leaves an entry, whatever it decided. */
  appendAudit?: (input: AuditInput, atMs: number) => Promise<unknown>;
}

export interface DropFolder {
  /** Look at the folder now and process what is ready (the timer does this every pollMs); one look at a time. */
  poll(): Promise<void>;
  /** Stop looking; a file in progress finishes its current chunk and, if unfinished, stays for the next start. */
  stop(): Promise<void>;
}

export const DROP_ACTOR = 'drop-folder';
const TAKEN = new Set(['.xml', '.json', '.ndjson']);

/** Whether a directory entry name is a document file to consider at all. */
export function isDropCandidate(name: string): boolean {
  if (name.startsWith('.')) return false;
  return TAKEN.has(extname(name).toLowerCase());
}

interface Seen {
  size: number;
  mtimeMs: number;
}

async function sourceFor(file: string, ext: string): Promise<ItemSource> {
  if (ext === '.ndjson') return ndjsonFileSource(file);
  const bytes = await readFile(file);
  // The bytes as they are: the hub's XML decoder reads the BOM and the declaration (GBK/GB18030 included), as over HTTP.
  if (ext === '.xml') return xmlSource(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!isUtf8(bytes)) throw new BondgateError('VALIDATION_FAILED', 'the file is not valid UTF-8 (JSON is UTF-8)', [{ field: 'body', message: 'not valid UTF-8' }]);
  {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    // A bare array or one document is accepted as well as the API's {documents: […]}.
    if (Array.isArray(value)) return jsonSource({ documents: value });
    if (typeof value === 'object' && value !== null && 'documents' in value) return jsonSource(value);
    return jsonSource({ documents: [value] });
  }
}

const summaryOf = (p: BatchProgress) => ({ total: p.total, stored: p.stored, rejected: p.rejected, documentsStored: p.documentsStored, outcomes: p.outcomes, warningsTotal: p.warningsTotal, warnings: p.warnings });

export function startDropFolder(o: DropFolderOptions): DropFolder {
  const done = join(o.path, 'done');
  const failed = join(o.path, 'failed');
  const seen = new Map<string, Seen>();
  const abort = new AbortController();
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const ready = (async () => {
    await mkdir(done, { recursive: true });
    await mkdir(failed, { recursive: true });
  })();

  async function processFile(name: string): Promise<void> {
    const file = join(o.path, name);
    const ext = extname(name).toLowerCase();
    const started = Date.now();
    const orders = new Map<string, { orderNo: string; parcelKey: string | null; decision: string; complete: boolean; consistent: boolean; missing: string[]; mismatches: { rule: string; field: string }[] }>();
    let progress: BatchProgress | undefined;
    let refusal: { code: string; message: string; fields: FieldIssue[] } | undefined;
    let source: ItemSource | undefined;
    try {
      source = await sourceFor(file, ext);
      progress = await runBatch(source, {
        customs: o.customs,
        ...(o.mapXml ? { mapXml: o.mapXml } : {}),
        actor: DROP_ACTOR,
        log: o.log,
        signal: abort.signal,
        onOutcomes: (outs: readonly OrderOutcome[]) => {
          for (const r of outs) orders.set(r.orderNo, { orderNo: r.orderNo, parcelKey: r.parcelKey, decision: r.release.decision, complete: r.match.complete, consistent: r.match.consistent, missing: r.match.missing, mismatches: r.match.mismatches.map((m) => ({ rule: m.rule, field: m.field })) });
        },
      });
    } catch (e) {
      if (abort.signal.aborted) return; // stopping: the file stays and is processed again at the next start
      if (e instanceof SyntaxError) refusal = { code: 'VALIDATION_FAILED', message: `the file is not valid JSON: ${e.message}`, fields: [{ field: 'body', message: e.message }] };
      else if (isBondgateError(e) && e.status < 500) refusal = { code: e.code, message: e.message, fields: e.fields };
      else {
        o.log.error({ file: name, err: (e as Error).message }, 'drop folder: processing failed; the file stays for a later look');
        return;
      }
    } finally {
      await source?.close();
    }

    // A store failure is not the file's fault: leave it where it is and try again later.
    if (progress?.failedChunks.some((c) => c.code === 'INTERNAL' || ErrorCatalogue[c.code].status >= 500)) {
      o.log.error({ file: name }, 'drop folder: the store refused a chunk; the file stays for a later look');
      return;
    }
    const base = { file: name, startedMs: started, finishedMs: Date.now() };
    // On the chain whatever the file decided (receipts alone, or a refused file, decide no parcel).
    const counts = progress ? batchCounts(progress) : { errorsTotal: refusal!.fields.length || 1, errorFields: errorFields(refusal!.fields) };
    await o.appendAudit?.(intakeAudit(DROP_ACTOR, 'documents.drop', name, { status: progress && progress.rejected === 0 ? 'done' : 'failed', ...counts, failure: refusal?.code ?? null }), base.finishedMs);
    if (progress && progress.rejected === 0) {
      await writeFile(join(done, `${name}.result.json`), `${JSON.stringify({ ...base, ...summaryOf(progress), orders: [...orders.values()] }, null, 2)}\n`);
      await rename(file, join(done, name));
      o.log.info({ file: name, stored: progress.stored, outcomes: progress.outcomes }, 'drop folder: file processed');
      return;
    }
    const errors = progress ? { ...summaryOf(progress), errors: progress.errors, errorsTotal: progress.errorsTotal, failedChunks: progress.failedChunks, orders: [...orders.values()] } : { errors: refusal!.fields.length > 0 ? refusal!.fields : [{ field: 'body', message: refusal!.message }], failure: refusal };
    await writeFile(join(failed, `${name}.errors.json`), `${JSON.stringify({ ...base, ...errors }, null, 2)}\n`);
    await rename(file, join(failed, name));
    o.log.warn({ file: name, rejected: progress?.rejected, code: refusal?.code }, 'drop folder: file refused (see failed/)');
  }

  async function look(): Promise<void> {
    await ready;
    if (abort.signal.aborted) return;
    const entries = await readdir(o.path, { withFileTypes: true });
    const now = new Map<string, Seen>();
    for (const e of entries) {
      if (!e.isFile() || !isDropCandidate(e.name)) continue;
      try {
        const s = await stat(join(o.path, e.name));
        now.set(e.name, { size: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // Gone between the listing and the stat (moved away by its writer): nothing to take.
      }
    }
    const stable = [...now].filter(([name, s]) => {
      const before = seen.get(name);
      return before !== undefined && before.size === s.size && before.mtimeMs === s.mtimeMs;
    });
    seen.clear();
    for (const [name, s] of now) seen.set(name, s);
    for (const [name] of stable.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (abort.signal.aborted) return;
      await processFile(name);
      seen.delete(name);
    }
  }

  const poll = () => {
    chain = chain.then(look).catch((e: Error) => o.log.error({ err: e.message, path: o.path }, 'drop folder: look failed'));
    return chain;
  };
  const tick = () => {
    timer = setTimeout(() => void poll().then(() => !abort.signal.aborted && tick()), o.pollMs);
    timer.unref();
  };
  tick();
  o.log.info({ path: o.path, pollMs: o.pollMs }, 'drop folder watched');

  return {
    poll,
    stop: async () => {
      abort.abort();
      clearTimeout(timer);
      await chain;
    },
  };
}
