import { z } from 'zod';
import { s10Number } from '../../shared/identifiers/s10.ts';
import type { XrayLineSimulator } from '../opcua/line-simulator.ts';
import { renderFrame, type SimProtocol } from '../scale/simulator.ts';
import type { Link } from '../transport/transport.ts';

/**
 * A scripted inspection line: parcels that pass the scanner, settle on the scale and go through the X-ray, each with
 * the misbehaviour it should show (no read, two labels, a torn label, a weight that never settles, line noise), and
 * line incidents (a fault, a PLC restart, a scale unplugged). Planning is pure (`parcelSteps`, tested as tables);
 * `runScenario` only sleeps and writes.
 */
export const Misbehaviour = z.enum(['no-read', 'double-read', 'malformed-read', 'unstable-weight', 'garbage-frames']);

export const ScenarioParcel = z.object({
  code: z.string().min(1).max(512).optional().describe('the label; default: the next S10 number'),
  weightKg: z.number().positive().max(1000).default(1.25),
  verdict: z.enum(['clear', 'suspect', 'reject']).default('clear'),
  misbehave: z.array(Misbehaviour).default([]),
});
export type ScenarioParcel = z.output<typeof ScenarioParcel>;

export const Incident = z.object({
  afterParcel: z.number().int().min(0).describe('happens after this many parcels (0 = before the first)'),
  device: z.enum(['xray-line', 'scale', 'scanner']),
  action: z.enum(['fault', 'restart', 'silence']).describe('fault: the line aborts (cleared after forMs); restart: the OPC UA server restarts; silence: the device sends nothing for forMs'),
  forMs: z.number().int().min(0).max(600_000).default(2000),
  everyLoops: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(0)
    .describe('with `loop`: 0 = on the first pass only; N = on the first pass and then every Nth pass (a PLC that restarts every pass is a broken line, not a demo)'),
});
export type Incident = z.output<typeof Incident>;

export const Scenario = z.object({
  name: z.string().min(1).default('scenario'),
  scaleProtocol: z.enum(['ad-ascii', 'toledo-continuous', 'xk3190', 'mt-sics']).default('ad-ascii'),
  parcelGapMs: z.number().int().min(100).max(600_000).default(1500),
  loop: z.boolean().default(false).describe('start again after the last parcel (the demo runs forever)'),
  parcels: z.array(ScenarioParcel).min(1),
  incidents: z.array(Incident).default([]),
});
export type Scenario = z.output<typeof Scenario>;

export type Step =
  | { atMs: number; to: 'scanner' | 'scale'; bytes: Buffer }
  | { atMs: number; to: 'line'; parcelId: string; verdict: ScenarioParcel['verdict'] };

/** Pure: the timed writes one parcel makes, from the moment it enters the line. `random` only jitters weights. */
export function parcelSteps(p: ScenarioParcel, code: string, protocol: SimProtocol, random: () => number): Step[] {
  const steps: Step[] = [{ atMs: 0, to: 'line', parcelId: code, verdict: p.verdict }];
  const bad = new Set(p.misbehave);
  const read = (atMs: number, text: string) => steps.push({ atMs, to: 'scanner', bytes: Buffer.from(`${text}\r`, 'latin1') });
  // A misread: one digit wrong, so the check digit no longer fits (a smudged label, a scanner at its limit).
  if (bad.has('malformed-read')) read(50, code.replace(/\d(?=\d[A-Z]{2}$)/, (d) => String((Number(d) + 1) % 10)));
  else if (!bad.has('no-read')) read(50, code);
  if (bad.has('double-read')) read(80, s10Number(Number(code.slice(2, 10)) + 7_000_000)); // a second, stale label
  const frame = (atMs: number, kg: number, stable: boolean) => steps.push({ atMs, to: 'scale', bytes: renderFrame(protocol, kg, stable) });
  let t = 100;
  for (const f of [0.3, 0.8, 1.04, 0.98]) frame((t += 100), Math.round(p.weightKg * f * 1000) / 1000, false);
  for (let i = 0; i < 8; i++) {
    const jitter = bad.has('unstable-weight') ? (random() - 0.5) * 0.1 * p.weightKg : 0;
    frame((t += 100), Math.round((p.weightKg + jitter) * 1000) / 1000, !bad.has('unstable-weight'));
    if (bad.has('garbage-frames') && i % 3 === 1) steps.push({ atMs: t + 10, to: 'scale', bytes: Buffer.from([0xff, 0x13, 0x00, 0x47, 0x53, 0x0d, 0x0a]) });
  }
  for (let i = 0; i < 3; i++) frame((t += 100), 0, true); // the parcel leaves the platform
  return steps;
}

