import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEdge, type RunningEdge } from '../edge/agent.ts';
import { EdgeConfig } from '../edge/config.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { encodeMessage, PROTOCOL_VERSION } from '../shared/sync-protocol.ts';
import { topics } from '../shared/topics.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Hub and edge in one process over the embedded broker: live delivery, the HTTP API, and the boundaries —
 * wrong credentials, a gateway publishing as another, garbage payloads, an edited journal row.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-pipeline-'));
let hub: RunningHub;
let edge: RunningEdge;
let token: string;

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${hub.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

beforeAll(async () => {
  const brokerPort = await freePort();
  hub = await startHub(
    parseConfig(HubConfig, {
      dataDir: join(dir, 'hub'),
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: brokerPort } },
      auth: { adminPassword: 'pipeline-admin' },
      gateways: [
        { id: 'GW-A', password: 'password-of-a' },
        { id: 'GW-B', password: 'password-of-b' },
      ],
    }, 'test'),
    log,
  );
  edge = await startEdge(
    parseConfig(EdgeConfig, {
      gatewayId: 'GW-A',
      dataDir: join(dir, 'edge'),
      hub: { mqttUrl: hub.mqttUrl, password: 'password-of-a' },
      http: { host: '127.0.0.1', port: 0 },
      clock: { sync: 'assume-synced' },
    }, 'test'),
    log,
  );
  const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'pipeline-admin' }) });
  token = ((await res.json()) as { token: string }).token;
});

