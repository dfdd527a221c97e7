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
import { freePort } from './helpers/ports.ts';

/**
 * A gateway comes back with a large backlog: a parcel scanned now must reach the hub without waiting for the
 * backlog, and the backlog must still arrive whole and in order behind it.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-live-'));
const BACKLOG = 40_000;
let hub: RunningHub;

beforeAll(async () => {
  hub = await startHub(
    parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'live-first-admin' }, gateways: [{ id: 'GW-LIVE', password: 'password-live' }] }, 'test'),
    log,
  );
});
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('live first', () => {
  it('delivers a live event ahead of a 40,000-event backlog, then the backlog in full', async () => {
    const journal = new EdgeJournal({ file: join(dir, 'edge', 'journal.sqlite'), gatewayId: 'GW-LIVE', time: manualTimeSource(), quotaBytes: 1e9, synchronous: 'NORMAL' });
    for (let k = 0; k < BACKLOG; k += 2000) {
      await Promise.all(Array.from({ length: 2000 }, (_, i) => journal.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: `BACKLOG-${k + i}`, payload: { code: `B${k + i}`, source: 'scanner' } })));
    }
    // A small window makes the drain take many round trips, so "ahead of the backlog" is observable. A long ack
    // timeout: on a loaded machine a 3 s one can expire while the hub works through a batch, and a resend is then
    // correct behaviour; here nothing is lost, so there must be none.
    const sync = new SyncClient({ url: hub.mqttUrl, username: 'GW-LIVE', password: 'password-live', journal, bootId: 'b', ...generateJournalKeys(), log, agentVersion: 't', batchMax: 200, windowInitial: 400, windowMax: 400, ackTimeoutMs: 60_000, ackTimeoutMaxMs: 120_000 });
    sync.start();
    await vi.waitFor(() => expect(sync.state.connected).toBe(true), { timeout: 5000 });
    const live = await journal.append({ type: 'parcel.scanned', stationId: 'GATE-1', parcelKey: 'LIVE-PARCEL', payload: { code: 'LIVE', source: 'scanner' } });
    expect(live.seq).toBe(BACKLOG + 1);
    await vi.waitFor(async () => expect(await hub.storage.entryHash('GW-LIVE', live.seq)).toBe(live.hash), { timeout: 5000, interval: 5 });
    const ackedWhenLiveArrived = (await hub.storage.getGateway('GW-LIVE'))!.ackedSeq;
    expect(ackedWhenLiveArrived).toBeLessThan(BACKLOG / 2);
    expect((await hub.storage.getParcel('LIVE-PARCEL'))?.lastStationId).toBe('GATE-1');

    await vi.waitFor(() => expect(journal.ackedSeq).toBe(BACKLOG + 1), { timeout: 60_000, interval: 50 });
    const events = await hub.storage.gatewayEvents('GW-LIVE', 1, BACKLOG + 10);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: BACKLOG + 1 }, (_, i) => i + 1));
    expect(await hub.storage.listAlerts('GW-LIVE', 5)).toEqual([]);
    expect(sync.state.retransmits).toBe(0);
    await sync.stop();
    journal.close();
  }, 90_000);
});
