import { toHex, type Codec } from '../contract.ts';
import { kg, type ScaleFrame } from './frames.ts';
import { UnframedBytes } from './framing.ts';

/**
 * Yaohua 耀华 XK3190 indicators (devices.md §1), found on most Chinese platform and truck scales. Neither format
 * carries a stability flag, so frames report `stable: null` and the driver decides (stability.ts).
 *
 * tF=0: 12 bytes `02 sign d d d d d d decimals xorHi xorLo 03`. The XOR (of sign, digits and decimals) is sent as
 * two nibble characters, either hex ASCII ('B') or nibble + 0x30 (';'): both are accepted.
 */
const STX = 0x02;
const ETX = 0x03;

function nibble(c: number): number | undefined {
  if (c >= 0x30 && c <= 0x3f) return c - 0x30; // '0'..'9' and ':'..'?' (nibble + 0x30)
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10; // 'A'..'F'
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10; // 'a'..'f'
  return undefined;
}

export function decodeXk3190Frame(f: number[]): ScaleFrame {
  const rawHex = toHex(f);
  let xor = 0;
  for (let i = 1; i <= 8; i++) xor ^= f[i]!;
  const hi = nibble(f[9]!);
  const lo = nibble(f[10]!);
  if (hi === undefined || lo === undefined || ((hi << 4) | lo) !== xor) return { kind: 'garbage', reason: 'XK3190 frame checksum mismatch', rawHex };
  const sign = f[1] === 0x2d ? -1 : f[1] === 0x2b ? 1 : 0;
  const body = String.fromCharCode(...f.slice(2, 8));
  const decimals = f[8]! - 0x30;
  if (sign === 0 || !/^\d{6}$/.test(body) || decimals < 0 || decimals > 4) return { kind: 'garbage', reason: 'XK3190 frame with a bad sign, digits or decimals', rawHex };
  return { kind: 'weight', weightKg: kg((sign * Number(body)) / 10 ** decimals), resolutionKg: kg(10 ** -decimals), stable: null, mode: null };
}

export function xk3190Codec(): Codec<ScaleFrame> {
  let buf: number[] = [];
  const unframed = new UnframedBytes('bytes outside an XK3190 frame');
  return {
    push(bytes) {
      const out: ScaleFrame[] = [];
      for (const b of bytes) {
        if (buf.length === 0) {
          if (b === STX) {
            unframed.flush(out);
            buf.push(b);
          } else unframed.add(out, b);
          continue;
        }
        buf.push(b);
        if (buf.length === 12) {
          const frame = buf;
          buf = [];
          if (frame[11] === ETX) {
            unframed.flush(out);
            out.push(decodeXk3190Frame(frame));
          } else {
            const next = frame.indexOf(STX, 1);
            unframed.add(out, ...(next < 0 ? frame : frame.slice(0, next)));
            buf = next < 0 ? [] : frame.slice(next);
          }
        }
      }
      return out;
    },
    reset() {
      buf = [];
      unframed.reset();
    },
  };
}

/**
 * The "=" reversed stream (A22/A26 and clones): `=` then the display string reversed, sign last. A frame ends
 * at the next `=`. Reversal and the sign convention vary by model, so both are configuration.
 */
export interface ReversedStreamOptions {
  reversed: boolean;
  /** 'minus': a trailing '-' means negative. 'digit': the last character is a sign digit, '1' negative, '0' positive. */
  sign: 'minus' | 'digit';
}

export function parseReversedBody(body: string, o: ReversedStreamOptions): ScaleFrame {
  const rawHex = toHex(Buffer.from(`=${body}`, 'latin1'));
  let s = body;
  let negative = false;
  if (o.sign === 'minus' && s.endsWith('-')) {
    negative = true;
    s = s.slice(0, -1);
  } else if (o.sign === 'digit') {
    negative = s.endsWith('1');
    s = s.slice(0, -1);
  }
  const display = o.reversed ? [...s].reverse().join('') : s;
  if (!/^\d+(\.\d+)?$/.test(display)) return { kind: 'garbage', reason: `XK3190 "=" frame is not a number: "${body.slice(0, 20)}"`, rawHex };
  const decimals = display.includes('.') ? display.length - display.indexOf('.') - 1 : 0;
  return { kind: 'weight', weightKg: kg((negative ? -1 : 1) * Number(display)), resolutionKg: kg(10 ** -decimals), stable: null, mode: null };
}

export function xk3190ReversedCodec(o: ReversedStreamOptions = { reversed: true, sign: 'minus' }): Codec<ScaleFrame> {
  let body: string | undefined; // undefined until the first '=' (what came before it is a partial frame)
  let skipped = '';
  return {
    push(bytes) {
      const out: ScaleFrame[] = [];
      for (const b of bytes) {
        const c = String.fromCharCode(b);
        if (c === '=') {
          if (body !== undefined && body.length > 0) out.push(parseReversedBody(body, o));
          if (skipped) out.push({ kind: 'garbage', reason: 'bytes before the first "="', rawHex: toHex(Buffer.from(skipped, 'latin1')) });
          skipped = '';
          body = '';
        } else if (body === undefined) skipped += c;
        else if (body.length >= 16) {
          out.push({ kind: 'garbage', reason: 'XK3190 "=" frame too long', rawHex: toHex(Buffer.from(body + c, 'latin1')) });
          body = undefined;
        } else body += c;
      }
      return out;
    },
    reset() {
      body = undefined;
      skipped = '';
    },
  };
}
