import { describe, expect, it } from 'vitest';
import { decodeAllWays } from '../../test/helpers/codec-replay.ts';
import { encodeMessage, keepaliveAck, llrpCodec, MessageType, parseRoAccessReport, parseStatus, rospecCommand, type LlrpFrame } from './llrp-codec.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const decodeAll = (bytes: Buffer): LlrpFrame[] => decodeAllWays(llrpCodec, bytes);

const REPORT = '04 3D 00 00 00 29 00 00 12 34 00 F0 00 1F 8D 30 74 25 7B F7 19 4E 40 00 00 1A 85 81 00 01 86 C6 82 00 06 0A 24 18 20 22 40';

describe('LLRP codec', () => {
  it('frames the reference KEEPALIVE and answers it with the same id (devices.md ✓)', () => {
    const frames = decodeAll(hex('04 3E 00 00 00 0A 00 00 00 01'));
    expect(frames).toEqual([{ kind: 'message', type: MessageType.KEEPALIVE, id: 1, body: Buffer.alloc(0) }]);
    expect(keepaliveAck(1).toString('hex')).toBe('0448000000 0a00000001'.replace(' ', ''));
  });

  it('decodes the reference RO_ACCESS_REPORT tag (devices.md ✓)', () => {
    const [frame] = decodeAll(hex(REPORT));
    expect(frame).toMatchObject({ kind: 'message', type: MessageType.RO_ACCESS_REPORT, id: 0x1234 });
    const { tags, error } = parseRoAccessReport((frame as { body: Buffer }).body);
    expect(error).toBeUndefined();
    expect(tags).toEqual([{ epcHex: '3074257BF7194E4000001A85', antennaId: 1, peakRssiDbm: -58, firstSeenUtcUs: 1700000000123456n }]);
  });

  it('frames several messages in one chunk and keeps a partial one for the next push', () => {
    const stream = Buffer.concat([hex(REPORT), hex('04 3E 00 00 00 0A 00 00 00 02'), hex(REPORT).subarray(0, 15)]);
    const c = llrpCodec();
    expect(c.push(stream).map((f) => (f.kind === 'message' ? f.type : f.kind))).toEqual([61, 62]);
    expect(c.push(hex(REPORT).subarray(15)).map((f) => (f.kind === 'message' ? f.id : f.kind))).toEqual([0x1234]);
  });

  it('reports a stream that lost its framing as garbage instead of waiting forever', () => {
    const frames = decodeAll(Buffer.concat([hex('04 3E 00 00 00 0A 00 00 00 03'), Buffer.from('GET / HTTP/1.1\r\n')]));
    expect(frames.map((f) => f.kind)).toEqual(['message', 'garbage']);
    expect(decodeAll(hex('04 3E FF FF FF FF 00 00 00 01'))[0]).toMatchObject({ kind: 'garbage', reason: expect.stringContaining('length') });
  });

  it('keeps what it read when a report has a malformed parameter', () => {
    const body = Buffer.concat([hex(REPORT).subarray(10), hex('00 F0 00 09 FF 01 02 03 04')]);
    const r = parseRoAccessReport(body);
    expect(r.tags).toHaveLength(1);
    expect(r.error).toMatch(/unknown or truncated TV parameter/);
  });

  it('encodes ROSpec commands and reads an LLRPStatus', () => {
    expect(rospecCommand(MessageType.DELETE_ROSPEC, 7, 0).toString('hex')).toBe('0415' + '0000000e' + '00000007' + '00000000');
    const status = Buffer.concat([hex('01 1F 00 0B 00 00 00 03'), Buffer.from('OK!')]);
    expect(parseStatus(status)).toEqual({ code: 0, description: 'OK!' });
    expect(encodeMessage(MessageType.CLOSE_CONNECTION, 9).length).toBe(10);
  });

  it('never throws on random bytes', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const c = llrpCodec();
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256)));
      expect(() => c.push(bytes)).not.toThrow();
      expect(() => parseRoAccessReport(bytes)).not.toThrow();
    }
  });
});
