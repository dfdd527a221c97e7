import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { BatchJobView } from '../hub/services/document-batches.ts';
import { isDropCandidate } from '../hub/services/drop-folder.ts';

/**
 * `bondgate documents import <files or dirs…> --hub URL --user NAME [--password-env VAR]`: upload customs documents
 * through the hub's batch endpoint (POST /api/documents/batches, as NDJSON: a CEB XML file becomes one line holding its
 * bytes, `{"xmlBase64": …}`, a JSON file one line per document, an NDJSON file its lines) and follow the job's progress
 * until it ends.
 * Exit 0 when everything was stored, 1 otherwise (refused documents, a failed job, or an error before the upload).
 */

export const DOCUMENTS_USAGE = `usage: bondgate documents import <files or dirs…> --hub URL --user NAME [--password-env VAR]
  files: *.xml (one CEB message), *.json ({"documents": […]}, an array or one document), *.ndjson
  dirs:  their *.xml, *.json and *.ndjson files, in name order (not recursive)
  the password is read from the environment variable VAR (default BONDGATE_PASSWORD)`;

export interface CliIo {
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Whether `out` is a terminal: progress overwrites one line; otherwise plain lines. */
  tty: boolean;
  now?: () => number;
}

const defaultIo = (): CliIo => ({ out: process.stdout, env: process.env, tty: Boolean(process.stdout.isTTY) });

async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (!s) throw new Error(`${p}: no such file or directory`);
    if (s.isDirectory()) {
      const names = (await readdir(p, { withFileTypes: true })).filter((e) => e.isFile() && isDropCandidate(e.name)).map((e) => e.name);
      files.push(...names.sort().map((n) => join(p, n)));
    } else if (isDropCandidate(p.split('/').pop() ?? p)) files.push(p);
    else throw new Error(`${p}: not a .xml, .json or .ndjson file`);
  }
  if (files.length === 0) throw new Error('no .xml, .json or .ndjson files to import');
  return files;
}

/** Which upload lines came from which file, so the hub's line numbers can be told as file and line. */
interface LineRange {
  file: string;
  /** 1-based line of the upload where the file starts. */
  first: number;
  /** .ndjson: lines map one to one; .json: line k is document k − first; .xml: one line. */
  ext: string;
}

function whereIs(line: number, ranges: readonly LineRange[]): string {
  let r: LineRange | undefined;
  for (const x of ranges) if (x.first <= line) r = x;
  if (!r) return `line ${line}`;
  if (r.ext === '.ndjson') return `${r.file}:${line - r.first + 1}`;
  if (r.ext === '.json') return `${r.file} document ${line - r.first}`;
  return r.file;
}

/** The upload as NDJSON, produced file by file (an NDJSON file is streamed as it is, never read whole). */
async function* ndjsonOf(files: readonly string[], ranges: LineRange[]): AsyncGenerator<Buffer> {
  let line = 1;
  for (const f of files) {
    const ext = extname(f).toLowerCase();
    ranges.push({ file: f, first: line, ext });
    if (ext === '.ndjson') {
      let last = 0x0a;
      for await (const raw of createReadStream(f)) {
        const chunk = raw as Buffer;
        for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) line++;
        if (chunk.length > 0) last = chunk[chunk.length - 1]!;
        yield chunk;
      }
      // End a last line that has no newline (the server skips blank lines, but line numbers must stay right).
      if (last !== 0x0a) {
        line++;
        yield Buffer.from('\n');
      }
      continue;
    }
    const bytes = await readFile(f);
    if (ext === '.xml') {
      // The bytes as they are: the hub decodes them by the BOM and the declaration (GBK/GB18030 too), as it does over
      // HTTP and from the drop folder, and keeps them as the original. Decoding here would store other bytes than the
      // file's and lose what the hub checks (a declaration that contradicts the bytes).
      line++;
      yield Buffer.from(`${JSON.stringify({ xmlBase64: bytes.toString('base64') })}\n`);
      continue;
    }
    if (!isUtf8(bytes)) throw new Error(`${f}: not valid UTF-8 (JSON is UTF-8)`);
    const text = bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new Error(`${f}: not JSON (${(e as Error).message})`);
    }
    const docs = Array.isArray(value) ? value : typeof value === 'object' && value !== null && Array.isArray((value as { documents?: unknown }).documents) ? (value as { documents: unknown[] }).documents : [value];
    line += docs.length;
    for (let i = 0; i < docs.length; i += 1000) yield Buffer.from(docs.slice(i, i + 1000).map((d) => `${JSON.stringify(d)}\n`).join(''));
  }
}

