import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import { ReleaseSlip } from '../../shared/stations/feed.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { buildApp } from '../app.ts';
import { hashToken } from '../auth/sessions.ts';
import { createHubMetrics } from '../metrics.ts';
import { openAlarmRepo } from '../repos/alarms.ts';
import { openBondedRepo } from '../repos/bonded.ts';
import { openReleaseSlipRepo } from '../repos/release-slips.ts';
import { BondedService } from '../services/bonded.ts';
import { StationFeedService } from '../services/station-feed.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import type { Role, Storage } from '../storage/storage.ts';

const log = createLogger('test', 'silent');
const EMS = 'T5301W000001';
const config = { emsNo: EMS, district: '4403', enterprise: { sccd: '91440300MA5XXXXX1Q', etpsno: '4403660001', name: '前海保税仓储有限公司' }, sysId: 'Z7', supvModecd: '1210', exitPeriodHours: 24 };
const pricing = { pricing: [{ gdsSeqno: 1, dclCurrcd: '142', dclUprcAmt: '12.5', natcd: '116', destinationNatcd: '142', gdsSpcfModelDesc: '50ml' }] };

/**
 * The bonded book end to end through HTTP on each store: file an item, a truck's tally makes a first-line list, 申报,
 * customs' receipts record it; released orders make a second-line exit; a slip is prepared and 申报, approved only by
 * SAS221, fed to the gates, passed once; the list is deducted only after that; reconciliation and the legacy import.
 */
