import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { EportClientSim } from '../../cli/sim-eport.ts';
import { startEdge, type RunningEdge } from '../../edge/agent.ts';
import { EdgeConfig } from '../../edge/config.ts';
import { documentsToCebXml } from '../../hub/customs/ceb/from-documents.ts';
import { SchemaShapedPlaceholderSigner } from '../../hub/customs/ceb/fixtures.ts';
import type { CebType } from '../../hub/customs/ceb/parse.ts';
import { toReceiptTime, type CustomsDocument } from '../../hub/customs/documents.ts';
import { generateDocumentSets } from '../../hub/customs/generate-docs.ts';
import { makeTestPki } from '../../hub/eport/test-pki.ts';
import { openEportMessageRepo } from '../../hub/repos/eport-messages.ts';
import { openStorage } from '../../hub/storage/open.ts';
import { parseConfig } from '../../shared/config-file.ts';
import { createLogger } from '../../shared/log.ts';
import { freePort } from '../helpers/ports.ts';
import { spawnNode, type ManagedProcess } from '../helpers/processes.ts';
import { START_TIMEOUT_MS } from './fixture.ts';

/**
 * Issue 18 proof: the whole hub — `bondgate hub --config …` as in production, with the e-port exchange and a file
 * signer — SIGKILLed twice mid-exchange while a gateway sends exit passages and the single-window client simulator
 * answers doubled and reversed, and is away across one of the kills. Declarations and customs' CEB622s (each pushed
 * twice) come in through the InBox; slips issued on the released parcels make CEB507/509 at the gate. At the end every
 * message has its business receipt, each was taken by the client under its one guid (a second copy of the same file is
 * the only repeat a kill may cause), every receipt is recorded once, every CEB622 applied once, and nothing is left in
 * the folders. No timing assertions: every wait is on a condition.
 */
const CLI = resolve(import.meta.dirname, '../../bin/bondgate.mjs');
const GATEWAY = 'GW-EPORT-KILL';
const GW_PASSWORD = 'eport-kill-gateway-pw';
const ADMIN_PASSWORD = 'eport-kill-admin-4471';
const OFFICER_PASSWORD = 'quay-compass-4826';
const SLIPS = 6;
const PER_SLIP = 2;
const ZONE = { copCode: '4401630ABC', copName: '南沙仓储', dxpId: 'DXPENT0000067890', customsCode: '5165', operatorCode: '4401630ABC', operatorName: '南沙仓储', logisticsCode: '440316T004', logisticsName: '顺捷物流' };

const dir = mkdtempSync(join(tmpdir(), 'bg-e2e-eport-kill-'));
let hub: ManagedProcess | undefined;
let edge: RunningEdge | undefined;
let stepping = false;
let loop: Promise<void> | undefined;
afterAll(async () => {
  stepping = false;
  await loop;
  await edge?.stop();
  hub?.kill('SIGKILL');
  await hub?.exited;
  rmSync(dir, { recursive: true, force: true });
});

