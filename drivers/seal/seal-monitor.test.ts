import { describe, expect, it } from 'vitest';
import { Payloads } from '../../shared/schemas/events.ts';
import { parseSealReport, type SealReport, type SealReportInput } from './messages.ts';
import { decideSeal, initialSealState, SealMonitorConfig, SealMonitorState, type SealMonitorEvent } from './seal-monitor.ts';

const config = SealMonitorConfig.parse({
  zone: {
    fenceId: 'zone-qh-1',
    // devices.md §7 ✓ square 22.54–22.56 × 114.05–114.07
    fence: { kind: 'polygon', ring: [[22.54, 114.05], [22.54, 114.07], [22.56, 114.07], [22.56, 114.05]] },
  },
});

const SEAL = { manufacturer: 'JT', serial: 'JT701-000123' };
const SEAL_ID = 'JT:JT701-000123';

type Pos = NonNullable<SealReportInput['position']>;
const inside = (ts: string): Pos => ({ lat: 22.55, lon: 114.06, fix: 'gps', accuracyM: 8, ts });
const outside = (ts: string): Pos => ({ lat: 22.58, lon: 114.06, fix: 'gps', accuracyM: 8, ts });
/** 56 m north of the fence: a GPS fix would be confident, an LBS one is not. */
const nearLbs = (ts: string): Pos => ({ lat: 22.5605, lon: 114.06, fix: 'lbs', accuracyM: 300, ts });

const t = (minute: number) => `2024-07-28T08:${String(minute).padStart(2, '0')}:00Z`;

function report(minute: number, status: 'sealed' | 'unsealed', extra: Partial<SealReportInput> = {}): SealReport {
  const r = parseSealReport({ seal: SEAL, status, ts: t(minute), position: inside(t(minute)), ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.fields));
  return r.value;
}

/** Feeds the reports in order from a fresh state; returns the events of each step and the final state. */
function run(reports: SealReport[]) {
  let state = initialSealState(SEAL);
  const steps: SealMonitorEvent[][] = [];
  for (const r of reports) {
    const d = decideSeal(state, r, config);
    state = d.state;
    steps.push(d.events);
  }
  return { state, steps, last: steps[steps.length - 1] ?? [] };
}

const changed = (state: 'sealed' | 'opened' | 'tampered', insideFence: boolean): SealMonitorEvent => ({
  type: 'seal.state_changed',
  sealId: SEAL_ID,
  state,
  insideFence,
});
const breached = (lat: number, lon: number, confidence: 'high' | 'low'): SealMonitorEvent => ({
  type: 'fence.breached',
  fenceId: 'zone-qh-1',
  sealId: SEAL_ID,
  lat,
  lon,
  confidence,
});

const sealedIn = report(0, 'sealed', { events: [{ type: 'locked', method: 'platform' }] });

