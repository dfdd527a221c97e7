import { describe, expect, it } from 'vitest';
import { createDriver, DeviceConfig } from './registry.ts';

/** Drivers whose library is heavy (node-opcua, modbus-serial) load when they first start, and behave the same. */
describe('device registry: lazily loaded drivers', () => {
  it('an OPC UA device: config checked without the driver, commands refused before start, start loads it and reports its failure', async () => {
    expect(DeviceConfig.safeParse({ kind: 'opcua', id: 'plc-1', opcua: { endpointUrl: 'opc.tcp://127.0.0.1:1', pkiDir: '/tmp/pki', monitoredItems: [{ name: 'x', nodeId: 'not a node id' }] } }).success).toBe(false);
    const config = DeviceConfig.parse({ kind: 'opcua', id: 'plc-1', opcua: { endpointUrl: 'opc.tcp://127.0.0.1:1', pkiDir: '/tmp/bg-registry-pki', connectionStrategy: { maxRetry: 1, initialDelayMs: 10, maxDelayMs: 10 }, monitoredItems: [{ name: 'x', nodeId: 'ns=2;s=X' }] } });
    const d = createDriver(config);
    expect(await d.send({ op: 'call', method: 'divert', args: [] })).toMatchObject({ ok: false, code: 'DEVICE_DISCONNECTED' });
    expect(d.health()).toMatchObject({ connected: false, errors: 0 });
    const abort = new AbortController();
    await expect(d.start(abort.signal)).rejects.toThrow(); // nothing listens on port 1: the real driver ran and failed
    abort.abort();
    expect(d.health().connected).toBe(false);
  }, 60_000);
});

describe('device registry: the camera scanner', () => {
  it('validates its config without the decoder, and loads the driver (sharp, zxing-wasm) when it starts', async () => {
    expect(DeviceConfig.safeParse({ kind: 'camera-scanner', id: 'cam-1', camera: { file: '/tmp/x.jpg', formats: ['Snapcode'] } }).success).toBe(false);
    const config = DeviceConfig.parse({ kind: 'camera-scanner', id: 'cam-1', camera: { file: '/nonexistent/bg-registry-cam.jpg', formats: ['EAN13'] } });
    const d = createDriver(config);
    expect(await d.send('capture')).toMatchObject({ ok: false, code: 'DEVICE_DISCONNECTED' });
    const readings: unknown[] = [];
    d.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await expect(d.start(abort.signal)).rejects.toThrow(/ENOENT/); // the real driver ran: its first snapshot failed
    abort.abort();
    expect(readings).toEqual([expect.objectContaining({ kind: 'device.error', reason: expect.stringMatching(/^camera: /) })]);
  }, 60_000);
});
