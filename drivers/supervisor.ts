import type { DriverHealth } from './contract.ts';

/**
 * One supervisor owns reconnects and health for every driver, so a device can never look healthy while sending
 * nothing: a device is `up` only while its last good reading is younger than `staleAfterMs`, whatever its link says.
 * The decision is pure (`superviseStep`); `Supervisor` is the shell with timers, and its clock is injected.
 */
export type DeviceState = 'starting' | 'up' | 'stale' | 'down';

export interface SupervisionPolicy {
  /** No good reading for this long: the device is stale (a scale on a quiet lane can be; a PLC polled every 200 ms cannot). */
  staleAfterMs: number;
  /** Restart a stale device (true for polled devices, false for event-only ones like scanners). */
  restartWhenStale: boolean;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export interface Supervised {
  state: DeviceState;
  startedMs: number | null;
  attempts: number;
  nextAttemptMs: number | null;
}

export type SupervisorAction = 'none' | 'start' | 'restart';

/** Pure: given the device's record, its driver's health and the time, what it is now and what to do. */
export function superviseStep(s: Supervised, health: DriverHealth | undefined, nowMs: number, p: SupervisionPolicy, random: () => number): { next: Supervised; action: SupervisorAction } {
  const backoff = (attempts: number) => Math.round(Math.min(p.backoffMaxMs, p.backoffMinMs * 2 ** Math.min(attempts, 16)) * (0.5 + random() / 2));
  if (s.state === 'down') {
    if (s.nextAttemptMs !== null && nowMs < s.nextAttemptMs) return { next: s, action: 'none' };
    return { next: { state: 'starting', startedMs: nowMs, attempts: s.attempts, nextAttemptMs: null }, action: 'start' };
  }
  if (!health || !health.connected) {
    if (s.state === 'starting' && health === undefined) return { next: s, action: 'none' }; // start() still running
    return { next: { state: 'down', startedMs: null, attempts: s.attempts + 1, nextAttemptMs: nowMs + backoff(s.attempts) }, action: 'none' };
  }
  const since = health.lastReadingMs ?? s.startedMs ?? nowMs;
  if (nowMs - since > p.staleAfterMs) {
    if (p.restartWhenStale) return { next: { state: 'down', startedMs: null, attempts: s.attempts + 1, nextAttemptMs: nowMs + backoff(s.attempts) }, action: 'restart' };
    return { next: { ...s, state: 'stale' }, action: 'none' };
  }
  // A good reading resets the backoff: the device works again.
  return { next: { state: 'up', startedMs: s.startedMs, attempts: health.lastReadingMs !== null ? 0 : s.attempts, nextAttemptMs: null }, action: 'none' };
}

export interface SupervisorClock {
  now(): number;
  setInterval(fn: () => void, ms: number): { stop(): void };
}

export interface ManagedDriver {
  start(signal: AbortSignal): Promise<void>;
  health(): DriverHealth;
}

const DISCONNECTED: DriverHealth = { connected: false, lastReadingMs: null, errors: 0, garbage: 0, reconnects: 0 };

interface Entry {
  name: string;
  make: () => ManagedDriver;
  policy: SupervisionPolicy;
  record: Supervised;
  driver?: ManagedDriver;
  abort?: AbortController;
  starting: boolean;
  lastError?: string;
  reconnects: number;
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private ticker: { stop(): void } | undefined;

  constructor(private readonly clock: SupervisorClock, private readonly tickMs = 1000, private readonly random: () => number = Math.random) {}

  /** `make` builds a fresh driver for each (re)start: a driver instance is never reused after its link died. */
  add(name: string, make: () => ManagedDriver, policy: SupervisionPolicy): void {
    this.entries.set(name, { name, make, policy, record: { state: 'down', startedMs: null, attempts: 0, nextAttemptMs: null }, starting: false, reconnects: 0 });
  }

  start(): void {
    this.tick();
    this.ticker = this.clock.setInterval(() => this.tick(), this.tickMs);
  }

  /** Run one supervision round now (the ticker calls it; tests call it with a hand-driven clock). */
  tick(): void {
    for (const e of this.entries.values()) this.step(e);
  }

  private step(e: Entry): void {
    // While start() runs there is no health yet; a failed or stopped driver reads as disconnected.
    const health = e.starting ? undefined : (e.driver?.health() ?? DISCONNECTED);
    const { next, action } = superviseStep(e.record, health, this.clock.now(), e.policy, this.random);
    e.record = next;
    if (action === 'restart' || (next.state === 'down' && e.driver)) this.stopDriver(e);
    if (action === 'start') this.startDriver(e);
  }

  private stopDriver(e: Entry): void {
    e.abort?.abort();
    e.driver = undefined;
    e.abort = undefined;
  }

  private startDriver(e: Entry): void {
    if (e.record.attempts > 0) e.reconnects += 1;
    const driver = e.make();
    const abort = new AbortController();
    e.driver = driver;
    e.abort = abort;
    e.starting = true;
    driver.start(abort.signal).then(
      () => {
        e.starting = false;
        // Up now, not at the next tick (up to tickMs later): /healthz says a device is up as soon as it is.
        if (e.driver === driver) this.step(e);
      },
      (err: Error) => {
        e.starting = false;
        e.lastError = err.message;
        e.driver = undefined; // the next tick reads it as disconnected and backs off
      },
    );
  }

  status(): { name: string; state: DeviceState; attempts: number; reconnects: number; lastError?: string; health?: DriverHealth }[] {
    return [...this.entries.values()].map((e) => ({
      name: e.name,
      state: e.record.state,
      attempts: e.record.attempts,
      reconnects: e.reconnects,
      ...(e.lastError ? { lastError: e.lastError } : {}),
      ...(e.driver && !e.starting ? { health: e.driver.health() } : {}),
    }));
  }

  stop(): void {
    this.ticker?.stop();
    for (const e of this.entries.values()) this.stopDriver(e);
  }
}
