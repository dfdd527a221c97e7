import { PlcConfig } from './plc.ts';
import { ModbusSimServer, RegisterBank } from './sim-server.ts';

/**
 * A conveyor PLC on Modbus, as a small sorter line exposes it:
 *   coil 0 run (1 = start the belt) · coil 1 divert to inspection · coil 2 divert to exception
 *   discrete 0 running · 1 entry photo-eye · 2 exit photo-eye · 3 fault
 *   holding 0 speed setpoint (mm/s)
 *   input 0–1 parcel count (uint32, high word first) · 2 actual speed (mm/s) · 3 fault code · 4 last lane (0 release, 1 inspection, 2 exception)
 * `feedParcel()` runs one parcel past both eyes; the lane is whatever the divert coils say when it reaches the exit.
 */
export const CONVEYOR_POINTS = PlcConfig.shape.points.parse([
  { name: 'run', table: 'coil', address: 0, writable: true },
  { name: 'divert.inspection', table: 'coil', address: 1, writable: true },
  { name: 'divert.exception', table: 'coil', address: 2, writable: true },
  { name: 'running', table: 'discrete', address: 0 },
  { name: 'eye.entry', table: 'discrete', address: 1 },
  { name: 'eye.exit', table: 'discrete', address: 2 },
  { name: 'fault', table: 'discrete', address: 3 },
  { name: 'speed.setpoint', table: 'holding', address: 0, writable: true },
  { name: 'parcels', table: 'input', address: 0, type: 'uint32' },
  { name: 'speed', table: 'input', address: 2 },
  { name: 'fault.code', table: 'input', address: 3 },
  { name: 'lastLane', table: 'input', address: 4 },
]);

export type Lane = 'release' | 'inspection' | 'exception';
const LANES: Lane[] = ['release', 'inspection', 'exception'];

export class ConveyorPlcSimulator {
  readonly bank = new RegisterBank();
  private server: ModbusSimServer | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  readonly lanes: Lane[] = [];

  /** Photo-eyes lit and not yet read by the master, with who waits for the read. */
  private readonly unseen = new Map<number, () => void>();

  /**
   * `holdEyesUntilRead`: a lit eye stays lit until the master has polled it once (a PLC that latches its edges) —
   * for tests that assert every edge is seen, whatever the machine's load; a real eye's pulse is just `eyeMs`.
   */
  constructor(private readonly timing: { eyeMs: number; travelMs: number; holdEyesUntilRead?: boolean } = { eyeMs: 40, travelMs: 120 }) {
    for (const a of [0, 1, 2]) this.bank.define('coil', a);
    for (const a of [0, 1, 2, 3]) this.bank.define('discrete', a);
    this.bank.define('holding', 0, 500);
    for (const a of [0, 1, 2, 3, 4]) this.bank.define('input', a);
    this.bank.onRead = (table, address, value) => {
      if (table === 'discrete' && value !== 0) this.unseen.get(address)?.();
    };
    this.bank.onWrite = (table, address, value) => {
      if (table === 'coil' && address === 0) this.setRunning(value !== 0);
      if (table === 'holding' && address === 0 && this.running) this.bank.set('input', 2, value);
    };
  }

  get running(): boolean {
    return this.bank.get('discrete', 0) !== 0;
  }

  private setRunning(on: boolean): void {
    // A faulted belt does not start until the fault is cleared.
    const go = on && this.bank.get('discrete', 3) === 0;
    this.bank.set('discrete', 0, go);
    this.bank.set('input', 2, go ? this.bank.get('holding', 0) : 0);
  }

  start(where: number | { serialPath: string; baudRate?: number }, unitId = 1): Promise<void> {
    this.server = new ModbusSimServer(new Map([[unitId, this.bank]]));
    return this.server.start(where);
  }

  /** One parcel down the belt (queued behind any before it). Resolves with its lane, or null if the belt is stopped. */
  feedParcel(): Promise<Lane | null> {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const pulse = async (eye: number) => {
      const seen = this.timing.holdEyesUntilRead ? new Promise<void>((r) => this.unseen.set(eye, r)) : Promise.resolve();
      this.bank.set('discrete', eye, true);
      await Promise.all([sleep(this.timing.eyeMs), seen]);
      this.unseen.delete(eye);
      this.bank.set('discrete', eye, false);
    };
    const run = this.chain.then(async () => {
      if (!this.running) return null;
      await pulse(1);
      await sleep(this.timing.travelMs);
      if (!this.running) return null; // stopped or faulted with the parcel on the belt
      const laneNo = this.bank.get('coil', 2) ? 2 : this.bank.get('coil', 1) ? 1 : 0;
      await pulse(2);
      const count = (this.bank.get('input', 0) << 16) + this.bank.get('input', 1) + 1;
      this.bank.set('input', 0, Math.floor(count / 0x10000));
      this.bank.set('input', 1, count & 0xffff);
      this.bank.set('input', 4, laneNo);
      // The PLC resets its divert flaps after each parcel.
      this.bank.set('coil', 1, false);
      this.bank.set('coil', 2, false);
      this.lanes.push(LANES[laneNo]!);
      return LANES[laneNo]!;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  fault(code: number): void {
    this.bank.set('discrete', 3, code !== 0);
    this.bank.set('input', 3, code);
    if (code !== 0) this.setRunning(false);
  }

  /** Powered off on its bus: no replies at all (the master must time out, not hang). */
  set dead(v: boolean) {
    this.bank.dead = v;
  }

  stop(): Promise<void> {
    return this.server?.stop() ?? Promise.resolve();
  }
}
