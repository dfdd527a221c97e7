import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
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
 * The hub loses its store (restored from an old backup, or a new disk) after the edge already pruned rows the
 * hub had acknowledged. The edge must not wait forever for rows that no longer exist: it resends what it still
 * holds, declares the hole, and the hub records a journal_gap and carries on.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-restore-'));
let hub: RunningHub | undefined;
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('hub store lost after the edge pruned', () => {
  it('declares the pruned range as a gap and resumes delivery', async () => {
    const port = await freePort();
    const startHubAt = (dataDir: string) =>
      startHub(parseConfig(HubConfig, { dataDir, http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port } }, auth: { adminPassword: 'restore-admin-password' }, gateways: [{ id: 'GW-R', password: 'password-r' }] }, 'test'), log);
    hub = await startHubAt(join(dir, 'hub-1'));
    const time = manualTimeSource();
    const journal = new EdgeJournal({ file: join(dir, 'edge', 'journal.sqlite'), gatewayId: 'GW-R', time, quotaBytes: 1e9, retentionMs: 1000, synchronous: 'NORMAL' });
    const sync = new SyncClient({ url: `mqtt://127.0.0.1:${port}`, username: 'GW-R', password: 'password-r', journal, bootId: 'b', ...generateJournalKeys(), log, agentVersion: 't', ackTimeoutMs: 300, reconnectMinMs: 100 });
    sync.start();
    for (let i = 0; i < 20; i++) await journal.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: `R-${i}`, payload: { code: `R-${i}`, source: 'scanner' } });
    await vi.waitFor(() => expect(journal.ackedSeq).toBe(20), { timeout: 5000 });
    time.advance(5000);
    expect(journal.maintain(time.wallMs()).pruned).toBe(19); // the newest row stays as the chain's anchor

    await hub.stop();
    hub = await startHubAt(join(dir, 'hub-2')); // an empty store on the same broker port
    for (let i = 20; i < 25; i++) await journal.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: `R-${i}`, payload: { code: `R-${i}`, source: 'scanner' } });

    const h = hub;
    await vi.waitFor(async () => expect((await h.storage.getGateway('GW-R'))?.ackedSeq).toBe(25), { timeout: 15_000, interval: 50 });
    expect(await h.storage.listAlerts('GW-R', 10)).toContainEqual(expect.objectContaining({ kind: 'journal_gap', seq: 1 }));
    expect((await h.storage.gatewayEvents('GW-R', 1, 100)).map((e) => e.seq)).toEqual([20, 21, 22, 23, 24, 25]);
    await vi.waitFor(() => expect(journal.ackedSeq).toBe(25), { timeout: 5000 });
    await sync.stop();
    journal.close();
  }, 30_000);
});
