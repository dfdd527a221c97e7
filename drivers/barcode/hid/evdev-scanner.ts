import { z } from 'zod';
import { type CommandResult, DriverBase } from '../../contract.ts';
import type { Link, Transport } from '../../transport/transport.ts';
import { scanReading, type ScanReading } from '../serial-scanner.ts';
import { InputEventCodec } from './input-event-codec.ts';
import { KeyboardScanConfig } from './scan-assembler.ts';

/**
 * A keyboard-wedge scanner read from its Linux input event device (`/dev/input/by-id/…-event-kbd`, devices.md §2):
 * key events decoded to text, each scan classified like any other read.
 *
 * Not done here: the exclusive grab (EVIOCGRAB) that stops scans from also typing into the console. It is an ioctl,
 * which Node cannot issue without a native addon; until one is chosen, install the gateway without a console login
 * on that input device (docs/install-devices.md).
 */
export const EvdevScannerConfig = z.object({ keyboard: KeyboardScanConfig.prefault({}) });
export type EvdevScannerConfig = z.output<typeof EvdevScannerConfig>;

export class EvdevScannerDriver extends DriverBase<ScanReading, never> {

  constructor(private readonly config: EvdevScannerConfig, private readonly transport: Transport, private readonly now: () => number = Date.now) {
    super();
  }

  async start(signal: AbortSignal): Promise<void> {
    const link: Link = await this.transport();
    const codec = new InputEventCodec(this.config.keyboard);
    this.h.connected = true;
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
    return { ok: false, code: 'UNSUPPORTED', message: 'a keyboard-wedge scanner takes no commands' };
  }


}
