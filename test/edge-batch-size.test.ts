import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EdgeJournal } from '../edge/journal.ts';
import { SyncClient } from '../edge/sync.ts';
import { manualTimeSource } from '../edge/time-source.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../hub/broker.ts';
import { generateJournalKeys } from '../shared/journal-chain.ts';
import { createLogger } from '../shared/log.ts';
import { decodeMessage, MAX_MESSAGE_BYTES, type EventBatch } from '../shared/sync-protocol.ts';
import { topics } from '../shared/topics.ts';

/**
 * The edge's batches always fit the brokers' packet limit (MAX_MQTT_PACKET_BYTES) and the hub's message limit: a
 * bigger batch would be dropped by the broker and resent forever. Here 5,000 events of multi-byte text (~9 MB in
 * all, ~3 bytes a character) with every count and byte budget opened wide.
 */
const log = createLogger('test', 'silent');
const EVENTS = 5000;

describe('edge batches and the packet limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-batch-size-'));
  let broker: EmbeddedBroker;
  let hub: MqttClient;
  let journal: EdgeJournal;
  let sync: SyncClient | undefined;

  beforeAll(async () => {
    const hash = await hashPassword('password-of-big');
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, fallbackToFreePort: false, hubUsername: 'hub', hubPassword: 'hub-password', gatewayPasswordHash: async (id) => (id === 'GW-BIG' ? hash : undefined), log });
    hub = await mqtt.connectAsync(broker.url, { username: 'hub', password: 'hub-password', clientId: 'hub:test', reconnectPeriod: 0 });
    await hub.subscribeAsync(topics.events('GW-BIG'), { qos: 1 });
    journal = new EdgeJournal({ file: join(dir, 'journal.sqlite'), gatewayId: 'GW-BIG', time: manualTimeSource(), quotaBytes: 1e9, synchronous: 'NORMAL' });
    const code = '€'.repeat(512); // the longest code the schema takes, 3 bytes a character in UTF-8
    for (let k = 0; k < EVENTS; k += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => journal.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: `P-${k + i}`, payload: { code, source: 'scanner' } })));
    }
  });

  afterAll(async () => {
    await sync?.stop();
    journal?.close();
    await hub?.endAsync(true);
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits a window of 5,000 large events into batches under the limit, and every one arrives', async () => {
    const sizes: number[] = [];
    const seqs = new Set<number>();
    hub.on('message', (_topic, payload) => {
      sizes.push(payload.length);
      const batch = decodeMessage(payload) as EventBatch;
      for (const e of batch.events) seqs.add(e.seq as number);
    });
    sync = new SyncClient({
      url: broker.url, username: 'GW-BIG', password: 'password-of-big', journal, bootId: 'b', ...generateJournalKeys(), log, agentVersion: 't',
      batchMax: EVENTS, batchMaxBytes: 64 * 1024 * 1024, windowInitial: EVENTS, windowMax: EVENTS, compress: false, ackTimeoutMs: 60_000,
    });
    sync.start();
    await vi.waitFor(() => expect(seqs.size).toBe(EVENTS), { timeout: 30_000, interval: 50 });
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(sync.state.reconnects).toBe(0);
  }, 60_000);
});
