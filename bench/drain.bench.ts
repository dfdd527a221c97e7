import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { EdgeJournal } from '../edge/journal.ts';
import { SyncClient } from '../edge/sync.ts';
import { systemTimeSource } from '../edge/time-source.ts';
import { generateJournalKeys } from '../shared/journal-chain.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { freePort } from '../test/helpers/ports.ts';
import { fmt, latencySummary, line } from './stats.ts';

/**
 * A 1,000,000-event backlog drained edge → Mosquitto → hub (a separate process, SQLite), timed until the hub has
 * committed and acknowledged the last event. Reference in the same run: raw MQTT.js QoS 1 throughput through
 * the same broker, one ~450-byte message per event.
 */
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
const ROOT = resolve(import.meta.dirname, '..');

async function rawBrokerRate(url: string, count: number, size: number): Promise<number> {
  const sub = await mqtt.connectAsync(url, { clientId: `bench-sub-${process.pid}` });
  const pub = await mqtt.connectAsync(url, { clientId: `bench-pub-${process.pid}` });
  await sub.subscribeAsync('bench/raw', { qos: 1 });
  let got = 0;
  const payload = Buffer.alloc(size, 120);
  const t0 = performance.now();
  const done = new Promise<void>((r) => sub.on('message', () => ++got === count && r()));
  // Keep a bounded number in flight, as any real publisher must.
  let sent = 0;
  await new Promise<void>((resolvePub) => {
    const pump = () => {
      while (sent < count && sent - got < 2000) {
        sent++;
        pub.publish('bench/raw', payload, { qos: 1 });
      }
      if (sent < count) setImmediate(pump);
      else resolvePub();
    };
    pump();
  });
  await done;
  const rate = count / ((performance.now() - t0) / 1000);
  await sub.endAsync();
  await pub.endAsync();
  return rate;
}