eachStore('bonded account book routes', (store) => {
  let server: Server;
  let base = '';
  let s: Storage;
  let nowMs = Date.UTC(2026, 11, 7, 2);
  let bonded: BondedService;
  const alarms: string[] = [];
  beforeAll(async () => {
    s = store();
    const legacy = openReleaseSlipRepo(s.sql);
    await legacy.migrate();
    // An officer-issued slip from before (21 characters), to be carried over.
    await legacy.issue(ReleaseSlip.parse({ passportNo: 'Z5301E260000000000001', ioType: 'E', status: 'passed', vehicleNo: '粤B12345', vehicleWtKg: 8000, totalGrossWtKg: 12.345, goods: ['P1'] }), 'officer-1', 1);
    const repo = openBondedRepo(s.sql);
    await repo.migrate();
    const alarmRepo = openAlarmRepo(s.sql);
    await alarmRepo.migrate();
    const feed = new StationFeedService({ storage: s, log, publish: () => undefined, gateways: async () => [], signing: { privateKeyPem: '', keyId: 'unused' } });
    const realSignal = alarmRepo.signal.bind(alarmRepo);
    alarmRepo.signal = async (gw, sig, at, seq) => {
      if (sig.op === 'raise') alarms.push(`${sig.kind}:${sig.subject}`);
      return realSignal(gw, sig, at, seq);
    };
    bonded = new BondedService({ repo, storage: s, feed, config, alarms: alarmRepo, log, now: () => nowMs });
    expect(await bonded.importLegacySlips()).toBe(1);
    expect(await bonded.importLegacySlips()).toBe(0);
    for (const role of ['admin', 'manager', 'officer', 'operator'] as Role[]) {
      await s.createUser({ username: `${role}-1`, passwordHash: 'x', role, displayName: role, createdMs: 0 });
      await s.createSession({ tokenHash: hashToken(`token-${role}`), username: `${role}-1`, role, expiresMs: Date.now() + 3_600_000 });
    }
    const app = buildApp({ storage: s, metrics: createHubMetrics(), log, sessionTtlMs: 3_600_000, gatewayOfflineAfterMs: 60_000, health: () => ({ mqttConnected: true, hubId: 'hub-test' }), bonded });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });
  const call = async (method: string, path: string, role: Role, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer token-${role}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { code?: string } };
  };
  const receipt = (r: Record<string, unknown>) => call('POST', '/api/bonded/receipts', 'admin', r);

  it('runs a first-line entry and a second-line exit through receipts only', async () => {
    expect((await call('POST', '/api/bonded/items', 'officer', { emsNo: EMS, gdsSeqno: 1, gdsMtno: 'SKU-A', gdecd: '3304990099', gdsNm: '面霜', dclUnitcd: '011', storageLimitQty: '1000' })).status).toBe(403);
    expect((await call('POST', '/api/bonded/items', 'manager', { emsNo: EMS, gdsSeqno: 1, gdsMtno: 'SKU-A', gdecd: '3304990099', gdsNm: '面霜', dclUnitcd: '011', storageLimitQty: '1000' })).status).toBe(201);

    // Tally of an inbound truck → first-line list → 申报 (INV101 validated and stored for the outbox).
    const made = await call('POST', '/api/bonded/lists', 'officer', { kind: 'first_line_in', lines: [{ sku: 'SKU-A', qty: 30 }], sources: ['tally-1'] });
    expect(made.status).toBe(201);
    const inNo = made.body.etpsInnerInvtNo as string;
    expect((await call('POST', `/api/bonded/lists/${inNo}/declare`, 'officer', {})).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    const declared = await call('POST', `/api/bonded/lists/${inNo}/declare`, 'officer', pricing);
    expect(declared.status).toBe(200);
    expect(declared.body.xml).toContain('<dclPlcCuscd>4403</dclPlcCuscd>');

    // Nothing on the book until customs records it.
    let book = await call('GET', '/api/bonded/book', 'officer');
    expect(book.body.items).toMatchObject([{ gdsSeqno: 1, balanceQty: '0', states: { list_applied: '30' } }]);
    expect((await receipt({ type: 'INV201', receiptId: 'g-1', etpsInnerInvtNo: inNo, bondInvtNo: 'QD440326I000000001', invtStucd: '0', entryStucd: '1' })).body).toMatchObject({ kind: 'applied', moves: 0 });
    expect((await receipt({ type: 'INV211', receiptId: 'g-2', etpsInnerInvtNo: inNo, bondInvtNo: 'QD440326I000000001', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlIncQty: '30' }] })).body).toMatchObject({ kind: 'applied', moves: 1 });
    expect((await receipt({ type: 'INV211', receiptId: 'g-2', etpsInnerInvtNo: inNo, bondInvtNo: 'QD440326I000000001', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlIncQty: '30' }] })).body).toMatchObject({ kind: 'duplicate' });
    book = await call('GET', '/api/bonded/book', 'manager');
    expect(book.body.items).toMatchObject([{ balanceQty: '30', actlIncQty: '30', states: { bonded: '30', list_applied: '0' } }]);

    // Released 1210 orders → second-line exit list, approved with pre-deduction.
    nowMs += 3_600_000;
    const exit = await call('POST', '/api/bonded/lists/exit', 'manager', { released: [{ orderNo: 'O-1', releasedMs: nowMs - 60_000, lines: [{ sku: 'SKU-A', qty: 4 }] }, { orderNo: 'O-2', releasedMs: nowMs - 30_000, lines: [{ sku: 'SKU-A', qty: 6 }] }] });
    expect(exit.body).toMatchObject({ kind: 'second_line_out', lines: [{ gdsSeqno: 1, dclQty: '10' }], sources: ['O-1', 'O-2'] });
    const exNo = exit.body.etpsInnerInvtNo as string;
    expect((await call('POST', `/api/bonded/lists/${exNo}/declare`, 'officer', pricing)).status).toBe(200);
    await receipt({ type: 'INV201', receiptId: 'g-3', etpsInnerInvtNo: exNo, bondInvtNo: 'QD440326E000000002', invtStucd: '0', vrfdedMarkcd: '1' });
    book = await call('GET', '/api/bonded/book', 'officer');
    expect(book.body.items).toMatchObject([{ balanceQty: '30', availableQty: '20', prevdRedcQty: '10' }]);

    // A deduction before the goods pass the gate is refused, moves nothing and raises an alarm.
    const early = await receipt({ type: 'INV211', receiptId: 'g-4', etpsInnerInvtNo: exNo, bondInvtNo: 'QD440326E000000002', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlRedcQty: '10' }] });
    expect(early.body).toMatchObject({ kind: 'refused', code: 'not_passed' });
    expect(alarms).toContain('bonded_receipt_refused:QD440326E000000002');

    // The enterprise prepares and 申报 a second-line slip; the gate gets it only after customs' SAS221.
    const slip = await call('POST', '/api/bonded/slips', 'officer', { ioTypecd: 'E', passportTypecd: '3', bindTypecd: '2', rltTbTypecd: '1', rltNos: ['QD440326E000000002'], vehicleNo: '粤B12345', vehicleWt: '8000', goods: ['P-1', 'P-2'] });
    expect(slip.status).toBe(201);
    const slipKey = slip.body.etpsPreentNo as string;
    expect((await call('POST', `/api/bonded/slips/${slipKey}/apply`, 'manager')).body).toMatchObject({ slip: { stucd: '0', masterCuscd: '4403' } });
    expect(await s.feedGet('slip', 'Z4403E261207000000000001')).toBeNull();
    expect((await receipt({ type: 'SAS221', receiptId: 'g-5', etpsPreentNo: slipKey, manageResult: '1', passportNo: 'Z4403E261207000000000001' })).body).toMatchObject({ kind: 'applied', slip: { stucd: '1' } });
    expect(ReleaseSlip.parse(await s.feedGet('slip', 'Z4403E261207000000000001'))).toMatchObject({ status: 'approved', passportTypecd: '3', goods: ['P-1', 'P-2'] });

    // One passage; the same event again changes nothing; another event finds the slip used.
    expect(await bonded.gatePassage({ eventId: 'ev-1', passportNo: 'Z4403E261207000000000001', laneId: 'L1' })).toMatchObject({ kind: 'done', outcome: { ok: true, completed: true } });
    expect(await bonded.gatePassage({ eventId: 'ev-1', passportNo: 'Z4403E261207000000000001', laneId: 'L1' })).toEqual({ kind: 'replay' });
    expect(await bonded.gatePassage({ eventId: 'ev-2', passportNo: 'Z4403E261207000000000001', laneId: 'L1' })).toMatchObject({ kind: 'done', outcome: { ok: false, reason: 'used' } });
    expect(ReleaseSlip.parse(await s.feedGet('slip', 'Z4403E261207000000000001')).status).toBe('passed');

    // Now the deduction applies: 1 → 2, traceable to its list and receipt.
    expect((await receipt({ type: 'INV211', receiptId: 'g-6', etpsInnerInvtNo: exNo, bondInvtNo: 'QD440326E000000002', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlRedcQty: '10' }] })).body).toMatchObject({ kind: 'applied', list: { vrfdedMarkcd: '2' } });
    const item = await call('GET', '/api/bonded/items/1', 'officer');
    expect(item.body).toMatchObject({ balanceQty: '20', availableQty: '20', prevdRedcQty: '0' });
    expect((item.body.moves as { kind: string; listNo: string; receiptId: string }[]).map((m) => [m.kind, m.listNo, m.receiptId])).toEqual([
      ['actl_redc', 'QD440326E000000002', 'g-6'],
      ['prevd_redc_release', 'QD440326E000000002', 'g-6'],
      ['prevd_redc', 'QD440326E000000002', 'g-3'],
      ['actl_inc', 'QD440326I000000001', 'g-2'],
    ]);
    const list = await call('GET', `/api/bonded/lists/${exNo}`, 'officer');
    expect((list.body.messages as { type: string }[]).map((m) => m.type)).toEqual(['INV101']);

    // Reconciliation: the desks count 19 → one difference, an alarm, on the page.
    const rec = await call('POST', '/api/bonded/reconciliation', 'manager', { physical: [{ sku: 'SKU-A', qty: 19 }] });
    expect(rec.body).toMatchObject({ differences: 1, rows: [{ expectedQty: '20', physicalQty: '19', diffQty: '-1' }] });
    expect(alarms).toContain(`bonded_book_difference:${EMS}#1`);
    expect((await call('GET', '/api/bonded/reconciliation', 'officer')).body).toMatchObject({ rows: [{ diff_qty: '-1' }] });

    // The old officer-issued slip reads beside the new ones, never sent again.
    const slips = (await call('GET', '/api/bonded/slips', 'admin')).body.items as { legacyNo: string | null; stucd: string }[];
    expect(slips.find((x) => x.legacyNo === 'Z5301E260000000000001')).toMatchObject({ stucd: '2' });
    expect((await call('POST', '/api/bonded/slips/LEGACY-Z5301E260000000000001/apply', 'officer')).status).toBe(409);
  });

  it('an empty vehicle passes on its approved slip; lane alarms and passages come through the projection once', async () => {
    const slip = await call('POST', '/api/bonded/slips', 'manager', { ioTypecd: 'E', passportTypecd: '6', vehicleNo: '粤B54321', vehicleWt: '7000' });
    expect(slip.body).toMatchObject({ lines: [], totalWt: '7000', stucd: 'draft' });
    const key = slip.body.etpsPreentNo as string;
    await call('POST', `/api/bonded/slips/${key}/apply`, 'manager');
    await receipt({ type: 'SAS221', receiptId: 'g-e1', etpsPreentNo: key, manageResult: '1', passportNo: 'Z4403E261207000000000002' });
    expect(ReleaseSlip.parse(await s.feedGet('slip', 'Z4403E261207000000000002'))).toMatchObject({ status: 'approved', passportTypecd: '6', goods: [], totalGrossWtKg: 0, totalWtKg: 7000 });
    const j = new JournalBuilder('gw-gate');
    const alarmed = j.next({ type: 'gate.alarmed', stationId: 'GATE-1', payload: { laneId: 'L2', reason: 'plate mismatch', direction: 'out', slipNo: 'Z4403E261207000000000002' } as never }).event!;
    const passed = j.next({ type: 'gate.passed', stationId: 'GATE-1', payload: { laneId: 'L2', direction: 'out', slipNo: 'z4403e261207000000000002' } as never }).event!;
    const projection = bonded.passages();
    await projection.apply('gw-gate', [alarmed, passed]);
    await projection.apply('gw-gate', [alarmed, passed]);
    const after = await call('GET', `/api/bonded/slips/${key}`, 'officer');
    expect(after.body).toMatchObject({ stucd: '2' });
    expect((after.body.passages as { result: string; reason: string | null }[]).map((p) => [p.result, p.reason])).toEqual([['refused', 'plate mismatch'], ['passed', null]]);
    expect(ReleaseSlip.parse(await s.feedGet('slip', 'Z4403E261207000000000002')).status).toBe('passed');
  });

  it('keeps receipts to the customs role and validates bodies', async () => {
    expect((await call('POST', '/api/bonded/receipts', 'officer', { type: 'SAS221' })).status).toBe(403);
    const bad = await call('POST', '/api/bonded/receipts', 'admin', { type: 'SAS221', receiptId: 'x', etpsPreentNo: 'y', manageResult: '1', passportNo: 'short' });
    expect(bad.status).toBe(400);
    expect((await call('GET', '/api/bonded/book', 'operator')).status).toBe(403);
    expect((await call('POST', '/api/bonded/slips', 'officer', { ioTypecd: 'E', passportTypecd: '6', rltNos: ['x'], vehicleNo: '粤B12345', vehicleWt: '1' })).status).toBe(400);
  });
});
