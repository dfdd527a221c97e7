import { toHex, type Codec } from '../contract.ts';
import { decimalsOf, kg, unitFactor, type ScaleFrame } from './frames.ts';
import { lineCodec } from './framing.ts';

/**
 * Mettler Toledo MT-SICS replies (devices.md §1): one line per reply, CR LF. Split on whitespace, not columns —
 * some devices omit the space before the unit (`S S   12.5kg`).
 */
const ERRORS: Record<string, string> = { ES: 'syntax error: command not known', ET: 'transmission error', EL: 'logical error: command cannot be executed' };

function weight(value: string, unit: string, stable: boolean, line: string): ScaleFrame {
  const factor = unitFactor(unit);
  const n = Number(value);
  if (factor === undefined || !/^[+-]?\d+(\.\d+)?$/.test(value) || !Number.isFinite(n)) {
    return { kind: 'garbage', reason: `MT-SICS weight "${value} ${unit}" is not a number with a known unit`, rawHex: toHex(Buffer.from(line, 'latin1')) };
  }
  return { kind: 'weight', weightKg: kg(n * factor), resolutionKg: kg(10 ** -decimalsOf(value) * factor), stable, mode: null };
}

export function parseMtSicsLine(line: string): ScaleFrame {
  const trimmed = line.trim();
  if (ERRORS[trimmed]) return { kind: 'error', code: trimmed, message: ERRORS[trimmed]! };
  // `12.5kg` → `12.5 kg`
  const tokens = trimmed.replace(/(\d)([a-zA-Z]+)$/, '$1 $2').split(/\s+/);
  const [id, status, value, unit] = tokens;
  const garbage = (reason: string): ScaleFrame => ({ kind: 'garbage', reason, rawHex: toHex(Buffer.from(line, 'latin1')) });
  switch (id) {
    case 'S':
    case 'SI':
    case 'SIR':
      if (status === 'S' || status === 'D') return value !== undefined && unit !== undefined ? weight(value, unit, status === 'S', line) : garbage('MT-SICS weight reply without value and unit');
      if (status === 'I') return { kind: 'busy', command: 'S' };
      if (status === '+') return { kind: 'overload' };
      if (status === '-') return { kind: 'underload' };
      return garbage(`MT-SICS weight reply with unknown status "${status ?? ''}"`);
    case 'Z':
    case 'ZI':
      if (status === 'A' || status === 'D') return { kind: 'ack', command: 'zero' };
      if (status === 'I') return { kind: 'busy', command: 'Z' };
      if (status === '+' || status === '-') return { kind: 'error', code: `Z${status}`, message: 'zero refused: weight outside the zero range' };
      return garbage(`MT-SICS zero reply with unknown status "${status ?? ''}"`);
    case 'T':
    case 'TI':
    case 'TA':
      // Some devices answer tare with `T A`, others `T S <value> <unit>`: accept both (devices.md).
      if (status === 'S' || status === 'A' || status === 'D') {
        if (value === undefined || unit === undefined) return { kind: 'ack', command: 'tare' };
        const w = weight(value, unit, true, line);
        return w.kind === 'weight' ? { kind: 'ack', command: 'tare', tareKg: w.weightKg } : w;
      }
      if (status === 'I') return { kind: 'busy', command: 'T' };
      if (status === '+' || status === '-') return { kind: 'error', code: `T${status}`, message: 'tare refused: weight out of range' };
      return garbage(`MT-SICS tare reply with unknown status "${status ?? ''}"`);
    case 'I4':
    case '@':
      if (status === 'A') return { kind: 'ack', command: 'reset', serial: (tokens.slice(2).join(' ').match(/"([^"]*)"/)?.[1] ?? tokens[2] ?? '').trim() };
      return garbage(`MT-SICS reset reply with unknown status "${status ?? ''}"`);
    default:
      return garbage(`not an MT-SICS reply: "${trimmed.slice(0, 40)}"`);
  }
}

export const mtSicsCodec = (): Codec<ScaleFrame> => lineCodec(parseMtSicsLine);

/** Commands are uppercase ASCII lines ending CR LF. */
export const mtSicsCommand = (cmd: 'S' | 'SI' | 'SIR' | 'Z' | 'ZI' | 'T' | 'TI' | 'TAC' | '@') => Buffer.from(`${cmd}\r\n`, 'latin1');
