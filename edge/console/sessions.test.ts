import { describe, expect, it } from 'vitest';
import { LoginThrottle, type LoginSlot } from './sessions.ts';

const MIN = 60_000;

function throttle(limits = { max: 3, windowMs: MIN, maxWaitMs: 4 * MIN }) {
  const clock = { nowMs: 0 };
  return { t: new LoginThrottle(limits, () => clock.nowMs), clock };
}

const granted = (slot: LoginSlot) => {
  if (!slot.ok) throw new Error(`refused for ${slot.retryAfterMs} ms`);
  return slot;
};
const waitOf = (slot: LoginSlot) => (slot.ok ? 0 : slot.retryAfterMs);

describe('LoginThrottle', () => {
  it('counts an attempt when it is reserved: the limit holds while every check is still running', () => {
    const { t } = throttle();
    const slots = [t.reserve('op-7', 'A'), t.reserve('op-7', 'A'), t.reserve('op-8', 'A')];
    expect(slots.every((s) => s.ok)).toBe(true);
    expect(waitOf(t.reserve('op-9', 'A'))).toBeGreaterThan(0);
    // A place held by a check that then succeeds is given back.
    granted(slots[2]!).succeeded();
    expect(t.reserve('op-9', 'A').ok).toBe(true);
  });

  it('keeps failures for the window, per address and per operator; a success gives back only its own place', () => {
    const { t, clock } = throttle();
    granted(t.reserve('op-8', 'A')).failed();
    clock.nowMs = 10_000;
    granted(t.reserve('op-8', 'A')).failed();
    granted(t.reserve('op-7', 'A')).succeeded();
    granted(t.reserve('op-8', 'A')).failed();
    expect(waitOf(t.reserve('op-7', 'A'))).toBe(MIN - 10_000); // until the failure at 0 ages out
    expect(waitOf(t.reserve('op-8', 'B'))).toBe(MIN - 10_000); // the operator's own limit, from another address
    expect(t.reserve('op-7', 'B').ok).toBe(true);
    clock.nowMs = MIN;
    expect(t.reserve('op-7', 'A').ok).toBe(true);
  });

  it('past max failures in a row, one operator at one address waits the window, then twice as long each time, up to the cap', () => {
    const { t, clock } = throttle();
    const fail = () => granted(t.reserve('op-7', 'A')).failed();
    fail();
    fail();
    fail();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const wait = waitOf(t.reserve('op-7', 'A'));
      waits.push(wait);
      clock.nowMs += wait;
      fail();
    }
    expect(waits).toEqual([MIN, 2 * MIN, 4 * MIN, 4 * MIN]);
    // Another operator at that address, or the same one elsewhere, is only held by the window (which has aged out).
    expect(t.reserve('op-8', 'A').ok).toBe(true);
    expect(t.reserve('op-7', 'B').ok).toBe(true);
  });

  it('a success ends the run of failures', () => {
    const { t, clock } = throttle();
    const fail = () => granted(t.reserve('op-7', 'A')).failed();
    for (let i = 0; i < 3; i++) fail();
    clock.nowMs += MIN;
    granted(t.reserve('op-7', 'A')).succeeded();
    fail();
    // Four failures, but not in a row: no wait beyond the window (which has room).
    expect(t.reserve('op-7', 'A').ok).toBe(true);
  });

  it('a quiet day forgets a run of failures', () => {
    const { t, clock } = throttle();
    const fail = () => granted(t.reserve('op-7', 'A')).failed();
    for (let i = 0; i < 4; i++) {
      fail();
      clock.nowMs += 3 * MIN;
    }
    clock.nowMs += 24 * 3600_000;
    fail();
    expect(t.reserve('op-7', 'A').ok).toBe(true);
  });

  it('settles a slot once: a second report changes nothing', () => {
    const { t } = throttle();
    const slot = granted(t.reserve('op-7', 'A'));
    slot.succeeded();
    slot.failed();
    slot.failed();
    expect(t.reserve('op-7', 'A').ok && t.reserve('op-7', 'A').ok && t.reserve('op-7', 'A').ok).toBe(true);
  });
});
