import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { s10Number } from '../../shared/identifiers/s10.ts';
import { SerialScannerConfig, SerialScannerDriver, type ScanReading } from '../barcode/serial-scanner.ts';
import { OpcUaDriver, type OpcUaReading, xrayLineDriverConfig } from '../opcua/driver.ts';
import { XrayLineSimulator } from '../opcua/line-simulator.ts';
import { ScaleConfig, ScaleDriver, type ScaleReading } from '../scale/driver.ts';
import { socatAvailable, startPtyPair } from '../transport/pty.ts';
import { SerialConfig, serialTransport } from '../transport/serial.ts';
import { incidentsDue, parcelSteps, runScenario, Scenario, ScenarioParcel } from './scenario.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const text = (b: Buffer) => b.toString('latin1');
const fixed = () => 0.9;

describe('scenario planning (pure)', () => {
  it('a good parcel: one read, settling then stable frames, the X-ray feed first', () => {
    const steps = parcelSteps(ScenarioParcel.parse({ weightKg: 2 }), 'EA000000015CN', 'ad-ascii', fixed);
    expect(steps[0]).toEqual({ atMs: 0, to: 'line', parcelId: 'EA000000015CN', verdict: 'clear' });
    const reads = steps.filter((s) => s.to === 'scanner').map((s) => text((s as { bytes: Buffer }).bytes));
    expect(reads).toEqual(['EA000000015CN\r']);
    const frames = steps.filter((s) => s.to === 'scale').map((s) => text((s as { bytes: Buffer }).bytes));
    expect(frames.filter((f) => f.startsWith('ST,GS,+0002.000kg'))).toHaveLength(8);
    expect(frames.filter((f) => f.startsWith('US'))).toHaveLength(4);
    // Steps are in time order, so the runner can play them with sleeps alone.
    expect(steps.map((s) => s.atMs)).toEqual([...steps.map((s) => s.atMs)].sort((a, b) => a - b));
  });

  it('misbehaviour shows in the bytes: no read, two labels, a torn label, a weight that never settles, noise', () => {
    const plan = (misbehave: string[]) => parcelSteps(ScenarioParcel.parse({ weightKg: 2, misbehave }), 'EA000000015CN', 'ad-ascii', fixed);
    const reads = (m: string[]) => plan(m).filter((s) => s.to === 'scanner').map((s) => text((s as { bytes: Buffer }).bytes));
    expect(reads(['no-read'])).toEqual([]);
    expect(reads(['double-read'])).toHaveLength(2);
    expect(reads(['malformed-read'])).toEqual(['EA000000025CN\r']);
    const unstable = plan(['unstable-weight']).filter((s) => s.to === 'scale').map((s) => text((s as { bytes: Buffer }).bytes));
    expect(unstable.filter((f) => f.startsWith('ST,GS,+0002'))).toHaveLength(0);
    const noisy = plan(['garbage-frames']).filter((s) => s.to === 'scale' && (s as { bytes: Buffer }).bytes[0] === 0xff);
    expect(noisy.length).toBeGreaterThan(0);
  });

  it('the shipped scenario file is valid, and a bad one is refused by field', () => {
    const file = resolve(import.meta.dirname, 'scenarios/inspection-line.yaml');
    const s = Scenario.parse(parseYaml(readFileSync(file, 'utf8')));
    expect(s.parcels.length).toBeGreaterThanOrEqual(10);
    expect(() => Scenario.parse({ parcels: [{ weightKg: -1 }] })).toThrow(/weightKg/);
    expect(() => Scenario.parse({ parcels: [{ misbehave: ['explode'] }] })).toThrow(/misbehave/);
  });

  it('a looping scenario plays an incident on the first pass, then only every `everyLoops` passes (issue 17 item 9)', () => {
    const s = Scenario.parse({
      loop: true,
      parcels: [{}, {}],
      incidents: [
        { afterParcel: 1, device: 'xray-line', action: 'restart' },
        { afterParcel: 1, device: 'xray-line', action: 'fault', everyLoops: 3 },
      ],
    });
    const due = (pass: number) => incidentsDue(s.incidents, 1, pass).map((i) => i.action);
    expect(due(0)).toEqual(['restart', 'fault']);
    // A hundred passes: the scripted restart happened once, the fault on passes 0, 3, 6, …
    const restarts = Array.from({ length: 100 }, (_, pass) => due(pass)).flat().filter((a) => a === 'restart');
    expect(restarts).toHaveLength(1);
    expect([1, 2, 3, 4, 6].map((pass) => due(pass))).toEqual([[], [], ['fault'], [], ['fault']]);
    expect(incidentsDue(s.incidents, 0, 0)).toEqual([]);
  });

  it('the demo scenario restarts its PLC at most once in ten minutes of passes', () => {
    const s = Scenario.parse(parseYaml(readFileSync(resolve(import.meta.dirname, 'scenarios/inspection-line.yaml'), 'utf8')));
    const passMs = s.parcels.length * s.parcelGapMs;
    const passes = Math.ceil(600_000 / passMs);
    let restarts = 0;
    for (let pass = 0; pass < passes; pass++) for (let n = 0; n <= s.parcels.length; n++) restarts += incidentsDue(s.incidents, n, pass).filter((i) => i.action === 'restart').length;
    expect(restarts).toBe(1);
  });
});

