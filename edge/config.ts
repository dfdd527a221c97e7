import { z } from 'zod';
import { DeviceConfig } from '../drivers/registry.ts';
import { ConsoleConfig } from './stations/console-adapter.ts';
import { StationConfig } from './stations/config.ts';
import { GatewayId } from '../shared/schemas/events.ts';

/** Edge agent configuration (YAML or JSON). Every field says what it expects: that text is the fix shown for a bad value. */
export const EdgeConfig = z.object({
  gatewayId: GatewayId.describe('the gateway id the hub knows, e.g. "GW-ZONE1-GATE3" (letters, digits, _ or -)'),
  dataDir: z.string().min(1).default('./data/edge').describe('a directory for the journal and keys, e.g. "/var/lib/bondgate"'),
  hub: z.object({
    mqttUrl: z.string().regex(/^mqtts?:\/\/.+/, 'must be an mqtt:// or mqtts:// URL').describe('the broker URL, e.g. "mqtt://hub.zone.local:1883"'),
    username: z.string().min(1).optional().describe('the MQTT user name (defaults to gatewayId)'),
    password: z.string().min(1).describe('the gateway password issued by `bondgate gateway add`'),
    rulesPublicKey: z.string().includes('BEGIN PUBLIC KEY').optional().describe('the hub\'s rules-signing public key (PEM, GET /api/feed/public-key); without it stations have no rules and fail safe'),
  }),
  journal: z
    .object({
      quotaMb: z.number().positive().default(1024).describe('megabytes of disk the journal may use, e.g. 1024'),
      softLimitPct: z.number().min(10).max(99).default(80).describe('percent of the quota at which the edge alarms and sheds telemetry (10–99)'),
      retentionHours: z.number().positive().default(168).describe('hours delivered events are kept on the edge, e.g. 168'),
      telemetryTtlHours: z.number().positive().default(24).describe('hours unsent telemetry is kept before it is shed'),
      synchronous: z.enum(['FULL', 'NORMAL']).default('FULL').describe('"FULL" (fsync every commit, power-loss safe) or "NORMAL"'),
    })
    .default({ quotaMb: 1024, softLimitPct: 80, retentionHours: 168, telemetryTtlHours: 24, synchronous: 'FULL' }),
  sync: z
    .object({
      batchMax: z.number().int().min(1).max(5000).default(1000).describe('events per MQTT message (1–5000)'),
      windowMax: z.number().int().min(100).default(40_000).describe('most events unacknowledged at once'),
      ackTimeoutMs: z.number().int().min(100).default(3000).describe('milliseconds without an ack before resending'),
      compress: z.boolean().default(true).describe('true to deflate batches when it pays'),
    })
    .default({ batchMax: 1000, windowMax: 40_000, ackTimeoutMs: 3000, compress: true }),
  http: z
    .object({
      host: z.string().default('127.0.0.1').describe('address for /healthz and /metrics, e.g. "127.0.0.1"'),
      port: z.number().int().min(0).max(65535).default(9464).describe('port for /healthz and /metrics (0 = any free port)'),
    })
    .default({ host: '127.0.0.1', port: 9464 }),
  clock: z.object({ sync: z.enum(['detect', 'assume-synced', 'assume-unsynced']).default('detect').describe('"detect", "assume-synced" or "assume-unsynced"') }).default({ sync: 'detect' }),
  devices: z
    .array(DeviceConfig)
    .default([])
    .refine((ds) => new Set(ds.map((d) => d.id)).size === ds.length, { message: 'device ids must be unique' })
    .describe('the devices this gateway drives (see README, "Devices"); each is supervised and its health journalled'),
  stations: z
    .array(StationConfig)
    .default([])
    .describe('the stations this gateway runs (inspection line, gate lane, warehouse), each naming the devices it uses'),
  console: ConsoleConfig.optional().describe('the operators\' station pages (see README, "Operator console")'),
  simulator: z
    .object({
      mode: z.enum(['line', 'scans']).default('line').describe('"line" (a full inspection-line flow) or "scans" (parcel scans only)'),
      stationId: z.string().min(1).default('SIM-LINE-1'),
      parcelsPerSecond: z.number().positive().max(100_000).default(1).describe('simulated parcels per second'),
      totalParcels: z.number().int().positive().optional().describe('stop after this many parcels in total, counted across restarts'),
    })
    .optional(),
}).superRefine((c, ctx) => {
  // A station naming a device the gateway does not drive would wait forever for its readings: refuse at start.
  const ids = new Set(c.devices.map((d) => d.id));
  c.stations.forEach((s, i) => {
    for (const [role, v] of Object.entries(s.devices)) {
      for (const id of Array.isArray(v) ? v : [v]) {
        if (typeof id === 'string' && !ids.has(id)) ctx.addIssue({ code: 'custom', message: `device "${id}" is not in devices (known: ${[...ids].join(', ') || 'none'})`, path: ['stations', i, 'devices', role] });
      }
    }
  });
  const stationIds = c.stations.map((s) => s.id);
  if (new Set(stationIds).size !== stationIds.length) ctx.addIssue({ code: 'custom', message: 'station ids must be unique', path: ['stations'] });
});
export type EdgeConfig = z.output<typeof EdgeConfig>;
