import { z } from 'zod';

/**
 * A weighing scale's configuration, apart from the driver: the edge's config schema (drivers/registry.ts)
 * validates every gateway's devices, and loads the scale driver and its codecs only when a scale is created.
 * driver.ts imports and re-exports it.
 */
export const ScaleConfig = z.object({
  protocol: z.enum(['mt-sics', 'toledo-continuous', 'ad-ascii', 'xk3190', 'xk3190-reversed']).describe('"mt-sics", "toledo-continuous", "ad-ascii", "xk3190" or "xk3190-reversed"'),
  toledoChecksum: z.boolean().default(true).describe('true when the indicator sends the checksum byte after CR'),
  reversedStream: z.object({ reversed: z.boolean().default(true), sign: z.enum(['minus', 'digit']).default('minus') }).default({ reversed: true, sign: 'minus' }),
  /** For protocols without a stability flag: N consecutive readings within ±tolerance. */
  stability: z.object({ count: z.number().int().min(2).max(50).default(5), toleranceKg: z.number().nonnegative().default(0.002) }).default({ count: 5, toleranceKg: 0.002 }),
});
export type ScaleConfig = z.output<typeof ScaleConfig>;
