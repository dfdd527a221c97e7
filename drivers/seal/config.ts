import { z } from 'zod';
import { Fence, FixAccuracyConfig } from './geofence.ts';

/**
 * The e-seal driver's configuration (its broker and the monitor's zone fence), apart from the driver: the edge's
 * config schema (drivers/registry.ts) validates every gateway's devices, and loads mqtt and the seal monitor only
 * when an e-seal device is created. mqtt-driver.ts and seal-monitor.ts import and re-export these; geofence.ts is
 * the fence schemas and their (dependency-free) geometry.
 */

export const SealMonitorConfig = FixAccuracyConfig.extend({
  zone: z.object({ fenceId: z.string().min(1).max(128), fence: Fence }),
  /** A last known position older than this (against the report's ts) is not trusted to place the seal. */
  maxPositionAgeMs: z.number().int().positive().default(5 * 60_000),
});
export type SealMonitorConfig = z.infer<typeof SealMonitorConfig>;
export type SealMonitorConfigInput = z.input<typeof SealMonitorConfig>;

export const SealMqttConfig = z.object({
  brokerUrl: z.string().regex(/^mqtts?:\/\/.+/).describe('the seal platform broker, e.g. "mqtt://seals.zone.local:1883"'),
  topic: z.string().min(1).default('seals/+/report').describe('topic filter the seals publish reports on'),
  username: z.string().optional(),
  password: z.string().optional(),
  monitor: SealMonitorConfig,
});
export type SealMqttConfig = z.output<typeof SealMqttConfig>;
