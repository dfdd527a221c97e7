import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { generateDocumentSets } from '../hub/customs/generate-docs.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import type { BatchJobView } from '../hub/services/document-batches.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';
import { spawnNode } from './helpers/processes.ts';
import { runDocumentsImport } from '../cli/documents.ts';

/**
 * Document intake at scale through a running hub: a 5,000-document NDJSON batch with progress over Server-Sent
 * Events, a batch with a bad chunk (reported field by field, the good chunks stored), a JSON batch above the normal
 * route's 16 MB limit, 413 above 200 MB, the drop folder, and the CLI import.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-intake-'));
const drop = join(dir, 'drop');
const CLI = resolve(import.meta.dirname, '../bin/bondgate.mjs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Parcel = ReturnType<typeof generateDocumentSets>[number];
const docsOf = (p: Parcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const releasedReceipt = (p: Parcel) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: 800, returnTime: '20250301103000123', returnInfo: '放行' });
/** All orders first, then all payments, …: a set's documents lie far apart, as a partner's export by table would. */
const byKind = (parcels: Parcel[], withReceipt: boolean) => {
  const rows = parcels.map((p) => [...docsOf(p), ...(withReceipt ? [releasedReceipt(p)] : [])]);
  return rows[0]!.flatMap((_, k) => rows.map((r) => r[k]!));
};
const ndjson = (docs: unknown[]) => `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`;

let hub: RunningHub;
let officer: string;
let manager: string;

beforeAll(async () => {
  // Unknown annual totals count as low risk here, so complete, consistent, customs-released sets are released.
  const config = parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'intake-admin-password' }, riskRules: { version: 'zone-2026-11', valueLimits: { annualUnknown: 'low' } }, dropFolder: { path: drop, pollMs: 100 } }, 'test');
  hub = await startHub(config, log);
  await hub.storage.createUser({ username: 'officer-1', passwordHash: await hashPassword('officer-pw'), role: 'officer', displayName: 'Officer', createdMs: Date.now() });
  await hub.storage.createUser({ username: 'manager-1', passwordHash: await hashPassword('manager-pw'), role: 'manager', displayName: 'Manager', createdMs: Date.now() });
  const token = async (u: string, p: string) => ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) })).json()) as { token: string }).token;
  officer = await token('officer-1', 'officer-pw');
  manager = await token('manager-1', 'manager-pw');
}, 30_000);
afterAll(async () => hub?.stop());

const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const postBatch = (body: BodyInit, type = 'application/x-ndjson', t = officer, extra: RequestInit = {}) => fetch(`${hub.httpUrl}/api/documents/batches`, { method: 'POST', headers: { ...auth(t), 'content-type': type }, body, ...extra });

/** Every event of a batch's stream until it closes. */
async function follow(id: string): Promise<{ event: string; view: BatchJobView }[]> {
  const res = await fetch(`${hub.httpUrl}/api/documents/batches/${id}/events`, { headers: auth(officer) });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text(); // the stream ends after the `done` event
  return text
    .split('\n\n')
    .filter((b) => b.includes('data:'))
    .map((b) => ({ event: /^event: (\w+)/m.exec(b)![1]!, view: JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as BatchJobView }));
}

