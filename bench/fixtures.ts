import { GENESIS_HASH } from '../shared/canonical.ts';
import { encodeHlc } from '../shared/hlc.ts';
import { newEventId } from '../shared/ids.ts';
import { sealEnvelope } from '../shared/journal-chain.ts';
import { EdgeEvent } from '../shared/schemas/events.ts';
import type { IngestEntry } from '../hub/storage/storage.ts';

/** A gateway's journal of `n` valid, hash-chained scan events, as raw objects (what the hub receives). */
export function makeJournal(gatewayId: string, n: number, parcels = n): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let prev = GENESIS_HASH;
  const base = 1_790_000_000_000;
  for (let seq = 1; seq <= n; seq++) {
    const key = `EA${String(seq % parcels).padStart(8, '0')}5CN`;
    const sealed = sealEnvelope({
      id: newEventId(),
      gatewayId,
      seq,
      type: 'parcel.scanned',
      stationId: 'BENCH-LINE',
      deviceId: 'scanner-1',
      parcelKey: key,
      time: { wallMs: base + seq, hlc: encodeHlc({ l: base + seq, c: 0 }), bootId: 'bench-boot', uptimeMs: seq, clockSynced: true },
      payload: { code: key, source: 'scanner', symbology: 'code128' },
      prevHash: prev,
    });
    prev = sealed.hash;
    out.push(JSON.parse(sealed.json) as Record<string, unknown>);
  }
  return out;
}

/** The same, as the ingest service hands them to storage (already checked). */
export function toEntries(raw: Record<string, unknown>[]): IngestEntry[] {
  return raw.map((r) => {
    const event = EdgeEvent.parse(r);
    return { seq: event.seq, id: event.id, type: event.type, parcelKey: event.parcelKey ?? null, stationId: event.stationId, wallMs: event.time.wallMs, hlc: event.time.hlc, prevHash: event.prevHash, hash: event.hash, status: 'ok', event, rawJson: JSON.stringify(r) };
  });
}
