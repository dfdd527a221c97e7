import { toHex, type Codec } from '../contract.ts';
import type { ScaleFrame } from './frames.ts';

/**
 * Splits a byte stream into text lines (CR LF, LF or CR), keeping a partial line between pushes. A line longer
 * than `maxLine` is cut and reported, so a device streaming without terminators cannot grow memory forever.
 */
export class LineSplitter {
  private buf = '';
  constructor(private readonly maxLine = 256) {}

  push(bytes: Uint8Array): { lines: string[]; overflow: string[] } {
    this.buf += Buffer.from(bytes).toString('latin1');
    const lines: string[] = [];
    const overflow: string[] = [];
    let start = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf.charCodeAt(i);
      if (c === 0x0a || c === 0x0d) {
        if (i > start) lines.push(this.buf.slice(start, i));
        start = i + 1;
      }
    }
    this.buf = this.buf.slice(start);
    if (this.buf.length > this.maxLine) {
      overflow.push(this.buf);
      this.buf = '';
    }
    return { lines, overflow };
  }

  reset(): void {
    this.buf = '';
  }
}

/** A codec for a line protocol: one frame per non-empty line, an over-long line as garbage. */
export function lineCodec(parseLine: (line: string) => ScaleFrame): Codec<ScaleFrame> {
  const lines = new LineSplitter();
  return {
    push(bytes) {
      const { lines: complete, overflow } = lines.push(bytes);
      return [
        ...complete.filter((l) => l.trim() !== '').map(parseLine),
        ...overflow.map((o): ScaleFrame => ({ kind: 'garbage', reason: 'line too long without CR LF', rawHex: toHex(Buffer.from(o, 'latin1')) })),
      ];
    },
    reset: () => lines.reset(),
  };
}

/**
 * Bytes outside any frame, reported as garbage in fixed groups of 64 as they accumulate — or when a frame starts —
 * so what a codec emits never depends on how the transport chunked the stream (drivers/codecs.property.test.ts).
 */
export class UnframedBytes {
  private bytes: number[] = [];
  constructor(private readonly reason: string) {}

  add(out: ScaleFrame[], ...bs: number[]): void {
    for (const b of bs) {
      this.bytes.push(b);
      if (this.bytes.length === 64) this.flush(out);
    }
  }

  flush(out: ScaleFrame[]): void {
    if (this.bytes.length > 0) out.push({ kind: 'garbage', reason: this.reason, rawHex: toHex(this.bytes) });
    this.bytes = [];
  }

  reset(): void {
    this.bytes = [];
  }
}
