import { describe, expect, it } from 'vitest';
import { Payloads } from '../schemas/events.ts';
import { ReleaseSlip, StationRules, type ParcelDecision } from './feed.ts';
import { decideGate, gateDisplay, GateConfig, initialGateState, isValidContainerNo, normalisePlate, type GateConfigInput, type GateInput, type GateState } from './gate.ts';
import { memoryCache, type CacheView, type Decision, type StationCommand, type StationEvent } from './types.ts';

const T0 = 1_800_000_000_000;
const rules = StationRules.parse({ rulesId: 'R1', validFromMs: 0, validToMs: T0 * 2 }); // gate tolerance 3 % / 50 kg
const SLIP = 'Z3111I240728000000000003';
const baseSlip = {
  passportNo: SLIP,
  ioType: 'I',
  status: 'approved',
  vehicleNo: '沪A12345',
  vehicleIcNo: 'E0040000ABCD',
  containerNos: ['CSQU3054383'],
  sealIds: ['ACME:0001'],
  vehicleWtKg: 15_000,
  containerWtKg: 3800,
  totalGrossWtKg: 20_000, // expected 38 800 kg, tolerance max(3 % = 1164, 50) = 1164 kg
  goods: ['EA123456785CN', 'EE000000014CN'],
} as const;
const slip = (o: Partial<Record<keyof typeof baseSlip | 'totalWtKg' | 'gateMode', unknown>> = {}) => ReleaseSlip.parse({ ...baseSlip, ...o });
const cacheWith = (o: { slips?: ReleaseSlip[]; decisions?: ParcelDecision[]; syncedAtMs?: number | null; noRules?: boolean } = {}): CacheView =>
  memoryCache({ version: 7, syncedAtMs: o.syncedAtMs === undefined ? T0 - 60_000 : o.syncedAtMs, slips: o.slips ?? [slip()], decisions: o.decisions ?? [], ...(o.noRules ? {} : { rules }) });
const fresh = cacheWith();
const cfg = (o: Partial<GateConfigInput> = {}) => GateConfig.parse({ laneId: 'L1', direction: 'in', ...o });
const config = cfg();
const P0 = `L1-${T0}`;

// The captures of one vehicle, one second apart from `t` (ms after T0); the weighbridge comes last.
type Step = [number, GateInput];
function captures(o: { t?: number; slipText?: string | null; plate?: string | null; ic?: string; container?: string | null; seal?: string | null; weightKg?: number | null; goods?: string[] } = {}): Step[] {
  const t = o.t ?? 0;
  const inputs: GateInput[] = [{ kind: 'vehicle.arrived' }];
  if (o.slipText !== null) inputs.push({ kind: 'slip.scanned', text: o.slipText ?? SLIP });
  if (o.plate !== null) inputs.push({ kind: 'plate', vehicleNo: o.plate ?? '沪A12345', source: 'anpr' });
  if (o.ic) inputs.push({ kind: 'rfid.plate', vehicleIcNo: o.ic });
  if (o.container !== null) inputs.push({ kind: 'container', containerNo: o.container ?? 'CSQU3054383' });
  if (o.seal !== null) inputs.push({ kind: 'seal.read', sealId: o.seal ?? 'ACME:0001' });
  if (o.goods) inputs.push({ kind: 'goods.read', keys: o.goods });
  if (o.weightKg !== null) inputs.push({ kind: 'weighbridge', weightKg: o.weightKg ?? 39_000 });
  return inputs.map((input, i) => [t + i * 1000, input]);
}

/** Every event a station emits must be a valid payload of its type. */
function validate(events: StationEvent[]): void {
  for (const e of events) Payloads[e.type].parse(e.payload);
}

function run(steps: Step[], o: { cache?: CacheView; config?: GateConfig; state?: GateState } = {}): { state: GateState; all: Decision<GateState>[] } {
  let state = o.state ?? initialGateState();
  const all: Decision<GateState>[] = [];
  for (const [dt, input] of steps) {
    const d = decideGate(state, input, T0 + dt, o.cache ?? fresh, o.config ?? config);
    validate(d.events);
    all.push(d);
    state = d.state;
  }
  return { state, all };
}
const eventsOf = (all: Decision<GateState>[]) => all.flatMap((d) => d.events);
const raise: StationCommand = { kind: 'barrier', laneId: 'L1', action: 'raise' };
const lower: StationCommand = { kind: 'barrier', laneId: 'L1', action: 'lower' };

/** A vehicle released and through; the lane idle again with the slip remembered. */
const passedOnce = () => run([...captures(), [6000, { kind: 'barrier.state', open: true }], [9000, { kind: 'vehicle.left' }], [12_000, { kind: 'barrier.state', open: false }]]).state;

interface Row {
  name: string;
  /** The state, as the inputs before the one under test left it. */
  given: Step[];
  input: GateInput;
  at: number;
  cache?: CacheView;
  config?: GateConfig;
  state?: () => GateState;
  phase: GateState['phase'];
  commands?: StationCommand[];
  events?: { type: StationEvent['type']; payload: Record<string, unknown> }[];
}

