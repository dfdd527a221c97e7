import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startEdge, type RunningEdge } from '../edge/agent.ts';
import { EdgeConfig } from '../edge/config.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Parcel photos: the station's camera frame stays on the edge at full size, the event carries a WebP thumbnail, and
 * an officer's screen gets the full image through the hub, fetched from the gateway on demand.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('station images', () => {
  let hub: RunningHub;
  let edge: RunningEdge;
  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
  });

  it('photo at the line → thumbnail in the event → full image through the hub on demand', async () => {
    const frame = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#c8a064' } }).jpeg({ quality: 90 }).toBuffer();
    const frameFile = join(dir, 'frame.jpg');
    writeFileSync(frameFile, frame);
    hub = await startHub(parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'images-admin-password' }, gateways: [{ id: 'GW-IMG', password: 'password-of-img' }, { id: 'GW-OTHER', password: 'password-of-other' }], ingest: { decodeWorkers: 0 }, imageFetchTimeoutMs: 1500 }, 'test'), log);
    const now = Date.now();
    await hub.feed.put([
      { kind: 'rules', key: 'R', value: { rulesId: 'R', validFromMs: now - 1000, validToMs: now + 3600_000 } },
      { kind: 'decision', key: 'EA000000015CN', value: { parcelKey: 'EA000000015CN', decision: 'released', declaredWeightKg: 1.2 } },
    ]);
    edge = await startEdge(
      parseConfig(EdgeConfig, {
        gatewayId: 'GW-IMG',
        dataDir: join(dir, 'edge'),
        hub: { mqttUrl: hub.mqttUrl, password: 'password-of-img', rulesPublicKey: hub.rulesPublicKeyPem },
        http: { host: '127.0.0.1', port: 0 },
        clock: { sync: 'assume-synced' },
        devices: [{ kind: 'camera-scanner', id: 'cam', camera: { file: frameFile, intervalMs: 60_000 } }],
        stations: [{ kind: 'inspection', id: 'LINE-1', line: { lineId: 'LINE-1', photo: true }, devices: { camera: 'cam' } }],
      }, 'test'),
      log,
    );
    const e = edge;
    await vi.waitFor(() => expect(e.devices!.status()[0]!.state).toBe('up'), { timeout: 10_000 });
    await vi.waitFor(() => expect(e.cache.decision('EA000000015CN')).toBeDefined(), { timeout: 10_000 });
    const line = e.stations.runners[0]!;
    await line.input(line.def.fromReading('scanner', { kind: 'scan', read: { kind: 's10', value: 'EA000000015CN' }, raw: 'EA000000015CN', atMs: now }));
    await line.input(line.def.fromReading('scale', { kind: 'weight', weightKg: 1.2, atMs: now }));
    await vi.waitFor(() => expect((line.current as { open: { photoRef?: string }[] }).open[0]?.photoRef).toBeDefined(), { timeout: 5000 });
    await line.input(line.def.fromReading('xray', { kind: 'opcua.event', name: 'xray.verdict', fields: { ParcelId: 'EA000000015CN', Verdict: 'clear' }, atMs: now }));
    const ev = e.journal.readFrom(1, 100).map((r) => JSON.parse(r.json) as { type: string; payload: { photoRef?: string; thumbnailWebp?: string } }).find((x) => x.type === 'parcel.inspected')!;
    expect(ev.payload.photoRef).toMatch(/^img-[0-9a-f-]{36}\.jpg$/);
    const thumb = Buffer.from(ev.payload.thumbnailWebp!, 'base64');
    expect(thumb.length).toBeLessThan(8 * 1024);
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'webp', width: 160, height: 90 });

    const login = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'images-admin-password' }) });
    const token = ((await login.json()) as { token: string }).token;
    const get = (gw: string, ref: string, auth = true) => fetch(`${hub.httpUrl}/api/gateways/${gw}/images/${ref}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
    const full = await get('GW-IMG', ev.payload.photoRef!);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('image/jpeg');
    // A label photo shows names and addresses: kept by no cache, like every other API answer.
    expect(full.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await full.arrayBuffer()).equals(frame)).toBe(true); // the full frame, byte for byte
    expect((await get('GW-IMG', ev.payload.photoRef!, false)).status).toBe(401);
    expect((await get('GW-IMG', 'img-00000000-0000-0000-0000-000000000000.jpg')).status).toBe(404);
    expect((await get('GW-IMG', '..%2F..%2Fjournal-key.pem')).status).toBe(400);
    expect((await get('NOPE', ev.payload.photoRef!)).status).toBe(404);
    // A gateway that is offline: the officer gets a clear timeout, not a hang.
    const offline = await get('GW-OTHER', ev.payload.photoRef!);
    expect(offline.status).toBe(504);
    expect(((await offline.json()) as { code: string }).code).toBe('GATEWAY_UNREACHABLE');
  }, 60_000);
});
