import * as dec from '../shared/decimal.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { generateDocumentSets, reprice, type GeneratedParcel } from '../hub/customs/generate-docs.ts';
import { HubConfig } from '../hub/config.ts';
import type { CaseRecord } from '../hub/repos/cases.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';

/**
 * The officers' queue through the real hub: documents decided into cases, the buyer's annual total counted across
 * orders, officer actions and bulk actions with reasons on the audit chain and pushed to the stations, and the
 * roles that may not act refused — a manager, an operator, a gateway's MQTT credentials used as an API token.
 */
const log = createLogger("test", (process.env.LOGLEVEL as "silent") ?? "silent");
const dir = mkdtempSync(join(tmpdir(), 'bg-officer-'));
let hub: RunningHub;
const tokens: Record<string, string> = {};

const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const cleared = (p: GeneratedParcel, status = 800) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: status, returnTime: '20260301103000123', returnInfo: '' });
/** The same person buys all of these: name, ID and phone copied into every document that carries them. */
function boughtBy(p: GeneratedParcel, buyer: GeneratedParcel): GeneratedParcel {
  const b = buyer.set.order;
  const who = { buyerName: b.buyerName, buyerIdNumber: b.buyerIdNumber, buyerIdType: b.buyerIdType, buyerTelephone: b.buyerTelephone };
  return { ...p, set: { ...p.set, order: { ...p.set.order, ...who, buyerRegNo: b.buyerRegNo }, inventory: { ...p.set.inventory, ...who }, payment: { ...p.set.payment, payerName: b.buyerName, payerIdNumber: b.buyerIdNumber, payerIdType: b.buyerIdType } } };
}

