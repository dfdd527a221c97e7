import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LockSimulator } from '../drivers/modbus/lock-simulator.ts';
import { decodeEpc, encodeSscc96 } from '../shared/identifiers/epc.ts';
import { LlrpReaderSimulator } from '../drivers/rfid/llrp-simulator.ts';
import { renderFrame } from '../drivers/scale/simulator.ts';
import { socatAvailable, startPtyPair } from '../drivers/transport/pty.ts';
import { SerialConfig, serialTransport } from '../drivers/transport/serial.ts';
import { startEdge, type RunningEdge } from '../edge/agent.ts';
import { EdgeConfig } from '../edge/config.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';

/**
 * A bonded-zone exit lane on real transports: an LLRP portal reading the truck's 200 tagged cartons, a weighbridge on
 * a serial line, a barrier controller on Modbus TCP; the lane decides from the release slip the hub pushed. The same
 * slip presented again is refused, and a load with a held carton is stopped.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const all = Array.from({ length: 201 }, (_, i) => {
  const epcHex = encodeSscc96({ filter: 0, companyPrefix: '0614141', serialReference: String(1_000_000_000 + i) });
  const d = decodeEpc(epcHex) as { elementString: string };
  return { epcHex, sscc: d.elementString.slice(4) };
});
const cartons = all.slice(0, 200);
/** On another truck: a carton customs put on hold. */
const held = all[200]!;
const secondLoad = [...all.slice(150, 200), held];

