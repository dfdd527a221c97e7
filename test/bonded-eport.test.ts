import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EportClientSim, type EportSimRules } from '../cli/sim-eport.ts';
import { createLogger } from '../shared/log.ts';
import type { EdgeEvent } from '../shared/schemas/events.ts';
import { HubConfig } from '../hub/config.ts';
import { EportExchangeConfig } from '../hub/eport/config.ts';
import { startEportExchange, type EportExchange } from '../hub/eport/exchange.ts';
import { Sm2FileSigner } from '../hub/eport/file-signer.ts';
import { makeTestPki } from '../hub/eport/test-pki.ts';
import { openAlarmRepo } from '../hub/repos/alarms.ts';
import { openBondedRepo } from '../hub/repos/bonded.ts';
import { mapCebHere } from '../hub/services/ceb-pool.ts';
import { BondedService } from '../hub/services/bonded.ts';
import { StationFeedService } from '../hub/services/station-feed.ts';
import { openPostgresStorage } from '../hub/storage/postgres.ts';
import { openSqliteStorage } from '../hub/storage/sqlite.ts';
import pg from 'pg';
import { postgresAvailable, requireService } from './helpers/services.ts';
import type { Storage } from '../hub/storage/storage.ts';

/**
 * Issue 19 item 4: the bonded book on the e-port channel end to end, in process, over real folders and a SQLite file.
 * A hub with `bonded` (first line mapped) and `eport.exchange`; `bondgate sim eport`'s client answering as customs'
 * SAS. A truck's tally at a bonded desk → INV101 signed in the OutBox → INV201 + INV211 → the book increases → the
 * first-line slip SAS121 → SAS221 → approved with a 24-character number; a rejected list; answers doubled (applied
 * once); the hub closed and reopened in the middle losing nothing; an unmapped SKU alarmed, not skipped. Driven step
 * by step (exchange tick, client step; the InBox takes a file on its second look): no sleeps.
 */
const log = createLogger('test', 'silent');
const pki = makeTestPki({ nowMs: Date.now() });
const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
const EMS = 'T4403W000001';
const clock = Date.parse('2026-12-07T02:00:00Z');

const bondedConfig = HubConfig.shape.bonded.unwrap().parse({
  emsNo: EMS,
  district: '4403',
  enterprise: { sccd: '91440300MA5XXXXX1Q', etpsno: '4403660001', name: '前海保税仓储有限公司' },
  firstLine: {
    items: {
      'CREAM-50': { gdsSeqno: 1, dclUprcAmt: '12.5', natcd: '116', gdsSpcfModelDesc: '50ml', grossKg: '0.2', netKg: '0.15' },
      'MILK-800': { gdsSeqno: 2, dclUprcAmt: '98', natcd: '554', gdsSpcfModelDesc: '800g', grossKg: '1', netKg: '0.8' },
    },
  },
});

