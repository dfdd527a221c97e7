/**
 * The sync client's decisions, apart from MQTT, the journal and timers: which seqs to send next, what an ack
 * frees, when a hole is resent and when the ack timer gives up and goes back to the ack. Time is a parameter
 * (a monotonic clock in milliseconds) and the ack timer is a deadline the shell arms; no I/O happens here, so
 * a model test can run it against a simulated channel and hub (sync-window.model.test.ts).
 *
 * Lanes, in the order `nextSend` serves them:
 * - resend: holes the hub's ack shows below events it already holds (selective retransmit);
 * - live: events appended since the link came up, sent as soon as they are committed;
 * - backlog: everything unacked when the link came up, paged from the journal behind the live events.
 */
export type SeqRange = readonly [from: number, to: number];
export type Lane = 'resend' | 'live' | 'backlog';

export interface DeliveryWindowConfig {
  /** Events per message. */
  batchMax: number;
  windowInitial: number;
  windowMax: number;
  /** Go back to the ack when it has not advanced for this long (doubles on each timeout up to ackTimeoutMaxMs). */
  ackTimeoutMs: number;
  ackTimeoutMaxMs: number;
  /**
   * Acks that show a batch missing while a batch sent after it is held, before it is resent. Three as in TCP
   * (RFC 5681 §3.2): one or two can be reordering (several hubs share a gateway's batches), three rarely are.
   */
  dupAckThreshold?: number;
  /** Spreads timer deadlines so a zone's gateways don't retry in lockstep; identity when absent. */
  jitter?: (ms: number) => number;
}

/** The part of the hub's ack the window needs (shared/sync-protocol.ts Ack). */
export interface AckView {
  ackedSeq: number;
  ranges: readonly SeqRange[];
}

export interface SendPlan {
  lane: Lane;
  from: number;
  /** Last seq of the lane's run; read at most `limit` rows from `from`. */
  to: number;
  limit: number;
}

/** What the shell published for a plan: first and last seq and how many events (sacked ones are skipped). */
export interface SentBatch {
  from: number;
  to: number;
  count: number;
}

export type AckOutcome =
  /** The hub acknowledges seqs this journal never wrote: ignored. */
  | { kind: 'ahead-of-journal' }
  /** The hub holds less than it once acknowledged (restored store): the backlog is resent from its ack. */
  | { kind: 'hub-behind'; localAckedSeq: number }
  /** `ackedSeq` is what to persist; `resent` are holes put back in the send queue by this ack. */
  | { kind: 'applied'; ackedSeq: number; advanced: boolean; freed: number; resent: SeqRange[] };

interface InFlight {
  from: number;
  to: number;
  count: number;
  /** Order of sending: evidence of loss is a batch sent after this one being held by the hub. */
  sendNo: number;
  /**
   * No seq of it was sent before. Only such a batch being held is evidence: when a resent seq is acked, the
   * first copy may be the one that arrived (Karn's ambiguity), and counting it would feed a retransmit storm.
   */
  firstSend: boolean;
  sentAtMs: number;
  /** Acks seen since a later-sent batch was held, with this one still missing. */
  dupAcks: number;
}

export class DeliveryWindow {
  private readonly cfg: Required<DeliveryWindowConfig>;
  private batches: InFlight[] = [];
  private inflightCount = 0;
  private sacked: SeqRange[] = [];
  private resendQueue: [number, number][] = [];
  private backlogNext: number;
  private backlogEnd: number;
  private liveNext: number;
  private nextSendNo = 1;
  /** Highest sendNo among first-send batches the hub has acknowledged. */
  private heldSendNo = 0;
  /** Highest seq ever sent, and the highest that has been (or may have been) sent more than once. */
  private sentMax = 0;
  private resentUpTo = 0;
  /** Set by a selective retransmit, cleared when the cumulative ack advances: the window halves once per loss. */
  private recovering = false;
  private acked: number;

  window: number;
  rtoMs: number;
  /** When the ack timer fires (same clock as the `nowMs` arguments); null while nothing is in flight. */
  deadlineMs: number | null = null;
  /** Ack timeouts (go-back-N) and batches resent selectively. */
  timeouts = 0;
  holesResent = 0;

