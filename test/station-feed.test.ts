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

  it('the HTTP feed route: officers and admins put entries, bad ones are refused by field', async () => {
    const login = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'feed-admin-password' }) });
    const token = ((await login.json()) as { token: string }).token;
    const put = (body: unknown, auth = true) => fetch(`${hub.httpUrl}/api/feed`, { method: 'PUT', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    expect((await put({ changes: [decision('EA000000063CN', 'hold')] }, false)).status).toBe(401);
    const ok = await put({ changes: [decision('EA000000063CN', 'hold')] });
    expect(ok.status).toBe(200);
    const bad = await put({ changes: [{ kind: 'slip', key: 'Z1', value: { passportNo: 'Z1', ioType: 'X' } }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/ioType/);
    const key = await fetch(`${hub.httpUrl}/api/feed/public-key`, { headers: { authorization: `Bearer ${token}` } });
    expect(await key.text()).toBe(hub.rulesPublicKeyPem);
  });
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
