import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { s10Number } from '../shared/identifiers/s10.ts';
import { EdgeJournal } from '../edge/journal.ts';
import { inspectionStation, InspectionStationConfig } from '../edge/stations/inspection-station.ts';
import { StationRunner } from '../edge/stations/runtime.ts';
import { systemTimeSource } from '../edge/time-source.ts';
import { StationRules } from '../shared/stations/feed.ts';
import { memoryCache } from '../shared/stations/types.ts';
import { fmt, latencySummary, line } from './stats.ts';

/**
 * Scan-to-command latency at an inspection station with the hub unreachable (no broker at all: the station decides
 * from its local copy): from the deciding reading (the PLC's X-ray verdict, after the scan and the weight) to the
 * diverter command issued, and to the parcel's event committed (fsync'd). Beside it, the raw fsync'd commit latency of
 * one better-sqlite3 row on the same disk, measured in the same run. Target: p99 under 10 ms.
 */
export async function benchStationLatency(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-station-'));
  try {
    // Reference: raw single-row fsync'd commits (WAL, synchronous=FULL), a row of the event's size.
    const raw = new Database(join(dir, 'raw.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT)');
    const ins = raw.prepare('INSERT INTO t (seq, body) VALUES (?, ?)');
    const body = 'x'.repeat(900);
    const rawLat: number[] = [];
    for (let i = 1; i <= 2000; i++) {
      const s = performance.now();
      ins.run(i, body);
      rawLat.push(performance.now() - s);
    }
    raw.close();
    const rawS = latencySummary(rawLat);

    const N = 5000;
    const rules = StationRules.parse({ rulesId: 'BENCH', validFromMs: 0, validToMs: Date.now() + 3600_000 });
    const decisions = Array.from({ length: N }, (_, i) => ({ parcelKey: s10Number(i + 1), decision: (i % 10 === 0 ? 'hold' : 'released') as 'hold' | 'released', declaredWeightKg: 1.5 }));
    const cache = memoryCache({ version: 1, syncedAtMs: Date.now(), decisions, rules });
    const journal = new EdgeJournal({ file: join(dir, 'journal.sqlite'), gatewayId: 'BENCH', time: systemTimeSource('assume-synced'), quotaBytes: 8e9 });
    let commandAt = 0;
    const config = InspectionStationConfig.parse({ kind: 'inspection', id: 'LINE-1', line: { lineId: 'LINE-1' } });
    const runner = new StationRunner('LINE-1', inspectionStation(config), journal, cache, { run: async (c) => ((commandAt = c.kind === 'divert' ? performance.now() : commandAt), null) }, pino({ level: 'silent' }));
    const toCommand: number[] = [];
    const toCommit: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const code = s10Number(i + 1);
      const at = Date.now();
      await runner.input(runner.def.fromReading('scanner', { kind: 'scan', read: { kind: 's10', value: code }, raw: code, atMs: at })!);
      await runner.input(runner.def.fromReading('scale', { kind: 'weight', weightKg: 1.51, atMs: at })!);
      const s = performance.now();
      const committed = runner.input(runner.def.fromReading('xray', { kind: 'opcua.event', name: 'xray.verdict', fields: { ParcelId: code, Verdict: 'clear', ImageRef: `xr/${code}.png` }, atMs: at })!);
      toCommand.push(commandAt - s);
      await committed;
      toCommit.push(performance.now() - s);
    }
    const rate = N / ((performance.now() - t0) / 1000);
    runner.stop();
    journal.close();
    const cmd = latencySummary(toCommand);
    const commit = latencySummary(toCommit);
    line('station: verdict → diverter command (p50 / p99 / max)', `${fmt(cmd.p50, 3)} / ${fmt(cmd.p99, 3)} / ${fmt(cmd.max, 2)} ms`);
    line('station: verdict → event committed, hub down (p50 / p99 / max)', `${fmt(commit.p50, 2)} / ${fmt(commit.p99, 2)} / ${fmt(commit.max, 2)} ms`, `raw fsync'd commit ${fmt(rawS.p50, 2)} / ${fmt(rawS.p99, 2)} / ${fmt(rawS.max, 2)} ms`);
    line('station: parcels decided per second (sequential)', `${fmt(rate)} /s`, `p99 commit / raw p99 = ${fmt(commit.p99 / rawS.p99, 2)}×`);
    return { commandP99Ms: cmd.p99, commitP99Ms: commit.p99, rawCommitP99Ms: rawS.p99, parcelsPerS: rate };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
