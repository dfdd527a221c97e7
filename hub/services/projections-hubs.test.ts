import { expect, it } from 'vitest';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { createLogger } from '../../shared/log.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { gateOut, JournalBuilder } from '../storage/fixtures.ts';
import type { Storage } from '../storage/storage.ts';
import { Projections, type Projection } from './projections.ts';

/** Several hub processes on one database: each runs every projection on the batches it committed itself. */
const log = createLogger('test', 'silent');

function recorder(name: string): Projection & { seen: string[] } {
  const seen: string[] = [];
  return { name, types: ['gate.passed'], seen, apply: async (gw, events) => void seen.push(...events.map((e) => `${gw}:${e.seq}`)) };
}
const cursors = async (s: Storage, name: string) =>
  (await s.sql.all<{ hub_id: string; received_ms: number }>('SELECT hub_id, received_ms FROM projection_hub_cursors WHERE name = ? ORDER BY hub_id', [name])).map((r) => [r.hub_id, Number(r.received_ms)]);

eachStore('projections with several hubs', (store) => {
  it("a live hub saving its cursor does not hide a killed hub's unprojected batch from that hub's restart", async () => {
    const s = store();
    const g = new JournalBuilder('GW-HK');
    let now = 1_000_000;
    const a = new Projections({ sql: s.sql, hubId: 'hub-a', projections: [recorder('kill')], log, now: () => now, catchUpMarginMs: 1000 });
    const b = new Projections({ sql: s.sql, hubId: 'hub-b', projections: [recorder('kill')], log, now: () => now, catchUpMarginMs: 1000 });
    await a.start(3_600_000);
    await b.start(3_600_000);
    // Hub B commits a passage and is SIGKILLed before projecting it (no onEvents, no stop).
    await s.ingest('GW-HK', [g.next(gateOut('K1'))], { receivedMs: 1_000_500 });
    // Hub A goes on committing and projecting; its cursor moves far past B's batch.
    now = 5_000_000;
    const later = [g.next(gateOut('K2'))];
    await s.ingest('GW-HK', later, { receivedMs: 4_999_900 });
    a.onEvents('GW-HK', later.map((e) => e.event as EdgeEvent));
    await a.stop();
    // With one shared cursor (5,000,000) B's restart would replay from 4,999,000 and never see seq 1.
    expect(await cursors(s, 'kill')).toEqual([['hub-a', 5_000_000], ['hub-b', 1_000_000]]);
    const b2rec = recorder('kill');
    const b2 = new Projections({ sql: s.sql, hubId: 'hub-b', projections: [b2rec], log, now: () => now, catchUpMarginMs: 1000 });
    await b2.start(3_600_000);
    expect(b2rec.seen).toEqual(['GW-HK:1', 'GW-HK:2']);
    expect(await cursors(s, 'kill')).toEqual([['hub-a', 5_000_000], ['hub-b', 5_000_000]]);
    await b2.stop();
  });

  it("a surviving hub adopts a dead hub's stale cursor: replays from it once, then deletes the row", async () => {
    const s = store();
    const g = new JournalBuilder('GW-HA');
    let now = 10_000_000;
    const rec = recorder('adopt');
    const a = new Projections({ sql: s.sql, hubId: 'hub-a', projections: [rec], log, now: () => now, catchUpMarginMs: 1000 });
    const dead = new Projections({ sql: s.sql, hubId: 'hub-dead', projections: [recorder('adopt')], log, now: () => now, catchUpMarginMs: 1000 });
    await a.start(3_600_000);
    await dead.start(3_600_000);
    rec.seen.length = 0; // the suite's store is shared: the first start of 'adopt' replayed the earlier tests' events
    await s.ingest('GW-HA', [g.next(gateOut('A1'))], { receivedMs: 10_000_200 }); // committed by hub-dead, never projected
    // Within the margin the row is not stale yet: nothing replayed.
    now = 10_000_900;
    await a.adoptStale();
    expect(rec.seen).toEqual([]);
    now = 10_001_500;
    await a.adoptStale();
    expect(rec.seen).toEqual(['GW-HA:1']);
    expect((await cursors(s, 'adopt')).map(([h]) => h)).toEqual(['hub-a']);
    // Done once: the row is gone, so no further replays.
    now = 20_000_000;
    await a.adoptStale();
    expect(rec.seen).toEqual(['GW-HA:1']);
    await a.stop();
  });

  it("a start replays from the oldest hub's cursor and drops rows of hubs long gone (pid-named ids do not pile up)", async () => {
    const s = store();
    const g = new JournalBuilder('GW-HS');
    let now = 30_000_000;
    const starts = async (id: string) => new Projections({ sql: s.sql, hubId: id, projections: [recorder('start')], log, now: () => now, catchUpMarginMs: 1000 }).start(3_600_000);
    await starts('host-101');
    await s.ingest('GW-HS', [g.next(gateOut('S1'))], { receivedMs: 30_000_050 }); // host-101 is SIGKILLed with it unprojected
    now = 30_000_500;
    await starts('host-102'); // killed too, soon after
    now = 40_000_000;
    const rec = recorder('start');
    const p = new Projections({ sql: s.sql, hubId: 'host-103', projections: [rec], log, now: () => now, catchUpMarginMs: 1000 });
    await p.start(3_600_000);
    expect(rec.seen).toEqual(['GW-HS:1']);
    expect(await cursors(s, 'start')).toEqual([['host-103', 40_000_000]]);
    await p.stop();
  });
});
