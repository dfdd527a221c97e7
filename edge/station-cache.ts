import Database from 'better-sqlite3';
import { preparePrivateSqliteFile } from '../shared/private-files.ts';
import { FeedBatch, parseFeedValue, type ExpectedList, type FeedKind, type ParcelDecision, type ReleaseSlip, type SignedRules, type StationRules } from '../shared/stations/feed.ts';
import { verifyRules } from '../shared/stations/rules-signing.ts';
import type { CacheView } from '../shared/stations/types.ts';

/**
 * The edge's copy of the hub's station feed, in SQLite so it survives restarts and outages, indexed in memory so a
 * station's lookup costs a Map get (the scan-to-command budget is 10 ms). Changes are applied by version: an old
 * or duplicate change is ignored, a gap (a live push after missed changes) is reported so the caller asks for
 * "changes since N", and a snapshot replaces everything. Rules are used only with a valid hub signature.
 */
export type ApplyResult = { applied: number; version: number; gap: boolean; more: boolean };

export class StationCache implements CacheView {
  private readonly db: Database.Database;
  private readonly decisions = new Map<string, ParcelDecision>();
  private readonly slips = new Map<string, ReleaseSlip>();
  private readonly lists = new Map<string, ExpectedList>();
  private readonly rulesById = new Map<string, StationRules>();
  private _version = 0;
  private _syncedAtMs: number | null = null;
  /** Rules refused (bad signature, no key): counted for /healthz. */
  rejectedRules = 0;

  constructor(file: string, private readonly hubRulesKeyPem: string | undefined) {
    preparePrivateSqliteFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL'); // a lost tail is re-fetched from the hub by version
    this.db.exec(`CREATE TABLE IF NOT EXISTS feed (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (kind, key));
      CREATE TABLE IF NOT EXISTS feed_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);`);
    for (const r of this.db.prepare('SELECT kind, key, value FROM feed').all() as { kind: FeedKind; key: string; value: string }[]) this.index(r.kind, r.key, JSON.parse(r.value));
    this._version = Number((this.db.prepare("SELECT v FROM feed_meta WHERE k = 'version'").pluck().get() as string | undefined) ?? 0);
    const synced = this.db.prepare("SELECT v FROM feed_meta WHERE k = 'synced_at_ms'").pluck().get() as string | undefined;
    this._syncedAtMs = synced === undefined ? null : Number(synced);
  }

  get version(): number {
    return this._version;
  }
  get syncedAtMs(): number | null {
    return this._syncedAtMs;
  }
  get size(): { decisions: number; slips: number; lists: number; rules: number } {
    return { decisions: this.decisions.size, slips: this.slips.size, lists: this.lists.size, rules: this.rulesById.size };
  }

  decision(parcelKey: string): ParcelDecision | undefined {
    return this.decisions.get(parcelKey);
  }
  slip(passportNo: string): ReleaseSlip | undefined {
    return this.slips.get(passportNo);
  }
  slipsForVehicle(vehicleNo: string): ReleaseSlip[] {
    return [...this.slips.values()].filter((s) => s.vehicleNo === vehicleNo);
  }
  rules(nowMs: number): StationRules | undefined {
    let best: StationRules | undefined;
    for (const r of this.rulesById.values()) if (nowMs >= r.validFromMs && nowMs < r.validToMs && (!best || r.validFromMs > best.validFromMs)) best = r;
    return best;
  }
  expected(listId: string): ExpectedList | undefined {
    return this.lists.get(listId);
  }

  private index(kind: FeedKind, key: string, value: unknown | null): void {
    const maps = { decision: this.decisions, slip: this.slips, expected: this.lists, rules: this.rulesById } as const;
    if (value === null) {
      maps[kind].delete(key);
      return;
    }
    if (kind === 'rules') {
      const signed = parseFeedValue('rules', value) as SignedRules;
      if (!this.hubRulesKeyPem || !verifyRules(signed, this.hubRulesKeyPem)) {
        // Unsigned or wrongly signed rules are never used: the station then has no rules and fails safe.
        this.rejectedRules += 1;
        this.rulesById.delete(key);
        return;
      }
      this.rulesById.set(key, signed.rules);
    } else if (kind === 'decision') this.decisions.set(key, parseFeedValue('decision', value));
    else if (kind === 'slip') this.slips.set(key, parseFeedValue('slip', value));
    else this.lists.set(key, parseFeedValue('expected', value));
  }

  /** Apply a batch from the hub. Pure bookkeeping by version; the caller re-requests on `gap` or `more`. */
  apply(input: unknown, nowMs: number): ApplyResult {
    const batch = FeedBatch.parse(input);
    if (!batch.snapshot && batch.fromVersion > this._version) {
      // Changes between our version and this push were missed (we were offline when they went out).
      return { applied: 0, version: this._version, gap: true, more: false };
    }
    let applied = 0;
    const put = this.db.prepare('INSERT INTO feed (kind, key, value, version) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, version = excluded.version');
    const del = this.db.prepare('DELETE FROM feed WHERE kind = ? AND key = ?');
    const meta = this.db.prepare('INSERT INTO feed_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v');
    this.db.transaction(() => {
      if (batch.snapshot) {
        this.db.exec('DELETE FROM feed');
        this.decisions.clear();
        this.slips.clear();
        this.lists.clear();
        this.rulesById.clear();
        this._version = 0;
      }
      for (const c of batch.changes) {
        if (c.version <= this._version && !batch.snapshot) continue; // already have it (or newer)
        if (c.value === null) del.run(c.kind, c.key);
        else put.run(c.kind, c.key, JSON.stringify(c.value), c.version);
        this.index(c.kind, c.key, c.value);
        applied += 1;
      }
      this._version = Math.max(this._version, batch.toVersion);
      this._syncedAtMs = nowMs;
      meta.run('version', String(this._version));
      meta.run('synced_at_ms', String(nowMs));
    })();
    return { applied, version: this._version, gap: false, more: batch.more };
  }

  close(): void {
    this.db.close();
  }
}
