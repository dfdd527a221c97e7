import { describe, expect, it } from 'vitest';
import { GS } from '../../../shared/identifiers/gs1.ts';
import { classifyRead } from '../../../shared/identifiers/read.ts';
import { InputEventCodec, type InputEventFrame } from './input-event-codec.ts';
import { concatBytes, everySplitPoint, feedChunks, randomBytes, splits } from '../../../test/helpers/codec-replay.ts';

// Linux key codes written out here (not taken from keymap.ts) so the tests check the table, not echo it.
const KEY = {
  TAB: 15, ENTER: 28, LEFTCTRL: 29, LEFTSHIFT: 42, RIGHTSHIFT: 54, CAPSLOCK: 58, RIGHTBRACE: 27,
  KP1: 79, KP2: 80, KP3: 81, KP0: 82, KPENTER: 96, F1: 59, KEY_102ND: 86,
} as const;
const DIGIT_CODES: Record<string, number> = { 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 8, 8: 9, 9: 10, 0: 11 };
const LETTER_CODES: Record<string, number> = Object.fromEntries(
  (['qwertyuiop', 'asdfghjkl', 'zxcvbnm'] as const).flatMap((row, r) =>
    row.split('').map((l, i) => [l, [16, 30, 44][r]! + i]),
  ),
);
/** char → [code, shifted] on a US keyboard. */
const US: Record<string, [number, boolean]> = {
  ...Object.fromEntries(Object.entries(DIGIT_CODES).map(([d, c]) => [d, [c, false]])),
  ...Object.fromEntries(Object.entries(LETTER_CODES).map(([l, c]) => [l, [c, false]])),
  ...Object.fromEntries(Object.entries(LETTER_CODES).map(([l, c]) => [l.toUpperCase(), [c, true]])),
  '!': [2, true], '@': [3, true], '#': [4, true], '$': [5, true], '%': [6, true], '^': [7, true], '&': [8, true],
  '*': [9, true], '(': [10, true], ')': [11, true], '-': [12, false], _: [12, true], '=': [13, false], '+': [13, true],
  '[': [26, false], '{': [26, true], ']': [27, false], '}': [27, true], ';': [39, false], ':': [39, true],
  "'": [40, false], '"': [40, true], '`': [41, false], '~': [41, true], '\\': [43, false], '|': [43, true],
  ',': [51, false], '<': [51, true], '.': [52, false], '>': [52, true], '/': [53, false], '?': [53, true], ' ': [57, false],
};

const SEC = 1_717_000_000;

/** One 64-bit `struct input_event`. */
function ev(type: number, code: number, value: number, usec = 0): Uint8Array {
  const b = Buffer.alloc(24);
  b.writeBigInt64LE(BigInt(SEC), 0);
  b.writeBigInt64LE(BigInt(usec), 8);
  b.writeUInt16LE(type, 16);
  b.writeUInt16LE(code, 18);
  b.writeInt32LE(value, 20);
  return new Uint8Array(b);
}
const syn = () => ev(0, 0, 0);
const down = (code: number, usec = 0) => [ev(4, 4, 0x70000 + code), ev(1, code, 1, usec), syn()]; // with EV_MSC as real keyboards send
const up = (code: number) => [ev(1, code, 0), syn()];
const tap = (code: number, usec = 0) => [...down(code, usec), ...up(code)];
const withKey = (mod: number, inner: Uint8Array[]) => [...down(mod), ...inner, ...up(mod)];

/** Type text the way a wedge scanner does: Shift per character, GS as Ctrl+]. */
function typed(text: string): Uint8Array[] {
  return [...text].flatMap((ch) => {
    if (ch === GS) return withKey(KEY.LEFTCTRL, tap(KEY.RIGHTBRACE));
    const k = US[ch];
    if (k === undefined) throw new Error(`no US key for ${JSON.stringify(ch)}`);
    return k[1] ? withKey(KEY.LEFTSHIFT, tap(k[0])) : tap(k[0]);
  });
}

const LOGISTIC_LABEL = ']C10036901234000000001702169012340000133748<GS>3301000125400PO-2024-001<GS>420518000'.replaceAll('<GS>', GS);

