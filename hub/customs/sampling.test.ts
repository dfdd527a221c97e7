import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/seeded-random.ts';
import { inSample, samplingDraw, samplingKeyId } from './sampling.ts';

/**
 * Sampling under the hub's secret key (issue 16 item 6, customs.md §6). Statistical checks use fixed keys and fixed
 * parcel keys, so they are deterministic; tolerances are about four standard deviations of a binomial share.
 */
const N = 20_000;
const keys = Array.from({ length: N }, (_, i) => `EA${String(i).padStart(8, '0')}${i % 10}CN`);
const KEY_A = Buffer.alloc(32, 0xa5);
const KEY_B = Buffer.alloc(32, 0x5a);
const sd = (p: number) => Math.sqrt((p * (1 - p)) / N);

describe('keyed sampling', () => {
  it.each([0.01, 0.05, 0.1, 0.3])('observes the configured rate %s', (rate) => {
    const observed = keys.filter((k) => inSample(samplingDraw(KEY_A, 'line', k), rate)).length / N;
    expect(Math.abs(observed - rate)).toBeLessThan(4 * sd(rate));
  });

  it('the same parcel keys under two hub keys give independent samples', () => {
    const rate = 0.3;
    const a = keys.map((k) => inSample(samplingDraw(KEY_A, 'risk', k), rate));
    const b = keys.map((k) => inSample(samplingDraw(KEY_B, 'risk', k), rate));
    const both = a.filter((x, i) => x && b[i]).length / N;
    // Independent: P(both) = rate²; the same sample would give rate.
    expect(Math.abs(both - rate * rate)).toBeLessThan(4 * sd(rate * rate));
    // The two streams under one key are independent of each other too.
    const line = keys.map((k) => inSample(samplingDraw(KEY_A, 'line', k), rate));
    expect(Math.abs(a.filter((x, i) => x && line[i]).length / N - rate * rate)).toBeLessThan(4 * sd(rate * rate));
  });

  it('is deterministic per key and parcel, in [0, 1), and unpredictable without the key', () => {
    expect(samplingDraw(KEY_A, 'risk', keys[0]!)).toBe(samplingDraw(KEY_A, 'risk', keys[0]!));
    const rnd = seededRandom(16);
    for (let i = 0; i < 1000; i++) {
      const d = samplingDraw(KEY_A, 'risk', `X${Math.floor(rnd() * 1e9)}`);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(1);
    }
    expect(inSample(0, 0)).toBe(false);
    expect(inSample(0.999, 1)).toBe(true);
    // The key id is not the key (nor a prefix of its encodings).
    const id = samplingKeyId(KEY_A);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(KEY_A.toString('hex')).not.toContain(id);
    expect(samplingKeyId(KEY_B)).not.toBe(id);
  });
});
