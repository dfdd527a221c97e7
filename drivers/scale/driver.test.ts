import { afterEach, describe, expect, it, vi } from 'vitest';
import { socatAvailable, startPtyPair } from '../../test/helpers/pty.ts';
import { requireService } from '../../test/helpers/services.ts';
import { serialTransport, SerialConfig } from '../transport/serial.ts';
import { ScaleConfig, ScaleDriver, type ScaleReading } from './driver.ts';
import { play, renderFrame, type SimProtocol } from './simulator.ts';

/** The scale driver over a real serial transport: a socat pty pair, the simulator on one end, the driver on the other. */
const run = requireService('socat', socatAvailable());
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(protocol: SimProtocol, extra: Partial<ScaleConfig> = {}) {
  const pty = await startPtyPair();
  cleanups.push(pty.close);
  const device = await serialTransport(SerialConfig.parse({ path: pty.device }))();
  cleanups.push(() => device.close());
  const driver = new ScaleDriver(ScaleConfig.parse({ protocol, ...extra }), serialTransport(SerialConfig.parse({ path: pty.host })));
  const readings: ScaleReading[] = [];
  driver.onReading((r) => readings.push(r));
  const abort = new AbortController();
  await driver.start(abort.signal);
  cleanups.push(async () => abort.abort());
  return { device, driver, readings };
}

const settle = (kg: number, n = 6) => [
  { weightKg: kg * 0.4, stable: false },
  { weightKg: kg * 0.9, stable: false },
  ...Array.from({ length: n }, () => ({ weightKg: kg, stable: true })),
];

describe.skipIf(!run)('scale driver over a pty', () => {
  it.each(['ad-ascii', 'toledo-continuous', 'mt-sics'] as const)('%s: emits one stable weight per settled load', async (protocol) => {
    const { device, readings, driver } = await rig(protocol);
    await play(device, protocol, [...settle(12.345), ...settle(3.5)]);
    await vi.waitFor(() => expect(readings.filter((r) => r.kind === 'weight').map((r) => (r as { weightKg: number }).weightKg)).toEqual([12.345, 3.5]), { timeout: 3000 });
    expect(driver.health()).toMatchObject({ connected: true, garbage: 0 });
    expect(driver.health().lastReadingMs).toBeGreaterThan(0);
  });

  it('xk3190 (no stability flag): stable after N readings within tolerance', async () => {
    const { device, readings } = await rig('xk3190', { stability: { count: 4, toleranceKg: 0.01 } });
    await play(device, 'xk3190', [{ weightKg: 5, stable: false }, { weightKg: 20.5, stable: false }, { weightKg: 20.51, stable: false }, { weightKg: 20.5, stable: false }, { weightKg: 20.49, stable: false }]);
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'weight', weightKg: 20.5 })), { timeout: 3000 });
    expect(readings.filter((r) => r.kind === 'weight')).toHaveLength(1);
  });

  it('turns garbage on the wire into device.error readings and keeps reading', async () => {
    const { device, readings, driver } = await rig('ad-ascii');
    await device.write(Buffer.from([0xff, 0x00, 0x13, 0x0d, 0x0a]));
    await device.write(Buffer.from('ST,GS,+abc\r\n'));
    await play(device, 'ad-ascii', settle(7.25));
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'weight', weightKg: 7.25 })), { timeout: 3000 });
    const errors = readings.filter((r) => r.kind === 'device.error');
    expect(errors.length).toBe(2);
    expect(errors[0]).toMatchObject({ rawHex: 'ff0013' });
    expect(driver.health().garbage).toBe(2);
  });

  it('sends zero and tare to an MT-SICS scale; refuses them where the protocol has none', async () => {
    const { device, driver } = await rig('mt-sics');
    const received: string[] = [];
    device.onData((b) => received.push(Buffer.from(b).toString('latin1')));
    await expect(driver.send('zero')).resolves.toEqual({ ok: true });
    await expect(driver.send('tare')).resolves.toEqual({ ok: true });
    await vi.waitFor(() => expect(received.join('')).toContain('Z\r\nT\r\n'), { timeout: 2000 });
    const ad = await rig('ad-ascii');
    await expect(ad.driver.send('tare')).resolves.toMatchObject({ ok: false, code: 'UNSUPPORTED' });
    expect(renderFrame('mt-sics', 1, true).toString('latin1')).toBe('S S     1.000 kg\r\n');
  });
});