const last = <T,>(xs: T[]): T => xs[xs.length - 1]!;
const upToWeight = (o: Parameters<typeof captures>[0] = {}) => captures(o).slice(0, -1);
const weigh = (weightKg: number): GateInput => ({ kind: 'weighbridge', weightKg });
const decidedAt = 5000; // the weighbridge, last of the six captures
const alarmed = (reasons: unknown[], extra: Record<string, unknown> = {}) => [{ type: 'gate.alarmed' as const, payload: { laneId: 'L1', direction: 'in', passageId: P0, reasons, ...extra } }];

const rows: Row[] = [
  // --- release
  {
    name: 'clean release, lane in: all captures in → barrier raised, waiting for it to open',
    given: upToWeight(),
    input: weigh(39_000),
    at: decidedAt,
    phase: 'releasing',
    commands: [{ kind: 'cancel-timer', id: `${P0}:capture` }, raise, { kind: 'timer', id: `${P0}:raise`, atMs: T0 + decidedAt + 5000 }],
    events: [],
  },
  {
    name: 'barrier reports open → gate.passed with every passage field, close timer',
    given: captures(),
    input: { kind: 'barrier.state', open: true },
    at: 6000,
    phase: 'open',
    commands: [{ kind: 'cancel-timer', id: `${P0}:raise` }, { kind: 'timer', id: `${P0}:close`, atMs: T0 + 6000 + 30_000 }],
    events: [
      {
        type: 'gate.passed',
        payload: { laneId: 'L1', direction: 'in', slipNo: SLIP, vehicleNo: '沪A12345', passageId: P0, containerNo: 'CSQU3054383', sealId: 'ACME:0001', weighbridgeKg: 39_000, expectedKg: 38_800, diffKg: 200, cacheVersion: 7, cacheStale: false },
      },
    ],
  },
  {
    name: 'vehicle left → barrier lowered, lower confirmation timer',
    given: [...captures(), [6000, { kind: 'barrier.state', open: true }]],
    input: { kind: 'vehicle.left' },
    at: 9000,
    phase: 'idle',
    commands: [{ kind: 'cancel-timer', id: `${P0}:close` }, lower, { kind: 'timer', id: `${P0}:lower`, atMs: T0 + 14_000 }],
    events: [],
  },
  {
    name: 'no vehicle-left report: barrier lowered barrierCloseAfterMs after it opened',
    given: [...captures(), [6000, { kind: 'barrier.state', open: true }]],
    input: { kind: 'timer', id: `${P0}:close` },
    at: 36_000,
    phase: 'idle',
    commands: [lower, { kind: 'timer', id: `${P0}:lower`, atMs: T0 + 41_000 }],
    events: [],
  },
  {
    name: 'barrier reports closed → lower confirmed',
    given: [...captures(), [6000, { kind: 'barrier.state', open: true }], [9000, { kind: 'vehicle.left' }]],
    input: { kind: 'barrier.state', open: false },
    at: 12_000,
    phase: 'idle',
    commands: [{ kind: 'cancel-timer', id: `${P0}:lower` }],
    events: [],
  },
  {
    name: 'clean release, lane out',
    given: [...captures({ slipText: 'Z3111E240728000000000009' })],
    input: { kind: 'barrier.state', open: true },
    at: 6000,
    cache: cacheWith({ slips: [slip({ passportNo: 'Z3111E240728000000000009', ioType: 'E' })] }),
    config: cfg({ direction: 'out' }),
    phase: 'open',
    events: [{ type: 'gate.passed', payload: { laneId: 'L1', direction: 'out', slipNo: 'Z3111E240728000000000009', diffKg: 200 } }],
  },
  {
    name: 'no slip scanned: the one usable slip bound to the recognised plate is used',
    given: upToWeight({ slipText: null }),
    input: weigh(38_700),
    at: 4000,
    phase: 'releasing',
  },
  {
    name: 'plate misread but the electronic plate (RFID) is bound to the slip → release',
    given: upToWeight({ plate: '沪A12845', ic: 'e004 0000 abcd' }),
    input: weigh(39_000),
    at: 6000,
    phase: 'releasing',
  },
  {
    name: 'weight within tolerance: released, difference recorded',
    given: [...upToWeight(), [5000, weigh(37_700)]],
    input: { kind: 'barrier.state', open: true },
    at: 6000,
    phase: 'open',
    events: [{ type: 'gate.passed', payload: { weighbridgeKg: 37_700, expectedKg: 38_800, diffKg: -1100 } }],
  },
  {
    name: 'expected weight from totalWtKg when the slip gives it',
    given: [...upToWeight(), [5000, weigh(40_100)]],
    input: { kind: 'barrier.state', open: true },
    at: 6000,
    cache: cacheWith({ slips: [slip({ totalWtKg: 40_000 })] }),
    phase: 'open',
    events: [{ type: 'gate.passed', payload: { expectedKg: 40_000, diffKg: 100 } }],
  },
  // --- slip problems
  {
    name: 'unknown slip',
    given: upToWeight({ slipText: 'Z3111I240728000000000099' }),
    input: weigh(39_000),
    at: decidedAt,
    phase: 'alarm',
    commands: [{ kind: 'cancel-timer', id: `${P0}:capture` }],
    events: alarmed(['unknown slip: Z3111I240728000000000099'], { reason: 'unknown slip: Z3111I240728000000000099', slipNo: 'Z3111I240728000000000099', weighbridgeKg: 39_000, cacheVersion: 7 }),
  },
  { name: 'slip already used (hub status passed)', given: upToWeight(), input: weigh(39_000), at: decidedAt, cache: cacheWith({ slips: [slip({ status: 'passed' })] }), phase: 'alarm', events: alarmed(['slip already used']) },
  { name: 'void slip', given: upToWeight(), input: weigh(39_000), at: decidedAt, cache: cacheWith({ slips: [slip({ status: 'void' })] }), phase: 'alarm', events: alarmed(['slip void']) },
  { name: 'deleted slip', given: upToWeight(), input: weigh(39_000), at: decidedAt, cache: cacheWith({ slips: [slip({ status: 'deleted' })] }), phase: 'alarm', events: alarmed(['slip deleted']) },
  { name: 'slip applied, not approved', given: upToWeight(), input: weigh(39_000), at: decidedAt, cache: cacheWith({ slips: [slip({ status: 'applied' })] }), phase: 'alarm', events: alarmed(['slip not approved']) },
  {
    name: 'slip already used by this lane, before the hub feed says so: slip reused',
    given: upToWeight({ t: 60_000 }),
    input: weigh(39_000),
    at: 65_000,
    state: passedOnce,
    phase: 'alarm',
    events: [{ type: 'gate.alarmed', payload: { passageId: `L1-${T0 + 60_000}`, reasons: ['slip reused'] } }],
  },
  {
    name: 'once the feed shows the slip passed, the lane forgets it and the hub status speaks',
    given: upToWeight({ t: 60_000 }),
    input: weigh(39_000),
    at: 65_000,
    state: passedOnce,
    cache: cacheWith({ slips: [slip({ status: 'passed' })] }),
    phase: 'alarm',
    events: [{ type: 'gate.alarmed', payload: { reasons: ['slip already used'] } }],
  },
  { name: 'wrong direction (export slip at an entry lane)', given: upToWeight(), input: weigh(39_000), at: decidedAt, cache: cacheWith({ slips: [slip({ ioType: 'E' })] }), phase: 'alarm', events: alarmed(['wrong direction: slip E, lane in']) },
  // --- vehicle, containers, seals
  { name: 'wrong vehicle', given: upToWeight({ plate: '沪B 99999' }), input: weigh(39_000), at: decidedAt, phase: 'alarm', events: alarmed(['wrong vehicle: 沪B99999 ≠ 沪A12345'], { vehicleNo: '沪B99999' }) },
  {
    name: 'container mismatch',
    given: upToWeight({ container: 'MSKU9070323' }),
    input: weigh(39_000),
    at: decidedAt,
    phase: 'alarm',
    events: alarmed(['container mismatch: read MSKU9070323, slip lists CSQU3054383'], { containerNo: 'MSKU9070323' }),
  },
  { name: 'container number with a bad ISO 6346 check digit', given: upToWeight({ container: 'CSQU 305438 4' }), input: weigh(39_000), at: decidedAt, phase: 'alarm', events: alarmed(['bad container number: CSQU3054384']) },
  { name: 'seal mismatch', given: upToWeight({ seal: 'ACME:0002' }), input: weigh(39_000), at: decidedAt, phase: 'alarm', events: alarmed(['seal mismatch: read ACME:0002, slip lists ACME:0001']) },
  {
    name: 'seal not required: a different seal is only recorded',
    given: upToWeight({ seal: 'ACME:0002' }),
    input: weigh(39_000),
    at: decidedAt,
    config: cfg({ requireSealMatch: false }),
    phase: 'releasing',
  },
  {
    name: "e-seal of the vehicle being processed opened outside the fence → alarm at once",
    given: upToWeight().slice(0, 5),
    input: { kind: 'seal.alarm', sealId: 'ACME:0001', reason: 'opened outside the zone fence' },
    at: 4500,
    phase: 'alarm',
    commands: [{ kind: 'cancel-timer', id: `${P0}:capture` }],
    events: alarmed(['seal broken: ACME:0001 (opened outside the zone fence)']),
  },
  {
    name: 'e-seal of no vehicle here: recorded as a lane alarm',
    given: [],
    input: { kind: 'seal.alarm', sealId: 'OTHER:7', reason: 'rope cut' },
    at: 0,
    phase: 'idle',
    commands: [],
    events: [{ type: 'gate.alarmed', payload: { laneId: 'L1', reason: 'seal broken: OTHER:7 (rope cut)', sealId: 'OTHER:7' } }],
  },
  {
    name: 'a seal reported opened earlier alarms when its vehicle reaches the lane',
    given: [[-3_600_000, { kind: 'seal.alarm', sealId: 'ACME:0001', reason: 'opened outside the zone fence' }], [0, { kind: 'vehicle.arrived' }]],
    input: { kind: 'slip.scanned', text: SLIP }, // the slip lists the seal: no need to wait for the seal reader
    at: 1000,
    phase: 'alarm',
    events: alarmed(['seal broken: ACME:0001 (opened outside the zone fence)']),
  },
  // --- weight
  { name: 'weight off within twice the tolerance → wait for an officer, no event yet', given: upToWeight(), input: weigh(40_300), at: decidedAt, phase: 'waiting', events: [] },
  { name: 'weight far off → alarm, difference recorded', given: upToWeight(), input: weigh(41_900), at: decidedAt, phase: 'alarm', events: alarmed(['weight far off: +3100 kg, tolerance 1164 kg'], { weighbridgeKg: 41_900, expectedKg: 38_800, diffKg: 3100 }) },
  { name: 'slip without tare or total: weight cannot be checked → wait', given: upToWeight(), input: weigh(39_000), at: decidedAt, cache: cacheWith({ slips: [slip({ vehicleWtKg: undefined })] }), phase: 'waiting' },
  // --- goods
  {
    name: 'goods of the slip under a customs hold',
    given: upToWeight(),
    input: weigh(39_000),
    at: decidedAt,
    cache: cacheWith({ decisions: [{ parcelKey: 'EE000000014CN', decision: 'hold' }, { parcelKey: 'EA123456785CN', decision: 'released' }] }),
    phase: 'alarm',
    events: alarmed(['goods held: EE000000014CN (hold)']),
  },
  { name: 'goods read by the portal that are not on the slip', given: upToWeight({ goods: ['EA123456785CN', 'CP202501019CN'] }), input: weigh(39_000), at: 6000, phase: 'alarm', events: alarmed(['goods not on slip: CP202501019CN']) },
  // --- double gate
  {
    name: 'gate 2 with an approved slip that never passed gate 1',
    given: upToWeight(),
    input: weigh(39_000),
    at: decidedAt,
    config: cfg({ gateRole: 'gate2' }),
    phase: 'alarm',
    events: alarmed(['slip has not passed gate 1']),
  },
  { name: 'gate 2 with a slip that passed gate 1 → release', given: upToWeight(), input: weigh(39_000), at: decidedAt, config: cfg({ gateRole: 'gate2' }), cache: cacheWith({ slips: [slip({ status: 'passed_gate1', gateMode: 'double' })] }), phase: 'releasing' },
  {
    name: 'gate 1 again with a slip that passed gate 1',
    given: upToWeight(),
    input: weigh(39_000),
    at: decidedAt,
    config: cfg({ gateRole: 'gate1' }),
    cache: cacheWith({ slips: [slip({ status: 'passed_gate1', gateMode: 'double' })] }),
    phase: 'alarm',
    events: alarmed(['slip already used: passed gate 1']),
  },
  // --- fail safe
  {
    name: 'stale cache → never released automatically: wait for an officer',
    given: upToWeight(),
    input: weigh(39_000),
    at: decidedAt,
    cache: cacheWith({ syncedAtMs: T0 - 20 * 60_000 }),
    phase: 'waiting',
    commands: [{ kind: 'cancel-timer', id: `${P0}:capture` }],
    events: [],
  },
  { name: 'stale cache and a hard problem → alarm, flagged stale', given: upToWeight({ plate: '沪B99999' }), input: weigh(39_000), at: decidedAt, cache: cacheWith({ syncedAtMs: null }), phase: 'alarm', events: alarmed(['wrong vehicle: 沪B99999 ≠ 沪A12345', 'cache stale'], { cacheStale: true }) },
  { name: 'no valid rules → wait for an officer', given: upToWeight(), input: weigh(39_000), at: decidedAt, cache: cacheWith({ noRules: true }), phase: 'waiting' },
  {
    name: 'capture timeout with nothing but a plate → alarm incomplete',
    given: [[0, { kind: 'plate', vehicleNo: '沪C55555', source: 'anpr' }]],
    input: { kind: 'timer', id: `${P0}:capture` },
    at: 20_000,
    phase: 'alarm',
    commands: [],
    events: alarmed(['incomplete: no slip', 'incomplete: no weight'], { vehicleNo: '沪C55555' }),
  },
  {
    name: 'capture timeout: slip and plate but no container or seal read',
    given: [[0, { kind: 'slip.scanned', text: SLIP }], [1000, { kind: 'plate', vehicleNo: '沪A12345', source: 'anpr' }], [2000, weigh(39_000)]],
    input: { kind: 'timer', id: `${P0}:capture` },
    at: 20_000,
    phase: 'alarm',
    events: alarmed(['incomplete: container not read: CSQU3054383', 'incomplete: seal not read: ACME:0001']),
  },
  { name: 'a capture timer of a passage already decided is ignored', given: captures(), input: { kind: 'timer', id: `${P0}:capture` }, at: 20_000, phase: 'releasing', commands: [], events: [] },
  // --- barrier
  {
    name: 'barrier jammed: raise not confirmed in barrierTimeoutMs → alarm, barrier commanded down, nothing passed',
    given: captures(),
    input: { kind: 'timer', id: `${P0}:raise` },
    at: 10_000,
    phase: 'alarm',
    commands: [{ kind: 'cancel-timer', id: `${P0}:raise` }, lower, { kind: 'timer', id: `${P0}:lower`, atMs: T0 + 15_000 }],
    events: alarmed(['barrier jammed: not open 5000 ms after the raise'], { slipNo: SLIP }),
  },
  {
    name: 'raise command failed → alarm',
    given: captures(),
    input: { kind: 'command.failed', command: raise, reason: 'Modbus exception 4' },
    at: 5100,
    phase: 'alarm',
    events: alarmed(['barrier jammed: command failed: Modbus exception 4']),
  },
  {
    name: 'barrier forced open with no vehicle → lane alarm',
    given: [[0, { kind: 'barrier.state', open: false }]],
    input: { kind: 'barrier.forced' },
    at: 1000,
    phase: 'alarm',
    events: [{ type: 'gate.alarmed', payload: { laneId: 'L1', reason: 'barrier forced open', reasons: ['barrier forced open'] } }],
  },
  { name: 'barrier seen opening with no raise commanded → forced alarm', given: [[0, { kind: 'barrier.state', open: false }]], input: { kind: 'barrier.state', open: true }, at: 1000, phase: 'alarm', events: [{ type: 'gate.alarmed', payload: { reason: 'barrier forced open' } }] },
  { name: 'forced input after the opening was already alarmed: one alarm', given: [[0, { kind: 'barrier.state', open: false }], [1000, { kind: 'barrier.state', open: true }]], input: { kind: 'barrier.forced' }, at: 1010, phase: 'alarm', events: [] },
  {
    name: 'barrier forced open while a vehicle is being captured → that passage alarms',
    given: [[0, { kind: 'barrier.state', open: false }], ...upToWeight({ t: 1000 }).slice(0, 3)],
    input: { kind: 'barrier.forced' },
    at: 4000,
    phase: 'alarm',
    commands: [{ kind: 'cancel-timer', id: `L1-${T0 + 1000}:capture` }],
    events: [{ type: 'gate.alarmed', payload: { passageId: `L1-${T0 + 1000}`, reasons: ['barrier forced open'] } }],
  },
  {
    name: 'barrier not down barrierTimeoutMs after the lower → alarm',
    given: [...captures(), [6000, { kind: 'barrier.state', open: true }], [9000, { kind: 'vehicle.left' }]],
    input: { kind: 'timer', id: `${P0}:lower` },
    at: 14_000,
    phase: 'alarm',
    events: [{ type: 'gate.alarmed', payload: { reasons: ['barrier did not close: not closed 5000 ms after the lower'] } }],
  },
  {
    name: 'lower command failed → alarm',
    given: [...captures(), [6000, { kind: 'barrier.state', open: true }], [9000, { kind: 'vehicle.left' }]],
    input: { kind: 'command.failed', command: lower, reason: 'timeout' },
    at: 9100,
    phase: 'alarm',
    commands: [{ kind: 'cancel-timer', id: `${P0}:lower` }],
    events: [{ type: 'gate.alarmed', payload: { reasons: ['barrier did not close: command failed: timeout'] } }],
  },
  {
    name: "the vehicle's e-seal alarm before the barrier is up stops the release",
    given: captures(),
    input: { kind: 'seal.alarm', sealId: 'ACME:0001', reason: 'opened outside the zone fence' },
    at: 5500,
    phase: 'alarm',
    commands: [{ kind: 'cancel-timer', id: `${P0}:raise` }, lower, { kind: 'timer', id: `${P0}:lower`, atMs: T0 + 10_500 }],
    events: alarmed(['seal broken: ACME:0001 (opened outside the zone fence)']),
  },
  {
    name: 'officer releases before the captures are complete: the missing ones are recorded as overridden',
    given: upToWeight().slice(0, 3),
    input: { kind: 'manual.release', officerId: 'officer-3', reason: 'weighbridge out of order' },
    at: 3000,
    phase: 'releasing',
    commands: [{ kind: 'cancel-timer', id: `${P0}:capture` }, raise, { kind: 'timer', id: `${P0}:raise`, atMs: T0 + 8000 }],
    events: [],
  },
  {
    name: 'a new vehicle on the loop while one waits for an officer: the waiting passage is recorded as abandoned',
    given: [...upToWeight(), [5000, weigh(40_300)]],
    input: { kind: 'vehicle.arrived' },
    at: 60_000,
    phase: 'capturing',
    commands: [{ kind: 'timer', id: `L1-${T0 + 60_000}:capture`, atMs: T0 + 80_000 }],
    events: alarmed(['weight off: +1500 kg, tolerance 1164 kg', 'passage abandoned']),
  },
  {
    name: 'an officer clears a lane alarm',
    given: [[0, { kind: 'barrier.state', open: false }], [1000, { kind: 'barrier.forced' }], [2000, { kind: 'barrier.state', open: false }]],
    input: { kind: 'manual.reject', officerId: 'officer-1', reason: 'barrier checked, closed' },
    at: 3000,
    phase: 'idle',
    events: [],
  },
  { name: 'an empty weighbridge (0 kg) is no vehicle', given: [], input: weigh(0), at: 0, phase: 'idle', commands: [], events: [] },
  // --- one passage, one transaction
  {
    name: 'the same slip scanned again (spaces, lower case) amends nothing: same passage, no new timer',
    given: upToWeight().slice(0, 3),
    input: { kind: 'slip.scanned', text: ` ${SLIP.toLowerCase().slice(0, 10)} ${SLIP.toLowerCase().slice(10)}\r\n` },
    at: 2500,
    phase: 'capturing',
    commands: [],
    events: [],
  },
];

