import { type CommandResult, DriverBase, toHex } from '../contract.ts';
import type { Link, Transport } from '../transport/transport.ts';
import type { Gs1Options } from '../../shared/identifiers/gs1.ts';
import { classifyRead, type ClassifiedRead } from '../../shared/identifiers/read.ts';
import { SerialScannerConfig } from './serial-scanner-config.ts';

/**
 * A serial (or USB-CDC) barcode scanner: lines with a configurable terminator and an optional AIM symbology prefix
 * (devices.md §2) — the mode to prefer for GS1, because GS survives it. Every read is classified (GS1, S10,
 * waybill number) or rejected with a reason; nothing a scanner sends is dropped without a trace.
 *
 * Each line is its own read, however many arrive in one chunk. After the port opens (a restart, a re-plug) the
 * driver cannot know whether the first bytes start a line: the scanner may have been mid-line. Unless the line was
 * silent for `openSilenceMs` after opening, the bytes up to the first terminator began before the port opened: they
 * are discarded and reported as a device.error with their bytes, never read as a (phantom) parcel.
 * The silence is proven by the event loop, not by comparing clocks when bytes arrive: on a starved gateway (a restart
 * into a backlog) bytes that waited in the kernel since the open are delivered long after `openSilenceMs`, and judged
 * by arrival time they looked like a fresh line (a phantom parcel in the crash test under load). So the line counts as
 * silent only when, after `openSilenceMs`, the loop has polled for I/O twice more and no byte came.
 *
 * A chunk can hold thousands of lines (a 64 KiB read of a backlog): they are queued in order and handed on for at
 * most `TURN_BUDGET_MS` (and `READS_PER_TURN` reads) per turn of the event loop, so the gateway's other work (its
 * HTTP health check, the journal's commit of those reads, sync) goes on between them. Past `QUEUE_HIGH_WATER` queued reads the driver stops reading the port (flow control:
 * the OS buffer fills and the scanner is held off) and reports the overload as a device.error, until the queue is
 * down to `QUEUE_LOW_WATER`: reads wait, none is dropped.
 */
/**
 * Most reads handed on per turn of the event loop, and the time they may take (each read is journalled and decided).
 * 128, not more: the station decides parcels from its timers at TIMER_CHUNK (200) a turn, so reads taken in faster
 * than that pile up as open parcels — and the station's state, written with every commit, grows with them.
 */
export const READS_PER_TURN = 128;
export const TURN_BUDGET_MS = 10;
/**
 * Queued reads at which the driver stops reading the port, and at which it reads again: every read queued here is
 * heap the gateway holds (and old enough to be promoted by the time it is handed on), so the bound is low.
 */
export const QUEUE_HIGH_WATER = 1024;
export const QUEUE_LOW_WATER = 256;

// The schema lives apart (serial-scanner-config.ts), so validating a gateway's config loads no driver.
export { SerialScannerConfig };

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

/**
 * Pure: bytes that began before the port opened, up to and including the first terminator. `push` returns what is
 * left once the line is in step (undefined while still inside the fragment), and the fragment it discarded.
 */
export class OpenFragment {
  private frag = '';
  private done = false;
  constructor(private readonly c: SerialScannerConfig) {}

  get inStep(): boolean {
    return this.done;
  }

  /** No byte has arrived since the port opened (a silence can only be proven then). */
  get untouched(): boolean {
    return !this.done && this.frag.length === 0 && !this.seen;
  }

  private seen = false;

  /** The line was silent long enough: whatever comes next starts a read. */
  settle(): void {
    this.done = true;
  }

  push(bytes: Uint8Array): { rest?: Uint8Array; discarded?: string; overflow?: string } {
    if (this.done) return { rest: bytes };
    if (bytes.length > 0) this.seen = true;
    this.frag += Buffer.from(bytes).toString('latin1');
    const sep = { CR: '\r', LF: '\n', CRLF: '\r\n', none: undefined }[this.c.terminator];
    const i = sep === undefined ? -1 : this.frag.indexOf(sep);
    if (i >= 0) {
      const discarded = this.frag.slice(0, i + sep!.length);
      const rest = Buffer.from(this.frag.slice(i + sep!.length), 'latin1');
      this.frag = '';
      this.done = true;
      return { rest, discarded };
    }
    if (this.frag.length > this.c.maxLength) {
      const overflow = this.frag;
      this.frag = '';
      return { overflow };
    }
    return {};
  }

  /** Terminator "none": the silence that ends the fragment. */
  flush(): string | undefined {
    if (this.done) return undefined;
    this.done = true;
    const f = this.frag;
    this.frag = '';
    return f.length > 0 ? f : undefined;
  }
}

/** A read as it came off the line (with the time it did), or a report, in the order the bytes came. */
type Queued = { raw: string; atMs: number } | { reading: ScanReading };

export class SerialScannerDriver extends DriverBase<ScanReading, never> {
  private readonly splitter: ReadSplitter;
  private readonly fragment: OpenFragment;
  private idleTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private silenceObserved: Promise<void> = Promise.resolve();
  private link: Link | undefined;
  /** Reads not yet handed on, oldest at `head`. */
  private queue: Queued[] = [];
  private head = 0;
  private drainScheduled = false;
  private paused = false;
  /** Times the port was paused because reads came faster than they were handed on. */
  overloads = 0;

