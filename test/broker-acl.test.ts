import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBrokerConfig } from '../cli/broker-config.ts';
import { verifyPassword } from '../hub/auth/passwords.ts';
import { verifyMosquittoPassword } from '../hub/broker-config.ts';
import { openStorage } from '../hub/storage/open.ts';
import { MAX_MESSAGE_BYTES } from '../shared/sync-protocol.ts';
import { topics } from '../shared/topics.ts';
import { startMosquitto, type MosquittoInstance } from './helpers/mosquitto.ts';
import { haveOpenssl, makeTestCerts } from './helpers/test-certs.ts';
import { freePort } from './helpers/ports.ts';
import { mosquittoBinary, requireService } from './helpers/services.ts';

/**
 * The config `bondgate broker config` writes, run by a private Mosquitto on loopback: TLS verified against the
 * generated CA, per-gateway passwords (PBKDF2 made in Node) and the ACL. A gateway cannot publish as another,
 * cannot read another's feed, and cannot get in with a wrong password or without TLS.
 */
const run = requireService('Mosquitto', !!(await mosquittoBinary()));
if (run && !haveOpenssl) console.warn('SKIPPED: the TLS checks need the openssl binary to make a throwaway CA; the ACL checks run over a plain listener instead.');

const HUB_PW = 'hub-password-0001';
const PW = { 'GW-A': 'password-of-gw-a', 'GW-B': 'password-of-gw-b' } as const;

