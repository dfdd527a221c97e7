import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DeskOperator, pickAndPack, receiveAndPutAway } from '../../cli/demo-warehouse.ts';
import { declareScenarioParcel } from '../../cli/demo-documents.ts';
import { LockSimulator } from '../../drivers/modbus/lock-simulator.ts';
import { LlrpReaderSimulator } from '../../drivers/rfid/llrp-simulator.ts';
import { renderFrame } from '../../drivers/scale/simulator.ts';
import { startDeskRig } from '../../drivers/sim/desk-rig.ts';
import { startLineRig } from '../../drivers/sim/line-rig.ts';
import { Scenario } from '../../drivers/sim/scenario.ts';
import { socatAvailable, startPtyPair } from '../../drivers/transport/pty.ts';
import { SerialConfig, serialTransport } from '../../drivers/transport/serial.ts';
import type { Link } from '../../drivers/transport/transport.ts';
import { startEdge, type RunningEdge } from '../../edge/agent.ts';
import { EdgeConfig } from '../../edge/config.ts';
import type { StationRunner } from '../../edge/stations/runtime.ts';
import { hashToken } from '../../hub/auth/sessions.ts';
import { itemKey } from '../../hub/bonded/ledger.ts';
import { decideInv101, decideSas121, recordInv211, type SimCounter } from '../../hub/bonded/sim-customs.ts';
import { usedOnSlips } from '../../hub/bonded/slips.ts';
import type { BondList } from '../../hub/bonded/model.ts';
import { HubConfig } from '../../hub/config.ts';
import { openBondedRepo } from '../../hub/repos/bonded.ts';
import { startHub, type RunningHub } from '../../hub/server.ts';
import type { Role } from '../../hub/storage/storage.ts';
import { parseConfig } from '../../shared/config-file.ts';
import { decodeEpc, encodeSscc96 } from '../../shared/identifiers/epc.ts';
import { s10Number } from '../../shared/identifiers/s10.ts';
import { createLogger } from '../../shared/log.ts';
import type { ExpectedList } from '../../shared/stations/feed.ts';
import type { GateState } from '../../shared/stations/gate.ts';
import { freePort } from '../helpers/ports.ts';

/**
 * Issue 19's first proof: a bonded zone on the real device simulators, every step through the stations and the hub's
 * services. A first-line truck enters (RFID portal, weighbridge on a serial line, barrier on Modbus TCP) on a slip
 * customs approved; the warehouse desk (handheld scanner and bench scale on serial lines) tallies and puts it away;
 * the tally's first-line list is recorded by customs → bonded. Two 1210 orders are declared through the customs
 * intake (800 receipts), picked and packed at the desk and pass the inspection line (scanner, scale, OPC UA X-ray and
 * diverter); their second-line exit list is approved; a second-line truck with its slip passes the exit lane; only
 * then customs deducts the list. A return re-enters the same way as a return list; an empty vehicle passes.
 *
 * Customs is simulated in process (hub/bonded/sim-customs.ts, the same rules as `bondgate sim eport`): it reads the
 * documents the hub stored and its receipts go in through POST /api/bonded/receipts — the path the e-port inbox uses.
 * At every step the account book, the lists' write-off flags, the slips' statuses and the stock states are checked.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-bonded-zone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EMS = 'T5301W000001';
const DISTRICT = '5301';
const GW = 'GW-ZONE';
const CREAM = '6901234567892';
const MILK = '4006381333931';
const PRICING = { pricing: [1, 2].map((gdsSeqno) => ({ gdsSeqno, dclCurrcd: '142', dclUprcAmt: '12.5', natcd: '116', destinationNatcd: '142', gdsSpcfModelDesc: '50ml' })) };
const RULES = { rulesId: 'ZONE-RULES', validFromMs: Date.now() - 60_000, validToMs: Date.now() + 3_600_000, weightTolerancePct: 10, weightToleranceKg: 0.05, xraySuspectToInspection: true, samplingRate: 0, gateWeightTolerancePct: 3, gateWeightToleranceKg: 50, maxCacheAgeMs: 15 * 60_000 };

/** Tagged cartons (SSCC-96): what the RFID portal reads on a truck, and the key a slip names them by. */
const cartons = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const epcHex = encodeSscc96({ filter: 0, companyPrefix: '0614141', serialReference: String(2_000_000_000 + from + i) });
    return { epcHex, sscc: (decodeEpc(epcHex) as { elementString: string }).elementString.slice(4) };
  });

