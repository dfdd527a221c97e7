import { afterEach, describe, expect, it, vi } from 'vitest';
import { socatAvailable, startPtyPair } from '../../test/helpers/pty.ts';
import { requireService } from '../../test/helpers/services.ts';
import { SerialConfig, serialTransport } from '../transport/serial.ts';
import { ReadSplitter, SerialScannerConfig, SerialScannerDriver, type ScanReading } from './serial-scanner.ts';

const GS = '\x1d';
const LABEL = `]C10036901234000000001702169012340000133748${GS}3301000125400PO-2024-001${GS}420518000`;

describe('ReadSplitter', () => {
  it.each([
    ['CR', 'EA123456785CN\rSF1234567890123\r', ['EA123456785CN', 'SF1234567890123']],
    ['LF', 'A-1\nB-2\n', ['A-1', 'B-2']],
    ['CRLF', 'A-1\r\nB-2\r\n', ['A-1', 'B-2']],
    ['CR', 'A-1\r\nB-2\r\n', ['A-1', 'B-2']], // a CRLF scanner configured as CR
  ] as const)('%s', (terminator, input, reads) => {
    const s = new ReadSplitter(SerialScannerConfig.parse({ terminator }));
    const out: string[] = [];
    for (const ch of Buffer.from(input, 'latin1')) out.push(...s.push(Buffer.of(ch)).reads);
    expect(out).toEqual(reads);
  });
  it('reports a read with no terminator past maxLength', () => {
    const s = new ReadSplitter(SerialScannerConfig.parse({ terminator: 'CR', maxLength: 8 }));
    expect(s.push(Buffer.from('0123456789'))).toEqual({ reads: [], overflow: '0123456789' });
  });
});

const run = requireService('socat', socatAvailable());
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(config: Partial<SerialScannerConfig>) {
  const pty = await startPtyPair();
  cleanups.push(pty.close);
  const device = await serialTransport(SerialConfig.parse({ path: pty.device }))();
  cleanups.push(() => device.close());
  const driver = new SerialScannerDriver(SerialScannerConfig.parse(config), serialTransport(SerialConfig.parse({ path: pty.host })));
  const readings: ScanReading[] = [];
  driver.onReading((r) => readings.push(r));
  const abort = new AbortController();
  await driver.start(abort.signal);
  cleanups.push(() => abort.abort());
  return { device, driver, readings };
}

describe.skipIf(!run)('serial scanner over a pty', () => {
  it('classifies GS1 (GS preserved), S10 and waybill reads; rejects a bad S10 check digit', async () => {
    const { device, readings, driver } = await rig({ terminator: 'CRLF' });
    await device.write(Buffer.from(`${LABEL}\r\nEA123456785CN\r\nJDX000123456789\r\nEA123456789CN\r\n`, 'latin1'));
    await vi.waitFor(() => expect(readings).toHaveLength(4), { timeout: 3000 });
    expect(readings[0]).toMatchObject({ kind: 'scan', read: { kind: 'gs1', symbology: 'gs1-128', derived: { sscc: '369012340000000017', grossWeightKg: 12.5 } } });
    expect(readings[1]).toMatchObject({ kind: 'scan', read: { kind: 's10', value: 'EA123456785CN', country: 'CN' } });
    expect(readings[2]).toMatchObject({ kind: 'scan', read: { kind: 'logistics_no', value: 'JDX000123456789' } });
    expect(readings[3]).toMatchObject({ kind: 'scan.rejected', reason: expect.stringMatching(/check digit/) });
    expect(driver.health().lastReadingMs).toBeGreaterThan(0);
  });

  it('ends reads on silence when the scanner sends no terminator', async () => {
    const { device, readings } = await rig({ terminator: 'none', idleMs: 30 });
    await device.write(Buffer.from('EE000000014CN'));
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'scan', read: expect.objectContaining({ value: 'EE000000014CN' }) })), { timeout: 2000 });
  });

  it('reports garbage without a terminator as a device error with its bytes', async () => {
    const { device, readings, driver } = await rig({ terminator: 'CR', maxLength: 16 });
    await device.write(Buffer.from([0xff, 0xfe, ...Buffer.from('xxxxxxxxxxxxxxxxxxxx')]));
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'device.error', rawHex: expect.stringMatching(/^fffe/) })), { timeout: 2000 });
    expect(driver.health().garbage).toBe(1);
  });
});
