import { describe, expect, it } from 'vitest';
import { decodeHlc, encodeHlc, HybridLogicalClock } from './hlc.ts';

describe('HybridLogicalClock', () => {
  it('never goes backwards when the wall clock does', () => {
    let wall = 1000;
    const c = new HybridLogicalClock(() => wall);
    const a = c.now();
    wall = 500; // NTP step or an operator setting the clock back
    const b = c.now();
    const d = c.now();
    expect(encodeHlc(b) > encodeHlc(a)).toBe(true);
    expect(encodeHlc(d) > encodeHlc(b)).toBe(true);
    expect(b).toEqual({ l: 1000, c: 1 });
  });

  it('orders local events after a remote timestamp it received', () => {
    const c = new HybridLogicalClock(() => 100); // this gateway's clock is far behind
    const merged = c.receive({ l: 5000, c: 3 });
    expect(merged).toEqual({ l: 5000, c: 4 });
    expect(encodeHlc(c.now()) > encodeHlc({ l: 5000, c: 3 })).toBe(true);
  });

  it('resets the counter when physical time moves past l', () => {
    let wall = 10;
    const c = new HybridLogicalClock(() => wall, { l: 10, c: 7 });
    wall = 11;
    expect(c.now()).toEqual({ l: 11, c: 0 });
  });

  it('encodes so that text order is HLC order, and round-trips', () => {
    const ts = [{ l: 9, c: 99 }, { l: 10, c: 0 }, { l: 10, c: 2 }, { l: 1_800_000_000_000, c: 1 }];
    const enc = ts.map(encodeHlc);
    expect([...enc].sort()).toEqual(enc);
    expect(enc.map(decodeHlc)).toEqual(ts);
    expect(() => decodeHlc('12.3')).toThrow();
  });
});
