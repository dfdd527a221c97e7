import type { z } from 'zod';
import { toHex, type Codec, type GarbageFrame } from '../../contract.ts';
import { LINUX_KEYS, LINUX_MODIFIERS, type Terminator } from './keymap.ts';
import { KeyboardScanConfig, ScanAssembler, type HeldModifiers } from './scan-assembler.ts';

/**
 * Keyboard-wedge scanner read from `/dev/input/event*` (with EVIOCGRAB, devices.md §2): bytes → scans.
 * Each event is a 64-bit Linux `struct input_event` of 24 bytes, little-endian:
 * timeval (s64 sec, s64 usec), u16 type, u16 code, s32 value. 32-bit kernels use 16 bytes and are not supported.
 */
export type InputEventFrame =
  | { kind: 'scan'; text: string; terminator: Terminator; /** timeval of the terminator key press */ timeSec: number }
  | GarbageFrame;

export const INPUT_EVENT_SIZE = 24;
const EV_SYN = 0;
const EV_KEY = 1;
const EV_MAX = 0x1f;
const SYN_DROPPED = 3;

export class InputEventCodec implements Codec<InputEventFrame> {
  private pending = new Uint8Array(0);
  /** Held modifier keys by code, so releasing left Shift while right Shift is down keeps Shift held. */
  private held = new Set<number>();
  private readonly scans: ScanAssembler;

  constructor(config: z.input<typeof KeyboardScanConfig> = {}) {
    this.scans = new ScanAssembler(KeyboardScanConfig.parse(config));
  }

  push(bytes: Uint8Array): InputEventFrame[] {
    const buf = new Uint8Array(this.pending.length + bytes.length);
    buf.set(this.pending);
    buf.set(bytes, this.pending.length);
    const frames: InputEventFrame[] = [];
    let off = 0;
    for (; buf.length - off >= INPUT_EVENT_SIZE; off += INPUT_EVENT_SIZE) {
      frames.push(...this.event(buf.subarray(off, off + INPUT_EVENT_SIZE)));
    }
    this.pending = buf.slice(off);
    return frames;
  }

  reset(): void {
    this.pending = new Uint8Array(0);
    this.held.clear();
    this.scans.reset();
  }

  private event(raw: Uint8Array): InputEventFrame[] {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const type = view.getUint16(16, true);
    const code = view.getUint16(18, true);
    const value = view.getInt32(20, true);

    if (type > EV_MAX) {
      return [{ kind: 'garbage', reason: `event type ${type} > EV_MAX: not a 64-bit input_event stream`, rawHex: toHex(raw) }];
    }
    if (type === EV_SYN && code === SYN_DROPPED) {
      // The kernel's event buffer overflowed: key presses (and modifier releases) were lost.
      this.held.clear();
      return [this.scans.spoil('SYN_DROPPED: the kernel dropped input events', toHex(raw))];
    }
    // EV_SYN reports, EV_MSC scan codes, EV_LED and EV_REP carry no characters.
    if (type !== EV_KEY) return [];
    if (value !== 0 && value !== 1 && value !== 2) {
      return [{ kind: 'garbage', reason: `EV_KEY value ${value} is not 0, 1 or 2`, rawHex: toHex(raw) }];
    }

    if (LINUX_MODIFIERS.has(code)) {
      if (value === 0) this.held.delete(code);
      else this.held.add(code);
      return [];
    }
    // Releases carry nothing; an unknown key was already reported at its press.
    if (value === 0) return [];
    const def = LINUX_KEYS.get(code);
    // CapsLock toggles on its press, not while auto-repeating.
    if (def?.kind === 'capslock' && value === 2) return [];

    const timeSec = Number(view.getBigInt64(0, true)) + Number(view.getBigInt64(8, true)) / 1e6;
    return this.scans
      .press(def, this.modifiers(), toHex(raw))
      .map((f) => (f.kind === 'scan' ? { ...f, timeSec } : f));
  }

  private modifiers(): HeldModifiers {
    const m: HeldModifiers = { shift: false, ctrl: false, altOrMeta: false };
    for (const code of this.held) {
      const kind = LINUX_MODIFIERS.get(code);
      if (kind !== undefined) m[kind] = true;
    }
    return m;
  }
}
