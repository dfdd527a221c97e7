import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SerialConfig, serialTransport } from '../drivers/transport/serial.ts';
import { socatAvailable, startPtyPair } from '../drivers/transport/pty.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { freePort } from '../test/helpers/ports.ts';
import { spawnNode } from '../test/helpers/processes.ts';
import { fmt, line } from './stats.ts';

/**
 * The serial scanner → inspection station path (issue 14, "Cost per scan"): N lines written to a pty as fast as it
 * takes them into a scanner-only gateway (its own process, `bondgate edge`) syncing to a hub (`bondgate hub`, SQLite,
 * Mosquitto), and the same lines through a raw reference in the same run (bench/raw-scan-reference.mjs: read lines,
 * insert into SQLite). Reported: lines/s through the station path (every line a `scan.read` and its own
 * `parcel.inspected` journalled), CPU ms per line (/proc utime+stime of the process), edge RSS idle (2 s after the
 * warm-up parcel is acknowledged, and again once settled, SCAN_PATH_IDLE_SETTLE_MS later) and peak,
 * /healthz worst latency while working, start-up to first read, and `bondgate --help` time.
 */
const CLI = resolve(import.meta.dirname, '../bin/bondgate.mjs');
const N = Number(process.env.SCAN_PATH_LINES ?? 20_000);
/** A directory: the edge runs under `node --cpu-prof` and is stopped with SIGTERM, so its profile is written there. */
const PROFILE_DIR = process.env.SCAN_PATH_PROFILE;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK_MS = 1000 / 100; // USER_HZ on Linux
/** node's options for the edge as a gateway runs it (NODE_OPTIONS in docker/Dockerfile.edge and the systemd unit). */
const EDGE_NODE_ARGS = (process.env.SCAN_PATH_EDGE_NODE_ARGS ?? '--max-semi-space-size=1 --v8-pool-size=1').split(/\s+/).filter(Boolean);

function procCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
}
function procMem(pid: number): { rssMiB: number; peakMiB: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) / 1024;
  return { rssMiB: kb('VmRSS'), peakMiB: kb('VmHWM') };
}
const waybills = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `JDX${String(from + i).padStart(12, '0')}`);

async function feed(write: (b: Buffer) => Promise<void>, lines: string[]): Promise<void> {
  const bytes = Buffer.from(lines.map((l) => `${l}\r`).join(''), 'latin1');
  for (let at = 0; at < bytes.length; at += 4096) await write(bytes.subarray(at, at + 4096));
}

