import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GENESIS_HASH } from '../shared/canonical.ts';
import { BondgateError, validationError } from '../shared/errors.ts';
import { decodeHlc, encodeHlc, HybridLogicalClock, type HlcTimestamp } from '../shared/hlc.ts';
import { newEventId } from '../shared/ids.ts';
import { sealEnvelope } from '../shared/journal-chain.ts';
import { preparePrivateSqliteFile, PRIVATE_DIR_MODE } from '../shared/private-files.ts';
import { eventClass, GatewayId, Payloads, type EventType, type NewEvent } from '../shared/schemas/events.ts';
import type { DiskLevel } from '../shared/sync-protocol.ts';
import type { TimeSource } from './time-source.ts';

/**
 * The edge's append-only event journal: the durability layer between a station and the hub.
 *
 * - An event is committed (fsync'd, WAL + synchronous=FULL) before `append` resolves, so a station acts
 *   only on what survives a power cut. Appends arriving together share one commit (group commit).
 * - Rows carry a per-gateway seq with no holes and a hash chain (shared/journal-chain.ts).
 * - Customs events are never removed before the hub acknowledged them. Policy for telemetry
 *   (device.health, device.error, rfid.sighting): it may be shed — replaced in place by a tombstone that
 *   keeps its seq and hashes, so the chain stays whole — when unsent for longer than `telemetryTtlMs`,
 *   or at once when disk use passes the soft limit (and new telemetry is then not journalled at all).
 * - Past the hard limit every append is refused with EDGE_JOURNAL_FULL: the station fails closed rather
 *   than lose or overwrite an unsynced customs event.
 */

export interface JournalOptions {
  file: string;
  gatewayId: string;
  time: TimeSource;
  /** Disk quota for the journal (database pages in use). */
  quotaBytes: number;
  /** Fraction of the quota at which the edge alarms and sheds telemetry. */
  softLimitRatio?: number;
  /** Delivered events are kept this long after their time, then pruned. */
  retentionMs?: number;
  /** Unsent telemetry older than this is shed. */
  telemetryTtlMs?: number;
  /** FULL: every commit fsyncs the WAL (power-loss safe). NORMAL: crash-safe only (benchmarks). */
  synchronous?: 'FULL' | 'NORMAL';
}

export interface AppendResult { seq: number; id: string; hash: string; hlc: string }

export interface JournalRow { seq: number; json: string }

export interface JournalAlarm { alarm: 'disk_soft_limit' | 'disk_hard_limit' | 'disk_recovered'; detail: string }

/**
 * A key/value written in the same transaction as the event (e.g. a producer's resume point). A function value is
 * called once, at commit, for the last update of its key in the group: a station's state, appended with each of
 * a burst of decisions, is serialised and written once per commit instead of once per decision.
 */
export type MetaUpdate = { key: string; value: string | (() => string) };

/**
 * `parsed`: the payload is the output of its own schema (`Payloads[type]`), parsed by the caller just before (a
 * station's events are checked so a refused one becomes an exception): the journal does not parse it a second time.
 * Every other check (type, station, parcel key, disk level) still applies.
 */
export interface AppendOptions { parsed?: true }

interface Pending {
  input: NewEvent;
  meta?: MetaUpdate;
  parsed?: true;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const CLASS_CODE = { customs: 0, telemetry: 1 } as const;

/** The longest the hub's ack stays in memory only (markAcked). */
export const ACK_PERSIST_MS = 1000;

export class EdgeJournal {
  readonly gatewayId: GatewayId;
  private readonly db: Database.Database;
  private readonly time: TimeSource;
  private readonly hlc: HybridLogicalClock;
  private readonly quotaBytes: number;
  private readonly softBytes: number;
  private readonly retentionMs: number;
  private readonly telemetryTtlMs: number;
  private readonly pageSize: number;

