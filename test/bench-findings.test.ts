import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { HubConfig } from '../hub/config.ts';
import { generateDocumentSets } from '../hub/customs/generate-docs.ts';
import { generateJournalKeys } from '../shared/journal-chain.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { loadOrCreateSigningKey } from '../hub/signing-key.ts';
import { JournalBuilder } from '../hub/storage/fixtures.ts';
import { signBenchToken, verifyBenchToken } from '../shared/bench-token.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import type { EdgeEvent } from '../shared/schemas/events.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Issue 13 item 1, through the real hub: a gateway is not a customs officer. Only the benches the hub is configured
 * with send findings; a finding never releases nor lifts a hold; the officer is named only from a hub-signed bench
 * token, and the audit chain keeps the gateway and the verified identity apart.
 */
const log = createLogger('test', (process.env.LOGLEVEL as 'silent') ?? 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-bench-'));
let hub: RunningHub;
const tokens: Record<string, string> = {};
const journals = new Map<string, JournalBuilder>();
let seed = 7000;

async function call(method: string, path: string, who: string, body?: unknown): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- test responses of many shapes */ {
  const res = await fetch(`${hub.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who] ?? who}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** A case released by customs (complete documents, cleared receipt); its parcel key. */
async function releasedCase(): Promise<string> {
  const [p] = generateDocumentSets({ seed: seed++ }, 1);
  const docs = Object.entries(p!.set).map(([kind, d]) => ({ kind, ...(d as object) }));
  const receipt = { kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p!.set.inventory.copNo }, returnStatus: 800, returnTime: '20260301103000123', returnInfo: '' };
  expect((await call('POST', '/api/documents', 'officer-1', { documents: [...docs, receipt] })).status).toBe(200);
  const key = p!.set.waybill.logisticsNo;
  expect((await call('GET', `/api/cases/${key}`, 'officer-1')).json.case.status).toBe('released');
  return key;
}

/** One officer.action as a gateway's journal carries it, stored and handed to the read models as the ingest does. */
async function send(gatewayId: string, stationId: string, parcelKey: string, payload: { action: 'pass' | 'seize' | 'return' | 'release' | 'hold'; officerId?: string; reason?: string; officerToken?: string }, atMs = Date.now()): Promise<EdgeEvent> {
  let j = journals.get(gatewayId);
  if (!j) journals.set(gatewayId, (j = new JournalBuilder(gatewayId)));
  const entry = j.next({ type: 'officer.action', stationId, parcelKey, payload: { officerId: payload.officerId ?? 'op-7', action: payload.action, reason: payload.reason ?? 'at the bench', ...(payload.officerToken ? { officerToken: payload.officerToken } : {}) } }, atMs);
  await hub.storage.ingest(gatewayId, [entry], { receivedMs: Date.now() });
  hub.projections.onEvents(gatewayId, [entry.event as EdgeEvent]);
  await hub.projections.drained();
  return entry.event as EdgeEvent;
}

const caseOf = async (key: string) => (await call('GET', `/api/cases/${key}`, 'officer-1')).json.case;
const auditOf = async (key: string, action: string) => (await hub.storage.auditRange(1, 100_000)).filter((e) => e.subject === key && e.action === action);
const feedDecision = async (key: string) => ((await hub.storage.feedGet('decision', key)) as { decision: string }).decision;

beforeAll(async () => {
  hub = await startHub(
    parseConfig(
      HubConfig,
      {
        dataDir: join(dir, 'hub'),
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
        auth: { adminPassword: 'bench-test-admin' },
        gateways: [{ id: 'GW-BENCH', password: 'gateway-secret-1' }, { id: 'GW-B2', password: 'gateway-secret-2' }, { id: 'GW-LINE', password: 'gateway-secret-3' }],
        benches: [{ gatewayId: 'GW-BENCH', stationId: 'BENCH-1' }, { gatewayId: 'GW-B2', stationId: 'BENCH-2' }],
        riskRules: { version: 'zone-test' },
      },
      'test',
    ),
    log,
  );
  for (const [u, role] of [['officer-1', 'officer'], ['manager-1', 'manager'], ['operator-1', 'operator']] as const) {
    await hub.storage.createUser({ username: u, passwordHash: await hashPassword(`${u}-password`), role, displayName: u, createdMs: Date.now() });
    tokens[u] = ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: `${u}-password` }) })).json()) as { token: string }).token;
  }
  tokens.admin = ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-test-admin' }) })).json()) as { token: string }).token;
});
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bench tokens', () => {
  it('only officers get one, only for a configured bench; it verifies with the rules public key and is audited without the token', async () => {
    for (const who of ['manager-1', 'operator-1', 'admin']) expect((await call('POST', '/api/bench-tokens', who, { gatewayId: 'GW-BENCH', stationId: 'BENCH-1' })).status).toBe(403);
    expect((await call('POST', '/api/bench-tokens', 'nobody', { gatewayId: 'GW-BENCH', stationId: 'BENCH-1' })).status).toBe(401);
    expect((await call('POST', '/api/bench-tokens', 'officer-1', { gatewayId: 'GW-LINE', stationId: 'LINE-1' })).status).toBe(404);
    expect((await call('POST', '/api/bench-tokens', 'officer-1', { gatewayId: 'GW-BENCH' })).status).toBe(400);
    expect((await call('GET', '/api/bench-tokens/benches', 'officer-1')).json.items).toEqual([{ gatewayId: 'GW-BENCH', stationId: 'BENCH-1' }, { gatewayId: 'GW-B2', stationId: 'BENCH-2' }]);

    const r = await call('POST', '/api/bench-tokens', 'officer-1', { gatewayId: 'GW-BENCH', stationId: 'BENCH-1' });
    expect(r.status).toBe(201);
    expect(r.json.claims).toMatchObject({ officer: 'officer-1', gatewayId: 'GW-BENCH', stationId: 'BENCH-1' });
    expect(r.json.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(r.json.claims.expiresAtMs - r.json.claims.issuedAtMs).toBe(12 * 3600_000);
    const check = verifyBenchToken(r.json.token, hub.rulesPublicKeyPem, { gatewayId: 'GW-BENCH', stationId: 'BENCH-1', atMs: Date.now() });
    expect(check).toMatchObject({ ok: true, claims: { officer: 'officer-1' } });
    expect(verifyBenchToken(r.json.token, hub.rulesPublicKeyPem, { gatewayId: 'GW-BENCH', stationId: 'BENCH-9', atMs: Date.now() })).toEqual({ ok: false, reason: 'wrong_station' });
    const issued = await auditOf('bench:GW-BENCH/BENCH-1', 'bench.token');
    expect(issued.at(-1)).toMatchObject({ actor: 'officer-1', detail: { gateway: 'GW-BENCH', station: 'BENCH-1' } });
    expect(JSON.stringify(issued)).not.toContain(r.json.token.split('.')[1]);
  });
});

describe('officer actions from the edge', () => {
  it('a gateway that is no bench cannot release, seize or hold: nothing changes, an alarm is raised and the audit names the gateway', async () => {
    const key = await releasedCase();
    await call('POST', `/api/cases/${key}/actions`, 'officer-1', { action: 'hold', reason: 'tip-off' });
    const before = await caseOf(key);
    expect(before).toMatchObject({ status: 'held', officerHold: true });
    // A gateway with no bench at all, and a configured bench gateway's other station.
    await send('GW-LINE', 'BENCH-1', key, { action: 'release', officerId: 'officer-1' });
    await send('GW-BENCH', 'LINE-1', key, { action: 'pass', officerId: 'officer-1' });
    const other = await releasedCase();
    await send('GW-LINE', 'DESK-1', other, { action: 'seize', reason: 'forged seizure' });

    expect(await caseOf(key)).toEqual(before);
    expect(await caseOf(other)).toMatchObject({ status: 'released', officerHold: false, decidedBy: 'auto', benchFindings: [] });
    expect(await feedDecision(key)).toBe('hold');
    expect(await feedDecision(other)).toBe('released');

    const alarms = (await call('GET', '/api/alarms?state=open', 'officer-1')).json.items as { gatewayId: string; kind: string; subject: string; severity: string }[];
    expect(alarms.filter((a) => a.kind === 'bench_refused').map((a) => [a.gatewayId, a.subject, a.severity]).sort()).toEqual([
      ['GW-BENCH', 'LINE-1', 'critical'],
      ['GW-LINE', 'BENCH-1', 'critical'],
      ['GW-LINE', 'DESK-1', 'critical'],
    ]);
    const refused = await auditOf(key, 'bench.refused');
    expect(refused.map((e) => [e.actor, e.detail.gateway, e.detail.station, e.detail.operator, e.detail.officerVerified, e.detail.finding])).toEqual([
      ['gateway:GW-LINE', 'GW-LINE', 'BENCH-1', 'officer-1', false, 'release'],
      ['gateway:GW-BENCH', 'GW-BENCH', 'LINE-1', 'officer-1', false, 'pass'],
    ]);
    expect((await auditOf(other, 'bench.refused')).map((e) => e.actor)).toEqual(['gateway:GW-LINE']);
    expect((await hub.storage.auditRange(1, 100_000)).filter((e) => (e.subject === key || e.subject === other) && e.action.startsWith('officer.')).map((e) => e.actor)).toEqual(['officer-1']);
  });

  it('a configured bench passing a held parcel: the hold stays, the finding is recorded with the operator, unverified', async () => {
    const key = await releasedCase();
    await call('POST', `/api/cases/${key}/actions`, 'officer-1', { action: 'hold', reason: 'tip-off' });
    const e = await send('GW-BENCH', 'BENCH-1', key, { action: 'pass', officerId: 'op-7', reason: 'nothing found' });
    const c = await caseOf(key);
    expect(c).toMatchObject({ status: 'held', officerHold: true, decidedBy: 'officer-1', inspectionResult: null });
    expect(c.benchFindings).toEqual([{ eventId: e.id, atMs: e.time.wallMs, gatewayId: 'GW-BENCH', stationId: 'BENCH-1', finding: 'pass', reason: 'nothing found', operator: 'op-7', officer: null, officerVerified: false }]);
    expect(await feedDecision(key)).toBe('hold');
    expect((await auditOf(key, 'bench.finding')).map((x) => [x.actor, x.detail.operator, x.detail.officerVerified, x.detail.from, x.detail.to])).toEqual([['gateway:GW-BENCH', 'op-7', false, 'held', 'held']]);
    // A replay of the same event records nothing twice.
    hub.projections.onEvents('GW-BENCH', [e]);
    await hub.projections.drained();
    expect((await caseOf(key)).benchFindings).toHaveLength(1);
    expect(await auditOf(key, 'bench.finding')).toHaveLength(1);
    // An inspection ordered at the hub is not ended by a bench pass either: the officer records the result here.
    await call('POST', `/api/cases/${key}/actions`, 'officer-1', { action: 'inspect', reason: 'open it' });
    await send('GW-BENCH', 'BENCH-1', key, { action: 'pass' });
    expect(await caseOf(key)).toMatchObject({ status: 'inspection', inspectionResult: null });
  });

  it('a seize or return finding holds a released parcel for an officer, never closes the case', async () => {
    const key = await releasedCase();
    await send('GW-BENCH', 'BENCH-1', key, { action: 'seize', reason: 'undeclared batteries' });
    expect(await caseOf(key)).toMatchObject({ status: 'held', officerHold: true, decidedBy: 'gateway:GW-BENCH', inspectionResult: null });
    expect(await feedDecision(key)).toBe('hold');
    const other = await releasedCase();
    await send('GW-B2', 'BENCH-2', other, { action: 'return', reason: 'wrong goods' });
    expect(await caseOf(other)).toMatchObject({ status: 'held', officerHold: true });
    // The officer decides at the hub.
    expect((await call('POST', `/api/cases/${key}/actions`, 'officer-1', { action: 'result', result: 'seize', reason: 'confirmed' })).json.case.status).toBe('seized');
  });

  it('a forged, expired or wrong-gateway token never names the officer; a valid one does, apart from the gateway and the operator', async () => {
    const own = (await call('POST', '/api/bench-tokens', 'officer-1', { gatewayId: 'GW-BENCH', stationId: 'BENCH-1' })).json.token as string;
    const hubKey = loadOrCreateSigningKey(join(dir, 'hub'));
    const now = Date.now();
    const claims = { v: 1 as const, officer: 'officer-1', gatewayId: 'GW-BENCH', stationId: 'BENCH-1', issuedAtMs: now - 13 * 3600_000, expiresAtMs: now - 3600_000 };
    const expired = signBenchToken(claims, hubKey.privateKeyPem);
    const forged = signBenchToken({ ...claims, issuedAtMs: now - 60_000, expiresAtMs: now + 3600_000 }, generateJournalKeys().privateKeyPem);
    const tampered = `${Buffer.from(JSON.stringify({ ...claims, officer: 'chief', issuedAtMs: now - 60_000, expiresAtMs: now + 3600_000 })).toString('base64url')}.${own.split('.')[1]}`;
    const bad: [string, string, string][] = [
      ['GW-BENCH', forged, 'bad_signature'],
      ['GW-BENCH', tampered, 'bad_signature'],
      ['GW-BENCH', expired, 'expired'],
      ['GW-B2', own, 'wrong_gateway'],
    ];
    for (const [gw, token, problem] of bad) {
      const key = await releasedCase();
      await send(gw, gw === 'GW-B2' ? 'BENCH-2' : 'BENCH-1', key, { action: 'seize', officerId: 'op-9', reason: 'claims to be an officer', officerToken: token });
      const c = await caseOf(key);
      expect(c.benchFindings).toEqual([expect.objectContaining({ operator: 'op-9', officer: null, officerVerified: false, tokenProblem: problem })]);
      expect(c).toMatchObject({ status: 'held', decidedBy: `gateway:${gw}` });
      const [a] = await auditOf(key, 'bench.finding');
      expect(a).toMatchObject({ actor: `gateway:${gw}`, detail: { gateway: gw, operator: 'op-9', officerVerified: false, tokenProblem: problem } });
    }

    const key = await releasedCase();
    await send('GW-BENCH', 'BENCH-1', key, { action: 'seize', officerId: 'op-9', reason: 'undeclared goods', officerToken: own });
    const c = await caseOf(key);
    expect(c.benchFindings).toEqual([expect.objectContaining({ gatewayId: 'GW-BENCH', stationId: 'BENCH-1', operator: 'op-9', officer: 'officer-1', officerVerified: true })]);
    expect(c.benchFindings[0].tokenProblem).toBeUndefined();
    expect(c).toMatchObject({ status: 'held', officerHold: true, decidedBy: 'officer-1', inspectionResult: null });
    const [a] = await auditOf(key, 'bench.finding');
    expect(a).toMatchObject({ actor: 'officer-1', detail: { gateway: 'GW-BENCH', station: 'BENCH-1', operator: 'op-9', officerVerified: true, finding: 'seize', from: 'released', to: 'held' } });
    expect((await call('GET', '/api/audit/verify', 'manager-1')).json).toMatchObject({ ok: true });
  });
});
