import { createRequire } from 'node:module';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_MQTT_PACKET_BYTES } from '../shared/sync-protocol.ts';
import { clientIdFor, topics } from '../shared/topics.ts';
import { hashPassword } from './auth/passwords.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';

/**
 * The embedded broker binds client ids to accounts (a gateway's password cannot take the hub's or another gateway's
 * connection over) and drops a client that sends a packet over the size limit at its header.
 */
const HUB_PW = 'hub-password-0001';
const PW: Record<string, string> = { 'GW-A': 'password-of-gw-a', 'GW-A-2': 'password-of-gw-a-2', 'GW-B': 'password-of-gw-b' };

describe('embedded broker: client ids and packet size', () => {
  let broker: EmbeddedBroker;
  const hashes = new Map<string, string>();
  const logLines: { msg: string; clientId?: string; username?: string; declaredBytes?: number }[] = [];
  const clients: MqttClient[] = [];
  let hub: MqttClient;
  const hubId = clientIdFor('hub', 'hub-1', 'a1b2c3d4');
  const hubGot: { topic: string; bytes: number }[] = [];

  const connect = async (username: string, password: string, clientId: string, extra: IClientOptions = {}) => {
    const c = await mqtt.connectAsync(broker.url, { username, password, clientId, reconnectPeriod: 0, connectTimeout: 3000, ...extra });
    clients.push(c);
    return c;
  };
  const refusal = (username: string, password: string, clientId: string) => connect(username, password, clientId).then(() => 'connected', (e: { code?: number }) => e.code);
  const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));

  beforeAll(async () => {
    for (const [id, pw] of Object.entries(PW)) hashes.set(id, await hashPassword(pw));
    const log = pino({ level: 'warn' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, fallbackToFreePort: false, hubUsername: 'hub', hubPassword: HUB_PW, gatewayPasswordHash: async (id) => hashes.get(id), log });
    hub = await connect('hub', HUB_PW, hubId);
    hub.on('message', (topic, payload) => hubGot.push({ topic, bytes: payload.length }));
    await hub.subscribeAsync(topics.hubUp(false), { qos: 1 });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await broker?.close();
  });

  it("refuses a gateway's password with the hub's client id, and the hub stays on the broker", async () => {
    let hubDropped = false;
    hub.once('close', () => (hubDropped = true));
    expect(await refusal('GW-B', PW['GW-B']!, hubId)).toBe(5);
    // A wrong password says only that, whatever the id.
    expect(await refusal('GW-B', 'wrong-password', hubId)).toBe(4);
    expect(logLines).toContainEqual(expect.objectContaining({ clientId: hubId, username: 'GW-B', msg: expect.stringMatching(/refused a connection: client id must be "GW-B" or start with "GW-B:"/) }));
    // The hub still receives: a gateway's own event arrives.
    const a = await connect('GW-A', PW['GW-A']!, 'GW-A');
    await a.publishAsync(topics.events('GW-A'), 'own-event', { qos: 1 });
    await vi.waitFor(() => expect(hubGot.map((m) => m.topic)).toContain(topics.events('GW-A')), { timeout: 5000 });
    expect(hubDropped).toBe(false);
    expect(hub.connected).toBe(true);
  });

  it("refuses a gateway's password with another gateway's client id, including one its own id is a prefix of", async () => {
    const a2 = await connect('GW-A-2', PW['GW-A-2']!, 'GW-A-2');
    const b = await connect('GW-B', PW['GW-B']!, 'GW-B');
    let dropped = 0;
    for (const c of [a2, b]) c.once('close', () => dropped++);
    expect(await refusal('GW-A', PW['GW-A']!, 'GW-B')).toBe(5);
    expect(await refusal('GW-A', PW['GW-A']!, 'GW-A-2')).toBe(5);
    expect(await refusal('GW-A', PW['GW-A']!, `GW-B:${'x'}`)).toBe(5);
    // Nor may a gateway take an id of the hub's form, or an id of no one's (a library's random default).
    expect(await refusal('GW-A', PW['GW-A']!, 'hub')).toBe(5);
    expect(await refusal('GW-A', PW['GW-A']!, 'mqttjs_1234abcd')).toBe(5);
    // Its own ids are its own: the id itself, or under "GW-A:".
    expect(await refusal('GW-A', PW['GW-A']!, 'GW-A:diag')).toBe('connected');
    await b.publishAsync(topics.events('GW-B'), 'b-still-here', { qos: 1 });
    expect(dropped).toBe(0);
    expect(a2.connected && b.connected).toBe(true);
    // The hub's password keeps the hub's ids (and only the hub's: not a gateway's).
    expect(await refusal('hub', HUB_PW, 'GW-B')).toBe(5);
  });

  it('takes a packet at the size limit and drops a client whose packet header declares more, before its body arrives', async () => {
    const a = await connect('GW-A', PW['GW-A']!, 'GW-A:size');
    const topic = topics.events('GW-A');
    // PUBLISH QoS 1: fixed header, 2-byte topic length, topic, 2-byte packet id, payload. This one is exactly the limit.
    const remaining = (payload: number) => 2 + Buffer.byteLength(topic) + 2 + payload;
    const lenBytes = (n: number) => (n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4);
    const atLimit = MAX_MQTT_PACKET_BYTES - 1 - 4 - remaining(0);
    expect(1 + lenBytes(remaining(atLimit)) + remaining(atLimit)).toBe(MAX_MQTT_PACKET_BYTES);
    await a.publishAsync(topic, Buffer.alloc(atLimit, 0x7b), { qos: 1 });
    await vi.waitFor(() => expect(hubGot.some((m) => m.bytes === atLimit)).toBe(true), { timeout: 10_000 });

    // A 40 MB PUBLISH, header only (plus a few bytes): without a limit, the broker would wait for the rest.
    const body = 40 * 1024 * 1024;
    const header = [0x30];
    for (let n = body; ; ) {
      const b = n % 128;
      n = Math.floor(n / 128);
      header.push(n > 0 ? b | 0x80 : b);
      if (n === 0) break;
    }
    const dropped = closed(a);
    (a.stream as NodeJS.WritableStream).write(Buffer.concat([Buffer.from(header), Buffer.from([0, 1, 0x41])]));
    await dropped;
    expect(logLines).toContainEqual(expect.objectContaining({ declaredBytes: 1 + 4 + body, msg: expect.stringMatching(/packet larger than the limit/) }));
    expect(hub.connected).toBe(true);
  });

  it("writes packet ids without mqtt-packet's table of 65,536 Buffers (~6 MiB of heap)", async () => {
    // QoS 1 both ways: packet ids written by the broker (to the hub's subscription) and by the clients (their own
    // clients default to the table: the broker switched it off on the shared module before any was written).
    const a = await connect('GW-A', PW['GW-A']!, 'GW-A:ids');
    await a.publishAsync(topics.events('GW-A'), Buffer.from('{}'), { qos: 1 });
    await vi.waitFor(() => expect(hubGot.some((m) => m.bytes === 2)).toBe(true), { timeout: 10_000 });
    const numbers = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  });
});
