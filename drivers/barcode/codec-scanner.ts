import { type Codec, type CommandResult, DriverBase, type GarbageFrame } from '../contract.ts';
import type { Link, Transport } from '../transport/transport.ts';
import { scanReading, type ScanReading } from './serial-scanner.ts';

/**
 * A scanner whose link delivers whole reports (keyboard-wedge input events, HID POS reports): a codec turns them
 * into scan texts, each classified like any other read. Garbage becomes a counted device.error with its bytes, and
 * a link that works but not as configured (no exclusive grab) says so once, as a device.error.
 */
export type ScanFrame = { kind: 'scan'; text: string } | GarbageFrame;

export class CodecScannerDriver extends DriverBase<ScanReading, never> {
  constructor(private readonly makeCodec: () => Codec<ScanFrame>, private readonly transport: Transport, private readonly now: () => number = Date.now) {
    super();
  }

  async start(signal: AbortSignal): Promise<void> {
    const link: Link = await this.transport();
    const codec = this.makeCodec();
    this.h.connected = true;
    for (const w of link.warnings ?? []) {
      this.h.errors += 1;
      this.emit({ kind: 'device.error', reason: w, rawHex: '', atMs: this.now() });
    }
    link.onClose(() => (this.h.connected = false));
    link.onData((bytes) => {
      for (const f of codec.push(bytes)) {
        const atMs = this.now();
        if (f.kind === 'scan') {
          this.h.lastReadingMs = atMs;
          this.emit(scanReading(f.text, atMs));
        } else {
          this.h.garbage += 1;
          this.emit({ kind: 'device.error', reason: f.reason, rawHex: f.rawHex, atMs });
        }
      }
    });
    signal.addEventListener('abort', () => void link.close(), { once: true });
  }

  async send(): Promise<CommandResult> {
    return { ok: false, code: 'UNSUPPORTED', message: 'this scanner takes no commands' };
  }
}
