import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { BondgateError } from './errors.ts';
import { HLC_PATTERN } from './hlc.ts';
import { GatewayId, Hex64 } from './schemas/events.ts';

/**
 * The edge↔hub sync protocol. Delivery is the edge journal plus the hub's cumulative ack, not broker QoS:
 * the edge resends everything above `ackedSeq` until the hub says it is committed.
 */
export const PROTOCOL_VERSION = 1;

/** Largest MQTT payload either side accepts, and the largest a compressed one may inflate to. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const MAX_INFLATED_BYTES = 32 * 1024 * 1024;
/**
 * Largest MQTT packet either broker (embedded and generated Mosquitto config) takes: one message of at most
 * MAX_MESSAGE_BYTES plus its topic (at most 64 KiB by the MQTT spec) and header. Anything larger is refused by the
 * receiver anyway; the broker drops it at the header, before buffering it.
 */
export const MAX_MQTT_PACKET_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;

const Backlog = z.object({ count: z.number().int().nonnegative(), oldestWallMs: z.number().int().nonnegative().nullable() });

export const EventBatch = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: GatewayId,
  /**
   * Entries are validated one by one by the hub, so one bad entry cannot hide the good ones. Here only their
   * shape (plain objects): a z.record would copy every entry, the hub's hottest path.
   */
  events: z
    .array(z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'each entry must be an object'))
    .min(1)
    .max(5000),
  /** Set only when the edge knows rows below the first entry are gone from its journal (a real gap). */
  gapFrom: z.number().int().positive().optional(),
  backlog: Backlog,
  sentAtMs: z.number().int().nonnegative(),
});
export type EventBatch = z.infer<typeof EventBatch>;

const SeqRange = z.tuple([z.number().int().positive(), z.number().int().positive()]);

export const Ack = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: GatewayId,
  /** Everything up to and including this seq is committed at the hub. */
  ackedSeq: z.number().int().nonnegative(),
  /** Ranges above ackedSeq also committed (events sent live ahead of the backlog). */
  ranges: z.array(SeqRange).max(32),
  hubTimeMs: z.number().int().nonnegative(),
  hubHlc: z.string().regex(HLC_PATTERN),
});
export type Ack = z.infer<typeof Ack>;

export const Hello = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: GatewayId,
  bootId: z.string().min(1).max(64),
  ackedSeq: z.number().int().nonnegative(),
  headSeq: z.number().int().nonnegative(),
  publicKeyPem: z.string().min(1).max(1000),
  agentVersion: z.string().max(64),
  wallMs: z.number().int().nonnegative(),
});
export type Hello = z.infer<typeof Hello>;

export const DiskLevel = z.enum(['ok', 'soft', 'hard']);
export type DiskLevel = z.infer<typeof DiskLevel>;

export const GatewayStatus = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: GatewayId,
  backlog: Backlog,
  ackedSeq: z.number().int().nonnegative(),
  headSeq: z.number().int().nonnegative(),
  disk: z.object({ usedBytes: z.number().int().nonnegative(), quotaBytes: z.number().int().positive(), level: DiskLevel }),
  clockSynced: z.boolean(),
  wallMs: z.number().int().nonnegative(),
  uptimeMs: z.number().int().nonnegative(),
});
export type GatewayStatus = z.infer<typeof GatewayStatus>;

export const Checkpoint = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: GatewayId,
  seq: z.number().int().positive(),
  hash: Hex64,
  wallMs: z.number().int().nonnegative(),
  signature: z.string().min(1).max(200),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

/** Messages start with '{' when plain JSON, or this byte when raw-deflated JSON follows. */
const DEFLATED = 0x01;
/** Below this, deflate costs more CPU than it saves on the wire. */
const COMPRESS_MIN_BYTES = 2048;

export function encodeJsonText(json: string, compress = true): Buffer {
  const plain = Buffer.from(json, 'utf8');
  if (!compress || plain.length < COMPRESS_MIN_BYTES) return plain;
  const packed = deflateRawSync(plain, { level: 1 });
  // Keep compression only when it pays: a batch of hashes and UUIDs compresses to ~45%.
  if (packed.length > plain.length * 0.8) return plain;
  return Buffer.concat([Buffer.of(DEFLATED), packed]);
}

export function encodeMessage(message: unknown, compress = true): Buffer {
  return encodeJsonText(JSON.stringify(message), compress);
}

/** Build an EventBatch message from entries already serialized as JSON text (the edge stores them so). */
export function encodeBatch(head: Omit<EventBatch, 'events'>, eventJson: readonly string[], compress = true): Buffer {
  const headJson = JSON.stringify(head);
  return encodeJsonText(`${headJson.slice(0, -1)},"events":[${eventJson.join(',')}]}`, compress);
}

/** Bytes → parsed JSON, with size limits that hold against a deflate bomb. Never throws anything but DECODE_FAILED / PAYLOAD_TOO_LARGE. */
export function decodeMessage(buf: Uint8Array): unknown {
  if (buf.length > MAX_MESSAGE_BYTES) throw new BondgateError('PAYLOAD_TOO_LARGE', `message of ${buf.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  let text: string;
  if (buf[0] === DEFLATED) {
    try {
      text = inflateRawSync(buf.subarray(1), { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
    } catch (e) {
      throw new BondgateError('DECODE_FAILED', `deflated payload did not inflate: ${(e as Error).message}`);
    }
  } else if (buf[0] === 0x7b) {
    text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
  } else {
    throw new BondgateError('DECODE_FAILED', `unknown payload encoding (first byte 0x${(buf[0] ?? 0).toString(16)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BondgateError('DECODE_FAILED', `payload is not JSON: ${(e as Error).message}`);
  }
}
