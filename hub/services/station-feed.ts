import type { Logger } from 'pino';
import { FeedBatch, FeedChange, FeedRequest, type FeedKind, type StationRules } from '../../shared/stations/feed.ts';
import { signRules } from '../../shared/stations/rules-signing.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * The station feed, hub side: decisions, release slips, signed rules and expected lists go into storage with a
 * version; every gateway gets live changes pushed and, after an outage, asks for "changes since N" and is paged
 * through them (a snapshot when it is behind the pruning floor). Whatever the order of pushes and answers, an edge
 * that applies changes by version ends with the hub's state.
 */
export const FEED_PAGE = 2000;

export interface FeedDeps {
  storage: Storage;
  log: Logger;
  publish: (gatewayId: string, batch: FeedBatch) => void;
  /** Gateways to push live changes to. */
  gateways: () => Promise<string[]>;
  signing: { privateKeyPem: string; keyId: string };
  now?: () => number;
}

export class StationFeedService {
  private readonly now: () => number;
  constructor(private readonly d: FeedDeps) {
    this.now = d.now ?? Date.now;
  }

  /** Put changes (validated per kind; rules get signed here), then push them to every gateway. Returns the head. */
  async put(changes: { kind: FeedKind; key: string; value: unknown }[]): Promise<number> {
    const prepared = changes.map((c) => ({ ...c, value: c.kind === 'rules' && c.value !== null ? signRules(c.value as StationRules, this.d.signing.privateKeyPem, this.d.signing.keyId) : c.value }));
    // Validate the whole set before writing any of it: one bad slip must not leave half a change set behind.
    prepared.forEach((c, i) => FeedChange.parse({ version: i + 1, ...c }));
    const head = await this.d.storage.putFeed(prepared);
    const first = head - prepared.length;
    const batch: FeedBatch = { fromVersion: first, toVersion: head, snapshot: false, more: false, hubTimeMs: this.now(), changes: prepared.map((c, i) => ({ version: first + i + 1, kind: c.kind, key: c.key, value: c.value })) };
    for (const gw of await this.d.gateways()) this.d.publish(gw, batch);
    return head;
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
    const { changes, headVersion } = await this.d.storage.feedSince(snapshot ? 0 : since, FEED_PAGE);
    // A snapshot sends live values only: the edge replaces everything it holds, so tombstones say nothing new.
    const rows = snapshot ? changes.filter((c) => c.value !== null) : changes;
    const toVersion = changes.length > 0 ? changes[changes.length - 1]!.version : headVersion;
    const batch: FeedBatch = { fromVersion: snapshot ? 0 : since, toVersion: Math.max(toVersion, since), snapshot, more: toVersion < headVersion, hubTimeMs: this.now(), changes: rows };
    this.d.publish(gatewayId, batch);
  }
}
