import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import { mosquittoBinary, requireService } from '../../test/helpers/services.ts';
import { SealMqttConfig, SealMqttDriver, type SealReading } from './mqtt-driver.ts';
import { SealSimulator } from './simulator.ts';

/** E-seal reports over a real broker (a private Mosquitto on a free port) into the seal monitor. */
const run = requireService('Mosquitto', !!(await mosquittoBinary()));
const ZONE = { kind: 'polygon', ring: [[22.54, 114.05], [22.54, 114.07], [22.56, 114.07], [22.56, 114.05]] };
const seal = { manufacturer: 'HLD', serial: 'ES-000123' };
const report = (status: 'sealed' | 'unsealed', lat: number, lon: number, ts: string, events: unknown[] = []) =>
  JSON.stringify({ seal, status, ts, events, position: { lat, lon, fix: 'gps', accuracyM: 5, ts } });

describe.skipIf(!run)('e-seal MQTT driver', () => {
  let broker: Awaited<ReturnType<typeof startMosquitto>>;
  beforeAll(async () => {
    broker = await startMosquitto({});
  });
  afterAll(async () => broker?.stop());

  it('raises fence.breached when a seal opens outside the zone fence, and rejects a bad report by field', async () => {
    const driver = new SealMqttDriver(SealMqttConfig.parse({ brokerUrl: broker.url, monitor: { zone: { fenceId: 'ZONE-1', fence: ZONE } } }));
    const readings: SealReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    const pub = await mqtt.connectAsync(broker.url);
    await pub.publishAsync('seals/ES-000123/report', report('sealed', 22.55, 114.06, '2026-11-23T08:00:00Z'), { qos: 1 });
    await pub.publishAsync('seals/ES-000123/report', report('unsealed', 22.60, 114.06, '2026-11-23T09:00:00Z'), { qos: 1 });
    await pub.publishAsync('seals/ES-000123/report', JSON.stringify({ seal, status: 'sealed', ts: '2026-11-23T09:01:00Z', position: { lat: 123, lon: 114, fix: 'gps', ts: '2026-11-23T09:01:00Z' } }), { qos: 1 });
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ type: 'fence.breached', fenceId: 'ZONE-1', confidence: 'high' })), { timeout: 5000 });
    expect(readings).toContainEqual(expect.objectContaining({ type: 'seal.state_changed', state: 'opened', insideFence: false }));
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ type: 'device.error', reason: expect.stringContaining('position.lat') })), { timeout: 5000 });
    expect(driver.health()).toMatchObject({ connected: true, garbage: 1 });
    await pub.endAsync();
    abort.abort();
  });

  it('follows a simulated seal on a trip: sealed in the zone, tampered en route, opened outside, one malformed report', async () => {
    const driver = new SealMqttDriver(SealMqttConfig.parse({ brokerUrl: broker.url, monitor: { zone: { fenceId: 'ZONE-1', fence: ZONE } } }));
    const readings: SealReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    let t = Date.parse('2026-11-23T10:00:00Z');
    const sim = new SealSimulator({ brokerUrl: broker.url, seal: { manufacturer: 'HLD', serial: 'ES-000777' }, now: () => (t += 60_000) });
    await sim.start();
    await sim.seal([22.55, 114.06]);
    await sim.moveTo([22.58, 114.1]);
    await sim.tamper('rope_cut');
    await sim.malformed();
    await sim.unseal([22.6, 114.12]);
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ type: 'fence.breached', sealId: 'HLD:ES-000777' })), { timeout: 5000 });
    expect(readings).toContainEqual(expect.objectContaining({ type: 'seal.state_changed', sealId: 'HLD:ES-000777', state: 'tampered' }));
    expect(readings).toContainEqual(expect.objectContaining({ type: 'device.error', reason: expect.stringContaining('position.lat') }));
    await sim.stop();
    abort.abort();
  });
});
