import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { signCheckpoint } from '../shared/journal-chain.ts';
import { Ack, decodeMessage, encodeBatch, encodeMessage, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, type Checkpoint, type GatewayStatus, type Hello } from '../shared/sync-protocol.ts';
import { topics } from '../shared/topics.ts';
import type { EdgeJournal, JournalRow } from './journal.ts';
import { mqttClient } from './mqtt-link.ts';
import { DeliveryWindow, type Lane } from './sync-window.ts';

/**
 * Edge → hub sync. The journal plus the hub's cumulative ack is the delivery guarantee; MQTT QoS 1 only
 * makes each hop likely. Flow control is a sliding window of unacknowledged events that grows while acks
 * come back and halves on a loss (AIMD), so the drain adapts to what the hub commits.
 *
 * Live first: events appended after the link came up are sent as soon as they are committed, ahead of the
 * backlog, which is paged behind them from the journal. The hub stores both and acks the contiguous
 * prefix plus the ranges above it, so nothing is sent twice unless an ack is lost. A hole below those ranges
 * is resent on its own (selective retransmit); the decisions live in sync-window.ts, this class is the I/O.
 */
export interface SyncOptions {
  url: string;
  username: string;
  password: string;
  journal: EdgeJournal;
  bootId: string;
  privateKeyPem: string;
  publicKeyPem: string;
  log: Logger;
  agentVersion: string;
  /** Events per MQTT message. */
  batchMax?: number;
  /** UTF-8 bytes of events per MQTT message; capped at BATCH_BYTES_CEILING. */
  batchMaxBytes?: number;
  windowInitial?: number;
  windowMax?: number;
  /** Retransmit from the ack if the cumulative ack does not advance for this long (doubles on each timeout). */
  ackTimeoutMs?: number;
  ackTimeoutMaxMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  statusIntervalMs?: number;
  checkpointIntervalMs?: number;
  compress?: boolean;
  extraStatus?: () => Pick<GatewayStatus, 'clockSynced' | 'uptimeMs'>;
  /** Called after every (re)connect, once the down topics are subscribed: the station feed asks for its changes. */
  onConnected?: () => void;
  /** Down messages other than acks (`feed`), by the last topic level. */
  onDownMessage?: (kind: string, payload: Buffer) => void;
  /** Monotonic milliseconds for the ack timer (tests inject one); default performance.now. */
  now?: () => number;
}

/**
 * Most event bytes one batch carries, whatever batchMaxBytes says: half the largest message the hub takes
 * (MAX_MESSAGE_BYTES, which the brokers' packet limit is sized for), leaving the other half for the one row a batch
 * always takes past the budget (an event is at most ~100 KB by its schema) and the batch's head. Deflate cannot grow
 * it past that either (a few bytes per 16 KB block). A bigger batch would be dropped by the broker, and resent forever.
 */
export const BATCH_BYTES_CEILING = MAX_MESSAGE_BYTES / 2;

export interface SyncState {
  connected: boolean;
  ackedSeq: number;
  headSeq: number;
  window: number;
  inflight: number;
  lastAckAtMs: number | null;
  lastConnectAtMs: number | null;
  published: number;
  /** Ack timeouts that went back to the ack (go-back-N). */
  retransmits: number;
  /** Batches resent on their own because the hub's ack showed them missing below later ones. */
  holesResent: number;
  reconnects: number;
}

const jitter = (ms: number) => Math.round(ms * (0.5 + Math.random()));

export class SyncClient {
  private client: MqttClient | undefined;
  private readonly o: Required<Omit<SyncOptions, 'extraStatus' | 'onConnected' | 'onDownMessage'>> & Pick<SyncOptions, 'extraStatus' | 'onConnected' | 'onDownMessage'>;
  private readonly journal: EdgeJournal;

  private readonly w: DeliveryWindow;
  private ackTimer: NodeJS.Timeout | undefined;
  /** The deadline ackTimer is armed for. */
  private ackTimerAt: number | null = null;
  private pumpScheduled = false;
  private reconnectAttempt = 0;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribeAppend: (() => void) | undefined;
  private stopped = false;
  private lastCheckpointSeq = 0;

  readonly state: SyncState;

