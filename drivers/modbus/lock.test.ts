import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../test/helpers/ports.ts';
import { modbusRtu, modbusTcp } from './client.ts';
import { socatAvailable, startPtyPair } from '../transport/pty.ts';
import { LockConfig, LockDriver, type LockReading } from './lock.ts';
import { LockSimulator } from './lock-simulator.ts';

/** The lock driver against a simulated barrier controller over real Modbus TCP on loopback. */
const MAP = { openCoil: 0, openedInput: 0, forcedInput: 1 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(map: Partial<typeof MAP> = {}) {
  const port = await freePort();
  const sim = new LockSimulator(MAP);
  await sim.start(port);
  cleanups.push(() => sim.stop());
  const driver = new LockDriver(LockConfig.parse({ map: { ...MAP, ...map }, pollMs: 20 }), modbusTcp({ host: '127.0.0.1', port, unitId: 1, timeoutMs: 500 }));
  const readings: LockReading[] = [];
  driver.onReading((r) => readings.push(r));
  const abort = new AbortController();
  await driver.start(abort.signal);
  cleanups.push(() => abort.abort());
  return { sim, driver, readings };
}

describe('Modbus gate lock', () => {
  it('reports the barrier closed, opens and closes it on command', async () => {
    const { sim, driver, readings } = await rig();
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'lock.state', open: false })), { timeout: 20_000 });
    await expect(driver.send('open')).resolves.toEqual({ ok: true });
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'lock.state', open: true })), { timeout: 2000 });
    expect(sim.isOpen).toBe(true);
    await driver.send('close');
    await vi.waitFor(() => expect(readings.filter((r) => r.kind === 'lock.state').map((r) => (r as { open: boolean }).open)).toEqual([false, true, false]), { timeout: 2000 });
    expect(driver.health()).toMatchObject({ connected: true, errors: 0 });
  });

  it('raises a forced-open alarm when the barrier rises without a command', async () => {
    const { sim, readings } = await rig();
    await vi.waitFor(() => expect(readings.length).toBeGreaterThan(0), { timeout: 20_000 });
    sim.forceOpen();
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'lock.forced_open' })), { timeout: 2000 });
    expect(readings).toContainEqual(expect.objectContaining({ kind: 'lock.state', open: true }));
  });

  it('turns a Modbus exception (wrong address in the map) into device.error readings', async () => {
    const { readings, driver } = await rig({ openedInput: 9 });
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'device.error', reason: expect.stringMatching(/exception 2|illegal/i) })), { timeout: 2000 });
    expect(driver.health().errors).toBeGreaterThan(0);
    expect(driver.health().lastReadingMs).toBeNull();
  });

  it('reports the loss of the controller and refuses commands while it is gone', async () => {
    const { sim, driver, readings } = await rig();
    await vi.waitFor(() => expect(readings.length).toBeGreaterThan(0), { timeout: 20_000 });
    await sim.stop();
    await vi.waitFor(() => expect(driver.health().connected).toBe(false), { timeout: 3000 });
    expect(readings.some((r) => r.kind === 'device.error')).toBe(true);
    await expect(driver.send('open')).resolves.toMatchObject({ ok: false, code: 'DEVICE_DISCONNECTED' });
  });
});

describe.skipIf(!socatAvailable())('Modbus RTU gate lock over a serial line', () => {
  it('opens the barrier and sees it open, over RTU framing on a pty pair', async () => {
    const pty = await startPtyPair();
    cleanups.push(pty.close);
    const sim = new LockSimulator(MAP);
    await sim.start({ serialPath: pty.device });
    cleanups.push(() => sim.stop());
    const driver = new LockDriver(LockConfig.parse({ map: MAP, pollMs: 50 }), modbusRtu({ path: pty.host, baudRate: 9600, unitId: 1, timeoutMs: 1000 }));
    const readings: LockReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    cleanups.push(() => abort.abort());
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'lock.state', open: false })), { timeout: 5000 });
    await expect(driver.send('open')).resolves.toEqual({ ok: true });
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'lock.state', open: true })), { timeout: 5000 });
  });
});
