import { createRequire } from 'node:module';
import { z } from 'zod';

/**
 * An OPC UA device's config, apart from the driver: every gateway validates its config against the device union
 * (drivers/registry.ts), and this schema must not pull in node-opcua (~100 MiB, seconds to load) for gateways that
 * have no OPC UA device. node-opcua's own node id parser is loaded the first time a node id is checked, which only
 * happens when an OPC UA device is configured.
 */
let resolver: ((text: string) => unknown) | undefined;
function nodeIdResolver(): (text: string) => unknown {
  resolver ??= (createRequire(import.meta.url)('node-opcua') as { resolveNodeId: (text: string) => unknown }).resolveNodeId;
  return resolver;
}

export const NodeIdText = z
  .string()
  .min(1)
  .refine((s) => {
    if (/^nsu=[^;]+;[isgb]=.+$/.test(s)) return true;
    try {
      nodeIdResolver()(s);
      return true;
    } catch {
      return false; // resolveNodeId throws on anything it cannot parse: that is exactly the validation we want
    }
  }, 'not an OPC UA node id (ns=2;s=…, i=85, nsu=<uri>;s=…)')
  .describe('ns=<index>;s=… | i=… | nsu=<namespace uri>;s=…');

export const Name = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');
export const FieldPath = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('browse name (Name, 2:Name, nsu=<uri>;Name) or a path of them');

const uniqueNames = (items: { name: string }[], ctx: z.RefinementCtx, path: string) => {
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (seen.has(it.name)) ctx.addIssue({ code: 'custom', message: `duplicate name "${it.name}"`, path: [path, i, 'name'] });
    seen.add(it.name);
  });
};

export const OpcUaConfig = z
  .object({
    endpointUrl: z.string().regex(/^opc\.tcp:\/\/[^/:]+(:\d+)?(\/.*)?$/, 'must be opc.tcp://host[:port][/path]'),
    securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
    securityPolicy: z.enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']).default('None'),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /** Writable folder for the client's own certificate and its trust lists; one per process (devices.md §5). */
    pkiDir: z.string().min(1),
    /**
     * Pinned so the client certificate stays valid when the gateway is renamed; node-opcua's default embeds the
     * hostname, and a PLC that trusted the old certificate would then refuse the new one.
     */
    applicationUri: z.string().min(1).default('urn:bondgate:edge:opcua'),
    /** Trust an unknown server certificate on first use. Off: an operator moves it to `<pkiDir>/trusted` instead. */
    acceptUnknownServerCertificate: z.boolean().default(false),
    publishingIntervalMs: z.number().int().min(10).max(60_000).default(250),
    /** 0 asks the server for its fastest (exception-based) sampling: photo-eye pulses are shorter than a publish. */
    samplingIntervalMs: z.number().int().min(0).max(60_000).default(0),
    /** Per data item: changes kept between two publishes, so a short pulse is seen as both its edges. */
    queueSize: z.number().int().min(1).max(1000).default(10),
    /** Publishes without data before the server sends a keepalive; keepalives count as liveness. */
    keepAliveCount: z.number().int().min(1).max(100).default(10),
    sessionTimeoutMs: z.number().int().min(1000).default(60_000),
    requestTimeoutMs: z.number().int().min(100).default(5000),
    /**
     * The initial connect gives up after `maxRetry` retries so start() fails fast while the PLC is down; the
     * supervisor owns the long retry. After a break, node-opcua retries forever with the same delays.
     */
    connectionStrategy: z
      .object({
        maxRetry: z.number().int().min(1).max(100).default(2),
        initialDelayMs: z.number().int().min(10).default(250),
        maxDelayMs: z.number().int().min(10).default(2000),
      })
      .prefault({}),
    monitoredItems: z.array(z.object({ name: Name, nodeId: NodeIdText })).default([]),
    events: z
      .array(
        z.object({
          name: Name,
          /** The object whose events to receive (its EventNotifier attribute must allow subscribing). */
          nodeId: NodeIdText,
          fields: z.array(FieldPath).min(1),
          /** Only events of this type (or its subtypes), as a where clause. */
          eventTypeId: NodeIdText.optional(),
        }),
      )
      .default([]),
    methods: z.array(z.object({ name: Name, objectId: NodeIdText, methodId: NodeIdText })).default([]),
  })
  .superRefine((c, ctx) => {
    // node-opcua pairs them this way and a server refuses any other combination.
    if ((c.securityMode === 'None') !== (c.securityPolicy === 'None')) ctx.addIssue({ code: 'custom', path: ['securityPolicy'], message: `securityMode ${c.securityMode} needs ${c.securityMode === 'None' ? 'securityPolicy None' : 'a securityPolicy other than None'}` });
    if (c.password !== undefined && c.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username' });
    if (c.connectionStrategy.maxDelayMs < c.connectionStrategy.initialDelayMs) ctx.addIssue({ code: 'custom', path: ['connectionStrategy', 'maxDelayMs'], message: 'must be at least initialDelayMs' });
    uniqueNames(c.monitoredItems, ctx, 'monitoredItems');
    uniqueNames(c.events, ctx, 'events');
    uniqueNames(c.methods, ctx, 'methods');
  });
export type OpcUaConfig = z.output<typeof OpcUaConfig>;
