import { isBondgateError } from '../../shared/errors.ts';
import { checkEntry } from '../../shared/journal-chain.ts';
import { EdgeEvent, ShedEvent } from '../../shared/schemas/events.ts';
import { decodeMessage, EventBatch } from '../../shared/sync-protocol.ts';
import type { IngestEntry } from '../storage/storage.ts';

/**
 * Pure: an events message's bytes → the entries the store takes, each checked (hash over exactly what arrived,
 * then the schema). No I/O, no clock: it runs on the hub's main thread or in a decode worker alike.
 */
export interface Rejection { reason: string; detail: string }

export interface PreparedBatch {
  gapFrom?: number;
  /** Entries in the message (rejected ones included), for the queue gauge. */
  count: number;
  entries: IngestEntry[];
  rejections: Rejection[];
}

export function prepareEventsMessage(gatewayId: string, payload: Uint8Array): PreparedBatch | Rejection {
  let body: unknown;
  try {
    body = decodeMessage(payload);
  } catch (e) {
    return { reason: isBondgateError(e) ? e.code.toLowerCase() : 'decode_failed', detail: (e as Error).message };
  }
  const claimed = (body as { gatewayId?: unknown } | null)?.gatewayId;
  if (claimed !== gatewayId) return { reason: 'gateway_mismatch', detail: `topic gateway ${gatewayId} published a message naming ${String(claimed)}` };
  const r = EventBatch.safeParse(body);
  if (!r.success) return { reason: 'invalid_batch', detail: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const entries: IngestEntry[] = [];
  const rejections: Rejection[] = [];
  for (const raw of r.data.events) {
    const e = prepareEntry(gatewayId, raw);
    if ('reason' in e) rejections.push(e);
    else entries.push(e);
  }
  return { ...(r.data.gapFrom !== undefined ? { gapFrom: r.data.gapFrom } : {}), count: r.data.events.length, entries, rejections };
}

export function prepareEntry(gatewayId: string, raw: Record<string, unknown>): IngestEntry | Rejection {
  const seq = raw.seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return { reason: 'entry_without_seq', detail: `entry without a valid seq: ${JSON.stringify(raw).slice(0, 200)}` };
  if (raw.gatewayId !== gatewayId) return { reason: 'gateway_mismatch', detail: `entry ${seq} names gateway ${String(raw.gatewayId)}` };
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const time = (raw.time ?? {}) as { wallMs?: unknown; hlc?: unknown };
  const { ok, json } = checkEntry(raw);
  const base = {
    seq,
    id: str(raw.id),
    type: str(raw.type).slice(0, 64) || 'unknown',
    parcelKey: typeof raw.parcelKey === 'string' ? raw.parcelKey.slice(0, 64) : null,
    stationId: typeof raw.stationId === 'string' ? raw.stationId.slice(0, 128) : null,
    wallMs: typeof time.wallMs === 'number' && Number.isFinite(time.wallMs) ? time.wallMs : 0,
    hlc: str(time.hlc),
    prevHash: str(raw.prevHash),
    hash: str(raw.hash),
    rawJson: json,
  };
  if (raw.shed === true) {
    const s = ShedEvent.safeParse(raw);
    if (s.success) return { ...base, status: 'shed', event: null };
    return { ...base, status: 'invalid', event: null, problem: `bad tombstone: ${s.error.issues[0]?.message ?? ''}` };
  }
  const v = EdgeEvent.safeParse(raw);
  if (!v.success) return { ...base, status: 'invalid', event: null, problem: v.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 500) };
  if (!ok) return { ...base, status: 'hash_mismatch', event: v.data, problem: 'hash does not match the entry content' };
  return { ...base, status: 'ok', event: v.data };
}