function decode(parts: Uint8Array[], codec = new InputEventCodec()): InputEventFrame[] {
  return codec.push(concatBytes(parts));
}

describe('InputEventCodec', () => {
  it('decodes a full GS1 logistic label typed with Ctrl+] for GS', () => {
    const frames = decode([...typed(LOGISTIC_LABEL), ...tap(KEY.ENTER, 250_000)]);
    expect(frames).toEqual([{ kind: 'scan', text: LOGISTIC_LABEL, terminator: 'enter', timeSec: SEC + 0.25 }]);
    const read = classifyRead(LOGISTIC_LABEL);
    expect(read.kind).toBe('gs1');
  });

  it('types shifted characters, with either Shift and overlapping Shifts', () => {
    const text = 'Ab!@#{}|:"<>?~_+ x';
    expect(decode([...typed(text), ...tap(KEY.ENTER)])).toEqual([
      { kind: 'scan', text, terminator: 'enter', timeSec: SEC },
    ]);
    // left Shift down, right Shift down, left Shift up: still shifted; right up: not.
    const frames = decode([
      ...down(KEY.LEFTSHIFT), ...down(KEY.RIGHTSHIFT), ...up(KEY.LEFTSHIFT), ...tap(30),
      ...up(KEY.RIGHTSHIFT), ...tap(30), ...tap(KEY.ENTER),
    ]);
    expect(frames).toMatchObject([{ kind: 'scan', text: 'Aa' }]);
  });

  it('toggles CapsLock on press (not on repeat) and applies it to letters only', () => {
    const frames = decode([
      ...tap(KEY.CAPSLOCK), ev(1, KEY.CAPSLOCK, 2), ...tap(30), ...withKey(KEY.LEFTSHIFT, tap(30)), ...tap(2),
      ...tap(KEY.CAPSLOCK), ...tap(30), ...tap(KEY.ENTER),
    ]);
    expect(frames).toMatchObject([{ kind: 'scan', text: 'Aa1a' }]);
  });

  it('ends a scan with keypad Enter after keypad digits', () => {
    const frames = decode([...tap(KEY.KP1), ...tap(KEY.KP2), ...tap(KEY.KP3), ...tap(KEY.KP0), ...tap(KEY.KPENTER)]);
    expect(frames).toEqual([{ kind: 'scan', text: '1230', terminator: 'kpenter', timeSec: SEC }]);
  });

  it('ends a scan with Tab, or types it when Tab is not a terminator', () => {
    const bytes = [...typed('ab'), ...tap(KEY.TAB), ...typed('c'), ...tap(KEY.ENTER)];
    expect(decode(bytes)).toMatchObject([
      { kind: 'scan', text: 'ab', terminator: 'tab' },
      { kind: 'scan', text: 'c', terminator: 'enter' },
    ]);
    expect(decode(bytes, new InputEventCodec({ terminators: ['enter'] }))).toMatchObject([
      { kind: 'scan', text: 'ab\tc', terminator: 'enter' },
    ]);
  });

  it('treats auto-repeat (value 2) as presses and ignores releases', () => {
    const frames = decode([ev(1, 31, 1), ev(1, 31, 2), ev(1, 31, 2), ev(1, 31, 0), ...tap(KEY.ENTER)]);
    expect(frames).toMatchObject([{ kind: 'scan', text: 'sss' }]);
  });

  it('maps a configured GS substitute to GS', () => {
    const codec = new InputEventCodec({ gsSubstitute: '{GS}' });
    const frames = decode([...typed(']C1' + '10LOT42{GS}21SN0001'), ...tap(KEY.ENTER)], codec);
    expect(frames).toMatchObject([{ kind: 'scan', text: `]C110LOT42${GS}21SN0001` }]);
  });

  it('reports an unknown key as garbage with the raw struct, and does not pass the spoiled scan', () => {
    const f1 = ev(1, KEY.F1, 1);
    const frames = decode([...typed('12'), f1, ev(1, KEY.F1, 0), ...typed('3'), ...tap(KEY.ENTER), ...typed('4'), ...tap(KEY.ENTER)]);
    expect(frames).toEqual([
      { kind: 'garbage', reason: expect.stringContaining('unknown key'), rawHex: Buffer.from(f1).toString('hex') },
      { kind: 'garbage', reason: expect.stringContaining('not emitted'), rawHex: Buffer.from('123').toString('hex') },
      { kind: 'scan', text: '4', terminator: 'enter', timeSec: SEC },
    ]);
  });

  it('spoils the scan on SYN_DROPPED and on Alt chords', () => {
    const frames = decode([...typed('12'), ev(0, 3, 0), ...typed('3'), ...tap(KEY.ENTER), ...withKey(56, tap(2)), ...tap(KEY.ENTER)]);
    expect(frames.map((f) => f.kind)).toEqual(['garbage', 'garbage', 'garbage', 'garbage']);
  });

  it('guards the scan length and recovers at the next terminator', () => {
    const codec = new InputEventCodec({ maxScanLength: 8 });
    const frames = decode([...typed('0123456789'), ...tap(KEY.ENTER), ...typed('ok'), ...tap(KEY.ENTER)], codec);
    expect(frames).toMatchObject([
      { kind: 'garbage', reason: expect.stringContaining('longer than 8'), rawHex: Buffer.from('01234567').toString('hex') },
      { kind: 'garbage', reason: expect.stringContaining('2 further') },
      { kind: 'scan', text: 'ok' },
    ]);
  });

  it('reports a stream that is not 64-bit input_event as garbage', () => {
    const frames = decode([ev(0x1234, 0, 0)]);
    expect(frames).toMatchObject([{ kind: 'garbage', reason: expect.stringContaining('EV_MAX') }]);
  });

  describe('gives identical frames however the bytes are split', () => {
    const capture = concatBytes([
      ...typed(LOGISTIC_LABEL), ...tap(KEY.ENTER), ...tap(KEY.KP1), ...tap(KEY.KPENTER), ev(1, KEY.KEY_102ND, 1), ...typed('x'), ...tap(KEY.TAB),
    ]);
    const expected = new InputEventCodec().push(capture);
    it('has the expected frames', () => {
      expect(expected.map((f) => f.kind)).toEqual(['scan', 'scan', 'garbage', 'garbage']);
    });
    it.each(splits(capture))('$name', ({ sizes }) => {
      expect(feedChunks(new InputEventCodec(), capture, sizes)).toEqual(expected);
    });
    it('at every split point', () => {
      const short = concatBytes([...typed('A]'), ...withKey(KEY.LEFTCTRL, tap(KEY.RIGHTBRACE)), ...tap(KEY.ENTER)]);
      const whole = new InputEventCodec().push(short);
      expect(whole).toMatchObject([{ kind: 'scan', text: `A]${GS}` }]);
      for (const frames of everySplitPoint(new InputEventCodec(), short)) expect(frames).toEqual(whole);
    });
  });

  it('keeps a partial struct until the rest arrives, and reset drops it', () => {
    const codec = new InputEventCodec();
    const bytes = concatBytes([...typed('a'), ev(1, KEY.ENTER, 1)]);
    expect(codec.push(bytes.subarray(0, bytes.length - 5))).toEqual([]);
    expect(codec.push(bytes.subarray(bytes.length - 5))).toMatchObject([{ kind: 'scan', text: 'a' }]);
    codec.push(bytes.subarray(0, 7));
    codec.reset();
    // Were the 7 bytes kept, every struct after them would be misread.
    expect(codec.push(bytes)).toMatchObject([{ kind: 'scan', text: 'a' }]);
  });

  it('never throws on random bytes, and yields only scans and garbage', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const codec = new InputEventCodec();
      const frames = feedChunks(codec, randomBytes(seed, 24 * 200 + seed), [seed, 5, 31]);
      for (const f of frames) expect(['scan', 'garbage']).toContain(f.kind);
    }
    // Plausible EV_KEY events with random codes and values exercise the key paths too.
    const codec = new InputEventCodec({ maxScanLength: 16 });
    const r = randomBytes(99, 4000);
    const events = [...r].map((b, i) => ev(1, b, (r[(i + 1) % r.length] ?? 0) % 3));
    expect(() => codec.push(concatBytes(events))).not.toThrow();
  });
});
