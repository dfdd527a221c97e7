import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from './canonical.ts';

describe('canonicalJson', () => {
  it('is independent of key order, at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } })).toBe(canonicalJson({ a: { c: 'x', d: [1, { y: 2, z: 1 }] }, b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('sorts keys inside objects nested in arrays but keeps array order', () => {
    expect(canonicalJson({ rows: [{ seq: 2, hash: 'b' }, [{ y: 1, x: [3, 1, 2] }], { seq: 1, hash: 'a' }] })).toBe(
      '{"rows":[{"hash":"b","seq":2},[{"x":[3,1,2],"y":1}],{"hash":"a","seq":1}]}',
    );
    expect(canonicalJson([{}, [], [[]]])).toBe('[{},[],[[]]]');
  });

  it('gives the same hash for the same entry however it was built', () => {
    const a = { payload: { grossWeightKg: 1.25, stable: true }, seq: 7, time: { wallMs: 1, hlc: 'h' } };
    const b = JSON.parse('{"time":{"hlc":"h","wallMs":1},"seq":7,"payload":{"stable":true,"grossWeightKg":1.25}}') as unknown;
    expect(sha256Hex(canonicalJson(a))).toBe(sha256Hex(canonicalJson(b)));
  });

  it('drops undefined members at every depth and writes undefined array items as null, like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
    expect(canonicalJson({ x: { deviceId: undefined, y: 1 }, z: [{ k: undefined }] })).toBe('{"x":{"y":1},"z":[{}]}');
    // An entry written with an undefined optional hashes like the same entry without the key.
    expect(canonicalJson({ parcelKey: undefined, seq: 1 })).toBe(canonicalJson({ seq: 1 }));
  });

  it('equals JSON.stringify for already-sorted input, escapes included', () => {
    const v = { a: '引号"\n\u0001', b: [true, null, 1.5, -0.25], c: { d: '中文' } };
    expect(canonicalJson(v)).toBe(JSON.stringify(v));
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('s')).toBe('"s"');
  });

  it('refuses non-finite numbers, however deep', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow();
    expect(() => canonicalJson({ a: [{ b: { c: Number.NEGATIVE_INFINITY } }] })).toThrow();
    expect(() => canonicalJson(Number.NaN)).toThrow();
  });
});
