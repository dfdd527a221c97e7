import type { NewEvent } from '../schemas/events.ts';
import type { ExpectedList, ParcelDecision, ReleaseSlip, StationRules } from './feed.ts';

/**
 * The station contract (style.md, "A station state machine"): every station is a pure
 * `decide(state, input, now, cache) → { state, commands, events }`. Time is a parameter; timers are commands whose
 * expiry comes back as an input; device results come back as inputs. The shell in edge/stations runs the commands,
 * journals the events and the new state in one transaction, and never decides anything itself.
 */

/** A read-only view of the station cache (the hub's feed as the edge holds it), at one version. */
export interface CacheView {
  /** Highest feed version applied; 0 when the edge never synced. */
  readonly version: number;
  /** When the edge last heard from the hub's feed (ms), null when never. The staleness bound is measured from here. */
  readonly syncedAtMs: number | null;
  decision(parcelKey: string): ParcelDecision | undefined;
  slip(passportNo: string): ReleaseSlip | undefined;
  slipsForVehicle(vehicleNo: string): ReleaseSlip[];
  /** The rules in force at `nowMs` whose hub signature checked out; undefined when none. */
  rules(nowMs: number): StationRules | undefined;
  expected(listId: string): ExpectedList | undefined;
}

/** Logical device commands: the shell maps roles (diverter, barrier…) to the configured device ids. */
export type StationCommand =
  | { kind: 'divert'; transactionId: string; parcelKey: string; lane: 'release' | 'inspection' | 'exception' }
  | { kind: 'barrier'; laneId: string; action: 'raise' | 'lower' }
  | { kind: 'timer'; id: string; atMs: number }
  | { kind: 'cancel-timer'; id: string }
  /** Take and keep a photo for this transaction (camera), the result comes back as an input with its ref. */
  | { kind: 'snapshot'; transactionId: string };

/** Events as a station emits them: the shell adds the station id. */
export type StationEvent = NewEvent extends infer E ? (E extends { stationId: string } ? Omit<E, 'stationId'> : never) : never;

/** What the console shows for a station: bilingual verdict, recent activity, weight. */
export interface StationDisplay {
  /** `details`: the detail in each language (the console shows the reader's); `detail` for a reader of neither. */
  verdict: { tone: 'go' | 'stop' | 'wait' | 'idle'; zh: string; en: string; detail?: string; details?: { zh: string; en: string } } | null;
  lastCodes: string[];
  weightKg: number | null;
  /** Free-form lines for the operator (most recent first). */
  recent: { atMs: number; zh: string; en: string; tone: 'go' | 'stop' | 'wait' | 'idle' }[];
}

export interface Decision<S> {
  state: S;
  commands: StationCommand[];
  events: StationEvent[];
}

/** Pure: is the local copy too old to decide from? (A hold placed after the last sync would be missed.) */
export function cacheIsStale(cache: CacheView, rules: StationRules | undefined, nowMs: number): boolean {
  if (cache.syncedAtMs === null) return true;
  const bound = rules?.maxCacheAgeMs ?? 15 * 60_000;
  return nowMs - cache.syncedAtMs > bound;
}

/** A small in-memory CacheView for tests and tables. */
export function memoryCache(o: { version?: number; syncedAtMs?: number | null; decisions?: ParcelDecision[]; slips?: ReleaseSlip[]; rules?: StationRules; expected?: ExpectedList[] } = {}): CacheView {
  const decisions = new Map((o.decisions ?? []).map((d) => [d.parcelKey, d]));
  const slips = new Map((o.slips ?? []).map((s) => [s.passportNo, s]));
  const lists = new Map((o.expected ?? []).map((l) => [l.listId, l]));
  return {
    version: o.version ?? 1,
    syncedAtMs: o.syncedAtMs === undefined ? 0 : o.syncedAtMs,
    decision: (k) => decisions.get(k),
    slip: (n) => slips.get(n),
    slipsForVehicle: (v) => [...slips.values()].filter((s) => s.vehicleNo === v),
    rules: (now) => (o.rules && now >= o.rules.validFromMs && now < o.rules.validToMs ? o.rules : undefined),
    expected: (id) => lists.get(id),
  };
}
