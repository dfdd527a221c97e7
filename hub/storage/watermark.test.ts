import { describe, expect, it } from 'vitest';
import { advanceWatermark, MAX_ACK_RANGES, runWatermark, type ChainRow } from './watermark.ts';

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
  it('reports at most 32 ranges', () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(10 + i * 2));
    expect(advanceWatermark({ ...base, ackedSeq: 0, headHash: h(0), rowsAbove: rows }).ranges).toHaveLength(MAX_ACK_RANGES);
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
});
