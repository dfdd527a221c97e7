import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startDeskRig, type RunningDeskRig } from '../drivers/sim/desk-rig.ts';
import type { DeviceConfig } from '../drivers/registry.ts';
import { socatAvailable } from '../drivers/transport/pty.ts';
import type { RunningEdge } from '../edge/agent.ts';
import type { StationRunner } from '../edge/stations/runtime.ts';
import type { RunningHub } from '../hub/server.ts';
import type { ExpectedList } from '../shared/stations/feed.ts';

/**
 * The demo's bonded warehouse desk (issue 17 item 10: the zone stock page was empty). A warehouse station with a
 * simulated handheld scanner and bench scale on their serial lines (drivers/sim/desk-rig.ts); once, on a fresh data
 * directory, an operator receives a truck's inbound list, puts it away, picks and packs an order — every movement a
 * `warehouse.transaction` the station decides and the hub's stock projection folds, as at a real desk. Nothing is
 * written into the hub's stock by hand.
 */
export const DEMO_DESK = 'WMS-DESK-1';
export const DEMO_SKUS = { cream: '6901234567892', milk: '4006381333931' } as const;
export const DEMO_INBOUND: ExpectedList = {
  listId: 'RKD-DEMO-0001',
  kind: 'inbound',
  warehouse: 'bonded',
  items: [
    { sku: DEMO_SKUS.cream, qty: 12, locationId: 'A-01-03' },
    { sku: DEMO_SKUS.milk, qty: 8, locationId: 'B-02-01' },
  ],
};
export const DEMO_ORDER: ExpectedList = {
  listId: 'SO-DEMO-0001',
  kind: 'outbound',
  warehouse: 'bonded',
  orderNo: 'SO-DEMO-0001',
  items: [
    { sku: DEMO_SKUS.cream, qty: 2, expectedWeightKg: 0.5, locationId: 'A-01-03' },
    { sku: DEMO_SKUS.milk, qty: 1, expectedWeightKg: 0.9, locationId: 'B-02-01' },
  ],
};

/** The desk as its operator works it: labels through the scanner, loads on the scale, modes by the console's keys. */
export class DeskOperator {
  private decided = 0;
  /** What the scale last settled on (unknown at first). */
  private onScale: number | undefined;
  constructor(
    private readonly runner: StationRunner<unknown, unknown>,
    private readonly desk: RunningDeskRig,
    private readonly operatorId = 'op1',
    private readonly signal?: AbortSignal,
  ) {
    runner.subscribe(() => (this.decided += 1));
  }

  /** A mode key (F1 receive, F2 put away, F3 pick, F4 pack) on the station console. */
  async mode(mode: 'receive' | 'putaway' | 'pick' | 'pack'): Promise<void> {
    const input = this.runner.def.consoleInput?.({ kind: 'action', id: `mode:${mode}` }, this.operatorId);
    if (input !== undefined) await this.runner.input(input);
  }

  /** One label through the handheld; resolves once the station has decided on it. */
  async scan(text: string, timeoutMs = 10_000): Promise<void> {
    const before = this.decided;
    await this.desk.scan(text);
    await until(() => this.decided > before, timeoutMs, `the desk did not read ${text}`, this.signal);
  }

  async scanMany(text: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) await this.scan(text);
  }

  /** A pack put on the scale (the scale emits a settled load once; the same load again shows nothing new). */
  async weigh(kg: number, timeoutMs = 10_000): Promise<void> {
    if (this.onScale === kg) return;
    const before = this.decided;
    await this.desk.weigh(kg);
    await until(() => this.decided > before, timeoutMs, `the desk did not weigh ${kg} kg`, this.signal);
    this.onScale = kg;
  }

  /** The scale emptied: done outside the pack step, or it would re-weigh the last pack. */
  unload(): Promise<void> {
    return this.weigh(0);
  }

  display() {
    return this.runner.display();
  }
}

async function until(ok: () => boolean, timeoutMs: number, what: string, signal?: AbortSignal): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    signal?.throwIfAborted();
    if (Date.now() > end) throw new Error(what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Receive an inbound list and put every unit away at its line's location. */
export async function receiveAndPutAway(op: DeskOperator, list: ExpectedList): Promise<void> {
  await op.mode('receive');
  await op.scan(list.listId);
  for (const i of list.items) await op.scanMany(i.sku!, i.qty);
  await op.mode('putaway');
  for (const i of list.items) {
    for (let n = 0; n < i.qty; n++) {
      await op.scan(i.sku!);
      await op.scan(`LOC:${i.locationId}`);
    }
  }
}

/** Pick an order from its lines' locations, then pack it on the scale. */
export async function pickAndPack(op: DeskOperator, order: ExpectedList, packedKg: number): Promise<void> {
  await op.mode('pick');
  await op.unload();
  await op.scan(order.listId);
  for (const i of order.items) {
    await op.scan(`LOC:${i.locationId}`);
    await op.scanMany(i.sku!, i.qty);
  }
  await op.mode('pack');
  await op.scan(order.listId);
  await op.weigh(packedKg);
}

export interface DemoWarehouse {
  devices: DeviceConfig[];
  stations: { kind: 'warehouse'; id: string; devices: { scanners: string[]; scale: string } }[];
  /** Work the desk once (a marker in the data directory keeps a restarted demo from receiving the truck again). */
  run(edge: RunningEdge): void;
  stop(): Promise<void>;
}

export async function startDemoWarehouse(o: { hub: Pick<RunningHub, 'feed'>; dataDir: string; log: Logger }): Promise<DemoWarehouse> {
  if (!socatAvailable()) {
    o.log.warn('socat is not installed: the demo warehouse desk (scanner and scale on pseudo-terminals) is left out');
    return { devices: [], stations: [], run: () => undefined, stop: async () => undefined };
  }
  const desk = await startDeskRig({ prefix: 'desk' });
  await o.hub.feed.put([DEMO_INBOUND, DEMO_ORDER].map((l) => ({ kind: 'expected' as const, key: l.listId, value: l })));
  const marker = join(o.dataDir, 'demo-warehouse.done');
  let running: Promise<void> = Promise.resolve();
  const stopping = new AbortController();
  return {
    devices: desk.devices,
    stations: [{ kind: 'warehouse', id: DEMO_DESK, devices: { scanners: [desk.scannerId], scale: desk.scaleId } }],
    run(edge) {
      if (existsSync(marker)) return;
      running = (async () => {
        const runner = edge.stations.runners.find((r) => r.id === DEMO_DESK);
        if (!runner) throw new Error(`no station ${DEMO_DESK}`);
        await until(() => edge.cache.expected(DEMO_INBOUND.listId) !== undefined && edge.cache.expected(DEMO_ORDER.listId) !== undefined, 60_000, 'the desk never got its lists from the hub', stopping.signal);
        await until(() => (edge.devices?.status() ?? []).filter((d) => d.id === desk.scannerId || d.id === desk.scaleId).every((d) => d.state === 'up'), 30_000, 'the desk devices did not come up', stopping.signal);
        const op = new DeskOperator(runner, desk, 'op1', stopping.signal);
        await receiveAndPutAway(op, DEMO_INBOUND);
        await pickAndPack(op, DEMO_ORDER, 1.45);
        writeFileSync(marker, `${new Date().toISOString()}\n`);
      })().catch((e: Error) => {
        if (!stopping.signal.aborted) o.log.error({ err: e.message }, 'demo warehouse desk stopped');
      });
    },
    stop: async () => {
      stopping.abort();
      await running;
      await desk.stop();
    },
  };
}
