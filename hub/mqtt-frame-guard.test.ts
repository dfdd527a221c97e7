import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mqttFrameGuard } from './mqtt-frame-guard.ts';

/** An MQTT fixed header for this many body bytes: type byte, remaining length (variable-length integer). */
function header(bodyBytes: number, type = 0x30): Buffer {
  const len: number[] = [];
  let n = bodyBytes;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.of(type, ...len);
}
const frame = (bodyBytes: number) => Buffer.concat([header(bodyBytes), Buffer.alloc(bodyBytes, 0x41)]);

/** The stream cut at the given points (sorted, deduplicated), as a socket may deliver it. */
function cut(stream: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...at, stream.length]) {
    out.push(stream.subarray(from, p));
    from = p;
  }
  return out;
}

describe('mqttFrameGuard', () => {
  it('passes a stream of packets at or under the limit however it is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (sizes, points) => {
        // Limit = the largest packet in the stream: on the limit is allowed.
        const frames = sizes.map((s) => frame(s));
        const guard = mqttFrameGuard(Math.max(...frames.map((f) => f.length)));
        for (const chunk of cut(Buffer.concat(frames), points)) expect(guard(chunk)).toBeNull();
      }),
    );
  });

  it('reports a packet one byte over the limit wherever it sits in the stream and however it is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 6 }), fc.integer({ min: 0, max: 200 }), fc.array(fc.nat(), { maxLength: 20 }), (before, big, points) => {
        const limit = 1 + (big + 1 < 128 ? 1 : 2) + big;
        const frames = [...before.map((s) => frame(Math.min(s, big))), frame(big + 1)];
        const guard = mqttFrameGuard(limit);
        const verdicts = cut(Buffer.concat(frames), points).map((c) => guard(c));
        expect(verdicts.find((v) => v !== null)).toEqual({ declaredBytes: frame(big + 1).length });
      }),
    );
  });

  it('knows a 40 MB publish from its first five bytes, before any of its body arrives', () => {
    const guard = mqttFrameGuard(4 * 1024 * 1024);
    expect(guard(header(40 * 1024 * 1024))).toEqual({ declaredBytes: 1 + 4 + 40 * 1024 * 1024 });
    // Once failed, it stays failed (the broker has dropped the connection).
    expect(guard(Buffer.alloc(10))).not.toBeNull();
  });

  it('calls a remaining length with a fifth byte malformed', () => {
    expect(mqttFrameGuard(1 << 30)(Buffer.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x01))).toEqual({ declaredBytes: null });
  });
});
