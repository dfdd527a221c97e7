import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SerialConfig, serialTransport } from '../drivers/transport/serial.ts';
import { startEdge, type RunningEdge } from '../edge/agent.ts';
import { EdgeConfig } from '../edge/config.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { socatAvailable, startPtyPair } from './helpers/pty.ts';
import { requireService } from './helpers/services.ts';

/**
 * The serial scanner → inspection station path at line speed (issue 14): thousands of lines written to a pty as fast
 * as it takes them, into a scanner-only gateway. Every line the driver reads is journalled as its own `scan.read`
 * exactly once, and becomes its own parcel, decided in scan order. Nothing waits on wall-clock speed: the test waits
 * for the journal to hold what it must.
 */
const log = createLogger('test', 'silent');
const run = requireService('socat', socatAvailable());
const dir = mkdtempSync(join(tmpdir(), 'bg-scanpath-'));
const stops: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  rmSync(dir, { recursive: true, force: true });
});

type Row = { seq: number; type: string; deviceId?: string; parcelKey?: string; payload: Record<string, unknown> };

describe.skipIf(!run)('scan path: pty → serial scanner → journal → inspection station', () => {
  let edge: RunningEdge | undefined;

  it('3,000 lines written back to back: each read journalled exactly once and each its own parcel, in scan order', async () => {
    const pty = await startPtyPair();
    stops.push(pty.close);
    const scanner = await serialTransport(SerialConfig.parse({ path: pty.device }))();
    stops.push(() => scanner.close());
    edge = await startEdge(
      parseConfig(
        EdgeConfig,
        {
          gatewayId: 'GW-SCAN',
          dataDir: join(dir, 'edge'),
          hub: { mqttUrl: 'mqtt://127.0.0.1:1', password: 'password-of-scan' }, // no hub: the journal is what we check
          http: { host: '127.0.0.1', port: 0 },
          clock: { sync: 'assume-synced' },
          journal: { synchronous: 'NORMAL' },
          devices: [{ kind: 'serial-scanner', id: 'scanner-1', serial: { path: pty.host }, scanner: { terminator: 'CR' } }],
          // The README's defaults for the line, with a short decision time so the test need not wait 5 s per parcel.
          stations: [{ kind: 'inspection', id: 'LINE-1', line: { lineId: 'LINE-1', decideTimeoutMs: 50 }, devices: { scanners: ['scanner-1'] } }],
        },
        'test',
      ),
      log,
    );
    const e = edge;
    stops.push(() => e.stop());
    await vi.waitFor(() => expect(e.devices!.status()[0]!.state).toBe('up'), { timeout: 10_000 });

    const N = 3000;
    // Distinct waybills and, every 100th line, one no identifier pattern accepts (kept with its text and reason).
    const lines = Array.from({ length: N }, (_, i) => (i % 100 === 99 ? `NOREAD #${i}` : `JDX${String(i).padStart(12, '0')}`));
    const bytes = Buffer.from(lines.map((l) => `${l}\r`).join(''), 'latin1');
    for (let at = 0; at < bytes.length; at += 4096) await scanner.write(bytes.subarray(at, at + 4096));

    const journalled = () => e.journal.readFrom(1, 100_000).map((r) => ({ seq: r.seq, ...(JSON.parse(r.json) as Omit<Row, 'seq'>) }));
    // Each line is either read, or (only the very first, if it came before the line had been quiet since the port
    // opened) discarded as a fragment that may have begun before the open, and reported with its bytes.
    await vi.waitFor(
      () => {
        const rows = journalled();
        const reads = rows.filter((r) => r.type === 'scan.read').length;
        const fragments = rows.filter((r) => r.type === 'device.error' && String(r.payload.reason).includes('before the port opened')).length;
        expect(reads + fragments).toBe(N);
        expect(rows.filter((r) => r.type === 'parcel.inspected')).toHaveLength(reads);
      },
      { timeout: 120_000, interval: 250 },
    );
    const rows = journalled();
    const reads = rows.filter((r) => r.type === 'scan.read');
    const fragments = rows.filter((r) => r.type === 'device.error' && String(r.payload.reason).includes('before the port opened'));
    expect(fragments.length).toBeLessThanOrEqual(1);
    if (fragments.length === 1) expect(fragments[0]!.payload.rawHex).toBe(Buffer.from(`${lines[0]}\r`).toString('hex'));
    const expected = lines.slice(fragments.length);
    // Exactly once, in the order the scanner sent them.
    expect(reads.map((r) => r.payload.text)).toEqual(expected);
    expect(reads.every((r) => r.deviceId === 'scanner-1')).toBe(true);
    const rejected = reads.filter((r) => r.payload.accepted === false);
    expect(rejected.map((r) => r.payload.text)).toEqual(expected.filter((l) => l.startsWith('NOREAD')));
    expect(rejected.every((r) => typeof r.payload.reason === 'string' && (r.payload.reason as string).length > 0)).toBe(true);

    // One parcel per read: no two waybills fused, decisions journalled in scan order, each after its read.
    const inspected = rows.filter((r) => r.type === 'parcel.inspected');
    const parcelReads = inspected.map((r) => {
      const p = r.payload as { codes: string[]; rejectedReads?: { text: string }[]; scanSeq: number };
      return { read: p.codes[0] ?? p.rejectedReads![0]!.text, n: p.codes.length + (p.rejectedReads?.length ?? 0), scanSeq: p.scanSeq };
    });
    expect(parcelReads.every((p) => p.n === 1)).toBe(true);
    expect(parcelReads.map((p) => p.read)).toEqual(expected);
    expect(parcelReads.map((p) => p.scanSeq)).toEqual(expected.map((_, i) => i + 1));
    const readSeq = new Map(reads.map((r) => [r.payload.text as string, r.seq]));
    expect(inspected.every((r, i) => readSeq.get(parcelReads[i]!.read)! < r.seq)).toBe(true);
    expect(rows.some((r) => r.type === 'station.exception')).toBe(false);
  }, 180_000);
});
