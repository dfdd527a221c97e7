import { EVENT_TYPES, type EdgeEvent } from '../../shared/schemas/events.ts';
import type { FoldInput, Storage } from '../storage/storage.ts';
import type { Projection, ProjectionBatch } from './projections.ts';

/**
 * The parcel read model (`parcels`: state, last station, weight, X-ray, anomalies — the rows behind the parcel list,
 * the parcel page and the line facts) as a projection of the stored events, folded after the ack.
 *
 * Why not in the ingest transaction, as it once was: the ack is what lets a gateway prune its journal, so it should
 * cost what storing the events costs and no more. Folding inline made every event also read, lock and rewrite its
 * parcel's row with the row's five indexes before the ack — on PostgreSQL a line's real mix (five events per parcel)
 * was acked at a fifth of the rate a raw COPY of the same rows reaches. Out of the transaction, the ack costs the
 * event path alone (0.6–1.0× a raw COPY), and the fold takes what queued while it was busy in one transaction, a
 * parcel whose events queued together written once (bench/pg.bench.ts measures the ack, the fold and both at once).
 *
 * What it costs: the parcel row trails its events by one fold (milliseconds when keeping up; the lag is a metric,
 * `bondgate_hub_projection_lag_seconds{projection="parcels"}`). The timeline reads the events themselves, so a
 * parcel's journey is complete the moment it is acked. Nothing is lost when a hub dies between ack and fold: the
 * projection cursor replays the stored events (projections.ts), and `foldParcels` is idempotent and order-free,
 * so replays, redeliveries and two hubs folding the same parcel all converge on the fold of every stored event in
 * HLC order.
 */
export function parcelProjection(storage: Pick<Storage, 'foldParcels'>, opts: { followers?: readonly Projection[] } = {}): Projection {
  const followers = (opts.followers ?? []).map((p) => ({ p, types: new Set<string>(p.types) }));
  const inputs = (events: readonly EdgeEvent[], receivedMs: number): FoldInput[] => events.filter((e) => e.parcelKey).map((event) => ({ event, receivedMs }));
  const applyBatches = async (batches: readonly ProjectionBatch[]) => {
    await storage.foldParcels(batches.flatMap((b) => inputs(b.events, b.receivedMs)));
    // Followers read the rows just written (the customs line facts judge a parcel on its measured weight and X-ray),
    // so they run here, after the fold, and share its cursor: a failure replays both.
    for (const { p, types } of followers) {
      for (const b of batches) {
        const mine = b.events.filter((e) => types.has(e.type));
        if (mine.length > 0) await p.apply(b.gatewayId, mine);
      }
    }
  };
  return {
    name: 'parcels',
    // Any event naming a parcel moves its row (a scan's station, an officer's action, a gate passage…).
    types: EVENT_TYPES,
    parcelEventsOnly: true,
    // The runner always calls applyBatches; apply serves any caller holding a plain Projection.
    apply: (gatewayId, events) => applyBatches([{ gatewayId, events, receivedMs: Date.now() }]),
    applyBatches,
  };
}