async function rawReference(dir: string): Promise<{ linesPerSec: number; cpuMsPerLine: number; peakMiB: number }> {
  const pty = await startPtyPair();
  const p = spawn(process.execPath, [resolve(import.meta.dirname, 'raw-scan-reference.mjs'), pty.host, join(dir, 'raw.sqlite')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  while (!out.includes('ready')) await sleep(20);
  const dev = await serialTransport(SerialConfig.parse({ path: pty.device }))();
  const count = async () => {
    const before = out.length;
    p.kill('SIGUSR2');
    while (!/count \d+\n/.test(out.slice(before))) await sleep(5);
    return Number(/count (\d+)\n/.exec(out.slice(before))![1]);
  };
  const cpu0 = procCpuMs(p.pid!);
  const t0 = performance.now();
  await feed((b) => dev.write(b), waybills(N));
  while ((await count()) < N) await sleep(20);
  const secs = (performance.now() - t0) / 1000;
  const r = { linesPerSec: N / secs, cpuMsPerLine: (procCpuMs(p.pid!) - cpu0) / N, peakMiB: procMem(p.pid!).peakMiB };
  p.kill('SIGTERM');
  await dev.close();
  await pty.close();
  return r;
}

export async function benchScanPath(): Promise<Record<string, number>> {
  if (!socatAvailable()) {
    console.log('\n## scan-path: skipped (socat not installed)');
    return {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-scanpath-'));
  const stops: (() => Promise<void> | void)[] = [];
  try {
    // `bondgate --help`: arguments read before the application loads.
    const h0 = performance.now();
    spawnSync(process.execPath, [CLI, '--help'], { stdio: 'ignore' });
    const helpMs = performance.now() - h0;

    const raw = await rawReference(dir);

    const broker = await startMosquitto({});
    stops.push(() => broker.stop());
    const [hubHttp, edgeHttp] = await Promise.all([freePort(), freePort()]);
    const password = 'scan-path-bench-password';
    writeFileSync(join(dir, 'hub.json'), JSON.stringify({ hubId: 'hub-1', dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: hubHttp }, mqtt: { url: broker.url, password: 'unused-on-anonymous-broker' }, auth: { adminPassword: 'scan-path-admin-pw' }, gateways: [{ id: 'GW-SCAN', password }] }));
    const hub = spawnNode([CLI, 'hub', '--config', join(dir, 'hub.json')], { name: 'hub', logFile: join(dir, 'hub.log') });
    stops.push(() => hub.kill('SIGKILL'));
    await hub.waitForOutput(/hub ready/, 120_000);

    const pty = await startPtyPair();
    stops.push(pty.close);
    // A YAML file, as a gateway's /etc/bondgate/edge.yaml is (JSON is YAML): the parser's cost is the real one.
    writeFileSync(
      join(dir, 'edge.yaml'),
      JSON.stringify({
        gatewayId: 'GW-SCAN',
        dataDir: join(dir, 'edge'),
        hub: { mqttUrl: broker.url, password },
        http: { host: '127.0.0.1', port: edgeHttp },
        clock: { sync: 'assume-synced' },
        devices: [{ kind: 'serial-scanner', id: 'scanner-1', serial: { path: pty.host }, scanner: { terminator: 'CR' } }],
        stations: [{ kind: 'inspection', id: 'LINE-1', line: { lineId: 'LINE-1', decideTimeoutMs: 50 }, devices: { scanners: ['scanner-1'] } }],
      }),
    );
    const dev = await serialTransport(SerialConfig.parse({ path: pty.device }))();
    stops.push(() => dev.close());
    const health = async () => {
      const t = performance.now();
      const r = await fetch(`http://127.0.0.1:${edgeHttp}/healthz`);
      const body = (await r.json()) as { headSeq: number; ackedSeq: number; devices: { state: string }[] };
      return { ms: performance.now() - t, ...body };
    };

    // Start-up to first read: spawn → the first line written as soon as the port is up → journalled.
    const s0 = performance.now();
    const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR)}`] : [];
    const edge = spawnNode([...EDGE_NODE_ARGS, ...profile, CLI, 'edge', '--config', join(dir, 'edge.yaml')], { name: 'edge', logFile: join(dir, 'edge.log') });
    stops.push(async () => {
      if (PROFILE_DIR) {
        edge.kill('SIGTERM');
        await Promise.race([edge.exited, sleep(30_000)]);
      }
      edge.kill('SIGKILL');
    });
    let first = false;
    for (;;) {
      const h = await health().catch(() => undefined);
      if (h?.devices[0]?.state === 'up' && !first) {
        await feed((b) => dev.write(b), ['JDX999999999999']);
        first = true;
      }
      if (h && h.headSeq >= 1) break;
      await sleep(10);
    }
    const firstReadMs = performance.now() - s0;
    // Settled: the warm-up parcel decided and acknowledged by the hub; then idle RSS.
    for (;;) {
      const h = await health();
      if (h.headSeq >= 2 && h.ackedSeq === h.headSeq) break;
      await sleep(100);
    }
    await sleep(2000);
    const pid = edge.child.pid!;
    const idle = procMem(pid);
    // And once the gateway has sat idle a while: V8's memory reducer gives back what start-up left behind some seconds
    // after its last major GC. The target is judged on the 2 s figure; this one is what an idle gateway settles at.
    await sleep(Number(process.env.SCAN_PATH_IDLE_SETTLE_MS ?? 20_000));
    const idleSettled = procMem(pid);
    const base = (await health()).headSeq;

    let healthMax = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const h = await health();
        healthMax = Math.max(healthMax, h.ms);
        await sleep(50);
      }
    })();
    const cpu0 = procCpuMs(pid);
    const t0 = performance.now();
    await feed((b) => dev.write(b), waybills(N));
    // Every line a scan.read and its own parcel.inspected, journalled.
    let journalledSecs = 0;
    for (;;) {
      const h = await health();
      if (h.headSeq - base >= 2 * N) {
        journalledSecs = (performance.now() - t0) / 1000;
        break;
      }
      await sleep(50);
    }
    const cpuMs = procCpuMs(pid) - cpu0;
    for (;;) {
      const h = await health();
      if (h.ackedSeq === h.headSeq) break;
      await sleep(100);
    }
    const atHubSecs = (performance.now() - t0) / 1000;
    polling = false;
    await poller;
    const edgeCpuTotalMs = procCpuMs(pid) - cpu0;
    const mem = procMem(pid);
    const hubMem = procMem(hub.child.pid!);

    const r = {
      lines: N,
      linesPerSec: N / journalledSecs,
      linesPerSecAtHub: N / atHubSecs,
      cpuMsPerLine: cpuMs / N,
      cpuMsPerLineWithSync: edgeCpuTotalMs / N,
      edgeRssIdleMiB: idle.rssMiB,
      edgeRssIdleSettledMiB: idleSettled.rssMiB,
      edgeRssPeakMiB: mem.peakMiB,
      hubRssPeakMiB: hubMem.peakMiB,
      healthzMaxMs: healthMax,
      firstReadMs,
      helpMs,
      rawLinesPerSec: raw.linesPerSec,
      rawCpuMsPerLine: raw.cpuMsPerLine,
      rawPeakMiB: raw.peakMiB,
    };
    console.log(`\n## scan-path: ${N} lines through a pty into a scanner-only gateway (inspection station) and a hub`);
    line('station path, journalled', `${fmt(r.linesPerSec)} lines/s, ${r.cpuMsPerLine.toFixed(3)} CPU ms/line`);
    line('  … acknowledged by the hub', `${fmt(r.linesPerSecAtHub)} lines/s, ${r.cpuMsPerLineWithSync.toFixed(3)} edge CPU ms/line incl. sync`);
    line('raw reference (read + SQLite insert)', `${fmt(r.rawLinesPerSec)} lines/s, ${r.rawCpuMsPerLine.toFixed(3)} CPU ms/line, peak ${fmt(r.rawPeakMiB)} MiB`);
    line('edge RSS', `idle ${fmt(r.edgeRssIdleMiB)} MiB (${fmt(r.edgeRssIdleSettledMiB)} MiB settled), peak ${fmt(r.edgeRssPeakMiB)} MiB; hub peak ${fmt(r.hubRssPeakMiB)} MiB`);
    line('/healthz worst latency during the run', `${fmt(r.healthzMaxMs)} ms`);
    line('start-up to first read', `${fmt(r.firstReadMs)} ms`);
    line('bondgate --help', `${fmt(r.helpMs)} ms`);
    return r;
  } finally {
    for (const s of stops.splice(0).reverse()) await Promise.resolve(s()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
