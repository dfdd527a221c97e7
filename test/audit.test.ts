import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sealAudit, verifyAudit } from '../hub/audit.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';
import { spawnNode } from './helpers/processes.ts';

/** The hub's audit trail: decisions on a hash chain, verified over HTTP and by the CLI, a tampered entry found. */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit chain (pure)', () => {
  it('finds an edited entry, a removed one and a re-chained one', () => {
    const a = sealAudit(undefined, { actor: 'o1', action: 'parcel.hold', subject: 'P1', detail: { reason: 'x' } }, 1);
    const b = sealAudit(a, { actor: 'o1', action: 'parcel.release', subject: 'P1' }, 2);
    const c = sealAudit(b, { actor: 'o2', action: 'parcel.seize', subject: 'P2' }, 3);
    expect(verifyAudit([a, b, c])).toMatchObject({ ok: true, checked: 3, headHash: c.hash });
    expect(verifyAudit([a, { ...b, actor: 'o9' }, c])).toMatchObject({ ok: false, firstBad: { seq: 2, reason: expect.stringMatching(/edited/) } });
    expect(verifyAudit([a, c])).toMatchObject({ ok: false, firstBad: { seq: 2, reason: expect.stringMatching(/missing/) } });
    const forged = sealAudit(a, { actor: 'o9', action: 'parcel.release', subject: 'P1' }, 2); // re-sealed in place
    expect(verifyAudit([a, forged, c])).toMatchObject({ ok: false, firstBad: { seq: 3, reason: expect.stringMatching(/prevHash/) } });
    expect(verifyAudit([c], { seq: b.seq, hash: b.hash })).toMatchObject({ ok: true, checked: 1 });
  });
});

describe('audit trail at the hub', () => {
  let hub: RunningHub;
  afterAll(async () => hub?.stop());

  it('records officer feed puts, verifies for managers, refuses operators, and points at a tampered entry (HTTP and CLI)', async () => {
    const config = { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'audit-admin-password' } };
    hub = await startHub(parseConfig(HubConfig, config, 'test'), log);
    for (const [username, role] of [['officer-1', 'officer'], ['manager-1', 'manager'], ['operator-1', 'operator']] as const) {
      await hub.storage.createUser({ username, passwordHash: await hashPassword(`${username}-pw`), role, displayName: username, createdMs: Date.now() });
    }
    const token = async (u: string, p: string) => ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) })).json()) as { token: string }).token;
    const officer = await token('officer-1', 'officer-1-pw');
    const manager = await token('manager-1', 'manager-1-pw');
    const operator = await token('operator-1', 'operator-1-pw');
    const call = (t: string, path: string, init: RequestInit = {}) => fetch(`${hub.httpUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${t}`, ...(init.headers ?? {}) } });

    // Expected lists an officer puts in the station feed go on the chain with their content.
    const list = (listId: string, kind: string) => ({ changes: [{ kind: 'expected', key: listId, value: { listId, kind, warehouse: 'bonded', items: [{ sku: 'SKU-1' }] } }] });
    for (const [listId, kind] of [['IN-1', 'inbound'], ['OUT-1', 'outbound'], ['RET-1', 'return']]) {
      expect((await call(officer, '/api/feed', { method: 'PUT', body: JSON.stringify(list(listId!, kind!)) })).status).toBe(200);
    }
    expect((await call(operator, '/api/feed', { method: 'PUT', body: JSON.stringify(list('IN-2', 'inbound')) })).status).toBe(403);
    const items = ((await (await call(manager, '/api/audit')).json()) as { items: { seq: number; actor: string; action: string; subject: string }[] }).items;
    expect(items.map((e) => [e.seq, e.actor, e.action, e.subject])).toEqual([
      [1, 'officer-1', 'feed.put', 'expected:IN-1'],
      [2, 'officer-1', 'feed.put', 'expected:OUT-1'],
      [3, 'officer-1', 'feed.put', 'expected:RET-1'],
    ]);
    expect(await (await call(manager, '/api/audit/verify')).json()).toMatchObject({ ok: true, checked: 3 });
    expect((await call(operator, '/api/audit/verify')).status).toBe(403);
    expect((await call(officer, '/api/audit')).status).toBe(403);

    // Someone with database access changes what the list said.
    const db = new Database(join(dir, 'hub', 'hub.sqlite'));
    db.prepare("UPDATE audit SET detail = json_set(detail, '$.value.kind', 'outbound') WHERE seq = 1").run();
    db.close();
    expect(await (await call(manager, '/api/audit/verify')).json()).toMatchObject({ ok: false, firstBad: { seq: 1, reason: expect.stringMatching(/edited/) } });

    const cfg = join(dir, 'hub.json');
    writeFileSync(cfg, JSON.stringify(config));
    const cli = spawnNode([resolve(import.meta.dirname, '../bin/bondgate.mjs'), 'audit', 'verify', '--config', cfg], { name: 'audit-verify' });
    expect((await cli.exited).code).toBe(3);
    expect(cli.output()).toMatch(/audit chain BROKEN at entry 1: content does not match its hash/);
  }, 120_000);
});
