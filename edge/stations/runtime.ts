import type { Logger } from 'pino';
import type { AnyReading } from '../../drivers/registry.ts';
import { MAX_READ_TEXT, Payloads, type EventType, type NewEvent } from '../../shared/schemas/events.ts';
import type { CacheView, Decision, StationCommand, StationDisplay } from '../../shared/stations/types.ts';
import type { EdgeJournal } from '../journal.ts';

/**
 * The shell around a pure station (style.md, "A station state machine"): it turns device readings and console
 * input into inputs, calls `decide`, journals the events — the station's state committed with the last of them, in
 * the same SQLite transaction — and only then reports them; it runs the commands (diverter, barrier, camera,
 * timers) and feeds their failures back as inputs. It decides nothing itself.
 *
 * Nothing a station was given is lost to its own failure: an event that fails its schema is journalled instead as a
 * `station.exception` carrying its reads and payload, and a station that throws on an input journals the input the
 * same way; both with an `edge.alarm` station_event_refused. Timers fire in deadline order, ties in creation order,
 * however late the process gets to them.
 */
export interface StationDef<S, I> {
  kind: string;
  initial(): S;
  decide(state: S, input: I, nowMs: number, cache: CacheView): Decision<S>;
  display(state: S): StationDisplay;
  /** A device reading as an input for this station, by the role the device plays here; undefined = not for us. */
  fromReading(role: string, reading: AnyReading): I | undefined;
  timer(id: string): I;
  commandFailed(cmd: StationCommand, reason: string): I | undefined;
  photo?(transactionId: string, photoRef: string, thumbnailWebp: string | undefined): I;
  /** Console input (a scan typed or scanned at the station's screen, an action button) as an input; undefined = not accepted. */
  consoleInput?(input: { kind: 'scan'; text: string } | { kind: 'action'; id: string; reason?: string }, operatorId: string, ctx?: { officerToken?: string }): I | I[] | undefined;
  /** The buttons the console offers now. */
  actions?(state: S): { id: string; zh: string; en: string; key?: string; needsReason?: boolean; tone?: 'go' | 'stop' | 'wait' }[];
  /** Timers the persisted state still needs after a restart (open parcels waiting for their decision). */
  pendingTimers?(state: S): { id: string; atMs: number }[];
}

/** null: done; a string: it failed, and why; a photo: the camera's frame, kept in the image store. */
export type CommandOutcome = string | null | { photo: { ref: string; thumbnailWebp: string } };

export interface CommandPort {
  /** Run a logical command on the device playing its role. */
  run(cmd: StationCommand): Promise<CommandOutcome>;
}

export interface StationStats {
  decided: number;
  /** Input received → events committed, ms (last 1000). */
  latenciesMs: number[];
}

/** Pure: the read texts an event payload or an input carries (codes, rejected reads, a scanned code), for an exception. */
export function readsOf(value: unknown): string[] {
  if (!value || typeof value !== 'object') return [];
  const v = value as { codes?: unknown; rejectedReads?: unknown; code?: unknown; kind?: unknown };
  const out: string[] = [];
  if (Array.isArray(v.codes)) for (const c of v.codes) if (typeof c === 'string') out.push(c);
  if (Array.isArray(v.rejectedReads)) for (const r of v.rejectedReads) out.push(typeof r === 'string' ? r : String((r as { text?: unknown })?.text ?? ''));
  if (typeof v.code === 'string') out.push(v.code);
  return out.map((r) => r.slice(0, MAX_READ_TEXT)).slice(0, 10_000);
}

/**
 * Pure: the event to journal for a station event — itself with its payload as its schema parsed it (`parsed`: the
 * journal need not parse it again) when it is valid, else a `station.exception` that keeps its reads.
 */
export function checkedEvent(e: NewEvent): { event: NewEvent; refused?: string; parsed?: true } {
  const schema = Payloads[e.type as EventType];
  const parsed = schema?.safeParse(e.payload);
  const keyOk = e.parcelKey === undefined || (e.parcelKey.length > 0 && e.parcelKey.length <= 64);
  if (parsed?.success && keyOk) return { event: { ...e, payload: parsed.data } as NewEvent, parsed: true };
  const error = !schema ? `unknown event type ${String(e.type)}` : !parsed!.success ? parsed!.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ') : 'parcelKey must be 1..64 characters';
  return { event: exceptionEvent(e.stationId, String(e.type), error, e.payload), refused: error };
}

