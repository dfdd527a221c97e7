import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDocumentsImport } from '../cli/documents.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import type { BatchJobView } from '../hub/services/document-batches.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { encodeGbk } from './helpers/ceb-large.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Issue 15 items 1, 3 and 8 through a running hub, on every intake path (POST /api/documents, `bondgate documents
 * import`, the drop folder, an NDJSON batch):
 * - a GBK message is decoded from its bytes by the hub, whatever the Content-Type says, and kept byte for byte;
 * - a declaration that contradicts the bytes, or text that already holds U+FFFD, is refused with its code and nothing
 *   is stored;
 * - what only the XSD documentation (or the code tables) rule out is stored with warnings, returned, shown with the
 *   case and counted; a field name in the wrong case is a warning naming both names.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-ceb-strict-'));
const drop = join(dir, 'drop');
let hub: RunningHub;
let officer: string;

beforeAll(async () => {
  const config = parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'harbour-lantern-7391' }, dropFolder: { path: drop, pollMs: 100 } }, 'test');
  hub = await startHub(config, log);
  await hub.storage.createUser({ username: 'officer-7', passwordHash: await hashPassword('copper-meadow-5280'), role: 'officer', displayName: 'Officer', createdMs: Date.now() });
  const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer-7', password: 'copper-meadow-5280' }) });
  officer = ((await res.json()) as { token: string }).token;
}, 30_000);
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ORDER_NO = 'GZKJ20240728000123';
const LOGISTICS_NO = 'SF1429876543210';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const postXml = (body: Uint8Array | string, type = 'application/xml') => fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${officer}` }, body: typeof body === 'string' ? body : new Uint8Array(body) });
/** The CEB311 fixture under another order number, declared GBK and encoded in GBK. */
const gbkOrder = (orderNo: string) => encodeGbk(fixtureXml('CEB311').replace('encoding="UTF-8"', 'encoding="GBK"').replaceAll(ORDER_NO, orderNo));
const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

