import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isBondgateError } from './errors.ts';
import { decodeMessage, encodeBatch, encodeMessage, EventBatch, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './sync-protocol.ts';

const head = { v: PROTOCOL_VERSION as typeof PROTOCOL_VERSION, gatewayId: 'GW-1' as never, backlog: { count: 3, oldestWallMs: 5 }, sentAtMs: 9 };

function decodeError(buf: Uint8Array): string {
  try {
    decodeMessage(buf);
  } catch (e) {
    if (isBondgateError(e)) return e.code;
    throw e;
  }
  throw new Error('decoded');
}

describe('sync protocol encoding', () => {
  it('round-trips small messages as plain JSON', () => {
    const buf = encodeMessage({ a: 1, b: '中' });
    expect(buf[0]).toBe(0x7b);
    expect(decodeMessage(buf)).toEqual({ a: 1, b: '中' });
  });

  it('deflates large messages when it pays, and round-trips them', () => {
    const msg = { rows: Array.from({ length: 500 }, (_, i) => ({ seq: i, hash: 'ab'.repeat(32), stationId: 'LINE-1' })) };
    const buf = encodeMessage(msg);
    expect(buf[0]).toBe(0x01);
    expect(buf.length).toBeLessThan(JSON.stringify(msg).length / 2);
    expect(decodeMessage(buf)).toEqual(msg);
  });

  it('builds a batch from stored JSON that validates as an EventBatch', () => {
    const rows = [{ seq: 1, x: 'a' }, { seq: 2, x: 'b' }].map((r) => JSON.stringify(r));
    const parsed = EventBatch.parse(decodeMessage(encodeBatch({ ...head, gapFrom: 1 }, rows)));
    expect(parsed.events).toEqual([{ seq: 1, x: 'a' }, { seq: 2, x: 'b' }]);
    expect(parsed.gapFrom).toBe(1);
  });

  it('refuses garbage, broken deflate, oversize input and deflate bombs with a code', () => {
    expect(decodeError(Buffer.from([0xff, 0x00]))).toBe('DECODE_FAILED');
    expect(decodeError(Buffer.from('{"a":'))).toBe('DECODE_FAILED');
    expect(decodeError(Buffer.concat([Buffer.of(1), Buffer.from('not deflate at all')]))).toBe('DECODE_FAILED');
    expect(decodeError(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x7b))).toBe('PAYLOAD_TOO_LARGE');
    // 100 MB of zeros deflates to ~100 KB: it must be refused, not inflated.
    const bomb = Buffer.concat([Buffer.of(1), deflateRawSync(Buffer.alloc(100 * 1024 * 1024))]);
    expect(bomb.length).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(decodeError(bomb)).toBe('DECODE_FAILED');
  });

  it('rejects batches that are not batches', () => {
    expect(EventBatch.safeParse({ ...head, events: [] }).success).toBe(false);
    expect(EventBatch.safeParse({ ...head, events: [1, 2] }).success).toBe(false);
    expect(EventBatch.safeParse({ ...head, v: 2, events: [{}] }).success).toBe(false);
    const r = EventBatch.safeParse({ ...head, gatewayId: 'GW/../x', events: [{}] });
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join('.'))).toEqual(['gatewayId']);
  });
});
