import type { Logger } from 'pino';
import { isBondgateError } from '../shared/errors.ts';
import type { NewEvent } from '../shared/schemas/events.ts';
import { s10Number } from '../shared/identifiers/s10.ts';
import type { EdgeJournal } from './journal.ts';

/**
 * A simulated inspection line for the demo and the end-to-end tests, writing through the real journal.
 * Parcel keys are UPU S10 numbers with a valid check digit (customs.md §7), numbered from the journal's own
 * last one, so a restarted simulator continues where the journal ended instead of repeating parcels.
 */
export interface SimulatorOptions {
  journal: EdgeJournal;
  log: Logger;
  mode: 'line' | 'scans';
  stationId: string;
  parcelsPerSecond: number;
  totalParcels?: number;
  /** Deterministic randomness for tests. */
  random?: () => number;
}

export const s10 = (n: number): string => s10Number(n);
const serialOf = (key: string) => Number(/^EA(\d{8})\dCN$/.exec(key)?.[1] ?? 0);

export class LineSimulator {
  private timer: NodeJS.Timeout | undefined;
  private next: number;
  private credit = 0;
  private busy = false;
  private readonly random: () => number;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private readonly o: SimulatorOptions) {
    this.random = o.random ?? Math.random;
    const last = o.journal.getMeta('sim_last_parcel');
    this.next = (last ? serialOf(last) : 0) + 1;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  start(): void {
    const tickMs = 50;
    this.timer = setInterval(() => void this.tick(tickMs), tickMs);
  }

  private async tick(tickMs: number): Promise<void> {
    if (this.busy) return;
    this.credit += (this.o.parcelsPerSecond * tickMs) / 1000;
    const n = Math.floor(this.credit);
    if (n === 0) return;
    this.credit -= n;
    this.busy = true;
    try {
      const appends: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        if (this.o.totalParcels !== undefined && this.next > this.o.totalParcels) {
          this.stop();
          this.resolveDone();
          break;
        }
        const key = s10(this.next++);
        // The resume point commits in the same transaction as the parcel's first event, so a restart
        // (even after SIGKILL) neither repeats nor skips a parcel.
        this.eventsFor(key).forEach((e, j) => appends.push(this.o.journal.append(e, j === 0 ? { key: 'sim_last_parcel', value: key } : undefined)));
      }
      await Promise.all(appends);
    } catch (e) {
      if (isBondgateError(e, 'EDGE_JOURNAL_FULL')) this.o.log.error({ code: e.code }, 'station refuses parcels: journal full (gate fails closed)');
      else this.o.log.error({ err: (e as Error).message }, 'simulator append failed');
    } finally {
      this.busy = false;
    }
  }

  private eventsFor(parcelKey: string): NewEvent[] {
    const stationId = this.o.stationId;
    const scan: NewEvent = { type: 'parcel.scanned', stationId, deviceId: 'scanner-top', parcelKey, payload: { code: parcelKey, symbology: 'code128', source: 'scanner' } };
    if (this.o.mode === 'scans') return [scan];
    const weight = Math.round((0.2 + this.random() * 4.8) * 1000) / 1000;
    const suspect = this.random() < 0.05;
    const sampled = this.random() < 0.05;
    const events: NewEvent[] = [
      scan,
      { type: 'parcel.weighed', stationId, deviceId: 'scale-1', parcelKey, payload: { grossWeightKg: weight, resolutionKg: 0.001, stable: true } },
      { type: 'xray.verdict', stationId, deviceId: 'xray-1', parcelKey, payload: { verdict: suspect ? 'suspect' : 'clear' } },
    ];
    if (suspect || sampled) {
      events.push({ type: 'parcel.diverted', stationId, deviceId: 'diverter-1', parcelKey, payload: { lane: 'inspection', reasonCode: suspect ? { code: 'risk.xray.suspect' } : { code: 'line.sample', params: { rate: 5 } } } });
    } else {
      events.push({ type: 'parcel.diverted', stationId, deviceId: 'diverter-1', parcelKey, payload: { lane: 'release' } });
      events.push({ type: 'parcel.released', stationId, parcelKey, payload: { by: 'auto' } });
    }
    if (this.random() < 0.1) events.push({ type: 'device.health', stationId, deviceId: 'scale-1', payload: { status: 'up' } });
    return events;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
