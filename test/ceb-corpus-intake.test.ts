import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { corpusMessages, edgeCorpus } from '../hub/customs/ceb/corpus.ts';
import { documentKey } from '../hub/customs/documents.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Issue 15 item 2 over HTTP: every message of the corpus (every CEB type, both editions, the edge cases) is accepted by
 * POST /api/documents as application/xml, and the new kinds are stored so GET /api/documents finds them by kind, key,
 * referenced number and subject; an unknown type is refused with its own code.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-ceb-corpus-'));
let hub: RunningHub;
let officer = '';

beforeAll(async () => {
  hub = await startHub(parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'corpus-admin-password' } }, 'test'), log);
  await hub.storage.createUser({ username: 'officer-c', passwordHash: await hashPassword('harbour-lantern-7391'), role: 'officer', displayName: 'Officer', createdMs: Date.now() });
  const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer-c', password: 'harbour-lantern-7391' }) });
  officer = ((await res.json()) as { token: string }).token;
}, 60_000);
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const postXml = (xml: string) => fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: `Bearer ${officer}` }, body: xml });
const get = async (query: string) => {
  const res = await fetch(`${hub.httpUrl}/api/documents?${query}`, { headers: { authorization: `Bearer ${officer}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { documents: { kind: string; key: string; subjectKey: string | null; body: Record<string, unknown> }[] }).documents;
};

describe('the CEB corpus through POST /api/documents', () => {
  it('accepts every message of every type in both editions and every edge case', async () => {
    const refused: string[] = [];
    for (const m of corpusMessages()) {
      const res = await postXml(m.xml);
      if (res.status !== 200) refused.push(`${m.file}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    }
    for (const [name, xml] of Object.entries(await edgeCorpus())) {
      const res = await postXml(xml);
      if (res.status !== 200) refused.push(`edge/${name}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    }
    expect(refused).toEqual([]);
  }, 120_000);

  it('stores the new kinds where GET /api/documents finds them: by kind, by key, by a parcel they name, and their receipts by subject', async () => {
    const arrivals = await get('kind=arrival');
    expect(arrivals).toHaveLength(2); // one per edition
    const [first] = arrivals;
    expect(await get(`kind=arrival&key=${encodeURIComponent(first!.key)}`)).toEqual([first]);
    // The edge cases name parcel SF1429876543210: two waybill statuses and the cancellation request.
    expect((await get('ref=logisticsNo&value=SF1429876543210')).map((d) => d.kind).sort()).toEqual(['inventoryCancel', 'waybillStatus', 'waybillStatus']);
    const summary = (await get('kind=summaryResult')).find((d) => d.body.sumNo === '514120180000012345');
    expect(summary?.body).toMatchObject({ lines: [{ gnum: 1 }, { gnum: 2 }] });
    // The e-port's format check names the message it answers: its receipts are found by that message's key.
    const subject = documentKey({ kind: 'message', oriMessageType: 'CEB621Message', oriCopMsgId: 'DXPENT0000012345_20240728101530_000123' });
    expect((await get(`subject=${encodeURIComponent(subject)}`)).map((d) => d.body.messageType)).toEqual(['CEB900']);
    // The decided kinds are found by key, order or subject, not listed (no scan of every order ever received).
    const listed = await fetch(`${hub.httpUrl}/api/documents?kind=order`, { headers: { authorization: `Bearer ${officer}` } });
    expect(listed.status).toBe(400);
  });

  it('refuses a message of an unknown type with CEB_UNKNOWN_MESSAGE_TYPE naming it, beside its other problems', async () => {
    const res = await postXml(`<ceb:CEB999Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="short" version="1.0"/>`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; fields: { field: string; code?: string; message: string }[] };
    expect(body.fields).toEqual([expect.objectContaining({ field: '@guid' }), expect.objectContaining({ field: '(root)', code: 'CEB_UNKNOWN_MESSAGE_TYPE', message: expect.stringContaining('CEB999') })]);
  });
});
