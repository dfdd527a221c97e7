import { expect, it } from 'vitest';
import { foldParcel } from '../../shared/parcel-state.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { createLogger } from '../../shared/log.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { hold, JournalBuilder, release, scan, weigh, xray } from '../storage/fixtures.ts';
import type { FoldInput, IngestEntry, Storage } from '../storage/storage.ts';
import { parcelProjection } from './parcel-projection.ts';
import { Projections, type Projection } from './projections.ts';

const log = createLogger('test', 'silent');
const events = (entries: readonly IngestEntry[]) => entries.map((e) => e.event as EdgeEvent);

/** The store, with every foldParcels call recorded (how many events each carried) and optionally held until released. */
function watched(s: Storage) {
  const calls: number[] = [];
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  return {
    calls,
    hold() {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release: () => open(),
    foldParcels: async (inputs: readonly FoldInput[]) => {
      calls.push(inputs.length);
      if (gate) await gate;
      return s.foldParcels(inputs);
    },
  };
}

eachStore('parcel projection', (store) => {
  it('starts an upgraded store from its newest stored event: the history the ingest folded inline is not replayed', async () => {
    const s = store();
    const j = new JournalBuilder('GW-PP-OLD');
    await s.ingest('GW-PP-OLD', [1, 2, 3].map((i) => j.next(scan(`PP-OLD-${i}`))), { receivedMs: 1_000_000 });
    await s.ingest('GW-PP-OLD', [j.next(scan('PP-OLD-4'))], { receivedMs: 5_000_000 });
    const w = watched(s);
    // The first start of the projections module on this store: its migration seeds the 'parcels' cursor at the newest
    // event, and the start replays only the usual margin before it (in-flight batches), not the three older events.
    const p = new Projections({ sql: s.sql, projections: [parcelProjection(w)], log, now: () => 50_000_000, catchUpMarginMs: 1000 });
    await p.start(3_600_000);
    expect(w.calls).toEqual([1]);
    expect(await s.getParcel('PP-OLD-1')).toBeUndefined(); // (the store was made without the inline fold)
    await p.stop();
  });

  it('folds each committed batch after the ack; followers run after the fold and read the rows it wrote', async () => {
    const s = store();
    const j = new JournalBuilder('GW-PP-LIVE');
    const seenWeights: (number | null | undefined)[] = [];
    const follower: Projection = { name: 'line-facts', types: ['parcel.weighed'], apply: async (_gw, evs) => void seenWeights.push(...(await Promise.all(evs.map(async (e) => (await s.getParcel(e.parcelKey!))?.grossWeightKg)))) };
    const p = new Projections({ sql: s.sql, projections: [parcelProjection(s, { followers: [follower] })], log, catchUpMarginMs: 1000 });
    await p.start(3_600_000);
    const batch = [j.next(scan('PP-LIVE-1')), j.next(weigh('PP-LIVE-1', 3.25)), j.next(scan('PP-LIVE-2'))];
    await s.ingest('GW-PP-LIVE', batch, { receivedMs: 2_000_000 });
    expect(await s.getParcel('PP-LIVE-1')).toBeUndefined(); // acked, not yet folded
    p.onEvents('GW-PP-LIVE', events(batch), 2_000_000);
    await p.drained();
    expect(await s.getParcel('PP-LIVE-1')).toMatchObject({ ...foldParcel(events(batch.slice(0, 2))), updatedMs: 2_000_000 });
    expect(await s.getParcel('PP-LIVE-2')).toMatchObject({ eventCount: 1 });
    expect(seenWeights).toEqual([3.25]);
    await p.stop();
  });

  it('takes what queued while it was busy in one fold: a parcel seen five times is written once', async () => {
    const s = store();
    const j = new JournalBuilder('GW-PP-BURST');
    const w = watched(s);
    const p = new Projections({ sql: s.sql, projections: [parcelProjection(w)], log, catchUpMarginMs: 1000 });
    await p.start(3_600_000);
    w.hold();
    const first = [j.next(scan('PP-BURST-0'))];
    await s.ingest('GW-PP-BURST', first, { receivedMs: 3_000_000 });
    p.onEvents('GW-PP-BURST', events(first), 3_000_000); // taken at once, then held in the store
    const makers = [scan, (k: string) => weigh(k, 1.5), (k: string) => xray(k, 'clear'), hold, release];
    for (const make of makers) {
      // An event naming no parcel rides along: the fold is never handed it.
      const batch = [...[1, 2, 3].map((i) => j.next(make(`PP-BURST-${i}`))), j.next({ type: 'edge.alarm', stationId: 'agent', payload: { alarm: 'disk_recovered', detail: '60%' } })];
      await s.ingest('GW-PP-BURST', batch, { receivedMs: 3_000_100 });
      p.onEvents('GW-PP-BURST', events(batch), 3_000_100);
    }
    expect(p.backlog()).toEqual([{ name: 'parcels', queuedEvents: 16, oldestMs: 3_000_000, failed: false }]);
    w.release();
    await p.drained();
    expect(w.calls).toEqual([1, 15]); // the five batches queued behind the first went as one
    expect(p.backlog()).toEqual([{ name: 'parcels', queuedEvents: 0, oldestMs: undefined, failed: false }]);
    expect(await s.getParcel('PP-BURST-2')).toMatchObject({ state: 'released', eventCount: 5, grossWeightKg: 1.5, xrayVerdict: 'clear' });
    await p.stop();
  });

  it('a hub killed between ack and fold loses nothing: the next start folds the stored events, and a second replay changes nothing', async () => {
    const s = store();
    const j = new JournalBuilder('GW-PP-KILL');
    let now = 10_000_000;
    const before = new Projections({ sql: s.sql, hubId: 'hub-k', projections: [parcelProjection(s)], log, now: () => now, catchUpMarginMs: 1000 });
    await before.start(3_600_000);
    // Committed and acked; the hub dies before its projection runs (no onEvents, no stop).
    const lost = [j.next(scan('PP-KILL-1')), j.next(hold('PP-KILL-1')), j.next(weigh('PP-KILL-2', 8))];
    await s.ingest('GW-PP-KILL', lost, { receivedMs: 10_000_500 });
    now = 10_000_900;
    const after = new Projections({ sql: s.sql, hubId: 'hub-k', projections: [parcelProjection(s)], log, now: () => now, catchUpMarginMs: 1000 });
    await after.start(3_600_000);
    const row = await s.getParcel('PP-KILL-1');
    expect(row).toMatchObject({ ...foldParcel(events(lost.slice(0, 2))), state: 'on_hold', updatedMs: 10_000_500 });
    expect(await s.getParcel('PP-KILL-2')).toMatchObject({ eventCount: 1, grossWeightKg: 8 });
    await after.stop();
    // Restarted again within the margin: the same events are replayed, and fold to the same rows.
    const again = new Projections({ sql: s.sql, hubId: 'hub-k', projections: [parcelProjection(s)], log, now: () => now, catchUpMarginMs: 1000 });
    await again.start(3_600_000);
    expect(await s.getParcel('PP-KILL-1')).toEqual(row);
    await again.stop();
  });
});