  constructor(config: DeliveryWindowConfig, ackedSeq: number, headSeq: number) {
    this.cfg = { dupAckThreshold: 3, jitter: (ms) => ms, ...config };
    this.window = config.windowInitial;
    this.rtoMs = config.ackTimeoutMs;
    this.acked = ackedSeq;
    this.backlogNext = ackedSeq + 1;
    this.backlogEnd = headSeq;
    this.liveNext = headSeq + 1;
  }

  get ackedSeq(): number {
    return this.acked;
  }
  get inflight(): number {
    return this.inflightCount;
  }

  /** The link came up: everything unacked is backlog; anything appended from now on is live. */
  reset(ackedSeq: number, headSeq: number): void {
    this.acked = Math.max(this.acked, ackedSeq);
    // Copies sent on the old connection may still reach the hub: the backlog is a resend.
    this.resentUpTo = this.sentMax;
    this.batches = [];
    this.inflightCount = 0;
    this.resendQueue = [];
    this.backlogNext = this.acked + 1;
    this.backlogEnd = headSeq;
    this.liveNext = headSeq + 1;
    this.deadlineMs = null;
  }

  isSacked(seq: number): boolean {
    return this.sacked.some(([a, z]) => seq >= a && seq <= z);
  }

  /** What to read and send next, or undefined when the window is full or nothing is waiting. */
  nextSend(headSeq: number): SendPlan | undefined {
    if (this.inflightCount >= this.window) return undefined;
    const room = (from: number, to: number) => Math.min(this.cfg.batchMax, to - from + 1, Math.max(1, this.window - this.inflightCount));
    // A hole is the oldest unacked data and holds the persisted ack back; it is at most a few batches.
    const hole = this.resendQueue[0];
    if (hole) return { lane: 'resend', from: hole[0], to: hole[1], limit: room(hole[0], hole[1]) };
    if (this.liveNext <= headSeq) return { lane: 'live', from: this.liveNext, to: headSeq, limit: room(this.liveNext, headSeq) };
    if (this.backlogNext <= this.backlogEnd) return { lane: 'backlog', from: this.backlogNext, to: this.backlogEnd, limit: room(this.backlogNext, this.backlogEnd) };
    return undefined;
  }

  /**
   * The shell read a plan's rows up to `consumedTo` and published `batch` (undefined when every row read was
   * already held by the hub, so nothing went out).
   */
  recordSend(lane: Lane, consumedTo: number, batch: SentBatch | undefined, nowMs: number): void {
    if (lane === 'live') this.liveNext = consumedTo + 1;
    else if (lane === 'backlog') this.backlogNext = consumedTo + 1;
    else {
      const hole = this.resendQueue[0];
      if (hole && consumedTo >= hole[1]) this.resendQueue.shift();
      else if (hole) hole[0] = consumedTo + 1;
    }
    if (!batch || batch.count === 0) return;
    const firstSend = lane !== 'resend' && batch.from > this.resentUpTo;
    this.sentMax = Math.max(this.sentMax, batch.to);
    this.batches.push({ ...batch, sendNo: this.nextSendNo++, firstSend, sentAtMs: nowMs, dupAcks: 0 });
    this.inflightCount += batch.count;
    this.deadlineMs ??= nowMs + this.cfg.jitter(this.rtoMs);
  }

