import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFrame, zxingWasmDecoder } from '../drivers/barcode/image-decoder.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { HubConfig } from '../hub/config.ts';
import { applyEngine } from '../hub/customs/cases.ts';
import { PASSPORT_NO, SlipIssueRequest } from '../hub/customs/release-slips.ts';
import { generateDocumentSets, type GeneratedParcel } from '../hub/customs/generate-docs.ts';
import { openCaseRepo } from '../hub/repos/cases.ts';
import { openReleaseSlipRepo } from '../hub/repos/release-slips.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { ReleaseSlipService } from '../hub/services/release-slips.ts';
import { StationFeedService } from '../hub/services/station-feed.ts';
import { JournalBuilder } from '../hub/storage/fixtures.ts';
import type { Storage } from '../hub/storage/storage.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import type { EdgeEvent } from '../shared/schemas/events.ts';
import { freePort } from './helpers/ports.ts';
import { eachStore } from './helpers/stores.ts';

/**
 * A release slip's life through the real hub: released parcels grouped onto a slip by an officer, the slip in the
 * station feed for the gates with a QR code the gate's scanner reads, the gate passage (stored like any edge event and
 * applied by the 'release-slips' projection, here on the hub's start-up catch-up) closing it while its parcels stay
 * bound; refusals named parcel by parcel; a void freeing the parcels; a manager refused.
 */
const log = createLogger('test', (process.env.LOGLEVEL as 'silent') ?? 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-slips-'));
let hub: RunningHub;
const tokens: Record<string, string> = {};

const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const cleared = (p: GeneratedParcel) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: 800, returnTime: '20260301103000123', returnInfo: '' });
const keyOf = (p: GeneratedParcel) => p.set.waybill.logisticsNo;

// Responses are checked field by field against what the API promises: typed loosely on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, path: string, who: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${hub.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: await res.json().catch(() => null) };
}
async function image(path: string): Promise<{ type: string | null; body: Buffer }> {
  const res = await fetch(`${hub.httpUrl}${path}`, { headers: { authorization: `Bearer ${tokens['manager-1']}` } });
  expect(res.status).toBe(200);
  return { type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}
const configAt = async () =>
  parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'slips-test-admin' }, gateways: [{ id: 'GW-SLIP', password: 'gateway-secret-s' }], ingest: { decodeWorkers: 0 } }, 'test');

/** Parcels customs released (800), and one still waiting for its receipt. */
let released: GeneratedParcel[];
let pending: GeneratedParcel;

