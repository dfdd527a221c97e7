import { join } from 'node:path';
import { createLogger } from '../../shared/log.ts';
import { EportExchangeConfig } from '../../hub/eport/config.ts';
import { startEportExchange } from '../../hub/eport/exchange.ts';
import { EPORT_SAMPLE_INPUTS } from '../../hub/eport/exchange-samples.ts';
import { CEB_OUTGOING_TYPES } from '../../hub/eport/exchange-messages.ts';
import { openEportMessageRepo } from '../../hub/repos/eport-messages.ts';
import { mapCebHere } from '../../hub/services/ceb-pool.ts';
import { openSqliteStorage } from '../../hub/storage/sqlite.ts';

/**
 * A hub's e-port exchange as its own OS process, for the SIGKILL test (test/eport-sigkill.test.ts): the store is a
 * SQLite file in DIR, the messages are enqueued on every start (idempotent by cause), and the counts by state are
 * printed after every round, so the test can kill it mid-exchange.
 */
const dir = process.argv[2]!;
const count = Number(process.argv[3] ?? 20);
const storage = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
await storage.migrate();
const repo = openEportMessageRepo(storage.sql);
await repo.migrate();
for (let i = 0; i < count; i++) {
  const type = CEB_OUTGOING_TYPES[i % 3]!;
  const input: Record<string, unknown> = { ...EPORT_SAMPLE_INPUTS[type], ...(type === 'CEB711' ? { billNo: `784-${String(i).padStart(8, '0')}` } : { copNo: `KILL${type}${i}` }) };
  await repo.enqueue({ cause: `kill:${i}`, messageType: type, input, subject: String(input.billNo ?? input.copNo) }, Date.now());
}
const config = EportExchangeConfig.parse({
  outbox: join(dir, 'OutBox'),
  inbox: join(dir, 'InBox'),
  pollMs: 60_000,
  signer: { privateKeyFile: join(dir, 'key.pem'), certificateFile: join(dir, 'cert.pem') },
  zone: { copCode: '4401630ABC', copName: 'z', dxpId: 'DXP1', customsCode: '5165', operatorCode: '4401630ABC', operatorName: 'z', logisticsCode: '440316T004', logisticsName: 'z' },
});
const ex = await startEportExchange({ config, sql: storage.sql, customs: { ingest: async () => [] }, mapXml: mapCebHere, slip: async () => undefined, appendAudit: (a, at) => storage.appendAudit(a, at), log: createLogger('eport-child', 'silent') });
for (;;) {
  await ex.tick();
  console.log(`counts ${JSON.stringify(await repo.countsByState())}`);
  await new Promise((r) => setTimeout(r, 20));
}