describe.skipIf(!socatAvailable())('gate lane: a truck load of 200 parcels', () => {
  let hub: RunningHub | undefined;
  let edge: RunningEdge | undefined;
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await edge?.stop();
    for (const s of stops.reverse()) await s();
    await hub?.stop();
  });

  it('releases the truck whose slip, plate, weight and goods match; refuses the slip the second time; stops a load with a held carton', async () => {
    const [brokerPort, llrpPort, lockPort] = await Promise.all([freePort(), freePort(), freePort()]);
    hub = await startHub(parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: brokerPort } }, auth: { adminPassword: 'gate-admin-password' }, gateways: [{ id: 'GW-GATE', password: 'password-of-gate' }], ingest: { decodeWorkers: 0 } }, 'test'), log);
    const now = Date.now();
    const slip = (no: string, goods: string[]) => ({ kind: 'slip' as const, key: no, value: { passportNo: no, ioType: 'E', status: 'approved', vehicleNo: '粤B12345', vehicleWtKg: 9000, totalGrossWtKg: 3000, goods } });
    await hub.feed.put([
      { kind: 'rules', key: 'GATE-RULES', value: { rulesId: 'GATE-RULES', validFromMs: now - 60_000, validToMs: now + 3600_000, weightTolerancePct: 10, weightToleranceKg: 0.05, xraySuspectToInspection: true, samplingRate: 0, gateWeightTolerancePct: 3, gateWeightToleranceKg: 50, maxCacheAgeMs: 15 * 60_000 } },
      slip('Z5301E260000000000001', cartons.map((c) => c.sscc)),
      slip('Z5301E260000000000002', secondLoad.map((c) => c.sscc)),
      { kind: 'decision', key: held.sscc, value: { parcelKey: held.sscc, decision: 'hold', reason: 'targeted by risk control' } },
    ]);

    const portal = new LlrpReaderSimulator(50, 1000);
    await portal.start(llrpPort);
    stops.push(() => portal.stop());
    const barrier = new LockSimulator({ openCoil: 0, openedInput: 0, forcedInput: 1 }, 20);
    await barrier.start(lockPort);
    stops.push(() => barrier.stop());
    const scalePty = await startPtyPair();
    stops.push(scalePty.close);
    const weighbridge = await serialTransport(SerialConfig.parse({ path: scalePty.device }))();
    stops.push(() => weighbridge.close());

    edge = await startEdge(
      parseConfig(EdgeConfig, {
        gatewayId: 'GW-GATE',
        dataDir: join(dir, 'edge'),
        hub: { mqttUrl: hub.mqttUrl, password: 'password-of-gate', rulesPublicKey: hub.rulesPublicKeyPem },
        http: { host: '127.0.0.1', port: 0 },
        clock: { sync: 'assume-synced' },
        devices: [
          { kind: 'llrp-reader', id: 'portal', tcp: { host: '127.0.0.1', port: llrpPort } },
          { kind: 'modbus-lock', id: 'barrier', tcp: { host: '127.0.0.1', port: lockPort, timeoutMs: 500 }, lock: { map: { openCoil: 0, openedInput: 0, forcedInput: 1 }, pollMs: 30 } },
          { kind: 'scale', id: 'weighbridge', serial: { path: scalePty.host }, scale: { protocol: 'ad-ascii' } },
        ],
        stations: [{ kind: 'gate', id: 'GATE-OUT-1', gate: { laneId: 'OUT-1', direction: 'out', captureTimeoutMs: 8000, barrierCloseAfterMs: 500, requireSealMatch: false }, devices: { portal: 'portal', barrier: 'barrier', weighbridge: 'weighbridge' } }],
      }, 'test'),
      log,
    );
    const e = edge;
    const lane = e.stations.runners[0]!;
    await vi.waitFor(() => expect(e.devices!.status().every((d) => d.state === 'up')).toBe(true), { timeout: 20_000 });
    await vi.waitFor(() => expect(e.cache.slip('Z5301E260000000000002')).toBeDefined(), { timeout: 10_000 });
    const gateEvents = () => e.journal.readFrom(1, 100_000).map((r) => JSON.parse(r.json) as { type: string; payload: Record<string, unknown> }).filter((x) => x.type.startsWith('gate.'));
    const weigh = async (kg: number) => {
      for (let i = 0; i < 3; i++) await weighbridge.write(renderFrame('ad-ascii', kg, true));
    };
    const truck = async (slipNo: string, tags: typeof cartons, kg: number) => {
      await lane.input(lane.def.consoleInput!({ kind: 'action', id: 'arrived' }, 'op1'));
      portal.setTags(tags.map((t, i) => ({ epcHex: t.epcHex, antennaId: (i % 2) + 1, peakRssiDbm: -50 })));
      await lane.input(lane.def.consoleInput!({ kind: 'scan', text: ` ${slipNo.toLowerCase()} ` }, 'op1'));
      await lane.input(lane.def.consoleInput!({ kind: 'scan', text: '粤B 12345' }, 'op1'));
      // The portal reads the load as it rolls through: the truck weighs once every tag is in the capture (the lane is
      // capturing) or the lane has already decided (a refused slip) — waited for, not slept, so a loaded machine agrees.
      await vi.waitFor(() => {
        const s = lane.current as { phase: string; passage?: { capture?: { goodsKeys: unknown[] } } };
        expect(s.phase !== 'capturing' || (s.passage?.capture?.goodsKeys.length ?? 0) >= new Set(tags.map((t) => t.epcHex)).size).toBe(true);
      }, { timeout: 20_000 });
      await weigh(kg);
    };

    // Truck 1: 200 cartons, weighbridge 12,040 kg against 12,000 expected (within 3% / 50 kg).
    await truck('Z5301E260000000000001', cartons, 12_040);
    await vi.waitFor(() => expect(gateEvents().some((x) => x.type === 'gate.passed')).toBe(true), { timeout: 15_000 });
    const passed = gateEvents().find((x) => x.type === 'gate.passed')!.payload;
    expect(passed).toMatchObject({ laneId: 'OUT-1', direction: 'out', slipNo: 'Z5301E260000000000001', vehicleNo: '粤B12345', weighbridgeKg: 12_040, expectedKg: 12_000, diffKg: 40 });
    expect(passed.cacheVersion).toBeGreaterThan(0);
    await vi.waitFor(() => expect(barrier.opens).toBe(1), { timeout: 15_000 }); // the barrier really rose (counted: it may be down again before a poll)
    await vi.waitFor(() => expect(barrier.isOpen).toBe(false), { timeout: 10_000 }); // and came down after the truck
    portal.setTags([]);

    // Truck 2 presents the same slip: refused before the hub has even heard of the first passage.
    await weigh(0);
    await truck('Z5301E260000000000001', cartons, 12_010);
    await vi.waitFor(() => expect(gateEvents().filter((x) => x.type === 'gate.alarmed').length).toBeGreaterThanOrEqual(1), { timeout: 15_000 });
    expect(JSON.stringify(gateEvents().filter((x) => x.type === 'gate.alarmed').map((x) => x.payload.reasons))).toMatch(/slip (reused|already used)/);
    expect(barrier.isOpen).toBe(false);
    await lane.input(lane.def.consoleInput!({ kind: 'action', id: 'reject', reason: 'slip already used' }, 'officer-1'));
    portal.setTags([]);

    // Truck 3: a slip whose goods include a carton on hold.
    await weigh(0);
    await truck('Z5301E260000000000002', secondLoad, 9750);
    await vi.waitFor(() => expect(JSON.stringify(gateEvents().filter((x) => x.type === 'gate.alarmed').map((x) => x.payload.reasons))).toMatch(/goods held.*\(hold\)/), { timeout: 15_000 });
    expect(barrier.isOpen).toBe(false);

    // Everything the lane recorded reaches the hub.
    await vi.waitFor(() => expect(e.journal.ackedSeq).toBe(e.journal.headSeq), { timeout: 20_000 });
    const atHub = await hub.storage.gatewayEvents('GW-GATE', 1, 10_000);
    expect(atHub.filter((x) => x.body.type === 'gate.passed')).toHaveLength(1);
    // The passage closed the slip at the hub, on the audit chain, and every lane's copy now refuses it.
    const h = hub;
    await vi.waitFor(async () => expect(await h.storage.feedGet('slip', 'Z5301E260000000000001')).toMatchObject({ status: 'passed' }), { timeout: 10_000 });
    expect((await h.storage.auditRange(1, 100)).map((a) => [a.actor, a.action, a.subject])).toContainEqual(['gateway:GW-GATE', 'slip.passage', 'Z5301E260000000000001']);
    await vi.waitFor(() => expect(e.cache.slip('Z5301E260000000000001')?.status).toBe('passed'), { timeout: 10_000 });
    expect((await h.storage.feedGet('slip', 'Z5301E260000000000002')) as { status: string }).toMatchObject({ status: 'approved' });
  }, 90_000);
});