  private head: { seq: number; hash: string };
  private acked: number;
  /** The ack as last written to disk; `acked` runs ahead of it until the next commit or ACK_PERSIST_MS. */
  private ackedOnDisk: number;
  private ackTimer: NodeJS.Timeout | undefined;
  private pending: Pending[] = [];
  private flushScheduled = false;
  private closed = false;
  private level: DiskLevel = 'ok';
  /** Bytes appended since the disk level was last measured: re-measure every 64 KiB, not every commit. */
  private bytesSinceCheck = 0;
  private readonly appendListeners = new Set<(seq: number) => void>();
  private readonly alarmListeners = new Set<(a: JournalAlarm) => void>();

  /** Counters for /metrics. */
  readonly stats = { appended: 0, commits: 0, telemetryDropped: 0, telemetryShed: 0, pruned: 0, refused: 0 };

  private readonly stmt: {
    insert: Database.Statement;
    readFrom: Database.Statement;
    wallAt: Database.Statement;
    last: Database.Statement;
    metaGet: Database.Statement;
    metaSet: Database.Statement;
    pageCount: Database.Statement;
    freelist: Database.Statement;
    shed: Database.Statement;
    prune: Database.Statement;
  };

  constructor(opts: JournalOptions) {
    mkdirSync(dirname(opts.file), { recursive: true, mode: PRIVATE_DIR_MODE });
    this.gatewayId = GatewayId.parse(opts.gatewayId);
    this.time = opts.time;
    this.quotaBytes = opts.quotaBytes;
    this.softBytes = Math.floor(opts.quotaBytes * (opts.softLimitRatio ?? 0.8));
    this.retentionMs = opts.retentionMs ?? 7 * 24 * 3600_000;
    this.telemetryTtlMs = opts.telemetryTtlMs ?? 24 * 3600_000;

    preparePrivateSqliteFile(opts.file); // owner-only, like the key beside it (issue 13, item 10)
    this.db = new Database(opts.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY,
        class INTEGER NOT NULL,
        wall_ms INTEGER NOT NULL,
        shed INTEGER NOT NULL DEFAULT 0,
        body TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.pageSize = Number(this.db.pragma('page_size', { simple: true }));

    this.stmt = {
      insert: this.db.prepare('INSERT INTO events (seq, class, wall_ms, body) VALUES (?, ?, ?, ?)'),
      readFrom: this.db.prepare('SELECT seq, body AS json FROM events WHERE seq >= ? ORDER BY seq LIMIT ?'),
      wallAt: this.db.prepare('SELECT wall_ms FROM events WHERE seq = ?').pluck(),
      last: this.db.prepare('SELECT seq, body FROM events ORDER BY seq DESC LIMIT 1'),
      metaGet: this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      metaSet: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      pageCount: this.db.prepare('PRAGMA page_count').pluck(),
      freelist: this.db.prepare('PRAGMA freelist_count').pluck(),
      // A tombstone keeps what the chain needs (seq, id, type, time, hashes) and drops the payload.
      shed: this.db.prepare(`
        UPDATE events SET shed = 1, body = json_object(
          'id', json_extract(body, '$.id'), 'gatewayId', json_extract(body, '$.gatewayId'), 'seq', seq,
          'type', json_extract(body, '$.type'), 'shed', json('true'), 'time', json_extract(body, '$.time'),
          'prevHash', json_extract(body, '$.prevHash'), 'hash', json_extract(body, '$.hash'))
        WHERE seq IN (SELECT seq FROM events WHERE class = 1 AND shed = 0 AND seq > ? AND wall_ms < ? ORDER BY seq LIMIT 5000)`),
      // The newest row is never pruned: it anchors seq and the hash chain across restarts.
      prune: this.db.prepare('DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq <= ? AND seq < ? AND wall_ms < ? ORDER BY seq LIMIT 10000)'),
    };

    const last = this.stmt.last.get() as { seq: number; body: string } | undefined;
    let lastHlc: HlcTimestamp | undefined;
    if (last) {
      const body = JSON.parse(last.body) as { hash: string; time: { hlc: string } };
      this.head = { seq: last.seq, hash: body.hash };
      lastHlc = decodeHlc(body.time.hlc);
    } else {
      this.head = { seq: 0, hash: GENESIS_HASH };
    }
    this.acked = Math.min(Number(this.stmt.metaGet.get('acked_seq') ?? 0), this.head.seq);
    this.ackedOnDisk = this.acked;
    // Seed the HLC with the newest journalled time so it never runs backwards across a restart,
    // even when the gateway rebooted with its wall clock reset.
    this.hlc = new HybridLogicalClock(() => this.time.wallMs(), lastHlc);
    this.refreshDiskLevel();
  }

  get headSeq(): number {
    return this.head.seq;
  }
  get headHash(): string {
    return this.head.hash;
  }
  get ackedSeq(): number {
    return this.acked;
  }
  get diskLevel(): DiskLevel {
    return this.level;
  }

  /** Append and commit; resolves once the event is durable. Concurrent appends share one commit. */
  append(input: NewEvent, meta?: MetaUpdate, opts: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new BondgateError('EDGE_JOURNAL_CLOSED'));
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject, ...(meta ? { meta } : {}), ...(opts.parsed ? { parsed: true as const } : {}) });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Append and commit now, synchronously (one commit per call). */
  appendSync(input: NewEvent): AppendResult {
    if (this.closed) throw new BondgateError('EDGE_JOURNAL_CLOSED');
    const out: AppendResult[] = [];
    this.commit([input], out);
    const r = out[0];
    if (!r) throw new BondgateError('EDGE_JOURNAL_FULL');
    return r;
  }

