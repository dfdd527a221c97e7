import type { Sql } from './sql.ts';
import type { AuditEntry, AuditInput } from '../audit.ts';
import type { FeedKind } from '../../shared/stations/feed.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import type { GatewayStatus, Hello } from '../../shared/sync-protocol.ts';
import type { ParcelSnapshot, ParcelState } from '../../shared/parcel-state.ts';

/**
 * The hub's one storage interface. Two real implementations (sqlite.ts, postgres.ts) pass the same
 * contract suite (storage.contract.ts). Everything a route or service needs goes through here.
 */

/** What the store indexes of every entry, whatever its status. */
export interface EntryMeta {
  seq: number;
  id: string;
  /** The event type, or the raw value's string form for a quarantined entry. */
  type: string;
  parcelKey: string | null;
  stationId: string | null;
  wallMs: number;
  hlc: string;
}

/** One journal entry as the ingest service hands it to the store, already decoded and checked. */
export interface IngestEntry extends EntryMeta {
  prevHash: string;
  hash: string;
  /**
   * ok: valid and its hash checks out. shed: a telemetry tombstone. invalid: failed the schema (kept raw,
   * quarantined, so the journal stays contiguous and nothing is lost). hash_mismatch: valid but its hash
   * does not match its content (edited after it was written).
   */
  status: 'ok' | 'shed' | 'invalid' | 'hash_mismatch';
  /** The parsed event when status is ok or hash_mismatch; folded into the parcel projection only when ok. */
  event: EdgeEvent | null;
  /** What arrived, as JSON text (the canonical form the hash covers, plus the hash): stored as the event body. */
  rawJson: string;
  problem?: string;
}

export type JournalAlertKind = 'chain_break' | 'hash_mismatch' | 'invalid_entry' | 'journal_gap' | 'checkpoint_mismatch' | 'checkpoint_bad_signature' | 'key_changed';

export interface JournalAlert {
  gatewayId: string;
  seq: number | null;
  kind: JournalAlertKind;
  detail: string;
  atMs: number;
}

export interface IngestResult {
  /** Highest seq such that every seq ≤ it is stored. */
  ackedSeq: number;
  /** Stored ranges above ackedSeq (at most 32, lowest first). */
  ranges: [number, number][];
  inserted: number;
  duplicates: number;
  alerts: JournalAlert[];
}

/** A stored, trustworthy event handed to the parcel fold, with the hub's receive time of its batch. */
export interface FoldInput {
  event: EdgeEvent;
  receivedMs: number;
}

export interface FoldResult {
  /** Parcel rows written (each once per call, however many of its events the call carried). */
  parcels: number;
  /** Of those, parcels refolded from all their stored events (an event older than, or as old as, the row's last). */
  refolded: number;
}

export interface GatewayRecord {
  id: string;
  /** scrypt hash `scrypt$N$r$p$saltB64$hashB64` of the gateway's MQTT password; null = not provisioned. */
  passwordHash: string | null;
  publicKeyPem: string | null;
  ackedSeq: number;
  headHash: string;
  lastSeenMs: number | null;
  lastHello: Hello | null;
  lastStatus: GatewayStatus | null;
  /** Wall-clock offset (gateway − hub) estimated from live messages; null until known. */
  clockOffsetMs: number | null;
  alertCount: number;
  createdMs: number;
}

export interface ParcelRecord extends ParcelSnapshot {
  parcelKey: string;
  firstWallMs: number;
  updatedMs: number;
}

export interface StoredEvent extends EntryMeta {
  gatewayId: string;
  receivedMs: number;
  status: IngestEntry['status'];
  body: Record<string, unknown>;
}

export interface ParcelQuery {
  state?: ParcelState;
  /** Prefix match on the parcel key. */
  keyPrefix?: string;
  stationId?: string;
  limit: number;
  /** Opaque cursor from the previous page (keyset pagination, newest first). */
  cursor?: string;
}

export interface Page<T> { items: T[]; nextCursor: string | null; total?: number }

export type Role = 'admin' | 'manager' | 'officer' | 'operator';

export interface UserRecord { username: string; passwordHash: string; role: Role; displayName: string; createdMs: number }
export interface SessionRecord { tokenHash: string; username: string; role: Role; expiresMs: number }

export interface StoredDocument {
  kind: string;
  key: string;
  orderNo: string | null;
  subjectKey: string | null;
  body: Record<string, unknown>;
  /**
   * SHA-256 (hex) of the message the document came from, as received (CEB XML), or null for a JSON document. The
   * message is stored once in `document_originals` however many documents it holds (a CEB311 carries up to 100
   * orders); read it with `getOriginal`.
   */
  originalSha256: string | null;
  receivedMs: number;
}

/** One original message, stored once by the SHA-256 of its bytes. */
export interface StoredOriginal {
  sha256: string;
  /** The bytes as received, in the encoding they came in (UTF-8, UTF-16, GBK/GB18030). */
  xml: Uint8Array;
  receivedMs: number;
}

export interface FeedRow {
  version: number;
  kind: FeedKind;
  key: string;
  value: unknown;
}