describe('batch upload', () => {
  it('5,000 documents as NDJSON: 202 at once, progress that rises, every set decided once and whole', async () => {
    const parcels = generateDocumentSets({ seed: 501 }, 1000);
    const docs = byKind(parcels, true);
    expect(docs).toHaveLength(5000);
    const res = await postBatch(ndjson(docs));
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as BatchJobView;
    expect(['queued', 'running']).toContain(accepted.status);
    expect(res.headers.get('location')).toBe(`/api/documents/batches/${accepted.id}`);

    const events = await follow(accepted.id);
    const progress = events.map((e) => e.view.processed);
    // Never backwards, and seen at several points between 0 and the end (chunks of 500).
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress.filter((p) => p > 0 && p < 5000)).size).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)!.event).toBe('done');
    expect(events.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);

    const final = (await (await fetch(`${hub.httpUrl}/api/documents/batches/${accepted.id}`, { headers: auth(manager) })).json()) as BatchJobView;
    expect(final).toMatchObject({ status: 'done', total: 5000, processed: 5000, stored: 5000, rejected: 0, documentsStored: 5000, errors: [], outcomes: { released: 1000, hold: 0, inspect: 0, pending: 0 } });
    expect(final.chunks).toEqual({ total: 10, done: 10, failed: 0 });
    expect(events.at(-1)!.view).toEqual(final);

    // Sets were kept in one chunk: each parcel was decided exactly once (a split set is decided once per chunk).
    const audit = await hub.storage.auditRange(1, 100_000);
    const decided = audit.filter((e) => e.action === 'parcel.decide' && e.actor === 'officer-1');
    expect(decided).toHaveLength(1000);
    expect(new Set(decided.map((e) => e.subject))).toEqual(new Set(parcels.map((p) => p.set.waybill.logisticsNo)));
    expect(audit).toContainEqual(expect.objectContaining({ action: 'documents.batch', subject: accepted.id, actor: 'officer-1' }));
  }, 120_000);

  it('a bad chunk is reported with field paths and stores nothing; the other chunks are stored', async () => {
    const parcels = generateDocumentSets({ seed: 502 }, 300);
    const badList = parcels[130]!.set.inventory.copNo;
    const docs: unknown[] = byKind(parcels, false).map((d) => (d.kind === 'inventory' && (d as { copNo?: string }).copNo === badList ? { ...d, grossWeight: 'heavy' } : d));
    // Line 1 is not JSON; then 300 orders, payments, waybills, lists: set 130's list is item 1 + 900 + 130.
    const res = await postBatch(`{"kind": "order",\n${ndjson(docs)}`);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as BatchJobView;
    const final = (await follow(id)).at(-1)!.view;

    // Chunks: sets 0–124, 125–249 (holds set 130), 250–299.
    expect(final).toMatchObject({ status: 'done', total: 1201, processed: 1201, stored: 700, rejected: 501, chunks: { total: 3, done: 3, failed: 1 } });
    expect(final.errors).toEqual([
      { chunk: -1, item: 0, line: 1, field: 'documents.0', message: expect.stringMatching(/not JSON/) },
      { chunk: 1, item: 1031, line: 1032, field: 'documents.1031.inventory.grossWeight', message: expect.any(String) },
    ]);
    expect(final.failedChunks).toEqual([expect.objectContaining({ chunk: 1, code: 'VALIDATION_FAILED' })]);
    expect(final.failedChunks[0]!.items).toHaveLength(500);
    expect(final.failedChunks[0]!.items).toContain(1031);

    expect(await hub.storage.documentsByOrder(parcels[0]!.set.order.orderNo)).toHaveLength(4);
    expect(await hub.storage.documentsByOrder(parcels[299]!.set.order.orderNo)).toHaveLength(4);
    expect(await hub.storage.documentsByOrder(parcels[130]!.set.order.orderNo)).toEqual([]);
    expect(await hub.storage.documentsByOrder(parcels[200]!.set.order.orderNo)).toEqual([]); // same chunk, not half-stored
  }, 60_000);

  it('JSON {documents} beyond the 16 MB of POST /api/documents is taken: this route reads its own body', async () => {
    const parcels = generateDocumentSets({ seed: 503 }, 100);
    // Unknown properties are dropped by the document schemas: padding makes the upload large without changing it.
    const documents = parcels.flatMap(docsOf).map((d) => ({ ...d, padding: 'x'.repeat(45_000) }));
    const body = JSON.stringify({ documents });
    expect(body.length).toBeGreaterThan(17 * 1024 * 1024);
    const res = await postBatch(body, 'application/json');
    expect(res.status).toBe(202);
    const final = (await follow(((await res.json()) as BatchJobView).id)).at(-1)!.view;
    expect(final).toMatchObject({ status: 'done', format: 'json', total: 400, stored: 400, rejected: 0 });
  }, 60_000);

  it('refuses above 200 MB with 413 naming the limit, declared or streamed', async () => {
    const big = Buffer.alloc(201 * 1024 * 1024, 0x20);
    let res = await postBatch(big);
    expect(res.status).toBe(413);
    const err = (await res.json()) as { code: string; message: string };
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/200 MB/) });

    // Chunked, no Content-Length: counted as it streams and refused once past the limit.
    async function* slices() {
      for (let i = 0; i < 201; i++) yield big.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024);
    }
    res = await postBatch(slices() as unknown as BodyInit, 'application/x-ndjson', officer, { duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/200 MB/);
    // The hub still answers (a refused upload costs a connection, not the process).
    expect((await fetch(`${hub.httpUrl}/api/documents/batches`, { headers: auth(officer) })).status).toBe(200);
  }, 60_000);

  it('roles, content types and unknown batches', async () => {
    expect((await postBatch(ndjson(docsOf(generateDocumentSets({ seed: 504 }, 1)[0]!)), 'application/x-ndjson', manager)).status).toBe(403);
    const res = await postBatch('<x/>', 'text/plain');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { fields: { field: string }[] }).fields[0]!.field).toBe('content-type');
    expect((await fetch(`${hub.httpUrl}/api/documents/batches/00000000-0000-4000-8000-000000000000`, { headers: auth(officer) })).status).toBe(404);
    expect((await fetch(`${hub.httpUrl}/api/documents/batches/00000000-0000-4000-8000-000000000000`)).status).toBe(401);
  });
});