function exceptionEvent(stationId: string, eventType: string, error: string, payload: unknown): NewEvent {
  let payloadJson: string;
  try {
    payloadJson = JSON.stringify(payload) ?? '';
  } catch {
    payloadJson = String(payload);
  }
  return { type: 'station.exception', stationId, payload: { eventType: eventType.slice(0, 128) || 'unknown', error: error.slice(0, 1000) || 'invalid', reads: readsOf(payload), payloadJson: payloadJson.slice(0, 65_536) } };
}

/** Due timers decided per turn of the event loop. */
export const TIMER_CHUNK = 200;

export class StationRunner<S, I> {
  private state: S;
  /** Pending timers by id: deadline and creation order. One Node timer waits for the earliest. */
  private readonly timers = new Map<string, { atMs: number; order: number }>();
  private timerOrder = 0;
  private wake: NodeJS.Timeout | undefined;
  private wakeAtMs = Infinity;
  private readonly listeners = new Set<() => void>();
  private persistTimer: NodeJS.Timeout | undefined;
  readonly stats: StationStats = { decided: 0, latenciesMs: [] };

  constructor(
    readonly id: string,
    readonly def: StationDef<S, I>,
    private readonly journal: EdgeJournal,
    private readonly cache: CacheView,
    private readonly commands: CommandPort,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    // A restart resumes where the station was (parcels on the belt, slips used at this lane).
    const saved = journal.getMeta(this.metaKey);
    this.state = saved ? (JSON.parse(saved) as S) : def.initial();
    for (const t of def.pendingTimers?.(this.state) ?? []) this.run({ kind: 'timer', ...t });
  }

  private get metaKey(): string {
    return `station:${this.id}`;
  }

  get current(): S {
    return this.state;
  }

  display(): StationDisplay {
    return this.def.display(this.state);
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  reading(role: string, r: AnyReading): void {
    const input = this.def.fromReading(role, r);
    if (input !== undefined) void this.input(input);
  }

  /**
   * Feed one input; resolves when its events are committed. Inputs are decided in arrival order.
   *
   * Not an async function on purpose: a suspended one keeps its whole frame (the decision, the state it made) until
   * the commit, and a backlog has hundreds of inputs waiting for theirs — each holding a copy of the open parcels,
   * old enough by then to be promoted to the old generation as garbage. Only the appends and the start time wait.
   */
  input(input: I): Promise<void> {
    const t0 = performance.now();
    let d: Decision<S>;
    try {
      d = this.def.decide(this.state, input, this.now(), this.cache);
    } catch (e) {
      // A bug in a station must not take the agent down, nor lose what it was given: the input is journalled.
      const error = `station failed on an input: ${(e as Error).message}`;
      this.log.error({ err: (e as Error).message }, 'station decide failed');
      return this.journalRefusal(exceptionEvent(this.id, 'decide', error, input), error);
    }
    this.state = d.state;
    const checked = d.events.map((e) => checkedEvent({ ...e, stationId: this.id } as NewEvent));
    // The state is committed with the events, in their transaction — serialised at that commit, once for the whole
    // group (the journal calls `value` for the last update of the key): every decision queued before the commit is
    // in the same group, so the state written is the one after its last event. A backlog of a thousand scans
    // costs one serialisation per commit, not a thousand. Decisions without events save it a moment later, once.
    const snapshot = { key: this.metaKey, value: () => JSON.stringify(this.state) };
    const appends = checked.map((c, i) => this.journal.append(c.event, i === checked.length - 1 ? snapshot : undefined, c.parsed ? { parsed: true } : {}));
    for (const c of checked) if (c.refused) void this.journalRefusal(undefined, `${this.id}: ${c.refused}`);
    if (d.events.length === 0) this.persistSoon();
    else this.cancelPersist(); // the state goes with these events, as it is at their commit
    // Device commands go out at once: the diverter must not wait for the disk. The event records the decision
    // whatever the device then does; a failed command comes back as an input.
    for (const c of d.commands) this.run(c);
    for (const l of this.listeners) l();
    return appends.length === 0 ? Promise.resolve() : this.committed(appends, t0);
  }

  private async committed(appends: Promise<unknown>[], t0: number): Promise<void> {
    try {
      await Promise.all(appends);
      this.stats.decided += 1;
      this.stats.latenciesMs.push(performance.now() - t0);
      if (this.stats.latenciesMs.length > 1000) this.stats.latenciesMs.shift();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'station events not journalled');
    }
  }

