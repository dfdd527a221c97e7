import { toHex, type Codec } from '../contract.ts';
import { kg, type ScaleFrame } from './frames.ts';
import { UnframedBytes } from './framing.ts';

/**
 * Toledo Continuous output (devices.md §1): `STX SWA SWB SWC WWWWWW TTTTTT CR [CHK]`, often 7E1 on the wire, so
 * every byte is masked to 7 bits. CHK is the two's complement of the 7-bit sum of STX..CR; whether a device sends
 * it is configuration (a stream cannot tell a missing checksum from a late one).
 */
const STX = 0x02;
const CR = 0x0d;
const BODY = 16; // STX + 3 status + 6 weight + 6 tare

/** SWA bits 0–2: where the decimal point is (0: ×100 … 2: ×1 … 5: ×0.001). */
const MULTIPLIER = [100, 10, 1, 0.1, 0.01, 0.001, 0.0001, 0.00001];
/** SWA bits 3–4: display increment 1, 2 or 5. */
const INCREMENT = [1, 1, 2, 5];
const LB = 0.45359237;

export function toledoChecksum(frame: readonly number[]): number {
  let sum = 0;
  for (const b of frame) sum += b & 0x7f;
  return -sum & 0x7f;
}

function digits(bytes: number[]): number | undefined {
  // Leading zeros may be sent as spaces.
  const s = String.fromCharCode(...bytes).replace(/ /g, '0');
  return /^\d{6}$/.test(s) ? Number(s) : undefined;
}

export function decodeToledoFrame(frame: number[]): ScaleFrame {
  const rawHex = toHex(frame);
  const [, swa = 0, swb = 0] = frame;
  const w = digits(frame.slice(4, 10));
  const t = digits(frame.slice(10, 16));
  if (w === undefined || t === undefined) return { kind: 'garbage', reason: 'Toledo frame with non-digit weight or tare', rawHex };
  if (swb & 0x04) return { kind: 'overload' }; // over/under range: the protocol does not say which
  const mult = MULTIPLIER[swa & 0x07]!;
  const unit = swb & 0x10 ? 1 : LB;
  const sign = swb & 0x02 ? -1 : 1;
  return {
    kind: 'weight',
    weightKg: kg(sign * w * mult * unit),
    resolutionKg: kg(INCREMENT[(swa >> 3) & 0x03]! * mult * unit),
    stable: (swb & 0x08) === 0,
    mode: swb & 0x01 ? 'net' : 'gross',
    tareKg: kg(t * mult * unit),
  };
}

export function toledoContinuousCodec(opts: { checksum: boolean }): Codec<ScaleFrame> {
  let buf: number[] = [];
  const unframed = new UnframedBytes('bytes outside a Toledo frame');
  const frameLen = BODY + 1 + (opts.checksum ? 1 : 0);
  return {
    push(bytes) {
      const out: ScaleFrame[] = [];
      for (const raw of bytes) {
        const b = raw & 0x7f;
        if (buf.length === 0) {
          if (b === STX) {
            unframed.flush(out);
            buf.push(b);
          } else unframed.add(out, raw);
          continue;
        }
        buf.push(b);
        if (buf.length === BODY + 1 && b !== CR) {
          // No CR where it must be: resynchronise on the next STX inside what we hold.
          const next = buf.indexOf(STX, 1);
          unframed.add(out, ...(next < 0 ? buf : buf.slice(0, next)));
          buf = next < 0 ? [] : buf.slice(next);
          continue;
        }
        if (buf.length === frameLen) {
          const frame = buf;
          buf = [];
          unframed.flush(out);
          if (opts.checksum && toledoChecksum(frame.slice(0, BODY + 1)) !== frame[BODY + 1]) {
            out.push({ kind: 'garbage', reason: 'Toledo frame checksum mismatch', rawHex: toHex(frame) });
          } else out.push(decodeToledoFrame(frame));
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
