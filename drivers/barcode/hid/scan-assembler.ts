import { toHex, type GarbageFrame } from '../../contract.ts';
import { KeyboardScanConfig } from './config.ts';
import { controlChar, type KeyDef, type Terminator } from './keymap.ts';

// The schema lives apart (config.ts), so validating a gateway's config loads no codec.
export { KeyboardScanConfig };

export interface KeyedScan {
  kind: 'scan';
  text: string;
  terminator: Terminator;
}

export interface HeldModifiers {
  shift: boolean;
  ctrl: boolean;
  altOrMeta: boolean;
}

const TYPED_TERMINATOR: Record<Terminator, string> = { enter: '\r', kpenter: '\r', tab: '\t' };

const latin1Hex = (text: string) => toHex(Buffer.from(text, 'latin1'));

/**
 * Turns decoded key presses into scans. A scan that lost a key (unknown code, an Alt chord, a dropped event)
 * is never emitted as a scan: it comes out as garbage at its terminator, so a waybill number with a missing
 * digit cannot pass as a good read.
 */
export class ScanAssembler {
  private text = '';
  private capsLock = false;
  private undecodable = 0;
  private discarded = 0;
  private overflowed = false;

  constructor(private readonly c: KeyboardScanConfig) {}

  /** One key press (or auto-repeat). `rawHex` is the event or report it came from, for garbage frames. */
  press(def: KeyDef | undefined, held: HeldModifiers, rawHex: string): Array<KeyedScan | GarbageFrame> {
    if (def === undefined) return [this.spoil('unknown key code', rawHex)];
    switch (def.kind) {
      case 'ignored':
        return [];
      case 'capslock':
        this.capsLock = !this.capsLock;
        return [];
      case 'terminator':
        if (this.c.terminators.includes(def.terminator)) return this.end(def.terminator);
        return this.append(TYPED_TERMINATOR[def.terminator]);
      case 'char': {
        if (held.altOrMeta) return [this.spoil('Alt or Meta chord (not decoded)', rawHex)];
        if (held.ctrl) {
          const ctl = controlChar(def);
          return ctl === undefined ? [this.spoil('Ctrl chord with no control character', rawHex)] : this.append(ctl);
        }
        const upper = def.letter ? held.shift !== this.capsLock : held.shift;
        return this.append(upper ? def.shifted : def.base);
      }
    }
  }

  /** Something was lost outside any key (e.g. SYN_DROPPED): the scan in progress cannot be trusted. */
  spoil(reason: string, rawHex: string): GarbageFrame {
    this.undecodable++;
    return { kind: 'garbage', reason, rawHex };
  }

  reset(): void {
    this.text = '';
    this.capsLock = false;
    this.clearScan();
  }

  private append(chars: string): Array<KeyedScan | GarbageFrame> {
    if (this.overflowed) {
      this.discarded += chars.length;
      return [];
    }
    if (this.text.length + chars.length > this.c.maxScanLength) {
      const frame: GarbageFrame = {
        kind: 'garbage',
        reason: `scan longer than ${this.c.maxScanLength} characters; discarding until its terminator`,
        rawHex: latin1Hex(this.text),
      };
      this.overflowed = true;
      this.discarded = chars.length;
      this.text = '';
      return [frame];
    }
    this.text += chars;
    return [];
  }

  private end(terminator: Terminator): Array<KeyedScan | GarbageFrame> {
    const { text, undecodable, discarded, overflowed } = this;
    this.clearScan();
    if (overflowed) {
      return [{ kind: 'garbage', reason: `end of overlong scan: ${discarded} further characters discarded`, rawHex: '' }];
    }
    if (undecodable > 0) {
      return [{ kind: 'garbage', reason: `scan lost ${undecodable} undecodable key(s); not emitted`, rawHex: latin1Hex(text) }];
    }
    // A bare terminator (an Enter between scans) is not a read.
    if (text.length === 0) return [];
    const gs = this.c.gsSubstitute;
    return [{ kind: 'scan', text: gs === undefined ? text : text.split(gs).join('\x1d'), terminator }];
  }

  private clearScan(): void {
    this.text = '';
    this.undecodable = 0;
    this.discarded = 0;
    this.overflowed = false;
  }
}
