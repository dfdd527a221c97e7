import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBrokerConfig } from '../cli/broker-config.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { openUsersRepo, type UsersRepo } from '../hub/repos/users.ts';
import { AdminService } from '../hub/services/admin.ts';
import { DYNSEC_RESPONSE_TOPIC, DYNSEC_TOPIC, gatewayAcls, gatewayRole } from '../hub/broker-dynsec.ts';
import { dynsecBrokerAccounts, type BrokerAccounts } from '../hub/services/broker-accounts.ts';
import { openSqliteStorage } from '../hub/storage/sqlite.ts';
import type { Storage } from '../hub/storage/storage.ts';
import { createLogger } from '../shared/log.ts';
import { topics } from '../shared/topics.ts';
import { startMosquitto, type MosquittoInstance } from './helpers/mosquitto.ts';
import { freePort } from './helpers/ports.ts';
import { mosquittoBinary, requireService } from './helpers/services.ts';

/**
 * `bondgate broker config --dynsec` run by a private Mosquitto with its dynamic security plugin, and the hub's admin
 * service changing gateway credentials at that broker while it runs: an issued password works at once, a rotated
 * one drops the live connection and stops working, a revoked gateway is thrown out and stays out, and each gateway
 * still reaches only its own topics. A broker that does not answer makes the change fail loudly.
 */
const PLUGIN = ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/mosquitto_dynamic_security.so'].find((p) => existsSync(p));
const run = requireService('Mosquitto with its dynamic security plugin (Debian package mosquitto)', !!(await mosquittoBinary()) && !!PLUGIN);
const log = createLogger('test', 'silent');

const HUB_PW = 'hub-password-0001';
const HUB_CLIENT_ID = 'hub:hub-1:0badcafe';
const PW = { 'GW-A': 'password-of-gw-a', 'GW-B': 'password-of-gw-b' } as const;
/** The mosquitto user's uid and gid: started as root, the broker drops to it and must rewrite the plugin's file. */
function mosquittoIds(): { uid: number; gid: number } | undefined {
  const line = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('mosquitto:')) : undefined;
  return line ? { uid: Number(line.split(':')[2]), gid: Number(line.split(':')[3]) } : undefined;
}

