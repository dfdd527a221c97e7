import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { openStorage } from '../../hub/storage/open.ts';
import { freePort } from '../helpers/ports.ts';
import { spawnNode, type ManagedProcess } from '../helpers/processes.ts';

/**
 * End-to-end fixture: a hub and an edge as separate OS processes (the real `bondgate` CLI), so tests can
 * SIGKILL them. The edge runs the simulator in `scans` mode: exactly one parcel.scanned per parcel, with
 * parcels numbered 1..N across restarts — so "exactly N events, seq 1..N, N distinct parcels" at the hub
 * proves nothing was lost, duplicated or reordered.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/bondgate.mjs');
export const GATEWAY = 'GW-E2E-01';
const GW_PASSWORD = 'e2e-gateway-password';
const ADMIN_PASSWORD = 'e2e-admin-password';
/** A bound on a process start, not a speed requirement: a start takes ~2 s quiet and over 30 s on a loaded 2-core machine. */
export const START_TIMEOUT_MS = 120_000;

export interface Scenario {
  dir: string;
  httpPort: number;
  hubConfigFile: string;
  edgeConfigFile: string;
  hub?: ManagedProcess;
  edge?: ManagedProcess;
  startHub(): Promise<ManagedProcess>;
  startEdge(): Promise<ManagedProcess>;
  hubStatus(): Promise<{ ackedSeq: number; online: boolean } | undefined>;
  waitForAcked(n: number, timeoutMs: number): Promise<void>;
  verifyExactlyOnce(n: number): Promise<void>;
  cleanup(): Promise<void>;
}

export async function scenario(opts: {
  name: string;
  total: number;
  parcelsPerSecond: number;
  /** External broker URL for the hub; default: the hub's embedded broker on a free port. */
  hubMqttUrl?: string;
  /** Broker URL the edge uses (e.g. through a TCP proxy); defaults to the hub's. */
  edgeMqttUrl?: string;
  databaseUrl?: string;
  ackTimeoutMs?: number;
}): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), `bg-e2e-${opts.name}-`));
  const httpPort = await freePort();
  const embeddedPort = opts.hubMqttUrl ? 0 : await freePort();
  const hubMqtt = opts.hubMqttUrl ?? `mqtt://127.0.0.1:${embeddedPort}`;
  const hubConfigFile = join(dir, 'hub.json');
  writeFileSync(
    hubConfigFile,
    JSON.stringify({
      hubId: `e2e-${opts.name}`,
      dataDir: join(dir, 'hub'),
      ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      http: { host: '127.0.0.1', port: httpPort },
      mqtt: opts.hubMqttUrl ? { url: opts.hubMqttUrl, password: 'unused-on-anonymous-broker' } : { embedded: { host: '127.0.0.1', port: embeddedPort } },
      auth: { adminPassword: ADMIN_PASSWORD },
      gateways: [{ id: GATEWAY, password: GW_PASSWORD }],
    }),
  );
  const edgeConfigFile = join(dir, 'edge.json');
  writeFileSync(
    edgeConfigFile,
    JSON.stringify({
      gatewayId: GATEWAY,
      dataDir: join(dir, 'edge'),
      hub: { mqttUrl: opts.edgeMqttUrl ?? hubMqtt, password: GW_PASSWORD },
      http: { host: '127.0.0.1', port: 0 },
      clock: { sync: 'assume-synced' },
      sync: { ackTimeoutMs: opts.ackTimeoutMs ?? 1500 },
      simulator: { mode: 'scans', stationId: 'E2E-LINE', parcelsPerSecond: opts.parcelsPerSecond, totalParcels: opts.total },
    }),
  );
  // The hub's DATABASE_URL/MQTT_URL come from the file only: don't let the machine's environment leak in.
  const env = { DATABASE_URL: '', MQTT_URL: '', PORT: '', MQTT_PORT: '', LOG_LEVEL: 'info' };
  let token: string | undefined;

  const s: Scenario = {
    dir,
    httpPort,
    hubConfigFile,
    edgeConfigFile,
    async startHub() {
      s.hub = spawnNode([CLI, 'hub', '--config', hubConfigFile], { name: `hub-${opts.name}`, env, logFile: join(dir, 'hub.log') });
      await s.hub.waitForOutput(/hub ready/, START_TIMEOUT_MS);
      token = undefined;
      return s.hub;
    },
    async startEdge() {
      s.edge = spawnNode([CLI, 'edge', '--config', edgeConfigFile], { name: `edge-${opts.name}`, env, logFile: join(dir, 'edge.log') });
      await s.edge.waitForOutput(/edge agent started/, START_TIMEOUT_MS);
      return s.edge;
    },
    async hubStatus() {
      try {
        if (!token) {
          const res = await fetch(`http://127.0.0.1:${httpPort}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
          if (!res.ok) return undefined;
          token = ((await res.json()) as { token: string }).token;
        }
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/gateways`, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) return undefined;
        const body = (await res.json()) as { items: { id: string; ackedSeq: number; online: boolean }[] };
        return body.items.find((g) => g.id === GATEWAY);
      } catch {
        return undefined; // hub down right now
      }
    },
    async waitForAcked(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last: number | undefined;
      while (Date.now() < deadline) {
        last = (await s.hubStatus())?.ackedSeq;
        if (last !== undefined && last >= n) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`hub acked ${last ?? 'nothing'} of ${n} within ${timeoutMs} ms (logs in ${dir})`);
    },
    async verifyExactlyOnce(n) {
      // Stop both gracefully, then read the hub's store directly.
      s.edge?.kill('SIGTERM');
      await s.edge?.exited;
      s.hub?.kill('SIGTERM');
      await s.hub?.exited;
      const storage = await openStorage({ ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}), sqliteFile: join(dir, 'hub', 'hub.sqlite') });
      try {
        const events = await storage.gatewayEvents(GATEWAY, 1, n + 1000);
        expect(events.length).toBe(n);
        expect(await storage.countEvents(GATEWAY)).toBe(n);
        // Per-gateway order preserved: seq 1..n, no holes, each once.
        events.forEach((e, i) => expect(e.seq).toBe(i + 1));
        // Exactly the simulated parcels, each once, in the order they were scanned.
        const keys = events.map((e) => e.parcelKey);
        expect(new Set(keys).size).toBe(n);
        const serials = keys.map((k) => Number(/^EA(\d{8})\dCN$/.exec(k ?? '')?.[1]));
        serials.forEach((v, i) => expect(v).toBe(i + 1));
        expect(events.every((e) => e.status === 'ok')).toBe(true);
        const gw = await storage.getGateway(GATEWAY);
        expect(gw?.ackedSeq).toBe(n);
        expect(await storage.listAlerts(GATEWAY, 10)).toEqual([]);
      } finally {
        await storage.close();
      }
    },
    async cleanup() {
      s.edge?.kill('SIGKILL');
      s.hub?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return s;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
