import { z } from 'zod';
import { type CommandResult, DriverBase, toHex } from '../contract.ts';
import type { Link, Transport } from '../transport/transport.ts';
import type { Gs1Options } from '../../shared/identifiers/gs1.ts';
import { classifyRead, type ClassifiedRead } from '../../shared/identifiers/read.ts';

/**
 * A serial (or USB-CDC) barcode scanner: lines with a configurable terminator and an optional AIM symbology prefix
 * (devices.md §2) — the mode to prefer for GS1, because GS survives it. Every read is classified (GS1, S10,
 * waybill number) or rejected with a reason; nothing a scanner sends is dropped without a trace.
 */
export const SerialScannerConfig = z.object({
  terminator: z.enum(['CR', 'LF', 'CRLF', 'none']).default('CR').describe('"CR", "LF", "CRLF" or "none" (a read ends after idleMs of silence)'),
  idleMs: z.number().int().min(5).max(2000).default(50).describe('with terminator "none": silence that ends a read'),
  maxLength: z.number().int().min(8).max(8192).default(1024),
});
export type SerialScannerConfig = z.output<typeof SerialScannerConfig>;

/** What every scanner driver (serial, keyboard wedge, HID POS, camera) emits. */
export type ScanReading =
  | { kind: 'scan'; read: Exclude<ClassifiedRead, { kind: 'rejected' | 'ambiguous' }>; raw: string; atMs: number }
  /** `ambiguous`: GS1 read without GS separators that has several valid readings; kept, never guessed. */
  | { kind: 'scan.rejected'; reason: string; raw: string; atMs: number; ambiguous?: true }
  | { kind: 'device.error'; reason: string; rawHex: string; atMs: number };

/**
 * One read, classified: a scan, or a rejection with its reason (never dropped). A source known to send every FNC1
 * as GS passes `{ separators: 'transmitted' }` so a GS-less GS1 read is not second-guessed (shared/identifiers/gs1.ts).
 */
export function scanReading(raw: string, atMs: number, options: Gs1Options = {}): ScanReading {
  const read = classifyRead(raw, options);
  if (read.kind === 'rejected') return { kind: 'scan.rejected', reason: read.reason, raw, atMs };
  if (read.kind === 'ambiguous') return { kind: 'scan.rejected', reason: read.reason, raw, atMs, ambiguous: true };
  return { kind: 'scan', read, raw, atMs };
}

/** Pure: bytes → complete reads by terminator. The idle timeout for "none" lives in the driver (it is time). */
export class ReadSplitter {
  private buf = '';
  constructor(private readonly c: SerialScannerConfig) {}

  push(bytes: Uint8Array): { reads: string[]; overflow?: string } {
    this.buf += Buffer.from(bytes).toString('latin1');
    const reads: string[] = [];
    if (this.c.terminator !== 'none') {
      const sep = { CR: '\r', LF: '\n', CRLF: '\r\n' }[this.c.terminator];
      let i: number;
      while ((i = this.buf.indexOf(sep)) >= 0) {
        // A CRLF scanner configured as CR leaves a stray LF at the next read's start: drop it.
        const read = this.buf.slice(0, i).replace(/^\n/, '');
        if (read.length > 0) reads.push(read);
        this.buf = this.buf.slice(i + sep.length);
      }
    }
    if (this.buf.length > this.c.maxLength) {
      const overflow = this.buf;
      this.buf = '';
      return { reads, overflow };
    }
    return { reads };
  }

  /** End the pending read (terminator "none", after idleMs of silence). */
  flush(): string | undefined {
    const read = this.buf.replace(/^\n/, '');
    this.buf = '';
    return read.length > 0 ? read : undefined;
  }

  reset(): void {
    this.buf = '';
  }
}

export class SerialScannerDriver extends DriverBase<ScanReading, never> {
  private readonly splitter: ReadSplitter;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly config: SerialScannerConfig, private readonly transport: Transport, private readonly now: () => number = Date.now) {
    super();
    this.splitter = new ReadSplitter(config);
  }

  async start(signal: AbortSignal): Promise<void> {
    const link: Link = await this.transport();
    this.h.connected = true;
    link.onData((b) => this.onBytes(b));
    link.onClose(() => (this.h.connected = false));
    signal.addEventListener('abort', () => {
      clearTimeout(this.idleTimer);
      void link.close();
    }, { once: true });
  }

  private onBytes(bytes: Uint8Array): void {
    const { reads, overflow } = this.splitter.push(bytes);
    for (const r of reads) this.handle(r);
    if (overflow !== undefined) {
      this.h.garbage += 1;
      this.emit({ kind: 'device.error', reason: `no terminator within ${this.config.maxLength} bytes`, rawHex: toHex(Buffer.from(overflow.slice(0, 256), 'latin1')), atMs: this.now() });
    }
    if (this.config.terminator === 'none') {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => {
        const r = this.splitter.flush();
        if (r !== undefined) this.handle(r);
      }, this.config.idleMs);
    }
  }

  private handle(raw: string): void {
    const atMs = this.now();
    this.h.lastReadingMs = atMs;
    this.emit(scanReading(raw, atMs));
  }


  async send(): Promise<CommandResult> {
    return { ok: false, code: 'UNSUPPORTED', message: 'a serial scanner takes no commands' };
  }


}
