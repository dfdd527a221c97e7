import { expect } from 'vitest';
import type { Codec } from '../../drivers/contract.ts';

/** Test support: feed one capture to a codec in different splits (style.md: "split at every byte"). */

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function feedChunks<F>(codec: Codec<F>, bytes: Uint8Array, sizes: number[]): F[] {
  codec.reset();
  const frames: F[] = [];
  let off = 0;
  for (let i = 0; off < bytes.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    frames.push(...codec.push(bytes.subarray(off, off + size)));
    off += size;
  }
  return frames;
}

/** Every way of feeding the capture whose frames must all equal feeding it whole. */
export function splits(bytes: Uint8Array): Array<{ name: string; sizes: number[] }> {
  return [
    { name: 'whole', sizes: [Math.max(bytes.length, 1)] },
    { name: 'byte by byte', sizes: [1] },
    { name: 'odd chunks', sizes: [7, 13, 1, 23, 25, 3] },
  ];
}

/** Frames from feeding the capture as two pieces, for every split point. */
export function everySplitPoint<F>(codec: Codec<F>, bytes: Uint8Array): F[][] {
  const out: F[][] = [];
  for (let i = 0; i <= bytes.length; i++) {
    codec.reset();
    out.push([...codec.push(bytes.subarray(0, i)), ...codec.push(bytes.subarray(i))]);
  }
  return out;
}

/** Seeded PRNG (mulberry32) so random-byte tests are reproducible. */
export function randomBytes(seed: number, length: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/**
 * Feed a capture whole, byte by byte and in odd chunks; assert every way gives the same frames, and return them.
 * `make` builds a fresh codec, so codecs without a working reset() are tested fairly too.
 */
export function decodeAllWays<F>(make: () => Codec<F>, bytes: Uint8Array): F[] {
  const runs = splits(bytes).map(({ sizes }) => feedChunks(make(), bytes, sizes));
  for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
  return runs[0]!;
}