describe.skipIf(!socatAvailable())('a scenario played across the simulators, read by the real drivers', () => {
  it('scanner on a pty, scale on a pty, X-ray line on OPC UA: every parcel shows up as its script says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-scenario-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [scanPty, scalePty] = await Promise.all([startPtyPair(), startPtyPair()]);
    cleanups.push(scanPty.close, scalePty.close);
    const line = new XrayLineSimulator({ pkiDir: join(dir, 'server'), timing: { eyeMs: 30, travelMs: 40, scanMs: 30, stateStepMs: 30 } });
    const url = await line.start({ port: 0 });
    cleanups.push(() => line.stop());

    const scans: ScanReading[] = [];
    const weights: ScaleReading[] = [];
    const xray: OpcUaReading[] = [];
    const abort = new AbortController();
    cleanups.push(() => abort.abort());
    const scanner = new SerialScannerDriver(SerialScannerConfig.parse({}), serialTransport(SerialConfig.parse({ path: scanPty.host })));
    const scale = new ScaleDriver(ScaleConfig.parse({ protocol: 'ad-ascii' }), serialTransport(SerialConfig.parse({ path: scalePty.host })));
    const plc = new OpcUaDriver(xrayLineDriverConfig(url, join(dir, 'client'), { publishingIntervalMs: 50, connectionStrategy: { maxRetry: 1, initialDelayMs: 100, maxDelayMs: 500 } }));
    scanner.onReading((r) => scans.push(r));
    scale.onReading((r) => weights.push(r));
    plc.onReading((r) => r.kind === 'opcua.event' && xray.push(r));
    await Promise.all([scanner.start(abort.signal), scale.start(abort.signal), plc.start(abort.signal)]);

    const scanLink = await serialTransport(SerialConfig.parse({ path: scanPty.device }))();
    const scaleLink = await serialTransport(SerialConfig.parse({ path: scalePty.device }))();
    cleanups.push(() => scanLink.close(), () => scaleLink.close());
    const scenario = Scenario.parse({
      parcelGapMs: 1700,
      parcels: [
        { weightKg: 1.25 },
        { weightKg: 0.5, verdict: 'suspect', misbehave: ['no-read'] },
        { weightKg: 2.0, misbehave: ['double-read', 'garbage-frames'] },
        { weightKg: 3.0, misbehave: ['unstable-weight', 'malformed-read'] },
      ],
    });
    const codes: string[] = [];
    const played = await runScenario(scenario, { scanner: scanLink, scale: scaleLink, line }, abort.signal, { firstSerial: 41, onParcel: (c) => codes.push(c) });
    expect(played).toBe(4);
    expect(codes).toEqual([41, 42, 43, 44].map((n) => s10Number(n)));

    await vi.waitFor(() => expect(xray).toHaveLength(4), { timeout: 5000 });
    expect(xray.map((e) => (e as Extract<OpcUaReading, { kind: 'opcua.event' }>).fields)).toMatchObject([
      { ParcelId: codes[0], Verdict: 'clear' },
      { ParcelId: codes[1], Verdict: 'suspect' },
      { ParcelId: codes[2], Verdict: 'clear' },
      { ParcelId: codes[3], Verdict: 'clear' },
    ]);
    const good = scans.filter((s) => s.kind === 'scan').map((s) => (s as { raw: string }).raw);
    expect(good).toEqual([codes[0], codes[2], s10Number(7_000_043)]); // parcel 2 not read; parcel 3 read twice
    expect(scans.filter((s) => s.kind === 'scan.rejected')).toHaveLength(1); // parcel 4's misread (check digit off)
    // Stable weights for the three parcels that settled (each followed by the empty platform); none for the fourth.
    const kg = weights.filter((w) => w.kind === 'weight').map((w) => (w as { weightKg: number }).weightKg).filter((w) => w > 0);
    expect(kg).toEqual([1.25, 0.5, 2]);
    expect(weights.some((w) => w.kind === 'device.error')).toBe(true); // the garbage frames, counted
    expect(scale.health().garbage).toBeGreaterThan(0);
  }, 30_000);
});
