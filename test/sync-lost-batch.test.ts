import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EdgeJournal } from '../edge/journal.ts';
import { SyncClient } from '../edge/sync.ts';
import { manualTimeSource } from '../edge/time-source.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { generateJournalKeys } from '../shared/journal-chain.ts';
import { createLogger } from '../shared/log.ts';
import { decodeMessage } from '../shared/sync-protocol.ts';
import { startMqttDropProxy, type MqttDropProxy } from './helpers/mqtt-drop-proxy.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Issue 13 item 4: a batch lost on the way while later batches keep being acked (in the ack's ranges above the
 * hole) must be resent on its own, without waiting for the ack timer. The ack timeout here is ten minutes, so
 * only selective retransmit can fill the hole within the test; the old client never resent it while live
 * traffic was acked. Counted in acks, not time: three acks that show the hole, and the hole is resent.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-lost-batch-'));
const GW = 'GW-HOLE';
let hub: RunningHub;
let proxy: MqttDropProxy;

beforeAll(async () => {
  hub = await startHub(
    parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'lost-batch-admin' }, gateways: [{ id: GW, password: 'password-hole' }] }, 'test'),
    log,
  );
  proxy = await startMqttDropProxy({ host: '127.0.0.1', port: Number(new URL(hub.mqttUrl).port) });
});
afterAll(async () => {
  await proxy?.close();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('sync: a batch lost on the wire under live traffic', () => {
  it('resends the hole promptly while later batches are acked in ranges', async () => {
    const journal = new EdgeJournal({ file: join(dir, 'edge', 'journal.sqlite'), gatewayId: GW, time: manualTimeSource(), quotaBytes: 1e9, synchronous: 'NORMAL' });
    const sync = new SyncClient({ url: `mqtt://127.0.0.1:${proxy.port}`, username: GW, password: 'password-hole', journal, bootId: 'b', ...generateJournalKeys(), log, agentVersion: 't', ackTimeoutMs: 600_000, ackTimeoutMaxMs: 600_000 });
    const scan = (n: number) => journal.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: `HOLE-${n}`, payload: { code: `H${n}`, source: 'scanner' } });
    const storedAtHub = (seq: number) => vi.waitFor(async () => expect(await hub.storage.entryHash(GW, seq), `seq ${seq} at the hub`).toBeDefined(), { timeout: 15_000, interval: 5 });
    try {
      sync.start();
      await vi.waitFor(() => expect(sync.state.connected).toBe(true), { timeout: 10_000 });
      for (let n = 1; n <= 5; n++) await scan(n);
      await vi.waitFor(() => expect(journal.ackedSeq).toBe(5), { timeout: 15_000, interval: 5 });

      // The next batch is lost between the edge and the broker; the connection stays up.
      const lost = proxy.dropNextPublish(/\/events$/);
      await scan(6);
      const lostSeqs = (decodeMessage(await lost) as { events: { seq: number }[] }).events.map((e) => e.seq);
      expect(lostSeqs).toEqual([6]);

      // Live traffic goes on: one scan at a time, each stored at the hub and acked in a range above the hole.
      // Three such acks are the edge's evidence that seq 6 was lost; then no more traffic is needed.
      for (let n = 7; n <= 9; n++) {
        const { seq } = await scan(n);
        await storedAtHub(seq);
      }
      await storedAtHub(6);
      expect(sync.state.holesResent).toBeGreaterThanOrEqual(1);
      expect(sync.state.retransmits).toBe(0); // the ack timer never fired

      const head = journal.headSeq;
      await vi.waitFor(() => expect(journal.ackedSeq).toBe(head), { timeout: 15_000, interval: 5 });
      expect((await hub.storage.gatewayEvents(GW, 1, 100)).map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(await hub.storage.countEvents(GW)).toBe(head);
      expect(proxy.stats()).toMatchObject({ accepted: 1, dropped: 1 });
    } finally {
      await sync.stop();
      journal.close();
    }
  }, 60_000);
});
