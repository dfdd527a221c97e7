import { describe, expect, it } from 'vitest';
import { decodeHlc, encodeHlc, HLC_PATTERN, HybridLogicalClock, type HlcTimestamp } from './hlc.ts';

const hlcOrder = (a: HlcTimestamp, b: HlcTimestamp) => a.l - b.l || a.c - b.c;

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

  it('stays strictly increasing and encodable through a long backwards step (counter carry)', () => {
    // The clock is set back an hour and the line keeps scanning: far more than 99,999 events at one l.
    let wall = 1_790_000_000_000;
    const c = new HybridLogicalClock(() => wall);
    let prev = encodeHlc(c.now());
    wall -= 3_600_000;
    for (let i = 0; i < 250_000; i++) {
      const t = c.now();
      const enc = encodeHlc(t);
      if (!(enc > prev) || !HLC_PATTERN.test(enc)) throw new Error(`event ${i}: ${enc} after ${prev}`);
      prev = enc;
    }
    expect(decodeHlc(prev).l).toBe(1_790_000_000_002); // two carries, 2 ms ahead of the stuck l
  });

  it('orders local events after a remote timestamp it received', () => {
    const c = new HybridLogicalClock(() => 100); // this gateway's clock is far behind
    const merged = c.receive({ l: 5000, c: 3 });
    expect(merged).toEqual({ l: 5000, c: 4 });
    expect(encodeHlc(c.now()) > encodeHlc({ l: 5000, c: 3 })).toBe(true);
  });

  it('merges by the larger of local, remote and physical time', () => {
    let wall = 100;
    const c = new HybridLogicalClock(() => wall, { l: 200, c: 5 });
    expect(c.receive({ l: 200, c: 9 })).toEqual({ l: 200, c: 10 }); // same l: max counter + 1
    expect(c.receive({ l: 150, c: 50 })).toEqual({ l: 200, c: 11 }); // remote behind: local wins
    wall = 300;
    expect(c.receive({ l: 250, c: 7 })).toEqual({ l: 300, c: 0 }); // physical ahead of both
    expect(c.receive({ l: 300, c: 99_999 })).toEqual({ l: 301, c: 0 }); // a full remote counter carries
    expect(encodeHlc(c.peek())).toMatch(HLC_PATTERN);
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
    expect(() => decodeHlc(`${encodeHlc({ l: 1, c: 1 })}0`)).toThrow();
  });

  it('text order equals HLC order for arbitrary pairs', () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
    const ts = Array.from({ length: 2000 }, () => ({ l: 1_700_000_000_000 + rand(50), c: rand(3) === 0 ? 99_999 : rand(20) }));
    const byText = [...ts].sort((a, b) => (encodeHlc(a) < encodeHlc(b) ? -1 : encodeHlc(a) > encodeHlc(b) ? 1 : 0));
    expect(byText).toEqual([...ts].sort(hlcOrder));
    for (const t of ts) expect(decodeHlc(encodeHlc(t))).toEqual(t);
  });
});
