import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldParcel } from '../../shared/parcel-state.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { hold, JournalBuilder, release, scan, toEntry, weigh } from './fixtures.ts';
import type { IngestEntry, Storage } from './storage.ts';

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
      const r = await s.ingest('GW-BAD', [good, tampered, invalid], at);
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
      await s.ingest('GW-FOLD', [e1, e2], at);
      expect((await s.getParcel('FOLD-1'))!.state).toBe('on_hold');
      await s.ingest('GW-FOLD2', [late], { receivedMs: at.receivedMs + 1 });
      const p = (await s.getParcel('FOLD-1'))!;
      const expected = foldParcel([e1, e2, late].map((e) => e.event as EdgeEvent));
      expect(p).toMatchObject({ state: expected.state, eventCount: 3, lastHlc: expected.lastHlc, firstWallMs: 1_790_000_001_000 });
      expect(p.state).toBe('on_hold');
      expect((await s.parcelEvents('FOLD-1', 10)).map((e) => e.type)).toEqual(['parcel.scanned', 'parcel.released', 'parcel.held']);
    });

    it('lists parcels newest first with filters and keyset pagination that neither skips nor repeats', async () => {
      const j = new JournalBuilder('GW-LIST');
      for (let i = 0; i < 25; i++) {
        const key = `LIST-${String(i).padStart(2, '0')}`;
        const events = i % 5 === 0 ? [j.next(scan(key, 'LINE-9')), j.next(hold(key))] : [j.next(scan(key, 'LINE-9'))];
        await s.ingest('GW-LIST', events, { receivedMs: at.receivedMs + 1000 + Math.floor(i / 2) }); // ties on updatedMs
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
      const g = (await s.getGateway('GW-META'))!;
      expect(g).toMatchObject({ passwordHash: 'scrypt$y', publicKeyPem: 'PEM', lastSeenMs: 20, clockOffsetMs: -11, alertCount: 1, lastHello: hello, lastStatus: status });
      expect((await s.listGateways()).map((x) => x.id)).toContain('GW-META');
      expect(await s.getGateway('GW-NONE')).toBeUndefined();
    });

    it('keeps users and sessions; an expired session is not returned', async () => {
      await s.createUser({ username: 'officer1', passwordHash: 'h', role: 'officer', displayName: '关员一', createdMs: 1 });
      expect(await s.getUser('officer1')).toMatchObject({ role: 'officer', displayName: '关员一' });
      expect(await s.countUsers()).toBeGreaterThanOrEqual(1);
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
  });
}
