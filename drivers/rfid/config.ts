import { z } from 'zod';

/**
 * An LLRP reader's configuration, apart from the driver: the edge's config schema (drivers/registry.ts) validates
 * every gateway's devices, and loads the LLRP driver and codec only when a reader is created. llrp-driver.ts
 * imports and re-exports it.
 */
export const LlrpConfig = z.object({
  rospecId: z.number().int().min(1).default(1),
  antennas: z.array(z.number().int().min(1).max(64)).default([]).describe('antenna ids to inventory; empty = all'),
  responseTimeoutMs: z.number().int().min(100).default(5000),
});
export type LlrpConfig = z.output<typeof LlrpConfig>;
