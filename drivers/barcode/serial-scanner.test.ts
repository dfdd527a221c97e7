import { afterEach, describe, expect, it, vi } from 'vitest';
import { socatAvailable, startPtyPair } from '../../test/helpers/pty.ts';
import { requireService } from '../../test/helpers/services.ts';
import { SerialConfig, serialTransport } from '../transport/serial.ts';
import type { Link } from '../transport/transport.ts';
import { OpenFragment, QUEUE_HIGH_WATER, QUEUE_LOW_WATER, READS_PER_TURN, ReadSplitter, SerialScannerConfig, SerialScannerDriver, type ScanReading } from './serial-scanner.ts';

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

describe('OpenFragment (bytes that began before the port opened)', () => {
  it.each([
    ['CR', ['85CN-8981\rEA123456785CN\r'], '85CN-8981\r', 'EA123456785CN\r'],
    ['CRLF', ['CN-8', '981\r\nEA1', '23456785CN\r\n'], '981\r\n', 'EA1'],
    ['LF', ['\nA-1\n'], '\n', 'A-1\n'],
  ] as const)('%s: discards up to the first terminator, then passes everything through', (terminator, chunks, discarded, firstRest) => {
    const f = new OpenFragment(SerialScannerConfig.parse({ terminator }));
    const outs = chunks.map((c) => f.push(Buffer.from(c, 'latin1')));
    const hit = outs.find((o) => o.discarded !== undefined)!;
    expect(hit.discarded!.endsWith(discarded)).toBe(true);
    expect(Buffer.from(hit.rest!).toString('latin1')).toBe(firstRest);
    expect(f.inStep).toBe(true);
    expect(Buffer.from(f.push(Buffer.from('X\r')).rest!).toString()).toBe('X\r');
  });
  it('after silence nothing is discarded', () => {
    const f = new OpenFragment(SerialScannerConfig.parse({ terminator: 'CR' }));
    f.settle();
    expect(f.push(Buffer.from('EA123456785CN\r'))).toEqual({ rest: Buffer.from('EA123456785CN\r') });
  });
  it('a fragment with no terminator past maxLength is reported as overflow', () => {
    const f = new OpenFragment(SerialScannerConfig.parse({ terminator: 'CR', maxLength: 8 }));
    expect(f.push(Buffer.from('0123456789'))).toEqual({ overflow: '0123456789' });
    expect(f.inStep).toBe(false);
  });
});

/** A link the test feeds by hand, recording flow control. */
function fakeLink() {
  let data: ((b: Uint8Array) => void) | undefined;
  const flow: string[] = [];
  const link: Link = {
    write: async () => undefined,
    onData: (fn) => (data = fn),
    onClose: () => undefined,
    close: async () => undefined,
    pause: () => flow.push('pause'),
    resume: () => flow.push('resume'),
  };
  return { link, flow, feed: (text: string) => data!(Buffer.from(text, 'latin1')) };
}
const nextTurn = () => new Promise((r) => setImmediate(r));
const lines = (n: number) => Array.from({ length: n }, (_, i) => `JDX${String(i).padStart(12, '0')}`);

describe('serial scanner: the open\'s silence is proven by the event loop, not by arrival time (issue 14 item 4)', () => {
  async function opened(openSilenceMs: number) {
    const f = fakeLink();
    const driver = new SerialScannerDriver(SerialScannerConfig.parse({ terminator: 'CR', openSilenceMs }), async () => f.link);
    const readings: ScanReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    return { ...f, driver, readings, abort };
  }
  const scans = (rs: ScanReading[]) => rs.filter((r) => r.kind === 'scan').map((r) => (r as { raw: string }).raw);

  it('bytes that waited while the loop was starved past openSilenceMs are still a fragment (no phantom parcel)', async () => {
    const { feed, readings, driver, abort } = await opened(5);
    // A restart into a backlog: the main thread is busy past the silence period; when the loop turns, the silence
    // timer is due and the port's bytes are waiting. Judged by the clock at arrival they looked like a fresh line.
    // The bytes come as a read completing after the block would: an I/O callback queued before the silence timer's
    // first hop (setImmediate, queued now, runs ahead of any queued later), never a timer of the test's own, whose
    // order against the driver's timer depends on the loop time each was created at.
    const waited = Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    expect(waited).toBe('timed-out');
    setImmediate(() => feed('85CN-8981\rEA123456785CN\r'));
    await driver.openJudged();
    feed('JDX000123456789\r');
    await vi.waitFor(() => expect(scans(readings)).toEqual(['EA123456785CN', 'JDX000123456789']), { timeout: 20_000 });
    expect(readings[0]).toMatchObject({ kind: 'device.error', reason: expect.stringMatching(/began before the port opened/) });
    abort.abort();
  });

  it('a line silent through the period starts in step; a fragment still arriving at its end is discarded whole', async () => {
    const quiet = await opened(5);
    await quiet.driver.openJudged();
    quiet.feed('EA123456785CN\r');
    await vi.waitFor(() => expect(scans(quiet.readings)).toEqual(['EA123456785CN']), { timeout: 20_000 });
    expect(quiet.readings.filter((r) => r.kind === 'device.error')).toEqual([]);
    quiet.abort.abort();

    const midLine = await opened(5);
    midLine.feed('85CN-');
    await midLine.driver.openJudged();
    midLine.feed('8981\rEA123456785CN\r');
    await vi.waitFor(() => expect(scans(midLine.readings)).toEqual(['EA123456785CN']), { timeout: 20_000 });
    expect(midLine.readings[0]).toMatchObject({ kind: 'device.error', rawHex: Buffer.from('85CN-8981\r').toString('hex') });
    midLine.abort.abort();
  });
});

