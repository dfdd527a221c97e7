import { freshPostgresDatabase } from './helpers/stores.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDocumentsImport } from '../cli/documents.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { CORPUS_DIR } from '../hub/customs/ceb/corpus.ts';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { cebToDocuments } from '../hub/customs/ceb/to-documents.ts';
import { documentKey, type CustomsDocument } from '../hub/customs/documents.ts';
import { HubConfig } from '../hub/config.ts';
import { documentByKey } from '../hub/repos/documents.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';
import { postgresAvailable, requireService } from './helpers/services.ts';

/**
 * Issue 15, copNo: CEB621 (InventoryHead) and CEB625 (InvtRefundHead) make copNo optional (minOccurs=0), so a real list
 * or return request without one is accepted on every intake path — POST /api/documents, `bondgate documents import`,
 * the drop folder — on a SQLite and a PostgreSQL hub: stored under the key the XSD does guarantee (a list by ebpCode +
 * orderNo, a request by its head guid) with a DOC_NO_COP_NO warning, and a 622 receipt whose copNo names no list is
 * matched to it by preNo and moves its case.
 */
const log = createLogger('test', 'silent');
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const pgRun = requireService('PostgreSQL', await postgresAvailable(PG_URL));
const PASSWORD = 'harbour-lantern-7391';

const corpus = (edition: string, type: string) => readFileSync(join(CORPUS_DIR, edition, `${type}.xml`), 'utf8');
const withoutCopNo = (xml: string) => {
  const out = xml.replace(/\s*<ceb:copNo>[^<]*<\/ceb:copNo>/, '');
  expect(out).not.toBe(xml);
  return out;
};
/** The document the hub makes of a message, and the key it must be stored under. */
const expected = (xml: string): { doc: CustomsDocument; key: string } => {
  const r = cebToDocuments(xml);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return { doc: r.documents[0]!, key: documentKey(r.documents[0]!) };
};

function suite(title: string, hubOptions: () => Promise<{ databaseUrl?: string; cleanup?: () => Promise<void> }>) {
  describe(title, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-nocop-'));
    const drop = join(dir, 'drop');
    let hub: RunningHub;
    let token: string;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const extra = await hubOptions();
      cleanup = extra.cleanup;
      hub = await startHub(
        parseConfig(HubConfig, {
          dataDir: join(dir, 'hub'),
          ...(extra.databaseUrl ? { databaseUrl: extra.databaseUrl } : {}),
          http: { host: '127.0.0.1', port: 0 },
          mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
          auth: { adminPassword: 'nocop-admin-pass-9132' },
          dropFolder: { path: drop, pollMs: 100 },
        }, 'test'),
        log,
      );
      await hub.storage.createUser({ username: 'officer-n', passwordHash: await hashPassword(PASSWORD), role: 'officer', displayName: 'Officer', createdMs: Date.now() });
      const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer-n', password: PASSWORD }) });
      token = ((await res.json()) as { token: string }).token;
    }, 60_000);
    afterAll(async () => {
      await hub?.stop();
      await cleanup?.();
      rmSync(dir, { recursive: true, force: true });
    });

    const postXml = (xml: string) => fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: `Bearer ${token}` }, body: xml });
    const stored = (kind: string, key: string) => documentByKey(hub.storage.sql, kind, key);

    it('over HTTP: a corpus list without copNo is stored under ebpCode + orderNo with DOC_NO_COP_NO', async () => {
      const xml = withoutCopNo(corpus('2022-05', 'CEB621'));
      const { doc, key } = expected(xml);
      expect(key).toBe(documentKey({ ...doc, kind: 'inventory' } as CustomsDocument));
      expect(key.startsWith('inventory:order:')).toBe(true);
      const res = await postXml(xml);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(((await res.json()) as { warnings: { code: string }[] }).warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'DOC_NO_COP_NO', kind: 'inventory', key })]));
      const row = await stored('inventory', key);
      expect(row?.body).not.toHaveProperty('copNo');
      expect(row?.body.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'DOC_NO_COP_NO' })]));
      const metrics = await (await fetch(`${hub.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      expect(metrics).toMatch(/bondgate_hub_document_warnings_total\{code="DOC_NO_COP_NO",kind="inventory"\} [1-9]/);
    });

    it('through bondgate documents import: the 2018 corpus list without copNo', async () => {
      const xml = withoutCopNo(corpus('2018', 'CEB621'));
      const src = mkdtempSync(join(dir, 'import-'));
      writeFileSync(join(src, 'list.xml'), xml);
      let output = '';
      const out = new Writable({ write: (chunk: Buffer, _enc, done) => void ((output += chunk.toString()), done()) });
      const code = await runDocumentsImport([src, '--hub', hub.httpUrl, '--user', 'officer-n', '--password-env', 'BG_PW'], { out, env: { BG_PW: PASSWORD }, tty: false });
      expect(code, output).toBe(0);
      expect(await stored('inventory', expected(xml).key)).toBeDefined();
    }, 60_000);

    it('from the drop folder: return requests of both editions without copNo, keyed by their head guid', async () => {
      mkdirSync(drop, { recursive: true });
      for (const edition of ['2022-05', '2018']) {
        const xml = withoutCopNo(corpus(edition, 'CEB625'));
        const { doc, key } = expected(xml);
        expect(key).toBe(`return:guid:${(doc as { guid: string }).guid}`);
        const name = `return-${edition}.xml`;
        writeFileSync(join(drop, name), xml);
        await vi.waitFor(() => expect(existsSync(join(drop, 'done', name)) || existsSync(join(drop, 'failed', name))).toBe(true), { timeout: 20_000, interval: 50 });
        expect(existsSync(join(drop, 'done', name)), existsSync(join(drop, 'failed', `${name}.errors.json`)) ? readFileSync(join(drop, 'failed', `${name}.errors.json`), 'utf8') : '').toBe(true);
        expect((await stored('return', key))?.body).toMatchObject({ guid: (doc as { guid: string }).guid, warnings: expect.arrayContaining([expect.objectContaining({ code: 'DOC_NO_COP_NO' })]) });
      }
    });

    it('a 622 whose copNo names no list finds the list sent without copNo by its preNo, and releases its case', async () => {
      for (const type of ['CEB311', 'CEB411', 'CEB511'] as const) expect((await postXml(fixtureXml(type))).status).toBe(200);
      const list = fixtureXml('CEB621').replace('<ceb:copNo>NSHT2024072800123</ceb:copNo>', '<ceb:preNo>B20240728123456789</ceb:preNo>');
      expect(list).toContain('<ceb:preNo>');
      expect((await postXml(list)).status).toBe(200);
      const listKey = expected(list).key;
      const res = await postXml(fixtureXml('CEB622'));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { warnings: { code: string }[] }).warnings).toEqual([expect.objectContaining({ code: 'DOC_RECEIPT_MATCHED_BY', field: 'refersTo.preNo', kind: 'receipt' })]);
      const receipts = await hub.storage.receiptsFor([listKey]);
      expect(receipts.map((r) => r.body.returnStatus)).toEqual([800]);
      const c = await fetch(`${hub.httpUrl}/api/cases/SF1429876543210`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await c.json()) as { case: { customsStatus: number | null } }).case.customsStatus).toBe(800);
    });
  });
}

suite('CEB621/625 without copNo (SQLite hub)', async () => ({}));

describe.skipIf(!pgRun)('PostgreSQL', () => {
  suite('CEB621/625 without copNo (PostgreSQL hub)', () => freshPostgresDatabase('bg_nocop', PG_URL));
});
