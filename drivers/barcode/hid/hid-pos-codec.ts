import type { z } from 'zod';
import { toHex, type Codec, type GarbageFrame } from '../../contract.ts';
import { HidPosConfig } from './config.ts';

/**
 * HID POS scanner (usage page 0x8C, usage 0x02; the mode node-hid can read), devices.md §2.
 *
 * VENDOR PRACTICE, NOT SPEC TEXT — VERIFY ON A DEVICE before trusting these defaults. The layout assumed:
 *   [report id 0x02] [len] [len bytes: AIM id (`]d2`…) + data, GS preserved] [padding…] [flags]
 * with bit 0 of the last byte meaning "more data: concatenate the next report". Offsets below count from the
 * byte after the report id (devices.md's "byte 0"), so they stay put whether or not the transport strips the id.
 * Reports are fixed-size: the byte stream is cut every `1 + bodySize` bytes (node-hid delivers whole reports).
 */
export { HidPosConfig };

/** `text` keeps the AIM prefix and GS (0x1D) as sent; `parseAimPrefix` / `classifyRead` in shared/identifiers take it from here. */
export type HidPosFrame = { kind: 'scan'; text: string; reports: number } | GarbageFrame;

export class HidPosCodec implements Codec<HidPosFrame> {
  private readonly c: HidPosConfig;
  private readonly reportSize: number;
  private pending = new Uint8Array(0);
  /** Payloads of a scan still flagged "more data". */
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private overflowed = false;

  constructor(config: z.input<typeof HidPosConfig> = {}) {
    this.c = HidPosConfig.parse(config);
    this.reportSize = (this.c.reportId === null ? 0 : 1) + this.c.bodySize;
  }

  push(bytes: Uint8Array): HidPosFrame[] {
    const buf = new Uint8Array(this.pending.length + bytes.length);
    buf.set(this.pending);
    buf.set(bytes, this.pending.length);
    const frames: HidPosFrame[] = [];
    let off = 0;
    for (; buf.length - off >= this.reportSize; off += this.reportSize) {
      frames.push(...this.report(buf.subarray(off, off + this.reportSize)));
    }
    this.pending = buf.slice(off);
    return frames;
  }

  reset(): void {
    this.pending = new Uint8Array(0);
    this.clearScan();
  }

  private report(raw: Uint8Array): HidPosFrame[] {
    const idBytes = this.c.reportId === null ? 0 : 1;
    if (this.c.reportId !== null && raw[0] !== this.c.reportId) {
      return [{ kind: 'garbage', reason: `report id ${raw[0]} is not ${this.c.reportId}`, rawHex: toHex(raw) }];
    }
    const body = raw.subarray(idBytes);
    const len = body[0] ?? 0;
    const flag = this.c.moreDataFlag;
    // The payload must end before the flag byte, or the flag would be read out of the data.
    if (1 + len > flag.byte) {
      return [...this.dropScan('scan abandoned: a report in it was malformed'), { kind: 'garbage', reason: `payload length ${len} overruns the flags at byte ${flag.byte}`, rawHex: toHex(raw) }];
    }
    const more = ((body[flag.byte] ?? 0) & flag.mask) !== 0;
    const payload = body.slice(1, 1 + len);

    const frames: HidPosFrame[] = [];
    if (this.overflowed) {
      this.partBytes += payload.length;
    } else if (this.partBytes + payload.length > this.c.maxScanBytes) {
      frames.push({ kind: 'garbage', reason: `scan longer than ${this.c.maxScanBytes} bytes; discarding until its last report`, rawHex: toHex(concat(this.parts)) });
      this.parts = [];
      this.partBytes += payload.length;
      this.overflowed = true;
    } else {
      this.parts.push(payload);
      this.partBytes += payload.length;
    }
    if (more) return frames;

    const reports = this.parts.length;
    const text = Buffer.from(concat(this.parts)).toString('latin1');
    const overflowed = this.overflowed;
    this.clearScan();
    if (overflowed) return frames;
    // An empty final report with nothing before it is not a read.
    if (text.length === 0) return frames;
    frames.push({ kind: 'scan', text, reports });
    return frames;
  }

  private dropScan(reason: string): GarbageFrame[] {
    const had = this.parts.length > 0;
    const rawHex = toHex(concat(this.parts));
    this.clearScan();
    return had ? [{ kind: 'garbage', reason, rawHex }] : [];
  }

  private clearScan(): void {
    this.parts = [];
    this.partBytes = 0;
    this.overflowed = false;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