  /** The exception (if not already appended) and its alarm; a refusal is never silent. */
  private async journalRefusal(exception: NewEvent | undefined, detail: string): Promise<void> {
    try {
      await Promise.all([
        ...(exception ? [this.journal.append(exception)] : []),
        this.journal.append({ type: 'edge.alarm', stationId: this.id, payload: { alarm: 'station_event_refused', detail: detail.slice(0, 1000) } }),
      ]);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'station exception not journalled');
    }
  }

  private cancelPersist(): void {
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
  }

  private persistSoon(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      try {
        this.journal.setMeta(this.metaKey, JSON.stringify(this.state));
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'station state not saved');
      }
    }, 200);
    this.persistTimer.unref();
  }

  private run(c: StationCommand): void {
    if (c.kind === 'timer') {
      this.timers.set(c.id, { atMs: c.atMs, order: this.timerOrder++ });
      // Only an earlier deadline moves the wake-up: no walk over every pending timer per timer set (a backlog has thousands).
      if (c.atMs < this.wakeAtMs) this.armAt(c.atMs);
      return;
    }
    if (c.kind === 'cancel-timer') {
      this.timers.delete(c.id);
      return;
    }
    void this.commands.run(c).then(
      (out) => {
        if (out === null) return;
        if (typeof out === 'object') {
          if (c.kind === 'snapshot' && this.def.photo) void this.input(this.def.photo(c.transactionId, out.photo.ref, out.photo.thumbnailWebp));
          return;
        }
        const back = this.def.commandFailed(c, out);
        if (back !== undefined) void this.input(back);
      },
      (e: Error) => this.log.error({ err: e.message, cmd: c.kind }, 'station command threw'),
    );
  }

  /** One Node timer, for the earliest deadline (a cancelled timer's wake-up finds nothing due and re-arms). */
  private arm(): void {
    let next = Infinity;
    for (const t of this.timers.values()) if (t.atMs < next) next = t.atMs;
    if (next === Infinity || next >= this.wakeAtMs) return;
    this.armAt(next);
  }

  private armAt(next: number): void {
    clearTimeout(this.wake);
    this.wakeAtMs = next;
    this.wake = setTimeout(() => this.fireDue(), Math.max(0, next - this.now()));
    this.wake.unref();
  }

  /**
   * Every timer that is due, in deadline order and ties in creation order: Node's own timers, computed from a clock that
   * moved while the process was busy, fire out of that order.
   */
  private fireDue(): void {
    this.wake = undefined;
    this.wakeAtMs = Infinity;
    const now = this.now();
    const due = [...this.timers.entries()].filter(([, t]) => t.atMs <= now).sort(([, a], [, b]) => a.atMs - b.atMs || a.order - b.order);
    // A backlog makes thousands due at once: decide them in chunks, yielding to the event loop in between, so
    // /healthz, the serial port and the journal's commits are served while the station works through it.
    const chunk = due.slice(0, TIMER_CHUNK);
    for (const [id] of chunk) this.timers.delete(id);
    for (const [id] of chunk) void this.input(this.def.timer(id));
    if (due.length > chunk.length) this.armAt(now); // the rest on the next turn of the loop, still in order
    else this.arm();
  }

  /** After a restart, timers of persisted open work are re-armed by the station's own next input; stop clears them. */
  stop(): void {
    clearTimeout(this.wake);
    this.wake = undefined;
    this.wakeAtMs = Infinity;
    this.timers.clear();
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = undefined;
      try {
        this.journal.setMeta(this.metaKey, JSON.stringify(this.state));
      } catch {
        // journal already closed
      }
    }
  }
}
