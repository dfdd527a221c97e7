import { describe, expect, it } from 'vitest';
import { decodeAllWays } from '../../test/helpers/codec-replay.ts';
import { adAsciiCodec } from './ad-ascii.ts';
import { mtSicsCodec } from './mt-sics.ts';
import { StabilityWindow } from './stability.ts';
import { toledoChecksum, toledoContinuousCodec } from './toledo-continuous.ts';
import { xk3190Codec, xk3190ReversedCodec } from './xk3190.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'latin1');

describe('MT-SICS', () => {
  it('decodes the reference stable reply (devices.md ✓)', () => {
    expect(decodeAllWays(mtSicsCodec, hex('53 20 53 20 20 20 20 20 31 30 30 2E 30 30 20 67 0D 0A'))).toEqual([
      { kind: 'weight', weightKg: 0.1, resolutionKg: 0.00001, stable: true, mode: null },
    ]);
  });
  it.each([
    ['S S   12.5kg', { kind: 'weight', weightKg: 12.5, resolutionKg: 0.1, stable: true, mode: null }],
    ['S D     -0.350 kg', { kind: 'weight', weightKg: -0.35, resolutionKg: 0.001, stable: false, mode: null }],
    ['S D    1.20 lb', { kind: 'weight', weightKg: 0.544310844, resolutionKg: 0.00453592370, stable: false, mode: null }],
    ['S I', { kind: 'busy', command: 'S' }],
    ['S +', { kind: 'overload' }],
    ['S -', { kind: 'underload' }],
    ['Z A', { kind: 'ack', command: 'zero' }],
    ['T S     0.250 kg', { kind: 'ack', command: 'tare', tareKg: 0.25 }],
    ['T A', { kind: 'ack', command: 'tare' }],
    ['I4 A "B123456789"', { kind: 'ack', command: 'reset', serial: 'B123456789' }],
    ['@ A "B123456789"', { kind: 'ack', command: 'reset', serial: 'B123456789' }],
    ['ES', { kind: 'error', code: 'ES', message: expect.stringContaining('syntax') }],
    ['EL', { kind: 'error', code: 'EL', message: expect.stringContaining('logical') }],
  ] as const)('%s', (line, frame) => {
    expect(decodeAllWays(mtSicsCodec, ascii(`${line}\r\n`))).toEqual([frame]);
  });
  it('turns nonsense into counted garbage with the bytes, never a throw', () => {
    const frames = decodeAllWays(mtSicsCodec, ascii('S S abc kg\r\nHELLO\r\n\xff\xfe\r\n'));
    expect(frames.map((f) => f.kind)).toEqual(['garbage', 'garbage', 'garbage']);
    expect(frames[1]).toMatchObject({ rawHex: '48454c4c4f' });
  });
});

describe('Toledo Continuous', () => {
  it('decodes the reference frames (devices.md ✓), with and without checksum, 7E1 parity masked', () => {
    const stable = hex('02 2B 30 20 30 31 32 33 34 35 30 30 30 30 30 30 0D 27');
    expect(toledoChecksum([...stable.subarray(0, 17)])).toBe(0x27);
    expect(decodeAllWays(() => toledoContinuousCodec({ checksum: true }), stable)).toEqual([
      { kind: 'weight', weightKg: 1234.5, resolutionKg: 0.1, stable: true, mode: 'gross', tareKg: 0 },
    ]);
    // The same frame with even parity set on some bytes (7E1 read as 8N1).
    const parity = Buffer.from(stable.map((b, i) => (i % 2 ? b | 0x80 : b)));
    expect(decodeAllWays(() => toledoContinuousCodec({ checksum: true }), parity)[0]).toMatchObject({ weightKg: 1234.5 });
    const motion = hex('02 22 3A 20 30 30 30 31 35 30 30 30 30 30 30 30 0D');
    expect(decodeAllWays(() => toledoContinuousCodec({ checksum: false }), motion)).toEqual([
      { kind: 'weight', weightKg: -150, resolutionKg: 1, stable: false, mode: 'gross', tareKg: 0 },
    ]);
  });
  it('rejects a bad checksum, resynchronises after noise and a truncated frame', () => {
    const good = hex('02 2B 30 20 30 31 32 33 34 35 30 30 30 30 30 30 0D 27');
    const badSum = Buffer.from(good);
    badSum[17] = 0x28;
    const truncated = good.subarray(0, 9);
    const frames = decodeAllWays(() => toledoContinuousCodec({ checksum: true }), Buffer.concat([ascii('noise'), badSum, truncated, good]));
    expect(frames.map((f) => f.kind)).toEqual(['garbage', 'garbage', 'garbage', 'weight']);
    expect(frames[1]).toMatchObject({ reason: expect.stringContaining('checksum') });
  });
});

