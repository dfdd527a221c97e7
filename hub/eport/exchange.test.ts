import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import { createHubMetrics } from '../metrics.ts';
import { openAlarmRepo } from '../repos/alarms.ts';
import { mapCebHere } from '../services/ceb-pool.ts';
import { openSqliteStorage } from '../storage/sqlite.ts';
import type { Storage } from '../storage/storage.ts';
import { EportClientSim } from '../../cli/sim-eport.ts';
import { EportExchangeConfig } from './config.ts';
import { startEportExchange, type EportExchange } from './exchange.ts';
import { EPORT_SAMPLE_INPUTS } from './exchange-samples.ts';
import { openEportMessageRepo } from '../repos/eport-messages.ts';
import { Sm2FileSigner } from './file-signer.ts';
import { makeTestPki } from './test-pki.ts';

const log = createLogger('test', 'silent');
const pki = makeTestPki({ nowMs: Date.now() });
let dir: string;
let storage: Storage;
let ex: EportExchange | undefined;
let clock = Date.parse('2026-12-07T02:00:00Z');
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bg-eportx-'));
  storage = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
  await storage.migrate();
});
afterEach(async () => {
  await ex?.stop();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (over: Record<string, unknown> = {}) =>
  EportExchangeConfig.parse({
    outbox: join(dir, 'OutBox'),
    inbox: join(dir, 'InBox'),
    pollMs: 600_000,
    receiptWithinMinutes: 60,
    zone: { copCode: '4401630ABC', copName: '南沙仓储', dxpId: 'DXPENT0000067890', customsCode: '5165', operatorCode: '4401630ABC', operatorName: '南沙仓储', logisticsCode: '440316T004', logisticsName: '顺捷物流' },
    ...over,
  });

async function start(withSigner: boolean) {
  const alarms = openAlarmRepo(storage.sql);
  await alarms.migrate();
  const metrics = createHubMetrics();
  ex = await startEportExchange({
    config: config(),
    sql: storage.sql,
    customs: { ingest: async () => [] },
    mapXml: mapCebHere,
    slip: async () => undefined,
    alarms,
    metrics,
    appendAudit: (input, atMs) => storage.appendAudit(input, atMs),
    log,
    now: () => clock,
    ...(withSigner ? { signer: new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem }) } : {}),
  });
  return { alarms, metrics, repo: openEportMessageRepo(storage.sql) };
}

it('no signer: nothing reaches the OutBox, the message stays queued and an eport_not_sent alarm is raised', async () => {
  const { alarms, repo } = await start(false);
  const { guid } = await repo.enqueue({ cause: 'c1', messageType: 'CEB711', input: EPORT_SAMPLE_INPUTS.CEB711, subject: '784-12345675' }, clock);
  await ex!.tick();
  expect(readdirSync(join(dir, 'OutBox'))).toEqual([]);
  expect(await repo.get(guid)).toMatchObject({ state: 'queued', attempts: 1 });
  expect((await alarms.list({ limit: 10 })).items).toMatchObject([{ kind: 'eport_not_sent', subject: guid, severity: 'critical' }]);
});

it('no receipt in time raises eport_no_receipt once; an admin resend is audited and sends the message again; metrics count by state and observe the latency', async () => {
  const { alarms, repo, metrics } = await start(true);
  const { guid } = await repo.enqueue({ cause: 'c2', messageType: 'CEB507', input: EPORT_SAMPLE_INPUTS.CEB507, subject: 'YWDD20240728001' }, clock);
  await ex!.tick();
  expect(await repo.get(guid)).toMatchObject({ state: 'sent' });
  clock += 61 * 60_000;
  await ex!.tick();
  await ex!.tick();
  expect((await alarms.list({ limit: 10 })).items).toMatchObject([{ kind: 'eport_no_receipt', subject: guid, count: 1 }]);
  expect(await metrics.registry.getSingleMetricAsString('bondgate_hub_eport_messages')).toContain('bondgate_hub_eport_messages{state="sent"} 1');

  await expect(ex!.resend('00000000-0000-0000-0000-000000000000', 'admin', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  expect(await ex!.resend(guid, 'admin', 'client was reinstalled')).toMatchObject({ state: 'queued' });
  await expect(ex!.resend(guid, 'admin', 'again')).rejects.toMatchObject({ code: 'CONFLICT' });
  const audit = await storage.auditRange(0, 100);
  expect(audit.filter((a) => a.action === 'eport.resend')).toMatchObject([{ actor: 'admin', subject: guid, detail: { from: 'sent', reason: 'client was reinstalled' } }]);

  const sim = new EportClientSim({ outbox: join(dir, 'OutBox'), inbox: join(dir, 'InBox'), work: join(dir, 'sent') });
  await ex!.tick();
  await sim.step();
  await ex!.tick();
  clock += 5000;
  await ex!.tick();
  expect(await repo.get(guid)).toMatchObject({ state: 'receipt', receiptStatus: '2' });
  expect(await metrics.registry.getSingleMetricAsString('bondgate_hub_eport_receipt_latency_seconds')).toContain('bondgate_hub_eport_receipt_latency_seconds_count{type="CEB507"} 1');
  expect((await storage.auditRange(0, 100)).some((a) => a.action === 'eport.receipt' && a.subject === guid)).toBe(true);
});
