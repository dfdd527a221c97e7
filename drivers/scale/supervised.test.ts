import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { socatAvailable, startPtyPair } from '../../test/helpers/pty.ts';
import { requireService } from '../../test/helpers/services.ts';
import { Supervisor } from '../supervisor.ts';
import { SerialConfig, serialTransport } from '../transport/serial.ts';
import { ScaleConfig, ScaleDriver, type ScaleReading } from './driver.ts';
import { renderFrame } from './simulator.ts';

/** Unplug and replug: the serial device disappears (socat killed) and comes back at the same path. */
const run = requireService('socat', socatAvailable());
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!run)('supervised scale', () => {
  it('goes down when unplugged, reconnects when plugged back, and weighs again', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-replug-'));
    let pty = await startPtyPair(dir);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const readings: ScaleReading[] = [];
    const sup = new Supervisor({ now: Date.now, setInterval: (fn, ms) => { const t = setInterval(fn, ms); return { stop: () => clearInterval(t) }; } }, 20);
    sup.add(
      'scale-1',
      () => {
        const d = new ScaleDriver(ScaleConfig.parse({ protocol: 'ad-ascii' }), serialTransport(SerialConfig.parse({ path: pty.host })));
        d.onReading((r) => readings.push(r));
        return d;
      },
      { staleAfterMs: 60_000, restartWhenStale: false, backoffMinMs: 50, backoffMaxMs: 200 },
    );
    sup.start();
    cleanups.push(() => sup.stop());

    const feed = async (kg: number) => {
      const dev = await serialTransport(SerialConfig.parse({ path: pty.device }))();
      for (let i = 0; i < 6; i++) await dev.write(renderFrame('ad-ascii', kg, true));
      await dev.close();
    };
    await vi.waitFor(() => expect(sup.status()[0]!.health?.connected).toBe(true), { timeout: 10_000 });
    await feed(4.2);
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'weight', weightKg: 4.2 })), { timeout: 10_000 });
    await vi.waitFor(() => expect(sup.status()[0]!.state).toBe('up'), { timeout: 5000 });

    await pty.close(); // unplugged
    await vi.waitFor(() => expect(sup.status()[0]!.state).toBe('down'), { timeout: 10_000 });
    pty = await startPtyPair(dir); // plugged back at the same path
    cleanups.push(() => pty.close());
    await vi.waitFor(() => expect(sup.status()[0]!.health?.connected).toBe(true), { timeout: 10_000 });
    await feed(9.75);
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'weight', weightKg: 9.75 })), { timeout: 10_000 });
    await vi.waitFor(() => expect(sup.status()[0]).toMatchObject({ state: 'up' }), { timeout: 5000 });
    expect(sup.status()[0]!.reconnects).toBeGreaterThanOrEqual(1);
  });
});
