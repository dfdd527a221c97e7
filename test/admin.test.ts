import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { topics } from '../shared/topics.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Users and gateway credentials through a running hub: only an admin administers; password policy and self-protection
 * hold; disabling a user ends their session at once; login guesses are slowed per user name and address; a gateway's issued
 * credentials work on the embedded broker, rotation and revocation take effect on the live connection. Every admin
 * action is on the audit chain, without a password.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-admin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('user and gateway administration', () => {
  let hub: RunningHub;
  const clients: MqttClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await hub?.stop();
  });

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${hub.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & { code?: string; fields?: { field: string; message: string }[] } };
  };
  const signIn = async (username: string, password: string) => call('POST', '/api/login', undefined, { username, password });
  const tokenOf = async (username: string, password: string) => {
    const r = await signIn(username, password);
    expect(r.status).toBe(200);
    return r.json.token as string;
  };
  const mqttAs = async (username: string, password: string, opts: IClientOptions = {}) => {
    const c = await connectAsync(hub.mqttUrl, { username, password, clientId: `${username}:${clients.length}`, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    return c;
  };
  const closed = (c: MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));
  const refusal = (username: string, password: string) => mqttAs(username, password).then(() => 'connected', (e: { code?: number }) => e.code);

  it('lets only an admin administer, applies the password policy and keeps an admin from locking themselves out', async () => {
    hub = await startHub(parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'e2e-admin-password' } }, 'test'), log);
    const admin = await tokenOf('admin', 'e2e-admin-password');

    for (const role of ['admin', 'manager', 'officer', 'operator'] as const) {
      const r = await call('POST', '/api/users', admin, { username: `${role}-1`, password: `${role}-1-harbour-lamp`, role, displayName: `${role} one` });
      expect(r.status).toBe(201);
      expect(r.json).toEqual({ username: `${role}-1`, role, displayName: `${role} one`, createdMs: expect.any(Number), disabled: false, activeSessions: 0 });
    }
    const list = await call('GET', '/api/users', admin);
    expect((list.json.items as { username: string }[]).map((u) => u.username)).toEqual(['admin', 'admin-1', 'manager-1', 'officer-1', 'operator-1']);
    expect(list.text).not.toMatch(/scrypt|password/i);

    // The new admin administers too; nobody else does, the manager included.
    expect((await call('GET', '/api/users', await tokenOf('admin-1', 'admin-1-harbour-lamp'))).status).toBe(200);
    for (const role of ['manager', 'officer', 'operator']) {
      const t = await tokenOf(`${role}-1`, `${role}-1-harbour-lamp`);
      expect((await call('GET', '/api/users', t)).status).toBe(403);
      expect((await call('POST', '/api/users', t, { username: 'sneaky', password: 'sneaky-harbour-lamp', role: 'admin', displayName: 'S' })).status).toBe(403);
      expect((await call('PATCH', `/api/users/${role}-1`, t, { role: 'admin' })).status).toBe(403);
      expect((await call('POST', '/api/users/admin/disable', t)).status).toBe(403);
      expect((await call('POST', '/api/gateways', t, { id: 'GW-SNEAKY' })).status).toBe(403);
      expect((await call('DELETE', '/api/gateways/GW-SNEAKY/credentials', t)).status).toBe(403);
    }
    expect((await call('GET', '/api/users')).status).toBe(401);
    expect((await call('GET', '/api/users', admin)).json.items).not.toContainEqual(expect.objectContaining({ username: 'sneaky' }));

    // Password policy and input validation, field by field.
    let r = await call('POST', '/api/users', admin, { username: 'short-pw', password: 'too-short', role: 'operator', displayName: 'S' });
    expect([r.status, r.json.code, r.json.fields!.map((f) => f.field)]).toEqual([400, 'VALIDATION_FAILED', ['password']]);
    r = await call('POST', '/api/users', admin, { username: 'same-as-name', password: 'Same-As-Name', role: 'operator', displayName: 'S' });
    expect(r.json.fields!.map((f) => f.field)).toEqual(['password']);
    r = await call('POST', '/api/users', admin, { username: 'bad role', password: 'long-enough-pw', role: 'superuser', displayName: 'S' });
    expect(r.json.fields!.map((f) => f.field).sort()).toEqual(['role', 'username']);
    r = await call('PATCH', '/api/users/officer-1', admin, {});
    expect(r.status).toBe(400);
    expect((await call('POST', '/api/users', admin, { username: 'officer-1', password: 'officer-1-other-harbour-lamp', role: 'operator', displayName: 'O' })).status).toBe(409);
    expect((await call('PATCH', '/api/users/nobody', admin, { displayName: 'N' })).status).toBe(404);

    // An admin cannot disable or demote themselves.
    expect((await call('POST', '/api/users/admin/disable', admin)).json.code).toBe('FORBIDDEN');
    expect((await call('PATCH', '/api/users/admin', admin, { role: 'manager' })).json.code).toBe('FORBIDDEN');
    expect((await call('GET', '/api/me', admin)).json).toEqual({ username: 'admin', role: 'admin' });
  }, 30_000);

  it('ends a disabled user\'s session at once and refuses their login like a wrong password; a role change ends it too', async () => {
    const admin = await tokenOf('admin', 'e2e-admin-password');
    const officer = await tokenOf('officer-1', 'officer-1-harbour-lamp');
    expect((await call('GET', '/api/me', officer)).status).toBe(200);
    const disabled = await call('POST', '/api/users/officer-1/disable', admin);
    expect(disabled.json).toMatchObject({ username: 'officer-1', disabled: true, activeSessions: 0 });
    expect((await call('GET', '/api/me', officer)).status).toBe(401);
    const refused = await signIn('officer-1', 'officer-1-harbour-lamp');
    const wrong = await signIn('officer-1', 'not-the-password');
    expect([refused.status, refused.json]).toEqual([wrong.status, wrong.json]);
    expect(refused.status).toBe(401);
    expect((await call('POST', '/api/users/officer-1/enable', admin)).json).toMatchObject({ disabled: false });
    const again = await tokenOf('officer-1', 'officer-1-harbour-lamp');

    // Promoted to manager: the old officer session goes; the next one carries the new role.
    expect((await call('PATCH', '/api/users/officer-1', admin, { role: 'manager', displayName: 'Officer, now manager' })).json).toMatchObject({ role: 'manager', displayName: 'Officer, now manager' });
    expect((await call('GET', '/api/me', again)).status).toBe(401);
    expect((await call('GET', '/api/me', await tokenOf('officer-1', 'officer-1-harbour-lamp'))).json).toEqual({ username: 'officer-1', role: 'manager' });
  });

  it('slows guessing at a user name from one address with 429 and Retry-After, the right password included; others sign in', async () => {
    for (let i = 0; i < 3; i++) expect((await signIn('operator-1', `guess-${i}-harbour-lamp`)).status).toBe(401);
    const limited = await signIn('operator-1', 'operator-1-harbour-lamp');
    expect([limited.status, limited.json.code]).toEqual([429, 'RATE_LIMITED']);
    // A short wait that doubles with each further failure (hub/auth/sessions.ts LOGIN_BACKOFF), not a 15-minute lockout.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(limited.text).not.toContain('token');
    expect((await signIn('manager-1', 'manager-1-harbour-lamp')).status).toBe(200);
  });

  it('issues gateway credentials that work on the embedded broker, rotates them and revokes them on the live connection', async () => {
    const admin = await tokenOf('admin', 'e2e-admin-password');
    const issued = await call('POST', '/api/gateways', admin, { id: 'GW-E2E-1' });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.json).toMatchObject({ gatewayId: 'GW-E2E-1', username: 'GW-E2E-1', mqttUrl: hub.mqttUrl, subscribes: topics.down('GW-E2E-1') });
    const pw1 = issued.json.password as string;
    expect((await call('POST', '/api/gateways', admin, { id: 'GW-E2E-1' })).status).toBe(409);
    expect((await call('POST', '/api/gateways', admin, { id: '../etc' })).json.fields!.map((f) => f.field)).toEqual(['id']);
    expect((await call('POST', '/api/gateways', admin, { id: 'hub' })).json.fields!.map((f) => f.message)).toEqual(['reserved for the hub itself']);

    // A real gateway connection with the issued credentials: it may subscribe to its own down/ topics.
    const gw1 = await mqttAs('GW-E2E-1', pw1);
    const granted = await gw1.subscribeAsync(topics.down('GW-E2E-1'), { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
    expect((await call('GET', '/api/gateways', admin)).text).not.toMatch(/scrypt|passwordHash/);

    // Rotate: the live connection made with the old password is dropped; the old password is refused, the new works.
    const closed1 = closed(gw1);
    const rotated = await call('POST', '/api/gateways/GW-E2E-1/credentials', admin);
    expect(rotated.json).toMatchObject({ gatewayId: 'GW-E2E-1', disconnected: 1 });
    await closed1;
    const pw2 = rotated.json.password as string;
    expect(pw2).not.toBe(pw1);
    expect(await refusal('GW-E2E-1', pw1)).toBe(4);
    const gw2 = await mqttAs('GW-E2E-1', pw2);

    // Revoke: the live connection is dropped and the gateway cannot connect again.
    const closed2 = closed(gw2);
    const revoked = await call('DELETE', '/api/gateways/GW-E2E-1/credentials', admin);
    expect(revoked.json).toEqual({ gatewayId: 'GW-E2E-1', revokedMs: expect.any(Number), disconnected: 1 });
    await closed2;
    expect(gw2.connected).toBe(false);
    expect(await refusal('GW-E2E-1', pw2)).toBe(4);
    expect((await call('DELETE', '/api/gateways/GW-NONE/credentials', admin)).status).toBe(404);
    expect((await call('POST', '/api/gateways/GW-NONE/credentials', admin)).status).toBe(404);

    // Every admin action is on the chain, attributed, and no password is in it.
    const audit = await hub.storage.auditRange(1, 1000);
    const actions = audit.map((e) => [e.actor, e.action, e.subject]);
    for (const u of ['admin-1', 'manager-1', 'officer-1', 'operator-1']) expect(actions).toContainEqual(['admin', 'user.create', u]);
    expect(actions).toEqual(expect.arrayContaining([
      ['admin', 'user.disable', 'officer-1'],
      ['admin', 'user.enable', 'officer-1'],
      ['admin', 'user.update', 'officer-1'],
      ['admin', 'gateway.register', 'GW-E2E-1'],
      ['admin', 'gateway.credentials.rotate', 'GW-E2E-1'],
      ['admin', 'gateway.credentials.revoke', 'GW-E2E-1'],
    ]));
    expect(audit.some((e) => e.action.startsWith('user.') && e.subject === 'sneaky')).toBe(false);
    const text = JSON.stringify(audit);
    for (const secret of [pw1, pw2, 'officer-1-harbour-lamp', 'admin-1-harbour-lamp', 'scrypt$']) expect(text).not.toContain(secret);
  }, 30_000);

  it('keeps a revoked gateway revoked across a restart even though the config still lists it', async () => {
    const port = await freePort();
    const cfg = (p: number) => parseConfig(HubConfig, { dataDir: join(dir, 'hub-restart'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: p } }, auth: { adminPassword: 'e2e-admin-password' }, gateways: [{ id: 'GW-CFG', password: 'gw-config-password' }] }, 'test');
    let h = await startHub(cfg(port), log);
    const admin = ((await (await fetch(`${h.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'e2e-admin-password' }) })).json()) as { token: string }).token;
    expect((await fetch(`${h.httpUrl}/api/gateways/GW-CFG/credentials`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    await h.stop();
    h = await startHub(cfg(await freePort()), log);
    try {
      expect((await h.storage.getGateway('GW-CFG'))!.passwordHash).toBeNull();
    } finally {
      await h.stop();
    }
  }, 30_000);

  it('refuses to make the first admin with a password the estimator finds guessable, and says which setting', async () => {
    // The config check (the policy's cheap rules) lets it through; the estimate runs when the admin would be made.
    const cfg = parseConfig(HubConfig, { dataDir: join(dir, 'hub-weak-admin'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'sunflower1987' } }, 'test');
    const err = await startHub(cfg, log).then((h) => h.stop().then(() => undefined), (e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', fields: [{ field: 'auth.adminPassword', message: expect.stringMatching(/^is too easy to guess/) }] });
    expect(String((err as Error).message)).toContain('BONDGATE_ADMIN_PASSWORD');
  }, 30_000);
});
