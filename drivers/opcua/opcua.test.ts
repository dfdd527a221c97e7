import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { freePort } from '../../test/helpers/ports.ts';
import { Supervisor } from '../supervisor.ts';
import { OpcUaConfig, OpcUaDriver, type OpcUaReading, xrayLineDriverConfig } from './driver.ts';
import { XrayLineSimulator, type XrayLineSimulatorConfig } from './line-simulator.ts';
import { PackMLState } from './packml.ts';
import { XrayLineIds, xrayNode } from './xray-line-nodes.ts';

/**
 * The driver against the simulated X-ray line over real TCP, in process. Every test has its own PKI folder: node-opcua
 * creates certificates on first use and two creators racing on one folder break it (devices.md §5).
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FAST = { eyeMs: 40, travelMs: 60, scanMs: 40, stateStepMs: 40 };
const FAST_CLIENT = { publishingIntervalMs: 50, keepAliveCount: 4, sessionTimeoutMs: 10_000, requestTimeoutMs: 3000, connectionStrategy: { maxRetry: 1, initialDelayMs: 100, maxDelayMs: 500 } };

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bg-opcua-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function line(config: Partial<z.input<typeof XrayLineSimulatorConfig>> = {}) {
  const dir = tmp();
  const sim = new XrayLineSimulator({ pkiDir: join(dir, 'server'), timing: FAST, ...config });
  const url = await sim.start({ port: 0 });
  cleanups.push(() => sim.stop());
  return { sim, url, dir };
}

async function connect(url: string, dir: string, overrides: Partial<z.input<typeof OpcUaConfig>> = {}) {
  const driver = new OpcUaDriver(xrayLineDriverConfig(url, join(dir, 'client'), { ...FAST_CLIENT, ...overrides }));
  const readings: OpcUaReading[] = [];
  driver.onReading((r) => readings.push(r));
  const abort = new AbortController();
  await driver.start(abort.signal);
  cleanups.push(async () => {
    abort.abort();
    await driver.closed();
  });
  return { driver, readings, abort };
}

const values = (readings: OpcUaReading[], name: string) => readings.flatMap((r) => (r.kind === 'opcua.value' && r.name === name ? [r] : []));
const events = (readings: OpcUaReading[]) => readings.flatMap((r) => (r.kind === 'opcua.event' ? [r] : []));
const LANE = { clear: 'release', suspect: 'inspection', reject: 'exception' } as const;

describe('OPC UA driver against the simulated X-ray line', () => {
  it('reports photo-eyes and one verdict per parcel, in order, and the edge diverts each parcel before it reaches the diverter', async () => {
    // Travel time is the edge's window between the verdict and the divert eye; generous so a busy CI box still makes it.
    const { sim, url, dir } = await line({ timing: { ...FAST, travelMs: 400 } });
    const { driver, readings } = await connect(url, dir);
    expect(driver.health()).toMatchObject({ connected: true, errors: 0 });
    await vi.waitFor(() => expect(values(readings, 'conveyor.state').at(-1)?.value).toBe(PackMLState.Execute), { timeout: 20_000 });
    // The edge's part: divert every parcel as its verdict arrives.
    const divertResults: unknown[] = [];
    driver.onReading((r) => {
      if (r.kind !== 'opcua.event') return;
      const verdict = r.fields.Verdict as keyof typeof LANE;
      void driver.send({ op: 'call', method: 'divert', args: [r.fields.ParcelId, LANE[verdict]] }).then((res) => divertResults.push(res));
    });

    const parcels = [
      { parcelId: 'BG-0001', verdict: 'clear', imageRef: 'img://lane1/0001.png' },
      { parcelId: 'BG-0002', verdict: 'suspect', imageRef: 'img://lane1/0002.png' },
      { parcelId: 'BG-0003', verdict: 'reject' },
    ] as const;
    const outcomes = await Promise.all(parcels.map((p) => sim.feedParcel(p)));
    await vi.waitFor(() => expect(events(readings)).toHaveLength(3), { timeout: 20_000 });

    expect(events(readings).map((e) => ({ name: e.name, ...e.fields, Time: typeof e.fields.Time }))).toEqual([
      { name: 'xray.verdict', ParcelId: 'BG-0001', Verdict: 'clear', ImageRef: 'img://lane1/0001.png', Time: 'string' },
      { name: 'xray.verdict', ParcelId: 'BG-0002', Verdict: 'suspect', ImageRef: 'img://lane1/0002.png', Time: 'string' },
      { name: 'xray.verdict', ParcelId: 'BG-0003', Verdict: 'reject', ImageRef: 'xray-images/BG-0003.png', Time: 'string' },
    ]);
    expect(divertResults).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(outcomes).toEqual([
      { parcelId: 'BG-0001', lane: 'release', commanded: true },
      { parcelId: 'BG-0002', lane: 'inspection', commanded: true },
      { parcelId: 'BG-0003', lane: 'exception', commanded: true },
    ]);
    // Each eye: its initial value, then one rising and one falling edge per parcel, none lost between publishes.
    await vi.waitFor(() => expect(values(readings, 'eye.divert').map((r) => r.value)).toEqual([false, true, false, true, false, true, false]), { timeout: 20_000 });
    for (const eye of ['eye.entry', 'eye.xray']) expect(values(readings, eye).map((r) => r.value)).toEqual([false, true, false, true, false, true, false]);
    // Along the belt, by the PLC's own timestamps: entry, then X-ray, then divert, parcel by parcel.
    const rising = (name: string) => values(readings, name).filter((r) => r.value === true).map((r) => r.sourceTimestamp!);
    const [entry, xray, divert] = [rising('eye.entry'), rising('eye.xray'), rising('eye.divert')];
    for (let i = 0; i < 3; i++) {
      expect(entry[i]!).toBeLessThan(xray[i]!);
      expect(xray[i]!).toBeLessThan(divert[i]!);
    }
    expect(values(readings, 'diverter.lastLane').map((r) => r.value)).toEqual(['', 'release', 'inspection', 'exception']);
    expect(values(readings, 'xray.state').map((r) => r.value)).toContain('Executing');
    expect(readings.every((r) => r.kind !== 'device.error')).toBe(true);
  });

  it('calls Divert: a known lane is accepted, an unknown lane comes back as the bad status, not an exception', async () => {
    const { sim, url, dir } = await line();
    const { driver } = await connect(url, dir);
    expect(await driver.send({ op: 'call', method: 'divert', args: ['BG-0100', 'inspection'] })).toEqual({ ok: true });
    expect(await driver.send({ op: 'call', method: 'divert', args: ['BG-0101', 'to-the-moon'] })).toEqual({ ok: false, code: 'BadInvalidArgument', message: expect.any(String) });
    expect(await driver.send({ op: 'call', method: 'divert', args: ['BG-0102'] })).toMatchObject({ ok: false, code: 'BadArgumentsMissing' });
    expect(await driver.send({ op: 'call', method: 'launch', args: [] })).toMatchObject({ ok: false, code: 'UNKNOWN_METHOD' });
    expect(sim.divertCommands).toEqual([{ parcelId: 'BG-0100', lane: 'inspection' }]);
    expect(await sim.feedParcel({ parcelId: 'BG-0100', verdict: 'suspect' })).toEqual({ parcelId: 'BG-0100', lane: 'inspection', commanded: true });
    expect(driver.health().errors).toBe(0); // a refused command is an answer, not a driver error
  });

  it('writes the belt speed setpoint, and the line reports the new speed', async () => {
    const { sim, url, dir } = await line();
    const { driver, readings } = await connect(url, dir);
    // No dataType: the driver reads the node's DataType (Double) first.
    expect(await driver.send({ op: 'write', name: 'conveyor.speedSetpoint', value: 1.2 })).toEqual({ ok: true });
    expect(sim.line.machSpeed).toBe(1.2);
    await vi.waitFor(() => expect(values(readings, 'conveyor.speed').at(-1)?.value).toBe(1.2), { timeout: 20_000 });
    expect(await driver.send({ op: 'write', nodeId: xrayNode(XrayLineIds.machSpeed), value: '0.8', dataType: 'Double' })).toEqual({ ok: true });
    expect(sim.line.machSpeed).toBe(0.8);
    expect(await driver.send({ op: 'write', name: 'conveyor.state', value: 2 })).toMatchObject({ ok: false, code: expect.stringMatching(/^Bad(NotWritable|UserAccessDenied)$/) });
    expect(await driver.send({ op: 'write', name: 'conveyor.speedSetpoint', value: 'fast' })).toMatchObject({ ok: false, code: 'BadTypeMismatch' });
    expect(await driver.send({ op: 'write', name: 'no.such.item', value: 1 })).toMatchObject({ ok: false, code: 'UNKNOWN_NAME' });
  });

  it('runs the conveyor through PackML Stop, Reset, Start and Hold, and a fault through Abort and Clear', async () => {
    const { sim, url, dir } = await line();
    const { driver, readings } = await connect(url, dir);
    const states = () => values(readings, 'conveyor.state').map((r) => r.value);
    const settle = async (state: number) => vi.waitFor(() => expect(states().at(-1)).toBe(state), { timeout: 20_000 });
    await settle(PackMLState.Execute);

    expect(await driver.send({ op: 'call', method: 'conveyor.stop' })).toEqual({ ok: true });
    await settle(PackMLState.Stopped);
    expect(await driver.send({ op: 'call', method: 'conveyor.start' })).toMatchObject({ ok: false, code: 'BadInvalidState' }); // PackML: Reset first
    expect(values(readings, 'conveyor.speed').at(-1)?.value).toBe(0);
    await expect(sim.feedParcel({ parcelId: 'BG-0200', verdict: 'clear' })).rejects.toThrow(/not in Execute/);
    expect(await driver.send({ op: 'call', method: 'conveyor.reset' })).toEqual({ ok: true });
    await settle(PackMLState.Idle);
    expect(await driver.send({ op: 'call', method: 'conveyor.start' })).toEqual({ ok: true });
    await settle(PackMLState.Execute);
    expect(await driver.send({ op: 'call', method: 'conveyor.command', args: [4] })).toEqual({ ok: true }); // 4 = Hold
    await settle(PackMLState.Held);
    expect(states()).toEqual([6, 7, 2, 15, 4, 3, 6, 10, 11]);

    sim.fault(4711, 'X-ray tube over temperature');
    await settle(PackMLState.Aborted);
    await vi.waitFor(() => expect(values(readings, 'fault.active').at(-1)?.value).toBe(true), { timeout: 20_000 });
    expect(values(readings, 'fault.code').at(-1)?.value).toBe(4711);
    expect(values(readings, 'fault.text').at(-1)?.value).toBe('X-ray tube over temperature');
    expect(values(readings, 'xray.state').at(-1)?.value).toBe('OutOfService');
    expect(await driver.send({ op: 'call', method: 'divert', args: ['BG-0201', 'release'] })).toMatchObject({ ok: false, code: 'BadInvalidState' });
    expect(await driver.send({ op: 'call', method: 'conveyor.clear' })).toEqual({ ok: true });
    await settle(PackMLState.Stopped);
    await vi.waitFor(() => expect(values(readings, 'fault.active').at(-1)?.value).toBe(false), { timeout: 20_000 });
  });

  it('re-establishes session and subscription after the server restarts, and readings flow again', async () => {
    const { sim, url, dir } = await line();
    const { driver, readings } = await connect(url, dir);
    const before = driver.currentSubscriptionId;
    await sim.feedParcel({ parcelId: 'BG-0300', verdict: 'clear' });
    await vi.waitFor(() => expect(events(readings)).toHaveLength(1), { timeout: 20_000 });

    await sim.restart();
    await vi.waitFor(() => expect(driver.health()).toMatchObject({ connected: true, reconnects: 1 }), { timeout: 10_000 });
    expect(readings).toContainEqual(expect.objectContaining({ kind: 'device.error', reason: expect.stringContaining('lost') }));
    // The server has forgotten everything: node-opcua made a new session and a new subscription (new id) for us.
    expect(driver.currentSubscriptionId).not.toBe(before);
    const mark = readings.length;
    await sim.feedParcel({ parcelId: 'BG-0301', verdict: 'reject', imageRef: 'img://after-restart.png' });
    await vi.waitFor(() => expect(events(readings.slice(mark))).toEqual([expect.objectContaining({ fields: expect.objectContaining({ ParcelId: 'BG-0301', Verdict: 'reject', ImageRef: 'img://after-restart.png' }) })]), { timeout: 20_000 });
    expect(values(readings.slice(mark), 'eye.entry').map((r) => r.value)).toContain(true);
    // And commands go through the new session.
    expect(await driver.send({ op: 'write', name: 'conveyor.speedSetpoint', value: 0.9 })).toEqual({ ok: true });
    expect(sim.line.machSpeed).toBe(0.9);
  });

  it('reports the link down when the server is gone for good, and closes cleanly on abort', async () => {
    const { sim, url, dir } = await line();
    const { driver, abort } = await connect(url, dir);
    expect(driver.health().connected).toBe(true);
    await sim.stop();
    await vi.waitFor(() => expect(driver.health().connected).toBe(false), { timeout: 5000 });
    expect(driver.health().errors).toBeGreaterThanOrEqual(1);
    expect(await driver.send({ op: 'call', method: 'conveyor.stop' })).toMatchObject({ ok: false, code: 'DEVICE_DISCONNECTED' });
    abort.abort(); // node-opcua is retrying in the background: abort must end that too
    await driver.closed();
    expect(driver.health().connected).toBe(false);
  });

  it('fails start() quickly when nothing listens, so the supervisor can back off and retry', async () => {
    const port = await freePort();
    const driver = new OpcUaDriver(xrayLineDriverConfig(`opc.tcp://127.0.0.1:${port}`, join(tmp(), 'client'), FAST_CLIENT));
    const t0 = Date.now();
    await expect(driver.start(new AbortController().signal)).rejects.toThrow(new RegExp(`opc.tcp://127.0.0.1:${port}`));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(driver.health().connected).toBe(false);

    // An abort while still retrying ends start() at once, whatever retries were left.
    const patient = new OpcUaDriver(xrayLineDriverConfig(`opc.tcp://127.0.0.1:${port}`, join(tmp(), 'client'), { ...FAST_CLIENT, connectionStrategy: { maxRetry: 50, initialDelayMs: 200, maxDelayMs: 500 } }));
    const abort = new AbortController();
    const started = patient.start(abort.signal);
    setTimeout(() => abort.abort(), 300);
    await expect(started).rejects.toThrow(/aborted/);
    await patient.closed();
  });

  it('comes up under the supervisor once a PLC that was down at boot starts', async () => {
    const dir = tmp();
    const port = await freePort();
    const sup = new Supervisor({ now: Date.now, setInterval: (fn, ms) => { const t = setInterval(fn, ms); return { stop: () => clearInterval(t) }; } }, 50);
    const readings: OpcUaReading[] = [];
    const made: OpcUaDriver[] = [];
    sup.add('xray-line', () => {
      const d = new OpcUaDriver(xrayLineDriverConfig(`opc.tcp://127.0.0.1:${port}`, join(dir, 'client'), FAST_CLIENT));
      d.onReading((r) => readings.push(r));
      made.push(d);
      return d;
    }, { staleAfterMs: 3000, restartWhenStale: true, backoffMinMs: 50, backoffMaxMs: 300 });
    sup.start();
    cleanups.push(async () => {
      sup.stop();
      await Promise.all(made.map((d) => d.closed()));
    });
    await vi.waitFor(() => expect(sup.status()[0]!.lastError).toMatch(/opc\.tcp/), { timeout: 5000 });
    const sim = new XrayLineSimulator({ pkiDir: join(dir, 'server'), timing: FAST });
    await sim.start({ port });
    cleanups.push(() => sim.stop());
    await vi.waitFor(() => expect(sup.status()[0]!.state).toBe('up'), { timeout: 10_000 });
    await sim.feedParcel({ parcelId: 'BG-0500', verdict: 'clear' });
    await vi.waitFor(() => expect(events(readings).map((e) => e.fields.ParcelId)).toEqual(['BG-0500']), { timeout: 20_000 });
  });

  it('turns a node the server does not have into a reading with the bad status', async () => {
    const { url, dir } = await line();
    const { driver, readings } = await connect(url, dir, {
      monitoredItems: [
        { name: 'eye.entry', nodeId: xrayNode(XrayLineIds.entryEye) },
        { name: 'missing', nodeId: xrayNode('XrayLine.NoSuchNode') },
        { name: 'other.plc', nodeId: 'nsu=urn:not-on-this-server;s=Foo' },
      ],
    });
    expect(driver.health().connected).toBe(true);
    await vi.waitFor(() => expect(values(readings, 'missing')).toEqual([expect.objectContaining({ value: null, statusCode: 'BadNodeIdUnknown' })]), { timeout: 20_000 });
    expect(values(readings, 'other.plc')).toEqual([expect.objectContaining({ value: null, statusCode: 'BadNodeIdUnknown' })]);
    await vi.waitFor(() => expect(values(readings, 'eye.entry')).toEqual([expect.objectContaining({ value: false, statusCode: 'Good' })]), { timeout: 20_000 });
  });

  it('stays fresh on subscription keepalives while the line is idle', async () => {
    const { url, dir } = await line();
    const { driver, readings } = await connect(url, dir);
    await vi.waitFor(() => expect(values(readings, 'conveyor.state')).toHaveLength(1), { timeout: 20_000 });
    const mark = readings.length;
    const t0 = driver.health().lastReadingMs!;
    // keepAliveCount 4 × 50 ms publishing: a keepalive every 200 ms, with no data change at all.
    await vi.waitFor(() => expect(driver.health().lastReadingMs!).toBeGreaterThan(t0 + 150), { timeout: 3000 });
    expect(readings.length).toBe(mark);
  });

  it('logs in with a username and password, and refuses to start with a wrong password', async () => {
    const { url, dir } = await line({ users: [{ username: 'edge', password: 's3cret' }] });
    const { driver } = await connect(url, dir, { username: 'edge', password: 's3cret' });
    expect(driver.health().connected).toBe(true);
    const wrong = new OpcUaDriver(xrayLineDriverConfig(url, join(dir, 'client'), { ...FAST_CLIENT, username: 'edge', password: 'guess' }));
    await expect(wrong.start(new AbortController().signal)).rejects.toThrow(/BadUserAccessDenied|BadIdentityTokenRejected/);
    expect(wrong.health().connected).toBe(false);
  });

  it('connects over SignAndEncrypt when configured for a real PLC', async () => {
    const { sim, url, dir } = await line({ secureEndpoints: true });
    const { driver, readings } = await connect(url, dir, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', acceptUnknownServerCertificate: true });
    await sim.feedParcel({ parcelId: 'BG-0400', verdict: 'clear' });
    await vi.waitFor(() => expect(events(readings)).toEqual([expect.objectContaining({ fields: expect.objectContaining({ ParcelId: 'BG-0400' }) })]), { timeout: 20_000 });
    expect(await driver.send({ op: 'call', method: 'divert', args: ['BG-0401', 'release'] })).toEqual({ ok: true });
  });
});

describe('OPC UA driver config', () => {
  const base = { endpointUrl: 'opc.tcp://plc:4840', pkiDir: '/tmp/pki' };
  const fieldOf = (input: unknown) => {
    const r = OpcUaConfig.safeParse(input);
    return r.success ? null : r.error.issues.map((i) => i.path.join('.'));
  };

  it('fills in edge defaults', () => {
    expect(OpcUaConfig.parse(base)).toMatchObject({ securityMode: 'None', securityPolicy: 'None', publishingIntervalMs: 250, samplingIntervalMs: 0, connectionStrategy: { maxRetry: 2, initialDelayMs: 250, maxDelayMs: 2000 }, monitoredItems: [], events: [], methods: [] });
  });

  it('names the field that is wrong', () => {
    expect(fieldOf({ ...base, endpointUrl: 'http://plc:4840' })).toEqual(['endpointUrl']);
    expect(fieldOf({ endpointUrl: 'opc.tcp://plc:4840' })).toEqual(['pkiDir']);
    expect(fieldOf({ ...base, securityMode: 'Sign' })).toEqual(['securityPolicy']);
    expect(fieldOf({ ...base, securityMode: 'Sign', securityPolicy: 'Basic256Sha256' })).toBeNull();
    expect(fieldOf({ ...base, password: 'x' })).toEqual(['username']);
    expect(fieldOf({ ...base, publishingIntervalMs: 1 })).toEqual(['publishingIntervalMs']);
    expect(fieldOf({ ...base, monitoredItems: [{ name: 'a', nodeId: 'not a node id' }] })).toEqual(['monitoredItems.0.nodeId']);
    expect(fieldOf({ ...base, monitoredItems: [{ name: 'a', nodeId: 'ns=2;s=A' }, { name: 'a', nodeId: 'ns=2;s=B' }] })).toEqual(['monitoredItems.1.name']);
    expect(fieldOf({ ...base, events: [{ name: 'e', nodeId: 'i=2253', fields: [] }] })).toEqual(['events.0.fields']);
    expect(fieldOf({ ...base, connectionStrategy: { maxRetry: 0 } })).toEqual(['connectionStrategy.maxRetry']);
  });

  it('builds the X-ray line preset against the simulator node ids', () => {
    const c = xrayLineDriverConfig('opc.tcp://127.0.0.1:4840', '/tmp/pki');
    expect(c.monitoredItems.find((m) => m.name === 'conveyor.state')?.nodeId).toBe('nsu=urn:bondgate:xray-line;s=XrayLine.Conveyor.Status.StateCurrent');
    expect(c.methods.map((m) => m.name)).toContain('divert');
    expect(() => xrayLineDriverConfig('nope', '/tmp/pki')).toThrow(z.ZodError);
  });
});
