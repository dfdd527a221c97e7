import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { HubConfig } from '../hub/config.ts';
import { generateDocumentSets, type GeneratedParcel } from '../hub/customs/generate-docs.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { ParcelDecision, ReleaseSlip } from '../shared/stations/feed.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Only customs releases (issue 16), through the real hub under the default `customs.releaseAuthority: receipt`: a list
 * with only 399 is "concluded, awaiting release" and the line holds it; an officer cannot release a parcel without an
 * 800; an inspection passed waits for the 800, then releases; 700 closes the case out of the queue; a cancelled list
 * (624 399) is terminal and leaves its slip; a status its message does not carry is kept, shown and alarmed.
 */
const log = createLogger('test', (process.env.LOGLEVEL as 'silent') ?? 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-release-'));
let hub: RunningHub;
const tokens: Record<string, string> = {};

const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const keyOf = (p: GeneratedParcel) => p.set.waybill.logisticsNo;
let clock = 0;
/** A list receipt (622, or 624 for a cancellation) stamped after every one before it. */
const receipt = (p: GeneratedParcel, returnStatus: number, messageType = 'CEB622') => ({
  kind: 'receipt',
  messageType,
  refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo },
  returnStatus,
  returnTime: `2026030110${String(10 + clock++).padStart(2, '0')}00000`,
  returnInfo: '',
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses of many shapes, checked field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${hub.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens['officer-1']}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: await res.json().catch(() => null) };
}
const post = (documents: unknown[]) => call('POST', '/api/documents', { documents });
const caseOf = async (p: GeneratedParcel) => (await call('GET', `/api/cases/${keyOf(p)}`)).json.case;
const lineDecision = async (p: GeneratedParcel) => ParcelDecision.parse(await hub.storage.feedGet('decision', keyOf(p))).decision;

beforeAll(async () => {
  hub = await startHub(
    parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'release-test-admin-7391' }, ingest: { decodeWorkers: 0 } }, 'test'),
    log,
  );
  await hub.storage.createUser({ username: 'officer-1', passwordHash: await hashPassword('harbour-lantern-7391'), role: 'officer', displayName: 'officer-1', createdMs: Date.now() });
  tokens['officer-1'] = ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer-1', password: 'harbour-lantern-7391' }) })).json()) as { token: string }).token;
});
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('only customs releases', () => {
  it('399 alone is concluded, awaiting release: the line holds the parcel; the 800 releases it', async () => {
    const [p] = generateDocumentSets({ seed: 1601 }, 1);
    await post([...docs(p!), receipt(p!, 120), receipt(p!, 399)]);
    const concluded = await caseOf(p!);
    expect(concluded).toMatchObject({ status: 'awaiting_release', customsStatus: 399 });
    expect(concluded.reasons[0]).toMatchObject({ rule: 'customs.awaiting-release' });
    expect(await lineDecision(p!)).toBe('hold');
    // The officer cannot turn it into a release: 409 with the reason.
    const refused = await call('POST', `/api/cases/${keyOf(p!)}/actions`, { action: 'release', reason: 'looks fine' });
    expect(refused).toMatchObject({ status: 409, json: { code: 'CONFLICT', message: expect.stringContaining('only customs releases') } });
    await post([receipt(p!, 800)]);
    expect(await caseOf(p!)).toMatchObject({ status: 'released', customsStatus: 800 });
    expect(await lineDecision(p!)).toBe('released');
  });

  it("an inspection passed is recorded as a finding and waits for customs' 800 — then releases", async () => {
    const [p] = generateDocumentSets({ seed: 1602 }, 1);
    await post([...docs(p!), receipt(p!, 120), receipt(p!, 500)]);
    expect(await caseOf(p!)).toMatchObject({ status: 'inspection' });
    const passed = await call('POST', `/api/cases/${keyOf(p!)}/actions`, { action: 'result', result: 'pass', reason: 'contents as declared', where: 'BENCH-1' });
    expect(passed).toMatchObject({ status: 200, json: { case: { status: 'awaiting_release', inspectionResult: 'pass', findings: [{ result: 'pass', by: 'officer-1', where: 'BENCH-1' }] } } });
    expect(await lineDecision(p!)).toBe('hold');
    await post([receipt(p!, 800)]);
    expect(await caseOf(p!)).toMatchObject({ status: 'released', findings: [{ result: 'pass' }] });
    expect(await lineDecision(p!)).toBe('released');
  });

  it("700 closes the case as returned, out of the officers' queue", async () => {
    const [p] = generateDocumentSets({ seed: 1603 }, 1);
    await post([...docs(p!), receipt(p!, 120)]);
    expect(await caseOf(p!)).toMatchObject({ status: 'pending' });
    await post([receipt(p!, 700)]);
    expect(await caseOf(p!)).toMatchObject({ status: 'returned' });
    expect((await call('GET', `/api/cases?status=pending&q=${keyOf(p!)}`)).json.items).toEqual([]);
    expect((await call('POST', `/api/cases/${keyOf(p!)}/actions`, { action: 'release', reason: 'x' })).status).toBe(409);
  });

  it('a cancelled list (624 399) is terminal, leaves its slip, and an 800 after it releases nothing', async () => {
    const [p, q] = generateDocumentSets({ seed: 1604 }, 2);
    await post([...docs(p!), ...docs(q!), receipt(p!, 800), receipt(q!, 800)]);
    const slip = await call('POST', '/api/slips', { ioType: 'E', vehicleNo: '粤B12345', parcelKeys: [keyOf(p!), keyOf(q!)] });
    expect(slip.status).toBe(201);
    const passportNo = slip.json.slip.passportNo as string;
    await post([receipt(p!, 399, 'CEB624')]);
    expect(await caseOf(p!)).toMatchObject({ status: 'cancelled' });
    expect(await lineDecision(p!)).toBe('hold');
    // Freed: off the slip the gates hold, the slip's goods and weight shrink.
    const fed = ReleaseSlip.parse(await hub.storage.feedGet('slip', passportNo));
    expect(fed.goods).toEqual([keyOf(q!)]);
    expect((await call('GET', `/api/slips/${passportNo}`)).json.parcels.map((x: { parcelKey: string }) => x.parcelKey)).toEqual([keyOf(q!)]);
    await post([receipt(p!, 800)]);
    expect(await caseOf(p!)).toMatchObject({ status: 'cancelled' });
  });

  it('a status its message does not carry is kept on the case, shown and alarmed, never acted on', async () => {
    const [p] = generateDocumentSets({ seed: 1605 }, 1);
    await post([...docs(p!), receipt(p!, 399), receipt(p!, 800, 'CEB624')]);
    const c = await caseOf(p!);
    expect(c).toMatchObject({ status: 'pending', listState: { unexpected: [{ messageType: 'CEB624', status: 800 }] } });
    expect(c.reasons[0]).toMatchObject({ rule: 'customs.unexpected' });
    const alarms = (await call('GET', '/api/alarms?gatewayId=hub')).json.items as { kind: string; subject: string }[];
    expect(alarms).toContainEqual(expect.objectContaining({ kind: 'customs_unexpected_status', subject: `${keyOf(p!)}:CEB624:800` }));
  });
});
