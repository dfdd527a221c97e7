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
