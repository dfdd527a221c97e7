import type { Logger } from 'pino';
import { z } from 'zod';
import { BondgateError } from '../../shared/errors.ts';
import { FeedBatch, FeedRequest, parseFeedValue, StationRules, type FeedKind, type ParcelDecision } from '../../shared/stations/feed.ts';
import { signRules } from '../../shared/stations/rules-signing.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * The station feed, hub side: decisions, release slips, signed rules and expected lists go into storage with a
 * version; every gateway gets live changes pushed and, after an outage, asks for "changes since N" and is paged
 * through them (a snapshot when it is behind the pruning floor). Whatever the order of pushes and answers, an edge
 * that applies changes by version ends with the hub's state.
 */
export const FEED_PAGE = 2000;
/** One stored value at most (serialised): a slip's 10,000 goods fit; junk never reaches the gateways. */
export const FEED_VALUE_MAX_BYTES = 2 * 1024 * 1024;
/** A gateway gets at most one snapshot in this interval; asks inside it are coalesced into one answer at its end. */
export const SNAPSHOT_INTERVAL_MS = 10_000;

/** A change as stored and pushed: the value is the schema's output (unknown keys stripped, defaults filled). */
export interface StoredChange { kind: FeedKind; key: string; value: unknown }

export interface FeedDeps {
  storage: Storage;
  log: Logger;
  publish: (gatewayId: string, batch: FeedBatch) => void;
  /** Gateways to push live changes to. */
  gateways: () => Promise<string[]>;
  signing: { privateKeyPem: string; keyId: string };
  now?: () => number;
  /**
   * The hub's random line sample for a released parcel (SamplingService under the hub's secret key): its outcome goes
   * into the decision as `sampled`, the key never does. Absent (tests), decisions keep what their author gave.
   */
  lineSample?: (parcelKey: string) => boolean;
  /** Runs a deferred snapshot answer; returns a cancel. setTimeout (unref'd) by default; tests pass their own. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

const defaultSchedule = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/**
 * The feed's internal API. Decisions and slips carry authority (a gate opens on a slip, a line releases on a
 * decision): only the services that own them call put() with those kinds (customs and cases for decisions,
 * release-slips for slips); the HTTP route accepts rules and expected lists only (hub/routes/feed.ts).
 */
export class StationFeedService {
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => () => void;
  /** Per gateway: when its last snapshot went out, and a coalesced answer waiting for the interval to end. */
  private readonly snapshots = new Map<string, { lastMs: number; pending?: { body: unknown; cancel: () => void } }>();
  constructor(private readonly d: FeedDeps) {
    this.now = d.now ?? Date.now;
    this.schedule = d.schedule ?? defaultSchedule;
  }

  /** Put changes, then push them to every gateway. Returns the head. */
  async put(changes: StoredChange[]): Promise<number> {
    return (await this.putParsed(changes)).head;
  }

  /**
   * Put changes and return what was stored: each value parsed by its kind's schema (the parsed value is stored and
   * pushed, never the raw one; rules are parsed, then signed here). The whole set is validated before any of it is
   * written: one bad slip must not leave half a change set behind.
   */
  async putParsed(changes: StoredChange[]): Promise<{ head: number; stored: StoredChange[] }> {
    const prepared = changes.map((c, i): StoredChange => {
      if (c.value === null) return { kind: c.kind, key: c.key, value: null };
      let value: unknown;
      try {
        value = c.kind === 'rules' ? signRules(StationRules.parse(c.value), this.d.signing.privateKeyPem, this.d.signing.keyId) : parseFeedValue(c.kind, c.value);
        if (c.kind === 'decision') value = this.withLineSample(value as ParcelDecision);
      } catch (e) {
        throw prefixIssues(e, i);
      }
      if (Buffer.byteLength(JSON.stringify(value)) > FEED_VALUE_MAX_BYTES) throw new BondgateError('PAYLOAD_TOO_LARGE', `feed value ${c.kind}:${c.key} is over ${FEED_VALUE_MAX_BYTES} bytes`, [{ field: `${i}.value`, message: `over ${FEED_VALUE_MAX_BYTES} bytes` }]);
      return { kind: c.kind, key: c.key, value };
    });
    const head = await this.d.storage.putFeed(prepared);
    const first = head - prepared.length;
    const batch: FeedBatch = { fromVersion: first, toVersion: head, snapshot: false, more: false, hubTimeMs: this.now(), changes: prepared.map((c, i) => ({ version: first + i + 1, kind: c.kind, key: c.key, value: c.value })) };
    for (const gw of await this.d.gateways()) this.d.publish(gw, batch);
    return { head, stored: prepared };
  }

