import { z } from 'zod';

/**
 * The serial scanner's configuration, apart from the driver: the edge's config schema (drivers/registry.ts)
 * validates every gateway's devices, and loads a kind's driver only when such a device is created. The driver
 * (serial-scanner.ts) imports and re-exports it.
 */
export const SerialScannerConfig = z.object({
  terminator: z.enum(['CR', 'LF', 'CRLF', 'none']).default('CR').describe('"CR", "LF", "CRLF" or "none" (a read ends after idleMs of silence)'),
  idleMs: z.number().int().min(5).max(2000).default(50).describe('with terminator "none": silence that ends a read'),
  maxLength: z.number().int().min(8).max(8192).default(1024),
  openSilenceMs: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(200)
    .describe('after the port opens, silence that proves the next byte starts a read; bytes before it, up to the first terminator, are a fragment and discarded (0: trust the first bytes)'),
});
export type SerialScannerConfig = z.output<typeof SerialScannerConfig>;