beforeAll(async () => {
  hub = await startHub(await configAt(), log);
  for (const [u, role] of [['officer-1', 'officer'], ['manager-1', 'manager']] as const) {
    await hub.storage.createUser({ username: u, passwordHash: await hashPassword(`${u}-password`), role, displayName: u, createdMs: Date.now() });
    tokens[u] = ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: `${u}-password` }) })).json()) as { token: string }).token;
  }
  const sets = generateDocumentSets({ seed: 7301 }, 8);
  released = sets.slice(0, 7);
  pending = sets[7]!;
  for (const p of released) expect((await call('POST', '/api/documents', 'officer-1', { documents: [...docs(p), cleared(p)] })).json.outcomes[0].decision).toBe('released');
  await call('POST', '/api/documents', 'officer-1', { documents: docs(pending) });
});
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('release slips', () => {
  let slipNo = '';

  it('issues a slip of released parcels: approved in the feed for the gates, on the audit chain, weights summed', async () => {
    const load = released.slice(0, 3);
    const r = await call('POST', '/api/slips', 'officer-1', { ioType: 'E', vehicleNo: '粤b·12345', vehicleWtKg: 9000, containerNos: ['CSQU 305438 3'], containerWtKg: 2200, sealIds: ['ES-0001'], parcelKeys: load.map(keyOf) });
    expect(r.status).toBe(201);
    slipNo = r.json.slip.passportNo;
    expect(slipNo).toMatch(PASSPORT_NO);
    expect(slipNo.slice(0, 6)).toBe('Z5301E');
    const gross = Math.round(load.reduce((sum, p) => sum + Number(p.set.waybill.weight), 0) * 1000) / 1000;
    expect(r.json).toMatchObject({
      slip: { status: 'approved', ioType: 'E', vehicleNo: '粤B12345', containerNos: ['CSQU3054383'], sealIds: ['ES-0001'], totalGrossWtKg: gross, totalWtKg: Math.round((11_200 + gross) * 1000) / 1000, goods: load.map(keyOf) },
      issuedBy: 'officer-1',
      gatePayload: slipNo,
      blockedAtGate: [],
    });
    expect(r.json.parcels).toEqual(load.map((p) => ({ parcelKey: keyOf(p), caseStatus: 'released', declaredWeightKg: Number(p.set.waybill.weight) })));
    expect(await hub.storage.feedGet('slip', slipNo)).toEqual(r.json.slip);
    const audit = (await hub.storage.auditRange(1, 10_000)).filter((a) => a.subject === slipNo);
    expect(audit.map((a) => [a.actor, a.action, a.detail.parcels])).toEqual([['officer-1', 'slip.issue', 3]]);
  });

  it('refuses a parcel already on an open slip, naming the slip (409)', async () => {
    const r = await call('POST', '/api/slips', 'officer-1', { ioType: 'E', vehicleNo: '粤B54321', parcelKeys: [keyOf(released[3]!), keyOf(released[1]!)] });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('CONFLICT');
    expect(r.json.fields).toEqual([{ field: 'parcelKeys.1', message: `${keyOf(released[1]!)}: already on slip ${slipNo} (approved)` }]);
    // Nothing of the refused slip was bound.
    expect((await call('POST', '/api/slips', 'officer-1', { ioType: 'E', vehicleNo: '粤B54321', parcelKeys: [keyOf(released[3]!)] })).status).toBe(201);
  });

  it('refuses a parcel customs has not released, naming its status (409); a bad request is a 400 per field', async () => {
    const r = await call('POST', '/api/slips', 'officer-1', { ioType: 'E', vehicleNo: '粤B54321', parcelKeys: [keyOf(pending), 'NO-SUCH-PARCEL'] });
    expect(r.status).toBe(409);
    expect(r.json.fields.map((f: { message: string }) => f.message)).toEqual([`${keyOf(pending)}: case is pending, not released`, 'NO-SUCH-PARCEL: no customs case']);
    const bad = await call('POST', '/api/slips', 'officer-1', { ioType: 'E', vehicleNo: 'B12345', containerNos: ['CSQU3054384'], parcelKeys: ['X', 'X'] });
    expect(bad.status).toBe(400);
    expect(bad.json.fields.map((f: { field: string }) => f.field)).toEqual(['body.vehicleNo', 'body.containerNos.0', 'body.parcelKeys.1']);
  });

  it('lets managers read but not issue or void', async () => {
    expect((await call('POST', '/api/slips', 'manager-1', { ioType: 'E', vehicleNo: '粤B54321', parcelKeys: [keyOf(released[4]!)] })).status).toBe(403);
    expect((await call('POST', `/api/slips/${slipNo}/void`, 'manager-1', { reason: 'no' })).status).toBe(403);
    const list = await call('GET', '/api/slips?status=approved', 'manager-1');
    expect(list.status).toBe(200);
    expect(list.json.items.map((s: { slip: { passportNo: string } }) => s.slip.passportNo)).toContain(slipNo);
    expect((await call('GET', '/api/slips?status=bogus', 'manager-1')).status).toBe(400);
    expect((await call('GET', '/api/slips/Z5301E269999999999999', 'manager-1')).status).toBe(404);
  });

  it('renders a QR code the gate scanner reads back as the slip number (SVG and PNG, decoded)', async () => {
    const decoder = zxingWasmDecoder();
    const svg = await image(`/api/slips/${slipNo}/qr.svg`);
    expect(svg.type).toMatch(/^image\/svg\+xml/);
    expect((await decoder.decode(await loadFrame(svg.body, { width: 600 }))).symbols).toEqual([expect.objectContaining({ text: slipNo, format: 'QRCode' })]);
    const png = await image(`/api/slips/${slipNo}/qr.svg?format=png`);
    expect(png.type).toBe('image/png');
    expect((await decoder.decode(await loadFrame(png.body))).symbols.map((d) => d.text)).toEqual([slipNo]);
  });

  it('shows parcels customs stopped after issue; voiding frees them; a void slip cannot be voided again', async () => {
    const load = released.slice(4, 6).map(keyOf);
    const issued = await call('POST', '/api/slips', 'officer-1', { ioType: 'E', vehicleNo: '粤BD12345', parcelKeys: load });
    const no = issued.json.slip.passportNo as string;
    expect((await call('POST', `/api/cases/${load[0]}/actions`, 'officer-1', { action: 'hold', reason: 'tip-off' })).status).toBe(200);
    const detail = await call('GET', `/api/slips/${no}`, 'manager-1');
    expect(detail.json.blockedAtGate).toEqual([{ parcelKey: load[0], caseStatus: 'held' }]);
    expect(detail.json.parcels.map((p: { caseStatus: string }) => p.caseStatus)).toEqual(['held', 'released']);

    expect((await call('POST', `/api/slips/${no}/void`, 'officer-1', {})).status).toBe(400);
    const v = await call('POST', `/api/slips/${no}/void`, 'officer-1', { reason: '货物被布控 load held' });
    expect(v.status).toBe(200);
    expect(v.json).toMatchObject({ slip: { status: 'void' }, voidReason: '货物被布控 load held', voidedBy: 'officer-1', blockedAtGate: [] });
    expect(await hub.storage.feedGet('slip', no)).toMatchObject({ status: 'void' });
    expect((await call('POST', `/api/slips/${no}/void`, 'officer-1', { reason: 'again' })).status).toBe(409);
    // The released parcel of the void slip goes on a new one.
    expect((await call('POST', '/api/slips', 'officer-1', { ioType: 'E', vehicleNo: '粤BD12345', parcelKeys: [load[1]] })).status).toBe(201);
    const audit = (await hub.storage.auditRange(1, 10_000)).filter((a) => a.subject === no).map((a) => [a.actor, a.action, a.detail.reason]);
    expect(audit).toEqual([
      ['officer-1', 'slip.issue', undefined],
      ['officer-1', 'slip.void', '货物被布控 load held'],
    ]);
  });

  it('closes the slip on the gate passage (replayed on start-up, once); its parcels stay bound; it can no longer be voided', async () => {
    const gw = new JournalBuilder('GW-SLIP');
    const passed = gw.next({ type: 'gate.passed', stationId: 'GATE-OUT-1', payload: { laneId: 'OUT-1', direction: 'out', slipNo, vehicleNo: '粤B12345', weighbridgeKg: 11_210 } });
    // Stored as the ingest path stores it, but never handed to the projection: a hub killed right after the commit.
    await hub.storage.ingest('GW-SLIP', [passed], { receivedMs: Date.now() });
    await hub.stop();
    hub = await startHub(await configAt(), log);
    expect(await hub.storage.feedGet('slip', slipNo)).toMatchObject({ status: 'passed' });
    const detail = await call('GET', `/api/slips/${slipNo}`, 'officer-1');
    expect(detail.json.slip.status).toBe('passed');
    const again = await call('POST', '/api/slips', 'officer-1', { ioType: 'E', vehicleNo: '粤B54321', parcelKeys: [keyOf(released[0]!)] });
    expect(again.status).toBe(409);
    expect(again.json.fields[0].message).toBe(`${keyOf(released[0]!)}: already on slip ${slipNo} (passed)`);
    expect((await call('POST', `/api/slips/${slipNo}/void`, 'officer-1', { reason: 'too late' })).status).toBe(409);

    // Another start replays the same passage again (within the catch-up margin): nothing moves twice.
    await hub.stop();
    hub = await startHub(await configAt(), log);
    const passages = (await hub.storage.auditRange(1, 10_000)).filter((a) => a.subject === slipNo && a.action === 'slip.passage');
    expect(passages.map((a) => [a.actor, a.detail.status, a.detail.laneId])).toEqual([['gateway:GW-SLIP', 'passed', 'OUT-1']]);
    expect((await call('GET', '/api/audit/verify', 'manager-1')).json).toMatchObject({ ok: true });
  });
});

