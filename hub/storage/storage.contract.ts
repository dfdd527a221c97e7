import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldParcel } from '../../shared/parcel-state.ts';
import type { EdgeEvent, NewEvent } from '../../shared/schemas/events.ts';
import { gateOut, hold, inspect, JournalBuilder, release, scan, seededRandom, toEntry, weigh, xray } from './fixtures.ts';
import { foldInputs } from './sql-common.ts';
import type { IngestEntry, IngestResult, ParcelRecord, Storage } from './storage.ts';

/** What the hub does with a batch: store it (the ack), then fold its events into the parcel rows (the 'parcels' projection). */
async function storeAndFold(s: Storage, gatewayId: string, entries: IngestEntry[], opts: { receivedMs: number; gapFrom?: number }): Promise<IngestResult> {
  const r = await s.ingest(gatewayId, entries, opts);
  await s.foldParcels(foldInputs(entries, opts.receivedMs));
  return r;
}

/** What a parcel's record must be after its events were stored in any order: the fold of all of them, from scratch. */
function expectedParcel(entries: readonly IngestEntry[]): Omit<ParcelRecord, 'updatedMs'> {
  const events = entries.map((e) => e.event as EdgeEvent);
  return { ...foldParcel(events), parcelKey: events[0]!.parcelKey!, firstWallMs: Math.min(...events.map((e) => e.time.wallMs)) };
}

