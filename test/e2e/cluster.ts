import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startMosquitto, type MosquittoInstance } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';
import { spawnNode, type ManagedProcess } from '../helpers/processes.ts';
import { START_TIMEOUT_MS } from './fixture.ts';

/**
 * A scale-out deployment as separate OS processes: one private Mosquitto, one fresh PostgreSQL database, several
 * `bondgate hub` processes consuming through the MQTT v5 shared subscription, and several `bondgate edge` processes
 * running the `scans` simulator (one parcel.scanned per parcel, parcels numbered 1..N on every gateway — so every
 * parcel gets one event from each gateway, and those events are usually committed by different hubs).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/bondgate.mjs');
export const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const ADMIN_PASSWORD = 'cluster-admin-password';
const GW_PASSWORD = 'cluster-gateway-password';
// The processes' DATABASE_URL/MQTT_URL come from their config files only.
const ENV = { DATABASE_URL: '', MQTT_URL: '', PORT: '', MQTT_PORT: '', LOG_LEVEL: 'info', BONDGATE_ADMIN_PASSWORD: '' };

export interface GatewayStatus { id: string; ackedSeq: number; online: boolean }

export interface Cluster {
  dir: string;
  dbUrl: string;
  broker: MosquittoInstance;
  hubs: (ManagedProcess | undefined)[];
  httpPorts: number[];
  edges: Map<string, ManagedProcess | undefined>;
  startHub(i: number): Promise<ManagedProcess>;
  /** Start (or restart) an edge; `totalParcels` overrides the cluster's total for this start (the simulator resumes after its last parcel). */
  startEdge(gatewayId: string, opts?: { totalParcels?: number }): Promise<ManagedProcess>;
  /** POST /api/login on hub i. */
  login(i: number, username?: string, password?: string): Promise<Response>;
  /** GET on hub i with a bearer token. */
  get(i: number, path: string, token: string): Promise<Response>;
  /** Gateways' acked seqs as any running hub reports them (undefined while none answers). */
  gateways(): Promise<GatewayStatus[] | undefined>;
  /** Wait until every gateway (or those named) has n acked. */
  waitForAcked(n: number, timeoutMs: number, gatewayIds?: readonly string[]): Promise<void>;
  /** The edge's journal as it is on disk (open it after the edge stopped). */
  journal(gatewayId: string): { headSeq: number; ackedSeq: number };
  cleanup(): Promise<void>;
}