  onAck(ack: AckView, headSeq: number, nowMs: number): AckOutcome {
    if (ack.ackedSeq > headSeq) return { kind: 'ahead-of-journal' };
    const before = this.acked;
    if (ack.ackedSeq < before) {
      this.resentUpTo = this.sentMax;
      this.backlogNext = ack.ackedSeq + 1;
      this.backlogEnd = Math.max(this.backlogEnd, this.liveNext - 1);
      return { kind: 'hub-behind', localAckedSeq: before };
    }
    this.acked = ack.ackedSeq;
    this.sacked = ack.ranges.map(([a, z]) => [a, z] as const);
    const acked = this.acked;
    const advanced = acked > before;
    const covered = (b: InFlight) => b.to <= acked || ack.ranges.some(([a, z]) => b.from >= a && b.to <= z);
    const kept: InFlight[] = [];
    let freed = 0;
    /** The newest first-send batch this ack shows held: news, unlike an ack repeated for a duplicate. */
    let newlyHeldSendNo = 0;
    for (const b of this.batches) {
      if (covered(b)) {
        freed += b.count;
        if (b.firstSend) newlyHeldSendNo = Math.max(newlyHeldSendNo, b.sendNo);
      } else kept.push(b);
    }
    this.heldSendNo = Math.max(this.heldSendNo, newlyHeldSendNo);
    // Selective retransmit: a batch still missing while one sent after it is held was lost on the way (or is
    // late behind reordering). Resend it after dupAckThreshold such acks, or at once when it is older than the
    // ack timeout. Without this, a later batch's ack would keep the timer from ever firing under live traffic.
    const resent: SeqRange[] = [];
    this.batches = [];
    for (const b of kept) {
      if (b.sendNo < this.heldSendNo) {
        if (b.sendNo < newlyHeldSendNo) b.dupAcks += 1;
        if (b.dupAcks >= this.cfg.dupAckThreshold || nowMs - b.sentAtMs >= this.cfg.ackTimeoutMs) {
          resent.push([b.from, b.to]);
          continue;
        }
      }
      this.batches.push(b);
    }
    this.inflightCount = this.batches.reduce((n, b) => n + b.count, 0);
    for (const r of resent) this.queueResend(r);
    this.resendQueue = this.trimResend(this.resendQueue);
    if (this.backlogNext <= acked) this.backlogNext = acked + 1;

    if (advanced || freed > 0) this.window = Math.min(this.cfg.windowMax, this.window + Math.max(this.cfg.batchMax, freed));
    if (resent.length > 0) {
      this.holesResent += resent.length;
      if (!this.recovering) this.window = Math.max(this.cfg.batchMax, Math.floor(this.window / 2));
      this.recovering = true;
    }
    // Only the cumulative ack is progress for the timer: ranges above a hole say the link works, not that the
    // hole is filled (issue 13 item 4: live traffic acked in ranges kept a lost batch from ever being resent).
    if (advanced) {
      this.recovering = false;
      this.rtoMs = this.cfg.ackTimeoutMs;
      this.deadlineMs = this.inflightCount > 0 ? nowMs + this.cfg.jitter(this.rtoMs) : null;
    } else if (this.inflightCount === 0 && this.resendQueue.length === 0) {
      this.deadlineMs = null;
    }
    // A resent hole keeps the running deadline, as TCP keeps its timer over a fast retransmit (RFC 6298 §5).
    return { kind: 'applied', ackedSeq: acked, advanced, freed, resent };
  }

  /**
   * The ack timer fired. Past the deadline with events in flight: halve the window, back the timeout off and
   * go back to the ack (sacked events are still skipped). Returns true when it did, so the shell asks the hub
   * where it stands (hello). Early or stale calls change nothing.
   */
  onTimer(nowMs: number): boolean {
    if (this.deadlineMs === null || nowMs < this.deadlineMs) return false;
    this.deadlineMs = null;
    if (this.inflightCount === 0) return false;
    this.timeouts += 1;
    this.resentUpTo = this.sentMax;
    this.window = Math.max(this.cfg.batchMax, Math.floor(this.window / 2));
    this.rtoMs = Math.min(this.cfg.ackTimeoutMaxMs, this.rtoMs * 2);
    this.batches = [];
    this.inflightCount = 0;
    this.resendQueue = [];
    this.backlogEnd = Math.max(this.backlogEnd, this.liveNext - 1);
    this.backlogNext = this.acked + 1;
    return true;
  }

  private queueResend([from, to]: SeqRange): void {
    this.resendQueue.push([from, to]);
    this.resendQueue.sort((x, y) => x[0] - y[0]);
  }

  /** Drop what the hub now holds from the resend queue. */
  private trimResend(queue: [number, number][]): [number, number][] {
    const out: [number, number][] = [];
    for (const [a, z] of queue) {
      let from = Math.max(a, this.acked + 1);
      for (let r = this.sacked.find(([x, y]) => from >= x && from <= y); r && from <= z; r = this.sacked.find(([x, y]) => from >= x && from <= y)) from = r[1] + 1;
      if (from <= z) out.push([from, z]);
    }
    return out;
  }
}