describe('decideSeal', () => {
  it.each<[string, SealReport[], SealMonitorEvent[], string]>([
    ['first report, sealed inside: the seal is armed', [sealedIn], [changed('sealed', true)], 'sealed'],
    [
      'sealed inside → opened inside: state change, no breach',
      [sealedIn, report(5, 'unsealed', { events: [{ type: 'unlocked', method: 'card' }] })],
      [changed('opened', true)],
      'opened',
    ],
    [
      'sealed inside → opened outside: breach',
      [sealedIn, report(30, 'unsealed', { position: outside(t(30)) })],
      [changed('opened', false), breached(22.58, 114.06, 'high')],
      'opened',
    ],
    [
      'rope cut inside while the status still says sealed: tampered, no breach',
      [sealedIn, report(5, 'sealed', { events: [{ type: 'rope_cut' }] })],
      [changed('tampered', true)],
      'tampered',
    ],
    [
      'shell tamper outside: tampered and breach',
      [sealedIn, report(30, 'sealed', { events: [{ type: 'shell_tamper' }], position: outside(t(30)) })],
      [changed('tampered', false), breached(22.58, 114.06, 'high')],
      'tampered',
    ],
    [
      'shackle opened while sealed',
      [sealedIn, report(5, 'unsealed', { events: [{ type: 'shackle_opened_while_sealed' }] })],
      [changed('tampered', true)],
      'tampered',
    ],
    [
      'opened with an LBS fix near the boundary: uncertain, breach flagged low confidence',
      [sealedIn, report(10, 'unsealed', { position: nearLbs(t(10)) })],
      [changed('opened', false), breached(22.5605, 114.06, 'low')],
      'opened',
    ],
    [
      'opened with only a stale position (last fix 20 min old): low confidence',
      [sealedIn, report(20, 'unsealed', { position: undefined })],
      [changed('opened', false), breached(22.55, 114.06, 'low')],
      'opened',
    ],
    [
      'opened with no position ever: breach without coordinates',
      [report(0, 'unsealed', { position: undefined })],
      [changed('opened', false), { type: 'fence.breached', fenceId: 'zone-qh-1', sealId: SEAL_ID, confidence: 'low' }],
      'opened',
    ],
    ['same sealed status re-sent: nothing', [sealedIn, report(1, 'sealed'), report(2, 'sealed')], [], 'sealed'],
    ['identical report re-sent: nothing', [sealedIn, sealedIn], [], 'sealed'],
    [
      'opened outside, re-sent: no second breach',
      [sealedIn, report(30, 'unsealed', { position: outside(t(30)) }), report(31, 'unsealed', { position: outside(t(31)) })],
      [],
      'opened',
    ],
    [
      'tamper repeated in the next report: nothing new',
      [sealedIn, report(5, 'sealed', { events: [{ type: 'rope_cut' }] }), report(6, 'sealed', { events: [{ type: 'rope_cut' }] })],
      [],
      'tampered',
    ],
    ['tampered stays tampered on a plain sealed report', [sealedIn, report(5, 'sealed', { events: [{ type: 'rope_cut' }] }), report(6, 'sealed')], [], 'tampered'],
    [
      'tampered → re-sealed with a lock event',
      [sealedIn, report(5, 'sealed', { events: [{ type: 'rope_cut' }] }), report(40, 'sealed', { events: [{ type: 'locked', method: 'platform' }] })],
      [changed('sealed', true)],
      'sealed',
    ],
    [
      'older replayed report may not roll an opened seal back to sealed',
      [sealedIn, report(10, 'unsealed'), report(5, 'sealed')],
      [],
      'opened',
    ],
    [
      'older replayed report with a tamper still counts, placed at its own fix',
      [sealedIn, report(30, 'sealed', { position: inside(t(30)) }), report(20, 'sealed', { events: [{ type: 'rope_cut' }], position: outside(t(20)) })],
      [changed('tampered', false), breached(22.58, 114.06, 'high')],
      'tampered',
    ],
    [
      'device-side fence events and refusals change nothing',
      [sealedIn, report(5, 'sealed', { events: [{ type: 'geofence_exit' }, { type: 'unseal_refused_outside_area' }, { type: 'wrong_credentials' }, { type: 'low_battery' }] })],
      [],
      'sealed',
    ],
  ])('%s', (_name, reports, expectedEvents, expectedPhase) => {
    const { state, last } = run(reports);
    expect(last).toEqual(expectedEvents);
    expect(state.phase).toBe(expectedPhase);
    expect(SealMonitorState.safeParse(state).success).toBe(true);
  });

  it('keeps the newest position and report time', () => {
    const { state } = run([sealedIn, report(30, 'sealed', { position: outside(t(30)) }), report(20, 'sealed', { position: inside(t(20)) })]);
    expect(state.lastPosition).toMatchObject({ lat: 22.58, ts: t(30) });
    expect(state.lastReportMs).toBe(Date.parse(t(30)));
  });

  it('ignores a report for another seal and returns the state unchanged', () => {
    const state = run([sealedIn]).state;
    const other = parseSealReport({ seal: { manufacturer: 'JT', serial: 'OTHER' }, status: 'unsealed', ts: t(5) });
    if (!other.ok) throw new Error('fixture');
    const d = decideSeal(state, other.value, config);
    expect(d).toEqual({ state, events: [], ignored: 'other_seal' });
  });

  it('does not mutate the state it is given', () => {
    const state = run([sealedIn]).state;
    const copy = structuredClone(state);
    decideSeal(state, report(5, 'unsealed', { position: outside(t(5)) }), config);
    expect(state).toEqual(copy);
  });

  it('emits events whose payloads the shared event schemas accept', () => {
    const { steps } = run([sealedIn, report(5, 'unsealed', { position: outside(t(5)) })]);
    for (const { type, ...payload } of steps.flat()) expect(Payloads[type].safeParse(payload).success).toBe(true);
  });

  it('bad message: field errors instead of a decision', () => {
    const r = parseSealReport({ seal: SEAL, status: 'sealed', ts: t(0), position: { lat: 'north', lon: 114.06, fix: 'gps', ts: t(0) } });
    expect(r).toMatchObject({ ok: false, fields: [{ field: 'position.lat' }] });
  });
});