async function call(method: string, path: string, who: string, body?: unknown): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- test responses of many shapes */ {
  const res = await fetch(`${hub.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who] ?? who}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: await res.json().catch(() => null) };
}

beforeAll(async () => {
  hub = await startHub(
    parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'officer-test-admin' }, gateways: [{ id: 'GW-OFF-1', password: 'gateway-secret-1' }], riskRules: { version: 'zone-test' } }, 'test'),
    log,
  );
  for (const [u, role] of [['officer-1', 'officer'], ['officer-2', 'officer'], ['manager-1', 'manager'], ['operator-1', 'operator']] as const) {
    await hub.storage.createUser({ username: u, passwordHash: await hashPassword(`${u}-password`), role, displayName: u, createdMs: Date.now() });
    tokens[u] = ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: `${u}-password` }) })).json()) as { token: string }).token;
  }
});
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('officer queue and actions', () => {
  it("counts the buyer's annual total across orders: the order that takes it over ¥26,000 goes to the queue", async () => {
    const sets = generateDocumentSets({ seed: 501 }, 3);
    // Each just under the ¥5,000 single-transaction limit.
    const buyer = sets[0]!;
    const priced = sets.map((p) => boughtBy(reprice(p, 4900 / (Number(p.set.order.goodsValue) + Number(p.set.order.freight) + Number(p.set.inventory.insuredFee))), buyer));
    const decisions: string[] = [];
    for (const p of priced) {
      const r = await call('POST', '/api/documents', 'officer-1', { documents: [...docs(p), cleared(p)] });
      expect(r.status).toBe(200);
      decisions.push(r.json.outcomes[0].decision);
    }
    // Three stay within ¥26,000: all released. Three more: the sixth takes the year over the limit.
    expect(decisions).toEqual(['released', 'released', 'released']);
    const more = generateDocumentSets({ seed: 502 }, 3).map((p) => boughtBy(reprice(p, 4900 / (Number(p.set.order.goodsValue) + Number(p.set.order.freight) + Number(p.set.inventory.insuredFee))), buyer));
    const later: { decision: string; reasons: { rule: string; message: string }[] }[] = [];
    for (const p of more) later.push((await call('POST', '/api/documents', 'officer-1', { documents: [...docs(p), cleared(p)] })).json.outcomes[0]);
    expect(later.map((o) => o.decision)).toEqual(['released', 'released', 'pending']);
    expect(later[2]!.reasons.map((r) => r.rule)).toContain('risk:value.annual-limit');
    // The year-to-date named is exactly the five earlier parcels' values.
    const earlier = [...priced, ...more.slice(0, 2)].map((p) => p.set.waybill.logisticsNo);
    // Stored exactly (TEXT on SQLite, NUMERIC on PostgreSQL: read as text) and summed exactly.
    const rows = await hub.storage.sql.all<{ value_cny: string }>(`SELECT CAST(value_cny AS TEXT) AS value_cny FROM customs_cases WHERE parcel_key IN (${earlier.map(() => '?').join(',')})`, earlier);
    const ytd = dec.sum(rows.map((r) => r.value_cny));
    expect(rows).toHaveLength(5);
    expect(dec.gt(ytd, '20000')).toBe(true);
    expect(later[2]!.reasons.find((r) => r.rule === 'risk:value.annual-limit')!.message).toContain(`year-to-date ¥${dec.toFixed(ytd, 2)}`);
    // The queue shows it, with the buyer masked.
    const queue = await call('GET', `/api/cases?status=pending&q=${encodeURIComponent(more[2]!.set.waybill.logisticsNo)}`, 'manager-1');
    expect(queue.status).toBe(200);
    expect(queue.json.items).toHaveLength(1);
    expect(queue.json.items[0].buyerIdMasked).toContain('*');
    expect(JSON.stringify(queue.json)).not.toContain(buyer.set.order.buyerIdNumber);
  });

  it('an officer holds, orders inspection and records its result; each step reaches the stations and the audit chain', async () => {
    const [p] = generateDocumentSets({ seed: 610 }, 1);
    await call('POST', '/api/documents', 'officer-1', { documents: [...docs(p!), cleared(p!)] });
    const key = p!.set.waybill.logisticsNo;
    const feedDecision = async () => ((await hub.storage.feedGet('decision', key)) as { decision: string; reason?: string }).decision;
    expect(await feedDecision()).toBe('released');

    let r = await call('POST', `/api/cases/${key}/actions`, 'officer-1', { action: 'hold', reason: '线索核查 tip-off' });
    expect(r.status).toBe(200);
    expect(r.json.case).toMatchObject({ status: 'held', officerHold: true, decidedBy: 'officer-1' });
    expect(await feedDecision()).toBe('hold');
    // A new receipt does not release over the officer's hold.
    await call('POST', '/api/documents', 'officer-1', { documents: [{ ...cleared(p!, 899), returnTime: '20260301113000123' }] });
    expect((await call('GET', `/api/cases/${key}`, 'officer-1')).json.case.status).toBe('held');

    // Acting on a stale version is refused.
    const version = (await call('GET', `/api/cases/${key}`, 'officer-2')).json.case.version as number;
    const stale = await call('POST', `/api/cases/${key}/actions`, 'officer-2', { action: 'inspect', reason: 'open it', expectedVersion: version - 1 });
    expect(stale.status).toBe(409);
    // The refusal says why as a code the dashboard renders in its reader's language; the message stays English.
    expect(stale.json).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('changed since you read it'), reason: { code: 'refuse.version', params: { now: version, had: version - 1 } } });
    r = await call('POST', `/api/cases/${key}/actions`, 'officer-2', { action: 'inspect', reason: 'open it', expectedVersion: version });
    expect(r.json.case.status).toBe('inspection');
    expect(await feedDecision()).toBe('inspect');
    r = await call('POST', `/api/cases/${key}/actions`, 'officer-2', { action: 'result', result: 'seize', reason: '夹藏 concealed goods' });
    expect(r.json.case).toMatchObject({ status: 'seized', inspectionResult: 'seize' });
    const closed = await call('POST', `/api/cases/${key}/actions`, 'officer-1', { action: 'release', reason: 'mistake' });
    expect(closed.status).toBe(409);
    expect(closed.json.reason).toEqual({ code: 'refuse.closed', params: { status: 'seized' } });

    const audit = (await hub.storage.auditRange(1, 10_000)).filter((e) => e.subject === key && e.action.startsWith('officer.'));
    expect(audit.map((e) => [e.action, e.actor, e.detail.to, e.detail.reason])).toEqual([
      ['officer.hold', 'officer-1', 'held', '线索核查 tip-off'],
      ['officer.inspect', 'officer-2', 'inspection', 'open it'],
      ['officer.result', 'officer-2', 'seized', '夹藏 concealed goods'],
    ]);
    // The parcel's timeline carries customs' side: the case and the receipts in time order.
    const timeline = await call('GET', `/api/parcels/${key}`, 'manager-1');
    expect(timeline.status).toBe(200);
    expect(timeline.json.parcel).toBeNull(); // no station has seen it yet
    expect(timeline.json.customs.case).toMatchObject({ status: 'seized' });
    expect(timeline.json.customs.receipts.map((r: { returnStatus: number }) => r.returnStatus)).toEqual([800, 899]);
    const verify = await call('GET', '/api/audit/verify', 'manager-1');
    expect(verify.json).toMatchObject({ ok: true });
  });

  it('refuses to release a parcel whose documents are incomplete', async () => {
    const [p] = generateDocumentSets({ seed: 620 }, 1);
    const withoutPayment = docs(p!).filter((d) => d.kind !== 'payment');
    await call('POST', '/api/documents', 'officer-1', { documents: [...withoutPayment, cleared(p!)] });
    const r = await call('POST', `/api/cases/${p!.set.waybill.logisticsNo}/actions`, 'officer-1', { action: 'release', reason: 'looks fine' });
    expect(r.status).toBe(409);
    expect(r.json.message).toMatch(/incomplete/);
  });

  it('bulk: releases a filtered set, each refusal named; a bulk without a filter is refused', async () => {
    const sets = generateDocumentSets({ seed: 630 }, 6);
    // No customs receipt yet: all pending. Then customs clears four; two stay without a receipt.
    for (const p of sets) await call('POST', '/api/documents', 'officer-1', { documents: docs(p) });
    for (const p of sets.slice(0, 4)) await call('POST', '/api/documents', 'officer-1', { documents: [cleared(p)] });
    const keys = sets.map((p) => p.set.waybill.logisticsNo);
    expect((await call('POST', '/api/cases/bulk', 'officer-1', { action: 'release', reason: 'batch', filter: {} })).status).toBe(400);
    const r = await call('POST', '/api/cases/bulk', 'officer-1', { action: 'hold', reason: '批量布控 batch hold', parcelKeys: keys });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ applied: 6, refused: 0 });
    const again = await call('POST', '/api/cases/bulk', 'officer-1', { action: 'hold', reason: 'again', parcelKeys: [keys[0], 'NO-SUCH-PARCEL'] });
    expect(again.json.results).toEqual([
      { parcelKey: keys[0], ok: false, message: 'already held', reason: { code: 'refuse.already-held' } },
      { parcelKey: 'NO-SUCH-PARCEL', ok: false, message: expect.stringContaining('no customs case'), reason: { code: 'refuse.no-case' } },
    ]);
    const released = await call('POST', '/api/cases/bulk', 'officer-1', { action: 'release', reason: 'cleared after check', filter: { status: ['held'], orderNo: sets[0]!.set.order.orderNo } });
    expect(released.json).toMatchObject({ applied: 1, refused: 0 });
    const statuses = (await hub.storage.sql.all<{ status: string }>(`SELECT status FROM customs_cases WHERE parcel_key IN (${keys.map(() => '?').join(',')}) ORDER BY parcel_key`, keys)).map((x) => x.status);
    expect(statuses.filter((s) => s === 'released')).toHaveLength(1);
    // Only customs releases: a parcel whose list has no 800 is not released by an officer (releaseAuthority receipt).
    const unreleased = await call('POST', '/api/cases/bulk', 'officer-1', { action: 'release', reason: 'cleared after check', filter: { status: ['held'], orderNo: sets[5]!.set.order.orderNo } });
    expect(unreleased.json).toMatchObject({ applied: 0, refused: 1, results: [{ ok: false, message: expect.stringContaining('only customs releases') }] });
  });

  it('only officers act: a manager, an operator, an admin and a gateway credential are refused, and nothing changes', async () => {
    const [p] = generateDocumentSets({ seed: 640 }, 1);
    await call('POST', '/api/documents', 'officer-1', { documents: docs(p!) });
    const key = p!.set.waybill.logisticsNo;
    const before = (await call('GET', `/api/cases/${key}`, 'manager-1')).json.case as CaseRecord;
    for (const who of ['manager-1', 'operator-1']) {
      expect((await call('POST', `/api/cases/${key}/actions`, who, { action: 'release', reason: 'x' })).status).toBe(403);
      expect((await call('POST', '/api/cases/bulk', who, { action: 'release', reason: 'x', parcelKeys: [key] })).status).toBe(403);
    }
    expect((await call('GET', '/api/cases', 'operator-1')).status).toBe(403);
    // A gateway's MQTT password is not an API credential, whether as a bearer token or as a login.
    expect((await call('POST', `/api/cases/${key}/actions`, 'gateway-secret-1', { action: 'release', reason: 'x' })).status).toBe(401);
    const gwLogin = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'GW-OFF-1', password: 'gateway-secret-1' }) });
    expect(gwLogin.status).toBe(401);
    // …and an officer's session token is no MQTT credential either.
    const c = mqtt.connect(hub.mqttUrl, { username: 'officer-1', password: tokens['officer-1'], reconnectPeriod: 0, connectTimeout: 3000 });
    const refused = await new Promise<boolean>((resolve) => {
      c.once('connect', () => resolve(false));
      c.once('error', () => resolve(true));
      c.once('close', () => resolve(true));
    });
    c.end(true);
    expect(refused).toBe(true);
    // Hostile input is data: SQL metacharacters in a filter and in a parcel key.
    expect((await call('GET', `/api/cases?q=${encodeURIComponent("' OR 1=1 --")}`, 'officer-1')).json.items).toEqual([]);
    expect((await call('POST', `/api/cases/${encodeURIComponent("x'; DROP TABLE customs_cases; --")}/actions`, 'officer-1', { action: 'hold', reason: 'x' })).status).toBe(404);
    expect((await call('GET', `/api/cases/${key}`, 'manager-1')).json.case).toEqual(before);
  });

  it('refuses a 50 MB upload on the documents route (JSON and XML) without storing anything, and keeps answering', async () => {
    const before = (await hub.storage.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM customs_documents'))[0]!.n;
    const big = 'x'.repeat(50 * 1024 * 1024);
    for (const [type, body] of [
      ['application/json', `{"documents":[{"kind":"order","note":"${big}"}]}`],
      ['application/xml', `<?xml version="1.0"?><ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb"><!--${big}--></ceb:CEB311Message>`],
    ] as const) {
      const res = await fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${tokens['officer-1']}` }, body });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    }
    expect((await hub.storage.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM customs_documents'))[0]!.n).toBe(before);
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
  });

  it('masks the buyer in the documents for managers, shows officers and audits that they looked', async () => {
    const [p] = generateDocumentSets({ seed: 650 }, 1);
    await call('POST', '/api/documents', 'officer-1', { documents: docs(p!) });
    const key = p!.set.waybill.logisticsNo;
    const id = p!.set.order.buyerIdNumber;
    const asManager = await call('GET', `/api/cases/${key}`, 'manager-1');
    expect(asManager.json.piiMasked).toBe(true);
    expect(JSON.stringify(asManager.json)).not.toContain(id);
    expect(JSON.stringify(asManager.json)).not.toContain(p!.set.order.buyerTelephone);
    const asOfficer = await call('GET', `/api/cases/${key}`, 'officer-1');
    expect(JSON.stringify(asOfficer.json)).toContain(id);
    expect((await hub.storage.auditRange(1, 10_000)).some((e) => e.action === 'pii.view' && e.actor === 'officer-1' && e.subject === key)).toBe(true);
  });
});

describe('exports', () => {
  it('matches an export order, waybill and list (the waybill arriving last finds its order through the list) and releases on the 604 receipt', async () => {
    const { fixtureXml } = await import('../hub/customs/ceb/fixtures.ts');
    const post = async (xml: string) => {
      const res = await fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: `Bearer ${tokens['officer-1']}` }, body: xml });
      expect(res.status).toBe(200);
      return ((await res.json()) as { outcomes: { orderNo: string; parcelKey: string; decision: string; reasons: { rule: string }[]; match: { complete: boolean; consistent: boolean; missing: string[] } }[] }).outcomes;
    };
    let out = await post(fixtureXml('CEB303'));
    expect(out[0]).toMatchObject({ decision: 'pending', match: { complete: false } });
    out = await post(fixtureXml('CEB603'));
    expect(out[0]!.match.missing).toEqual(['exportWaybill']);
    out = await post(fixtureXml('CEB505'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ match: { complete: true, consistent: true } });
    out = await post(fixtureXml('CEB604'));
    expect(out[0]).toMatchObject({ decision: 'released' });
    const c = (await call('GET', `/api/cases/${out[0]!.parcelKey}`, 'manager-1')).json.case as CaseRecord;
    expect(c).toMatchObject({ direction: 'export', status: 'released', buyerKey: null });
    expect(await hub.storage.feedGet('decision', out[0]!.parcelKey)).toMatchObject({ decision: 'released' });
  });
});