export async function benchDrain(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-drain-'));
  const broker = await startMosquitto({});
  const time = systemTimeSource('assume-synced');
  let hub: ReturnType<typeof spawn> | undefined;
  console.log(`\n## Backlog drain: ${fmt(BACKLOG)} events edge → Mosquitto → hub (SQLite), committed at the hub`);
  try {
    const rawSmall = await rawBrokerRate(broker.url, 100_000, 450);
    line('raw MQTT.js QoS 1 through Mosquitto, 450-byte messages', `${fmt(rawSmall)} msgs/s`);

    // Fill the journal (not timed): durable NORMAL is enough for a fixture.
    const journal = new EdgeJournal({ file: join(dir, 'edge', 'journal.sqlite'), gatewayId: 'GW-BENCH', time, quotaBytes: 16e9, synchronous: 'NORMAL' });
    let t0 = performance.now();
    for (let k = 0; k < BACKLOG; k += 5000) {
      await Promise.all(
        Array.from({ length: Math.min(5000, BACKLOG - k) }, (_, i) => {
          const key = `EA${String(k + i).padStart(8, '0')}5CN`;
          return journal.append({ type: 'parcel.scanned', stationId: 'BENCH-LINE', deviceId: 'scanner-1', parcelKey: key, payload: { code: key, symbology: 'code128', source: 'scanner' } });
        }),
      );
      if ((k / 5000) % 40 === 0) process.stdout.write(`\r  filling the journal: ${fmt(k)} / ${fmt(BACKLOG)}`);
    }
    process.stdout.write(`\r  filled ${fmt(BACKLOG)} events in ${fmt((performance.now() - t0) / 1000, 1)} s\n`);

    // Start-up with a large backlog: open the journal and read its backlog, beside an empty journal.
    const openTime = (file: string) => {
      const s0 = performance.now();
      const j = new EdgeJournal({ file, gatewayId: 'GW-BENCH', time, quotaBytes: 16e9 });
      j.backlog();
      const ms = performance.now() - s0;
      j.close();
      return ms;
    };
    journal.close();
    const fullMs = Math.min(...[0, 1, 2].map(() => openTime(join(dir, 'edge', 'journal.sqlite'))));
    const emptyMs = Math.min(...[0, 1, 2].map((i) => openTime(join(dir, `empty-${i}`, 'journal.sqlite'))));
    line('journal open + backlog, empty journal (reference)', `${fmt(emptyMs, 2)} ms`);
    line(`journal open + backlog, ${fmt(BACKLOG)} unsent events`, `${fmt(fullMs, 2)} ms`, `${fmt(fullMs / emptyMs, 2)}× empty`);
    const reopened = new EdgeJournal({ file: join(dir, 'edge', 'journal.sqlite'), gatewayId: 'GW-BENCH', time, quotaBytes: 16e9, synchronous: 'FULL' });

    const httpPort = await freePort();
    const hubConfig = join(dir, 'hub.json');
    writeFileSync(hubConfig, JSON.stringify({ hubId: 'bench-hub', dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: httpPort }, mqtt: { url: broker.url, password: 'x' }, auth: { adminPassword: 'bench-admin-pw-password' } }));
    hub = spawn(process.execPath, [join(ROOT, 'bin/bondgate.mjs'), 'hub', '--config', hubConfig], { env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '', MQTT_URL: '' }, stdio: ['ignore', 'ignore', 'inherit'] });
    // Wait for the hub's HTTP to answer (it subscribes before listening).
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const keys = generateJournalKeys();
    const sync = new SyncClient({ url: broker.url, username: 'GW-BENCH', password: 'x', journal: reopened, bootId: time.bootId, ...keys, log: pino({ level: 'warn' }), agentVersion: 'bench', checkpointIntervalMs: 3_600_000 });
    t0 = performance.now();
    sync.start();
    let lastPrint = 0;
    while (reopened.ackedSeq < BACKLOG) {
      await new Promise((r) => setTimeout(r, 100));
      const s = (performance.now() - t0) / 1000;
      if (s - lastPrint >= 2) {
        lastPrint = s;
        process.stdout.write(`\r  draining: ${fmt(reopened.ackedSeq)} / ${fmt(BACKLOG)} acked, window ${fmt(sync.state.window)}, ${fmt(s, 0)} s`);
      }
      if (s > 300) throw new Error(`drain did not finish in 300 s (acked ${reopened.ackedSeq})`);
    }
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write('\r'.padEnd(100) + '\r');
    line('backlog drained and committed at the hub', `${fmt(BACKLOG / seconds)} events/s`, `${fmt(seconds, 1)} s for ${fmt(BACKLOG)}; ${fmt(BACKLOG / seconds / rawSmall, 2)}× raw msgs/s; ${fmt(sync.state.retransmits)} retransmits`);

    // Scan-to-hub visibility online: 2,000 scans at 200/s, from the durable append to the hub's ack of its commit.
    const appendedAt = new Map<number, number>();
    const lat: number[] = [];
    const poll = setInterval(() => {
      const acked = reopened.ackedSeq;
      for (const [seq, t] of appendedAt) if (seq <= acked) {
        lat.push(performance.now() - t);
        appendedAt.delete(seq);
      }
    }, 1);
    for (let i = 0; i < 2000; i++) {
      const key = `EV${String(i).padStart(9, '0')}CN`;
      const r = await reopened.append({ type: 'parcel.scanned', stationId: 'BENCH-LINE', parcelKey: key, payload: { code: key, source: 'scanner' } });
      appendedAt.set(r.seq, performance.now());
      await new Promise((res) => setTimeout(res, 5));
    }
    while (appendedAt.size > 0) await new Promise((res) => setTimeout(res, 10));
    clearInterval(poll);
    const v = latencySummary(lat);
    line('scan-to-hub visibility online, 200 scans/s (append → hub commit ack)', `p99 ${fmt(v.p99, 1)} ms`, `p50 ${fmt(v.p50, 1)} ms, max ${fmt(v.max, 1)} ms`);
    await sync.stop();
    reopened.close();
  } finally {
    hub?.kill('SIGTERM');
    time.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
