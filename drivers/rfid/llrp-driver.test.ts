import { afterEach, describe, expect, it, vi } from 'vitest';
import { Supervisor } from '../supervisor.ts';
import { tcpTransport } from '../transport/tcp.ts';
import { addRospec, encodeMessage, MessageType, parseAddRospec, parseRoAccessReport, roAccessReportBody } from './llrp-codec.ts';
import { LlrpConfig, LlrpReaderDriver, type RfidReading } from './llrp-driver.ts';
import { LlrpReaderSimulator } from './llrp-simulator.ts';

const TAG = { epcHex: '3074257BF7194E4000001A85', antennaId: 1, peakRssiDbm: -58, firstSeenUtcUs: 1700000000123456n };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('LLRP encoding', () => {
  it('writes the reference RO_ACCESS_REPORT byte for byte (devices.md ✓)', () => {
    const ref = '043D000000290000123400F0001F8D3074257BF7194E400000 1A85810001 86C6 820006 0A24182022 40'.replace(/\s/g, '');
    expect(encodeMessage(MessageType.RO_ACCESS_REPORT, 0x1234, roAccessReportBody([TAG])).toString('hex').toUpperCase()).toBe(ref.toUpperCase());
    expect(parseRoAccessReport(roAccessReportBody([TAG, { ...TAG, epcHex: '3174257BF4499602D2000000', antennaId: 2 }])).tags).toHaveLength(2);
  });
  it('round-trips an ADD_ROSPEC', () => {
    expect(parseAddRospec(addRospec(5, 9, { antennas: [1, 2] }).subarray(10))).toEqual({ rospecId: 9, antennas: [1, 2] });
    expect(parseAddRospec(addRospec(5, 9).subarray(10))).toEqual({ rospecId: 9, antennas: [0] });
  });
});

async function rig() {
  const sim = new LlrpReaderSimulator(30, 100);
  const port = await sim.start();
  cleanups.push(() => sim.stop());
  return { sim, port };
}

describe('LLRP reader driver against a simulated reader over TCP', () => {
  it('runs the ROSpec session, reports sightings and answers keepalives', async () => {
    const { sim, port } = await rig();
    sim.setTags([TAG]);
    const driver = new LlrpReaderDriver(LlrpConfig.parse({ antennas: [1, 2] }), tcpTransport({ host: '127.0.0.1', port }));
    const readings: RfidReading[] = [];
    driver.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await driver.start(abort.signal);
    cleanups.push(() => abort.abort());
    expect(sim.received.slice(0, 4)).toEqual([MessageType.DELETE_ROSPEC, MessageType.ADD_ROSPEC, MessageType.ENABLE_ROSPEC, MessageType.START_ROSPEC]);
    expect(sim.antennas).toEqual([1, 2]);
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'rfid.sighting', epc: TAG.epcHex, gs1: '(01)80614141123458(21)6789', antennaId: 1, peakRssiDbm: -58, firstSeenMs: 1700000000123 })), { timeout: 3000 });
    await vi.waitFor(() => expect(sim.keepaliveAcks.length).toBeGreaterThan(0), { timeout: 3000 });
    expect(driver.health().connected).toBe(true);
  });

  it('stays healthy on keepalives alone when no tag is in the field', async () => {
    const { port } = await rig();
    const driver = new LlrpReaderDriver(LlrpConfig.parse({}), tcpTransport({ host: '127.0.0.1', port }));
    const abort = new AbortController();
    await driver.start(abort.signal);
    cleanups.push(() => abort.abort());
    const t0 = driver.health().lastReadingMs!;
    await vi.waitFor(() => expect(driver.health().lastReadingMs!).toBeGreaterThan(t0), { timeout: 2000 });
  });

  it('reports a stream that lost its framing and reconnects under the supervisor, as after a reader restart', async () => {
    const { sim, port } = await rig();
    sim.setTags([TAG]);
    const readings: RfidReading[] = [];
    const sup = new Supervisor({ now: Date.now, setInterval: (fn, ms) => { const t = setInterval(fn, ms); return { stop: () => clearInterval(t) }; } }, 20);
    sup.add('portal-1', () => {
      const d = new LlrpReaderDriver(LlrpConfig.parse({ responseTimeoutMs: 1000 }), tcpTransport({ host: '127.0.0.1', port }));
      d.onReading((r) => readings.push(r));
      return d;
    }, { staleAfterMs: 2000, restartWhenStale: true, backoffMinMs: 30, backoffMaxMs: 200 });
    sup.start();
    cleanups.push(() => sup.stop());
    await vi.waitFor(() => expect(readings.some((r) => r.kind === 'rfid.sighting')).toBe(true), { timeout: 3000 });
    sim.sendGarbage();
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'device.error', reason: expect.stringContaining('not an LLRP header') })), { timeout: 3000 });
    const before = readings.length;
    await vi.waitFor(() => expect(sup.status()[0]!.reconnects).toBeGreaterThanOrEqual(1), { timeout: 3000 });
    await vi.waitFor(() => expect(readings.slice(before).some((r) => r.kind === 'rfid.sighting')).toBe(true), { timeout: 3000 });
  });

  it('fails to start cleanly when nothing answers as a reader', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    const port = (silent.address() as { port: number }).port;
    const driver = new LlrpReaderDriver(LlrpConfig.parse({ responseTimeoutMs: 200 }), tcpTransport({ host: '127.0.0.1', port }));
    await expect(driver.start(new AbortController().signal)).rejects.toThrow(/no connection event/);
  });
});
