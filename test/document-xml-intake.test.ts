import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEdge, type RunningEdge } from '../edge/agent.ts';
import { EdgeConfig } from '../edge/config.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { encodeGbk, largeCeb311 } from './helpers/ceb-large.ts';
import { freePort } from './helpers/ports.ts';

/**
 * CEB XML through a running hub (issue 13 items 5, 13, 16): a maximal message is parsed off the main thread (health
 * and an edge's ingest round-trip are answered while it is in), uploads beyond the limit get 429, the message is
 * stored once however many orders it holds, bytes are decoded by the encoding the message declares and refused when
 * invalid, undeclared attributes are refused, and every upload — deciding a parcel or not, accepted or refused — is
 * on the audit chain.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-xml-intake-'));
let hub: RunningHub;
let edge: RunningEdge;
let officer: string;

beforeAll(async () => {
  hub = await startHub(
    parseConfig(HubConfig, {
      dataDir: join(dir, 'hub'),
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
      auth: { adminPassword: 'xml-intake-admin' },
      gateways: [{ id: 'GW-X', password: 'password-of-x' }],
      documents: { maxXmlUploads: 1 },
    }, 'test'),
    log,
  );
  edge = await startEdge(parseConfig(EdgeConfig, { gatewayId: 'GW-X', dataDir: join(dir, 'edge'), hub: { mqttUrl: hub.mqttUrl, password: 'password-of-x' }, http: { host: '127.0.0.1', port: 0 }, clock: { sync: 'assume-synced' } }, 'test'), log);
  await hub.storage.createUser({ username: 'officer-1', passwordHash: await hashPassword('officer-pw'), role: 'officer', displayName: 'Officer', createdMs: Date.now() });
  const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer-1', password: 'officer-pw' }) });
  officer = ((await res.json()) as { token: string }).token;
}, 30_000);
afterAll(async () => {
  await edge?.stop();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const postXml = (body: string | Buffer, type = 'application/xml') => fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${officer}` }, body: typeof body === 'string' ? body : new Uint8Array(body) });
const audits = async (action: string) => (await hub.storage.auditRange(1, 10_000)).filter((e) => e.action === action);

/** POST with node:http, to know when the whole body has left (`sent`) apart from when the answer came (`answer`). */
function upload(body: Buffer): { sent: Promise<void>; answer: Promise<{ status: number; body: string }>; answered: () => boolean } {
  let done = false;
  let sentResolve: () => void;
  const sent = new Promise<void>((r) => (sentResolve = r));
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/xml', 'content-length': body.length, authorization: `Bearer ${officer}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done = true;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body, () => sentResolve());
  });
  return { sent, answer, answered: () => done };
}