  constructor(private readonly config: SerialScannerConfig, private readonly transport: Transport, private readonly now: () => number = Date.now) {
    super();
    this.splitter = new ReadSplitter(config);
    this.fragment = new OpenFragment(config);
    if (config.openSilenceMs === 0) this.fragment.settle();
  }

  async start(signal: AbortSignal): Promise<void> {
    const link: Link = await this.transport();
    this.link = link;
    this.h.connected = true;
    link.onData((b) => this.onBytes(b));
    if (!this.fragment.inStep) {
      // Timer, then two check-phase hops: each hop follows a poll phase, so bytes already waiting (or a read already
      // completed on the thread pool) are delivered — and judged a fragment — before the silence is declared.
      this.silenceObserved = new Promise((resolve) => {
        this.silenceTimer = setTimeout(() => setImmediate(() => setImmediate(() => {
          if (this.fragment.untouched) this.fragment.settle();
          resolve();
        })), this.config.openSilenceMs);
      });
    }
    link.onClose(() => (this.h.connected = false));
    signal.addEventListener('abort', () => {
      clearTimeout(this.idleTimer);
      clearTimeout(this.silenceTimer);
      // Reads already taken off the line are handed on before the driver goes (a graceful stop loses none).
      this.drain(Infinity);
      void link.close();
    }, { once: true });
  }

  /** Settles once the open's silence period has been judged (the line in step, or a fragment being discarded). */
  openJudged(): Promise<void> {
    return this.silenceObserved;
  }

  /** Reads taken off the line and not handed on yet. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  private enqueue(q: Queued): void {
    this.queue.push(q);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        this.drain(READS_PER_TURN);
      });
    }
    if (!this.paused && this.queued >= QUEUE_HIGH_WATER && this.link?.pause) {
      this.paused = true;
      this.overloads += 1;
      this.link.pause();
      // Recorded ahead of the reads waiting: the overload is evidence too (a device.error, journalled).
      this.emit({ kind: 'device.error', reason: `overloaded: ${this.queued} reads waiting to be journalled; reading paused (the scanner is held off) until ${QUEUE_LOW_WATER} are left`, rawHex: '', atMs: this.now() });
    }
  }

  /** Hand on up to `max` queued reads (within TURN_BUDGET_MS), in order; the rest on the next turn of the loop. */
  private drain(max: number): void {
    const end = Math.min(this.queue.length, this.head + max);
    const until = max === Infinity ? Infinity : performance.now() + TURN_BUDGET_MS;
    while (this.head < end && (this.head % 16 !== 0 || performance.now() < until)) {
      const q = this.queue[this.head]!;
      this.queue[this.head] = undefined as unknown as Queued;
      this.head += 1;
      if ('reading' in q) this.emit(q.reading);
      else this.handle(q.raw, q.atMs);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 4096) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.queued <= QUEUE_LOW_WATER) {
      this.paused = false;
      this.link?.resume?.();
    }
    if (this.queued > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        this.drain(READS_PER_TURN);
      });
    }
  }

  private onBytes(input: Uint8Array): void {
    let bytes = input;
    if (!this.fragment.inStep) {
      if (this.config.terminator === 'none') {
        // The whole first burst (until idleMs of silence) began before the port opened.
        const f = this.fragment.push(bytes);
        if (f.overflow !== undefined) this.discard(f.overflow);
        this.armIdle();
        return;
      } else {
        const f = this.fragment.push(bytes);
        if (f.overflow !== undefined) this.discard(f.overflow);
        if (f.discarded !== undefined) this.discard(f.discarded);
        if (f.rest === undefined || f.rest.length === 0) return;
        bytes = f.rest;
      }
    }
    const { reads, overflow } = this.splitter.push(bytes);
    const atMs = this.now();
    for (const r of reads) this.enqueue({ raw: r, atMs });
    if (overflow !== undefined) {
      this.h.garbage += 1;
      this.enqueue({ reading: { kind: 'device.error', reason: `no terminator within ${this.config.maxLength} bytes`, rawHex: toHex(Buffer.from(overflow.slice(0, 256), 'latin1')), atMs } });
    }
    if (this.config.terminator === 'none') this.armIdle();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (!this.fragment.inStep) {
        const f = this.fragment.flush();
        if (f !== undefined) this.discard(f);
        return;
      }
      const r = this.splitter.flush();
      if (r !== undefined) this.enqueue({ raw: r, atMs: this.now() });
    }, this.config.idleMs);
  }

  /** A fragment that began before the port opened: reported with its bytes (as a device.error), never read. */
  private discard(fragment: string): void {
    this.h.garbage += 1;
    this.enqueue({ reading: { kind: 'device.error', reason: `partial read discarded: it began before the port opened (${fragment.length} bytes up to the first terminator)`, rawHex: toHex(Buffer.from(fragment.slice(0, 1024), 'latin1')), atMs: this.now() } });
  }

  private handle(raw: string, atMs: number): void {
    this.h.lastReadingMs = atMs;
    this.emit(scanReading(raw, atMs));
  }


  async send(): Promise<CommandResult> {
    return { ok: false, code: 'UNSUPPORTED', message: 'a serial scanner takes no commands' };
  }


}