describe('gate lane station', () => {
  for (const row of rows) {
    it(row.name, () => {
      const env = { ...(row.cache ? { cache: row.cache } : {}), ...(row.config ? { config: row.config } : {}) };
      const before = run(row.given, { ...env, ...(row.state ? { state: row.state() } : {}) });
      const d = decideGate(before.state, row.input, T0 + row.at, row.cache ?? fresh, row.config ?? config);
      validate(d.events);
      expect(d.state.phase).toBe(row.phase);
      if (row.commands) expect(d.commands).toEqual(row.commands);
      if (row.events) {
        expect(d.events.map((e) => e.type)).toEqual(row.events.map((e) => e.type));
        row.events.forEach((e, i) => expect(d.events[i]!.payload).toMatchObject(e.payload));
      }
    });
  }

  it('a passage is one transaction: its id is the lane and first capture time, whatever comes after', () => {
    const { state, all } = run([...captures(), [6000, { kind: 'barrier.state', open: true }]]);
    expect(all[0]!.commands).toEqual([{ kind: 'timer', id: `${P0}:capture`, atMs: T0 + 20_000 }]);
    expect(all.slice(1, 5).every((d) => d.commands.length === 0 && d.events.length === 0)).toBe(true);
    expect(eventsOf(all)).toHaveLength(1);
    expect(state.phase === 'open' && state.passage.passageId).toBe(P0);
    // A re-scan during the passage changes nothing.
    const again = decideGate(run(captures().slice(0, 3)).state, { kind: 'slip.scanned', text: SLIP }, T0 + 2500, fresh, config);
    expect(again).toEqual({ state: run(captures().slice(0, 3)).state, commands: [], events: [] });
  });

  it('weight off → wait → manual release records who and why, and the difference', () => {
    const { state, all } = run([
      ...upToWeight(),
      [5000, weigh(40_300)],
      [30_000, { kind: 'manual.release', officerId: 'officer-7', reason: 'load checked: extra dunnage' }],
      [31_000, { kind: 'barrier.state', open: true }],
    ]);
    expect(all[5]!.state.phase).toBe('waiting');
    expect(all[6]!.commands).toEqual([raise, { kind: 'timer', id: `${P0}:raise`, atMs: T0 + 35_000 }]);
    const [passed, ...rest] = eventsOf(all);
    expect(rest).toEqual([]);
    expect(Payloads['gate.passed'].parse(passed!.payload)).toMatchObject({
      slipNo: SLIP,
      manual: { by: 'officer-7', reason: 'load checked: extra dunnage' },
      weighbridgeKg: 40_300,
      expectedKg: 38_800,
      diffKg: 1500,
      reasons: ['weight off: +1500 kg, tolerance 1164 kg'],
    });
    expect(state.lane.usedSlips.map((u) => u.slipNo)).toEqual([SLIP]);
  });

  it('a manual release needs both who and why', () => {
    const waiting = run([...upToWeight(), [5000, weigh(40_300)]]).state;
    for (const m of [{ officerId: ' ', reason: 'ok' }, { officerId: 'officer-7', reason: '' }]) {
      expect(decideGate(waiting, { kind: 'manual.release', ...m }, T0 + 9000, fresh, config)).toEqual({ state: waiting, commands: [], events: [] });
    }
  });

  it('stale cache: the manual release carries cacheStale and the reason', () => {
    const stale = cacheWith({ syncedAtMs: T0 - 20 * 60_000 });
    const { all } = run([...captures(), [9000, { kind: 'manual.release', officerId: 'officer-2', reason: 'hub link down, slip checked by phone' }], [10_000, { kind: 'barrier.state', open: true }]], { cache: stale });
    expect(eventsOf(all).map((e) => e.payload)).toEqual([expect.objectContaining({ cacheStale: true, reasons: ['cache stale'], manual: { by: 'officer-2', reason: 'hub link down, slip checked by phone' } })]);
  });

  it('a hard alarm can be overridden only by an explicit manual release, which is recorded', () => {
    const { all } = run([...upToWeight({ t: 60_000 }), [65_000, weigh(39_000)], [70_000, { kind: 'manual.release', officerId: 'officer-1', reason: 'second trip on the same slip authorised' }], [71_000, { kind: 'barrier.state', open: true }]], { state: passedOnce() });
    expect(eventsOf(all).map((e) => [e.type, (e.payload as { reasons?: string[] }).reasons, (e.payload as { manual?: unknown }).manual])).toEqual([
      ['gate.alarmed', ['slip reused'], undefined],
      ['gate.passed', ['slip reused'], { by: 'officer-1', reason: 'second trip on the same slip authorised' }],
    ]);
  });

  it('a manual reject ends the passage: the refusal is recorded with who and why, and no officer.action (the hub takes those from benches only)', () => {
    const { state, all } = run([...upToWeight(), [5000, weigh(40_300)], [9000, { kind: 'manual.reject', officerId: 'officer-7', reason: 'send back to re-weigh' }]]);
    expect(state.phase).toBe('idle');
    expect(all[6]!.events.map((e) => [e.type, e.payload])).toEqual([
      ['gate.alarmed', expect.objectContaining({ reasons: ['weight off: +1500 kg, tolerance 1164 kg', 'rejected by officer: officer-7: send back to re-weigh'] })],
    ]);
    // From an alarm already raised, the refusal is a gate.alarmed of its own too.
    const fromAlarm = run([...upToWeight({ plate: '沪B99999' }), [5000, weigh(39_000)], [9000, { kind: 'manual.reject', officerId: 'officer-7', reason: 'wrong truck' }]]);
    expect(fromAlarm.all[5]!.state.phase).toBe('alarm');
    expect(fromAlarm.state.phase).toBe('idle');
    expect(fromAlarm.all[6]!.events.map((e) => [e.type, (e.payload as { reasons?: string[] }).reasons?.at(-1)])).toEqual([['gate.alarmed', 'rejected by officer: officer-7: wrong truck']]);
  });

  it('after an alarm, a corrected capture never releases by itself: it waits for an officer', () => {
    const { all } = run([...upToWeight({ plate: '沪B99999' }), [5000, weigh(39_000)], [8000, { kind: 'plate', vehicleNo: '沪A12345', source: 'typed' }]]);
    expect(all[5]!.state.phase).toBe('alarm');
    const d = all[6]!;
    expect(d.state.phase).toBe('waiting');
    expect(d.commands).toEqual([]);
    expect(d.state.phase === 'waiting' && d.state.verdict.reasons.map((r) => r.code)).toEqual(['alarm_cleared']);
  });

  it("after an alarm, the next vehicle's plate starts its own passage: the previous truck's plate and slip never carry over (issue 17 item 10)", () => {
    // Truck 沪B99999 alarms (wrong vehicle for the slip) and leaves without a reject; no loop sees the next truck.
    const { state, all } = run([
      ...upToWeight({ plate: '沪B99999' }),
      [5000, weigh(39_000)],
      [60_000, { kind: 'plate', vehicleNo: '沪A12345', source: 'anpr' }],
    ]);
    expect(all[5]!.state.phase).toBe('alarm');
    expect(state.phase).not.toBe('idle');
    const p = state.phase === 'idle' ? null : state.passage;
    expect(p?.passageId).not.toBe(P0);
    expect(p?.capture.plate).toEqual({ vehicleNo: '沪A12345', source: 'anpr' });
    expect(p?.capture.slipNo).toBeNull();
    expect(p?.capture.weighbridgeKg).toBeNull();
    expect(gateDisplay(state).lastCodes).toEqual(['沪A12345']);
    // The new truck then goes through on its own captures.
    const next = run(
      [
        [61_000, { kind: 'slip.scanned', text: SLIP }],
        [62_000, { kind: 'container', containerNo: 'CSQU3054383' }],
        [63_000, { kind: 'seal.read', sealId: 'ACME:0001' }],
        [64_000, weigh(39_000)],
      ],
      { state },
    );
    expect(next.state.phase).toBe('releasing');
  });

  it('from waiting, a fresh weight inside the tolerance releases', () => {
    const { all } = run([...upToWeight(), [5000, weigh(40_300)], [9000, weigh(39_100)]]);
    expect(all[6]!.state.phase).toBe('releasing');
    expect(all[6]!.commands).toContainEqual(raise);
  });

  it('double gate: gate 1 then (after the hub confirms passed_gate1) gate 2', () => {
    const gate1 = run([...captures(), [6000, { kind: 'barrier.state', open: true }]], { config: cfg({ laneId: 'G1', gateRole: 'gate1' }) });
    expect(eventsOf(gate1.all).map((e) => [e.type, (e.payload as { laneId: string }).laneId])).toEqual([['gate.passed', 'G1']]);
    const afterSync = cacheWith({ slips: [slip({ status: 'passed_gate1', gateMode: 'double' })] });
    const gate2 = run([...captures({ t: 120_000 }), [126_000, { kind: 'barrier.state', open: true }]], { config: cfg({ laneId: 'G2', gateRole: 'gate2' }), cache: afterSync });
    expect(eventsOf(gate2.all).map((e) => [e.type, (e.payload as { laneId: string }).laneId])).toEqual([['gate.passed', 'G2']]);
  });

  it('goods read late, before the barrier is up, stop the release', () => {
    const { all } = run([...captures(), [5500, { kind: 'goods.read', keys: ['CP202501019CN'] }]]);
    const d = last(all);
    expect(d.state.phase).toBe('alarm');
    expect(d.commands).toEqual([{ kind: 'cancel-timer', id: `${P0}:raise` }, lower, { kind: 'timer', id: `${P0}:lower`, atMs: T0 + 10_500 }]);
    expect(eventsOf(all).map((e) => e.type)).toEqual(['gate.alarmed']);
  });

  it('the next vehicle captured while the barrier is up is queued and decided once the barrier is down', () => {
    const other = slip({ passportNo: 'Z3111I240728000000000004', vehicleNo: '沪D00001', vehicleIcNo: undefined, containerNos: [], sealIds: [], goods: [] });
    const cache = cacheWith({ slips: [slip(), other] });
    const { state, all } = run(
      [
        ...captures(),
        [6000, { kind: 'barrier.state', open: true }],
        [7000, { kind: 'slip.scanned', text: other.passportNo }],
        [7500, { kind: 'plate', vehicleNo: '沪D00001', source: 'anpr' }],
        [9000, { kind: 'vehicle.left' }],
        [9500, weigh(38_800)],
        [11_000, { kind: 'barrier.state', open: false }],
        [12_000, { kind: 'barrier.state', open: true }],
      ],
      { cache },
    );
    const Q = `L1-${T0 + 7000}`;
    expect(all[8]!.state.phase).toBe('open');
    expect(all[9]!.state.phase).toBe('capturing');
    expect(all[9]!.commands).toEqual([{ kind: 'cancel-timer', id: `${P0}:close` }, lower, { kind: 'timer', id: `${P0}:lower`, atMs: T0 + 14_000 }, { kind: 'timer', id: `${Q}:capture`, atMs: T0 + 29_000 }]);
    // Released, but one vehicle, one lift: the barrier must be seen down before it rises for the next vehicle.
    expect(all[10]!.state).toMatchObject({ phase: 'releasing', awaitingClose: true });
    expect(all[10]!.commands).toEqual([{ kind: 'cancel-timer', id: `${Q}:capture` }]);
    expect(all[11]!.commands).toEqual([{ kind: 'cancel-timer', id: `${P0}:lower` }, raise, { kind: 'timer', id: `${Q}:raise`, atMs: T0 + 16_000 }]);
    expect(state.phase).toBe('open');
    expect(eventsOf(all).map((e) => [e.type, (e.payload as { passageId: string }).passageId, (e.payload as { slipNo: string }).slipNo])).toEqual([
      ['gate.passed', P0, SLIP],
      ['gate.passed', Q, other.passportNo],
    ]);
  });

  it('pure: the same state, input, time and cache give the same decision, and the state is not mutated', () => {
    const s = run(upToWeight()).state;
    const copy = structuredClone(s);
    const a = decideGate(s, weigh(39_000), T0 + 5000, fresh, config);
    const b = decideGate(s, weigh(39_000), T0 + 5000, fresh, config);
    expect(a).toEqual(b);
    expect(s).toEqual(copy);
    expect(JSON.parse(JSON.stringify(a.state))).toEqual(a.state); // journaled as JSON
  });
});

