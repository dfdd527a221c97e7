import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startEdge, type RunningEdge } from '../edge/agent.ts';
import { EdgeConfig } from '../edge/config.ts';
import { StationCache } from '../edge/station-cache.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { generateJournalKeys } from '../shared/journal-chain.ts';
import { createLogger } from '../shared/log.ts';
import { signRules } from '../shared/stations/rules-signing.ts';
import { StationRules } from '../shared/stations/feed.ts';
import { freePort } from './helpers/ports.ts';

/**
 * The station feed from the hub to a gateway over the real (embedded) broker: initial snapshot, live pushes, an
 * outage during which the hub changes decisions, "changes since N" after it, and rules the edge refuses to use when
 * their signature is not the hub's.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rules = (id: string, validToMs = Date.now() + 3600_000) => ({ rulesId: id, validFromMs: Date.now() - 1000, validToMs, weightTolerancePct: 10, weightToleranceKg: 0.05, xraySuspectToInspection: true, samplingRate: 0, gateWeightTolerancePct: 3, gateWeightToleranceKg: 50, maxCacheAgeMs: 60_000 });
const decision = (key: string, d: 'released' | 'hold' | 'inspect') => ({ kind: 'decision' as const, key, value: { parcelKey: key, decision: d } });

describe('station feed, hub to edge', () => {
  let hub: RunningHub;
  let edge: RunningEdge | undefined;
  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
  });

  it('syncs a snapshot, live changes, and everything missed during an outage; uses only hub-signed rules', async () => {
    const brokerPort = await freePort();
    const hubConfig = parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: brokerPort } }, auth: { adminPassword: 'feed-admin-password' }, gateways: [{ id: 'GW-F', password: 'password-of-f' }] }, 'test');
    hub = await startHub(hubConfig, log);
    await hub.feed.put([decision('EA000000015CN', 'released'), decision('EA000000029CN', 'hold'), { kind: 'rules', key: 'R1', value: rules('R1') }]);
    const edgeConfig = parseConfig(EdgeConfig, { gatewayId: 'GW-F', dataDir: join(dir, 'edge'), hub: { mqttUrl: hub.mqttUrl, password: 'password-of-f', rulesPublicKey: hub.rulesPublicKeyPem }, http: { host: '127.0.0.1', port: 0 }, clock: { sync: 'assume-synced' } }, 'test');
    edge = await startEdge(edgeConfig, log);
    const e = () => edge!;
    await vi.waitFor(() => expect(e().cache.decision('EA000000029CN')?.decision).toBe('hold'), { timeout: 10_000 });
    expect(e().cache.rules(Date.now())?.rulesId).toBe('R1');
    expect(e().cache.syncedAtMs).not.toBeNull();

    // Live: a hold placed now reaches the edge within moments.
    await hub.feed.put([decision('EA000000015CN', 'inspect')]);
    await vi.waitFor(() => expect(e().cache.decision('EA000000015CN')?.decision).toBe('inspect'), { timeout: 5000 });

    // Outage: the edge is down while the hub changes three things (and deletes one).
    await edge.stop();
    edge = undefined;
    const head = await hub.feed.put([decision('EA000000032CN', 'released'), decision('EA000000046CN', 'hold'), { kind: 'decision', key: 'EA000000029CN', value: null }]);
    edge = await startEdge(edgeConfig, log);
    await vi.waitFor(() => expect(e().cache.version).toBe(head), { timeout: 10_000 });
    expect(e().cache.decision('EA000000046CN')?.decision).toBe('hold');
    expect(e().cache.decision('EA000000029CN')).toBeUndefined();
    expect(e().cache.decision('EA000000015CN')?.decision).toBe('inspect'); // kept across the restart

    // Rules signed by another key are stored nowhere: the station then has no rules and fails safe.
    const forged = signRules(StationRules.parse(rules('R-FORGED', Date.now() + 7200_000)), generateJournalKeys().privateKeyPem, 'attacker');
    const { storage } = hub;
    await storage.putFeed([{ kind: 'rules', key: 'R-FORGED', value: forged }]);
    await hub.feed.put([decision('EA000000050CN', 'released')]); // a live push after the forged row: the edge sees the gap
    await vi.waitFor(() => expect(e().cache.decision('EA000000050CN')).toBeDefined(), { timeout: 10_000 });
    await vi.waitFor(() => expect(e().cache.rejectedRules).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    expect(e().cache.rules(Date.now())?.rulesId).toBe('R1');
  }, 60_000);

  it('the HTTP feed route: rules and expected lists only, parsed and audited; a slip or decision put by an admin is refused and reaches no gateway', async () => {
    const login = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'feed-admin-password' }) });
    const token = ((await login.json()) as { token: string }).token;
    const send = (body: string, auth = true) => fetch(`${hub.httpUrl}/api/feed`, { method: 'PUT', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) }, body });
    const put = (body: unknown, auth = true) => send(JSON.stringify(body), auth);
    const slipNo = 'Z5301E260000000000009';
    const slip = { kind: 'slip', key: slipNo, value: { passportNo: slipNo, ioType: 'E', status: 'approved', vehicleNo: '粤B99999', totalGrossWtKg: 100, goods: [] } };
    const list = (id: string, extra: Record<string, unknown> = {}) => ({ kind: 'expected', key: id, value: { listId: id, kind: 'inbound', warehouse: 'bonded', items: [{ sku: 'SKU-1', qty: 2 }], ...extra } });
    const head = (await hub.storage.feedSince(0, 1)).headVersion;

    expect((await put({ changes: [list('L-0')] }, false)).status).toBe(401);
    // The admin's slip the slip API never issued, a decision, and either of them hidden beside an allowed list.
    for (const changes of [[slip], [decision('EA000000063CN', 'released')], [list('L-1'), slip], [{ kind: 'decision', key: 'EA000000015CN', value: null }]]) {
      const refused = await put({ changes });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN', fields: [expect.objectContaining({ field: expect.stringMatching(/^body\.changes\.\d\.kind$/) })] });
    }
    expect((await hub.storage.feedSince(0, 1)).headVersion).toBe(head);

    // 100,000-deep nesting is a clear 400, not a 500.
    const deep = await send(`{"changes":[{"kind":"expected","key":"L-D","value":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`);
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field: 'body' }] });
    const bad = await put({ changes: [{ kind: 'rules', key: 'R-BAD', value: { ...rules('R-BAD'), samplingRate: 7 } }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ fields: [expect.objectContaining({ field: 'body.changes.0.value.samplingRate' })] });

    // An allowed list with junk beside it: the parsed list is stored, pushed and audited with its content.
    const ok = await put({ changes: [list('L-2', { junk: 'x'.repeat(100_000) })] });
    expect(ok.status).toBe(200);
    const { headVersion } = (await ok.json()) as { headVersion: number };
    expect(headVersion).toBe(head + 1);
    await vi.waitFor(() => expect(edge!.cache.expected('L-2')?.items).toEqual([{ sku: 'SKU-1', qty: 2 }]), { timeout: 10_000 });
    expect(edge!.cache.expected('L-2')).not.toHaveProperty('junk');
    expect(edge!.cache.slip(slipNo)).toBeUndefined();
    expect(edge!.cache.decision('EA000000063CN')).toBeUndefined();
    expect(edge!.cache.decision('EA000000015CN')?.decision).toBe('inspect');
    const audit = (await hub.storage.auditRange(1, 10_000)).filter((a) => a.action.startsWith('feed.'));
    expect(audit.map((a) => [a.actor, a.action, a.subject, a.detail])).toEqual([['admin', 'feed.put', 'expected:L-2', { version: headVersion, value: { listId: 'L-2', kind: 'inbound', warehouse: 'bonded', items: [{ sku: 'SKU-1', qty: 2 }] } }]]);

    const key = await fetch(`${hub.httpUrl}/api/feed/public-key`, { headers: { authorization: `Bearer ${token}` } });
    expect(await key.text()).toBe(hub.rulesPublicKeyPem);
  }, 30_000);
});

describe('station cache (edge)', () => {
  it('applies by version, reports gaps, replaces on snapshot, survives a reopen', () => {
    const file = join(dir, 'cache.sqlite');
    const c = new StationCache(file, undefined);
    const d = (v: number, key: string, dec: string | null) => ({ version: v, kind: 'decision', key, value: dec === null ? null : { parcelKey: key, decision: dec } });
    expect(c.apply({ fromVersion: 0, toVersion: 2, snapshot: true, more: false, hubTimeMs: 1, changes: [d(1, 'A', 'released'), d(2, 'B', 'hold')] }, 1000)).toEqual({ applied: 2, version: 2, gap: false, more: false });
    expect(c.apply({ fromVersion: 5, toVersion: 6, snapshot: false, more: false, hubTimeMs: 1, changes: [d(6, 'C', 'hold')] }, 2000)).toMatchObject({ gap: true, version: 2 });
    expect(c.apply({ fromVersion: 1, toVersion: 3, snapshot: false, more: true, hubTimeMs: 1, changes: [d(2, 'B', 'released'), d(3, 'A', null)] }, 3000)).toEqual({ applied: 1, version: 3, gap: false, more: true });
    expect(c.decision('B')?.decision).toBe('hold'); // version 2 was already applied: the replay is ignored
    expect(c.decision('A')).toBeUndefined();
    expect(() => c.apply({ fromVersion: 'x' }, 0)).toThrow();
    c.close();
    const again = new StationCache(file, undefined);
    expect([again.version, again.syncedAtMs, again.decision('B')?.decision]).toEqual([3, 3000, 'hold']);
    again.apply({ fromVersion: 0, toVersion: 9, snapshot: true, more: false, hubTimeMs: 1, changes: [d(9, 'Z', 'inspect')] }, 4000);
    expect([again.decision('B'), again.decision('Z')?.decision, again.version]).toEqual([undefined, 'inspect', 9]);
    again.close();
  });
});
