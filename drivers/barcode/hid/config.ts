import { z } from 'zod';
import { HidMatch } from '../../transport/config.ts';

/**
 * The USB scanners' configuration (keyboard wedge read from evdev, HID POS read through node-hid), apart from the
 * drivers: the edge's config schema (drivers/registry.ts) validates every gateway's devices, and must not load the
 * codecs, koffi or node-hid for a kind the gateway does not have. The drivers and codecs import and re-export these.
 */

/** Config shared by the keyboard-wedge codecs (Linux input events and HID boot reports). */
export const KeyboardScanConfig = z.object({
  terminators: z
    .array(z.enum(['enter', 'kpenter', 'tab']))
    .default(['enter', 'kpenter', 'tab'])
    .describe('keys that end a scan; a key left out is typed into the text instead (Enter as CR, Tab as TAB)'),
  gsSubstitute: z
    .string()
    .min(1)
    .optional()
    .describe('text the scanner is configured to type for GS (0x1D), e.g. "{GS}"; replaced by GS in every scan'),
  maxScanLength: z.number().int().min(8).max(8192).default(1024),
});
export type KeyboardScanConfig = z.output<typeof KeyboardScanConfig>;

/**
 * HID POS report layout (vendor practice, not spec text: verify on a device; hid-pos-codec.ts says what it assumes).
 * Offsets count from the byte after the report id.
 */
export const HidPosConfig = z
  .object({
    reportId: z.number().int().min(1).max(255).nullable().default(0x02).describe('null when the transport strips report ids'),
    bodySize: z.number().int().min(4).max(1023).default(63).describe('report bytes after the report id'),
    moreDataFlag: z
      .object({ byte: z.number().int().min(1), mask: z.number().int().min(1).max(0xff) })
      .default({ byte: 62, mask: 0x01 })
      .describe('where the "more data" flag sits, counted from the length byte (0)'),
    maxScanBytes: z.number().int().min(64).max(65536).default(8192),
  })
  .refine((c) => c.moreDataFlag.byte < c.bodySize, { message: 'moreDataFlag.byte must lie inside the report body', path: ['moreDataFlag', 'byte'] });
export type HidPosConfig = z.output<typeof HidPosConfig>;

/**
 * A keyboard-wedge scanner read from its Linux input event device; the transport grabs it exclusively (EVIOCGRAB)
 * unless `grab` says otherwise (evdev-scanner.ts).
 */
export const EvdevScannerConfig = z.object({
  path: z.string().min(1).optional().describe('the /dev/input/by-id/…-event-kbd link (stable across re-plugging)'),
  keyboard: KeyboardScanConfig.prefault({}),
  grab: z.enum(['required', 'preferred', 'off']).default('preferred').describe('"required" refuses a device it cannot grab exclusively'),
});
export type EvdevScannerConfig = z.output<typeof EvdevScannerConfig>;

/** A USB scanner in HID POS mode (usage page 0x8C), found by its USB identity (hid-pos-scanner.ts). */
export const HidPosScannerConfig = z.object({ usb: HidMatch, reports: HidPosConfig.prefault({}) });
export type HidPosScannerConfig = z.output<typeof HidPosScannerConfig>;
