import type { Logger } from 'pino';
import type { AnyReading } from '../../drivers/registry.ts';
import type { CacheView, Decision, StationCommand, StationDisplay } from '../../shared/stations/types.ts';
import type { EdgeJournal } from '../journal.ts';

/**
 * The shell around a pure station (style.md, "A station state machine"): it turns device readings and console
 * input into inputs, calls `decide`, journals the events — the station's state committed with the last of them, in
 * the same SQLite transaction — and only then reports them; it runs the commands (diverter, barrier, camera,
 * timers) and feeds their failures back as inputs. It decides nothing itself.
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

export class StationRunner<S, I> {
  private state: S;
  private readonly timers = new Map<string, NodeJS.Timeout>();
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

  /** Feed one input; resolves when its events are committed. Inputs are decided in arrival order. */
  async input(input: I): Promise<void> {
    const t0 = performance.now();
    let d: Decision<S>;
    try {
      d = this.def.decide(this.state, input, this.now(), this.cache);
    } catch (e) {
      // A bug in a station must not take the agent down; the input is logged with the error.
      this.log.error({ err: (e as Error).message, input }, 'station decide failed');
      return;
    }
    this.state = d.state;
    const snapshot = JSON.stringify(d.state);
    const appends = d.events.map((e, i) => this.journal.append({ ...e, stationId: this.id } as Parameters<EdgeJournal['append']>[0], i === d.events.length - 1 ? { key: this.metaKey, value: snapshot } : undefined));
    if (d.events.length === 0) this.persistSoon();
    // Device commands go out at once: the diverter must not wait for the disk. The event records the decision
    // whatever the device then does; a failed command comes back as an input.
    for (const c of d.commands) this.run(c);
    for (const l of this.listeners) l();
    if (appends.length === 0) return;
    try {
      await Promise.all(appends);
      this.stats.decided += 1;
      this.stats.latenciesMs.push(performance.now() - t0);
      if (this.stats.latenciesMs.length > 1000) this.stats.latenciesMs.shift();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'station events not journalled');
    }
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
      clearTimeout(this.timers.get(c.id));
      const t = setTimeout(() => {
        this.timers.delete(c.id);
        void this.input(this.def.timer(c.id));
      }, Math.max(0, c.atMs - this.now()));
      t.unref();
      this.timers.set(c.id, t);
      return;
    }
    if (c.kind === 'cancel-timer') {
      clearTimeout(this.timers.get(c.id));
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

  /** After a restart, timers of persisted open work are re-armed by the station's own next input; stop clears them. */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
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
