import type { Transport } from '../../transport/transport.ts';
import { CodecScannerDriver } from '../codec-scanner.ts';
import { EvdevScannerConfig } from './config.ts';
import { InputEventCodec } from './input-event-codec.ts';

// The schema lives apart (config.ts), so validating a gateway's config loads no driver, codec or transport.
export { EvdevScannerConfig };

/**
 * A keyboard-wedge scanner read from its Linux input event device (`/dev/input/by-id/…-event-kbd`, devices.md §2):
 * key events decoded to text, each scan classified like any other read.
 *
 * The transport grabs the device exclusively (EVIOCGRAB, ../../transport/evdev.ts) so scans never also type into a
 * console; when it could not, its warning becomes a device.error reading, so the installer sees it in `devices probe`.
 */
export class EvdevScannerDriver extends CodecScannerDriver {
  constructor(config: EvdevScannerConfig, transport: Transport, now: () => number = Date.now) {
    super(() => new InputEventCodec(config.keyboard), transport, now);
  }
}