interface Lane {
  runner: StationRunner<unknown, unknown>;
  portal: LlrpReaderSimulator;
  barrier: LockSimulator;
  weighbridge: Link;
}

describe.skipIf(!socatAvailable())('a bonded zone on the device simulators (issue 19)', () => {
  let hub: RunningHub | undefined;
  let edge: RunningEdge | undefined;
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await edge?.stop();
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await hub?.stop();
  });

  it('enters, tallies, binds, picks, inspects, exits, deducts, takes a return back and lets an empty vehicle out', async () => {
    const [brokerPort, inLlrp, outLlrp, inLock] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    hub = await startHub(
      parseConfig(HubConfig, {
        dataDir: join(dir, 'hub'),
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { embedded: { host: '127.0.0.1', port: brokerPort } },
        auth: { adminPassword: 'zone-admin-password' },
        gateways: [{ id: GW, password: 'password-of-the-zone' }],
        ingest: { decodeWorkers: 0 },
        bonded: { emsNo: EMS, district: DISTRICT, enterprise: { sccd: '91530100MA6XXXXX2B', etpsno: '5301660001', name: '昆明综保仓储有限公司' } },
      }, 'test'),
      log,
    );
    const h = hub;
    for (const role of ['manager', 'officer', 'admin'] as Role[]) {
      await h.storage.createUser({ username: `${role}-z`, passwordHash: 'x', role, displayName: role, createdMs: 0 });
      await h.storage.createSession({ tokenHash: hashToken(`zone-token-${role}`), username: `${role}-z`, role, expiresMs: Date.now() + 3_600_000 });
    }
    const call = async <T = Record<string, unknown>>(role: Role, method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${h.httpUrl}${path}`, { method, headers: { authorization: `Bearer zone-token-${role}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
      return JSON.parse(text) as T;
    };

    // --- simulated customs: reads what the hub stored, answers through the receipts route -----------------------
    const book = openBondedRepo(h.storage.sql);
    const counter: SimCounter = { invt: 0, passport: 0 };
    let receipts = 0;
    const receipt = async (r: object) => expect(await call('admin', 'POST', '/api/bonded/receipts', r)).toMatchObject({ kind: 'applied' });
    const items = async () => new Map((await book.items(EMS)).map((i) => [itemKey(i.emsNo, i.gdsSeqno), i]));
    /** 申报 by the enterprise, 审批 by customs (INV201): the list's customs number. */
    const declareAndApprove = async (no: string): Promise<string> => {
      await call('officer', 'POST', `/api/bonded/lists/${no}/declare`, PRICING);
      const decided = decideInv101((await book.getList(no))!, await items(), counter, DISTRICT, '26', `inv201-${++receipts}`);
      expect(decided).toMatchObject({ invtStucd: '0' });
      await receipt(decided);
      return (decided as { bondInvtNo: string }).bondInvtNo;
    };
    /** INV211 once customs may record the list (released and all its goods through the gate). */
    const record = async (no: string) => {
      const r = recordInv211((await book.getList(no))!, `inv211-${++receipts}`);
      expect(r, `list ${no} may not be recorded yet`).not.toBeNull();
      await receipt(r!);
    };
    /** 申报 a prepared slip; customs approves it (SAS221) with its 24-character number. */
    const applyAndApprove = async (etpsPreentNo: string): Promise<string> => {
      await call('officer', 'POST', `/api/bonded/slips/${etpsPreentNo}/apply`);
      const slip = (await book.getSlip(etpsPreentNo))!;
      const lists = new Map<string, BondList>();
      for (const l of slip.lines) lists.set(l.listNo, (await book.getList(l.listNo))!);
      const others = (await book.slips({ limit: 1000, bindingOnly: true })).filter((s) => s.etpsPreentNo !== etpsPreentNo);
      const decided = decideSas121(slip, lists, usedOnSlips(others), counter, '261207', `sas221-${++receipts}`);
      expect(decided).toMatchObject({ manageResult: '1' });
      await receipt(decided);
      return (decided as { passportNo: string }).passportNo;
    };
    const list = (no: string) => call<BondList>('officer', 'GET', `/api/bonded/lists/${no}`);
    const slipStatus = async (no: string) => (await call<{ stucd: string }>('officer', 'GET', `/api/bonded/slips/${no}`)).stucd;
    const ledger = async () => Object.fromEntries((await call<{ items: { gdsMtno: string; balanceQty: string; availableQty: string; prevdRedcQty: string }[] }>('officer', 'GET', '/api/bonded/book')).items.map((i) => [i.gdsMtno, [i.balanceQty, i.availableQty, i.prevdRedcQty]]));
    const states = async () => (await call<{ totals: Record<string, string> }>('officer', 'GET', '/api/stock/states')).totals;

    await call('manager', 'POST', '/api/bonded/items', { emsNo: EMS, gdsSeqno: 1, gdsMtno: CREAM, gdecd: '3304990099', gdsNm: '面霜', dclUnitcd: '011' });
    await call('manager', 'POST', '/api/bonded/items', { emsNo: EMS, gdsSeqno: 2, gdsMtno: MILK, gdecd: '1901101000', gdsNm: '奶粉', dclUnitcd: '122' });

    // --- the devices: two gate lanes, the warehouse desk, the inspection line --------------------------------
    const desk = await startDeskRig({ prefix: 'desk' });
    stops.push(desk.stop);
    const rig = await startLineRig({ pkiDir: join(dir, 'pki') });
    stops.push(rig.stop);
    const portals = [new LlrpReaderSimulator(50, 1000), new LlrpReaderSimulator(50, 1000)];
    await portals[0]!.start(inLlrp);
    await portals[1]!.start(outLlrp);
    stops.push(() => portals[0]!.stop(), () => portals[1]!.stop());
    const inBarrier = new LockSimulator({ openCoil: 0, openedInput: 0, forcedInput: 1 }, 20);
    await inBarrier.start(inLock);
    stops.push(() => inBarrier.stop());
    const bridges: Link[] = [];
    const bridgeDevices = [];
    for (const lane of ['in', 'out']) {
      const pty = await startPtyPair();
      stops.push(pty.close);
      const link = await serialTransport(SerialConfig.parse({ path: pty.device }))();
      stops.push(() => link.close());
      bridges.push(link);
      bridgeDevices.push({ kind: 'scale' as const, id: `${lane}-weighbridge`, serial: { path: pty.host }, scale: { protocol: 'ad-ascii' as const } });
    }
    const gate = { captureTimeoutMs: 60_000, barrierCloseAfterMs: 500, requireSealMatch: false };
    edge = await startEdge(
      parseConfig(EdgeConfig, {
        gatewayId: GW,
        dataDir: join(dir, 'edge'),
        hub: { mqttUrl: h.mqttUrl, password: 'password-of-the-zone', rulesPublicKey: h.rulesPublicKeyPem },
        http: { host: '127.0.0.1', port: 0 },
        clock: { sync: 'assume-synced' },
        devices: [
          ...rig.devices,
          ...desk.devices,
          ...bridgeDevices,
          { kind: 'llrp-reader', id: 'in-portal', tcp: { host: '127.0.0.1', port: inLlrp } },
          { kind: 'llrp-reader', id: 'out-portal', tcp: { host: '127.0.0.1', port: outLlrp } },
          { kind: 'modbus-lock', id: 'in-barrier', tcp: { host: '127.0.0.1', port: inLock, timeoutMs: 500 }, lock: { map: { openCoil: 0, openedInput: 0, forcedInput: 1 }, pollMs: 30 } },
        ],
        stations: [
          { kind: 'gate', id: 'GATE-IN-1', gate: { laneId: 'IN-1', direction: 'in', ...gate }, devices: { portal: 'in-portal', barrier: 'in-barrier', weighbridge: 'in-weighbridge' } },
          { kind: 'gate', id: 'GATE-OUT-1', gate: { laneId: 'OUT-1', direction: 'out', ...gate }, devices: { portal: 'out-portal', barrier: 'exit-barrier', weighbridge: 'out-weighbridge' } },
          { kind: 'warehouse', id: 'WMS-DESK-1', devices: { scanners: [desk.scannerId], scale: desk.scaleId } },
          { kind: 'inspection', id: 'INSPECTION-LINE-1', line: { lineId: 'LINE-1', decideTimeoutMs: 4000, multiReadWindowMs: 300 }, devices: { scanners: ['scanner-top'], scale: 'scale-1', xray: 'xray-line', diverter: 'xray-line' } },
        ],
      }, 'test'),
      log,
    );
    const e = edge;
    const runner = (id: string) => e.stations.runners.find((r) => r.id === id)!;
    const lanes: Record<'in' | 'out', Lane> = {
      in: { runner: runner('GATE-IN-1'), portal: portals[0]!, barrier: inBarrier, weighbridge: bridges[0]! },
      out: { runner: runner('GATE-OUT-1'), portal: portals[1]!, barrier: rig.lock, weighbridge: bridges[1]! },
    };
    await h.feed.put([{ kind: 'rules', key: 'ZONE-RULES', value: RULES }]);
    await vi.waitFor(() => expect(e.devices!.status().filter((d) => d.state !== 'up')).toEqual([]), { timeout: 30_000 });
    const journal = () => e.journal.readFrom(1, 1_000_000).map((r) => JSON.parse(r.json) as { type: string; stationId: string; parcelKey?: string; payload: Record<string, unknown> });
    const operator = new DeskOperator(runner('WMS-DESK-1'), desk);

    /** A truck at a lane: arrives, the portal reads its tags, the guard scans the slip and types the plate, it weighs. */
    const truck = async (side: 'in' | 'out', slipNo: string, plate: string, tags: { epcHex: string }[], kg: number) => {
      const lane = lanes[side];
      expect((lane.runner.current as GateState).phase).toBe('idle');
      const opensBefore = lane.barrier.opens;
      const consoleInput = (i: Parameters<NonNullable<typeof lane.runner.def.consoleInput>>[0]) => lane.runner.input(lane.runner.def.consoleInput!(i, 'guard-1')!);
      await consoleInput({ kind: 'action', id: 'arrived' });
      lane.portal.setTags(tags.map((t, i) => ({ epcHex: t.epcHex, antennaId: (i % 2) + 1, peakRssiDbm: -50 })));
      await consoleInput({ kind: 'scan', text: slipNo });
      await consoleInput({ kind: 'scan', text: plate });
      // The portal has read the whole load before the truck stops on the weighbridge.
      await vi.waitFor(() => {
        const s = lane.runner.current as GateState;
        expect(s.phase === 'capturing' ? s.passage.capture.goodsKeys.length : `${side} ${slipNo} ${tags.length} ${s.phase}: ${'verdict' in s ? s.verdict.reasons.map((r) => `${r.code} ${r.detail ?? ''}`).join('; ') : ''}`).toBe(tags.length);
      }, { timeout: 10_000 });
      // The load has rolled past the portal before the truck stops on the weighbridge: nothing of it is read for the next one.
      lane.portal.setTags([]);
      await lane.weighbridge.write(renderFrame('ad-ascii', 0, true));
      await lane.weighbridge.write(renderFrame('ad-ascii', kg, true));
      await vi.waitFor(() => expect(journal().filter((x) => x.type === 'gate.passed' && x.payload.slipNo === slipNo)).toHaveLength(1), { timeout: 15_000 });
      // Counted, not polled: on a loaded machine the barrier may be up and down again (barrierCloseAfterMs) between polls.
      await vi.waitFor(() => expect(lane.barrier.opens).toBe(opensBefore + 1), { timeout: 15_000 });
      await vi.waitFor(() => expect(lane.barrier.isOpen).toBe(false), { timeout: 10_000 });
      await vi.waitFor(() => expect((lane.runner.current as GateState).phase).toBe('idle'), { timeout: 10_000 });
    };
    const atGates = (passportNo: string) => vi.waitFor(() => expect(e.cache.slip(passportNo)?.status).toBe('approved'), { timeout: 15_000 });

    // 1. A first-line truck enters on a 先入区后报关 slip (type 1: the list follows the tally).
    const inbound = cartons(0, 20);
    const entrySlip = await call<{ etpsPreentNo: string }>('officer', 'POST', '/api/bonded/slips', { ioTypecd: 'I', passportTypecd: '1', vehicleNo: '滇A12345', vehicleWt: '8000', goods: inbound.map((c) => c.sscc) });
    const entryNo = await applyAndApprove(entrySlip.etpsPreentNo);
    expect(await slipStatus(entryNo)).toBe('1');
    await atGates(entryNo);
    await truck('in', entryNo, '滇A12345', inbound, 8030);
    await vi.waitFor(async () => expect(await slipStatus(entryNo)).toBe('2'), { timeout: 15_000 });
    expect(await states()).toMatchObject({ bonded: '0', list_applied: '0' }); // inside, but nothing on the book yet

    // 2. Tallied and put away at the desk; the tally's first-line list is declared, approved and recorded → bonded.
    const truckList: ExpectedList = { listId: 'RKD-ZONE-0001', kind: 'inbound', warehouse: 'bonded', items: [{ sku: CREAM, qty: 12, locationId: 'A-01-03' }, { sku: MILK, qty: 8, locationId: 'B-02-01' }] };
    await h.feed.put([{ kind: 'expected', key: truckList.listId, value: truckList }]);
    await vi.waitFor(() => expect(e.cache.expected(truckList.listId)).toBeDefined(), { timeout: 15_000 });
    await receiveAndPutAway(operator, truckList);
    const shelf = async () => Object.fromEntries((await call<{ totals: { sku: string; qty: number }[] }>('officer', 'GET', '/api/stock?warehouse=bonded')).totals.map((t) => [t.sku, t.qty]));
    await vi.waitFor(async () => expect(await shelf()).toEqual({ [CREAM]: 12, [MILK]: 8 }), { timeout: 20_000 });
    const counted = await shelf();
    const firstLine = await call<BondList>('officer', 'POST', '/api/bonded/lists', { kind: 'first_line_in', lines: Object.entries(counted).map(([sku, qty]) => ({ sku, qty })), sources: [truckList.listId, entryNo] });
    const firstLineNo = await declareAndApprove(firstLine.etpsInnerInvtNo);
    expect(await states()).toMatchObject({ bonded: '0', list_applied: '20' });
    await record(firstLine.etpsInnerInvtNo);
    expect((await list(firstLineNo)).vrfdedMarkcd).toBe('2');
    expect(await ledger()).toEqual({ [CREAM]: ['12', '12', '0'], [MILK]: ['8', '8', '0'] });
    expect(await states()).toEqual({ non_bonded: '0', bonded: '20', list_applied: '0', slip_applied: '0', written_off: '0' });

    // 3. Two 1210 orders: documents and customs' 800 through the intake; picked and packed at the desk.
    const waybills = [s10Number(7_100_001), s10Number(7_100_002)];
    for (const [n, code] of waybills.entries()) expect(await declareScenarioParcel((docs) => h.customs.ingest([...docs], 'test:eport'), code, { weightKg: 0.6, verdict: 'clear' }, n)).toBe(800);
    const orders: string[] = [];
    for (const code of waybills) {
      const c = await call<{ case: { orderNo: string; status: string } }>('officer', 'GET', `/api/cases/${code}`);
      expect(c.case.status).toBe('released');
      orders.push(c.case.orderNo);
    }
    const orderLists: ExpectedList[] = orders.map((orderNo, i) => ({ listId: orderNo, kind: 'outbound', warehouse: 'bonded', orderNo, items: [{ sku: CREAM, qty: 2, expectedWeightKg: 0.5, locationId: 'A-01-03' }, ...(i === 0 ? [{ sku: MILK, qty: 1, expectedWeightKg: 0.1, locationId: 'B-02-01' }] : [])] }));
    await h.feed.put(orderLists.map((l) => ({ kind: 'expected' as const, key: l.listId, value: l })));
    await vi.waitFor(() => expect(orderLists.every((l) => e.cache.expected(l.listId))).toBe(true), { timeout: 15_000 });
    for (const l of orderLists) await pickAndPack(operator, l, 0.6);
    await vi.waitFor(() => expect(journal().filter((x) => x.type === 'warehouse.transaction' && x.payload.op === 'pack').map((x) => [x.payload.listId, x.payload.outcome, x.payload.weightKg])).toEqual(orders.map((o) => [o, 'ok', 0.6])), { timeout: 15_000 });

    // 4. The parcels pass the inspection line: scanner, scale, X-ray; the diverter sends them to release.
    await vi.waitFor(() => expect(waybills.every((w) => e.cache.decision(w)?.decision === 'released')).toBe(true), { timeout: 15_000 });
    await rig.play(Scenario.parse({ parcels: waybills.map((code) => ({ code, weightKg: 0.6 })), parcelGapMs: 2500 }), new AbortController().signal);
    await vi.waitFor(() => expect(rig.line.outcomes.map((o) => [o.parcelId, o.lane])).toEqual(waybills.map((w) => [w, 'release'])), { timeout: 20_000 });

    // 5. The released orders make the second-line exit list; customs approves it with pre-deduction.
    const exit = await call<BondList>('manager', 'POST', '/api/bonded/lists/exit', { released: orderLists.map((l) => ({ orderNo: l.orderNo, releasedMs: Date.now() - 1000, lines: l.items.map((i) => ({ sku: i.sku, qty: i.qty })) })) });
    expect(exit.lines.map((x) => [x.gdsMtno, x.dclQty])).toEqual([[CREAM, '4'], [MILK, '1']]);
    const exitNo = await declareAndApprove(exit.etpsInnerInvtNo);
    expect((await list(exitNo)).vrfdedMarkcd).toBe('1');
    expect(await ledger()).toEqual({ [CREAM]: ['12', '8', '4'], [MILK]: ['8', '7', '1'] });
    expect(await states()).toMatchObject({ bonded: '15', list_applied: '5', slip_applied: '0' });
    // Deducting before the goods left is refused (and changes nothing).
    expect(recordInv211((await book.getList(exitNo))!, 'too-early')).toBeNull();

    // 6. A second-line truck with its slip passes the exit lane; then, and only then, customs deducts the list.
    const parcels = cartons(100, 2);
    const exitSlip = await call<{ etpsPreentNo: string }>('officer', 'POST', '/api/bonded/slips', { ioTypecd: 'E', passportTypecd: '3', rltTbTypecd: '1', rltNos: [exitNo], vehicleNo: '滇A54321', vehicleWt: '7000', goods: parcels.map((p) => p.sscc) });
    const exitPassport = await applyAndApprove(exitSlip.etpsPreentNo);
    expect(await states()).toMatchObject({ bonded: '15', list_applied: '0', slip_applied: '5' });
    await atGates(exitPassport);
    await truck('out', exitPassport, '滇A54321', parcels, 7004);
    await vi.waitFor(async () => expect(await slipStatus(exitPassport)).toBe('2'), { timeout: 15_000 });
    await vi.waitFor(async () => expect((await list(exitNo)).passedQty).toEqual({ '1': '4', '2': '1' }), { timeout: 15_000 });
    expect((await list(exitNo)).vrfdedMarkcd).toBe('1');
    await record(exit.etpsInnerInvtNo);
    expect((await list(exitNo)).vrfdedMarkcd).toBe('2');
    expect(await ledger()).toEqual({ [CREAM]: ['8', '8', '0'], [MILK]: ['7', '7', '0'] });
    expect(await states()).toEqual({ non_bonded: '0', bonded: '15', list_applied: '0', slip_applied: '0', written_off: '5' });
    // The gates' copy of the slip is used up: the lanes refuse it from now on (test/gate-scenario.test.ts shows the refusal).
    await vi.waitFor(() => expect(e.cache.slip(exitPassport)?.status).toBe('passed'), { timeout: 15_000 });

    // 7. A return re-enters: a slip, the entry lane, the desk's tally, a return list recorded by customs.
    const back = cartons(200, 1);
    const returnSlip = await call<{ etpsPreentNo: string }>('officer', 'POST', '/api/bonded/slips', { ioTypecd: 'I', passportTypecd: '1', vehicleNo: '滇A67890', vehicleWt: '3000', goods: back.map((c) => c.sscc) });
    const returnPassport = await applyAndApprove(returnSlip.etpsPreentNo);
    await atGates(returnPassport);
    await truck('in', returnPassport, '滇A67890', back, 3002);
    await vi.waitFor(async () => expect(await slipStatus(returnPassport)).toBe('2'), { timeout: 15_000 });
    const returned: ExpectedList = { listId: 'RKD-RETURN-0001', kind: 'inbound', warehouse: 'bonded', items: [{ sku: CREAM, qty: 1, locationId: 'R-01-01' }] };
    await h.feed.put([{ kind: 'expected', key: returned.listId, value: returned }]);
    await vi.waitFor(() => expect(e.cache.expected(returned.listId)).toBeDefined(), { timeout: 15_000 });
    await receiveAndPutAway(operator, returned);
    await vi.waitFor(async () => expect((await call<{ items: { locationId: string; qty: number }[] }>('officer', 'GET', `/api/stock?sku=${CREAM}&location=R-01-01`)).items).toMatchObject([{ qty: 1 }]), { timeout: 20_000 });
    const returnList = await call<BondList>('officer', 'POST', '/api/bonded/lists', { kind: 'return_in', lines: [{ sku: CREAM, qty: 1 }], sources: [returned.listId, orders[0]!] });
    const returnNo = await declareAndApprove(returnList.etpsInnerInvtNo);
    await record(returnList.etpsInnerInvtNo);
    expect((await list(returnNo)).vrfdedMarkcd).toBe('2');
    expect(await ledger()).toEqual({ [CREAM]: ['9', '9', '0'], [MILK]: ['7', '7', '0'] });
    expect(await states()).toMatchObject({ bonded: '16', written_off: '5' });

    // 8. An empty vehicle leaves on an empty-vehicle slip (type 6): no goods read, the weighbridge shows the tare.
    const empty = await call<{ etpsPreentNo: string }>('officer', 'POST', '/api/bonded/slips', { ioTypecd: 'E', passportTypecd: '6', vehicleNo: '滇A54321', vehicleWt: '7000' });
    const emptyPassport = await applyAndApprove(empty.etpsPreentNo);
    await atGates(emptyPassport);
    await truck('out', emptyPassport, '滇A54321', [], 7010);
    await vi.waitFor(async () => expect(await slipStatus(emptyPassport)).toBe('2'), { timeout: 15_000 });
    expect(await ledger()).toEqual({ [CREAM]: ['9', '9', '0'], [MILK]: ['7', '7', '0'] });

    // Every slip passed once, every list recorded, and what the stations did all reached the hub.
    for (const no of [entryNo, exitPassport, returnPassport, emptyPassport]) expect(await slipStatus(no)).toBe('2');
    expect((await call<{ items: BondList[] }>('officer', 'GET', '/api/bonded/lists')).items.map((l) => [l.kind, l.listStat, l.vrfdedMarkcd]).sort()).toEqual([
      ['first_line_in', 'approved', '2'],
      ['return_in', 'approved', '2'],
      ['second_line_out', 'approved', '2'],
    ]);
    expect(journal().filter((x) => x.type === 'gate.alarmed')).toEqual([]);
    await vi.waitFor(() => expect(e.journal.ackedSeq).toBe(e.journal.headSeq), { timeout: 30_000 });
  }, 480_000);
});