export async function cluster(opts: { name: string; hubs: number; gateways: string[]; total: number; parcelsPerSecond: number | ((gatewayId: string) => number); ackTimeoutMs?: number }): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `bg-cluster-${opts.name}-`));
  const dbName = `bg_${opts.name.replace(/\W/g, '_')}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(PG_URL);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  const broker = await startMosquitto({});
  const httpPorts = await Promise.all(Array.from({ length: opts.hubs }, () => freePort()));
  const tokens = new Map<number, string>();

  const hubConfig = (i: number) => {
    const file = join(dir, `hub-${i + 1}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        hubId: `hub-${i + 1}`,
        dataDir: join(dir, `hub-${i + 1}`),
        databaseUrl: dbUrl,
        http: { host: '127.0.0.1', port: httpPorts[i] },
        mqtt: { url: broker.url, password: 'unused-on-anonymous-broker', shared: true },
        auth: { adminPassword: ADMIN_PASSWORD },
        gateways: opts.gateways.map((id) => ({ id, password: GW_PASSWORD })),
        // One hub process per core is the deployment here; decode on the main thread so 3 hubs fit 2 cores.
        ingest: { decodeWorkers: 0 },
      }),
    );
    return file;
  };
  const edgeConfig = (gatewayId: string, totalParcels = opts.total) => {
    const file = join(dir, `edge-${gatewayId}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        gatewayId,
        dataDir: join(dir, `edge-${gatewayId}`),
        hub: { mqttUrl: broker.url, password: GW_PASSWORD },
        http: { host: '127.0.0.1', port: 0 },
        clock: { sync: 'assume-synced' },
        sync: { ackTimeoutMs: opts.ackTimeoutMs ?? 1500 },
        simulator: { mode: 'scans', stationId: `LINE-${gatewayId}`, parcelsPerSecond: typeof opts.parcelsPerSecond === 'number' ? opts.parcelsPerSecond : opts.parcelsPerSecond(gatewayId), totalParcels },
      }),
    );
    return file;
  };

  const c: Cluster = {
    dir,
    dbUrl,
    broker,
    hubs: [],
    httpPorts,
    edges: new Map(),
    async startHub(i) {
      const p = spawnNode([CLI, 'hub', '--config', hubConfig(i)], { name: `hub-${i + 1}`, env: ENV, logFile: join(dir, `hub-${i + 1}.log`) });
      c.hubs[i] = p;
      await p.waitForOutput(/hub ready/, START_TIMEOUT_MS);
      // Taking messages needs the broker connection too (the shared subscription is made on connect), which may be
      // logged before or after "hub ready".
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!/hub connected to broker/.test(p.output())) {
        if (Date.now() > deadline) throw new Error(`hub-${i + 1} did not connect to the broker:\n${p.tail()}`);
        await sleep(50);
      }
      return p;
    },
    async startEdge(gatewayId, o) {
      const p = spawnNode([CLI, 'edge', '--config', edgeConfig(gatewayId, o?.totalParcels)], { name: `edge-${gatewayId}`, env: ENV, logFile: join(dir, `edge-${gatewayId}.log`) });
      c.edges.set(gatewayId, p);
      await p.waitForOutput(/edge agent started/, START_TIMEOUT_MS);
      return p;
    },
    login(i, username = 'admin', password = ADMIN_PASSWORD) {
      return fetch(`http://127.0.0.1:${httpPorts[i]}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    },
    get(i, path, token) {
      return fetch(`http://127.0.0.1:${httpPorts[i]}${path}`, { headers: { authorization: `Bearer ${token}` } });
    },
    async gateways() {
      for (let i = 0; i < opts.hubs; i++) {
        const h = c.hubs[i];
        if (!h || h.child.exitCode !== null || h.child.signalCode !== null) continue;
        try {
          let token = tokens.get(i);
          if (!token) {
            const res = await c.login(i);
            if (!res.ok) continue;
            token = ((await res.json()) as { token: string }).token;
            tokens.set(i, token);
          }
          const res = await c.get(i, '/api/gateways', token);
          if (!res.ok) {
            tokens.delete(i);
            continue;
          }
          return ((await res.json()) as { items: GatewayStatus[] }).items;
        } catch {
          tokens.delete(i); // that hub is going down right now: ask the next
        }
      }
      return undefined;
    },
    async waitForAcked(n, timeoutMs, gatewayIds = opts.gateways) {
      const deadline = Date.now() + timeoutMs;
      let last: GatewayStatus[] | undefined;
      while (Date.now() < deadline) {
        last = (await c.gateways()) ?? last;
        if (last && gatewayIds.every((id) => (last!.find((g) => g.id === id)?.ackedSeq ?? 0) >= n)) return;
        await new Promise((r) => setTimeout(r, 300));
      }
      throw new Error(`not all gateways acked ${n} within ${timeoutMs} ms: ${JSON.stringify(last?.map((g) => [g.id, g.ackedSeq]))} (logs in ${dir})`);
    },
    journal(gatewayId) {
      const db = new Database(join(dir, `edge-${gatewayId}`, 'journal.sqlite'), { readonly: true, fileMustExist: true });
      try {
        const headSeq = Number(db.prepare('SELECT COALESCE(MAX(seq), 0) FROM events').pluck().get());
        const ackedSeq = Number(db.prepare("SELECT value FROM meta WHERE key = 'acked_seq'").pluck().get() ?? 0);
        return { headSeq, ackedSeq };
      } finally {
        db.close();
      }
    },
    async cleanup() {
      const procs = [...c.edges.values(), ...c.hubs].filter((p): p is ManagedProcess => !!p);
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await broker.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

/** Sum of a counter over its labels, from a Prometheus text exposition. */
export function counterTotal(metricsText: string, name: string): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) if (line.startsWith(name) && !line.startsWith('#')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
