import type { z } from 'zod';
import { toHex, type Codec, type GarbageFrame } from '../../contract.ts';
import { HID_USAGES } from './keymap.ts';
import { KeyboardScanConfig, ScanAssembler, type HeldModifiers, type KeyedScan } from './scan-assembler.ts';

/**
 * Keyboard-wedge scanner decoded from raw HID boot keyboard reports (devices.md §2): 8 bytes
 * `[modifiers][reserved][k1..k6]`. A key is pressed when it appears in a report and was not in the previous one,
 * so a held key across reports (6-key rollover) types once. Boot reports carry no time, so scans carry none.
 * Reports are fixed-size, so the byte stream is cut every 8 bytes (hidraw delivers one report per read).
 */
export type BootReportFrame = KeyedScan | GarbageFrame;

export const BOOT_REPORT_SIZE = 8;
const SHIFT_BITS = 0x22; // left Shift bit 1, right Shift bit 5
const CTRL_BITS = 0x11; // left Ctrl bit 0, right Ctrl bit 4
const ALT_OR_GUI_BITS = 0xcc; // Alt bits 2 and 6, GUI bits 3 and 7
/** ErrorRollOver, POSTFail, ErrorUndefined: the keyboard reports a phantom state, not keys (HID usage tables §10). */
const isErrorUsage = (u: number) => u >= 0x01 && u <= 0x03;

export class BootReportCodec implements Codec<BootReportFrame> {
  private pending = new Uint8Array(0);
  private previous = new Set<number>();
  private readonly scans: ScanAssembler;

  constructor(config: z.input<typeof KeyboardScanConfig> = {}) {
    this.scans = new ScanAssembler(KeyboardScanConfig.parse(config));
  }

  push(bytes: Uint8Array): BootReportFrame[] {
    const buf = new Uint8Array(this.pending.length + bytes.length);
    buf.set(this.pending);
    buf.set(bytes, this.pending.length);
    const frames: BootReportFrame[] = [];
    let off = 0;
    for (; buf.length - off >= BOOT_REPORT_SIZE; off += BOOT_REPORT_SIZE) {
      frames.push(...this.report(buf.subarray(off, off + BOOT_REPORT_SIZE)));
    }
    this.pending = buf.slice(off);
    return frames;
  }

  reset(): void {
    this.pending = new Uint8Array(0);
    this.previous.clear();
    this.scans.reset();
  }

  private report(raw: Uint8Array): BootReportFrame[] {
    const mods = raw[0] ?? 0;
    const keys = [...raw.subarray(2)].filter((u) => u !== 0);
    // On rollover error the previous key state still stands; keys resume with the next real report.
    if (keys.some(isErrorUsage)) return [];
    const held: HeldModifiers = {
      shift: (mods & SHIFT_BITS) !== 0,
      ctrl: (mods & CTRL_BITS) !== 0,
      altOrMeta: (mods & ALT_OR_GUI_BITS) !== 0,
    };
    const frames: BootReportFrame[] = [];
    const current = new Set(keys);
    for (const usage of current) {
      if (this.previous.has(usage)) continue;
      // Modifier usages (0xE0–0xE7) are also bits of byte 0; some keyboards list them in the key array too.
      if (usage >= 0xe0 && usage <= 0xe7) continue;
      frames.push(...this.scans.press(HID_USAGES.get(usage), held, toHex(raw)));
    }
    this.previous = current;
    return frames;
  }
}
