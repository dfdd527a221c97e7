import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { HubConfig } from '../hub/config.ts';
import { generateDocumentSets } from '../hub/customs/generate-docs.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Issue 15 item 6 through a running hub: order A's documents hold parcel P and customs released it; then a list for
 * order B names P. The case stays A's, names both orders and is held on the feed; an officer cannot release it; the
 * officer chooses A (on the audit chain), the engine decides again from A's documents and releases it; B's later
 * documents no longer touch it. (Before: the case moved to B, whichever order arrived last won.)
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-order-conflict-'));
const PASSWORD = 'harbour-lantern-7391';
let hub: RunningHub;
let token: string;

beforeAll(async () => {
  hub = await startHub(
    parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'conflict-admin-pass-4410' }, riskRules: { version: 'conflict-1', valueLimits: { annualUnknown: 'low' } } }, 'test'),
    log,
  );
  await hub.storage.createUser({ username: 'officer-c', passwordHash: await hashPassword(PASSWORD), role: 'officer', displayName: 'Officer', createdMs: Date.now() });
  const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer-c', password: PASSWORD }) });
  token = ((await res.json()) as { token: string }).token;
}, 30_000);
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const auth = () => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });
const post = (documents: unknown[]) => fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: auth(), body: JSON.stringify({ documents }) });
const caseOf = async (key: string) => ((await (await fetch(`${hub.httpUrl}/api/cases/${key}`, { headers: auth() })).json()) as { case: Record<string, unknown> }).case;
const act = (key: string, body: object) => fetch(`${hub.httpUrl}/api/cases/${key}/actions`, { method: 'POST', headers: auth(), body: JSON.stringify(body) });
const feedFor = async (key: string) => (await hub.storage.feedSince(0, 10_000)).changes.filter((c) => c.key === key).at(-1)?.value as { decision: string } | undefined;
const released = (copNo: string, returnTime: string) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo }, returnStatus: 800, returnTime, returnInfo: '放行' });

describe('a list naming a parcel another order already holds', () => {
  it('raises a conflict on the case, holds it until an officer chooses the order, and audits the choice', async () => {
    const [a, b] = generateDocumentSets({ seed: 1506 }, 2) as [ReturnType<typeof generateDocumentSets>[number], ReturnType<typeof generateDocumentSets>[number]];
    const parcel = a.set.waybill.logisticsNo;
    const docsOf = (p: typeof a) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));

    expect((await post([...docsOf(a), released(a.set.inventory.copNo!, '20250301103000123')])).status).toBe(200);
    expect(await caseOf(parcel)).toMatchObject({ orderNo: a.set.order.orderNo, status: 'released' });
    expect((await feedFor(parcel))?.decision).toBe('released');

    // Order B's list names A's parcel (B's order with it; B's own waybill is not sent).
    const bList = { ...b.set.inventory, logisticsCode: a.set.waybill.logisticsCode, logisticsName: a.set.waybill.logisticsName, logisticsNo: parcel };
    expect((await post([b.set.order, bList])).status).toBe(200);
    const held = await caseOf(parcel);
    expect(held).toMatchObject({ orderNo: a.set.order.orderNo, status: 'held', orderConflict: { orderNos: [a.set.order.orderNo, b.set.order.orderNo] } });
    expect((held.reasons as { rule: string }[]).map((r) => r.rule)).toContain('case:order-conflict');
    expect((await feedFor(parcel))?.decision).toBe('hold');

    // B's customs release does not release it either, and neither can an officer while the conflict stands.
    expect((await post([released(bList.copNo!, '20250301110000123')])).status).toBe(200);
    expect(await caseOf(parcel)).toMatchObject({ orderNo: a.set.order.orderNo, status: 'held' });
    const refused = await act(parcel, { action: 'release', reason: 'looks fine' });
    expect(refused.status).toBe(409);

    // The officer chooses A: the engine decides again from A's documents (complete, customs released): released.
    const resolved = await act(parcel, { action: 'resolve-order', orderNo: a.set.order.orderNo, reason: 'label and waybill are order A' });
    expect(resolved.status).toBe(200);
    expect(await caseOf(parcel)).toMatchObject({ orderNo: a.set.order.orderNo, status: 'released', orderConflict: null, dismissedOrders: [b.set.order.orderNo] });
    expect((await feedFor(parcel))?.decision).toBe('released');
    const audit = (await hub.storage.auditRange(1, 10_000)).filter((e) => e.action === 'officer.resolve-order');
    expect(audit).toEqual([expect.objectContaining({ actor: 'officer-c', subject: parcel, detail: expect.objectContaining({ orderNo: a.set.order.orderNo, claimedBy: [a.set.order.orderNo, b.set.order.orderNo], reason: 'label and waybill are order A' }) })]);

    // B's documents arriving again no longer touch the case.
    expect((await post([{ ...bList, note: 'resent' }])).status).toBe(200);
    expect(await caseOf(parcel)).toMatchObject({ orderNo: a.set.order.orderNo, status: 'released', orderConflict: null });
  }, 30_000);
});
