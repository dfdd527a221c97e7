import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import bwipjs from 'bwip-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { drawEan13 } from '../../test/helpers/barcode-frames.ts';
import { CameraScannerConfig, CameraScannerDriver, freshCodes, type CameraReading } from './camera-scanner.ts';

/** A camera's HTTP snapshot endpoint, served for real; the frame it returns is whatever the test puts under it. */
const render = (bcid: string, text: string) => bwipjs.toBuffer({ bcid, text, scale: 3, height: 12, paddingwidth: 30, paddingheight: 30, backgroundcolor: 'FFFFFF' });

let server: Server | undefined;
afterEach(() => server?.close());

async function camera(): Promise<{ url: string; show(img: Buffer | null): void; requests(): number }> {
  let frame: Buffer | null = null;
  let n = 0;
  server = createServer((_req, res) => {
    n += 1;
    if (!frame) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'image/png' }).end(frame);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/snapshot.png`, show: (img) => (frame = img), requests: () => n };
}

describe('camera scanner', () => {
  it('reports each code under the camera once, then the next parcel, and goes down when the camera fails', async () => {
    const cam = await camera();
    cam.show(await render('code128', 'EA123456785CN'));
    const driver = new CameraScannerDriver(CameraScannerConfig.parse({ url: cam.url, intervalMs: 60, repeatAfterMs: 60_000 }));
    const readings: CameraReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    await vi.waitFor(() => expect(cam.requests()).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
    expect(readings).toHaveLength(1); // many frames of the same parcel: one read
    expect(readings[0]).toMatchObject({ kind: 'scan', read: { kind: 's10', value: 'EA123456785CN' }, format: 'Code128' });

    cam.show(await render('qrcode', 'RR000000005CN'));
    await vi.waitFor(() => expect(readings).toHaveLength(2), { timeout: 10_000 });
    expect(readings[1]).toMatchObject({ kind: 'scan', read: { kind: 's10', value: 'RR000000005CN' } });
    expect(driver.health()).toMatchObject({ connected: true, errors: 0 });

    cam.show(null);
    await vi.waitFor(() => expect(driver.health().connected).toBe(false), { timeout: 10_000 });
    expect(readings.at(-1)).toMatchObject({ kind: 'device.error', reason: expect.stringMatching(/HTTP 503/) });
    abort.abort();
  });

  it('fails to start when the camera is unreachable, so the supervisor backs off', async () => {
    const cam = await camera();
    const driver = new CameraScannerDriver(CameraScannerConfig.parse({ url: cam.url }));
    await expect(driver.start(new AbortController().signal)).rejects.toThrow(/HTTP 503/);
  });

  it('reads a snapshot file and takes a triggered snapshot on command', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'bg-cam-'));
    const file = join(dir, 'frame.png');
    writeFileSync(file, await render('datamatrix', 'EA123456785CN'));
    const driver = new CameraScannerDriver(CameraScannerConfig.parse({ file, intervalMs: 60_000 }));
    const readings: CameraReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    expect(readings).toMatchObject([{ kind: 'scan', read: { kind: 's10' }, format: 'DataMatrix' }]);
    writeFileSync(file, Buffer.from('torn write'));
    expect(await driver.send('snapshot')).toMatchObject({ ok: false, code: 'COMMAND_FAILED' });
    expect(readings.at(-1)).toMatchObject({ kind: 'device.error' });
    abort.abort();
    rmSync(dir, { recursive: true, force: true });
  });

  it('emits a read that fails its check digit as scan.rejected with its text, never as a code, once per window', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'bg-cam-'));
    const file = join(dir, 'frame.png');
    writeFileSync(file, await drawEan13('6901234000017'));
    const driver = new CameraScannerDriver(CameraScannerConfig.parse({ file, intervalMs: 60_000 }));
    const readings: CameraReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    expect(await driver.send('snapshot')).toMatchObject({ ok: true });
    expect(readings).toEqual([{ kind: 'scan.rejected', raw: ']E06901234000017', reason: expect.stringMatching(/check/i), format: 'EAN13', atMs: expect.any(Number) }]);
    abort.abort();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps binary content: the bytes as hex beside the raw read, never an empty read', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'bg-cam-'));
    const file = join(dir, 'frame.png');
    writeFileSync(file, await bwipjs.toBuffer({ bcid: 'datamatrix', text: '^000^001^255^128ABC', parse: true, scale: 4, paddingwidth: 30, paddingheight: 30, backgroundcolor: 'FFFFFF' }));
    const driver = new CameraScannerDriver(CameraScannerConfig.parse({ file, intervalMs: 60_000 }));
    const readings: CameraReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    // Not a waybill or GS1 string, so the station gets a rejection — with the bytes it can keep and show.
    expect(readings).toEqual([expect.objectContaining({ kind: 'scan.rejected', raw: ']d1\x00\x01\xff\x80ABC', format: 'DataMatrix', bytesHex: '0001ff80414243', eci: false })]);
    abort.abort();
    rmSync(dir, { recursive: true, force: true });
  });

  it('defaults to one symbol of the label formats; formats and maxSymbols are checked', () => {
    expect(CameraScannerConfig.parse({ file: '/tmp/x' })).toMatchObject({ maxSymbols: 1, formats: ['Code128', 'EAN13', 'UPCA', 'EAN8', 'QRCode', 'DataMatrix'] });
    expect(() => CameraScannerConfig.parse({ file: '/tmp/x', formats: ['Snapcode'] })).toThrow();
    expect(() => CameraScannerConfig.parse({ file: '/tmp/x', maxSymbols: 0 })).toThrow();
  });

  it('de-duplicates by time window (pure)', () => {
    const seen = new Map<string, number>();
    expect(freshCodes(['A', 'B', 'A'], seen, 0, 1000)).toEqual(['A', 'B']);
    expect(freshCodes(['A'], seen, 500, 1000)).toEqual([]);
    expect(freshCodes(['A', 'C'], seen, 1000, 1000)).toEqual(['A', 'C']);
  });

  it('needs exactly one image source', () => {
    expect(() => CameraScannerConfig.parse({})).toThrow(/exactly one of url or file/);
    expect(() => CameraScannerConfig.parse({ url: 'http://cam/s.jpg', file: '/tmp/x' })).toThrow(/exactly one/);
  });
});
