import { describe, expect, it } from 'vitest';
import { advanceWatermark, MAX_ACK_RANGES, runWatermark, runWatermarkAsync, type ChainRow } from './watermark.ts';

const h = (n: number) => String(n).padStart(64, '0');
const row = (seq: number, prev = seq - 1): ChainRow => ({ seq, prevHash: h(prev), hash: h(seq) });
const base = { gatewayId: 'GW', nowMs: 1 };

describe('advanceWatermark', () => {
  it('advances over a contiguous, correctly linked run', () => {
    expect(advanceWatermark({ ...base, ackedSeq: 2, headHash: h(2), rowsAbove: [row(3), row(4), row(5)] })).toEqual({ ackedSeq: 5, headHash: h(5), ranges: [], alerts: [] });
  });
  it('stops at a gap and reports what is stored above it as ranges', () => {
    const r = advanceWatermark({ ...base, ackedSeq: 2, headHash: h(2), rowsAbove: [row(3), row(6), row(7), row(9)] });
    expect(r).toMatchObject({ ackedSeq: 3, ranges: [[6, 7], [9, 9]], alerts: [] });
  });
  it('flags a broken link but still advances (the entry is stored; the alert is the record)', () => {
    const r = advanceWatermark({ ...base, ackedSeq: 2, headHash: h(2), rowsAbove: [row(3), row(4, 99)] });
    expect(r.ackedSeq).toBe(4);
    expect(r.alerts).toEqual([expect.objectContaining({ kind: 'chain_break', seq: 4 })]);
  });
  it('jumps a declared gap with a journal_gap alert, and ignores gapFrom when there is no gap', () => {
    const r = advanceWatermark({ ...base, ackedSeq: 2, headHash: h(2), rowsAbove: [row(6), row(7)], gapFrom: 3 });
    expect(r).toMatchObject({ ackedSeq: 7, headHash: h(7) });
    expect(r.alerts).toEqual([expect.objectContaining({ kind: 'journal_gap', seq: 3 })]);
    expect(advanceWatermark({ ...base, ackedSeq: 2, headHash: h(2), rowsAbove: [row(3)], gapFrom: 3 }).alerts).toEqual([]);
  });
  it('stays put with nothing stored above the watermark', () => {
    expect(advanceWatermark({ ...base, ackedSeq: 4, headHash: h(4), rowsAbove: [] })).toEqual({ ackedSeq: 4, headHash: h(4), ranges: [], alerts: [] });
  });
  it('does not advance when the first row is not the next seq, and reports everything as ranges', () => {
    const r = advanceWatermark({ ...base, ackedSeq: 2, headHash: h(2), rowsAbove: [row(4), row(5), row(7)] });
    expect(r).toEqual({ ackedSeq: 2, headHash: h(2), ranges: [[4, 5], [7, 7]], alerts: [] });
  });
  it('flags a first row that does not link to the head hash, and carries on from its hash', () => {
    const r = advanceWatermark({ ...base, gatewayId: 'GW-9', nowMs: 77, ackedSeq: 2, headHash: h(2), rowsAbove: [row(3, 42), row(4)] });
    expect(r).toMatchObject({ ackedSeq: 4, headHash: h(4) });
    expect(r.alerts).toEqual([{ gatewayId: 'GW-9', seq: 3, kind: 'chain_break', detail: expect.any(String), atMs: 77 }]);
  });
  it('does not jump when gapFrom is above the watermark (the rows in between still exist at the edge)', () => {
    const r = advanceWatermark({ ...base, ackedSeq: 2, headHash: h(2), rowsAbove: [row(6)], gapFrom: 4 });
    expect(r).toEqual({ ackedSeq: 2, headHash: h(2), ranges: [[6, 6]], alerts: [] });
  });
  it('after a declared gap, still stops at a later undeclared one', () => {
    const r = advanceWatermark({ ...base, ackedSeq: 0, headHash: h(0), rowsAbove: [row(10), row(11), row(13)], gapFrom: 1 });
    expect(r).toMatchObject({ ackedSeq: 11, headHash: h(11), ranges: [[13, 13]] });
    expect(r.alerts.map((a) => [a.kind, a.seq])).toEqual([['journal_gap', 1]]);
  });
  it('reports at most 32 ranges', () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(10 + i * 2));
    expect(advanceWatermark({ ...base, ackedSeq: 0, headHash: h(0), rowsAbove: rows }).ranges).toHaveLength(MAX_ACK_RANGES);
  });
  it('keeps the first 32 ranges, lowest first', () => {
    const rows = Array.from({ length: 40 }, (_, i) => row(10 + i * 3));
    const { ranges } = advanceWatermark({ ...base, ackedSeq: 0, headHash: h(0), rowsAbove: rows });
    expect(ranges[0]).toEqual([10, 10]);
    expect(ranges[MAX_ACK_RANGES - 1]).toEqual([10 + 31 * 3, 10 + 31 * 3]);
  });
  it('reads chunk after chunk until the run ends', () => {
    const stored = Array.from({ length: 95 }, (_, i) => row(i + 1));
    const reads: number[] = [];
    const r = runWatermark({ ...base, ackedSeq: 0, headHash: h(0) }, ({ ackedSeq, limit }) => {
      reads.push(ackedSeq);
      return stored.filter((x) => x.seq > ackedSeq).slice(0, limit);
    }, 20);
    expect(r.ackedSeq).toBe(95);
    expect(reads).toEqual([0, 20, 40, 60, 80]);
  });
  it('stops chunked reads at a gap, applies gapFrom once, and runs the same loop asynchronously', async () => {
    const stored = [...Array.from({ length: 30 }, (_, i) => row(i + 6)), row(40)]; // 1..5 gone at the edge, 36..39 missing
    const read = ({ ackedSeq, limit }: { ackedSeq: number; limit: number }) => stored.filter((x) => x.seq > ackedSeq).slice(0, limit);
    const input = { ...base, ackedSeq: 0, headHash: h(0), gapFrom: 1 };
    const sync = runWatermark(input, read, 10);
    expect(sync).toMatchObject({ ackedSeq: 35, headHash: h(35), ranges: [[40, 40]] });
    expect(sync.alerts.map((a) => [a.kind, a.seq])).toEqual([['journal_gap', 1]]);
    expect(await runWatermarkAsync(input, async (r) => read(r), 10)).toEqual(sync);
  });
});