const mmss = (s: number) => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}` : '--:--');

/** One progress line: processed/total, percentage, rate and ETA. */
export function progressLine(v: Pick<BatchJobView, 'status' | 'processed' | 'total' | 'stored' | 'rejected'>, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (v.processed * 1000) / elapsedMs : 0;
  const pct = v.total > 0 ? Math.floor((v.processed * 100) / v.total) : 0;
  const eta = rate > 0 ? (v.total - v.processed) / rate : Number.POSITIVE_INFINITY;
  return `${v.status} ${v.processed}/${v.total || '?'} (${pct}%)  ${rate.toFixed(0)} docs/s  ETA ${v.processed >= v.total && v.total > 0 ? '0:00' : mmss(eta)}  stored ${v.stored}  rejected ${v.rejected}`;
}

/** Server-Sent Events → parsed `data` of each event, until the stream ends. */
async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<BatchJobView> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) yield JSON.parse(data) as BatchJobView;
    }
  }
}

const finished = (v: BatchJobView) => v.status === 'done' || v.status === 'failed';

async function errorText(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const e = JSON.parse(text) as { code?: string; message?: string; fields?: { field: string; message: string }[] };
    return [`${e.code ?? res.status}: ${e.message ?? text}`, ...(e.fields ?? []).slice(0, 20).map((f) => `  ${f.field}: ${f.message}`)].join('\n');
  } catch {
    return `HTTP ${res.status}: ${text.slice(0, 500)}`;
  }
}

export async function runDocumentsImport(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const print = (line: string) => io.out.write(`${line}\n`);
  const now = io.now ?? Date.now;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { hub: { type: 'string' }, user: { type: 'string' }, 'password-env': { type: 'string', default: 'BONDGATE_PASSWORD' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return print(DOCUMENTS_USAGE), 0;
  if (!values.hub || !values.user || positionals.length === 0) throw new Error(DOCUMENTS_USAGE);
  const hub = values.hub.replace(/\/+$/, '');
  const passwordVar = values['password-env'];
  const password = io.env[passwordVar];
  if (!password) throw new Error(`set the password in the environment variable ${passwordVar} (or name another with --password-env)`);
  const files = await collectFiles(positionals);

  const login = await fetch(`${hub}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: values.user, password }) });
  if (!login.ok) throw new Error(`sign-in as ${values.user} failed: ${await errorText(login)}`);
  const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };

  print(`uploading ${files.length} file(s) to ${hub}…`);
  const started = now();
  const ranges: LineRange[] = [];
  const posted = await fetch(`${hub}/api/documents/batches`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-ndjson' },
    body: Readable.from(ndjsonOf(files, ranges)) as unknown as BodyInit,
    duplex: 'half',
  } as RequestInit);
  if (posted.status !== 202) {
    print(`upload refused: ${await errorText(posted)}`);
    return 1;
  }
  let view = (await posted.json()) as BatchJobView;
  print(`batch ${view.id} accepted (${(view.bytes / 1024 / 1024).toFixed(1)} MB); ingesting…`);

  let lastPrint = 0;
  const show = (v: BatchJobView) => {
    const line = progressLine(v, now() - started);
    if (io.tty) io.out.write(`\r\x1b[K${line}`);
    else if (now() - lastPrint >= 1000 || finished(v)) {
      lastPrint = now();
      print(line);
    }
  };
  const events = await fetch(`${hub}/api/documents/batches/${view.id}/events`, { headers: auth });
  if (events.ok && events.body) {
    for await (const v of sseEvents(events.body)) {
      view = v;
      show(v);
      if (finished(v)) break;
    }
  }
  // The event stream ended early (a proxy, a dropped connection): follow by polling instead.
  while (!finished(view)) {
    await new Promise((r) => setTimeout(r, 1000));
    const res = await fetch(`${hub}/api/documents/batches/${view.id}`, { headers: auth });
    if (!res.ok) throw new Error(`lost the batch: ${await errorText(res)}`);
    view = (await res.json()) as BatchJobView;
    show(view);
  }
  if (io.tty) io.out.write('\n');

  if (view.status === 'failed') {
    print(`batch failed: ${view.failure?.code}: ${view.failure?.message}`);
    for (const f of view.failure?.fields ?? []) print(`  ${f.field}: ${f.message}`);
    return 1;
  }
  const o = view.outcomes;
  print(`done in ${mmss((now() - started) / 1000)}: ${view.total} item(s), ${view.stored} stored (${view.documentsStored} documents), ${view.rejected} rejected; orders: ${o.released} released, ${o.hold} held, ${o.inspect} to inspect, ${o.pending} pending`);
  for (const e of view.errors.slice(0, 20)) print(`  ${e.line !== undefined ? `${whereIs(e.line, ranges)}: ` : ''}${e.field}: ${e.message}`);
  if (view.errorsTotal > 20) print(`  … and ${view.errorsTotal - 20} more (GET ${hub}/api/documents/batches/${view.id})`);
  // Stored with warnings (issue 15): not a failure, but the sender should know what the documentation rules out.
  const warnings = view.warnings ?? [];
  if ((view.warningsTotal ?? 0) > 0) print(`warnings: ${view.warningsTotal} (stored with the documents)`);
  for (const w of warnings.slice(0, 20)) print(`  ${w.line !== undefined ? `${whereIs(w.line, ranges)}: ` : ''}${w.code} ${w.field}: ${w.message}`);
  if ((view.warningsTotal ?? 0) > 20) print(`  … and ${(view.warningsTotal ?? 0) - 20} more (GET ${hub}/api/documents/batches/${view.id})`);
  return view.rejected === 0 ? 0 : 1;
}
