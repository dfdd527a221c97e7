import { expect, it } from 'vitest';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { afterPassage } from '../services/slips.ts';
import { run } from '../storage/sql.ts';
import { openReleaseSlipRepo, type ReleaseSlipRepo } from './release-slips.ts';

const slip = (passportNo: string, goods: string[], over: Partial<ReleaseSlip> = {}): ReleaseSlip => ({
  passportNo,
  ioType: 'E',
  status: 'approved',
  gateMode: 'single',
  vehicleNo: '粤B12345',
  containerNos: [],
  sealIds: [],
  vehicleWtKg: 9000,
  totalGrossWtKg: goods.length,
  goods,
  ...over,
});
const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
const passage = (eventId: string, passportNo: string, laneId = 'OUT-1') => ({ eventId, passportNo, gatewayId: 'GW-1', laneId, atMs: 5000 });

eachStore('release slip repository', (store) => {
  let repo: ReleaseSlipRepo;
  it('migrates once, stores a slip and binds its goods', async () => {
    repo = openReleaseSlipRepo(store().sql);
    await repo.migrate();
    await repo.migrate();
    const s = slip('Z5301E260000000000101', ['A1', 'A2'], { containerNos: ['CSQU3054383'], totalWtKg: 9002 });
    const r = await repo.issue(s, 'officer-1', 1000);
    expect(r).toEqual({ ok: true, record: { slip: s, issuedBy: 'officer-1', issuedMs: 1000, updatedMs: 1000, voidReason: null, voidedBy: null, version: 1 } });
    expect(await repo.get(s.passportNo)).toEqual(r.ok && r.record);
    expect([...(await repo.bindings(['A1', 'A2', 'A3'])).values()]).toEqual([
      { parcelKey: 'A1', passportNo: s.passportNo, status: 'approved' },
      { parcelKey: 'A2', passportNo: s.passportNo, status: 'approved' },
    ]);
  });

  it('refuses a slip with a bound parcel, names the slip, and writes nothing of it', async () => {
    const r = await repo.issue(slip('Z5301E260000000000102', ['B1', 'A2', 'B2']), 'officer-2', 2000);
    expect(r).toEqual({ ok: false, conflicts: [{ parcelKey: 'A2', passportNo: 'Z5301E260000000000101', status: 'approved' }] });
    expect(await repo.get('Z5301E260000000000102')).toBeUndefined();
    expect((await repo.bindings(['B1', 'B2'])).size).toBe(0);
  });

  it('lets exactly one of several concurrent issues take the same parcel', async () => {
    const contenders = Array.from({ length: 6 }, (_, i) => slip(`Z5301E26000000000020${i}`, [`RACE-own-${i}`, 'RACE-shared']));
    const results = await Promise.all(contenders.map((s, i) => repo.issue(s, `officer-${i}`, 3000 + i)));
    const winners = results.flatMap((r, i) => (r.ok ? [contenders[i]!.passportNo] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (!r.ok) expect(r.conflicts).toEqual([{ parcelKey: 'RACE-shared', passportNo: winners[0], status: 'approved' }]);
    // The losers left nothing behind: their own parcels are free.
    expect([...(await repo.bindings(contenders.map((_, i) => `RACE-own-${i}`))).values()].map((b) => b.passportNo)).toEqual(winners);
  });

  it('has the database refuse a second open binding even from a writer that skips the lock', async () => {
    const sql = store().sql;
    await expect(sql.tx(() => run('INSERT INTO slip_parcels (parcel_key, passport_no, open) VALUES (?, ?, 1)', ['A1', 'Z5301E269999999999999']))).rejects.toThrow();
    // Closed rows are history: any number of them.
    await sql.tx(function* () {
      yield* run('INSERT INTO slip_parcels (parcel_key, passport_no, open) VALUES (?, ?, 0)', ['A1', 'Z5301E269999999999998']);
      yield* run('INSERT INTO slip_parcels (parcel_key, passport_no, open) VALUES (?, ?, 0)', ['A1', 'Z5301E269999999999997']);
    });
  });

  it('binds a full load of 10,000 parcels in one issue', async () => {
    const goods = keys('LOAD', 10_000);
    expect((await repo.issue(slip('Z5301E260000000000300', goods), 'officer-1', 4000)).ok).toBe(true);
    const bound = await repo.bindings(goods);
    expect(bound.size).toBe(10_000);
    expect(bound.get('LOAD-09999')).toMatchObject({ passportNo: 'Z5301E260000000000300' });
  });

  it('voids through setStatus, freeing the parcels; a refusal changes nothing', async () => {
    const no = 'Z5301E260000000000400';
    await repo.issue(slip(no, ['V1', 'V2']), 'officer-1', 5000);
    const refused = await repo.setStatus(no, () => 'not today', 5100);
    expect(refused).toEqual({ ok: false, reason: 'not today' });
    const r = await repo.setStatus(no, () => ({ status: 'void', voidReason: 'truck broke down', voidedBy: 'officer-2' }), 5200);
    expect(r).toMatchObject({ ok: true, record: { slip: { status: 'void' }, voidReason: 'truck broke down', voidedBy: 'officer-2', version: 2, updatedMs: 5200, issuedMs: 5000 } });
    expect(await repo.get(no)).toEqual(r?.ok && r.record);
    expect((await repo.bindings(['V1', 'V2'])).size).toBe(0);
    expect((await repo.issue(slip('Z5301E260000000000401', ['V1']), 'officer-1', 5300)).ok).toBe(true);
    expect(await repo.setStatus('Z5301E260000000000499', () => ({ status: 'void' }), 5400)).toBeUndefined();
  });

  it('applies each gate passage once: double gate, replays, exit keeps the parcels, entry frees them', async () => {
    const no = 'Z5301E260000000000500';
    await repo.issue(slip(no, ['G1'], { gateMode: 'double' }), 'officer-1', 6000);
    expect(await repo.passage(passage('ev-1', no, 'GATE1'), undefined, afterPassage)).toMatchObject({ kind: 'applied', source: 'repo', before: 'approved', after: 'passed_gate1', slip: { status: 'passed_gate1' } });
    // The gate-1 event again (redelivery, start-up replay): it must not count as gate 2.
    expect(await repo.passage(passage('ev-1', no, 'GATE1'), undefined, afterPassage)).toMatchObject({ kind: 'replay', before: 'approved', after: 'passed_gate1', slip: { status: 'passed_gate1' } });
    expect((await repo.get(no))!.slip.status).toBe('passed_gate1');
    expect(await repo.passage(passage('ev-2', no, 'GATE2'), undefined, afterPassage)).toMatchObject({ kind: 'applied', before: 'passed_gate1', after: 'passed' });
    expect(await repo.get(no)).toMatchObject({ slip: { status: 'passed' }, version: 3 });
    // A passage of a used slip (an officer's manual override) is recorded and moves nothing.
    expect(await repo.passage(passage('ev-3', no), undefined, afterPassage)).toMatchObject({ kind: 'applied', before: 'passed', after: 'passed' });
    expect((await repo.bindings(['G1'])).get('G1')).toMatchObject({ passportNo: no, status: 'passed' });

    const entry = 'Z5301I260000000000001';
    await repo.issue(slip(entry, ['G2'], { ioType: 'I' }), 'officer-1', 6100);
    await repo.passage(passage('ev-4', entry, 'IN-1'), undefined, afterPassage);
    expect((await repo.bindings(['G2'])).size).toBe(0);
  });

  it('records passages of slips put into the feed by hand, and ignores slips nobody knows', async () => {
    const fed = slip('Z5301E260000000000001', ['H1']);
    expect(await repo.passage(passage('ev-10', fed.passportNo), fed, afterPassage)).toEqual({ kind: 'applied', source: 'feed', slip: { ...fed, status: 'passed' }, before: 'approved', after: 'passed' });
    expect(await repo.passage(passage('ev-10', fed.passportNo), { ...fed, status: 'passed' }, afterPassage)).toEqual({ kind: 'replay', slip: undefined, before: 'approved', after: 'passed' });
    expect(await repo.get(fed.passportNo)).toBeUndefined();
    expect(await repo.passage(passage('ev-11', 'Z0000E260000000000001'), undefined, afterPassage)).toEqual({ kind: 'unknown' });
  });

  it('numbers slips per district, direction and year, never twice under concurrency', async () => {
    const nos = await Promise.all(Array.from({ length: 8 }, () => repo.allocatePassportNo('5301', 'E', 2026)));
    expect(new Set(nos).size).toBe(8);
    expect([...nos].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `Z5301E26${String(i + 1).padStart(13, '0')}`));
    expect(await repo.allocatePassportNo('5301', 'I', 2026)).toBe('Z5301I260000000000001');
    expect(await repo.allocatePassportNo('5301', 'E', 2027)).toBe('Z5301E270000000000001');
    expect(await repo.allocatePassportNo('5302', 'E', 2026)).toBe('Z5302E260000000000001');
  });

  it('lists newest first by status, page by page', async () => {
    const all = await repo.list({ limit: 100 });
    expect(all.items.map((r) => r.issuedMs)).toEqual([...all.items.map((r) => r.issuedMs)].sort((a, b) => b - a));
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await repo.list({ status: ['approved'], limit: 2, ...(cursor ? { cursor } : {}) });
      pages.push(...p.items.map((r) => r.slip.passportNo));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    const approved = all.items.filter((r) => r.slip.status === 'approved').map((r) => r.slip.passportNo);
    expect(pages).toEqual(approved);
    expect(approved).toContain('Z5301E260000000000401');
    expect(approved).not.toContain('Z5301E260000000000400'); // void
    expect((await repo.list({ status: ['void', 'passed'], limit: 10 })).items.map((r) => r.slip.status).sort()).toEqual(['passed', 'passed', 'void']);
  });
});