/** The projection on its own, against both stores: what a gate passage does to slips issued here and slips put into the feed by hand. */
eachStore('release-slips projection', (store) => {
  const T = Date.UTC(2026, 2, 1, 4);
  const gw = new JournalBuilder('GW-P');
  const gatePassed = (slipNo: string, laneId: string) => gw.next({ type: 'gate.passed', stationId: laneId, payload: { laneId, direction: 'out', slipNo } }).event as EdgeEvent;
  let service: ReleaseSlipService;
  let s: Storage;
  const audits = async (subject: string) => (await s.auditRange(1, 10_000)).filter((a) => a.subject === subject && a.action === 'slip.passage').map((a) => a.detail.status);

  beforeAll(async () => {
    s = store();
    const cases = openCaseRepo(s.sql);
    await cases.migrate();
    const slips = openReleaseSlipRepo(s.sql);
    await slips.migrate();
    const feed = new StationFeedService({ storage: s, log, publish: () => undefined, gateways: async () => [], signing: { privateKeyPem: '', keyId: 'unused' } });
    service = new ReleaseSlipService({ storage: s, slips, cases, feed, log, now: () => T });
    for (const k of ['PJ-1', 'PJ-2']) {
      await cases.update(k, () => applyEngine(undefined, { parcelKey: k, orderNo: `O-${k}`, direction: 'import', tradeMode: '1210', release: { decision: 'released', reasons: [] }, risk: { level: 'low', reasons: [], rulesVersion: 'r' }, matchComplete: true, matchConsistent: true, customsStatus: 800, buyerKey: null, buyerIdMasked: null, valueCny: '10', year: 2026, ebcCode: null, declaredWeightKg: 1.5 }, T), T);
    }
    // The demo's hand-made slip holds the zone's first number.
    await feed.put([{ kind: 'slip', key: 'Z5301E260000000000001', value: { passportNo: 'Z5301E260000000000001', ioType: 'E', status: 'approved', gateMode: 'double', vehicleNo: '粤B12345', vehicleWtKg: 9000, totalGrossWtKg: 3000, goods: [] } }]);
  });

  it('numbers around a slip put into the feed by hand', async () => {
    const issued = await service.issue(SlipIssueRequest.parse({ ioType: 'E', vehicleNo: '粤B12345', parcelKeys: ['PJ-1'] }), 'officer-1');
    expect(issued.slip.passportNo).toBe('Z5301E260000000000002');
    expect(await s.feedGet('slip', 'Z5301E260000000000001')).toMatchObject({ goods: [], totalGrossWtKg: 3000 });
  });

  it('moves a hand-made double-gate slip gate by gate, each passage once', async () => {
    const no = 'Z5301E260000000000001';
    const gate1 = gatePassed(no, 'GATE1');
    await service.passages().apply('GW-P', [gate1]);
    expect(await s.feedGet('slip', no)).toMatchObject({ status: 'passed_gate1' });
    // Redelivered: gate 1's passage must not be taken for gate 2's.
    await service.passages().apply('GW-P', [gate1]);
    expect(await s.feedGet('slip', no)).toMatchObject({ status: 'passed_gate1' });
    await service.passages().apply('GW-P', [gate1, gatePassed(no, 'GATE2')]);
    expect(await s.feedGet('slip', no)).toMatchObject({ status: 'passed' });
    expect(await audits(no)).toEqual(['passed_gate1', 'passed']);
  });

  it("finishes a push to the feed that a crash cut short, on the event's replay", async () => {
    const no = 'Z5301E260000000000002';
    const passed = gatePassed(no, 'OUT-1');
    await service.passages().apply('GW-P', [passed]);
    expect(await s.feedGet('slip', no)).toMatchObject({ status: 'passed' });
    expect((await service.detail(no)).slip.status).toBe('passed');
    // As if the hub died after committing the passage and before the feed push: the gates still see it approved.
    await s.putFeed([{ kind: 'slip', key: no, value: { ...(await service.detail(no)).slip, status: 'approved' } }]);
    await service.passages().apply('GW-P', [passed]);
    expect(await s.feedGet('slip', no)).toMatchObject({ status: 'passed' });
    expect((await service.detail(no)).slip.status).toBe('passed');
  });

  it('ignores a passage naming a slip nobody issued, and one without a slip', async () => {
    await service.passages().apply('GW-P', [gatePassed('Z5301E260000000000077', 'OUT-1'), gw.next({ type: 'gate.passed', stationId: 'OUT-1', payload: { laneId: 'OUT-1', direction: 'out' } }).event as EdgeEvent]);
    expect(await s.feedGet('slip', 'Z5301E260000000000077')).toBeNull();
    expect(await audits('Z5301E260000000000077')).toEqual([]);
  });
});
