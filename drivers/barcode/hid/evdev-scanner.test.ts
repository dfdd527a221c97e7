import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { evdevTransport } from '../../transport/evdev.ts';
import type { ScanReading } from '../serial-scanner.ts';
import { EvdevScannerConfig, EvdevScannerDriver } from './evdev-scanner.ts';

/**
 * The keyboard-wedge driver reading a FIFO that carries real 24-byte input_event structs, as /dev/input/eventN does.
 */
const dir = mkdtempSync(join(tmpdir(), 'bg-evdev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ev(type: number, code: number, value: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigInt64LE(1_717_000_000n, 0);
  b.writeUInt16LE(type, 16);
  b.writeUInt16LE(code, 18);
  b.writeInt32LE(value, 20);
  return b;
}
const tap = (code: number, shift = false) => [
  ...(shift ? [ev(1, 42, 1)] : []),
  ev(1, code, 1),
  ev(0, 0, 0),
  ev(1, code, 0),
  ...(shift ? [ev(1, 42, 0)] : []),
  ev(0, 0, 0),
];
// Linux key codes: E=18 A=30 C=46 N=49, digits 1..9 = 2..10, 0 = 11, Enter = 28.
const DIGIT: Record<string, number> = { '0': 11, '1': 2, '2': 3, '3': 4, '4': 5, '5': 6, '6': 7, '7': 8, '8': 9, '9': 10 };
const LETTER: Record<string, number> = { E: 18, A: 30, C: 46, N: 49 };
const typed = (text: string) => Buffer.concat([...[...text].flatMap((ch) => (DIGIT[ch] !== undefined ? tap(DIGIT[ch]!) : tap(LETTER[ch]!, true))), ...tap(28)]);

describe('keyboard-wedge scanner from an input event stream', () => {
  it('decodes typed scans and classifies them', async () => {
    const fifo = join(dir, 'event0');
    execFileSync('mkfifo', [fifo]);
    const driver = new EvdevScannerDriver(EvdevScannerConfig.parse({}), evdevTransport(fifo, 'preferred'));
    const readings: ScanReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    const writer = createWriteStream(fifo); // opening a FIFO blocks until both ends are open
    await driver.start(abort.signal);
    writer.write(typed('EA123456785CN'));
    writer.write(typed('EA123456789CN'));
        await vi.waitFor(() => expect(readings).toHaveLength(3), { timeout: 5000 });
    // A FIFO is no input device: the grab fails with ENOTTY and the driver says so before reading on.
    expect(readings[0]).toMatchObject({ kind: 'device.error', reason: expect.stringMatching(/without an exclusive grab.*ENOTTY/) });
    expect(readings[1]).toMatchObject({ kind: 'scan', read: { kind: 's10', value: 'EA123456785CN' } });
    expect(readings[2]).toMatchObject({ kind: 'scan.rejected', reason: expect.stringMatching(/check digit/) });
    expect(driver.health()).toMatchObject({ connected: true, garbage: 0, errors: 1 });
    writer.end();
    await vi.waitFor(() => expect(driver.health().connected).toBe(false), { timeout: 5000 });
    abort.abort();
  });

  it('refuses a device it cannot grab when the grab is required', async () => {
    const fifo = join(dir, 'event1');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    const driver = new EvdevScannerDriver(EvdevScannerConfig.parse({ grab: 'required' }), evdevTransport(fifo, 'required'));
    await expect(driver.start(new AbortController().signal)).rejects.toThrow(/exclusive grab required but EVIOCGRAB failed: ENOTTY/);
    writer.destroy();
  });

  it('rejects an unknown grab mode in config', () => {
    expect(() => EvdevScannerConfig.parse({ grab: 'always' })).toThrow(/grab/);
  });
});
