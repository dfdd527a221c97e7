import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import type { EdgeEvent, NewEvent } from '../../shared/schemas/events.ts';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import { foldInputs } from '../storage/sql-common.ts';
import { all, run } from '../storage/sql.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import { openCaseRepo, type CaseRepo } from '../repos/cases.ts';
import { openIdentifierRepo } from '../repos/identifiers.ts';
import { openReleaseSlipRepo, type ReleaseSlipRepo } from '../repos/release-slips.ts';
import { JournalBuilder, scan } from '../storage/fixtures.ts';
import type { Storage } from '../storage/storage.ts';
import { SearchService } from './search.ts';

const outcome = (parcelKey: string, orderNo: string): EngineOutcome => ({
  parcelKey,
  orderNo,
  direction: 'import',
  tradeMode: '1210',
  release: { decision: 'released', reasons: [] },
  risk: { level: 'low', reasons: [], rulesVersion: 'r1' },
  matchComplete: true,
  matchConsistent: true,
  customsStatus: 800,
  buyerKey: 'buyer-a',
  buyerIdMasked: '110***********1234',
  valueCny: '120',
  year: 2026,
  ebcCode: 'EBC1',
  declaredWeightKg: 1.2,
});
const slip = (passportNo: string, goods: string[]): ReleaseSlip => ({ passportNo, ioType: 'E', status: 'approved', gateMode: 'single', vehicleNo: '粤B12345', containerNos: [], sealIds: [], vehicleWtKg: 9000, totalGrossWtKg: goods.length, goods });

const SSCC = '069414100000000017';
const EPC = '3034257BF7194E4000001A85';

