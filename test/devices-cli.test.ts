import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ScaleConfig, ScaleDriver, type ScaleReading } from '../drivers/scale/driver.ts';
import { renderFrame } from '../drivers/scale/simulator.ts';
import { SerialConfig, serialTransport } from '../drivers/transport/serial.ts';
import { spawnNode } from './helpers/processes.ts';
import { socatAvailable, startPtyPair } from './helpers/pty.ts';
import { requireService } from './helpers/services.ts';

/** The installer's CLI, as a separate process: probe a scale on a serial port and see decoded readings live. */
const CLI = resolve(import.meta.dirname, '../bin/bondgate.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bg-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = requireService('socat', socatAvailable());

describe('bondgate devices', () => {
  it('lists serial ports and input devices', async () => {
    const p = spawnNode([CLI, 'devices', 'list'], { name: 'devices-list' });
    expect((await p.exited).code).toBe(0);
    expect(p.output()).toMatch(/Serial ports/);
    expect(p.output()).toMatch(/Keyboard-wedge scanners/);
  });

  it('refuses a bad device config, naming the field', async () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ kind: 'scale', id: 'scale-1', serial: { path: '/dev/null' }, scale: { protocol: 'nonsense' } }));
    const p = spawnNode([CLI, 'devices', 'probe', '--config', f], { name: 'probe-bad' });
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toMatch(/scale\.protocol/);
  });

  it.skipIf(!run)('probes a scale on a serial port and prints its readings', async () => {
    const pty = await startPtyPair();
    const f = join(dir, 'scale.json');
    writeFileSync(f, JSON.stringify({ kind: 'scale', id: 'scale-1', serial: { path: pty.host }, scale: { protocol: 'ad-ascii' } }));
    const p = spawnNode([CLI, 'devices', 'probe', '--config', f], { name: 'probe-scale' });
    try {
      await p.waitForOutput(/probing scale "scale-1"/, 15_000);
      const dev = await serialTransport(SerialConfig.parse({ path: pty.device }))();
      for (let i = 0; i < 5; i++) await dev.write(renderFrame('ad-ascii', 12.5, true));
      await dev.write(Buffer.from('garbage\r\n'));
      await p.waitForOutput(/scale-1 {2}weight {2}\{"weightKg":12\.5/, 5000);
      await p.waitForOutput(/scale-1 {2}device\.error/, 5000);
      await dev.close();
    } finally {
      p.kill('SIGTERM');
      await p.exited;
      await pty.close();
    }
  }, 30_000);
});

describe.skipIf(!run)('bondgate sim', () => {
  it('runs a Toledo scale on a pty that a scale driver weighs from', async () => {
    const p = spawnNode([CLI, 'sim', 'scale', '--pty', '--protocol', 'toledo-continuous', '--noise'], { name: 'sim-scale' });
    try {
      const line = await p.waitForOutput(/point the driver at (\S+)/, 15_000);
      const path = /point the driver at (\S+)/.exec(line)![1]!;
      const driver = new ScaleDriver(ScaleConfig.parse({ protocol: 'toledo-continuous' }), serialTransport(SerialConfig.parse({ path })));
      const readings: ScaleReading[] = [];
      driver.onReading((r) => readings.push(r));
      const abort = new AbortController();
      await driver.start(abort.signal);
      await vi.waitFor(() => expect(readings.some((r) => r.kind === 'weight' && r.weightKg > 0)).toBe(true), { timeout: 5000 });
      abort.abort();
    } finally {
      p.kill('SIGTERM');
      await p.exited;
    }
  }, 30_000);
});

describe('bondgate sim rfid + devices probe', () => {
  it('probes a simulated LLRP reader and prints tag sightings with their GS1 keys', async () => {
    const { freePort } = await import('./helpers/ports.ts');
    const port = await freePort();
    const sim = spawnNode([CLI, 'sim', 'rfid', '--port', String(port)], { name: 'sim-rfid' });
    const f = join(dir, 'reader.json');
    writeFileSync(f, JSON.stringify({ kind: 'llrp-reader', id: 'portal-1', tcp: { host: '127.0.0.1', port } }));
    let probe: ReturnType<typeof spawnNode> | undefined;
    try {
      await sim.waitForOutput(/LLRP reader on 127\.0\.0\.1:\d+/, 15_000);
      probe = spawnNode([CLI, 'devices', 'probe', '--config', f], { name: 'probe-reader' });
      await probe.waitForOutput(/portal-1 {2}rfid\.sighting .*"gs1":"\(01\)80614141123458\(21\)6789"/, 15_000);
      await probe.waitForOutput(/"gs1":"\(00\)106141412345678908"/, 5000);
    } finally {
      probe?.kill('SIGTERM');
      sim.kill('SIGTERM');
      await Promise.all([probe?.exited, sim.exited]);
    }
  }, 40_000);
});

describe('bondgate sim xray-line + devices probe', () => {
  it('probes a simulated X-ray line over OPC UA and prints photo-eyes and verdicts', async () => {
    const { freePort } = await import('./helpers/ports.ts');
    const { xrayLineDriverConfig } = await import('../drivers/opcua/driver.ts');
    const port = await freePort();
    const sim = spawnNode([CLI, 'sim', 'xray-line', '--port', String(port), '--rate', '4'], { name: 'sim-xray' });
    const f = join(dir, 'xray.json');
    writeFileSync(f, JSON.stringify({ kind: 'opcua', id: 'xray-line', opcua: xrayLineDriverConfig(`opc.tcp://127.0.0.1:${port}`, join(dir, 'pki-client')) }));
    let probe: ReturnType<typeof spawnNode> | undefined;
    try {
      await sim.waitForOutput(/X-ray inspection line on opc\.tcp:\/\/127\.0\.0\.1:\d+/, 30_000);
      probe = spawnNode([CLI, 'devices', 'probe', '--config', f], { name: 'probe-xray' });
      await probe.waitForOutput(/xray-line {2}opcua\.value {2}\{"name":"eye\.entry","value":true/, 30_000);
      await probe.waitForOutput(/xray-line {2}opcua\.event {2}\{"name":"xray\.verdict","fields":\{[^}]*"ParcelId":"EA\d{9}CN"/, 15_000);
    } finally {
      probe?.kill('SIGTERM');
      sim.kill('SIGTERM');
      await Promise.all([probe?.exited, sim.exited]);
    }
  }, 60_000);
});