  constructor(opts: SyncOptions) {
    this.o = {
      batchMax: 1000,
      batchMaxBytes: 768 * 1024,
      windowInitial: 4000,
      windowMax: 40_000,
      ackTimeoutMs: 3000,
      ackTimeoutMaxMs: 30_000,
      reconnectMinMs: 500,
      reconnectMaxMs: 15_000,
      statusIntervalMs: 10_000,
      checkpointIntervalMs: 60_000,
      compress: true,
      now: () => performance.now(),
      ...opts,
    };
    this.o.batchMaxBytes = Math.min(this.o.batchMaxBytes, BATCH_BYTES_CEILING);
    this.journal = opts.journal;
    this.w = new DeliveryWindow(
      { batchMax: this.o.batchMax, windowInitial: this.o.windowInitial, windowMax: this.o.windowMax, ackTimeoutMs: this.o.ackTimeoutMs, ackTimeoutMaxMs: this.o.ackTimeoutMaxMs, jitter },
      this.journal.ackedSeq,
      this.journal.headSeq,
    );
    this.state = {
      connected: false,
      ackedSeq: this.journal.ackedSeq,
      headSeq: this.journal.headSeq,
      window: this.w.window,
      inflight: 0,
      lastAckAtMs: null,
      lastConnectAtMs: null,
      published: 0,
      retransmits: 0,
      holesResent: 0,
      reconnects: 0,
    };
  }

  start(): void {
    const client = mqttClient(this.o.url, {
      // The user name itself (normally the gateway id): every broker Bondgate configures binds a client id to its
      // account (shared/topics.ts clientIdBelongsTo; Mosquitto's dynamic security binds it exactly), and one edge
      // runs per gateway, so the id is unique.
      clientId: this.o.username,
      username: this.o.username,
      password: this.o.password,
      clean: true,
      keepalive: 15,
      connectTimeout: 10_000,
      reconnectPeriod: this.o.reconnectMinMs,
      // Our journal is the store: don't let MQTT.js queue publishes while offline.
      queueQoSZero: false,
      // No table of 65,536 two-byte Buffers for packet numbers (~6 MiB of heap, a tenth of a scanner gateway's).
      writeCache: false,
    });
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onDisconnect());
    client.on('error', (err) => this.o.log.warn({ err: err.message }, 'broker connection error'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.unsubscribeAppend = this.journal.onAppend(() => this.schedulePump());
    this.timers.push(setInterval(() => this.sendStatus(), this.o.statusIntervalMs));
    this.timers.push(setInterval(() => this.sendCheckpoint(), this.o.checkpointIntervalMs));
    for (const t of this.timers) t.unref();
  }

  private onConnect(): void {
    const gw = this.journal.gatewayId;
    // Small acks and live batches must not wait on Nagle's algorithm (≈40 ms stalls against delayed ACKs).
    (this.client?.stream as { setNoDelay?: (v: boolean) => void } | undefined)?.setNoDelay?.(true);
    this.state.connected = true;
    this.state.lastConnectAtMs = Date.now();
    this.reconnectAttempt = 0;
    if (this.client) this.client.options.reconnectPeriod = this.o.reconnectMinMs;
    this.o.log.info({ backlog: this.journal.backlog().count }, 'connected to broker');
    this.client?.subscribe(topics.down(gw), { qos: 1 }, (err) => {
      if (err) this.o.log.error({ err: err.message }, 'subscribe to own down topic refused');
      else this.o.onConnected?.();
    });
    // Everything unacked so far is backlog; anything appended from now on is live.
    this.resetCursors();
    this.sendHello();
    this.sendStatus();
    this.schedulePump();
  }

  private onDisconnect(): void {
    if (this.state.connected) this.o.log.warn({ backlog: this.journal.backlog().count }, 'disconnected from broker');
    this.state.connected = false;
    this.clearAckTimer();
    // Exponential backoff with jitter, so a zone's gateways don't reconnect in lockstep after an outage.
    this.reconnectAttempt += 1;
    this.state.reconnects += 1;
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectMinMs * 2 ** Math.min(this.reconnectAttempt, 10));
    if (this.client) this.client.options.reconnectPeriod = jitter(base);
  }

  private resetCursors(): void {
    this.w.reset(this.journal.ackedSeq, this.journal.headSeq);
    this.syncAckTimer();
  }