  /** The hub's sample outcome replaces whatever the caller said: only the hub, with its key, decides it. */
  private withLineSample(d: ParcelDecision): ParcelDecision {
    if (!this.d.lineSample) return d;
    const { sampled: _ignored, ...rest } = d;
    return d.decision === 'released' && this.d.lineSample(d.parcelKey) ? { ...rest, sampled: true } : rest;
  }

  /** Stops deferred snapshot answers (hub shutdown). */
  close(): void {
    for (const s of this.snapshots.values()) s.pending?.cancel();
    this.snapshots.clear();
  }

  /** Answer a gateway's "changes since N": one page; the edge asks again while `more`. */
  async answer(gatewayId: string, body: unknown): Promise<void> {
    const r = FeedRequest.safeParse(body);
    if (!r.success) {
      this.d.log.warn({ gatewayId, err: r.error.message }, 'malformed feed request');
      return;
    }
    const since = r.data.sinceVersion;
    const floor = await this.d.storage.feedFloor();
    const snapshot = since < floor || since === 0;
    // A snapshot is the whole feed: a gateway asking for one again and again (50 asks, 50 full copies) is answered
    // once per interval, the asks in between coalesced into one answer at its end.
    if (snapshot && !this.snapshotAllowed(gatewayId, body)) return;
    const { changes, headVersion } = await this.d.storage.feedSince(snapshot ? 0 : since, FEED_PAGE);
    // A snapshot sends live values only: the edge replaces everything it holds, so tombstones say nothing new.
    const rows = snapshot ? changes.filter((c) => c.value !== null) : changes;
    const toVersion = changes.length > 0 ? changes[changes.length - 1]!.version : headVersion;
    const batch: FeedBatch = { fromVersion: snapshot ? 0 : since, toVersion: Math.max(toVersion, since), snapshot, more: toVersion < headVersion, hubTimeMs: this.now(), changes: rows };
    this.d.publish(gatewayId, batch);
  }

  /** Whether a snapshot may go out now; if not, the ask is kept (the latest one wins) and answered when it may. */
  private snapshotAllowed(gatewayId: string, body: unknown): boolean {
    const now = this.now();
    const s = this.snapshots.get(gatewayId);
    if (!s || now - s.lastMs >= SNAPSHOT_INTERVAL_MS) {
      s?.pending?.cancel();
      this.snapshots.set(gatewayId, { lastMs: now });
      return true;
    }
    if (s.pending) {
      s.pending.body = body;
      return false;
    }
    this.d.log.warn({ gatewayId }, 'feed snapshot asked again within the interval: coalesced');
    const pending = {
      body,
      cancel: this.schedule(() => {
        if (s.pending !== pending) return;
        delete s.pending;
        s.lastMs = Number.NEGATIVE_INFINITY; // the deferred answer is due: let it through
        void this.answer(gatewayId, pending.body).catch((e: Error) => this.d.log.error({ err: e.message, gatewayId }, 'deferred feed answer failed'));
      }, s.lastMs + SNAPSHOT_INTERVAL_MS - now),
    };
    s.pending = pending;
    return false;
  }
}

/** A value's zod issues, with the change's index in front of their paths (`3.value.goods.0`). */
function prefixIssues(e: unknown, index: number): unknown {
  if (!(e instanceof z.ZodError)) return e;
  return new z.ZodError(e.issues.map((i) => ({ ...i, path: [index, 'value', ...i.path] })));
}