describe('serial scanner: a backlog is handed on in turns, with flow control (issue 14 item 6)', () => {
  async function started() {
    const f = fakeLink();
    const driver = new SerialScannerDriver(SerialScannerConfig.parse({ terminator: 'CR', openSilenceMs: 0 }), async () => f.link);
    const readings: ScanReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    return { ...f, driver, readings, abort };
  }

  it('a chunk of 1,000 lines is not handed on in one turn of the event loop; every line comes, in order', async () => {
    const { feed, readings } = await started();
    feed(lines(1000).map((l) => `${l}\r`).join(''));
    expect(readings).toHaveLength(0); // nothing synchronously inside the port's data event
    await nextTurn();
    expect(readings.length).toBeGreaterThan(0);
    expect(readings.length).toBeLessThanOrEqual(READS_PER_TURN);
    await vi.waitFor(() => expect(readings).toHaveLength(1000), { timeout: 20_000 });
    expect(readings.map((r) => (r as { raw: string }).raw)).toEqual(lines(1000));
  });

  it('past the high-water mark it stops reading the port and records the overload; it reads again once drained; nothing is dropped', async () => {
    const { feed, readings, flow, driver } = await started();
    const n = QUEUE_HIGH_WATER + 100;
    feed(lines(n).map((l) => `${l}\r`).join(''));
    expect(flow).toEqual(['pause']);
    expect(driver.overloads).toBe(1);
    expect(readings).toEqual([expect.objectContaining({ kind: 'device.error', reason: expect.stringMatching(/^overloaded: /) })]);
    await vi.waitFor(() => expect(flow).toEqual(['pause', 'resume']), { timeout: 20_000 });
    expect(driver.queued).toBeLessThanOrEqual(QUEUE_LOW_WATER);
    await vi.waitFor(() => expect(readings.filter((r) => r.kind === 'scan')).toHaveLength(n), { timeout: 20_000 });
    expect(readings.filter((r) => r.kind === 'scan').map((r) => (r as { raw: string }).raw)).toEqual(lines(n));
  });

  it('a stop hands on the reads already taken off the line', async () => {
    const { feed, readings, abort } = await started();
    feed(lines(500).map((l) => `${l}\r`).join(''));
    abort.abort();
    expect(readings).toHaveLength(500);
  });
});

const run = requireService('socat', socatAvailable());
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A driver on the host end of a pty. `quiet` (the default) waits until the driver has judged the line silent after the
 * open; `quiet: false` writes at once, within a long openSilenceMs (bytes already flowing, however slow the machine).
 */
async function rig(config: Partial<SerialScannerConfig>, o: { quiet?: boolean; beforeOpen?: string } = {}) {
  const pty = await startPtyPair();
  cleanups.push(pty.close);
  const device = await serialTransport(SerialConfig.parse({ path: pty.device }))();
  cleanups.push(() => device.close());
  const clock = { t: 1_000_000 };
  const c = SerialScannerConfig.parse(o.quiet === false ? { openSilenceMs: 30_000, ...config } : config);
  const driver = new SerialScannerDriver(c, serialTransport(SerialConfig.parse({ path: pty.host })), () => clock.t);
  const readings: ScanReading[] = [];
  driver.onReading((r) => readings.push(r));
  const abort = new AbortController();
  await driver.start(abort.signal);
  cleanups.push(() => abort.abort());
  // Bytes the scanner sent while the gateway was not reading (a crash, a restart). Whether bytes written before the
  // open survive it is up to socat's relay and the port's open (a race), so they are written just after it, with the
  // driver's clock still at the open instant: to the driver that is the same thing, bytes already flowing at open.
  if (o.beforeOpen !== undefined) await device.write(Buffer.from(o.beforeOpen, 'latin1'));
  if (o.quiet !== false) await driver.openJudged();
  return { device, driver, readings };
}