/**
 * Pure: the incidents that happen after `afterParcel` parcels on pass `pass` (0-based) of a looping scenario. Before
 * this, every pass replayed every incident, so the demo's one scripted PLC restart became one every ~28 s and the
 * X-ray line dropped its OPC UA session 22 times in 10 minutes (issue 17 item 9).
 */
export function incidentsDue(incidents: readonly Incident[], afterParcel: number, pass: number): Incident[] {
  return incidents.filter((i) => i.afterParcel === afterParcel && (pass === 0 || (i.everyLoops > 0 && pass % i.everyLoops === 0)));
}

export interface LineRig {
  scanner?: Link;
  scale?: Link;
  line?: XrayLineSimulator;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Plays a scenario on real links: writes to the scanner and scale pseudo-terminals, feeds the OPC UA line. Devices
 * absent from the rig are skipped. Returns when the scenario ends (never, with `loop`, until the signal aborts).
 */
export async function runScenario(s: Scenario, rig: LineRig, signal: AbortSignal, o: { firstSerial?: number; onParcel?: (code: string, p: ScenarioParcel) => void; random?: () => number } = {}): Promise<number> {
  const random = o.random ?? Math.random;
  let serial = o.firstSerial ?? 1;
  let played = 0;
  const silent = { scanner: 0, scale: 0 };
  const incident = async (i: Incident) => {
    if (i.device === 'xray-line' && rig.line) {
      if (i.action === 'restart') await rig.line.restart();
      else if (i.action === 'fault') {
        rig.line.fault(9001, 'simulated belt jam');
        setTimeout(() => {
          rig.line?.command(9); // Clear
          setTimeout(() => (rig.line?.command(1), setTimeout(() => rig.line?.command(2), 300)), 300); // Reset, Start
        }, i.forMs).unref();
      }
    } else if (i.device === 'scanner' || i.device === 'scale') {
      silent[i.device] = Date.now() + i.forMs;
    }
  };
  let pass = 0;
  do {
    for (const [n, p] of s.parcels.entries()) {
      for (const i of incidentsDue(s.incidents, n, pass)) await incident(i);
      if (signal.aborted) return played;
      const code = p.code ?? s10Number(serial++);
      o.onParcel?.(code, p);
      const start = Date.now();
      for (const step of parcelSteps(p, code, s.scaleProtocol, random)) {
        const wait = start + step.atMs - Date.now();
        if (wait > 0) await sleep(wait, signal);
        if (signal.aborted) return played;
        if (step.to === 'line') {
          // The belt may be faulted or restarting: the parcel then never reaches the X-ray, as on a real line.
          rig.line?.feedParcel({ parcelId: step.parcelId, verdict: step.verdict }).catch(() => undefined);
        } else if (Date.now() >= silent[step.to]) {
          await rig[step.to]?.write(step.bytes).catch(() => undefined);
        }
      }
      played += 1;
      await sleep(Math.max(0, s.parcelGapMs - (Date.now() - start)), signal);
    }
    for (const i of incidentsDue(s.incidents, s.parcels.length, pass)) await incident(i);
    pass += 1;
  } while (s.loop && !signal.aborted);
  return played;
}