describe('A&D-style ASCII', () => {
  it.each([
    ['ST,GS,+0012.34kg', { kind: 'weight', weightKg: 12.34, resolutionKg: 0.01, stable: true, mode: 'gross' }],
    ['ST,GS,+0001.234kg', { kind: 'weight', weightKg: 1.234, resolutionKg: 0.001, stable: true, mode: 'gross' }],
    ['US,NT,-0000.50kg', { kind: 'weight', weightKg: -0.5, resolutionKg: 0.01, stable: false, mode: 'net' }],
    ['ST,GS,+00250.0 g', { kind: 'weight', weightKg: 0.25, resolutionKg: 0.0001, stable: true, mode: 'gross' }],
    ['ST,TR,+001.500 t', { kind: 'weight', weightKg: 1500, resolutionKg: 1, stable: true, mode: 'tare' }],
    ['OL,GS,+        kg', { kind: 'overload' }],
  ] as const)('%s', (line, frame) => {
    expect(decodeAllWays(adAsciiCodec, ascii(`${line}\r\n`))).toEqual([frame]);
  });
  it('decodes the reference bytes (devices.md ✓) and reports a non-line as garbage', () => {
    expect(decodeAllWays(adAsciiCodec, hex('53 54 2C 47 53 2C 2B 30 30 31 32 2E 33 34 6B 67 0D 0A'))[0]).toMatchObject({ weightKg: 12.34, stable: true });
    expect(decodeAllWays(adAsciiCodec, ascii('ST,XX,+1kg\r\n'))[0]).toMatchObject({ kind: 'garbage' });
  });
});

describe('Yaohua XK3190', () => {
  it('decodes tF=0 frames with either checksum encoding (devices.md ✓)', () => {
    const frames = decodeAllWays(xk3190Codec, hex('02 2B 30 30 32 30 30 30 32 31 42 03 02 2B 30 30 32 30 30 30 32 31 3B 03 02 2D 30 30 31 32 33 34 31 31 38 03'));
    expect(frames).toEqual([
      { kind: 'weight', weightKg: 20, resolutionKg: 0.01, stable: null, mode: null },
      { kind: 'weight', weightKg: 20, resolutionKg: 0.01, stable: null, mode: null },
      { kind: 'weight', weightKg: -123.4, resolutionKg: 0.1, stable: null, mode: null },
    ]);
  });
  it('flags a checksum mismatch and skips noise', () => {
    const frames = decodeAllWays(xk3190Codec, Buffer.concat([ascii('xx'), hex('02 2B 30 30 32 30 30 30 32 31 43 03')]));
    expect(frames.map((f) => f.kind)).toEqual(['garbage', 'garbage']);
    expect(frames[1]).toMatchObject({ reason: expect.stringContaining('checksum') });
  });
  it('decodes the "=" reversed stream (devices.md ✓)', () => {
    expect(decodeAllWays(() => xk3190ReversedCodec(), ascii('=000.3000=00.1000-=0.05210=0.05210=')).map((f) => (f.kind === 'weight' ? f.weightKg : f.kind))).toEqual([3, -1, 1250, 1250]);
    expect(decodeAllWays(() => xk3190ReversedCodec({ reversed: true, sign: 'digit' }), ascii('=000.30001=00.10000=')).map((f) => (f.kind === 'weight' ? f.weightKg : f.kind))).toEqual([-3, 1]);
    expect(decodeAllWays(() => xk3190ReversedCodec(), ascii('12=00a.1=')).map((f) => f.kind)).toEqual(['garbage', 'garbage']);
  });
});

describe('stability for flagless scales', () => {
  it('is stable after N readings within tolerance, and reports their mean', () => {
    const w = new StabilityWindow(3, 0.005);
    expect(w.push(1.0).stable).toBe(false);
    expect(w.push(1.004).stable).toBe(false);
    expect(w.push(1.008)).toEqual({ stable: true, weightKg: 1.004 });
    expect(w.push(1.05).stable).toBe(false);
  });
});

describe('random bytes', () => {
  it('never throw and never hang, in any codec', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const codecs = [mtSicsCodec, adAsciiCodec, () => toledoContinuousCodec({ checksum: true }), xk3190Codec, () => xk3190ReversedCodec()];
    for (const make of codecs) {
      const c = make();
      for (let i = 0; i < 200; i++) {
        const bytes = Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)));
        expect(() => c.push(bytes)).not.toThrow();
      }
    }
  });
});