describe('CEB XML intake at the hub', () => {
  it('keeps answering health, ingest and other uploads while a maximal CEB311 is parsed; stores the message once', async () => {
    const big = Buffer.from(largeCeb311({ prefix: 'BIG' }), 'utf8');
    expect(big.length).toBeGreaterThan(5_000_000);
    const up = upload(big);
    await up.sent;

    // While the upload is in: health, an edge batch acked through the embedded broker, and a second XML upload
    // refused at once (one XML upload at a time in this hub) with a retry delay.
    // (Each check is followed by "the upload is not answered yet": on the main thread they would wait for the parse.)
    const health = await fetch(`${hub.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(up.answered()).toBe(false);
    const seq = (await edge.journal.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: 'EA000000001CN', payload: { code: 'EA000000001CN', source: 'scanner' } })).seq;
    await vi.waitFor(() => expect(edge.journal.ackedSeq).toBeGreaterThanOrEqual(seq), { timeout: 60_000, interval: 20 });
    expect(up.answered()).toBe(false);
    const second = await postXml(fixtureXml('CEB411'));
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(up.answered()).toBe(false);

    const res = await up.answer;
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { outcomes: unknown[] }).outcomes).toHaveLength(100);

    // 100 orders, one stored copy of the 5.5 MB message, referenced by each.
    const refs = await hub.storage.sql.all<{ sha: string; n: number }>("SELECT original_sha256 AS sha, COUNT(*) AS n FROM customs_documents WHERE order_no LIKE 'BIG%' GROUP BY original_sha256");
    expect(refs).toHaveLength(1);
    expect(Number(refs[0]!.n)).toBe(100);
    const stored = await hub.storage.sql.all<{ n: number; bytes: number }>('SELECT COUNT(*) AS n, SUM(length(xml)) AS bytes FROM document_originals');
    expect(Number(stored[0]!.n)).toBe(1);
    expect(Number(stored[0]!.bytes)).toBe(big.length);
    expect(Buffer.from((await hub.storage.getOriginal(refs[0]!.sha))!.xml).equals(big)).toBe(true);
  }, 180_000);

  it('decodes by the encoding the message declares (GBK) and refuses bytes invalid in it; refuses invalid UTF-8 JSON', async () => {
    const text = fixtureXml('CEB311').replace('encoding="UTF-8"', 'encoding="GBK"').replace(/GZKJ20240728000123/g, 'GBK0000000001');
    const gbk = encodeGbk(text);
    let res = await postXml(gbk);
    expect(res.status).toBe(200);
    const [doc] = await hub.storage.documentsByOrder('GBK0000000001');
    expect(doc!.body).toMatchObject({ buyerName: '张伟', consigneeAddress: '广东省广州市天河区天河路385号太古汇1座2201室' });

    // A byte no UTF-8 text has, in a message that declares UTF-8: 400, not U+FFFD.
    const bad = Buffer.from(fixtureXml('CEB311').replace(/GZKJ20240728000123/g, 'BADUTF80000001'), 'utf8');
    const at = bad.indexOf(Buffer.from('张伟'));
    bad[at] = 0xff;
    res = await postXml(bad);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/not valid UTF-8/);
    expect(await hub.storage.documentsByOrder('BADUTF80000001')).toEqual([]);

    // JSON: bad bytes inside a string are refused, not stored as U+FFFD.
    const json = Buffer.concat([Buffer.from('{"documents":[{"kind":"order","orderNo":"JSON-BAD-1","buyerName":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    res = await fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${officer}` }, body: json });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/UTF-8/) });
  });

  it('refuses undeclared attributes (a 9 MB one is not stored or served) and keeps those on district additions as warnings', async () => {
    const xml = fixtureXml('CEB311');
    const named = (orderNo: string) => xml.replace(/GZKJ20240728000123/g, orderNo);
    let res = await postXml(named('ATTR-HUGE-1').replace('<ceb:OrderHead>', `<ceb:OrderHead junk="${'x'.repeat(9 * 1024 * 1024)}">`));
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/XML_ATTRIBUTE_TOO_LONG/);
    expect(await hub.storage.documentsByOrder('ATTR-HUGE-1')).toEqual([]);

    res = await postXml(named('ATTR-SMALL-1').replace('<ceb:OrderHead>', '<ceb:OrderHead junk="1">'));
    expect(res.status).toBe(400);
    expect((await res.json()) as { fields: { field: string }[] }).toMatchObject({ fields: [expect.objectContaining({ field: 'Order[0].OrderHead.@junk' })] });
    expect(await hub.storage.documentsByOrder('ATTR-SMALL-1')).toEqual([]);

    // xsi: attributes need no declaration; an attribute on an element the XSD does not name is a warning.
    res = await postXml(named('ATTR-OK-1').replace('<ceb:OrderHead>', '<ceb:OrderHead xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ceb:OrderHeadType">').replace('</ceb:OrderHead>', '<ceb:sortLine id="7">S-07</ceb:sortLine></ceb:OrderHead>'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ warnings: [expect.objectContaining({ field: 'Order[0].OrderHead.sortLine.@id' })] });
  });

  it('puts every upload on the audit chain, one that decides no parcel and one that is refused included', async () => {
    const before = (await audits('documents.upload')).length;
    // An order alone names no parcel yet: nothing is decided, and the upload is still audited.
    const xml = fixtureXml('CEB311').replace(/GZKJ20240728000123/g, 'AUDIT-NOPARCEL-1');
    let res = await postXml(xml);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outcomes: { parcelKey: string | null }[] }).outcomes).toEqual([expect.objectContaining({ parcelKey: null })]);
    res = await postXml('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
    expect(res.status).toBe(400);
    res = await fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${officer}` }, body: JSON.stringify({ documents: [{ kind: 'order' }] }) });
    expect(res.status).toBe(400);

    const entries = (await audits('documents.upload')).slice(before);
    expect(entries.map((e) => [e.actor, e.detail.format, e.detail.status])).toEqual([['officer-1', 'xml', 'stored'], ['officer-1', 'xml', 'refused'], ['officer-1', 'json', 'refused']]);
    expect(entries[0]!.detail).toMatchObject({ messageType: 'CEB311', documents: 1, orders: 1, parcelsDecided: 0 });
    expect(entries[0]!.subject).toMatch(/^[0-9a-f]{64}$/);
    expect(entries[1]!.detail).toMatchObject({ errorsTotal: 1, errorFields: ['xml'] });
    expect(Number(entries[2]!.detail.errorsTotal)).toBeGreaterThan(0);
    // No personal data in the entries (the buyer's name is in the message).
    expect(JSON.stringify(entries)).not.toMatch(/张伟/);
  });

  it('puts a finished batch on the audit chain, one that decided no parcel and one refused whole included', async () => {
    const post = (body: string | Uint8Array<ArrayBuffer>) => fetch(`${hub.httpUrl}/api/documents/batches`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${officer}` }, body });
    // A payment alone (CEB411 as an NDJSON line) decides nothing; a batch of bytes that are not UTF-8 is refused whole.
    const ok = (await (await post(`${JSON.stringify(fixtureXml('CEB411'))}\n`)).json()) as { id: string };
    const bad = (await (await post(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]))).json()) as { id: string };
    await vi.waitFor(async () => expect((await audits('documents.batch.done')).map((e) => e.subject)).toEqual(expect.arrayContaining([ok.id, bad.id])), { timeout: 30_000, interval: 50 });
    const done = await audits('documents.batch.done');
    expect(done.find((e) => e.subject === ok.id)!.detail).toMatchObject({ status: 'done', stored: 1, documentsStored: 1, errorsTotal: 0 });
    expect(done.find((e) => e.subject === bad.id)!.detail).toMatchObject({ status: 'done', rejected: 1, errorsTotal: 1, errorFields: ['documents.0'] });
    expect(done.every((e) => e.actor === 'officer-1')).toBe(true);
  });
});