/** One contract, every store: sqlite.test.ts and postgres.test.ts run it against their implementation. */
export function storageContract(name: string, make: () => Promise<Storage>, teardown: () => Promise<void> = async () => {}): void {
  describe(`Storage contract: ${name}`, () => {
    let s: Storage;
    const at = { receivedMs: 1_800_000_000_000 };
    beforeAll(async () => {
      s = await make();
      await s.migrate();
      await s.migrate(); // idempotent
    });
    afterAll(async () => {
      await s?.close();
      await teardown();
    });

    it('stores a batch once, counts redeliveries as duplicates, and acks the contiguous run', async () => {
      const j = new JournalBuilder('GW-IDEM');
      const batch = j.many(5, (i) => scan(`IDEM-${i}`));
      const first = await s.ingest('GW-IDEM', batch, at);
      expect(first).toMatchObject({ ackedSeq: 5, ranges: [], inserted: 5, duplicates: 0, alerts: [] });
      const again = await s.ingest('GW-IDEM', batch, at);
      expect(again).toMatchObject({ ackedSeq: 5, inserted: 0, duplicates: 5 });
      expect(await s.countEvents('GW-IDEM')).toBe(5);
      expect((await s.gatewayEvents('GW-IDEM', 1, 100)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect((await s.gatewayEvents('GW-IDEM', 3, 2)).map((e) => e.seq)).toEqual([3, 4]);
      expect(await s.gatewayEvents('GW-IDEM', 3, 1)).toEqual([
        { gatewayId: 'GW-IDEM', seq: 3, id: batch[2]!.id, type: 'parcel.scanned', parcelKey: 'IDEM-2', stationId: 'LINE-1', wallMs: batch[2]!.wallMs, hlc: batch[2]!.hlc, receivedMs: at.receivedMs, status: 'ok', body: JSON.parse(batch[2]!.rawJson) },
      ]);
      expect(await s.countEvents()).toBeGreaterThanOrEqual(5);
      expect(await s.entryHash('GW-IDEM', 6)).toBeUndefined();
      expect(await s.getGateway('GW-IDEM')).toMatchObject({ ackedSeq: 5, headHash: batch[4]!.hash });
      expect(await s.entryHash('GW-IDEM', 3)).toBe(batch[2]!.hash);
    });

    it('acks live events sent ahead of the backlog as ranges, then the whole run when the gap fills', async () => {
      const j = new JournalBuilder('GW-LIVE');
      const all = j.many(8, (i) => scan(`LIVE-${i}`));
      expect(await s.ingest('GW-LIVE', all.slice(0, 3), at)).toMatchObject({ ackedSeq: 3, ranges: [] });
      expect(await s.ingest('GW-LIVE', all.slice(6, 8), at)).toMatchObject({ ackedSeq: 3, ranges: [[7, 8]] });
      expect(await s.ackState('GW-LIVE')).toEqual({ ackedSeq: 3, ranges: [[7, 8]] });
      expect(await s.ingest('GW-LIVE', all.slice(3, 6), at)).toMatchObject({ ackedSeq: 8, ranges: [], alerts: [] });
      expect(await s.ackState('GW-LIVE')).toEqual({ ackedSeq: 8, ranges: [] });
    });

    it('raises chain_break when an entry does not link to its predecessor', async () => {
      const a = new JournalBuilder('GW-CHAIN');
      const b = new JournalBuilder('GW-CHAIN', 1_790_100_000_000); // a second, different history
      const first = a.many(2, (i) => scan(`CHAIN-${i}`));
      const forged = b.many(3, (i) => scan(`CHAIN-X-${i}`))[2]!; // seq 3, linked to b's seq 2
      await s.ingest('GW-CHAIN', first, at);
      const r = await s.ingest('GW-CHAIN', [forged], at);
      expect(r.ackedSeq).toBe(3);
      expect(r.alerts).toEqual([expect.objectContaining({ kind: 'chain_break', seq: 3, gatewayId: 'GW-CHAIN' })]);
      expect(await s.listAlerts('GW-CHAIN', 10)).toEqual([expect.objectContaining({ kind: 'chain_break', seq: 3 })]);
      expect((await s.getGateway('GW-CHAIN'))!.alertCount).toBe(1);
    });

    it('stores hash_mismatch and invalid entries, alerts on them, and keeps them out of parcel state', async () => {
      const j = new JournalBuilder('GW-BAD');
      const good = j.next(weigh('BAD-P', 2));
      const edited = j.next(weigh('BAD-P', 9));
      const tampered: IngestEntry = { ...edited, status: 'hash_mismatch', problem: 'hash does not match the entry content' };
      const broken = j.next(scan('BAD-Q'));
      const invalid: IngestEntry = { ...broken, status: 'invalid', event: null, type: 'parcel.scanned', problem: 'payload.code: required' };
      const r = await storeAndFold(s, 'GW-BAD', [good, tampered, invalid], at);
      expect(r.ackedSeq).toBe(3);
      expect(r.alerts.map((a) => a.kind).sort()).toEqual(['hash_mismatch', 'invalid_entry']);
      expect((await s.getParcel('BAD-P'))!.grossWeightKg).toBe(2);
      expect(await s.getParcel('BAD-Q')).toBeUndefined();
      expect((await s.gatewayEvents('GW-BAD', 1, 10)).map((e) => e.status)).toEqual(['ok', 'hash_mismatch', 'invalid']);
    });

    it('moves past a gap the gateway declares, with a journal_gap alert', async () => {
      const j = new JournalBuilder('GW-GAP');
      const all = j.many(6, (i) => scan(`GAP-${i}`));
      await s.ingest('GW-GAP', all.slice(0, 2), at);
      const r = await s.ingest('GW-GAP', all.slice(4), { ...at, gapFrom: 3 });
      expect(r.ackedSeq).toBe(6);
      expect(r.alerts).toEqual([expect.objectContaining({ kind: 'journal_gap', seq: 3 })]);
    });

    it('folds parcel state in HLC order, refolding when an older event arrives late', async () => {
      const j = new JournalBuilder('GW-FOLD');
      const e1 = j.next(scan('FOLD-1'), 1_790_000_001_000);
      const e2 = j.next(hold('FOLD-1'), 1_790_000_003_000);
      const late = new JournalBuilder('GW-FOLD2').next(release('FOLD-1'), 1_790_000_002_000); // released, then held
      await storeAndFold(s, 'GW-FOLD', [e1, e2], at);
      expect((await s.getParcel('FOLD-1'))!.state).toBe('on_hold');
      await storeAndFold(s, 'GW-FOLD2', [late], { receivedMs: at.receivedMs + 1 });
      const p = (await s.getParcel('FOLD-1'))!;
      expect(p).toMatchObject(expectedParcel([e1, e2, late]));
      expect(p).toMatchObject({ state: 'on_hold', eventCount: 3, firstWallMs: 1_790_000_001_000, updatedMs: at.receivedMs + 1 });
      expect((await s.parcelEvents('FOLD-1', 10)).map((e) => e.type)).toEqual(['parcel.scanned', 'parcel.released', 'parcel.held']);
    });

    it('refolds on an HLC tie, which fold order breaks by gateway then seq', async () => {
      const tick = 1_790_000_050_000;
      const held = new JournalBuilder('GW-TIE-B').next(hold('TIE-1'), tick);
      const released = new JournalBuilder('GW-TIE-A').next(release('TIE-1'), tick); // same HLC, sorts first
      await storeAndFold(s, 'GW-TIE-B', [held], at);
      await storeAndFold(s, 'GW-TIE-A', [released], at);
      expect(await s.getParcel('TIE-1')).toMatchObject({ ...expectedParcel([held, released]), state: 'on_hold', lastGatewayId: 'GW-TIE-B' });
    });

    it('folds every parcel to the fold of all its events, whatever the delivery order', async () => {
      const random = seededRandom(7);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const keys = Array.from({ length: 8 }, (_, i) => `SHUF-${i}`);
      const makers: ((k: string) => NewEvent)[] = [scan, (k) => weigh(k, Math.round(random() * 500) / 10), hold, release, inspect, (k) => xray(k, pick(['clear', 'suspect'] as const)), gateOut];
      const byParcel = new Map<string, IngestEntry[]>();
      const batches: { gatewayId: string; entries: IngestEntry[] }[] = [];
      for (const gatewayId of ['GW-SHUF-A', 'GW-SHUF-B', 'GW-SHUF-C']) {
        const j = new JournalBuilder(gatewayId);
        // Whole seconds: the gateways' HLCs collide often, so ties are exercised as well as late arrivals.
        let wallMs = 1_790_000_100_000 + Math.floor(random() * 5) * 1000;
        const journal = Array.from({ length: 60 }, () => {
          const key = pick(keys);
          const e = j.next(pick(makers)(key), (wallMs += 1000 * (1 + Math.floor(random() * 3))));
          byParcel.set(key, [...(byParcel.get(key) ?? []), e]);
          return e;
        });
        for (let i = 0; i < journal.length; ) {
          const n = 1 + Math.floor(random() * 12);
          batches.push({ gatewayId, entries: journal.slice(i, i + n) });
          i += n;
        }
      }
      for (let i = batches.length - 1; i > 0; i--) {
        const k = Math.floor(random() * (i + 1));
        [batches[i], batches[k]] = [batches[k]!, batches[i]!];
      }
      for (const [i, b] of batches.entries()) {
        await storeAndFold(s, b.gatewayId, b.entries, at);
        // A replay of an earlier batch now and then (a catch-up after a crash, a redelivery to another hub).
        if (random() < 0.25) await s.foldParcels(foldInputs(batches[Math.floor(random() * (i + 1))]!.entries, at.receivedMs));
      }
      for (const gatewayId of ['GW-SHUF-A', 'GW-SHUF-B', 'GW-SHUF-C']) expect(await s.ackState(gatewayId)).toEqual({ ackedSeq: 60, ranges: [] });
      for (const [key, entries] of byParcel) {
        expect(await s.getParcel(key), key).toMatchObject(expectedParcel(entries));
        const order = (await s.parcelEvents(key, 1000)).map((e) => `${e.gatewayId}/${e.seq}`);
        const folded = entries.map((e) => e.event as EdgeEvent).sort((a, b) => (a.time.hlc !== b.time.hlc ? (a.time.hlc < b.time.hlc ? -1 : 1) : a.gatewayId !== b.gatewayId ? (a.gatewayId < b.gatewayId ? -1 : 1) : a.seq - b.seq));
        expect(order).toEqual(folded.map((e) => `${e.gatewayId}/${e.seq}`));
      }
    });

    it('counts an entry repeated inside one batch once', async () => {
      const j = new JournalBuilder('GW-REPEAT');
      const [a, b] = [j.next(scan('REPEAT-1')), j.next(weigh('REPEAT-1', 3))];
      const r = await storeAndFold(s, 'GW-REPEAT', [a!, b!, b!, a!], at);
      expect(r).toMatchObject({ ackedSeq: 2, inserted: 2, duplicates: 2, alerts: [] });
      expect(await s.getParcel('REPEAT-1')).toMatchObject({ eventCount: 2, grossWeightKg: 3 });
    });

    it('leaves the parcel rows to foldParcels: an ack stores the events alone', async () => {
      const j = new JournalBuilder('GW-NOFOLD');
      const batch = [j.next(scan('NOFOLD-1')), j.next(weigh('NOFOLD-1', 4))];
      await s.ingest('GW-NOFOLD', batch, at);
      expect(await s.getParcel('NOFOLD-1')).toBeUndefined();
      expect((await s.parcelEvents('NOFOLD-1', 10)).map((e) => e.seq)).toEqual([1, 2]); // the timeline reads the events
      expect(await s.foldParcels(foldInputs(batch, at.receivedMs))).toEqual({ parcels: 1, refolded: 0 });
      expect(await s.getParcel('NOFOLD-1')).toMatchObject({ ...expectedParcel(batch), updatedMs: at.receivedMs });
    });

    it('folds idempotently: a replay refolds and leaves the row as it was, never moving updatedMs back', async () => {
      const j = new JournalBuilder('GW-REPLAY');
      const first = [j.next(scan('REPLAY-1')), j.next(weigh('REPLAY-1', 7)), j.next(scan('REPLAY-2'))];
      const second = [j.next(hold('REPLAY-1'))];
      await storeAndFold(s, 'GW-REPLAY', first, at);
      await storeAndFold(s, 'GW-REPLAY', second, { receivedMs: at.receivedMs + 5000 });
      const before = await s.getParcel('REPLAY-1');
      expect(before).toMatchObject({ ...expectedParcel([...first, ...second]), eventCount: 3, updatedMs: at.receivedMs + 5000 });
      // The start-up catch-up hands the same events over again, first batch with its old receive time.
      expect(await s.foldParcels(foldInputs(first, at.receivedMs))).toEqual({ parcels: 2, refolded: 2 });
      expect(await s.foldParcels([...foldInputs(first, at.receivedMs), ...foldInputs([...second, ...second], at.receivedMs + 5000)])).toEqual({ parcels: 2, refolded: 2 });
      expect(await s.getParcel('REPLAY-1')).toEqual(before);
      expect(await s.getParcel('REPLAY-2')).toMatchObject({ eventCount: 1, updatedMs: at.receivedMs });
    });

    it('answers for a gateway it has never seen, and takes an empty batch', async () => {
      expect(await s.ackState('GW-NEVER')).toEqual({ ackedSeq: 0, ranges: [] });
      expect(await s.ingest('GW-EMPTY', [], at)).toEqual({ ackedSeq: 0, ranges: [], inserted: 0, duplicates: 0, alerts: [] });
      expect(await s.getGateway('GW-EMPTY')).toMatchObject({ ackedSeq: 0, lastSeenMs: at.receivedMs, alertCount: 0 });
    });

    it('lists parcels newest first with filters and keyset pagination that neither skips nor repeats', async () => {
      const j = new JournalBuilder('GW-LIST');
      for (let i = 0; i < 25; i++) {
        const key = `LIST-${String(i).padStart(2, '0')}`;
        const events = i % 5 === 0 ? [j.next(scan(key, 'LINE-9')), j.next(hold(key))] : [j.next(scan(key, 'LINE-9'))];
        await storeAndFold(s, 'GW-LIST', events, { receivedMs: at.receivedMs + 1000 + Math.floor(i / 2) }); // ties on updatedMs
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const r = await s.listParcels({ keyPrefix: 'LIST-', limit: 7, ...(cursor ? { cursor } : {}) });
        seen.push(...r.items.map((p) => p.parcelKey));
        if (!r.nextCursor) break;
        cursor = r.nextCursor;
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      expect(seen[0]).toBe('LIST-24');
      const held = await s.listParcels({ keyPrefix: 'LIST-', state: 'on_hold', limit: 50 });
      expect(held.items.map((p) => p.parcelKey).sort()).toEqual(['LIST-00', 'LIST-05', 'LIST-10', 'LIST-15', 'LIST-20']);
      expect((await s.listParcels({ stationId: 'LINE-1', keyPrefix: 'LIST-', limit: 50 })).items.length).toBe(5); // hold is at LINE-1
      expect((await s.listParcels({ keyPrefix: 'LIST-2', limit: 50 })).items.length).toBe(5);
    });

    it('treats LIKE wildcards in a key prefix literally, and rejects a cursor it did not issue', async () => {
      const j = new JournalBuilder('GW-WILD');
      await storeAndFold(s, 'GW-WILD', ['PCT_1', 'PCTX1', 'PCT%2', 'PCTY%'].map((k) => j.next(scan(k))), at);
      expect((await s.listParcels({ keyPrefix: 'PCT_', limit: 10 })).items.map((p) => p.parcelKey)).toEqual(['PCT_1']);
      expect((await s.listParcels({ keyPrefix: 'PCT%', limit: 10 })).items.map((p) => p.parcelKey)).toEqual(['PCT%2']);
      await expect(s.listParcels({ limit: 10, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('serialises concurrent ingest of one gateway: overlapping batches store each seq once', async () => {
      const j = new JournalBuilder('GW-CONC');
      const all = j.many(300, (i) => scan(`CONC-${i}`));
      const batches = [all.slice(0, 150), all.slice(100, 250), all.slice(50, 300), all.slice(0, 300)];
      const results = await Promise.all(batches.map((b) => s.ingest('GW-CONC', b, at)));
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(300);
      expect(await s.countEvents('GW-CONC')).toBe(300);
      expect((await s.ackState('GW-CONC')).ackedSeq).toBe(300);
      expect((await s.getGateway('GW-CONC'))!.alertCount).toBe(0);
    });

    it('lets two hub processes ingest and fold the same gateways and parcels at once: no deadlock, each seq once', async () => {
      const s2 = await make(); // a second process's store, on the same database
      try {
        await s2.migrate();
        const journals = ['GW-TWO-A', 'GW-TWO-B'].map((gatewayId, g) => {
          const j = new JournalBuilder(gatewayId);
          // The two gateways touch the same parcels in opposite orders.
          return { gatewayId, entries: Array.from({ length: 200 }, (_, i) => j.next(scan(`TWO-${g === 0 ? i % 20 : 19 - (i % 20)}`))) };
        });
        const calls = journals.flatMap(({ gatewayId, entries }) =>
          [0, 40, 80, 120].flatMap((from, k) => [
            storeAndFold(k % 2 === 0 ? s : s2, gatewayId, entries.slice(from, from + 80), at),
            storeAndFold(k % 2 === 0 ? s2 : s, gatewayId, entries.slice(from + 20, from + 80), at),
          ]),
        );
        const results = await Promise.all(calls);
        expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(400);
        for (const { gatewayId } of journals) {
          expect(await s.countEvents(gatewayId)).toBe(200);
          expect(await s2.ackState(gatewayId)).toEqual({ ackedSeq: 200, ranges: [] });
          expect((await s.getGateway(gatewayId))!.alertCount).toBe(0);
        }
        for (let i = 0; i < 20; i++) {
          const all = journals.flatMap((jr) => jr.entries.filter((e) => e.parcelKey === `TWO-${i}`));
          expect(await s2.getParcel(`TWO-${i}`)).toMatchObject({ ...expectedParcel(all), eventCount: 20 });
        }
      } finally {
        await s2.close();
      }
    });

    it('acks a run longer than one watermark scan in one call', async () => {
      const j = new JournalBuilder('GW-BIG');
      const all = j.many(25_000, (i) => scan(`BIG-${i % 50}`));
      const r = await s.ingest('GW-BIG', all, at);
      expect(r.ackedSeq).toBe(25_000);
    });

    it('keeps gateways: credentials, key, hello, status and checkpoints', async () => {
      await s.upsertGateway({ id: 'GW-META', passwordHash: 'scrypt$x' });
      await s.upsertGateway({ id: 'GW-META', passwordHash: 'scrypt$y' });
      await s.setGatewayKey('GW-META', 'PEM');
      const hello = { v: 1 as const, gatewayId: 'GW-META' as never, bootId: 'b', ackedSeq: 0, headSeq: 4, publicKeyPem: 'PEM', agentVersion: '1', wallMs: 5 };
      await s.recordHello('GW-META', hello, 10);
      const status = { v: 1 as const, gatewayId: 'GW-META' as never, backlog: { count: 4, oldestWallMs: 1 }, ackedSeq: 0, headSeq: 4, disk: { usedBytes: 1, quotaBytes: 2, level: 'ok' as const }, clockSynced: false, wallMs: 9, uptimeMs: 3 };
      await s.recordStatus('GW-META', status, 20, -11);
      await s.recordCheckpoint({ gatewayId: 'GW-META', seq: 1, hash: 'h', wallMs: 1, signature: 'sig', verified: true, atMs: 30 });
      await s.addAlert({ gatewayId: 'GW-META', seq: null, kind: 'key_changed', detail: 'd', atMs: 31 });
      await s.addAlert({ gatewayId: 'GW-META', seq: 1, kind: 'checkpoint_mismatch', detail: 'e', atMs: 32 });
      expect(await s.listAlerts('GW-META', 10)).toEqual([
        { gatewayId: 'GW-META', seq: 1, kind: 'checkpoint_mismatch', detail: 'e', atMs: 32 },
        { gatewayId: 'GW-META', seq: null, kind: 'key_changed', detail: 'd', atMs: 31 },
      ]);
      expect(await s.listAlerts(undefined, 1)).toEqual([expect.objectContaining({ gatewayId: 'GW-META', kind: 'checkpoint_mismatch' })]);
      const g = (await s.getGateway('GW-META'))!;
      expect(g).toMatchObject({ passwordHash: 'scrypt$y', publicKeyPem: 'PEM', lastSeenMs: 20, clockOffsetMs: -11, alertCount: 2, lastHello: hello, lastStatus: status });
      expect((await s.listGateways()).map((x) => x.id)).toContain('GW-META');
      expect(await s.getGateway('GW-NONE')).toBeUndefined();
      await s.upsertGateway({ id: 'GW-UNPROVISIONED', passwordHash: null });
      expect(await s.getGateway('GW-UNPROVISIONED')).toMatchObject({ passwordHash: null, publicKeyPem: null, ackedSeq: 0, lastHello: null, lastStatus: null, clockOffsetMs: null, alertCount: 0 });
    });

    it('keeps users and sessions; an expired session is not returned', async () => {
      await s.createUser({ username: 'officer1', passwordHash: 'h', role: 'officer', displayName: '关员一', createdMs: 1 });
      expect(await s.getUser('officer1')).toMatchObject({ role: 'officer', displayName: '关员一' });
      expect(await s.countUsers()).toBeGreaterThanOrEqual(1);
      expect(await s.getUser('nobody')).toBeUndefined();
      await s.createSession({ tokenHash: 't1', username: 'officer1', role: 'officer', expiresMs: 1000 });
      expect(await s.getSession('t1', 999)).toMatchObject({ username: 'officer1' });
      expect(await s.getSession('t1', 1000)).toBeUndefined();
      await s.deleteSession('t1');
      expect(await s.getSession('t1', 0)).toBeUndefined();
    });

    it('keeps what arrived as the body', async () => {
      const j = new JournalBuilder('GW-BODY');
      const e = j.next(weigh('BODY-1', 1.25));
      await s.ingest('GW-BODY', [toEntry(JSON.parse(e.rawJson))], at);
      const [stored] = await s.gatewayEvents('GW-BODY', 1, 1);
      expect(stored!.body).toEqual(JSON.parse(e.rawJson));
    });

    it('keeps the station feed as the latest value per key with versions, deletes as tombstones, paged by version', async () => {
      const before = (await s.feedSince(0, 10_000)).headVersion;
      const v1 = await s.putFeed([
        { kind: 'decision', key: 'EA000000015CN', value: { parcelKey: 'EA000000015CN', decision: 'released' } },
        { kind: 'decision', key: 'EA000000029CN', value: { parcelKey: 'EA000000029CN', decision: 'hold' } },
      ]);
      expect(v1).toBe(before + 2);
      const v2 = await s.putFeed([{ kind: 'decision', key: 'EA000000015CN', value: { parcelKey: 'EA000000015CN', decision: 'inspect' } }]);
      const v3 = await s.putFeed([{ kind: 'decision', key: 'EA000000029CN', value: null }]);
      expect([v2, v3]).toEqual([v1 + 1, v1 + 2]);
      const since = await s.feedSince(before, 100);
      // Only the latest change per key remains, in version order: an edge replaying it ends in the same state.
      expect(since.changes).toEqual([
        { version: v2, kind: 'decision', key: 'EA000000015CN', value: { parcelKey: 'EA000000015CN', decision: 'inspect' } },
        { version: v3, kind: 'decision', key: 'EA000000029CN', value: null },
      ]);
      expect(since.headVersion).toBe(v3);
      expect((await s.feedSince(v2, 100)).changes.map((c) => c.version)).toEqual([v3]);
      expect((await s.feedSince(before, 1)).changes).toHaveLength(1);
      expect(await s.feedFloor()).toBeLessThanOrEqual(before);
      expect(await s.feedGet('decision', 'EA000000015CN')).toEqual({ parcelKey: 'EA000000015CN', decision: 'inspect' });
      expect(await s.feedGet('decision', 'EA000000029CN')).toBeNull();
      expect(await s.feedGet('slip', 'never')).toBeNull();
    });

    it('keeps the audit trail as a hash chain that verifies, and survives concurrent appends', async () => {
      const { verifyAudit } = await import('../audit.ts');
      const before = (await s.auditRange(1, 1_000_000)).length;
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.appendAudit({ actor: 'officer-1', action: 'parcel.release', subject: `EA${String(i).padStart(8, '0')}5CN`, detail: { reason: 'documents complete', amount: 12.5 } }, 1_800_000_000_000 + i)));
      const all = await s.auditRange(1, 1_000_000);
      expect(all).toHaveLength(before + 20);
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
      expect(verifyAudit(all)).toMatchObject({ ok: true, checked: before + 20 });
      expect(all.at(-1)!.detail).toEqual({ reason: 'documents complete', amount: 12.5 });
    });

    it('stores customs documents by (kind, key), finds an order\'s set and the receipts answering it', async () => {
      const base = { orderNo: 'ORD-CONTRACT-1', subjectKey: null, originalSha256: 'a'.repeat(64), receivedMs: 1 };
      await s.putDocument({ ...base, kind: 'order', key: 'order:EBP:ORD-CONTRACT-1', body: { orderNo: 'ORD-CONTRACT-1', acturalPaid: 10 } });
      await s.putDocument({ ...base, kind: 'order', key: 'order:EBP:ORD-CONTRACT-1', body: { orderNo: 'ORD-CONTRACT-1', acturalPaid: 12.5 } }); // resent: replaced
      await s.putDocument({ ...base, kind: 'waybill', key: 'waybill:LC:EA1', body: { orderNo: 'ORD-CONTRACT-1' } });
      await s.putDocument({ kind: 'receipt', key: 'r1', orderNo: null, subjectKey: 'waybill:LC:EA1', body: { returnStatus: 120 }, originalSha256: null, receivedMs: 2 });
      const set = await s.documentsByOrder('ORD-CONTRACT-1');
      expect(set.map((d) => d.kind).sort()).toEqual(['order', 'waybill']);
      expect(set.find((d) => d.kind === 'order')!.body).toEqual({ orderNo: 'ORD-CONTRACT-1', acturalPaid: 12.5 });
      expect(set[0]!.originalSha256).toBe('a'.repeat(64));
      expect((await s.receiptsFor(['waybill:LC:EA1', 'nothing'])).map((r) => r.body)).toEqual([{ returnStatus: 120 }]);
      expect(await s.receiptsFor([])).toEqual([]);
    });

    it('stores an original message once by its SHA-256, bytes as received (any encoding)', async () => {
      const xml = new Uint8Array([0x3c, 0x61, 0x3e, 0xd6, 0xd0, 0xce, 0xc4, 0x3c, 0x2f, 0x61, 0x3e]); // <a>中文</a> in GBK
      const sha256 = 'b'.repeat(64);
      await s.putOriginal({ sha256, xml, receivedMs: 5 });
      await s.putOriginal({ sha256, xml: new Uint8Array([1]), receivedMs: 6 }); // already there: left as it is
      expect(await s.getOriginal(sha256)).toEqual({ sha256, xml, receivedMs: 5 });
      expect(await s.getOriginal('c'.repeat(64))).toBeUndefined();
    });
  });
}