it('SIGKILLs of the hub mid-exchange and a client away: every message sent once in effect, every receipt applied once, nothing stuck', async () => {
  const [httpPort, mqttPort] = await Promise.all([freePort(), freePort()]);
  const pki = makeTestPki({ nowMs: Date.now() });
  writeFileSync(join(dir, 'key.pem'), pki.signer.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'cert.pem'), pki.signer.certificatePem);
  const outbox = join(dir, 'OutBox');
  const inbox = join(dir, 'InBox');
  const sentDir = join(dir, 'client-sent');
  const configFile = join(dir, 'hub.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      hubId: 'e2e-eport-kill',
      dataDir: join(dir, 'hub'),
      http: { host: '127.0.0.1', port: httpPort },
      mqtt: { embedded: { host: '127.0.0.1', port: mqttPort } },
      auth: { adminPassword: ADMIN_PASSWORD },
      gateways: [{ id: GATEWAY, password: GW_PASSWORD }],
      eport: {
        signer: { kind: 'file', keyFile: join(dir, 'key.pem'), certFile: join(dir, 'cert.pem') },
        exchange: { outbox, inbox, pollMs: 100, retryBaseMs: 200, retryMaxMs: 2000, zone: ZONE },
      },
    }),
  );
  const env = { DATABASE_URL: '', MQTT_URL: '', PORT: '', MQTT_PORT: '', LOG_LEVEL: 'info' };
  let starts = 0;
  const startHub = async () => {
    hub = spawnNode([CLI, 'hub', '--config', configFile], { name: `eport-hub-${++starts}`, env, logFile: join(dir, `hub-${starts}.log`) });
    await hub.waitForOutput(/hub ready/, START_TIMEOUT_MS);
  };
  const killHub = async () => {
    hub!.kill('SIGKILL');
    expect((await hub!.exited).signal).toBe('SIGKILL');
  };
  const base = `http://127.0.0.1:${httpPort}`;
  const tokenOf = async (username: string, password: string) => ((await (await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })).json()) as { token: string }).token;

  // The single-window client: doubled, reversed answers, two files a look (a slow client): kills land mid-exchange.
  const sim = new EportClientSim({ outbox, inbox, work: sentDir, rules: { duplicates: true, outOfOrder: true, maxPerStep: 2 } });
  stepping = true;
  loop = (async () => {
    while (stepping) {
      await sim.step().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  await startHub();
  const admin = await tokenOf('admin', ADMIN_PASSWORD);
  expect((await fetch(`${base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ username: 'officer-1', password: OFFICER_PASSWORD, role: 'officer', displayName: 'o' }) })).status).toBe(201);

  edge = await startEdge(parseConfig(EdgeConfig, { gatewayId: GATEWAY, dataDir: join(dir, 'edge'), hub: { mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, password: GW_PASSWORD }, http: { host: '127.0.0.1', port: 0 }, clock: { sync: 'assume-synced' } }, 'test'), createLogger('edge', 'silent'));

  // What the e-port pushes: each parcel's order, payment, waybill and list, and customs' CEB622 800 — twice.
  const sets = generateDocumentSets({ seed: 1818, baseTimeMs: Date.now() - 3600_000, intervalMs: 60_000 }, SLIPS * PER_SLIP);
  const declarer = new SchemaShapedPlaceholderSigner();
  const push = async (type: CebType, docs: CustomsDocument[], copies = 1) => {
    const r = await documentsToCebXml(type, docs, { transfer: ZONE, signer: declarer });
    if (!r.ok) throw new Error(JSON.stringify(r.issues.slice(0, 3)));
    for (let c = 0; c < copies; c++) sim.deliver(`${type}_${r.guid}${c ? `.copy${c}` : ''}.xml`, r.xml);
  };
  const receiptOf = (i: CustomsDocument & { kind: 'inventory' }) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: i.copNo, preNo: i.preNo, invtNo: i.invtNo, ebpCode: i.ebpCode, ebcCode: i.ebcCode, agentCode: i.agentCode }, returnStatus: 800, returnTime: toReceiptTime(Date.now()), returnInfo: '放行' }) as CustomsDocument;

  const slips: string[] = [];
  const taken = () => readdirSync(sentDir).length;
  for (let s = 0; s < SLIPS; s++) {
    const mine = sets.slice(s * PER_SLIP, (s + 1) * PER_SLIP);
    await push('CEB311', mine.map((p) => p.set.order as CustomsDocument));
    await push('CEB411', mine.map((p) => p.set.payment as CustomsDocument));
    await push('CEB511', mine.map((p) => p.set.waybill as CustomsDocument));
    await push('CEB621', mine.map((p) => p.set.inventory as CustomsDocument));
    await push('CEB622', mine.map((p) => receiptOf(p.set.inventory as CustomsDocument & { kind: 'inventory' })), 2);
    const keys = mine.map((p) => p.set.waybill.logisticsNo);
    // The officer issues the exit slip once customs' 800s are in (through the hub's intake): retried across restarts.
    let slipNo = '';
    await vi.waitFor(
      async () => {
        const officer = await tokenOf('officer-1', OFFICER_PASSWORD);
        const res = await fetch(`${base}/api/slips`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${officer}` }, body: JSON.stringify({ ioType: 'E', gateMode: 'single', vehicleNo: `粤B1234${s}`, vehicleWtKg: 9000, containerNos: [], sealIds: [], parcelKeys: keys }) });
        const body = (await res.json()) as { slip?: { passportNo: string } };
        expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(201);
        slipNo = body.slip!.passportNo;
      },
      { timeout: 120_000, interval: 250 },
    );
    slips.push(slipNo);
    // Slip 3: the client goes away before its passage, so the hub's messages wait in the OutBox across the kill.
    if (s === 3) sim.goAway();
    const before = taken();
    // The truck leaves through the exit lane: the gateway journals the passage and syncs it to the hub.
    await edge.journal.append({ type: 'gate.passed', stationId: 'GATE-OUT-1', payload: { laneId: 'OUT-1', direction: 'out', slipNo, vehicleNo: `粤B1234${s}` } });
    if (s === 1) {
      // Mid-exchange: the client has taken one of this slip's messages, not necessarily the other nor answered them.
      await vi.waitFor(() => expect(taken()).toBeGreaterThan(before), { timeout: 120_000, interval: 5 });
      await killHub();
      await startHub();
    }
    if (s === 3) {
      // Written into the OutBox (maybe not yet marked sent) with no client to take it: kill, restart, the client returns.
      await vi.waitFor(() => expect(readdirSync(outbox).filter((n) => n.endsWith('.xml')).length).toBeGreaterThan(0), { timeout: 120_000, interval: 5 });
      await killHub();
      await startHub();
      sim.comeBack();
    }
  }

  // Everything answered: 2 messages a slip (arrival declared at the exit, then the departure), each with its receipt.
  await vi.waitFor(
    async () => {
      const list = (await (await fetch(`${base}/api/eport/messages?limit=100`, { headers: { authorization: `Bearer ${await tokenOf('officer-1', OFFICER_PASSWORD)}` } })).json()) as { items: { state: string }[] };
      expect(list.items.map((m) => m.state)).toEqual(Array(SLIPS * 2).fill('receipt'));
      expect(readdirSync(inbox).filter((n) => n.endsWith('.xml') || /^(Successed|Failed)_/.test(n))).toEqual([]);
    },
    { timeout: 180_000, interval: 250 },
  );
  await killHub();
  stepping = false;
  await loop;

  const storage = await openStorage({ sqliteFile: join(dir, 'hub', 'hub.sqlite') });
  try {
    const repo = openEportMessageRepo(storage.sql);
    const all = await repo.list({ limit: 100 });
    expect(all.map((m) => m.cause).sort()).toEqual(slips.flatMap((n) => [`CEB507:${n}`, `CEB509:${n}`]).sort());
    const files = readdirSync(sentDir).map((n) => n.replace(/^\d+-/, ''));
    const guids = new Set(all.map((m) => m.guid));
    // The client took every message, and nothing but these messages: a kill between the rename and the bookkeeping
    // can only make it take the same file (same guid) again.
    for (const f of files) expect(guids.has(/_([0-9A-F-]{36})\.xml$/.exec(f)?.[1] ?? '')).toBe(true);
    for (const m of all) {
      expect(m.state).toBe('receipt');
      expect(m.receiptStatus).toBe('2');
      expect(files).toContain(m.fileName);
      // Doubled and reversed answers, a kill between applying one and moving its file: each receipt recorded once.
      expect((await repo.receipts(m.guid)).map((r) => r.kind).sort()).toEqual(['business', 'transmission']);
    }
    expect(files.length - all.length).toBeLessThanOrEqual(2);
    // Every CEB622 (each pushed twice, some re-read after a kill) applied once: one receipt on each list.
    for (const p of sets) {
      const docs = await storage.documentsByOrder(p.set.order.orderNo);
      const receipts = (await storage.receiptsFor(docs.map((d) => d.key))).map((r) => r.body as { messageType: string; returnStatus: number });
      expect(receipts).toEqual([expect.objectContaining({ messageType: 'CEB622', returnStatus: 800 })]);
    }
    expect(readdirSync(join(inbox, 'failed'))).toEqual([]);
    expect(readdirSync(outbox).filter((n) => !n.startsWith('.'))).toEqual([]);
  } finally {
    await storage.close();
  }
}, 600_000);
