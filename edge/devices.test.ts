import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DriverBase, type CommandResult } from '../drivers/contract.ts';
import { LockSimulator } from '../drivers/modbus/lock-simulator.ts';
import type { AnyReading } from '../drivers/registry.ts';
import { freePort } from '../test/helpers/ports.ts';
import { EdgeConfig } from './config.ts';
import { EdgeDevices, ErrorBudget, policyFor } from './devices.ts';
import { EdgeJournal } from './journal.ts';
import { manualTimeSource } from './time-source.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function journal(): EdgeJournal {
  const dir = mkdtempSync(join(tmpdir(), 'bg-devices-'));
  const j = new EdgeJournal({ file: join(dir, 'j.sqlite'), gatewayId: 'GW-1', time: manualTimeSource(), quotaBytes: 1e8, synchronous: 'NORMAL' });
  cleanups.push(() => (j.close(), rmSync(dir, { recursive: true, force: true })));
  return j;
}
const events = (j: EdgeJournal) => j.readFrom(1, 10_000).map((r) => JSON.parse(r.json) as { type: string; deviceId?: string; payload: Record<string, unknown> });
const quiet = pino({ level: 'silent' });

describe('device error budget (pure)', () => {
  it('journals ten errors a minute per device and summarises the rest', () => {
    const b = new ErrorBudget(10);
    const admitted = Array.from({ length: 25 }, (_, i) => b.admit(1000 + i).journal);
    expect(admitted.filter(Boolean)).toHaveLength(10);
    expect(b.admit(61_000)).toEqual({ journal: true, suppressedBefore: 15 });
    expect(b.admit(61_001)).toEqual({ journal: true, suppressedBefore: 0 });
  });

  it('restarts polled devices when quiet, never scanners', () => {
    expect(policyFor('modbus-plc').restartWhenStale).toBe(true);
    expect(policyFor('opcua').restartWhenStale).toBe(true);
    expect(policyFor('serial-scanner').restartWhenStale).toBe(false);
  });
});

describe('the gateway devices under the supervisor', () => {
  it('journals a barrier controller going up, down when it dies and up again when it returns; commands reach it', async () => {
    const port = await freePort();
    const map = { openCoil: 0, openedInput: 0, forcedInput: 1 };
    let sim = new LockSimulator(map);
    await sim.start(port);
    cleanups.push(() => sim.stop());
    const j = journal();
    const config = EdgeConfig.parse({
      gatewayId: 'GW-1',
      hub: { mqttUrl: 'mqtt://127.0.0.1:1', password: 'x' },
      devices: [{ kind: 'modbus-lock', id: 'exit-barrier', tcp: { host: '127.0.0.1', port, timeoutMs: 300 }, lock: { map, pollMs: 50 } }],
    });
    const devices = new EdgeDevices(config.devices, j, 'GATE-1', quiet);
    const readings: AnyReading[] = [];
    devices.onReading((id, r) => id === 'exit-barrier' && readings.push(r));
    devices.start();
    cleanups.push(() => devices.stop());

    await vi.waitFor(() => expect(events(j)).toContainEqual(expect.objectContaining({ type: 'device.health', deviceId: 'exit-barrier', payload: { status: 'up' } })), { timeout: 5000 });
    expect(await devices.send('exit-barrier', 'open')).toEqual({ ok: true });
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'lock.state', open: true })), { timeout: 3000 });
    expect(await devices.send('nope', 'open')).toMatchObject({ ok: false, code: 'UNKNOWN_DEVICE' });

    await sim.stop();
    await vi.waitFor(() => expect(events(j)).toContainEqual(expect.objectContaining({ type: 'device.health', payload: expect.objectContaining({ status: 'down' }) })), { timeout: 8000 });
    expect(events(j).some((e) => e.type === 'device.error' && e.deviceId === 'exit-barrier')).toBe(true);

    sim = new LockSimulator(map);
    await sim.start(port);
    await vi.waitFor(() => expect(events(j).filter((e) => e.type === 'device.health').map((e) => e.payload.status)).toEqual(['up', 'down', 'up']), { timeout: 10_000 });
    expect(devices.status()[0]).toMatchObject({ id: 'exit-barrier', state: 'up' });
    expect(devices.status()[0]!.reconnects).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('journals domain events a driver emits (a seal opened outside the fence) and caps an error flood', async () => {
    class Noisy extends DriverBase<AnyReading, never> {
      async start(): Promise<void> {
        this.h.connected = true;
        this.h.lastReadingMs = Date.now();
        this.emit({ type: 'fence.breached', fenceId: 'ZONE-1', sealId: 'HLD:ES-1', lat: 22.6, lon: 114.1, confidence: 'high', atMs: Date.now() });
        for (let i = 0; i < 50; i++) this.emit({ kind: 'device.error', reason: `garbage ${i}`, rawHex: 'ff00', atMs: Date.now() });
      }
      async send(): Promise<CommandResult> {
        return { ok: true };
      }
    }
    const j = journal();
    const config = EdgeConfig.parse({ gatewayId: 'GW-1', hub: { mqttUrl: 'mqtt://127.0.0.1:1', password: 'x' }, devices: [{ kind: 'eseal-mqtt', id: 'seals', seals: { brokerUrl: 'mqtt://127.0.0.1:1', monitor: { zone: { fenceId: 'ZONE-1', fence: { kind: 'circle', center: [22.55, 114.06], radiusM: 500 } } } } }] });
    const devices = new EdgeDevices(config.devices, j, 'GW-1', quiet, undefined, () => new Noisy());
    devices.start();
    cleanups.push(() => devices.stop());
    await vi.waitFor(() => expect(events(j).filter((e) => e.type === 'device.error')).toHaveLength(10), { timeout: 5000 });
    expect(events(j)).toContainEqual(expect.objectContaining({ type: 'fence.breached', deviceId: 'seals', payload: { fenceId: 'ZONE-1', sealId: 'HLD:ES-1', lat: 22.6, lon: 114.1, confidence: 'high' } }));
  });

  it('refuses a station naming a device the gateway does not drive', () => {
    const lock = { kind: 'modbus-lock', id: 'barrier', tcp: { host: 'h' }, lock: { map: { openCoil: 0, openedInput: 0 } } };
    const r = EdgeConfig.safeParse({ gatewayId: 'GW-1', hub: { mqttUrl: 'mqtt://h', password: 'x' }, devices: [lock], stations: [{ kind: 'gate', id: 'G1', gate: { laneId: 'L1', direction: 'in' }, devices: { barrier: 'barrier', weighbridge: 'scale-9' } }] });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toMatch(/device \\"scale-9\\" is not in devices \(known: barrier\)/);
    expect(r.error!.issues[0]!.path).toEqual(['stations', 0, 'devices', 'weighbridge']);
  });

  it('refuses duplicate device ids in the edge config', () => {
    const d = { kind: 'modbus-lock', id: 'a', tcp: { host: 'h' }, lock: { map: { openCoil: 0, openedInput: 0 } } };
    expect(() => EdgeConfig.parse({ gatewayId: 'GW-1', hub: { mqttUrl: 'mqtt://h', password: 'x' }, devices: [d, d] })).toThrow(/device ids must be unique/);
  });
});
