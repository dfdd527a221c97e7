import { z } from 'zod';

/**
 * The Modbus devices' configuration (gate locks, PLCs), apart from the drivers: the edge's config schema
 * (drivers/registry.ts) validates every gateway's devices, and loads a Modbus driver (and modbus-serial) only when
 * such a device starts. lock.ts and plc.ts import and re-export these; addresses are 0-based protocol addresses.
 */

/** A gate barrier or fence lock (lock.ts): a coil to command it, discrete inputs for its position and a forced-open alarm. */
export const LockConfig = z.object({
  map: z.object({
    openCoil: z.number().int().min(0).max(65535).describe('0-based coil that opens (raises) the barrier while ON'),
    openedInput: z.number().int().min(0).max(65535).describe('0-based discrete input that is ON while the barrier is open'),
    forcedInput: z.number().int().min(0).max(65535).optional().describe('0-based discrete input that is ON when opened without a command'),
  }),
  pollMs: z.number().int().min(20).default(200),
});
export type LockConfig = z.output<typeof LockConfig>;

/** A PLC's named points over its four tables (plc.ts); 32-bit values span two registers in `wordOrder`. */
export const PlcTable = z.enum(['coil', 'discrete', 'holding', 'input']);
export const PlcValueType = z.enum(['bool', 'uint16', 'int16', 'uint32', 'int32', 'float32']);

export const PlcPoint = z
  .object({
    name: z.string().min(1).max(64),
    table: PlcTable.describe('coil, discrete, holding or input'),
    address: z.number().int().min(0).max(65535).describe('0-based protocol address'),
    type: PlcValueType.optional().describe('bool for coils and discrete inputs; uint16 (default), int16, uint32, int32, float32 for registers'),
    wordOrder: z.enum(['high-first', 'low-first']).default('high-first').describe('for 32-bit values: which register holds the high word'),
    scale: z.number().default(1).describe('engineering value = raw × scale (e.g. 0.1 for tenths)'),
    writable: z.boolean().default(false),
  })
  .transform((p) => ({ ...p, type: p.type ?? (p.table === 'coil' || p.table === 'discrete' ? 'bool' : 'uint16') }))
  .refine((p) => (p.table === 'coil' || p.table === 'discrete') === (p.type === 'bool'), { message: 'coils and discrete inputs are bool; registers are numeric', path: ['type'] })
  .refine((p) => !p.writable || p.table === 'coil' || p.table === 'holding', { message: 'only coils and holding registers can be written', path: ['writable'] });
export type PlcPoint = z.output<typeof PlcPoint>;

export const PlcConfig = z.object({
  points: z
    .array(PlcPoint)
    .min(1)
    .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, { message: 'point names must be unique' }),
  pollMs: z.number().int().min(20).default(200),
  maxGap: z.number().int().min(0).max(100).default(8).describe('read across a gap of up to this many unused addresses rather than split a request'),
  maxRegisters: z.number().int().min(1).max(125).default(100),
});
export type PlcConfig = z.output<typeof PlcConfig>;