describe('gate console display', () => {
  it('shows a bilingual verdict for each outcome', () => {
    expect(gateDisplay(initialGateState()).verdict).toBeNull();
    expect(gateDisplay(run(captures()).state).verdict).toMatchObject({ tone: 'go', zh: '放行', en: 'Release' });
    expect(gateDisplay(run([...upToWeight(), [5000, weigh(40_300)]]).state).verdict).toMatchObject({ tone: 'wait', zh: '等待人工确认', en: 'Waiting for manual confirmation', detail: expect.stringContaining('重量超差') });
    const alarm = gateDisplay(run(upToWeight({ plate: '沪B99999' }).concat([[5000, weigh(39_000)]])).state);
    // The reasons in the reader's language (details), the headline alone in the other (issue 17 item 5).
    expect(alarm.verdict).toMatchObject({ tone: 'stop', zh: '禁止通行', en: 'Alarm: no passage', details: { zh: '车辆与核放单不符：沪B99999 ≠ 沪A12345', en: 'wrong vehicle: 沪B99999 ≠ 沪A12345' } });
    expect(alarm.lastCodes).toEqual([SLIP, '沪B99999', 'CSQU3054383', 'ACME:0001']);
    expect(alarm.weightKg).toBe(39_000);
    expect(alarm.recent[0]).toMatchObject({ tone: 'stop', en: expect.stringContaining('Alarm: wrong vehicle') });
  });

  it('keeps the last passages, most recent first', () => {
    const d = gateDisplay(passedOnce());
    expect(d.recent).toEqual([{ atMs: T0 + 6000, zh: `${SLIP} 沪A12345 放行`, en: `${SLIP} 沪A12345 Release`, tone: 'go' }]);
  });
});

describe('gate identifiers', () => {
  it.each([
    ['CSQU3054383', true],
    ['MSKU9070323', true],
    ['csqu 305438-3', true],
    ['CSQU3054384', false],
    ['CSQA3054383', false],
    ['CSQU305438', false],
  ])('ISO 6346 %s → %s', (n, ok) => expect(isValidContainerNo(n)).toBe(ok));

  it.each([
    ['沪A·12345', '沪A12345'],
    [' 沪a 12345 ', '沪A12345'],
    ['ＡＢ１２３', 'AB123'],
  ])('plate %s → %s', (raw, n) => expect(normalisePlate(raw)).toBe(n));
});
