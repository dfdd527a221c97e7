import { describe, expect, it } from 'vitest';
import { GS } from '../../../shared/identifiers/gs1.ts';
import { classifyRead } from '../../../shared/identifiers/read.ts';
import { HidPosCodec } from './hid-pos-codec.ts';
import { concatBytes, everySplitPoint, feedChunks, randomBytes, splits } from '../../../test/helpers/codec-replay.ts';

/** A 64-byte report in the default layout: id 0x02, length, payload, padding, flags in the last byte. */
function posReport(payload: string, more: boolean, { id = 0x02, size = 64, flagAt = 63, mask = 0x01 } = {}): Uint8Array {
  const r = new Uint8Array(size);
  r[0] = id;
  r[1] = payload.length;
  r.set(Buffer.from(payload, 'latin1'), 2);
  if (more) r[flagAt] = mask;
  return r;
}

const ITEM_LABEL = `]d2010690123400001617261231` + `10LOT42${GS}21SN0001`;
const LOGISTIC_LABEL = `]C10036901234000000001702169012340000133748${GS}3301000125400PO-2024-001${GS}420518000`;

describe('HidPosCodec', () => {
  it('decodes one report with the AIM id and GS preserved', () => {
    const frames = new HidPosCodec().push(posReport(ITEM_LABEL, false));
    expect(frames).toEqual([{ kind: 'scan', text: ITEM_LABEL, reports: 1 }]);
    expect(classifyRead(ITEM_LABEL).kind).toBe('gs1');
  });

  it('concatenates reports flagged "more data"', () => {
    const capture = concatBytes([posReport(LOGISTIC_LABEL.slice(0, 50), true), posReport(LOGISTIC_LABEL.slice(50), false)]);
    const expected = [{ kind: 'scan', text: LOGISTIC_LABEL, reports: 2 }];
    expect(new HidPosCodec().push(capture)).toEqual(expected);
    for (const frames of everySplitPoint(new HidPosCodec(), capture)) expect(frames).toEqual(expected);
  });

  it('takes the more-data flag position and report size from config', () => {
    const layout = { size: 33, flagAt: 1 + 30, mask: 0x80 };
    const codec = new HidPosCodec({ bodySize: 32, moreDataFlag: { byte: 30, mask: 0x80 } });
    const frames = codec.push(concatBytes([posReport('ABC', true, layout), posReport('DEF', false, layout)]));
    expect(frames).toEqual([{ kind: 'scan', text: 'ABCDEF', reports: 2 }]);
    // The default flag bit in the configured-away position is just data.
    expect(codec.push(posReport('X', false, { ...layout, mask: 0x01 }))).toEqual([{ kind: 'scan', text: 'X', reports: 1 }]);
  });

  it('reads reports without an id byte when the transport strips it', () => {
    const codec = new HidPosCodec({ reportId: null });
    expect(codec.push(posReport(ITEM_LABEL, false).subarray(1))).toEqual([{ kind: 'scan', text: ITEM_LABEL, reports: 1 }]);
  });

  it('reports a wrong report id and an overrunning length as garbage', () => {
    const wrongId = posReport('abc', false, { id: 0x04 });
    const overrun = posReport('abc', false);
    overrun[1] = 62;
    const frames = new HidPosCodec().push(concatBytes([wrongId, posReport('abc', true), overrun, posReport('ok', false)]));
    expect(frames).toEqual([
      { kind: 'garbage', reason: expect.stringContaining('report id 4'), rawHex: Buffer.from(wrongId).toString('hex') },
      { kind: 'garbage', reason: expect.stringContaining('abandoned'), rawHex: Buffer.from('abc').toString('hex') },
      { kind: 'garbage', reason: expect.stringContaining('overruns'), rawHex: Buffer.from(overrun).toString('hex') },
      { kind: 'scan', text: 'ok', reports: 1 },
    ]);
  });

  it('guards the scan length across concatenated reports', () => {
    const codec = new HidPosCodec({ maxScanBytes: 64 });
    const chunk = 'x'.repeat(40);
    const frames = codec.push(concatBytes([posReport(chunk, true), posReport(chunk, true), posReport(chunk, false), posReport('ok', false)]));
    expect(frames).toEqual([
      { kind: 'garbage', reason: expect.stringContaining('longer than 64'), rawHex: Buffer.from(chunk).toString('hex') },
      { kind: 'scan', text: 'ok', reports: 1 },
    ]);
  });

  describe('gives identical frames however the bytes are split', () => {
    const capture = concatBytes([
      posReport(ITEM_LABEL, false), posReport(LOGISTIC_LABEL.slice(0, 30), true), posReport(LOGISTIC_LABEL.slice(30), false), posReport('z', false, { id: 9 }),
    ]);
    const expected = new HidPosCodec().push(capture);
    it('has the expected frames', () => {
      expect(expected.map((f) => f.kind)).toEqual(['scan', 'scan', 'garbage']);
    });
    it.each(splits(capture))('$name', ({ sizes }) => {
      expect(feedChunks(new HidPosCodec(), capture, sizes)).toEqual(expected);
    });
  });

  it('rejects a config whose flag byte lies outside the report', () => {
    expect(() => new HidPosCodec({ bodySize: 16, moreDataFlag: { byte: 16, mask: 1 } })).toThrow();
  });

  it('never throws on random bytes, and yields only scans and garbage', () => {
    for (let seed = 1; seed <= 50; seed++) {
      // Random bodies behind a valid id byte reach the length and flag paths, not just the id check.
      const bytes = randomBytes(seed, 64 * 100);
      for (let i = 0; i < bytes.length; i += 64) if (seed % 2 === 0) bytes[i] = 0x02;
      const frames = feedChunks(new HidPosCodec({ maxScanBytes: 256 }), bytes, [seed, 11]);
      for (const f of frames) expect(['scan', 'garbage']).toContain(f.kind);
    }
  });
});
