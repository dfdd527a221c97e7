import type { Transport } from '../../transport/transport.ts';
import { CodecScannerDriver } from '../codec-scanner.ts';
import { HidPosScannerConfig } from './config.ts';
import { HidPosCodec } from './hid-pos-codec.ts';

// The schema lives apart (config.ts), so validating a gateway's config loads no driver, codec or transport.
export { HidPosScannerConfig };

/**
 * A USB scanner in HID POS mode (usage page 0x8C), read through node-hid: the mode that keeps GS and the AIM
 * symbology id, which keyboard wedge loses. Reports → HidPosCodec → classified scans.
 */
export class HidPosScannerDriver extends CodecScannerDriver {
  constructor(config: HidPosScannerConfig, transport: Transport, now: () => number = Date.now) {
    super(() => new HidPosCodec(config.reports), transport, now);
  }
}