  /** Publish a small control message on one of this gateway's up topics (QoS 1). */
  publishUp(kind: 'feed' | 'image', body: unknown): void {
    if (!this.client || !this.state.connected) return;
    const gw = this.journal.gatewayId;
    // Images are already compressed: deflating them again costs time and saves nothing.
    this.client.publish(kind === 'feed' ? topics.feedRequest(gw) : topics.image(gw), encodeMessage(body, false), { qos: 1 });
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic !== topics.ack(this.journal.gatewayId)) {
      const kind = topic.slice(topic.lastIndexOf('/') + 1);
      if (topic.startsWith(topics.down(this.journal.gatewayId).slice(0, -1))) this.o.onDownMessage?.(kind, payload);
      return;
    }
    let ack: Ack;
    try {
      const parsed = Ack.safeParse(decodeMessage(payload));
      if (!parsed.success) throw new Error(parsed.error.message);
      ack = parsed.data;
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'ignoring malformed ack');
      return;
    }
    this.applyAck(ack);
  }

  private applyAck(ack: Ack): void {
    this.journal.observeRemoteHlc(ack.hubHlc);
    const r = this.w.onAck(ack, this.journal.headSeq, this.o.now());
    if (r.kind === 'ahead-of-journal') {
      this.o.log.error({ hubAcked: ack.ackedSeq, head: this.journal.headSeq }, 'hub acknowledges seqs this journal never wrote (was the journal replaced?)');
      return;
    }
    if (r.kind === 'hub-behind') {
      // The hub has less than it once acknowledged (its store was restored from a backup): resend what we still hold.
      this.o.log.warn({ hubAcked: ack.ackedSeq, localAcked: r.localAckedSeq }, 'hub is behind its earlier ack; resending from its ack');
      this.schedulePump();
      return;
    }
    this.journal.markAcked(r.ackedSeq);
    if (r.advanced || r.freed > 0) this.state.lastAckAtMs = Date.now();
    if (r.resent.length > 0) {
      this.state.holesResent = this.w.holesResent;
      this.o.log.warn({ acked: r.ackedSeq, holes: r.resent.slice(0, 5), heldAbove: ack.ranges.slice(0, 3) }, 'hub holds events above a hole; resending the hole');
    }
    this.syncAckTimer();
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Publish while the window has room: holes first, then live events, then the backlog behind them. */
  private pump(): void {
    const client = this.client;
    if (!client || !this.state.connected || this.stopped) return;
    const head = this.journal.headSeq;
    for (let plan = this.w.nextSend(head); plan; plan = this.w.nextSend(head)) this.sendFrom(plan.from, plan.to, plan.limit, plan.lane);
    this.syncAckTimer();
    this.state.window = this.w.window;
    this.state.inflight = this.w.inflight;
    this.state.ackedSeq = this.journal.ackedSeq;
    this.state.headSeq = head;
  }

  private sendFrom(from: number, to: number, limit: number, lane: Lane): void {
    const rows = this.journal.readFrom(from, limit);
    const first = rows[0];
    if (!first) {
      this.w.recordSend(lane, to, undefined, this.o.now());
      return;
    }
    // Rows from `from` are gone only when they were acked and pruned and the hub has since lost them (its store
    // was restored): send what comes next with `gapFrom`, so the hub records the hole and moves on rather than
    // wait for rows that no longer exist (test/hub-restore.test.ts). The journal keeps its newest row, so a row
    // normally exists within the lane; `end` covers the case where none does.
    const end = Math.max(to, first.seq);
    const out: JournalRow[] = [];
    let bytes = 0;
    for (const r of rows) {
      // Bytes, not string length: a non-ASCII text takes up to 3 bytes a character on the wire.
      const size = Buffer.byteLength(r.json);
      if (r.seq > end || (out.length > 0 && bytes + size > this.o.batchMaxBytes)) break;
      out.push(r);
      bytes += size;
    }
    const last = out[out.length - 1]!;
    const toSend = out.filter((r) => !this.w.isSacked(r.seq));
    if (toSend.length === 0) {
      this.w.recordSend(lane, last.seq, undefined, this.o.now());
      return;
    }
    const batch = encodeBatch(
      {
        v: PROTOCOL_VERSION,
        gatewayId: this.journal.gatewayId,
        ...(first.seq > from ? { gapFrom: from } : {}),
        backlog: this.journal.backlog(),
        sentAtMs: Date.now(),
      },
      toSend.map((r) => r.json),
      this.o.compress,
    );
    this.client!.publish(topics.events(this.journal.gatewayId), batch, { qos: 1 });
    this.w.recordSend(lane, last.seq, { from: toSend[0]!.seq, to: toSend[toSend.length - 1]!.seq, count: toSend.length }, this.o.now());
    this.state.published += toSend.length;
  }

  /** Keep the one ack timer armed for the window's deadline (none while disconnected). */
  private syncAckTimer(): void {
    const at = this.state.connected && !this.stopped ? this.w.deadlineMs : null;
    if (at === this.ackTimerAt) return;
    this.clearAckTimer();
    if (at === null) return;
    this.ackTimerAt = at;
    this.ackTimer = setTimeout(() => this.onAckTimer(), Math.max(0, Math.ceil(at - this.o.now())));
    this.ackTimer.unref();
  }

  private clearAckTimer(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.ackTimerAt = null;
  }

  /** The cumulative ack did not advance in time: the hub, the broker or the link lost something. Go back to the ack. */
  private onAckTimer(): void {
    this.ackTimer = undefined;
    this.ackTimerAt = null;
    const inflight = this.w.inflight;
    if (this.state.connected && this.w.onTimer(this.o.now())) {
      this.state.retransmits = this.w.timeouts;
      this.o.log.warn({ acked: this.journal.ackedSeq, inflight, rtoMs: this.w.rtoMs }, 'no ack in time; resending from the last ack');
      // Ask the hub where it stands too: the answer may move the ack on.
      this.sendHello();
      this.schedulePump();
    }
    this.syncAckTimer();
  }

  /** Hello: who we are, what we hold; the hub answers with its ack. */
  private sendHello(): void {
    const hello: Hello = {
      v: PROTOCOL_VERSION,
      gatewayId: this.journal.gatewayId,
      bootId: this.o.bootId,
      ackedSeq: this.journal.ackedSeq,
      headSeq: this.journal.headSeq,
      publicKeyPem: this.o.publicKeyPem,
      agentVersion: this.o.agentVersion,
      wallMs: Date.now(),
    };
    this.client?.publish(topics.hello(this.journal.gatewayId), encodeMessage(hello), { qos: 1 });
  }

  private sendStatus(): void {
    if (!this.client || !this.state.connected) return;
    const extra = this.o.extraStatus?.() ?? { clockSynced: false, uptimeMs: 0 };
    const status: GatewayStatus = {
      v: PROTOCOL_VERSION,
      gatewayId: this.journal.gatewayId,
      backlog: this.journal.backlog(),
      ackedSeq: this.journal.ackedSeq,
      headSeq: this.journal.headSeq,
      disk: this.journal.disk(),
      wallMs: Date.now(),
      ...extra,
    };
    this.client.publish(topics.status(this.journal.gatewayId), encodeMessage(status), { qos: 0 });
  }

  /** Sign the head of what the hub has acknowledged, so the hub can prove the chain it holds is ours. */
  sendCheckpoint(): void {
    const seq = this.journal.ackedSeq;
    if (!this.client || !this.state.connected || seq === 0 || seq === this.lastCheckpointSeq) return;
    const row = this.journal.readFrom(seq, 1)[0];
    if (!row || row.seq !== seq) return;
    const { hash } = JSON.parse(row.json) as { hash: string };
    const body = { gatewayId: this.journal.gatewayId, seq, hash, wallMs: Date.now() };
    const cp: Checkpoint = { v: PROTOCOL_VERSION, ...body, signature: signCheckpoint(body, this.o.privateKeyPem) };
    this.client.publish(topics.checkpoint(this.journal.gatewayId), encodeMessage(cp), { qos: 1 });
    this.lastCheckpointSeq = seq;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearAckTimer();
    for (const t of this.timers) clearInterval(t);
    this.unsubscribeAppend?.();
    // Without a broker, a plain end() waits forever for unacknowledged publishes and SIGTERM never finishes: force it
    // then. Those publishes are journal batches, resent from the journal's ack after the restart.
    await this.client?.endAsync(!this.client.connected);
  }
}