describe.skipIf(!run)('serial scanner over a pty', () => {
  it('classifies GS1 (GS preserved), S10 and waybill reads; rejects a bad S10 check digit', async () => {
    const { device, readings, driver } = await rig({ terminator: 'CRLF' });
    await device.write(Buffer.from(`${LABEL}\r\nEA123456785CN\r\nJDX000123456789\r\nEA123456789CN\r\n`, 'latin1'));
    await vi.waitFor(() => expect(readings).toHaveLength(4), { timeout: 20_000 });
    expect(readings[0]).toMatchObject({ kind: 'scan', read: { kind: 'gs1', symbology: 'gs1-128', derived: { sscc: '369012340000000017', grossWeightKg: 12.5 } } });
    expect(readings[1]).toMatchObject({ kind: 'scan', read: { kind: 's10', value: 'EA123456785CN', country: 'CN' } });
    expect(readings[2]).toMatchObject({ kind: 'scan', read: { kind: 'logistics_no', value: 'JDX000123456789' } });
    expect(readings[3]).toMatchObject({ kind: 'scan.rejected', reason: expect.stringMatching(/check digit/) });
    expect(driver.health().lastReadingMs).toBeGreaterThan(0);
  });

  it('ends reads on silence when the scanner sends no terminator', async () => {
    const { device, readings } = await rig({ terminator: 'none', idleMs: 30 });
    await device.write(Buffer.from('EE000000014CN'));
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'scan', read: expect.objectContaining({ value: 'EE000000014CN' }) })), { timeout: 20_000 });
  });

  it('discards the partial first line after a restart (it began before the port opened) and reports it; every later line is read', async () => {
    // The gateway died mid-line: the tail of that line ("85CN-8981") waits in the pty, and lines keep coming.
    const { device, readings, driver } = await rig({ terminator: 'CR' }, { quiet: false, beforeOpen: '85CN-8981\rEA123456785CN\r' });
    await device.write(Buffer.from('JDX000123456789\rSF1234567890123\r', 'latin1'));
    await vi.waitFor(() => expect(readings.filter((r) => r.kind === 'scan')).toHaveLength(3), { timeout: 20_000 });
    expect(readings.filter((r) => r.kind === 'scan').map((r) => r.raw)).toEqual(['EA123456785CN', 'JDX000123456789', 'SF1234567890123']);
    const errors = readings.filter((r) => r.kind === 'device.error');
    expect(errors).toEqual([expect.objectContaining({ reason: expect.stringMatching(/began before the port opened/), rawHex: Buffer.from('85CN-8981\r').toString('hex') })]);
    expect(driver.health().garbage).toBe(1);
  });

  it('a fragment arriving in pieces is discarded whole, and the next read in the same chunk is kept', async () => {
    const { device, readings } = await rig({ terminator: 'CRLF' }, { quiet: false });
    await device.write(Buffer.from('CN-89', 'latin1'));
    await new Promise((r) => setTimeout(r, 30));
    await device.write(Buffer.from('81\r\nEA123456785CN\r\n', 'latin1'));
    await vi.waitFor(() => expect(readings.filter((r) => r.kind === 'scan')).toHaveLength(1), { timeout: 20_000 });
    expect(readings.map((r) => r.kind)).toEqual(['device.error', 'scan']);
    expect(readings[0]).toMatchObject({ rawHex: Buffer.from('CN-8981\r\n').toString('hex') });
  });

  it('every line of one chunk is its own read', async () => {
    const { device, readings } = await rig({ terminator: 'CR' });
    const lines = Array.from({ length: 50 }, (_, i) => `JDX${String(i).padStart(12, '0')}`);
    await device.write(Buffer.from(lines.map((l) => `${l}\r`).join(''), 'latin1'));
    await vi.waitFor(() => expect(readings).toHaveLength(50), { timeout: 20_000 });
    expect(readings.map((r) => (r.kind === 'device.error' ? r.rawHex : r.raw))).toEqual(lines);
  });

  it('reports garbage without a terminator as a device error with its bytes', async () => {
    const { device, readings, driver } = await rig({ terminator: 'CR', maxLength: 16 });
    await device.write(Buffer.from([0xff, 0xfe, ...Buffer.from('xxxxxxxxxxxxxxxxxxxx')]));
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'device.error', rawHex: expect.stringMatching(/^fffe/) })), { timeout: 20_000 });
    expect(driver.health().garbage).toBe(1);
  });
});
