import { expect, it } from 'vitest';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { createLogger } from '../../shared/log.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { gateOut, JournalBuilder, scan } from '../storage/fixtures.ts';
import { Projections, type Projection } from './projections.ts';

const log = createLogger('test', 'silent');

/** Records what it was given, keyed so a replay is visible as a repeat. */
function recorder(): Projection & { seen: string[] } {
  const seen: string[] = [];
  return { name: 'gates', types: ['gate.passed'], seen, apply: async (gw, events) => void seen.push(...events.map((e) => `${gw}:${e.seq}`)) };
}

eachStore('projections', (store) => {
  it('replays stored events it may have missed on start, then only from its saved cursor less the margin', async () => {
    const s = store();
    const a = new JournalBuilder('GW-PA');
    const b = new JournalBuilder('GW-PB');
    // Stored while no projection ran (a hub killed between commit and projection): 3 passages among scans.
    await s.ingest('GW-PA', [a.next(scan('P1')), a.next(gateOut('P1')), a.next(gateOut('P2'))], { receivedMs: 1_000_000 });
    await s.ingest('GW-PB', [b.next(gateOut('P3')), b.next(scan('P4'))], { receivedMs: 1_000_000 });

    let now = 2_000_000;
    const first = recorder();
    const p1 = new Projections({ sql: s.sql, projections: [first], log, now: () => now, catchUpMarginMs: 1000 });
    await p1.start(60_000);
    expect(first.seen).toEqual(['GW-PA:2', 'GW-PA:3', 'GW-PB:1']);
    // Live: only the types it consumes.
    const live = [a.next(gateOut('P5')), a.next(scan('P6'))];
    await s.ingest('GW-PA', live, { receivedMs: 3_000_000 });
    p1.onEvents('GW-PA', live.map((e) => e.event as EdgeEvent));
    await p1.drained();
    expect(first.seen).toEqual(['GW-PA:2', 'GW-PA:3', 'GW-PB:1', 'GW-PA:4']);
    now = 5_000_000;
    await p1.stop();

    // Restart: nothing stored since the cursor (5,000,000 − 1,000 margin) → nothing replayed.
    const second = recorder();
    const late = [b.next(gateOut('P7'))];
    await s.ingest('GW-PB', late, { receivedMs: 4_999_500 }); // inside the margin: replayed
    const p2 = new Projections({ sql: s.sql, projections: [second], log, now: () => now, catchUpMarginMs: 1000 });
    await p2.start(60_000);
    expect(second.seen).toEqual(['GW-PB:3']);
    await p2.stop();
  });

  it('keeps its cursor when an apply fails, so the next start replays those events', async () => {
    const s = store();
    const g = new JournalBuilder('GW-PF');
    let now = 10_000_000;
    const failing: Projection = { name: 'failing', types: ['gate.passed'], apply: async () => Promise.reject(new Error('projection store down')) };
    const p = new Projections({ sql: s.sql, projections: [failing], log, now: () => now, catchUpMarginMs: 0 });
    await p.start(60_000);
    const batch = [g.next(gateOut('F1'))];
    await s.ingest('GW-PF', batch, { receivedMs: 10_000_100 });
    p.onEvents('GW-PF', batch.map((e) => e.event as EdgeEvent));
    now = 20_000_000;
    await p.stop();
    const again = { ...recorder(), name: 'failing' };
    const p2 = new Projections({ sql: s.sql, projections: [again], log, now: () => now, catchUpMarginMs: 0 });
    await p2.start(60_000);
    expect(again.seen).toContain('GW-PF:1');
    await p2.stop();
  });

  it('retries a failing apply; one that keeps failing is held, reported, and replayed once the store is back', async () => {
    const s = store();
    const g = new JournalBuilder('GW-PR');
    const now = 30_000_000;
    let failures = 0;
    const seen: string[] = [];
    const flaky: Projection = {
      name: 'flaky',
      types: ['gate.passed'],
      apply: async (gw, events) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('connection reset');
        }
        seen.push(...events.map((e) => `${gw}:${e.seq}`));
      },
    };
    const p = new Projections({ sql: s.sql, projections: [flaky], log, now: () => now, catchUpMarginMs: 5 });
    await p.start(3_600_000);
    seen.length = 0; // (the start replayed what earlier tests stored)
    // Two failures: the third attempt goes through (a dropped connection, say).
    failures = 2;
    const first = [g.next(gateOut('R1'))];
    await s.ingest('GW-PR', first, { receivedMs: now });
    p.onEvents('GW-PR', first.map((e) => e.event as EdgeEvent), now);
    await p.drained();
    expect(seen).toEqual(['GW-PR:1']);
    expect(p.backlog()[0]).toMatchObject({ failed: false });
    // Down for longer than the retries: the batch is held as failed, later batches still go through.
    failures = 3;
    const second = [g.next(gateOut('R2'))];
    await s.ingest('GW-PR', second, { receivedMs: now + 10 });
    p.onEvents('GW-PR', second.map((e) => e.event as EdgeEvent), now + 10);
    const third = [g.next(gateOut('R3'))];
    await s.ingest('GW-PR', third, { receivedMs: now + 20 });
    p.onEvents('GW-PR', third.map((e) => e.event as EdgeEvent), now + 20);
    await p.drained();
    expect(seen).toEqual(['GW-PR:1', 'GW-PR:3']);
    expect(p.backlog()[0]).toMatchObject({ name: 'flaky', failed: true });
    // Back: the recovery replays from the failed batch (idempotent apply takes the repeat of 3), and it is current again.
    await p.recoverFailed();
    expect(seen.slice(2)).toEqual(['GW-PR:2', 'GW-PR:3']);
    expect(p.backlog()[0]).toMatchObject({ failed: false });
    await p.stop();
  }, 15_000);
});
