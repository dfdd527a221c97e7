import { describe, expect, it } from 'vitest';
import { GS } from '../../../shared/identifiers/gs1.ts';
import { classifyRead } from '../../../shared/identifiers/read.ts';
import { BootReportCodec } from './boot-report-codec.ts';
import { concatBytes, everySplitPoint, feedChunks, randomBytes, splits } from '../../../test/helpers/codec-replay.ts';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const report = (mods: number, ...keys: number[]) => new Uint8Array([mods, 0, ...keys, 0, 0, 0, 0, 0, 0].slice(0, 8));
const RELEASE = report(0);
const LSHIFT = 0x02;
const LCTRL = 0x01;
const RCTRL = 0x10;
const RSHIFT = 0x20;

/** char → [usage, shifted], written out here so the tests check keymap.ts rather than echo it. */
function usageOf(ch: string): [number, boolean] {
  if (/^[a-z]$/.test(ch)) return [0x04 + ch.charCodeAt(0) - 0x61, false];
  if (/^[A-Z]$/.test(ch)) return [0x04 + ch.charCodeAt(0) - 0x41, true];
  if (/^[1-9]$/.test(ch)) return [0x1e + Number(ch) - 1, false];
  const table: Record<string, [number, boolean]> = { '0': [0x27, false], ']': [0x30, false], '-': [0x2d, false], '!': [0x1e, true], '?': [0x38, true], ' ': [0x2c, false] };
  const u = table[ch];
  if (u === undefined) throw new Error(`no usage for ${JSON.stringify(ch)}`);
  return u;
}

/** Type text as a wedge scanner does: a press report then an all-released report per key; GS as Ctrl+]. */
function typed(text: string): Uint8Array[] {
  return [...text].flatMap((ch) => {
    if (ch === GS) return [report(LCTRL, 0x30), RELEASE];
    const [usage, shifted] = usageOf(ch);
    return [report(shifted ? LSHIFT : 0, usage), RELEASE];
  });
}
const ENTER = [report(0, 0x28), RELEASE];

// devices.md §2 ✓ vector
const A1_ENTER = hex('02 00 04 00 00 00 00 00' + '00'.repeat(8) + '00 00 1E 00 00 00 00 00' + '00'.repeat(8) + '00 00 28 00 00 00 00 00' + '00'.repeat(8));
const ITEM_LABEL = `]d2010690123400001617261231` + `10LOT42${GS}21SN0001`;

describe('BootReportCodec', () => {
  it('decodes the devices.md ✓ vector A1⏎, split at every byte', () => {
    const expected = [{ kind: 'scan', text: 'A1', terminator: 'enter' }];
    expect(new BootReportCodec().push(A1_ENTER)).toEqual(expected);
    for (const frames of everySplitPoint(new BootReportCodec(), A1_ENTER)) expect(frames).toEqual(expected);
  });

  it('decodes a GS1 item label with Ctrl+] (either Ctrl) for GS', () => {
    const frames = new BootReportCodec().push(concatBytes([...typed(ITEM_LABEL), ...ENTER]));
    expect(frames).toEqual([{ kind: 'scan', text: ITEM_LABEL, terminator: 'enter' }]);
    expect(classifyRead(ITEM_LABEL).kind).toBe('gs1');
    const right = new BootReportCodec().push(concatBytes([report(RCTRL, 0x30), RELEASE, ...ENTER]));
    expect(right).toMatchObject([{ kind: 'scan', text: GS }]);
  });

  it('types shifted characters with either Shift bit', () => {
    const frames = new BootReportCodec().push(
      concatBytes([report(RSHIFT, 0x04), RELEASE, report(LSHIFT, 0x1e), RELEASE, report(RSHIFT, 0x38), RELEASE, report(0, 0x04), ...ENTER]),
    );
    expect(frames).toMatchObject([{ kind: 'scan', text: 'A!?a' }]);
  });

  it('counts a key as pressed only when it was not in the previous report (rollover)', () => {
    const frames = new BootReportCodec().push(
      concatBytes([report(0, 0x04), report(0, 0x04, 0x05), report(0, 0x05), report(0, 0x05, 0x04), RELEASE, ...ENTER]),
    );
    expect(frames).toMatchObject([{ kind: 'scan', text: 'aba' }]);
  });

  it('ignores ErrorRollOver reports and keeps the previous key state', () => {
    const frames = new BootReportCodec().push(
      concatBytes([report(0, 0x04), report(0, 1, 1, 1, 1, 1, 1), report(0, 0x04), RELEASE, ...ENTER]),
    );
    expect(frames).toMatchObject([{ kind: 'scan', text: 'a' }]);
  });

  it('decodes keypad digits and ends with keypad Enter or Tab', () => {
    const frames = new BootReportCodec().push(
      concatBytes([report(0, 0x59), RELEASE, report(0, 0x62), RELEASE, report(0, 0x58), RELEASE, ...typed('x'), report(0, 0x2b), RELEASE]),
    );
    expect(frames).toEqual([
      { kind: 'scan', text: '10', terminator: 'kpenter' },
      { kind: 'scan', text: 'x', terminator: 'tab' },
    ]);
  });

  it('reports unknown usages as garbage with the report and spoils that scan', () => {
    const f1 = report(0, 0x3a);
    const frames = new BootReportCodec().push(concatBytes([...typed('12'), f1, RELEASE, ...ENTER, ...typed('3'), ...ENTER]));
    expect(frames).toEqual([
      { kind: 'garbage', reason: expect.stringContaining('unknown key'), rawHex: Buffer.from(f1).toString('hex') },
      { kind: 'garbage', reason: expect.stringContaining('not emitted'), rawHex: Buffer.from('12').toString('hex') },
      { kind: 'scan', text: '3', terminator: 'enter' },
    ]);
  });

  describe('gives identical frames however the bytes are split', () => {
    const capture = concatBytes([...typed(ITEM_LABEL), ...ENTER, report(0, 0x3a), RELEASE, ...typed('Ab'), report(0, 0x58)]);
    const expected = new BootReportCodec().push(capture);
    it('has the expected frames', () => {
      expect(expected.map((f) => f.kind)).toEqual(['scan', 'garbage', 'garbage']);
    });
    it.each(splits(capture))('$name', ({ sizes }) => {
      expect(feedChunks(new BootReportCodec(), capture, sizes)).toEqual(expected);
    });
  });

  it('never throws on random bytes, and yields only scans and garbage', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const frames = feedChunks(new BootReportCodec({ maxScanLength: 16 }), randomBytes(seed, 8 * 300 + seed), [seed, 3]);
      for (const f of frames) expect(['scan', 'garbage']).toContain(f.kind);
    }
  });
});
