import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from './json-depth.ts';

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays as levels; scalars add none', () => {
    expect(jsonDepthExceeds(1, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds({ a: [{ b: 'x' }] }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: [{ b: 'x' }] }, 2)).toBe(true);
    expect(jsonDepthExceeds({ a: 1, b: [1, 2, [3]] }, 2)).toBe(true);
  });

  it('walks a 100,000-deep value without overflowing the stack', () => {
    const deep: unknown = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(jsonDepthExceeds(deep, 32)).toBe(true);
    expect(jsonDepthExceeds(deep, 100_000)).toBe(false);
  });
});