async function importFiles(files: Record<string, Uint8Array | string>): Promise<{ code: number; output: string }> {
  const src = mkdtempSync(join(dir, 'import-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(src, name), bytes);
  let output = '';
  const out = new Writable({ write: (chunk: Buffer, _enc, done) => void ((output += chunk.toString()), done()) });
  const code = await runDocumentsImport([src, '--hub', hub.httpUrl, '--user', 'officer-7', '--password-env', 'BG_PW'], { out, env: { BG_PW: 'copper-meadow-5280' }, tty: false });
  return { code, output };
}

async function dropFile(name: string, bytes: Uint8Array | string): Promise<'done' | 'failed'> {
  mkdirSync(drop, { recursive: true });
  writeFileSync(join(drop, name), bytes);
  let where: 'done' | 'failed' | undefined;
  await vi.waitFor(() => {
    where = existsSync(join(drop, 'done', name)) ? 'done' : existsSync(join(drop, 'failed', name)) ? 'failed' : undefined;
    expect(where).toBeDefined();
  }, { timeout: 20_000, interval: 50 });
  return where!;
}

async function storedOrder(orderNo: string) {
  const [doc] = (await hub.storage.documentsByOrder(orderNo)).filter((d) => d.kind === 'order');
  return doc;
}

describe('a GBK message is decoded by the hub from its bytes, on every path (issue 15 item 3)', () => {
  it('HTTP without a charset, and with a charset that says otherwise: decoded by the declaration, kept byte for byte', async () => {
    for (const [orderNo, type] of [['GBK-HTTP-NOCS-1', 'application/xml'], ['GBK-HTTP-CS-1', 'text/xml; charset=utf-8']] as const) {
      const bytes = gbkOrder(orderNo);
      const res = await postXml(bytes, type);
      expect(res.status, type).toBe(200);
      const doc = await storedOrder(orderNo);
      expect(doc!.body).toMatchObject({ buyerName: '张伟' });
      expect(doc!.originalSha256).toBe(sha256(bytes));
    }
  });

  it('bondgate documents import sends the file\'s bytes: the hub decodes them and keeps the very file', async () => {
    const bytes = gbkOrder('GBK-CLI-1');
    const r = await importFiles({ 'gbk-order.xml': bytes });
    expect(r.code, r.output).toBe(0);
    const doc = await storedOrder('GBK-CLI-1');
    expect(doc!.body).toMatchObject({ buyerName: '张伟', consigneeAddress: '广东省广州市天河区天河路385号太古汇1座2201室' });
    // Before issue 15 the CLI decoded the file and the hub stored a UTF-8 re-encoding with a BOM: another message.
    expect(doc!.originalSha256).toBe(sha256(bytes));
  }, 60_000);

  it('the drop folder', async () => {
    const bytes = gbkOrder('GBK-DROP-1');
    expect(await dropFile('gbk-order.xml', bytes)).toBe('done');
    const doc = await storedOrder('GBK-DROP-1');
    expect(doc!.body).toMatchObject({ buyerName: '张伟' });
    expect(doc!.originalSha256).toBe(sha256(bytes));
  });

  it('UTF-16 with a BOM over HTTP', async () => {
    const res = await postXml(utf16le(fixtureXml('CEB311').replace('encoding="UTF-8"', 'encoding="UTF-16"').replaceAll(ORDER_NO, 'UTF16-HTTP-1')));
    expect(res.status).toBe(200);
    expect((await storedOrder('UTF16-HTTP-1'))!.body).toMatchObject({ buyerName: '张伟' });
  });
});

describe('a declaration that contradicts the bytes, or U+FFFD, is refused with its code and nothing is stored', () => {
  const bomUnderGbk = (orderNo: string) => utf16le(fixtureXml('CEB311').replace('encoding="UTF-8"', 'encoding="GBK"').replaceAll(ORDER_NO, orderNo));
  const gbkDeclaredOnUtf8 = (orderNo: string) => fixtureXml('CEB311').replace('encoding="UTF-8"', 'encoding="GBK"').replaceAll(ORDER_NO, orderNo);

  it('over HTTP', async () => {
    for (const [orderNo, body, code] of [
      ['MISMATCH-HTTP-1', bomUnderGbk('MISMATCH-HTTP-1'), 'XML_ENCODING_MISMATCH'],
      ['MISMATCH-HTTP-2', Buffer.from(gbkDeclaredOnUtf8('MISMATCH-HTTP-2')), 'XML_ENCODING_MISMATCH'],
      ['FFFD-HTTP-1', Buffer.from(fixtureXml('CEB311').replaceAll(ORDER_NO, 'FFFD-HTTP-1').replace('张伟', '\uFFFD\uFFFD')), 'XML_REPLACEMENT_CHARACTER'],
    ] as const) {
      const res = await postXml(body);
      expect(res.status, orderNo).toBe(400);
      expect(await res.json(), orderNo).toMatchObject({ code: 'VALIDATION_FAILED', fields: [expect.objectContaining({ field: 'xml', code })] });
      expect(await hub.storage.documentsByOrder(orderNo)).toEqual([]);
    }
  });

  it('through bondgate documents import, naming the code', async () => {
    const r = await importFiles({ 'utf16-bom-gbk-decl.xml': bomUnderGbk('MISMATCH-CLI-1') });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/XML_ENCODING_MISMATCH/);
    expect(await hub.storage.documentsByOrder('MISMATCH-CLI-1')).toEqual([]);
  }, 60_000);

  it('from the drop folder, to failed/ with the code', async () => {
    expect(await dropFile('mismatch.xml', bomUnderGbk('MISMATCH-DROP-1'))).toBe('failed');
    expect(readFileSync(join(drop, 'failed', 'mismatch.xml.errors.json'), 'utf8')).toMatch(/XML_ENCODING_MISMATCH/);
    expect(await hub.storage.documentsByOrder('MISMATCH-DROP-1')).toEqual([]);
  });

  it('a message sent as NDJSON text is its UTF-8: a GBK declaration on it is a mismatch (it was stored under a BOM before)', async () => {
    const res = await fetch(`${hub.httpUrl}/api/documents/batches`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${officer}` }, body: `${JSON.stringify(gbkDeclaredOnUtf8('MISMATCH-NDJSON-1'))}\n` });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as BatchJobView;
    let view: BatchJobView | undefined;
    await vi.waitFor(async () => {
      view = (await (await fetch(`${hub.httpUrl}/api/documents/batches/${id}`, { headers: { authorization: `Bearer ${officer}` } })).json()) as BatchJobView;
      expect(view.status).toBe('done');
    }, { timeout: 20_000, interval: 50 });
    expect(view!.rejected).toBe(1);
    expect(view!.errors[0]!.message).toMatch(/XML_ENCODING_MISMATCH/);
    expect(await hub.storage.documentsByOrder('MISMATCH-NDJSON-1')).toEqual([]);
  });
});

describe('what only the documentation rules out is stored with warnings (issue 15 items 1 and 8)', () => {
  it('a waybill with 3 packages and a lower-case guid, a payment with payTransactionID: stored, warned, shown, counted', async () => {
    const waybill = fixtureXml('CEB511')
      .replaceAll(ORDER_NO, 'WARN-ORDER-1')
      .replaceAll(LOGISTICS_NO, 'WARNLOG0000001')
      .replace('<ceb:packNo>1</ceb:packNo>', '<ceb:packNo>3</ceb:packNo>')
      .replace(/guid="([0-9A-F-]+)"/, (_m, g: string) => `guid="${g.toLowerCase()}"`);
    let res = await postXml(waybill);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { warnings: { code: string; field: string; document: number; kind: string }[] };
    expect(answer.warnings).toEqual(expect.arrayContaining([
      expect.objectContaining({ code: 'CEB_DOCUMENTED_UPPERCASE', field: '@guid', document: 0, kind: 'waybill' }),
      expect.objectContaining({ code: 'CEB_DOCUMENTED_ENUMERATION', field: 'Logistics[0].LogisticsHead.packNo' }),
      expect.objectContaining({ code: 'DOC_WAYBILL_PACK_NO', field: 'packNo' }),
    ]));
    const [stored] = await hub.storage.documentsByOrder('WARN-ORDER-1');
    expect(stored!.body).toMatchObject({ packNo: 3, warnings: expect.arrayContaining([expect.objectContaining({ code: 'DOC_WAYBILL_PACK_NO', params: { got: 3 } })]) });

    const payment = fixtureXml('CEB411')
      .replaceAll(ORDER_NO, 'WARN-ORDER-1')
      .replace(/(<ceb:payTransactionId>[^<]*<\/ceb:payTransactionId>)/, '$1<ceb:payTransactionID>X-1</ceb:payTransactionID>');
    res = await postXml(payment);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { warnings: unknown[] }).warnings).toEqual([expect.objectContaining({ code: 'CEB_FIELD_CASE', params: { element: 'payTransactionID', field: 'payTransactionId' } })]);
    const pay = (await hub.storage.documentsByOrder('WARN-ORDER-1')).find((d) => d.kind === 'payment');
    expect(pay!.body).toMatchObject({ extensions: { payTransactionID: 'X-1' }, warnings: [expect.objectContaining({ code: 'CEB_FIELD_CASE' })] });

    const metrics = await (await fetch(`${hub.httpUrl}/metrics`, { headers: { authorization: `Bearer ${officer}` } })).text();
    expect(metrics).toMatch(/bondgate_hub_document_warnings_total\{code="DOC_WAYBILL_PACK_NO",kind="waybill"\} 1/);
    expect(metrics).toMatch(/bondgate_hub_document_warnings_total\{code="CEB_FIELD_CASE",kind="payment"\} 1/);
  });

  it('an export list and its 604 receipt with statisticsFlag C, and a list number of another shape: stored, warned', async () => {
    const list = fixtureXml('CEB603').replace('<ceb:statisticsFlag>A</ceb:statisticsFlag>', '<ceb:statisticsFlag>C</ceb:statisticsFlag>');
    let res = await postXml(list);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { warnings: unknown[] }).warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'DOC_STATISTICS_FLAG', field: 'statisticsFlag' })]));
    const receipt = fixtureXml('CEB604').replace('<ceb:statisticsFlag>A</ceb:statisticsFlag>', '<ceb:statisticsFlag>C</ceb:statisticsFlag>').replace('29242024E000042420', '2924X024E00004242A');
    res = await postXml(receipt);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { warnings: unknown[] }).warnings).toEqual(expect.arrayContaining([
      expect.objectContaining({ code: 'CEB_DOCUMENTED_ENUMERATION', field: 'InventoryReturn[0].statisticsFlag' }),
      expect.objectContaining({ code: 'DOC_INVT_NO_SHAPE', field: 'refersTo.invtNo' }),
    ]));
  });

  it('a list of a trade mode and an export order of a type the hub does not know (the XSD has no list): stored, warned, counted', async () => {
    const list = fixtureXml('CEB621').replaceAll(ORDER_NO, 'WARN-MODE-1').replace('NSHT2024072800123', 'NSHT-MODE-1').replace('<ceb:tradeMode>1210</ceb:tradeMode>', '<ceb:tradeMode>1211</ceb:tradeMode>');
    let res = await postXml(list);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { warnings: unknown[] }).warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'DOC_UNKNOWN_CODE', field: 'tradeMode', kind: 'inventory', params: { expected: '9610, 1210, 1239', got: '1211' } })]));
    const stored = (await hub.storage.documentsByOrder('WARN-MODE-1')).find((d) => d.kind === 'inventory');
    expect(stored!.body).toMatchObject({ tradeMode: '1211', warnings: expect.arrayContaining([expect.objectContaining({ code: 'DOC_UNKNOWN_CODE' })]) });
    const order = fixtureXml('CEB303').replace('<ceb:orderType>E</ceb:orderType>', '<ceb:orderType>I</ceb:orderType>').replaceAll('YW-EX-20240728-0042', 'WARN-TYPE-1');
    res = await postXml(order);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { warnings: unknown[] }).warnings).toEqual([expect.objectContaining({ code: 'DOC_UNKNOWN_CODE', field: 'orderType', kind: 'exportOrder' })]);
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`, { headers: { authorization: `Bearer ${officer}` } })).text();
    expect(metrics).toMatch(/bondgate_hub_document_warnings_total\{code="DOC_UNKNOWN_CODE",kind="inventory"\} 1/);
    expect(metrics).toMatch(/bondgate_hub_document_warnings_total\{code="DOC_UNKNOWN_CODE",kind="exportOrder"\} 1/);
  });

  it('times of the XSD length that are no calendar time (payTime month 13, a receipt of 32 February): stored as sent, warned, the receipt placed when received', async () => {
    const set = (type: 'CEB311' | 'CEB411' | 'CEB511' | 'CEB621' | 'CEB622') => fixtureXml(type).replaceAll(ORDER_NO, 'TIME-ORDER-1').replaceAll(LOGISTICS_NO, 'TIMELOG0000001').replaceAll('NSHT2024072800123', 'NSHT-TIME-1');
    for (const type of ['CEB311', 'CEB511', 'CEB621'] as const) expect((await postXml(set(type))).status).toBe(200);
    let res = await postXml(set('CEB411').replace('<ceb:payTime>20240728100812</ceb:payTime>', '<ceb:payTime>20261332250000</ceb:payTime>'));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { warnings: unknown[] }).warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'DOC_UNKNOWN_TIME', field: 'payTime', kind: 'payment' })]));
    const pay = (await hub.storage.documentsByOrder('TIME-ORDER-1')).find((d) => d.kind === 'payment');
    expect(pay!.body).toMatchObject({ payTime: '20261332250000' });
    res = await postXml(set('CEB622').replace('<ceb:returnTime>20240728101702318</ceb:returnTime>', '<ceb:returnTime>20240732101702318</ceb:returnTime>'));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { warnings: unknown[] }).warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'DOC_UNKNOWN_TIME', field: 'returnTime', kind: 'receipt' })]));
    const [receipt] = await hub.storage.receiptsFor(['inventory:NSHT-TIME-1']);
    expect(receipt!.body).toMatchObject({ returnTime: '20240732101702318', receivedTime: expect.stringMatching(/^\d{17}$/) });
    const c = await fetch(`${hub.httpUrl}/api/cases/TIMELOG0000001`, { headers: { authorization: `Bearer ${officer}` } });
    expect(((await c.json()) as { case: { customsStatus: number | null } }).case.customsStatus).toBe(800);
  });

  it('JSON documents get their warnings too', async () => {
    const res = await fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${officer}` }, body: JSON.stringify({ documents: [{ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: 'JSONWARN-1', invtNo: '516520241000123456' }, returnStatus: 120, returnTime: '20250301103000123' }] }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { warnings: unknown[] }).warnings).toEqual([expect.objectContaining({ code: 'DOC_INVT_NO_SHAPE', document: 0, kind: 'receipt' })]);
  });
});
