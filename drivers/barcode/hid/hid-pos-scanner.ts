import { z } from 'zod';
import { HidMatch } from '../../transport/hid.ts';
import type { Transport } from '../../transport/transport.ts';
import { CodecScannerDriver } from '../codec-scanner.ts';
import { HidPosCodec, HidPosConfig } from './hid-pos-codec.ts';

/**
 * A USB scanner in HID POS mode (usage page 0x8C), read through node-hid: the mode that keeps GS and the AIM
 * symbology id, which keyboard wedge loses. Reports → HidPosCodec → classified scans.
 */
export const HidPosScannerConfig = z.object({ usb: HidMatch, reports: HidPosConfig.prefault({}) });
export type HidPosScannerConfig = z.output<typeof HidPosScannerConfig>;

export class HidPosScannerDriver extends CodecScannerDriver {
  constructor(config: HidPosScannerConfig, transport: Transport, now: () => number = Date.now) {
    super(() => new HidPosCodec(config.reports), transport, now);
  }
}
