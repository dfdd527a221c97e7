import { toHex, type Codec } from '../contract.ts';
import { decimalsOf, kg, unitFactor, type ScaleFrame } from './frames.ts';
import { lineCodec } from './framing.ts';

/**
 * The A&D-style ASCII line and its many Chinese clones (devices.md §1): `ST,GS,+0012.34kg`. Header 1 ST stable,
 * US unstable, OL/LO overload (the digits become spaces); header 2 GS gross, NT net, TR tare. Clones widen the
 * number, so it is matched by pattern, never by column.
 */
const LINE = /^(ST|US|OL|LO|QT),(GS|NT|TR|G |N |T ),\s*([+-])?\s*([0-9]*\.?[0-9]*|\s*)\s*(kg|g|t|lb|oz|KG|G|T|LB|OZ)?\s*$/;
const MODE = { GS: 'gross', 'G ': 'gross', NT: 'net', 'N ': 'net', TR: 'tare', 'T ': 'tare' } as const;

export function parseAdLine(line: string): ScaleFrame {
  const m = LINE.exec(line.replace(/\s+$/, ''));
  const rawHex = toHex(Buffer.from(line, 'latin1'));
  if (!m) return { kind: 'garbage', reason: `not an A&D-style weight line: "${line.slice(0, 40)}"`, rawHex };
  const [, head, modeCode, sign, digits = '', unit] = m;
  if (head === 'OL' || head === 'LO') return { kind: 'overload' };
  const factor = unit ? unitFactor(unit) : undefined;
  if (!digits.trim() || factor === undefined || !/\d/.test(digits)) return { kind: 'garbage', reason: 'A&D line without a number and unit', rawHex };
  const value = Number(digits) * (sign === '-' ? -1 : 1);
  return {
    kind: 'weight',
    weightKg: kg(value * factor),
    resolutionKg: kg(10 ** -decimalsOf(digits) * factor),
    stable: head === 'ST',
    mode: MODE[modeCode as keyof typeof MODE],
  };
}

export const adAsciiCodec = (): Codec<ScaleFrame> => lineCodec(parseAdLine);
