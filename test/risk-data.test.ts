import { readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocumentSets, type GeneratedParcel } from '../hub/customs/generate-docs.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Issue 16 items 6 and 8 through the real hub: the sampling key stays in the hub (not in the feed, not in anything a
 * gateway is given, not in an API answer or the audit chain), the per-parcel line sample goes out in the decision,
 * rotation is audited; enterprise credit classes loaded by an admin (CSV) are used by the engine and shown on the case.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-riskdata-'));
let hub: RunningHub;
let admin = '';
let officer = '';
const ADMIN_PASSWORD = 'harbour-lantern-7391';

const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const cleared = (p: GeneratedParcel) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: 800, returnTime: '20260301103000123', returnInfo: '' });

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any; text: string }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- test responses of many shapes */ {
  const res = await fetch(`${hub.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}
const login = async (username: string, password: string) =>
  ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })).json()) as { token: string }).token;

/** Every encoding of the key a leak could take. */
function keyForms(dataDir: string): string[] {
  const key = Buffer.from(readFileSync(join(dataDir, 'sampling-key'), 'utf8').trim(), 'base64');
  expect(key).toHaveLength(32);
  return [key.toString('base64'), key.toString('base64url'), key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64').slice(0, 20), key.toString('hex').slice(0, 24)];
}
const leaks = (text: string, forms: string[]) => forms.filter((f) => text.includes(f));

beforeAll(async () => {
  hub = await startHub(
    parseConfig(
      HubConfig,
      {
        dataDir: join(dir, 'hub'),
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
        auth: { adminPassword: ADMIN_PASSWORD },
        gateways: [{ id: 'GW-RD', password: 'gateway-secret-rd-1' }],
        // Every released parcel drawn for the line's random check: the outcome must reach the feed, the key never.
        riskRules: { version: 'rd', sampling: { lineRate: 1 } },
      },
      'test',
    ),
    log,
  );
  admin = await login('admin', ADMIN_PASSWORD);
  const made = await call('POST', '/api/users', admin, { username: 'officer-rd', password: 'quiet-harbour-lantern-2291', role: 'officer', displayName: 'Officer RD' });
  expect(made.status).toBe(201);
  officer = await login('officer-rd', 'quiet-harbour-lantern-2291');
});
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('risk data held by the hub', () => {
  const parcels = generateDocumentSets({ seed: 1616, tradeModes: ['1210'] }, 4);
  const dishonest = parcels[0]!;

  it('loads enterprise credit classes from CSV (versioned, audited) and the engine uses them; the case shows them', async () => {
    const csv = `code,class,name\n${dishonest.set.inventory.ebcCode},dishonest,"失信, 测试"\n9999999999,advanced-certified,AEO Co\n`;
    const loaded = await call('POST', '/api/enterprise-credit', admin, { csv, comment: 'credit publication 2026-03' });
    expect(loaded.status).toBe(201);
    expect(loaded.json.version).toMatchObject({ version: 1, changed: 2, removed: 0, mode: 'merge', author: 'admin' });
    const bad = await call('POST', '/api/enterprise-credit', admin, { csv: 'code,class\nX1,platinum\n', comment: 'bad' });
    expect(bad.status).toBe(400);
    expect(bad.json.fields[0].field).toContain('line2');
    expect((await call('GET', '/api/enterprise-credit', officer)).status).toBe(403);

    for (const p of parcels) expect((await call('POST', '/api/documents', officer, { documents: [...docs(p), cleared(p)] })).status).toBe(200);
    const c = await call('GET', `/api/cases/${dishonest.set.waybill.logisticsNo}`, officer);
    expect(c.json.case.reasons.map((r: { rule: string }) => r.rule)).toContain('risk:credit.dishonest');
    expect(c.json.case.status).not.toBe('released');
    expect(c.json.enterpriseCredit).toContainEqual({ role: 'ebc', code: dishonest.set.inventory.ebcCode, creditClass: 'dishonest', listed: true });
    const audit = await hub.storage.auditRange(1, 10_000);
    expect(audit.find((e) => e.action === 'enterprise-credit.load')).toMatchObject({ actor: 'admin', detail: expect.objectContaining({ version: 1, changed: 2 }) });
  });

  it('pushes the line sample per parcel; no key material in the feed, what gateways are given, API answers or the audit chain', async () => {
    const dataDir = join(dir, 'hub');
    expect(statSync(join(dataDir, 'sampling-key')).mode & 0o777).toBe(0o600);
    const forms = keyForms(dataDir);
    const feed = await hub.storage.feedSince(0, 10_000);
    const decisions = feed.changes.filter((c) => c.kind === 'decision' && c.value !== null).map((c) => c.value as { decision: string; sampled?: boolean });
    const released = decisions.filter((d) => d.decision === 'released');
    expect(released.length).toBeGreaterThan(0);
    for (const d of released) expect(d.sampled).toBe(true);
    for (const d of decisions.filter((x) => x.decision !== 'released')) expect(d.sampled).toBeUndefined();

    const given = [
      JSON.stringify(feed.changes),
      (await call('GET', '/api/feed?sinceVersion=0', admin)).text,
      (await call('GET', '/api/feed/public-key', admin)).text,
      (await call('POST', '/api/gateways', admin, { id: 'GW-RD-2' })).text,
      (await call('POST', '/api/gateways/GW-RD/credentials', admin)).text,
      (await call('GET', '/api/sampling-key', admin)).text,
      (await call('GET', '/api/value-limits', officer)).text,
    ];
    for (const text of given) expect(leaks(text, forms)).toEqual([]);
    expect((await call('GET', '/api/value-limits', officer)).json).toMatchObject({ perTransactionCny: 5000, annualCny: 26_000, rulesVersion: 'rd' });

    const before = (await call('GET', '/api/sampling-key', admin)).json.keyId as string;
    expect((await call('POST', '/api/sampling-key/rotate', officer, { comment: 'x' })).status).toBe(403);
    const rotated = await call('POST', '/api/sampling-key/rotate', admin, { comment: 'quarterly rotation' });
    expect(rotated.status).toBe(200);
    expect(rotated.json).toEqual({ keyId: expect.stringMatching(/^[0-9a-f]{16}$/), previousKeyId: before });
    expect(rotated.json.keyId).not.toBe(before);
    const after = keyForms(dataDir);
    expect(after[0]).not.toBe(forms[0]);
    const audit = await hub.storage.auditRange(1, 10_000);
    expect(audit.find((e) => e.action === 'sampling-key.rotate')).toMatchObject({ actor: 'admin', detail: { keyId: rotated.json.keyId, previousKeyId: before, comment: 'quarterly rotation' } });
    expect(leaks(JSON.stringify(audit), [...forms, ...after])).toEqual([]);
  });
});
