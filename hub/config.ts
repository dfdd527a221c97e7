import { RiskRules } from './customs/risk.ts';
import { z } from 'zod';
import { GatewayId } from '../shared/schemas/events.ts';

/** Hub configuration (YAML or JSON); environment variables override the file (see README). */
export const HubConfig = z.object({
  hubId: z.string().min(1).max(64).optional().describe('a name for this hub process, e.g. "hub-1"'),
  dataDir: z.string().min(1).default('./data/hub').describe('a directory for the SQLite store, e.g. "./data/hub"'),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional().describe('a PostgreSQL URL, e.g. "postgres://127.0.0.1:5432/bondgate"; omit for SQLite'),
  http: z
    .object({
      host: z.string().default('127.0.0.1').describe('the address to listen on, e.g. "0.0.0.0"'),
      port: z.number().int().min(0).max(65535).default(8080).describe('the HTTP port (0 = any free port)'),
    })
    .default({ host: '127.0.0.1', port: 8080 }),
  mqtt: z
    .object({
      url: z.string().regex(/^mqtts?:\/\/.+/, 'must be an mqtt:// URL').optional().describe('an external broker, e.g. "mqtt://127.0.0.1:1883"; omit for the embedded broker'),
      username: z.string().min(1).default('hub').describe("the hub's MQTT user name"),
      password: z.string().min(1).optional().describe("the hub's MQTT password (generated for the embedded broker when omitted)"),
      shared: z.boolean().optional().describe('true to consume through an MQTT v5 shared subscription ($share/hub/…); default: true with an external broker'),
      dynamicSecurity: z
        .boolean()
        .default(false)
        .describe("true when the external broker is Mosquitto with the dynamic security plugin (`bondgate broker config --dynsec`): gateway credentials issued, rotated or revoked at the hub are applied at the broker at once"),
      embedded: z
        .object({
          host: z.string().default('127.0.0.1'),
          port: z.number().int().min(0).max(65535).default(1883).describe('the embedded broker port, e.g. 1883'),
          fallbackToFreePort: z.boolean().default(false).describe('true to pick a free port when the configured one is busy'),
        })
        .default({ host: '127.0.0.1', port: 1883, fallbackToFreePort: false }),
    })
    .refine((m) => !m.dynamicSecurity || m.url, { message: 'needs an external broker (mqtt.url): the embedded broker checks the hub store itself', path: ['dynamicSecurity'] })
    .default({ username: 'hub', dynamicSecurity: false, embedded: { host: '127.0.0.1', port: 1883, fallbackToFreePort: false } }),
  auth: z
    .object({
      sessionTtlHours: z.number().positive().default(12),
      adminPassword: z.string().min(8).optional().describe('the first admin password (at least 8 characters); generated and printed once when omitted'),
      metricsToken: z.string().min(16).optional().describe('a bearer token Prometheus may use for /metrics'),
    })
    .default({ sessionTtlHours: 12 }),
  ingest: z
    .object({
      decodeWorkers: z.number().int().min(0).max(16).optional().describe('worker threads that decode and hash-check events (0 = on the main thread; default 1 on a machine with 2 or more cores)'),
    })
    .default({}),
  documents: z
    .object({
      xmlWorkers: z.number().int().min(1).max(16).default(1).describe('worker threads that parse, check and map CEB XML (never the main thread: a 5 MB message takes seconds)'),
      maxXmlUploads: z.number().int().min(1).max(64).default(4).describe('CEB XML uploads (POST /api/documents) taken at once; one more gets 429 with Retry-After'),
    })
    .default({ xmlWorkers: 1, maxXmlUploads: 4 }),
  postgres: z
    .object({
      poolSize: z.number().int().min(1).max(200).default(10).describe('connections per hub process; every hub shares PostgreSQL max_connections'),
      statementTimeoutMs: z.number().int().min(0).default(30_000).describe('the server cancels a statement running longer (0 = no limit); migrations lift it'),
      applicationName: z.string().min(1).max(63).optional().describe('shown in pg_stat_activity; default "bondgate-<hubId>"'),
      partitionsAhead: z.number().int().min(1).max(24).default(2).describe('monthly event partitions kept made ahead of the current month'),
    })
    .default({ poolSize: 10, statementTimeoutMs: 30_000, partitionsAhead: 2 }),
  retention: z
    .object({
      // Customs post-clearance audit (海关稽查) may reach back three years from release, and bonded goods can wait in
      // the zone for a year before release: four years of receive time covers both. See docs/capacity-plan.md.
      eventsDays: z.number().int().min(31).default(1461).describe('PostgreSQL: drop monthly event partitions received longer ago than this (whole months; never one still holding unacknowledged or unprojected events)'),
    })
    .default({ eventsDays: 1461 }),
  /** Gateways provisioned at start (id + password); `bondgate gateway add` does the same from the CLI. */
  gateways: z.array(z.object({ id: GatewayId, password: z.string().min(8).describe('a gateway password of at least 8 characters') })).default([]),
  /** A gateway is shown offline when nothing was heard from it for this long. */
  gatewayOfflineAfterMs: z.number().int().positive().default(30_000),
  riskRules: RiskRules.optional().describe('the risk rules (hub/customs/risk.ts); default: built-in defaults, version "default"'),
  imageFetchTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('how long an officer waits for a gateway to send a full-size image'),
  dropFolder: z
    .object({
      path: z.string().min(1).describe('a directory watched for customs documents (*.xml CEB messages, *.json, *.ndjson); processed files move to done/ or failed/ inside it'),
      pollMs: z.number().int().min(100).max(600_000).default(2000).describe('how often the folder is looked at; a file is taken once its size is unchanged across two looks'),
    })
    .optional()
    .describe('a watched drop folder for customs documents; omit to have none'),
});
export type HubConfig = z.output<typeof HubConfig>;

/** Environment overrides, so containers and the README's one-liners need no file. */
export function applyHubEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out = structuredClone(raw) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (env.DATABASE_URL) out.databaseUrl = env.DATABASE_URL;
  if (env.MQTT_URL) out.mqtt = { ...(out.mqtt ?? {}), url: env.MQTT_URL };
  if (env.MQTT_PASSWORD) out.mqtt = { ...(out.mqtt ?? {}), password: env.MQTT_PASSWORD };
  if (env.MQTT_PORT) out.mqtt = { ...(out.mqtt ?? {}), embedded: { ...(out.mqtt?.embedded ?? {}), port: Number(env.MQTT_PORT) } };
  if (env.PORT) out.http = { ...(out.http ?? {}), port: Number(env.PORT) };
  if (env.HTTP_HOST) out.http = { ...(out.http ?? {}), host: env.HTTP_HOST };
  if (env.BONDGATE_DATA_DIR) out.dataDir = env.BONDGATE_DATA_DIR;
  if (env.BONDGATE_ADMIN_PASSWORD) out.auth = { ...(out.auth ?? {}), adminPassword: env.BONDGATE_ADMIN_PASSWORD };
  if (env.METRICS_TOKEN) out.auth = { ...(out.auth ?? {}), metricsToken: env.METRICS_TOKEN };
  if (env.HUB_ID) out.hubId = env.HUB_ID;
  return out;
}