eachStore('parcel search', (store) => {
  let svc: SearchService;
  let cases: CaseRepo;
  let slips: ReleaseSlipRepo;
  let s: Storage;
  const journal = new JournalBuilder('GW-S');
  /** Store events as ingest does, and feed them to the parcel and identifiers projections. */
  const ingest = async (events: NewEvent[]) => {
    const entries = events.map((e) => journal.next(e));
    const receivedMs = Date.now();
    await s.ingest('GW-S', entries, { receivedMs });
    await s.foldParcels(foldInputs(entries, receivedMs));
    await svc.projection.apply('GW-S', entries.map((e) => e.event as EdgeEvent));
    return entries.map((e) => e.event as EdgeEvent);
  };
  const keys = async (q: string, limit = 50, cursor?: string) => (await svc.search(q, limit, cursor)).items.map((i) => i.parcelKey);

  it('migrates and sets up', async () => {
    s = store();
    cases = openCaseRepo(s.sql);
    await cases.migrate();
    slips = openReleaseSlipRepo(s.sql);
    await slips.migrate();
    const ids = openIdentifierRepo(s.sql);
    await ids.migrate();
    await ids.migrate(); // once per module
    svc = new SearchService({ storage: s, identifiers: ids, cases, now: () => 1_800_000_000_000 });
  });

  it('finds a waybill exactly and by its start, in parcels seen at the edge and in parcels only declared', async () => {
    // 12 declared (cases), 12 seen (parcels), 6 of them both: 18 distinct keys under the prefix.
    for (let i = 0; i < 12; i++) await cases.update(`EA7${String(i).padStart(4, '0')}CN`, (c) => applyEngine(c, outcome(`EA7${String(i).padStart(4, '0')}CN`, `ORD-7-${i}`), 1000 + i), 1000 + i);
    await ingest(Array.from({ length: 12 }, (_, i) => scan(`EA7${String(i + 6).padStart(4, '0')}CN`)));
    const exact = await svc.search('EA70003CN', 50);
    expect(exact.items).toEqual([
      { parcelKey: 'EA70003CN', matched: [{ kind: 'parcelKey', value: 'EA70003CN' }], parcel: null, customs: { status: 'released', orderNo: 'ORD-7-3', riskLevel: 'low', buyerIdMasked: '110***********1234', updatedMs: 1003 } },
    ]);
    const both = (await svc.search('EA70008CN', 50)).items[0]!;
    expect(both.parcel).toMatchObject({ state: 'in_zone', lastStationId: 'LINE-1' });
    expect(both.customs).toMatchObject({ orderNo: 'ORD-7-8' });

    // Paged by 5 through 18 keys: each once, in order, and the last page says there is no more.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await svc.search('EA7', 5, cursor);
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.items.map((i) => i.parcelKey));
      expect(page.items.every((i) => i.matched[0]!.kind === 'parcelKeyPrefix')).toBe(true);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual(Array.from({ length: 18 }, (_, i) => `EA7${String(i).padStart(4, '0')}CN`));
    expect(await keys('EA8')).toEqual([]);
  });

  it('finds by order number', async () => {
    expect((await svc.search('ORD-7-4', 50)).items.map((i) => [i.parcelKey, i.matched])).toEqual([['EA70004CN', [{ kind: 'orderNo', value: 'ORD-7-4' }]]]);
    expect(await keys('ORD-7')).toEqual([]); // order numbers match whole
  });

  it('finds by SSCC, directly and through the order a carton was packed for, and by an EPC in either case', async () => {
    await cases.update('EB00001CN', (c) => applyEngine(c, outcome('EB00001CN', 'ORD-B-1'), 2000), 2000);
    await ingest([
      // Packed for an order before the parcel had its waybill: the case ties the SSCC to the parcel.
      { type: 'warehouse.transaction', stationId: 'WH-1', payload: { transactionId: 'wt-1', warehouse: 'bonded', op: 'pack', outcome: 'ok', sscc: SSCC, orderNo: 'ORD-B-1' } },
      // The same carton later seen with another parcel's key.
      { type: 'warehouse.transaction', stationId: 'WH-1', parcelKey: 'EA70010CN', payload: { transactionId: 'wt-2', warehouse: 'bonded', op: 'ship', outcome: 'ok', sscc: SSCC } },
      { type: 'parcel.scanned', stationId: 'PORTAL-1', parcelKey: 'EA70011CN', payload: { code: EPC, source: 'rfid' } },
    ]);
    const bySscc = await svc.search(`(00)${SSCC}`, 50);
    expect(bySscc.items.map((i) => [i.parcelKey, i.matched])).toEqual([
      ['EA70010CN', [{ kind: 'sscc', value: SSCC }]],
      ['EB00001CN', [{ kind: 'sscc', value: SSCC }]],
    ]);
    expect(await keys(EPC.toLowerCase())).toEqual(['EA70011CN']);
  });

  it('finds the parcels a release slip lists', async () => {
    const r = await slips.issue(slip('Z5301E260000000000777', ['EA70001CN', 'EA70002CN', 'EB00001CN']), 'officer-1', 3000);
    expect(r.ok).toBe(true);
    const page = await svc.search('Z5301E260000000000777', 2);
    expect(page.items.map((i) => i.parcelKey)).toEqual(['EA70001CN', 'EA70002CN']);
    expect(page.items[0]!.matched).toEqual([{ kind: 'slipNo', value: 'Z5301E260000000000777' }]);
    expect(await keys('Z5301E260000000000777', 2, page.nextCursor!)).toEqual(['EB00001CN']);
  });

  it('keeps the read model idempotent: a replayed batch adds nothing and widens first/last seen only', async () => {
    const count = async () => (await s.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM parcel_identifiers'))[0]!.n;
    const before = Number(await count());
    const events = await ingest([{ type: 'parcel.scanned', stationId: 'LINE-2', parcelKey: 'EA70012CN', payload: { code: 'JD-0042', source: 'camera' } }]);
    await svc.projection.apply('GW-S', events);
    await svc.projection.apply('GW-S', [...events, ...events]);
    expect(Number(await count())).toBe(before + 1);
    expect(await keys('JD-0042')).toEqual(['EA70012CN']);
    const row = (await s.sql.all<{ first_ms: number; last_ms: number; station_id: string }>("SELECT first_ms, last_ms, station_id FROM parcel_identifiers WHERE value = 'JD-0042'"))[0]!;
    expect([Number(row.first_ms), Number(row.last_ms), row.station_id]).toEqual([events[0]!.time.wallMs, events[0]!.time.wallMs, 'LINE-2']);
  });

  it("gives a parcel's audit history with its slip's entries, in chain order, page by page, masked", async () => {
    const key = 'EA70001CN';
    await s.appendAudit({ actor: 'auto', action: 'parcel.decide', subject: key, detail: { decision: 'released', reasons: [] } }, 4000);
    await s.appendAudit({ actor: 'officer-2', action: 'officer.hold', subject: 'EA70002CN', detail: { reason: 'other parcel' } }, 4001);
    await s.appendAudit({ actor: 'officer-1', action: 'officer.hold', subject: key, detail: { reason: '核查 buyer', buyerIdNumber: '110101199003071234' } }, 4002);
    await s.appendAudit({ actor: 'officer-1', action: 'slip.issue', subject: 'Z5301E260000000000777', detail: { parcels: 3 } }, 4003);
    await s.appendAudit({ actor: 'gateway:GW-S', action: 'slip.passage', subject: 'Z5301E260000000000777', detail: { laneId: 'OUT-1' } }, 4004);
    const all = await svc.history(key, 0, 50);
    expect(all.slips).toEqual([{ passportNo: 'Z5301E260000000000777', open: true }]);
    expect(all.items.map((e) => [e.action, e.actor, e.atMs])).toEqual([
      ['parcel.decide', 'auto', 4000],
      ['officer.hold', 'officer-1', 4002],
      ['slip.issue', 'officer-1', 4003],
      ['slip.passage', 'gateway:GW-S', 4004],
    ]);
    expect(all.items[1]!.detail.buyerIdNumber).toBe('110***********1234');
    expect(all.nextAfterSeq).toBeNull();
    const first = await svc.history(key, 0, 3);
    expect(first.items).toHaveLength(3);
    const rest = await svc.history(key, first.nextAfterSeq!, 3);
    expect(rest.items.map((e) => e.action)).toEqual(['slip.passage']);
    expect((await svc.history('EA-NOTHING', 0, 10)).items).toEqual([]);
  });

  it('gives officers the original CEB message, on the audit chain; others are refused', async () => {
    const xml = Buffer.from('<CEB311Message>…</CEB311Message>');
    const sha256 = createHash('sha256').update(xml).digest('hex');
    await s.putOriginal({ sha256, xml, receivedMs: 1 });
    await s.putDocument({ kind: 'order', key: 'order:ORD-7-5', orderNo: 'ORD-7-5', subjectKey: null, body: { orderNo: 'ORD-7-5' }, originalSha256: sha256, receivedMs: 1 });
    await s.putDocument({ kind: 'waybill', key: 'waybill:ORD-7-5', orderNo: 'ORD-7-5', subjectKey: null, body: { logisticsNo: 'EA70005CN' }, originalSha256: null, receivedMs: 1 });
    const got = await svc.original('EA70005CN', 'order', { username: 'officer-1', role: 'officer' });
    expect(got).toEqual({ kind: 'order', key: 'order:ORD-7-5', sha256, xml: '<CEB311Message>…</CEB311Message>' });
    const trail = await svc.history('EA70005CN', 0, 10);
    expect(trail.items.map((e) => [e.action, e.actor, e.detail.kind])).toEqual([['document.original.view', 'officer-1', 'order']]);
    await expect(svc.original('EA70005CN', 'order', { username: 'manager-1', role: 'manager' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(svc.original('EA70005CN', 'waybill', { username: 'officer-1', role: 'officer' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(svc.original('EA70005CN', 'payment', { username: 'officer-1', role: 'officer' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(svc.original('EZ-NONE', 'order', { username: 'officer-1', role: 'officer' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

eachStore('parcel search indexes', (store, dialect) => {
  it('reads the audit trail by subject through its index, never a scan', async () => {
    const ids = openIdentifierRepo(store().sql);
    await openCaseRepo(store().sql).migrate();
    await ids.migrate();
    if (dialect === 'sqlite') {
      const plan = await store().sql.all<{ detail: string }>('EXPLAIN QUERY PLAN SELECT * FROM audit WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?', ['EA1', 0, 10]);
      expect(plan.map((p) => p.detail).join(' ')).toContain('USING INDEX audit_subject');
      const ident = await store().sql.all<{ detail: string }>("EXPLAIN QUERY PLAN SELECT parcel_key, MIN(kind) AS kind, MIN(value) AS value FROM parcel_identifiers WHERE value IN (?, ?) AND parcel_key <> '' AND parcel_key > ? GROUP BY parcel_key ORDER BY parcel_key LIMIT ?", ['a', 'b', '', 10]);
      expect(ident.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX sqlite_autoindex_parcel_identifiers/);
    } else {
      // An empty table is always scanned by PostgreSQL's planner: forbid sequential scans so the plan shows whether an index can serve.
      const plan = await store().sql.tx(function* () {
        yield* run('SET LOCAL enable_seqscan = off');
        return yield* all<{ 'QUERY PLAN': string }>('EXPLAIN SELECT * FROM audit WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?', ['EA1', 0, 10]);
      });
      expect(plan.map((p) => p['QUERY PLAN']).join(' ')).toContain('audit_subject');
    }
  });
});
