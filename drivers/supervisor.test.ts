import { describe, expect, it } from 'vitest';
import type { DriverHealth } from './contract.ts';
import { superviseStep, Supervisor, type ManagedDriver, type Supervised, type SupervisionPolicy } from './supervisor.ts';

const policy: SupervisionPolicy = { staleAfterMs: 5000, restartWhenStale: true, backoffMinMs: 1000, backoffMaxMs: 30_000 };
const h = (connected: boolean, lastReadingMs: number | null): DriverHealth => ({ connected, lastReadingMs, errors: 0, garbage: 0, reconnects: 0 });
const rec = (state: Supervised['state'], extra: Partial<Supervised> = {}): Supervised => ({ state, startedMs: 0, attempts: 0, nextAttemptMs: null, ...extra });
const half = () => 1; // jitter factor (0.5 + 1/2) = 1: deterministic

describe('superviseStep', () => {
  it.each([
    ['down and due → start', rec('down', { nextAttemptMs: 100 }), h(false, null), 100, policy, 'starting', 'start'],
    ['down, backing off → wait', rec('down', { nextAttemptMs: 5000 }), h(false, null), 100, policy, 'down', 'none'],
    ['starting, start() not back yet → wait', rec('starting'), undefined, 100, policy, 'starting', 'none'],
    ['connected with a fresh reading → up', rec('starting'), h(true, 900), 1000, policy, 'up', 'none'],
    ['connected but silent past staleAfter → restart (polled device)', rec('up'), h(true, 1000), 7000, policy, 'down', 'restart'],
    ['connected but silent past staleAfter → stale (event-only device)', rec('up'), h(true, 1000), 7000, { ...policy, restartWhenStale: false }, 'stale', 'none'],
    ['a stale device that reads again → up', rec('stale'), h(true, 6900), 7000, { ...policy, restartWhenStale: false }, 'up', 'none'],
    ['link lost → down with backoff', rec('up'), h(false, 900), 1000, policy, 'down', 'none'],
  ] as const)('%s', (_name, s, health, now, p, state, action) => {
    const r = superviseStep(s, health, now, p, half);
    expect(r.next.state).toBe(state);
    expect(r.action).toBe(action);
  });

  it('backs off exponentially to the cap, and a good reading resets it', () => {
    let s = rec('up');
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      s = superviseStep(s, h(false, null), 0, policy, half).next;
      waits.push(s.nextAttemptMs!);
      s = { ...s, state: 'starting' };
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(superviseStep({ ...s, state: 'starting' }, h(true, 10), 10, policy, half).next.attempts).toBe(0);
  });
});

/** A driver whose health the test sets; start() can be told to fail. */
class FakeDriver implements ManagedDriver {
  static made: FakeDriver[] = [];
  healthNow: DriverHealth = h(true, null);
  aborted = false;
  constructor(private readonly fail: boolean) {
    FakeDriver.made.push(this);
  }
  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => (this.aborted = true));
    if (this.fail) throw new Error('ENOENT: no such device');
  }
  health(): DriverHealth {
    return this.healthNow;
  }
}

describe('Supervisor', () => {
  it('restarts a driver whose link died, with a fresh instance, after its backoff', async () => {
    let now = 0;
    const sup = new Supervisor({ now: () => now, setInterval: () => ({ stop() {} }) }, 1000, half);
    FakeDriver.made = [];
    let failNext = true;
    sup.add('scale-1', () => new FakeDriver(failNext), policy);
    sup.start(); // t=0: start → fails (device not plugged in)
    await Promise.resolve();
    now = 10;
    sup.tick();
    expect(sup.status()[0]).toMatchObject({ state: 'down', lastError: 'ENOENT: no such device' });
    failNext = false;
    now = 500;
    sup.tick(); // still backing off (1000 ms)
    expect(FakeDriver.made).toHaveLength(1);
    now = 1010;
    sup.tick(); // due: a new instance
    await Promise.resolve();
    expect(FakeDriver.made).toHaveLength(2);
    FakeDriver.made[1]!.healthNow = h(true, 1015);
    now = 1020;
    sup.tick();
    expect(sup.status()[0]).toMatchObject({ state: 'up', reconnects: 1 });
    // The device goes silent: a polled device is restarted, the old instance aborted.
    now = 7000;
    sup.tick();
    expect(FakeDriver.made[1]!.aborted).toBe(true);
    expect(sup.status()[0]!.state).toBe('down');
    sup.stop();
  });

  it('a driver whose start() succeeds is up at once, not at the next tick', async () => {
    const sup = new Supervisor({ now: () => 0, setInterval: () => ({ stop() {} }) }, 1000, half);
    sup.add('scanner-1', () => new FakeDriver(false), policy);
    sup.start(); // the ticker never fires here: only start() and its completion run supervision
    expect(sup.status()[0]!.state).toBe('starting');
    await new Promise((r) => setImmediate(r));
    expect(sup.status()[0]!.state).toBe('up');
    sup.stop();
  });
});