describe.skipIf(!run)('Mosquitto dynamic security: gateway credentials changed at the hub apply at the broker at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-dynsec-'));
  let broker: MosquittoInstance;
  let port = 0;
  let storage: Storage;
  let users: UsersRepo;
  let accounts: BrokerAccounts;
  let admin: AdminService;
  let hub: MqttClient;
  const hubGot: string[] = [];
  const clients: MqttClient[] = [];
  const url = () => `mqtt://127.0.0.1:${port}`;
  // A gateway's account is bound to the client id equal to its id; the hub's ids are `hub:…`.
  const connect = async (username: string, password: string, clientId = username) => {
    const c = await mqtt.connectAsync(url(), { username, password, clientId, reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 4 }, false);
    clients.push(c);
    return c;
  };
  const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));

  beforeAll(async () => {
    const ids = process.getuid?.() === 0 ? mosquittoIds() : undefined;
    writeFileSync(join(dir, 'hub.yaml'), `mqtt: { username: hub, password: ${HUB_PW} }\ngateways:\n${Object.entries(PW).map(([id, pw]) => `  - { id: ${id}, password: ${pw} }`).join('\n')}\n`);
    port = await freePort();
    const out: string[] = [];
    const brokerDir = join(dir, 'broker');
    const code = await runBrokerConfig(
      ['--out', brokerDir, '--config', join(dir, 'hub.yaml'), '--no-tls', '--tls-port', String(port), '--bind', '127.0.0.1', '--local-port', 'none', '--persistence', 'none', '--dynsec', '--dynsec-plugin', PLUGIN!],
      { out: (l) => out.push(l) },
    );
    expect(code).toBe(0);
    const conf = readFileSync(join(brokerDir, 'mosquitto.conf'), 'utf8');
    expect(conf).toContain(`plugin ${PLUGIN}`);
    expect(conf).not.toMatch(/password_file|acl_file/);
    expect(existsSync(join(brokerDir, 'passwd'))).toBe(false);
    // The plugin rewrites its file (a new copy, then a rename): the broker's user owns the directory.
    if (ids) {
      chmodSync(dir, 0o711);
      chownSync(brokerDir, ids.uid, ids.gid);
      chownSync(join(brokerDir, 'dynamic-security.json'), ids.uid, ids.gid);
    }
    broker = await startMosquitto({ config: conf });

    storage = openSqliteStorage({ file: join(dir, 'hub.sqlite'), synchronous: 'NORMAL' });
    await storage.migrate();
    users = openUsersRepo(storage.sql);
    await users.migrate();
    for (const [id, pw] of Object.entries(PW)) await storage.upsertGateway({ id, passwordHash: await hashPassword(pw) });
    accounts = dynsecBrokerAccounts({ url: url(), username: 'hub', password: HUB_PW, clientId: 'hub:test:accounts', log, timeoutMs: 3000 });
    admin = new AdminService({ storage, users, brokerAccounts: accounts });

    hub = await connect('hub', HUB_PW, HUB_CLIENT_ID);
    hub.on('message', (_t, payload) => hubGot.push(payload.toString()));
    await hub.subscribeAsync(topics.hubUp(false), { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await accounts?.close();
    await storage?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets each configured gateway publish its own topics only (one role per gateway)', async () => {
    const a = await connect('GW-A', PW['GW-A']);
    await a.publishAsync(topics.events('GW-B'), 'a-as-b', { qos: 1 });
    await a.publishAsync(topics.events('GW-A'), 'a-own', { qos: 1 });
    await vi.waitFor(() => expect(hubGot).toContain('a-own'), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(hubGot).not.toContain('a-as-b');
    await expect(connect('GW-A', PW['GW-B'])).rejects.toMatchObject({ code: 5 });
  });

  it("binds each gateway to its own client id: its password with the hub's or another gateway's id is refused, and neither is dropped", async () => {
    const b = await connect('GW-B', PW['GW-B']);
    let dropped = 0;
    hub.once('close', () => dropped++);
    b.once('close', () => dropped++);
    await expect(connect('GW-A', PW['GW-A'], HUB_CLIENT_ID)).rejects.toMatchObject({ code: 5 });
    await expect(connect('GW-A', PW['GW-A'], 'GW-B')).rejects.toMatchObject({ code: 5 });
    await expect(connect('GW-A', PW['GW-A'], 'GW-A:other')).rejects.toMatchObject({ code: 5 });
    // Both still work, end to end: the hub still takes B's event and B still gets the hub's message.
    const bGot: string[] = [];
    b.on('message', (_t, payload) => bGot.push(payload.toString()));
    await b.subscribeAsync(topics.down('GW-B'), { qos: 1 });
    await b.publishAsync(topics.events('GW-B'), 'b-after-takeover-attempts', { qos: 1 });
    await hub.publishAsync(topics.ack('GW-B'), 'hub-after-takeover-attempts', { qos: 1 });
    await vi.waitFor(() => expect(hubGot).toContain('b-after-takeover-attempts'), { timeout: 5000 });
    await vi.waitFor(() => expect(bGot).toContain('hub-after-takeover-attempts'), { timeout: 5000 });
    expect(dropped).toBe(0);
    hub.removeAllListeners('close');
    await b.endAsync();
  });

  it('a gateway registered at the hub connects at once with its issued password, and only to its own topics', async () => {
    const creds = await admin.registerGateway('admin1', 'GW-C');
    // Bound to its id from the start, like the gateways in the generated file.
    await expect(connect('GW-C', creds.password, 'GW-A')).rejects.toMatchObject({ code: 5 });
    const c = await connect('GW-C', creds.password);
    const cGot: string[] = [];
    c.on('message', (topic) => cGot.push(topic));
    await c.subscribeAsync(topics.down('GW-C'), { qos: 1 });
    // Another gateway's feed: refused outright (SUBACK failure), by name or by wildcard.
    await expect(c.subscribeAsync(topics.down('GW-A'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(c.subscribeAsync('bondgate/v1/gw/+/down/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await hub.publishAsync(topics.feed('GW-A'), 'feed-for-a', { qos: 1 });
    await hub.publishAsync(topics.feed('GW-C'), 'feed-for-c', { qos: 1 });
    await vi.waitFor(() => expect(cGot).toContain(topics.feed('GW-C')), { timeout: 5000 });
    await c.publishAsync(topics.events('GW-C'), 'c-own', { qos: 1 });
    await vi.waitFor(() => expect(hubGot).toContain('c-own'), { timeout: 5000 });
    expect(cGot).not.toContain(topics.feed('GW-A'));
    const audit = (await storage.auditRange(0, 100)).filter((e) => e.subject === 'GW-C');
    expect(audit.map((e) => [e.action, e.detail.broker])).toEqual([['gateway.register', 'applied']]);
  });

  it('rotating a password drops the live connection made with the old one, refuses the old one and accepts the new', async () => {
    const a = await connect('GW-A', PW['GW-A']);
    const gone = closed(a);
    const creds = await admin.rotateGatewayCredentials('admin1', 'GW-A');
    await gone;
    await expect(connect('GW-A', PW['GW-A'])).rejects.toMatchObject({ code: 5 });
    const again = await connect('GW-A', creds.password);
    await again.publishAsync(topics.events('GW-A'), 'a-after-rotation', { qos: 1 });
    await vi.waitFor(() => expect(hubGot).toContain('a-after-rotation'), { timeout: 5000 });
  });

  it('revoking throws the gateway out and keeps it out; repeating the revocation is harmless', async () => {
    const b = await connect('GW-B', PW['GW-B']);
    const gone = closed(b);
    await admin.revokeGatewayCredentials('admin1', 'GW-B');
    await gone;
    await expect(connect('GW-B', PW['GW-B'])).rejects.toMatchObject({ code: 5 });
    await expect(admin.revokeGatewayCredentials('admin1', 'GW-B')).resolves.toMatchObject({ gatewayId: 'GW-B' });
  });

  it('a gateway revoked while the broker could not be told is removed at the next start (reconcile)', async () => {
    const creds = await admin.registerGateway('admin1', 'GW-D');
    // Revoked through a hub that had no broker accounts (or whose broker was down): the broker still lets it in.
    await new AdminService({ storage, users }).revokeGatewayCredentials('admin1', 'GW-D');
    const d = await connect('GW-D', creds.password);
    const gone = closed(d);
    expect(await admin.reconcileRevoked()).toEqual(['GW-B', 'GW-D']);
    await gone;
    await expect(connect('GW-D', creds.password)).rejects.toMatchObject({ code: 5 });
  });

  /** Dynamic security commands sent as the hub's user, answered in order: how the broker was set up by older hubs. */
  const dynsec = async (commands: Record<string, unknown>[]) => {
    const tag = `raw-${Math.random().toString(36).slice(2)}`;
    const answers: { command: string; error?: string; correlationData?: string }[] = [];
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic === DYNSEC_RESPONSE_TOPIC) answers.push(...(JSON.parse(payload.toString()) as { responses: typeof answers }).responses.filter((r) => r.correlationData?.startsWith(tag)));
    };
    hub.on('message', onMessage);
    await hub.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 });
    await hub.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands: commands.map((c, i) => ({ ...c, correlationData: `${tag}-${i}` })) }), { qos: 1 });
    await vi.waitFor(() => expect(answers).toHaveLength(commands.length), { timeout: 5000 });
    hub.off('message', onMessage);
    return answers;
  };
  /** A gateway account as hubs made it before client ids were bound: any client id goes with its password. */
  const unboundAccount = async (id: string, password: string) => {
    const answers = await dynsec([
      { command: 'createRole', rolename: gatewayRole(id), acls: gatewayAcls(id) },
      { command: 'createClient', username: id, password, roles: [{ rolename: gatewayRole(id) }] },
    ]);
    expect(answers.map((a) => a.error)).toEqual([undefined, undefined]);
    await (await connect(id, password, `${id}-any-id`)).endAsync();
  };

  it('binds gateway accounts made before client ids were bound, at start-up, once: idempotent and audited once', async () => {
    await unboundAccount('GW-OLD', 'password-of-gw-old');
    await storage.upsertGateway({ id: 'GW-OLD', passwordHash: await hashPassword('password-of-gw-old') });
    // The others (configured, issued, rotated) are bound already; the revoked ones have no account.
    expect(await admin.reconcileClientIds()).toEqual(['GW-OLD']);
    await expect(connect('GW-OLD', 'password-of-gw-old', 'GW-OLD-any-id')).rejects.toMatchObject({ code: 5 });
    await expect(connect('GW-OLD', 'password-of-gw-old', HUB_CLIENT_ID)).rejects.toMatchObject({ code: 5 });
    const old = await connect('GW-OLD', 'password-of-gw-old');
    await old.publishAsync(topics.events('GW-OLD'), 'old-after-binding', { qos: 1 });
    await vi.waitFor(() => expect(hubGot).toContain('old-after-binding'), { timeout: 5000 });
    // Again (the next start): nothing to bind, nothing audited.
    expect(await admin.reconcileClientIds()).toEqual([]);
    const audit = (await storage.auditRange(0, 1000)).filter((e) => e.action === 'gateway.broker.client-id-bound');
    expect(audit.map((e) => [e.actor, e.subject, e.detail])).toEqual([['system', 'GW-OLD', { clientId: 'GW-OLD' }]]);
    // A broker that does not answer: the binding fails loudly (the hub logs it and tries again at its next start).
    const dead = dynsecBrokerAccounts({ url: `mqtt://127.0.0.1:${await freePort()}`, username: 'hub', password: HUB_PW, clientId: 'hub:test:accounts-dead-bind', log, timeoutMs: 500 });
    try {
      await expect(new AdminService({ storage, users, brokerAccounts: dead }).reconcileClientIds()).rejects.toMatchObject({ code: 'BROKER_FAILED' });
    } finally {
      await dead.close();
    }
  });

  it('a hub configured with mqtt.dynamicSecurity issues and revokes through its HTTP API, live at the broker', async () => {
    // A gateway in the hub's config whose account an older hub made unbound: the hub binds it when it starts.
    await unboundAccount('GW-CFG-OLD', 'password-of-gw-cfg-old');
    const hubProcess = await startHub(
      parseConfig(HubConfig, { dataDir: join(dir, 'hub-http'), http: { host: '127.0.0.1', port: 0 }, mqtt: { url: url(), username: 'hub', password: HUB_PW, dynamicSecurity: true }, auth: { adminPassword: 'dynsec-admin-password' }, gateways: [{ id: 'GW-CFG-OLD', password: 'password-of-gw-cfg-old' }] }, 'test'),
      log,
    );
    try {
      await vi.waitFor(async () => expect((await hubProcess.storage.auditRange(0, 100)).some((e) => e.action === 'gateway.broker.client-id-bound' && e.subject === 'GW-CFG-OLD')).toBe(true), { timeout: 10_000 });
      await expect(connect('GW-CFG-OLD', 'password-of-gw-cfg-old', 'GW-CFG-OLD-any-id')).rejects.toMatchObject({ code: 5 });
      await (await connect('GW-CFG-OLD', 'password-of-gw-cfg-old')).endAsync();
      const call = async (method: string, path: string, token?: string, body?: unknown) => {
        const res = await fetch(`${hubProcess.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const token = (await call('POST', '/api/login', undefined, { username: 'admin', password: 'dynsec-admin-password' })).json.token as string;
      const issued = await call('POST', '/api/gateways', token, { id: 'GW-HTTP' });
      expect(issued.status).toBe(201);
      const e = await connect('GW-HTTP', issued.json.password as string);
      await e.publishAsync(topics.events('GW-HTTP'), 'http-issued', { qos: 1 });
      await vi.waitFor(() => expect(hubGot).toContain('http-issued'), { timeout: 5000 });
      const gone = closed(e);
      expect((await call('DELETE', '/api/gateways/GW-HTTP/credentials', token)).status).toBe(200);
      await gone;
      await expect(connect('GW-HTTP', issued.json.password as string)).rejects.toMatchObject({ code: 5 });
    } finally {
      await hubProcess.stop();
    }
  });

  it('refuses mqtt.dynamicSecurity without an external broker, naming the field', () => {
    expect(() => parseConfig(HubConfig, { mqtt: { dynamicSecurity: true } }, 'hub.yaml')).toThrow(/mqtt\.dynamicSecurity.*external broker/);
  });

  it('says plainly when the broker does not apply a change, and records that on the audit chain', async () => {
    const deadPort = await freePort();
    const dead = dynsecBrokerAccounts({ url: `mqtt://127.0.0.1:${deadPort}`, username: 'hub', password: HUB_PW, clientId: 'hub:test:accounts-dead', log, timeoutMs: 500 });
    try {
      const offline = new AdminService({ storage, users, brokerAccounts: dead });
      await expect(offline.rotateGatewayCredentials('admin1', 'GW-C')).rejects.toMatchObject({ code: 'BROKER_FAILED', status: 502, message: expect.stringMatching(/rotated at the hub, but the broker did not apply it .*repeat the request/) });
      const last = (await storage.auditRange(0, 1000)).filter((e) => e.subject === 'GW-C').at(-1)!;
      expect([last.action, last.detail.broker]).toEqual(['gateway.credentials.rotate', 'failed']);
      // A registration the broker missed cannot be repeated as such (the hub has it): the message says to rotate.
      await expect(offline.registerGateway('admin1', 'GW-F')).rejects.toMatchObject({ code: 'BROKER_FAILED', message: expect.stringMatching(/issued at the hub.*rotate the gateway's credentials to try again/) });
      const fixed = await admin.rotateGatewayCredentials('admin1', 'GW-F');
      await (await connect('GW-F', fixed.password)).endAsync();
    } finally {
      await dead.close();
    }
    // Repeated against the live broker, the change goes through.
    const creds = await admin.rotateGatewayCredentials('admin1', 'GW-C');
    await (await connect('GW-C', creds.password)).endAsync();
  });
});