afterAll(async () => {
  await edge?.stop();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('edge → hub pipeline', () => {
  it('makes a parcel visible at the hub with its timeline and state', async () => {
    const key = 'EA123456785CN';
    await edge.journal.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: key, payload: { code: key, source: 'scanner' } });
    await edge.journal.append({ type: 'parcel.weighed', stationId: 'LINE-1', parcelKey: key, payload: { grossWeightKg: 1.234, stable: true } });
    await edge.journal.append({ type: 'parcel.held', stationId: 'LINE-1', parcelKey: key, payload: { reason: 'weight off declared', officerId: 'officer-7' } });
    await vi.waitFor(async () => {
      const r = await api<{ parcel: { state: string; grossWeightKg: number; eventCount: number }; timeline: { type: string }[] }>(`/api/parcels/${key}`);
      expect(r.status).toBe(200);
      expect(r.body.parcel).toMatchObject({ state: 'on_hold', grossWeightKg: 1.234, eventCount: 3 });
      expect(r.body.timeline.map((e) => e.type)).toEqual(['parcel.scanned', 'parcel.weighed', 'parcel.held']);
    }, { timeout: 10_000, interval: 100 });
    const list = await api<{ items: { parcelKey: string; trackingStatus: string }[] }>('/api/parcels?state=on_hold');
    expect(list.body.items).toContainEqual(expect.objectContaining({ parcelKey: key, trackingStatus: 'on_hold' }));
    await vi.waitFor(() => expect(edge.journal.ackedSeq).toBe(edge.journal.headSeq), { timeout: 5000 });
    const gws = await api<{ items: { id: string; ackedSeq: number; online: boolean }[] }>('/api/gateways');
    expect(gws.body.items.find((g) => g.id === 'GW-A')).toMatchObject({ ackedSeq: edge.journal.headSeq, online: true });
  });

  it('reports the edge\'s backlog, last ack, broker connection and disk on /healthz and /metrics', async () => {
    await vi.waitFor(() => expect(edge.journal.ackedSeq).toBe(edge.journal.headSeq), { timeout: 5000 });
    const health = (await (await fetch(`${edge.healthUrl}/healthz`)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(health).toMatchObject({ gatewayId: 'GW-A', status: 'ok', broker: 'connected', backlog: { count: 0, ageMs: 0 }, ackedSeq: edge.journal.headSeq, clockSynced: true });
    expect(health.lastAckAtMs).toBeGreaterThan(0);
    expect(health.disk).toMatchObject({ level: 'ok', quotaBytes: 1024 * 1024 * 1024 });
    const metrics = await (await fetch(`${edge.healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/^bondgate_edge_backlog_events 0$/m);
    expect(metrics).toMatch(/^bondgate_edge_broker_connected 1$/m);
    expect(metrics).toMatch(new RegExp(`^bondgate_edge_acked_seq ${edge.journal.headSeq}$`, 'm'));
    expect(metrics).toMatch(/^bondgate_edge_disk_used_bytes \d+$/m);
    expect(metrics).toMatch(/^bondgate_edge_last_ack_age_seconds [\d.]+$/m);
    expect((await fetch(`${edge.healthUrl}/nope`)).status).toBe(404);
  });

  it('refuses API calls without a session and bad query parameters with the field', async () => {
    expect((await fetch(`${hub.httpUrl}/api/parcels`)).status).toBe(401);
    const bad = await api<{ code: string; fields: { field: string }[] }>('/api/parcels?limit=100000');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(bad.body.fields[0]?.field).toBe('query.limit');
    const post = (body: string) => fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const huge = await post(JSON.stringify({ username: 'admin', password: 'x'.repeat(200_000) }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    const malformed = await post('{"username":');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { fields: { field: string }[] }).fields[0]?.field).toBe('body');
    const missing = await post('{"username":"admin"}');
    expect(((await missing.json()) as { fields: { field: string }[] }).fields.map((f) => f.field)).toEqual(['password']);
    expect((await api<{ code: string }>('/api/nothing-here')).body.code).toBe('NOT_FOUND');
    const wrong = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'nope' }) });
    expect(wrong.status).toBe(401);
  });

  it('refuses a broker connection with wrong credentials', async () => {
    const client = mqtt.connect(hub.mqttUrl, { username: 'GW-B', password: 'wrong', reconnectPeriod: 0, connectTimeout: 3000 });
    const err = await new Promise<Error>((resolve) => client.once('error', resolve));
    expect((err as Error & { code?: number }).code).toBe(4); // CONNACK 4: bad user name or password
    client.end(true);
  });

  it('keeps a gateway from publishing as another, at the broker and at the hub', async () => {
    const client = await mqtt.connectAsync(hub.mqttUrl, { username: 'GW-B', password: 'password-of-b', clientId: 'GW-B', reconnectPeriod: 0 });
    const before = (await hub.storage.getGateway('GW-A'))!.ackedSeq;
    // Topic of another gateway: the broker refuses it (MQTT 3.1.1 closes the connection).
    const refused = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topics.events('GW-A'), encodeMessage({ v: PROTOCOL_VERSION, gatewayId: 'GW-A', events: [{ seq: before + 1 }], backlog: { count: 0, oldestWallMs: null }, sentAtMs: Date.now() }), { qos: 1 });
    await refused;
    client.end(true);
    // Own topic, payload naming another gateway: the hub refuses it as forged.
    const c2 = await mqtt.connectAsync(hub.mqttUrl, { username: 'GW-B', password: 'password-of-b', clientId: 'GW-B', reconnectPeriod: 0 });
    await c2.publishAsync(topics.events('GW-B'), encodeMessage({ v: PROTOCOL_VERSION, gatewayId: 'GW-A', events: [{ seq: 1 }], backlog: { count: 0, oldestWallMs: null }, sentAtMs: Date.now() }), { qos: 1 });
    // Garbage of every kind on its own topics: counted, never a crash.
    await c2.publishAsync(topics.events('GW-B'), Buffer.from([0xff, 0x00, 0x13]), { qos: 1 });
    await c2.publishAsync(topics.events('GW-B'), Buffer.concat([Buffer.of(1), Buffer.from('not deflate')]), { qos: 1 });
    await c2.publishAsync(topics.hello('GW-B'), Buffer.from('{"v":1,"gatewayId":"GW-B"}'), { qos: 1 });
    await c2.endAsync();
    await vi.waitFor(async () => {
      const metrics = await (await fetch(`${hub.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      expect(metrics).toMatch(/bondgate_hub_messages_rejected_total\{reason="gateway_mismatch"\} [1-9]/);
      expect(metrics).toMatch(/bondgate_hub_messages_rejected_total\{reason="decode_failed"\} [1-9]/);
      expect(metrics).toMatch(/bondgate_hub_messages_rejected_total\{reason="invalid_hello"\} [1-9]/);
    }, { timeout: 5000 });
    expect((await hub.storage.getGateway('GW-A'))!.ackedSeq).toBe(before);
    expect(await hub.storage.countEvents('GW-B')).toBe(0);
    // The hub still works.
    const r = await edge.journal.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: 'EE000000014CN', payload: { code: 'EE000000014CN', source: 'scanner' } });
    await vi.waitFor(async () => expect((await hub.storage.getGateway('GW-A'))!.ackedSeq).toBe(r.seq), { timeout: 5000 });
  });

  it('verifies signed checkpoints and flags a journal row edited before it was sent', async () => {
    edge.sync.sendCheckpoint();
    await vi.waitFor(async () => expect((await hub.storage.getGateway('GW-A'))!.publicKeyPem).toMatch(/BEGIN PUBLIC KEY/), { timeout: 5000 });
    // Stop the sync so the next row stays unsent, edit it on disk, then let it go.
    await edge.sync.stop();
    const { seq } = await edge.journal.append({ type: 'parcel.weighed', stationId: 'LINE-1', parcelKey: 'CP202501019CN', payload: { grossWeightKg: 9.5, stable: true } });
    const raw = new Database(join(dir, 'edge', 'journal.sqlite'));
    raw.prepare("UPDATE events SET body = json_set(body, '$.payload.grossWeightKg', 1.5) WHERE seq = ?").run(seq);
    raw.close();
    await edge.stop();
    edge = await startEdge(
      parseConfig(EdgeConfig, { gatewayId: 'GW-A', dataDir: join(dir, 'edge'), hub: { mqttUrl: hub.mqttUrl, password: 'password-of-a' }, http: { host: '127.0.0.1', port: 0 } }, 'test'),
      log,
    );
    await vi.waitFor(async () => {
      const alerts = await hub.storage.listAlerts('GW-A', 10);
      expect(alerts).toContainEqual(expect.objectContaining({ kind: 'hash_mismatch', seq }));
    }, { timeout: 10_000 });
    // The edited weight is not folded into the parcel.
    const parcel = await hub.storage.getParcel('CP202501019CN');
    expect(parcel?.grossWeightKg ?? null).not.toBe(1.5);
  });
});
