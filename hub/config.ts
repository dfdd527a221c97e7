import { ReleaseAuthority } from './customs/cases.ts';
import { ExchangeRates } from './customs/export-value.ts';
import { RiskRules } from './customs/risk.ts';
import { EportExchangeConfig } from './eport/config.ts';
import { z } from 'zod';
import { GatewayId } from '../shared/schemas/events.ts';
import { passwordRuleIssues } from './auth/password-policy.ts';

/** Hub configuration (YAML or JSON); environment variables override the file (see README). */
export const HubConfig = z.object({
  hubId: z.string().min(1).max(64).optional().describe('a name for this hub process, e.g. "hub-1"'),
  dataDir: z.string().min(1).default('./data/hub').describe('a directory for the SQLite store, e.g. "./data/hub"'),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional().describe('a PostgreSQL URL, e.g. "postgres://127.0.0.1:5432/bondgate"; omit for SQLite'),
  http: z
    .object({
      host: z.string().default('127.0.0.1').describe('the address to listen on, e.g. "0.0.0.0"'),
      port: z.number().int().min(0).max(65535).default(8080).describe('the HTTP port (0 = any free port)'),
      trustProxy: z
        .union([z.boolean(), z.number().int().min(0).max(16), z.string().min(1), z.array(z.string().min(1))])
        .default(false)
        .describe("express's 'trust proxy': behind the shipped nginx, 1 (one proxy hop) or its address, so X-Forwarded-For names the client; false when clients connect directly (the header is then ignored: anyone could write it)"),
      publicOrigins: z
        .array(z.string().url().refine((u) => /^https?:\/\//.test(u) && new URL(u).origin === u.replace(/\/$/, ''), 'an origin: scheme://host[:port], no path'))
        .default([])
        .describe('the origins browsers reach the hub at, e.g. "https://bondgate.zone.example" behind a TLS proxy: state-changing requests from them are accepted, and their host names answered'),
      allowedHosts: z.array(z.string().min(1).max(253)).default([]).describe('host names (besides IP literals, localhost and the public origins) the hub answers to, e.g. "hub-1"'),
      streams: z
        .object({
          perSession: z.number().int().min(1).max(100).default(6).describe('open Server-Sent Event streams one session may hold'),
          total: z.number().int().min(1).max(100_000).default(200).describe('open Server-Sent Event streams in all'),
        })
        .default({ perSession: 6, total: 200 }),
    })
    .default({ host: '127.0.0.1', port: 8080, trustProxy: false, publicOrigins: [], allowedHosts: [], streams: { perSession: 6, total: 200 } }),
  mqtt: z
    .object({
      url: z.string().regex(/^mqtts?:\/\/.+/, 'must be an mqtt:// URL').optional().describe('an external broker, e.g. "mqtt://127.0.0.1:1883"; omit for the embedded broker'),
      username: z.string().min(1).default('hub').describe("the hub's MQTT user name; Mosquitto with a password file: one per hub process (MQTT_USERNAME)"),
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
      adminPassword: z
        .string()
        .superRefine((pw, ctx) => {
          // The rules only: the strength estimate loads its dictionaries (half a second), so it runs when the first admin
          // is made (hub/server.ts ensureAdmin), not at every start.
          for (const i of passwordRuleIssues('admin', pw)) ctx.addIssue({ code: 'custom', message: i.message });
        })
        .optional()
        .describe('the first admin password (the password policy: at least 12 characters, not a common password, hard to guess by the zxcvbn estimate, checked when the first admin is made); generated and printed once when omitted'),
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
  signatures: z
    .object({
      trustAnchors: z.array(z.string().min(1)).max(100).default([]).describe('files (PEM, one or more certificates, or DER) of the e-port CA certificates: a message signer whose certificate they issued is "verified"'),
      intermediates: z.array(z.string().min(1)).max(100).default([]).describe('files of intermediate CA certificates, used to build a path to a trust anchor (never trusted by themselves)'),
      pinned: z.array(z.string().min(1)).max(1000).default([]).describe('files of signer certificates trusted as they are (matched by fingerprint, or by KeyName = serial number when a message carries no certificate)'),
      crls: z.array(z.string().min(1)).max(100).default([]).describe('files of certificate revocation lists (PEM "X509 CRL" blocks or DER), each signed by a configured trust anchor or intermediate: a signer on one is "invalid" (SIG_CERTIFICATE_REVOKED); a CRL past its nextUpdate makes revocation "unknown" (a warning); read at start'),
      algorithms: z
        .object({
          digest: z.record(z.string().min(1), z.enum(['sm3', 'sha1', 'sha256'])).default({}),
          signature: z.record(z.string().min(1), z.enum(['sm2-sm3', 'rsa-sha1', 'rsa-sha256'])).default({}),
        })
        .default({ digest: {}, signature: {} })
        .describe('algorithm URIs added to or overriding the built-in table (hub/eport/xmldsig.ts ALGORITHMS), e.g. a DigestMethod URI a sender\'s cards use for SHA-1'),
    })
    .default({ trustAnchors: [], intermediates: [], pinned: [], crls: [], algorithms: { digest: {}, signature: {} } }),
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
  /**
   * The inspection benches the hub knows: only an `officer.action` from one of these (gateway AND station) is taken,
   * and only as a finding (hub/services/cases.ts edgeActions); from anywhere else it is refused and raises an alarm.
   * Officers get bench tokens for these benches (POST /api/bench-tokens).
   */
  benches: z
    .array(z.object({ gatewayId: GatewayId, stationId: z.string().min(1).max(128).describe('the bench station id in the gateway config, e.g. "BENCH-1"') }))
    .default([])
    .describe('the gateway stations that run an inspection bench, e.g. [{ gatewayId: "GW-01", stationId: "BENCH-1" }]'),
  benchTokenTtlHours: z.number().positive().max(24).default(12).describe('how long a bench token lets an officer sign findings at a bench (one shift)'),
  /** A gateway is shown offline when nothing was heard from it for this long. */
  gatewayOfflineAfterMs: z.number().int().positive().default(30_000),
  customs: z
    .object({
      releaseAuthority: ReleaseAuthority.default('receipt').describe(
        'who may release a parcel: "receipt" (only customs\' 800 on the list; officers hold, order inspection, record findings and annotate) or "officer" (the zone\'s officers\' bench is customs\' system of record: an officer\'s release is recorded with who and why)',
      ),
      releaseConfirmWithinHours: z.number().positive().max(24 * 30).default(24).describe('"officer" authority: an officer\'s release with no 800 from customs after this long raises a release_unconfirmed alarm'),
    })
    .default({ releaseAuthority: 'receipt', releaseConfirmWithinHours: 24 }),
  bonded: z
    .object({
      emsNo: z.string().regex(/^[A-Z0-9]{12}$/).describe('the zone enterprise\'s account book (账册 emsNo), e.g. "T5301W000001"'),
      district: z.string().regex(/^\d{4}$/).describe('the customs district (主管关区) on lists and slips, e.g. "5301"; replaces the hard-coded 5301 of officer-issued slips'),
      enterprise: z.object({
        sccd: z.string().length(18).describe('18-character unified social credit code'),
        etpsno: z.string().length(10).describe('10-character customs enterprise code'),
        name: z.string().min(1).max(255),
      }),
      sysId: z.string().min(1).max(8).default('Z7').describe('single-window system id sent as SysId on INV101'),
      impexpPortcd: z.string().regex(/^\d{4}$/).optional().describe('进出境关别 on first-line lists; default: the district'),
      supvModecd: z.string().regex(/^\d{4}$/).default('1210').describe('监管方式 on the hub\'s lists'),
      exitPeriodHours: z.number().int().min(1).max(24 * 31).default(24).describe('second-line exit lists consolidate released 1210 lists over this period'),
      firstLine: z
        .object({
          items: z
            .record(
              z.string().min(1).max(64),
              z.object({
                gdsSeqno: z.number().int().positive().describe('备案序号 of the book item the SKU is filed under (its 料号, HS code and unit come from the filing)'),
                dclUprcAmt: z.string().regex(/^\d{1,14}(\.\d{1,5})?$/).describe('declared unit price, e.g. "12.50"'),
                dclCurrcd: z.string().regex(/^\d{3}$/).default('142').describe('currency (142 RMB, 502 USD)'),
                natcd: z.string().regex(/^\d{3}$/).describe('country of origin, e.g. "116" (Japan)'),
                gdsSpcfModelDesc: z.string().min(1).max(255).describe('规格型号 as declared'),
                grossKg: z.string().regex(/^\d{1,9}(\.\d{1,5})?$/).default('0').describe('gross weight of one piece (the slip\'s goods weight)'),
                netKg: z.string().regex(/^\d{1,9}(\.\d{1,5})?$/).default('0'),
              }),
            )
            .describe('SKU (as the desks scan it) → book item and the commercial figures INV101 needs'),
          destinationNatcd: z.string().regex(/^\d{3}$/).default('142'),
          gateMode: z.enum(['single', 'double']).default('single').describe('the gate mode of the first-line slips the hub applies for'),
          autoSlip: z.boolean().default(true).describe('apply for the first-line slip (SAS121, 一线) once customs approves the list, for the inbound vehicle the tally claimed'),
        })
        .optional()
        .describe('first-line entry from the desks: an inbound list tallied (all expected goods received, or its put-away begun) becomes an INV101 declared automatically; omit to make first-line lists by hand'),
    })
    .optional()
    .describe('the bonded account book (金二, hub/bonded); omit to run without one'),
  riskRules: RiskRules.optional().describe('the risk rules (hub/customs/risk.ts); default: built-in defaults, version "default"'),
  exchangeRates: ExchangeRates.describe('CNY per unit of a currency, per month, for export values in statistics: { "502": { "2026-03": 7.1 } } keyed by CEB currency code (502 USD, 142 RMB needs none); a month with no rate shows "no rate"'),
  imageFetchTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('how long an officer waits for a gateway to send a full-size image'),
  eport: z
    .object({
      signer: z
        .discriminatedUnion('kind', [
          z
            .object({
              kind: z.literal('card'),
              url: z.string().regex(/^wss?:\/\/.+/, 'must be a ws:// URL').default('ws://127.0.0.1:61232').describe("the e-port card client's local WebSocket, e.g. \"ws://127.0.0.1:61232\" (or the address of the PC with the card)"),
              pinFile: z.string().min(1).optional().describe('a file holding the card PIN (made 0600; refused if others may read it)'),
              pinEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').optional().describe('or: the environment variable holding the card PIN, e.g. "EPORT_CARD_PIN"'),
              requestTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('how long one call to the card client may take'),
              connectTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
              reconnectInitialMs: z.number().int().min(50).max(60_000).default(1_000).describe('first wait before reconnecting; doubles up to reconnectMaxMs'),
              reconnectMaxMs: z.number().int().min(100).max(600_000).default(30_000),
            })
            .refine((s) => (s.pinFile === undefined) !== (s.pinEnv === undefined), { message: 'give exactly one of pinFile and pinEnv (the PIN itself never goes in the config)', path: ['pinFile'] }),
          z.object({
            kind: z.literal('file'),
            keyFile: z.string().min(1).describe('an SM2 private key (PEM or DER, PKCS#8 or SEC1): a site with a soft certificate'),
            certFile: z.string().min(1).describe('its certificate (PEM or DER)'),
          }),
        ])
        .and(
          z.object({
            certExpiryWarnDays: z.number().int().min(1).max(365).default(30).describe('warn (alarm eport_signer_cert_expiring) this many days before the certificate expires'),
            signatureMethod: z.string().min(1).optional().describe('SignatureMethod URI; default the 2022-05 edition\'s (…/2022/04/xmldsig#sm2-sm3); map it in signatures.algorithms if the cards need it'),
            digestMethod: z.string().min(1).optional().describe('DigestMethod URI; default …/2022/04/xmldsig#sm3 (see shared/domain/eport.md on the published samples)'),
          }),
        )
        .optional()
        .describe('who signs the messages the zone sends (issue 18): the e-port card through its card client, or a key file'),
      exchange: EportExchangeConfig.optional().describe("the e-port exchange (issue 18): the single-window client's OutBox/InBox folders and the zone's party codes; omit to exchange nothing. Messages are signed by eport.signer when one is configured, else by exchange.signer (a soft key), else not sent"),
    })
    .default({})
    .describe('the e-port channel'),
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
  if (env.MQTT_USERNAME) out.mqtt = { ...(out.mqtt ?? {}), username: env.MQTT_USERNAME };
  if (env.MQTT_PORT) out.mqtt = { ...(out.mqtt ?? {}), embedded: { ...(out.mqtt?.embedded ?? {}), port: Number(env.MQTT_PORT) } };
  if (env.PORT) out.http = { ...(out.http ?? {}), port: Number(env.PORT) };
  if (env.HTTP_HOST) out.http = { ...(out.http ?? {}), host: env.HTTP_HOST };
  if (env.TRUST_PROXY) out.http = { ...(out.http ?? {}), trustProxy: parseTrustProxy(env.TRUST_PROXY) };
  if (env.HTTP_PUBLIC_ORIGINS) out.http = { ...(out.http ?? {}), publicOrigins: commaList(env.HTTP_PUBLIC_ORIGINS) };
  if (env.HTTP_ALLOWED_HOSTS) out.http = { ...(out.http ?? {}), allowedHosts: commaList(env.HTTP_ALLOWED_HOSTS) };
  if (env.BONDGATE_DATA_DIR) out.dataDir = env.BONDGATE_DATA_DIR;
  if (env.BONDGATE_ADMIN_PASSWORD) out.auth = { ...(out.auth ?? {}), adminPassword: env.BONDGATE_ADMIN_PASSWORD };
  if (env.METRICS_TOKEN) out.auth = { ...(out.auth ?? {}), metricsToken: env.METRICS_TOKEN };
  if (env.HUB_ID) out.hubId = env.HUB_ID;
  return out;
}

const commaList = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/** TRUST_PROXY=true|false|<hops>|<addresses, comma-separated>, as express reads 'trust proxy'. */
function parseTrustProxy(v: string): boolean | number | string[] {
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d+$/.test(v)) return Number(v);
  return commaList(v);
}