let dir: string;
const pgUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const pgOk = requireService('PostgreSQL', await postgresAvailable(pgUrl));
/** The hub's store for this test, reopened on the same file or schema after a "restart". */
let openStore: () => Promise<Storage>;
let dropStore: () => Promise<void> = async () => undefined;
function useStore(dialect: 'sqlite' | 'postgres') {
  beforeEach(() => {
    if (dialect === 'sqlite') {
      openStore = async () => openSqliteStorage({ file: join(dir, 'hub.sqlite') });
      dropStore = async () => undefined;
      return;
    }
    const schema = `t_bonded_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    openStore = () => openPostgresStorage({ url: pgUrl, schema });
    dropStore = async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    };
  });
  afterEach(() => dropStore());
}
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bg-bonded-eport-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Hub {
  storage: Storage;
  bonded: BondedService;
  ex: EportExchange;
  feed: StationFeedService;
  raised: string[];
  close(): Promise<void>;
}

async function openHub(): Promise<Hub> {
  const storage = await openStore();
  await storage.migrate();
  const alarms = openAlarmRepo(storage.sql);
  await alarms.migrate();
  const raised: string[] = [];
  const signal = alarms.signal.bind(alarms);
  alarms.signal = async (gw, sig, at, seq) => {
    if (sig.op === 'raise') raised.push(`${sig.kind}:${sig.subject}`);
    return signal(gw, sig, at, seq);
  };
  const repo = openBondedRepo(storage.sql);
  await repo.migrate();
  const feed = new StationFeedService({ storage, log, publish: () => undefined, gateways: async () => [], signing: { privateKeyPem: '', keyId: 'unused' } });
  let bonded: BondedService | undefined = undefined;
  const ex = await startEportExchange({
    config: EportExchangeConfig.parse({
      outbox: join(dir, 'OutBox'),
      inbox: join(dir, 'InBox'),
      pollMs: 600_000,
      zone: { copCode: '4403660001', copName: '前海保税仓储', dxpId: 'DXPENT0000067890', customsCode: '4403', operatorCode: '4403660001', operatorName: '前海保税仓储', logisticsCode: '440316T004', logisticsName: '顺捷物流' },
    }),
    sql: storage.sql,
    customs: { ingest: async () => [] },
    mapXml: mapCebHere,
    slip: async () => undefined,
    alarms,
    appendAudit: (input, atMs) => storage.appendAudit(input, atMs),
    log,
    signer,
    bonded: (r, o) => bonded!.receiveFromInbox(r, o),
    now: () => clock,
  });
  bonded = new BondedService({ repo, storage, feed, config: bondedConfig, alarms, outbox: true, log, now: () => clock });
  await bonded.resumeTallies();
  return {
    storage,
    bonded,
    ex,
    feed,
    raised,
    async close() {
      await ex.stop();
      await storage.close();
    },
  };
}

let seq = 0;
const ev = (type: string, payload: Record<string, unknown>) => ({ id: `ev-${++seq}`, seq, type, stationId: 'WH-1', time: { wallMs: clock - 60_000 + seq }, payload }) as unknown as EdgeEvent;
const receive = (listId: string, txId: string, sku: string, qty: number) => ev('warehouse.transaction', { transactionId: txId, warehouse: 'bonded', op: 'receive', outcome: 'ok', sku, qty, listId });
const files = (sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).filter((n) => !n.startsWith('.') && n !== 'done' && n !== 'failed') : []);

/** One exchange round trip: send, the client takes and answers, the InBox's two looks. */
async function roundTrip(h: Hub, sim: EportClientSim) {
  await h.ex.tick();
  await sim.step();
  await h.ex.tick();
  await h.ex.tick();
}

async function setUp(h: Hub) {
  await h.bonded.fileItem({ emsNo: EMS, gdsSeqno: 1, gdsMtno: 'M-001', gdecd: '3304990099', gdsNm: '面霜', dclUnitcd: '011', openingQty: '0', storageLimitQty: null }, 'manager-1');
  await h.bonded.fileItem({ emsNo: EMS, gdsSeqno: 2, gdsMtno: 'M-002', gdecd: '1901101000', gdsNm: '奶粉', dclUnitcd: '122', openingQty: '0', storageLimitQty: null }, 'manager-1');
  const expected = (listId: string, items: { sku: string; qty: number }[]) => ({ kind: 'expected' as const, key: listId, value: { listId, kind: 'inbound', warehouse: 'bonded', items } });
  await h.feed.put([expected('IN-1', [{ sku: 'CREAM-50', qty: 4 }, { sku: 'MILK-800', qty: 2 }]), expected('IN-2', [{ sku: 'CREAM-50', qty: 3 }]), expected('IN-3', [{ sku: 'SOAP-1', qty: 1 }])]);
}

// The tally tables and the book's queries on both stores (PostgreSQL in a schema of its own, reopened for the restarts).
describe.each(['sqlite', 'postgres'] as const)('the bonded book on the e-port channel, with the simulated SAS (%s)', (dialect) => {
  if (dialect === 'postgres' && !pgOk) return;
  useStore(dialect);
  it('tally → INV101 → INV201/211 → book; first-line slip SAS121 → SAS221 approved (24 characters); a rejection; doubled answers once; a restart losing nothing', async () => {
    const rules: EportSimRules = { duplicates: true, sas: { reject: (m) => (m.type === 'INV101' && m.n === 3 ? '商品编码与账册不符' : undefined) } };
    const sim = new EportClientSim({ outbox: join(dir, 'OutBox'), inbox: join(dir, 'InBox'), rules, now: () => clock });
    let h = await openHub();
    await setUp(h);
    const tally = { apply: (gw: string, events: EdgeEvent[]) => h.bonded.tallies().apply(gw, events) };

    // The truck at the gate, then its goods tallied at the desk (a re-scan amends, not adds).
    await tally.apply('GW-GATE', [ev('gate.passed', { laneId: 'L1', direction: 'in', vehicleNo: '粤B12345', weighbridgeKg: 15_000 })]);
    await tally.apply('GW-WH', [receive('IN-1', 't1', 'CREAM-50', 3), receive('IN-1', 't1', 'CREAM-50', 4)]);
    expect((await h.bonded.lists(10)).length).toBe(0); // not complete yet: the milk is still on the truck
    await tally.apply('GW-WH', [receive('IN-1', 't2', 'MILK-800', 2), receive('IN-1', 't2', 'MILK-800', 2)]);
    const [list] = await h.bonded.lists(10);
    expect(list).toMatchObject({ kind: 'first_line_in', listStat: 'declared', lines: [{ gdsSeqno: 1, gdsMtno: 'M-001', dclQty: '4' }, { gdsSeqno: 2, gdsMtno: 'M-002', dclQty: '2' }] });
    // Replayed events change nothing: one list, one message.
    await tally.apply('GW-WH', [receive('IN-1', 't2', 'MILK-800', 2)]);
    expect((await h.bonded.lists(10)).length).toBe(1);
    expect(h.raised).toContain(`bonded_tally_after_list:GW-WH/IN-1`);

    // Sent: signed, in the OutBox under its guid.
    await h.ex.tick();
    const [inv101] = files('OutBox');
    expect(inv101).toMatch(/^INV101_[0-9A-F-]{36}\.xml$/);
    const xml = readFileSync(join(dir, 'OutBox', inv101!), 'utf8');
    expect(xml).toContain('<message_type>INV101</message_type>');
    expect(xml).toMatch(/<ds:Signature[\s\S]*<\/ds:Signature><\/Package>$/);
    const guid = inv101!.slice(7, 43);
    expect((await h.ex.detail(guid)).message).toMatchObject({ state: 'sent', messageType: 'INV101', subject: list!.etpsInnerInvtNo });

    // The client answers while the hub is down; the hub comes back on the same store and takes the answers.
    await h.close();
    await sim.step();
    expect(files('InBox').sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^INV201_/), expect.stringMatching(/^INV211_/), `Successed_${inv101}`]));
    expect(files('InBox').length).toBe(6); // every answer twice
    h = await openHub();
    await h.ex.tick();
    await h.ex.tick();
    expect(files('InBox')).toEqual([]);
    const approved = await h.bonded.getList(list!.etpsInnerInvtNo);
    expect(approved).toMatchObject({ listStat: 'approved', vrfdedMarkcd: '2', bondInvtNo: expect.stringMatching(/^QD4403\d{2}I\d{9}$/) });
    const book = await h.bonded.book();
    expect(book.items.map((i) => [i.gdsSeqno, i.actlIncQty, i.balanceQty])).toEqual([[1, '4', '4'], [2, '2', '2']]);
    expect((await h.bonded.item(1)).moves.map((m) => [m.kind, m.qty, m.receiptType])).toEqual([['actl_inc', '4', 'INV211']]);
    const d = await h.ex.detail(guid);
    expect(d.message).toMatchObject({ state: 'receipt', receiptStatus: '2' });
    expect(d.receipts.map((r) => `${r.kind}:${r.messageType ?? ''}:${r.status}`).sort()).toEqual(['business:INV201:0', 'business:INV211:2', 'transmission::succeeded']);

    // The first-line slip was applied for with the approval, for the truck the tally claimed: out, answered, approved.
    const [slip] = await h.bonded.slips(10);
    expect(slip).toMatchObject({ stucd: '0', passportTypecd: '2', ioTypecd: 'I', bindTypecd: '2', rltTbTypecd: '1', rltNos: [approved!.bondInvtNo], vehicleNo: '粤B12345', totalGrossWt: '2.8', totalWt: '15000' });
    await roundTrip(h, sim);
    const passed = await h.bonded.getSlip(slip!.etpsPreentNo);
    expect(passed.stucd).toBe('1');
    expect(passed.passportNo).toMatch(/^Z4403I261207\d{12}$/);
    expect(passed.passportNo).toHaveLength(24);
    const sas = (await h.ex.list({ messageType: 'SAS121', limit: 10 })).items;
    expect(sas).toMatchObject([{ state: 'receipt', receiptStatus: '1', subject: slip!.etpsPreentNo }]);

    // A second truck's list returned by customs (the 3rd message the client took): rejected with the reason, the book unchanged.
    await tally.apply('GW-GATE', [ev('gate.passed', { laneId: 'L1', direction: 'in', vehicleNo: '粤B67890' })]);
    await tally.apply('GW-WH', [receive('IN-2', 't3', 'CREAM-50', 3)]);
    await roundTrip(h, sim);
    const second = (await h.bonded.lists(10)).find((l) => l.etpsInnerInvtNo !== list!.etpsInnerInvtNo)!;
    expect(second).toMatchObject({ listStat: 'rejected', rejectReason: '商品编码与账册不符' });
    expect((await h.ex.list({ messageType: 'INV101', limit: 10 })).items.find((m) => m.subject === second.etpsInnerInvtNo)).toMatchObject({ state: 'receipt', receiptStatus: '2', receiptInfo: '商品编码与账册不符' });
    expect((await h.bonded.book()).items.map((i) => i.actlIncQty)).toEqual(['4', '2']);
    expect((await h.bonded.slips(10)).length).toBe(1); // no slip for a returned list

    // A SKU the book has no item for: a clear alarm, no list.
    await tally.apply('GW-WH', [receive('IN-3', 't4', 'SOAP-1', 1)]);
    expect(h.raised).toContain('bonded_sku_unmapped:GW-WH/IN-3');
    expect((await h.bonded.lists(10)).length).toBe(2);
    await h.close();
  });

  it('a first-line slip left a draft when its 申报 failed (a crash, a refusal) is applied for at the next start', async () => {
    const sim = new EportClientSim({ outbox: join(dir, 'OutBox'), inbox: join(dir, 'InBox'), now: () => clock });
    let h = await openHub();
    await setUp(h);
    await h.bonded.tallies().apply('GW-GATE', [ev('gate.passed', { laneId: 'L1', direction: 'in', vehicleNo: '粤B12345', weighbridgeKg: 15_000 })]);
    await h.bonded.tallies().apply('GW-WH', [receive('IN-1', 't1', 'CREAM-50', 4), receive('IN-1', 't2', 'MILK-800', 2)]);
    await h.ex.tick();
    await sim.step();
    // The slip's 申报 fails after its draft is stored (as a crash there would leave it): the INV201 is applied once.
    const failing = h.bonded as unknown as { applySlip: (...a: unknown[]) => Promise<unknown> };
    failing.applySlip = async () => {
      throw new Error('the hub stopped here');
    };
    await h.ex.tick();
    await h.ex.tick();
    const [list] = await h.bonded.lists(10);
    expect(list).toMatchObject({ listStat: 'approved' });
    const [draft] = await h.bonded.slips(10);
    expect(draft).toMatchObject({ stucd: 'draft', vehicleNo: '粤B12345' });
    expect((await h.ex.list({ messageType: 'SAS121', limit: 10 })).items).toEqual([]);
    await h.close();

    h = await openHub();
    const [applied] = await h.bonded.slips(10);
    expect(applied).toMatchObject({ etpsPreentNo: draft!.etpsPreentNo, stucd: '0' });
    expect((await h.ex.list({ messageType: 'SAS121', limit: 10 })).items).toMatchObject([{ subject: draft!.etpsPreentNo }]);
    await roundTrip(h, sim);
    expect((await h.bonded.getSlip(draft!.etpsPreentNo)).stucd).toBe('1');
    expect((await h.bonded.slips(10)).length).toBe(1); // applied for once, not a second slip
    await h.close();
  });

  it('a receipt that overtakes the one it follows (INV211 before INV201) waits in the InBox and is applied after it, once', async () => {
    const sim = new EportClientSim({ outbox: join(dir, 'OutBox'), inbox: join(dir, 'InBox'), now: () => clock });
    const h = await openHub();
    await setUp(h);
    await h.bonded.tallies().apply('GW-WH', [receive('IN-2', 't1', 'CREAM-50', 3)]);
    await h.ex.tick();
    await sim.step();
    // Hold the INV201 back: only the INV211 (and the transmission result) are in the InBox.
    const inv201 = files('InBox').find((n) => n.startsWith('INV201_'))!;
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'InBox', inv201), join(dir, inv201));
    await h.ex.tick();
    await h.ex.tick();
    expect(files('InBox').filter((n) => n.startsWith('INV211_'))).toHaveLength(1);
    expect((await h.bonded.book()).items[0]!.actlIncQty).toBe('0');
    renameSync(join(dir, inv201), join(dir, 'InBox', inv201));
    await h.ex.tick();
    await h.ex.tick();
    await h.ex.tick();
    await h.ex.tick();
    expect(files('InBox')).toEqual([]);
    expect((await h.bonded.book()).items[0]!.actlIncQty).toBe('3');
    expect(h.raised.filter((a) => a.startsWith('bonded_receipt_refused'))).toEqual([]);
    await h.close();
  });
});