describe.skipIf(!run)('Mosquitto with the generated config (TLS, passwords, ACL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-broker-acl-'));
  let broker: MosquittoInstance;
  let brokerPort = 0;
  let ca: Buffer | undefined;
  const clients: MqttClient[] = [];
  let hub: MqttClient;
  const hubGot: { topic: string; body: string }[] = [];

  const url = () => (haveOpenssl ? `mqtts://127.0.0.1:${brokerPort}` : `mqtt://127.0.0.1:${brokerPort}`);
  const connect = async (username: string, password: string, extra: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(url(), { username, password, ...(ca ? { ca } : {}), reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 4, ...extra }, false);
    clients.push(c);
    return c;
  };

  const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));

  beforeAll(async () => {
    // Started as root, mosquitto reads its files as the `mosquitto` user: it must be able to enter the directory.
    if (process.getuid?.() === 0) chmodSync(dir, 0o711);
    const certs = join(dir, 'tls');
    mkdirSync(certs);
    if (haveOpenssl) {
      makeTestCerts(certs);
      ca = readFileSync(join(certs, 'ca.crt'));
    }
    writeFileSync(join(dir, 'hub.yaml'), `mqtt: { username: hub, password: ${HUB_PW} }\ngateways:\n${Object.entries(PW).map(([id, pw]) => `  - { id: ${id}, password: ${pw} }`).join('\n')}\n`);
    brokerPort = await freePort();
    const out: string[] = [];
    const code = await runBrokerConfig(
      [
        '--out', join(dir, 'broker'), '--config', join(dir, 'hub.yaml'), '--tls-port', String(brokerPort), '--bind', '127.0.0.1', '--local-port', 'none', '--persistence', 'none',
        ...(haveOpenssl ? ['--tls-cert', join(certs, 'server.crt'), '--tls-key', join(certs, 'server.key'), '--ca', join(certs, 'ca.crt')] : ['--no-tls']),
      ],
      { out: (l) => out.push(l) },
    );
    expect(code).toBe(0);
    // Every password came from the hub config: nothing was generated, so nothing secret was printed.
    expect(out.join('\n')).not.toMatch(/Credentials/);
    // The helper adds its own plain loopback listener (its readiness check) ahead of the generated config; the
    // generated one has allow_anonymous false, which holds for every listener.
    broker = await startMosquitto({ config: readFileSync(join(dir, 'broker', 'mosquitto.conf'), 'utf8') });
    hub = await connect('hub', HUB_PW, { protocolVersion: 5 });
    hub.on('message', (topic, payload) => hubGot.push({ topic, body: payload.toString() }));
    await hub.subscribeAsync(topics.hubUp(true), { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a gateway\'s own events over TLS (CA verified) to the hub\'s shared subscription', async () => {
    const a = await connect('GW-A', PW['GW-A']);
    await a.publishAsync(topics.events('GW-A'), 'a-own-1', { qos: 1 });
    await vi.waitFor(() => expect(hubGot).toContainEqual({ topic: topics.events('GW-A'), body: 'a-own-1' }), { timeout: 5000 });
  });

  it('drops a gateway\'s publish under another gateway\'s topics, up or down, while its own still arrive', async () => {
    const a = await connect('GW-A', PW['GW-A']);
    const b = await connect('GW-B', PW['GW-B']);
    const bGot: string[] = [];
    b.on('message', (topic, payload) => bGot.push(`${topic} ${payload.toString()}`));
    await b.subscribeAsync(topics.down('GW-B'), { qos: 1 });
    // Mosquitto acknowledges a denied QoS 1 publish (MQTT 3.1.1 has no way to refuse one) and drops it.
    await a.publishAsync(topics.events('GW-B'), 'spoofed-as-b', { qos: 1 });
    await a.publishAsync(topics.ack('GW-B'), 'fake-ack-for-b', { qos: 1 });
    await a.publishAsync(topics.ack('GW-A'), 'a-acks-itself', { qos: 1 }); // down/ is the hub's to write
    await a.publishAsync(topics.events('GW-A'), 'a-control', { qos: 1 });
    await hub.publishAsync(topics.ack('GW-B'), 'real-ack-for-b', { qos: 1 });
    await vi.waitFor(() => expect(hubGot.map((m) => m.body)).toContain('a-control'), { timeout: 5000 });
    await vi.waitFor(() => expect(bGot).toContain(`${topics.ack('GW-B')} real-ack-for-b`), { timeout: 5000 });
    // One client's messages are delivered in order, so the spoof would have come before the control: wait a
    // further window anyway in case the broker reorders across topics.
    await new Promise((r) => setTimeout(r, 500));
    expect(hubGot.map((m) => m.body)).not.toContain('spoofed-as-b');
    expect(hubGot.map((m) => m.topic)).not.toContain(topics.events('GW-B'));
    expect(bGot).toEqual([`${topics.ack('GW-B')} real-ack-for-b`]);
  });

  it('lets a gateway read nothing of another gateway\'s feed, by name or by wildcard', async () => {
    const a = await connect('GW-A', PW['GW-A']);
    const aGot: string[] = [];
    a.on('message', (topic) => aGot.push(topic));
    // Mosquitto 2.0 answers SUBACK 0x80 only when no ACL line could ever match; otherwise it grants the filter and
    // checks read access per message on delivery. Either way, what counts is that nothing of B's reaches A.
    const granted = await a.subscribeAsync([topics.feed('GW-B'), 'bondgate/v1/gw/+/down/#', topics.down('GW-A')], { qos: 1 });
    for (const g of granted) expect([1, 0x80]).toContain(g.qos);
    await hub.publishAsync(topics.feed('GW-B'), 'feed-for-b', { qos: 1 });
    await hub.publishAsync(topics.imageRequest('GW-B'), 'image-request-for-b', { qos: 1 });
    await hub.publishAsync(topics.feed('GW-A'), 'feed-for-a', { qos: 1 });
    await vi.waitFor(() => expect(aGot).toContain(topics.feed('GW-A')), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    // Its own feed arrives (through its own filter and the wildcard: two overlapping subscriptions), B's never.
    expect(aGot.length).toBeGreaterThan(0);
    expect(aGot.filter((t) => t.includes('/GW-B/'))).toEqual([]);
  });

  it("never lets a gateway's password take over the hub's or another gateway's connection (the client id is the user name)", async () => {
    const b = await connect('GW-B', PW['GW-B'], { clientId: 'GW-B' });
    let dropped = 0;
    hub.once('close', () => dropped++);
    b.once('close', () => dropped++);
    // Mosquitto takes any id and replaces it with the user name: the takeover attempts connect, as GW-A.
    const asHub = await connect('GW-A', PW['GW-A'], { clientId: 'hub' });
    const asHubGone = closed(asHub);
    const asHubProcess = await connect('GW-A', PW['GW-A'], { clientId: 'hub:hub-1:0badcafe' });
    // …so the second took the first's place (both were GW-A): proof the ids were replaced.
    await asHubGone;
    const asHubProcessGone = closed(asHubProcess);
    await connect('GW-A', PW['GW-A'], { clientId: 'GW-B' });
    await asHubProcessGone;
    // The hub and B still work, end to end.
    const bGot: string[] = [];
    b.on('message', (_t, payload) => bGot.push(payload.toString()));
    await b.subscribeAsync(topics.down('GW-B'), { qos: 1 });
    await b.publishAsync(topics.events('GW-B'), 'b-after-takeover-attempts', { qos: 1 });
    await hub.publishAsync(topics.ack('GW-B'), 'hub-after-takeover-attempts', { qos: 1 });
    await vi.waitFor(() => expect(hubGot.map((m) => m.body)).toContain('b-after-takeover-attempts'), { timeout: 5000 });
    await vi.waitFor(() => expect(bGot).toContain('hub-after-takeover-attempts'), { timeout: 5000 });
    expect(dropped).toBe(0);
    hub.removeAllListeners('close');
  });

  it('takes the largest message the hub accepts and drops a client that sends a larger packet', async () => {
    const a = await connect('GW-A', PW['GW-A']);
    await a.publishAsync(topics.events('GW-A'), Buffer.alloc(MAX_MESSAGE_BYTES, 0x7b), { qos: 1 });
    await vi.waitFor(() => expect(hubGot.some((m) => m.topic === topics.events('GW-A') && m.body.length === MAX_MESSAGE_BYTES)).toBe(true), { timeout: 10_000 });
    const gone = closed(a);
    a.publish(topics.events('GW-A'), Buffer.alloc(MAX_MESSAGE_BYTES + 128 * 1024, 0x7b), { qos: 0 });
    await gone;
    // The control, from a fresh connection, arrives; the oversize message never did.
    const again = await connect('GW-A', PW['GW-A']);
    await again.publishAsync(topics.events('GW-A'), 'after-oversize', { qos: 1 });
    await vi.waitFor(() => expect(hubGot.map((m) => m.body)).toContain('after-oversize'), { timeout: 5000 });
    expect(hubGot.filter((m) => m.body.length > MAX_MESSAGE_BYTES)).toEqual([]);
  });

  it('refuses a wrong password, an unknown user and an anonymous client at CONNECT', async () => {
    await expect(connect('GW-A', PW['GW-B'])).rejects.toMatchObject({ code: 5 });
    await expect(connect('GW-C', 'password-of-gw-c')).rejects.toMatchObject({ code: 5 });
    await expect(mqtt.connectAsync(url(), { ...(ca ? { ca } : {}), reconnectPeriod: 0, connectTimeout: 3000 }, false)).rejects.toMatchObject({ code: 5 });
    // The helper's own plain listener obeys allow_anonymous false too.
    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0, connectTimeout: 3000 }, false)).rejects.toMatchObject({ code: 5 });
  });

  it.skipIf(!haveOpenssl)('refuses plain MQTT on the TLS port and a TLS client that does not trust the CA', async () => {
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { username: 'GW-A', password: PW['GW-A'], reconnectPeriod: 0, connectTimeout: 3000 }, false)).rejects.toThrow();
    await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${brokerPort}`, { username: 'GW-A', password: PW['GW-A'], reconnectPeriod: 0, connectTimeout: 3000 }, false)).rejects.toThrow(/certificate/i);
  });
});

describe('bondgate broker config --issue', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-broker-issue-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const issue = async (...extra: string[]) => {
    const out: string[] = [];
    writeFileSync(join(dir, 'hub.yaml'), `dataDir: ${join(dir, 'hub')}\nmqtt: { username: hub }\n`);
    const env = process.env.MQTT_PASSWORD;
    delete process.env.MQTT_PASSWORD;
    try {
      expect(await runBrokerConfig(['--out', join(dir, 'broker'), '--config', join(dir, 'hub.yaml'), '--no-tls', '--issue', ...extra], { out: (l) => out.push(l) })).toBe(0);
    } finally {
      if (env !== undefined) process.env.MQTT_PASSWORD = env;
    }
    const text = out.join('\n');
    const shown = (user: string) => new RegExp(`^  ${user}(?: \\(hub\\))?: (\\S+)`, 'm').exec(text)?.[1];
    const passwd = new Map(readFileSync(join(dir, 'broker', 'passwd'), 'utf8').trim().split('\n').map((l) => [l.split(':')[0]!, l.slice(l.indexOf(':') + 1)] as const));
    return { text, shown, passwd };
  };
  const storedHash = async (id: string) => {
    const storage = await openStorage({ sqliteFile: join(dir, 'hub', 'hub.sqlite') });
    try {
      return (await storage.getGateway(id))?.passwordHash;
    } finally {
      await storage.close();
    }
  };

  it('registers the named gateways through the admin service, prints each password once, and the broker file and hub store both accept it', async () => {
    mkdirSync(join(dir, 'hub'), { recursive: true });
    const first = await issue('--gateway', 'GW-N1', '--gateway', 'GW-N2');
    const pw = first.shown('GW-N1')!;
    expect(pw).toHaveLength(32);
    expect(first.shown('GW-N2')).not.toBe(pw);
    expect(await verifyMosquittoPassword(pw, first.passwd.get('GW-N1')!)).toBe(true);
    expect(await verifyPassword(pw, await storedHash('GW-N1'))).toBe(true);
    // No hub password configured: one is generated, printed and put in the file.
    expect(await verifyMosquittoPassword(first.shown('hub')!, first.passwd.get('hub')!)).toBe(true);
    expect([...first.passwd.keys()].sort()).toEqual(['GW-N1', 'GW-N2', 'hub']);

    // Again, without naming gateways: every gateway in the store is rotated; the old passwords stop working.
    const second = await issue();
    const pw2 = second.shown('GW-N1')!;
    expect(pw2).not.toBe(pw);
    expect(second.text).toMatch(/GW-N1: \S+ +\(rotated/);
    expect(await verifyMosquittoPassword(pw, second.passwd.get('GW-N1')!)).toBe(false);
    expect(await verifyPassword(pw, await storedHash('GW-N1'))).toBe(false);
    expect(await verifyPassword(pw2, await storedHash('GW-N1'))).toBe(true);
    const storage = await openStorage({ sqliteFile: join(dir, 'hub', 'hub.sqlite') });
    try {
      const audit = (await storage.auditRange(0, 100)).filter((a) => a.subject === 'GW-N1');
      expect(audit.map((a) => [a.actor, a.action])).toEqual([['cli:broker-config', 'gateway.register'], ['cli:broker-config', 'gateway.credentials.rotate']]);
    } finally {
      await storage.close();
    }
  });

  it('refuses a gateway id that would widen the ACL or collide with the hub user', async () => {
    await expect(issue('--gateway', 'GW/1')).rejects.toThrow(/not a valid broker user name/);
    await expect(issue('--gateway', 'hub')).rejects.toThrow(/hub's own user name/);
  });
});