describe('drop folder at the hub', () => {
  it('a CEB XML file dropped in is ingested as drop-folder and moved to done/', async () => {
    const xml = fixtureXml('CEB303');
    writeFileSync(join(drop, 'export-order.xml'), xml);
    // The result is written beside the file's new place, then the file moves: wait for both.
    await vi.waitFor(() => expect([existsSync(join(drop, 'done', 'export-order.xml.result.json')), existsSync(join(drop, 'export-order.xml'))]).toEqual([true, false]), { timeout: 10_000, interval: 50 });
    const stored = await hub.storage.documentsByOrder('YW-EX-20240728-0042');
    expect(stored).toEqual([expect.objectContaining({ kind: 'exportOrder', originalSha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    // Kept once as received, and the drop is on the audit chain.
    expect(Buffer.from((await hub.storage.getOriginal(stored[0]!.originalSha256!))!.xml).toString('utf8')).toBe(xml);
    expect((await hub.storage.auditRange(1, 10_000)).filter((e) => e.action === 'documents.drop' && e.subject === 'export-order.xml')).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(drop, 'done', 'export-order.xml.result.json'), 'utf8'))).toMatchObject({ stored: 1, rejected: 0 });
  });
});

describe('bondgate documents import', () => {
  /** The command in-process, its terminal captured (the last test runs it as its own process). */
  const run = async (args: string[], tty = false) => {
    let output = '';
    const out = new Writable({ write: (chunk: Buffer, _enc, done) => void ((output += chunk.toString()), done()) });
    const code = await runDocumentsImport([...args, '--hub', hub.httpUrl, '--user', 'officer-1', '--password-env', 'BG_IMPORT_PW'], { out, env: { BG_IMPORT_PW: 'officer-pw' }, tty });
    return { code, output };
  };

  it('uploads a directory of XML, JSON and NDJSON, shows progress lines and a summary, exit 0', async () => {
    const src = join(dir, 'import-ok');
    mkdirSync(src);
    const [a, b] = generateDocumentSets({ seed: 505 }, 2) as [Parcel, Parcel];
    writeFileSync(join(src, '1-order.xml'), fixtureXml('CEB311'));
    writeFileSync(join(src, '2-set.json'), JSON.stringify({ documents: docsOf(a) }));
    writeFileSync(join(src, '3-set.ndjson'), ndjson(docsOf(b)).trimEnd());
    writeFileSync(join(src, 'README.txt'), 'ignored');
    const r = await run([src], true);
    expect(r.output).toMatch(/uploading 3 file\(s\)/);
    expect(r.output).toContain('\r\u001b[Kdone 9/9'); // a terminal: the progress line is rewritten in place
    expect(r.output).toMatch(/done 9\/9 \(100%\) {2}\d+ docs\/s {2}ETA 0:00/);
    expect(r.output).toMatch(/9 item\(s\), 9 stored \(9 documents\), 0 rejected/);
    expect(r.code).toBe(0);
    expect(await hub.storage.documentsByOrder(b.set.order.orderNo)).toHaveLength(4);
  }, 60_000);

  it('names the file and line of a refused document, exit 1', async () => {
    const src = join(dir, 'import-bad');
    mkdirSync(src);
    const docs = docsOf(generateDocumentSets({ seed: 506 }, 1)[0]!).map((d) => (d.kind === 'payment' ? { ...d, amountPaid: -1 } : d));
    writeFileSync(join(src, 'x.xml'), fixtureXml('CEB411'));
    writeFileSync(join(src, 'y.ndjson'), ndjson(docs));
    const r = await run([src]);
    expect(r.output).toMatch(/5 item\(s\), 1 stored \(1 documents\), 4 rejected/);
    expect(r.output).toContain(`${join(src, 'y.ndjson')}:2: documents.2.payment.amountPaid`);
    expect(r.code).toBe(1);
  }, 60_000);

  it('is a bondgate command: refuses to run without the password variable', async () => {
    const p = spawnNode([CLI, 'documents', 'import', dir, '--hub', hub.httpUrl, '--user', 'officer-1', '--password-env', 'BG_UNSET_PW'], { name: 'documents-import-nopw' });
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toMatch(/BG_UNSET_PW/);
  }, 30_000);
});