export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  /** The port the domain repositories (hub/repos/) are written against: same database, same connection(s). */
  readonly sql: Sql;
  /** Create or upgrade the schema (idempotent, versioned migrations). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Store a batch of one gateway's journal entries in ONE transaction: insert idempotently (unique
   * gateway+seq; a duplicate is counted, never stored twice), advance the contiguous watermark while
   * checking the hash chain (prevHash of seq N = hash of seq N−1, else a chain_break alert), record alerts
   * for hash_mismatch / invalid entries, honour `gapFrom` (the edge declares seqs below its first entry lost:
   * raise journal_gap and move the watermark past them), and update the gateway's ackedSeq/headHash/lastSeen.
   * Safe when several hub processes ingest the same gateway concurrently (serialised per gateway by a row lock).
   * It does not touch the parcel read model: that is `foldParcels`, run by the 'parcels' projection after the ack
   * (hub/services/parcel-projection.ts says why).
   */
  ingest(gatewayId: string, entries: IngestEntry[], opts: { receivedMs: number; gapFrom?: number }): Promise<IngestResult>;
  /**
   * Fold stored `ok` events into their parcels' rows, in one transaction, each parcel written once. Idempotent and
   * order-free: an event newer than the row's lastHlc is applied to the row; any other (a late arrival, a replay, a
   * redelivery, an event another hub's refold already took in) makes the parcel refold from all its stored events. So
   * the row always converges on the fold of every stored event in HLC order, whichever hub folds what, how often and
   * in which order. Safe when several hubs fold the same parcels at once (rows locked in key order).
   */
  foldParcels(inputs: readonly FoldInput[]): Promise<FoldResult>;
  /** The current ack for a gateway (answer to a hello). */
  ackState(gatewayId: string): Promise<{ ackedSeq: number; ranges: [number, number][] }>;

  upsertGateway(g: { id: string; passwordHash: string | null }): Promise<void>;
  getGateway(id: string): Promise<GatewayRecord | undefined>;
  listGateways(): Promise<GatewayRecord[]>;
  setGatewayKey(id: string, publicKeyPem: string): Promise<void>;
  recordHello(id: string, hello: Hello, atMs: number): Promise<void>;
  recordStatus(id: string, status: GatewayStatus, atMs: number, clockOffsetMs: number | null): Promise<void>;
  addAlert(alert: JournalAlert): Promise<void>;
  listAlerts(gatewayId: string | undefined, limit: number): Promise<JournalAlert[]>;
  /** Hash of a stored entry, for checkpoint verification. */
  entryHash(gatewayId: string, seq: number): Promise<string | undefined>;
  recordCheckpoint(c: { gatewayId: string; seq: number; hash: string; wallMs: number; signature: string; verified: boolean; atMs: number }): Promise<void>;

  /**
   * The station feed (issue 4): the latest value per (kind, key) with a hub-wide version, deletes kept as null
   * tombstones so "changes since N" is always complete. `putFeed` writes in one transaction and returns the new head.
   */
  putFeed(changes: { kind: FeedKind; key: string; value: unknown }[]): Promise<number>;
  feedSince(sinceVersion: number, limit: number): Promise<{ changes: FeedRow[]; headVersion: number }>;
  /** The current value of one feed entry (null when deleted or never written). */
  feedGet(kind: FeedKind, key: string): Promise<unknown>;
  /** Tombstones older than this version were pruned: an edge behind it needs a snapshot. */
  feedFloor(): Promise<number>;

  /**
   * Customs documents, normalised (and the original text kept for audit): upserted by (kind, key); `orderNo` ties
   * an order's documents together, `subjectKey` ties a receipt to the document it answers.
   */
  putDocument(d: StoredDocument): Promise<void>;
  /** Store an original message once (a message already stored by its SHA-256 is left as it is). */
  putOriginal(o: StoredOriginal): Promise<void>;
  getOriginal(sha256: string): Promise<StoredOriginal | undefined>;
  documentsByOrder(orderNo: string): Promise<StoredDocument[]>;
  receiptsFor(subjectKeys: string[]): Promise<StoredDocument[]>;

  /** Append to the audit chain in one serialised step (the head is read and the entry sealed inside it). */
  appendAudit(input: AuditInput, atMs: number): Promise<AuditEntry>;
  /** Audit entries with seq ≥ fromSeq, in order. */
  auditRange(fromSeq: number, limit: number): Promise<AuditEntry[]>;
  /** The newest audit entry's seq and hash (what a head checkpoint signs), or undefined when the chain is empty. */
  auditHead(): Promise<{ seq: number; hash: string } | undefined>;

  listParcels(q: ParcelQuery): Promise<Page<ParcelRecord>>;
  getParcel(parcelKey: string): Promise<ParcelRecord | undefined>;
  /** A parcel's events in fold order (HLC, gateway, seq). */
  parcelEvents(parcelKey: string, limit: number): Promise<StoredEvent[]>;
  /** A gateway's stored events in seq order (tests, audits). */
  gatewayEvents(gatewayId: string, fromSeq: number, limit: number): Promise<StoredEvent[]>;
  countEvents(gatewayId?: string): Promise<number>;

  createUser(u: UserRecord): Promise<void>;
  getUser(username: string): Promise<UserRecord | undefined>;
  countUsers(): Promise<number>;
  createSession(s: SessionRecord): Promise<void>;
  getSession(tokenHash: string, nowMs: number): Promise<SessionRecord | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
}
