import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isBondgateError } from './errors.ts';
import { decodeMessage, encodeBatch, encodeMessage, EventBatch, MAX_INFLATED_BYTES, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './sync-protocol.ts';

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

  it('sends plain JSON when asked not to compress, and decodes views into a larger buffer', () => {
    const msg = { rows: Array.from({ length: 500 }, (_, i) => ({ seq: i })) };
    const plain = encodeMessage(msg, false);
    expect(plain[0]).toBe(0x7b);
    expect(decodeMessage(plain)).toEqual(msg);
    const padded = Buffer.concat([Buffer.from('xxxx'), encodeMessage({ a: 1 }), Buffer.from('yyyy')]);
    expect(decodeMessage(padded.subarray(4, padded.length - 4))).toEqual({ a: 1 });
  });

  it('builds a large batch that compresses, decodes and validates as an EventBatch', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ seq: i + 1, prevHash: 'ab'.repeat(32), hash: 'cd'.repeat(32), type: 'parcel.scanned' }));
    const buf = encodeBatch(head, rows);
    expect(buf[0]).toBe(0x01);
    const parsed = EventBatch.parse(decodeMessage(buf));
    expect(parsed.events).toHaveLength(2000);
    expect(parsed.events[1999]).toMatchObject({ seq: 2000 });
    expect(parsed).toMatchObject({ v: PROTOCOL_VERSION, gatewayId: 'GW-1', backlog: head.backlog, sentAtMs: 9 });
    expect(parsed.gapFrom).toBeUndefined();
  });

  it('refuses a truncated deflate stream and a deflated payload that is not JSON', () => {
    const big = encodeMessage({ rows: Array.from({ length: 500 }, (_, i) => ({ seq: i, hash: 'ab'.repeat(32) })) });
    expect(big[0]).toBe(0x01);
    expect(decodeError(big.subarray(0, big.length >> 1))).toBe('DECODE_FAILED');
    expect(decodeError(big.subarray(0, big.length - 1))).toBe('DECODE_FAILED');
    expect(decodeError(Buffer.of(1))).toBe('DECODE_FAILED');
    expect(decodeError(Buffer.concat([Buffer.of(1), deflateRawSync(Buffer.from('x'.repeat(5000)))]))).toBe('DECODE_FAILED');
    expect(decodeError(new Uint8Array(0))).toBe('DECODE_FAILED');
  });

  it('refuses a deflate bomb just over the inflate limit, without inflating it all', () => {
    const bomb = Buffer.concat([Buffer.of(1), deflateRawSync(Buffer.alloc(MAX_INFLATED_BYTES + 1, 0x20))]);
    expect(['PAYLOAD_TOO_LARGE', 'DECODE_FAILED']).toContain(decodeError(bomb));
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