  /** Flush queued appends now (group commit). Called from setImmediate; exposed for close(). */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const results: (AppendResult | BondgateError)[] = [];
    try {
      this.commitEach(batch.map((p) => p.input), results, batch.map((p) => p.meta), batch.map((p) => p.parsed === true));
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i];
      if (r instanceof BondgateError) p.reject(r);
      else if (r) p.resolve(r);
      else p.reject(new BondgateError('EDGE_JOURNAL_FULL'));
    });
  }

  private commit(inputs: NewEvent[], out: AppendResult[]): void {
    const results: (AppendResult | BondgateError)[] = [];
    this.commitEach(inputs, results);
    for (const r of results) {
      if (r instanceof BondgateError) throw r;
      out.push(r);
    }
  }

  /**
   * One transaction for the whole group. Per input: a validation error or a refusal is that input's
   * result; the others still commit.
   */
  private commitEach(inputs: NewEvent[], results: (AppendResult | BondgateError)[], metas: (MetaUpdate | undefined)[] = [], parsed: boolean[] = []): void {
    const level = this.bytesSinceCheck >= 64 * 1024 || this.level !== 'ok' ? this.refreshDiskLevel() : this.level;
    let { seq, hash } = this.head;
    const rows: [number, number, number, string][] = [];
    const metaWrites = new Map<string, MetaUpdate['value']>();
    // The hub's latest ack rides along with the commit (no transaction, no fsync of its own).
    const ackWrite = this.acked !== this.ackedOnDisk ? this.acked : undefined;
    if (ackWrite !== undefined) metaWrites.set('acked_seq', String(ackWrite));
    for (const [i, input] of inputs.entries()) {
      const checked = this.check(input, level, parsed[i] === true);
      if (checked instanceof BondgateError) {
        results.push(checked);
        continue;
      }
      const cls = eventClass(input.type);
      seq += 1;
      const t = this.hlc.now();
      const wallMs = this.time.wallMs();
      const id = newEventId();
      const hlcText = encodeHlc(t);
      const sealed = sealEnvelope({
        id,
        gatewayId: this.gatewayId,
        seq,
        type: input.type,
        stationId: input.stationId,
        deviceId: input.deviceId,
        parcelKey: input.parcelKey,
        time: { wallMs, hlc: hlcText, bootId: this.time.bootId, uptimeMs: this.time.uptimeMs(), clockSynced: this.time.clockSynced() },
        payload: checked,
        prevHash: hash,
      });
      hash = sealed.hash;
      rows.push([seq, CLASS_CODE[cls], wallMs, sealed.json]);
      const meta = metas[i];
      if (meta) {
        metaWrites.delete(meta.key); // last update of a key wins, in append order
        metaWrites.set(meta.key, meta.value);
      }
      results.push({ seq, id, hash, hlc: hlcText });
    }
    if (rows.length === 0) return;
    if (rows.length === 1 && metaWrites.size === 0) {
      this.stmt.insert.run(rows[0]!); // autocommit: one statement, one fsync, no BEGIN/COMMIT round
    } else {
      this.db.transaction(() => {
        for (const r of rows) this.stmt.insert.run(r);
        for (const [key, value] of metaWrites) this.stmt.metaSet.run(key, typeof value === 'function' ? value() : value);
      })();
      if (ackWrite !== undefined) {
        this.ackedOnDisk = ackWrite;
        clearTimeout(this.ackTimer);
        this.ackTimer = undefined;
      }
    }
    for (const r of rows) this.bytesSinceCheck += r[3].length + 32;
    this.head = { seq, hash };
    this.stats.appended += rows.length;
    this.stats.commits += 1;
    for (const l of this.appendListeners) l(seq);
  }

  private check(input: NewEvent, level: DiskLevel, parsed: boolean): unknown {
    const schema = Payloads[input.type as EventType];
    if (!schema) return new BondgateError('VALIDATION_FAILED', `unknown event type ${String(input.type)}`, [{ field: 'type', message: 'unknown event type' }]);
    if (level === 'hard') {
      this.stats.refused += 1;
      return new BondgateError('EDGE_JOURNAL_FULL', `journal at its hard limit (${this.quotaBytes} bytes): ${input.type} refused`);
    }
    if (level === 'soft' && eventClass(input.type) === 'telemetry') {
      this.stats.telemetryDropped += 1;
      return new BondgateError('EDGE_JOURNAL_FULL', 'journal past its soft limit: telemetry is not journalled');
    }
    if (!input.stationId || input.stationId.length > 128) {
      return new BondgateError('VALIDATION_FAILED', 'stationId is required (at most 128 characters)', [{ field: 'stationId', message: 'required, at most 128 characters' }]);
    }
    if (input.parcelKey !== undefined && (input.parcelKey.length === 0 || input.parcelKey.length > 64)) {
      return new BondgateError('VALIDATION_FAILED', 'parcelKey must be 1..64 characters', [{ field: 'parcelKey', message: '1..64 characters' }]);
    }
    if (parsed) return input.payload;
    const result = schema.safeParse(input.payload);
    return result.success ? result.data : validationError(result.error, 'VALIDATION_FAILED', 'payload');
  }

  /** Rows from `fromSeq` upwards, oldest first, as stored JSON (sent as is). */
  readFrom(fromSeq: number, limit: number): JournalRow[] {
    return this.stmt.readFrom.all(fromSeq, limit) as JournalRow[];
  }

  /**
   * The hub committed everything up to `seq`. Persisted so a restart resumes from here: with the next commit, or
   * within ACK_PERSIST_MS when none comes, and at close — not with an fsync per ack. After a crash the journal may
   * resume from an ack up to that long old: those events are sent again and the hub, which has them, acknowledges
   * them without storing them twice. Rows are pruned only up to the ack on disk.
   */
  markAcked(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = Math.min(seq, this.head.seq);
    if (this.ackTimer || this.closed) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      this.persistAck();
    }, ACK_PERSIST_MS);
    this.ackTimer.unref();
  }

  private persistAck(): void {
    if (this.closed || this.acked === this.ackedOnDisk) return;
    this.stmt.metaSet.run('acked_seq', String(this.acked));
    this.ackedOnDisk = this.acked;
  }

  /** Merge the hub's HLC (from an ack) so events after it sort after it. */
  observeRemoteHlc(hlc: string): void {
    this.hlc.receive(decodeHlc(hlc));
  }

  backlog(): { count: number; oldestWallMs: number | null } {
    const count = this.head.seq - this.acked;
    if (count === 0) return { count, oldestWallMs: null };
    const wall = this.stmt.wallAt.get(this.acked + 1) as number | undefined;
    return { count, oldestWallMs: wall ?? null };
  }

  usedBytes(): number {
    return ((this.stmt.pageCount.get() as number) - (this.stmt.freelist.get() as number)) * this.pageSize;
  }

  disk(): { usedBytes: number; quotaBytes: number; level: DiskLevel } {
    return { usedBytes: this.usedBytes(), quotaBytes: this.quotaBytes, level: this.level };
  }

  private refreshDiskLevel(): DiskLevel {
    this.bytesSinceCheck = 0;
    const used = this.usedBytes();
    let next: DiskLevel = used >= this.quotaBytes ? 'hard' : used >= this.softBytes ? 'soft' : 'ok';
    if (next !== 'ok' && this.level === 'ok') {
      // First make room the policy allows: delivered rows, then unsent telemetry.
      this.maintain(this.time.wallMs(), true);
      const after = this.usedBytes();
      next = after >= this.quotaBytes ? 'hard' : after >= this.softBytes ? 'soft' : 'ok';
    }
    if (next !== this.level) {
      const prev = this.level;
      this.level = next;
      const detail = `journal uses ${this.usedBytes()} of ${this.quotaBytes} bytes (soft limit ${this.softBytes})`;
      const alarm: JournalAlarm['alarm'] = next === 'hard' ? 'disk_hard_limit' : next === 'soft' ? 'disk_soft_limit' : 'disk_recovered';
      if (!(next === 'soft' && prev === 'hard')) for (const l of this.alarmListeners) l({ alarm, detail });
    }
    return this.level;
  }

  /**
   * Retention and shedding; run periodically by the agent. Under pressure, delivered rows go regardless of
   * age and all unsent telemetry is shed. Returns how many rows were pruned and shed.
   */
  maintain(nowMs: number, pressure = this.level !== 'ok'): { pruned: number; shed: number } {
    this.persistAck(); // prune below an ack that is on disk: a restart must not find rows it would resend gone
    const pruneBefore = pressure ? Number.MAX_SAFE_INTEGER : nowMs - this.retentionMs;
    const shedBefore = pressure ? Number.MAX_SAFE_INTEGER : nowMs - this.telemetryTtlMs;
    let pruned = 0;
    let shed = 0;
    for (;;) {
      const n = this.stmt.prune.run(this.ackedOnDisk, this.head.seq, pruneBefore).changes;
      pruned += n;
      if (n < 10000) break;
    }
    for (;;) {
      const n = this.stmt.shed.run(this.acked, shedBefore).changes;
      shed += n;
      if (n < 5000) break;
    }
    this.stats.pruned += pruned;
    this.stats.telemetryShed += shed;
    if (pruned + shed > 0 && !pressure) this.refreshDiskLevel();
    return { pruned, shed };
  }

  onAppend(fn: (headSeq: number) => void): () => void {
    this.appendListeners.add(fn);
    return () => this.appendListeners.delete(fn);
  }

  onAlarm(fn: (a: JournalAlarm) => void): () => void {
    this.alarmListeners.add(fn);
    return () => this.alarmListeners.delete(fn);
  }

  getMeta(key: string): string | undefined {
    return this.stmt.metaGet.get(key) as string | undefined;
  }
  setMeta(key: string, value: string): void {
    this.stmt.metaSet.run(key, value);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.persistAck();
    this.closed = true;
    this.db.close();
  }
}
