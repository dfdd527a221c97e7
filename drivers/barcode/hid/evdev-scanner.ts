import { z } from 'zod';
import type { Transport } from '../../transport/transport.ts';
import { CodecScannerDriver } from '../codec-scanner.ts';
import { InputEventCodec } from './input-event-codec.ts';
import { KeyboardScanConfig } from './scan-assembler.ts';

/**
 * A keyboard-wedge scanner read from its Linux input event device (`/dev/input/by-id/…-event-kbd`, devices.md §2):
 * key events decoded to text, each scan classified like any other read.
 *
 * The transport grabs the device exclusively (EVIOCGRAB, ../../transport/evdev.ts) so scans never also type into a
 * console; when it could not, its warning becomes a device.error reading, so the installer sees it in `devices probe`.
 */
export const EvdevScannerConfig = z.object({
  path: z.string().min(1).optional().describe('the /dev/input/by-id/…-event-kbd link (stable across re-plugging)'),
  keyboard: KeyboardScanConfig.prefault({}),
  grab: z.enum(['required', 'preferred', 'off']).default('preferred').describe('"required" refuses a device it cannot grab exclusively'),
});
export type EvdevScannerConfig = z.output<typeof EvdevScannerConfig>;

export class EvdevScannerDriver extends CodecScannerDriver {
  constructor(config: EvdevScannerConfig, transport: Transport, now: () => number = Date.now) {
    super(() => new InputEventCodec(config.keyboard), transport, now);
  }
}
