import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateJournalKeys } from '../../shared/journal-chain.ts';
import { createLogger } from '../../shared/log.ts';
import type { FeedBatch } from '../../shared/stations/feed.ts';
import { verifyRules } from '../../shared/stations/rules-signing.ts';
import { openSqliteStorage } from '../storage/sqlite.ts';
import type { Storage } from '../storage/storage.ts';
import { SNAPSHOT_INTERVAL_MS, StationFeedService } from './station-feed.ts';

/** The feed service alone, over a SQLite store, with an injected clock and scheduler (no waiting on real time). */
const log = createLogger('test', 'silent');
const keys = generateJournalKeys();
const rules = { rulesId: 'R1', validFromMs: 0, validToMs: 10_000_000_000_000, weightTolerancePct: 10, weightToleranceKg: 0.05, xraySuspectToInspection: true, samplingRate: 0, gateWeightTolerancePct: 3, gateWeightToleranceKg: 50, maxCacheAgeMs: 60_000 };

describe('StationFeedService', () => {
  let dir = '';
  let storage: Storage;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bg-feed-svc-'));
    storage = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
    await storage.migrate();
  });
  afterAll(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function service() {
    const sent: { gw: string; batch: FeedBatch }[] = [];
    const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
    const clock = { now: 1_000_000 };
    const feed = new StationFeedService({
      storage,
      log,
      publish: (gw, batch) => sent.push({ gw, batch }),
      gateways: async () => ['GW-1'],
      signing: { privateKeyPem: keys.privateKeyPem, keyId: 'k1' },
      now: () => clock.now,
      schedule: (fn, ms) => {
        const t = { at: clock.now + ms, fn, cancelled: false };
        timers.push(t);
        return () => void (t.cancelled = true);
      },
    });
    /** Moves the clock and runs the timers due by then. */
    const advance = (ms: number) => {
      clock.now += ms;
      for (const t of timers.splice(0)) if (!t.cancelled && t.at <= clock.now) t.fn();
      else if (!t.cancelled) timers.push(t);
    };
    return { feed, sent, advance, timers };
  }

  it('stores and pushes the parsed value: unknown keys (1.5 MB of junk) never reach a gateway; rules are signed as parsed', async () => {
    const { feed, sent } = service();
    const junk = 'x'.repeat(1_500_000);
    await feed.put([
      { kind: 'expected', key: 'L1', value: { listId: 'L1', kind: 'inbound', warehouse: 'bonded', items: [{ sku: 'S1', junk }], junk } },
      { kind: 'rules', key: 'R1', value: { ...rules, junk } },
    ]);
    const stored = await storage.feedSince(0, 10);
    expect(JSON.stringify(stored).length).toBeLessThan(10_000);
    expect(JSON.stringify(sent).length).toBeLessThan(10_000);
    expect(await storage.feedGet('expected', 'L1')).toEqual({ listId: 'L1', kind: 'inbound', warehouse: 'bonded', items: [{ sku: 'S1', qty: 1 }] });
    const signed = (await storage.feedGet('rules', 'R1')) as Parameters<typeof verifyRules>[0];
    expect(signed.rules).not.toHaveProperty('junk');
    // The edge parses what it gets, then checks the signature over that: it must verify.
    expect(verifyRules(signed, keys.publicKeyPem)).toBe(true);
  });

  it('refuses a bad value by field before storing any of the set', async () => {
    const { feed } = service();
    const head = (await storage.feedSince(0, 1)).headVersion;
    await expect(feed.put([{ kind: 'expected', key: 'L2', value: { listId: 'L2', kind: 'inbound', warehouse: 'bonded', items: [] } }, { kind: 'slip', key: 'Z1', value: { passportNo: 'Z1', ioType: 'X' } }])).rejects.toMatchObject({ issues: expect.arrayContaining([expect.objectContaining({ path: [1, 'value', 'ioType'] })]) });
    expect((await storage.feedSince(0, 1)).headVersion).toBe(head);
  });

  it('sends one snapshot per gateway per interval: 50 asks give one now and one coalesced at the end of the interval', async () => {
    const { feed, sent, advance } = service();
    for (let i = 0; i < 50; i++) await feed.answer('GW-1', { gatewayId: 'GW-1', sinceVersion: 0 });
    expect(sent.filter((s) => s.batch.snapshot)).toHaveLength(1);
    // Another gateway is not held back by the first one's asks.
    await feed.answer('GW-2', { gatewayId: 'GW-2', sinceVersion: 0 });
    expect(sent.filter((s) => s.gw === 'GW-2' && s.batch.snapshot)).toHaveLength(1);
    // Changes since a version are not snapshots: never held back (a gateway pages through them).
    const head = (await storage.feedSince(0, 1)).headVersion;
    for (let i = 0; i < 3; i++) await feed.answer('GW-1', { gatewayId: 'GW-1', sinceVersion: head });
    expect(sent.filter((s) => s.gw === 'GW-1' && !s.batch.snapshot)).toHaveLength(3);

    advance(SNAPSHOT_INTERVAL_MS - 1);
    expect(sent.filter((s) => s.gw === 'GW-1' && s.batch.snapshot)).toHaveLength(1);
    advance(1);
    await expect.poll(() => sent.filter((s) => s.gw === 'GW-1' && s.batch.snapshot).length).toBe(2);
    advance(SNAPSHOT_INTERVAL_MS * 10);
    expect(sent.filter((s) => s.gw === 'GW-1' && s.batch.snapshot)).toHaveLength(2);
    // After the interval, a new ask is answered at once.
    await feed.answer('GW-1', { gatewayId: 'GW-1', sinceVersion: 0 });
    expect(sent.filter((s) => s.gw === 'GW-1' && s.batch.snapshot)).toHaveLength(3);
    feed.close();
  });
});
