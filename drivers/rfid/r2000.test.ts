import { describe, expect, it } from 'vitest';
import { decodeAllWays } from '../../test/helpers/codec-replay.ts';
import { encodeR2000, R2000_CMD, r2000Codec, type R2000Frame } from './r2000.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const all = (bytes: Buffer): R2000Frame[] => decodeAllWays(r2000Codec, bytes);

describe('R2000 UART frames', () => {
  it('encodes the reference commands (devices.md ✓)', () => {
    expect(encodeR2000(1, R2000_CMD.REAL_TIME_INVENTORY, [0x01]).toString('hex')).toBe('a004018901d1');
    expect(encodeR2000(1, R2000_CMD.RESET).toString('hex')).toBe('a0030170ec');
  });
  it('decodes them back, split any way, with noise and a bad checksum reported', () => {
    const frames = all(Buffer.concat([hex('ff ee'), hex('a0 04 01 89 01 d1'), hex('a0 03 01 70 ed'), hex('a0 03 01 70 ec')]));
    expect(frames).toEqual([
      { kind: 'garbage', reason: 'bytes outside an R2000 frame', rawHex: 'ffee' },
      { kind: 'frame', address: 1, command: 0x89, data: Buffer.from([1]) },
      { kind: 'garbage', reason: 'R2000 frame checksum mismatch', rawHex: 'a0030170ed' },
      { kind: 'frame', address: 1, command: 0x70, data: Buffer.alloc(0) },
    ]);
  });
});
