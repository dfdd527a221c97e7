import type { GarbageFrame } from '../contract.ts';

/** What every scale codec emits, whatever the protocol. Weights are normalised to kg. */
export type ScaleFrame =
  | {
      kind: 'weight';
      weightKg: number;
      /** The display step in kg, from the protocol's decimals (and increment, where it has one). */
      resolutionKg: number | null;
      /** The protocol's own stability flag; null where it has none (decide from consecutive readings). */
      stable: boolean | null;
      mode: 'gross' | 'net' | 'tare' | null;
      tareKg?: number;
    }
  | { kind: 'overload' | 'underload' }
  /** MT-SICS `S I`: the command cannot be executed now (e.g. no stable weight in time). */
  | { kind: 'busy'; command: string }
  | { kind: 'ack'; command: 'zero' | 'tare' | 'reset'; tareKg?: number; serial?: string }
  | { kind: 'error'; code: string; message: string }
  | GarbageFrame;

export type WeightUnit = 'kg' | 'g' | 't' | 'lb' | 'oz';
const TO_KG: Record<WeightUnit, number> = { kg: 1, g: 0.001, t: 1000, lb: 0.45359237, oz: 0.028349523125 };

export function unitFactor(unit: string): number | undefined {
  return TO_KG[unit.trim().toLowerCase() as WeightUnit];
}

/** Decimal places of a numeric string as written ("12.50" → 2). */
export function decimalsOf(value: string): number {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** Round away binary noise from unit conversion: 12 significant digits are beyond any scale's resolution. */
export const kg = (v: number) => Number(v.toPrecision(12));
