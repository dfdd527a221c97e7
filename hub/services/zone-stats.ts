import type { Logger } from 'pino';
import type { EdgeEvent, EventType } from '../../shared/schemas/events.ts';
import type { CaseRepo, QueueSummary } from '../repos/cases.ts';
import { ZONE_WIDE, type CounterDelta, type DwellDelta, type GatePassage, type ZoneBatchChange, type ZoneParcel, type ZoneStatsRepo } from '../repos/zone-stats.ts';
import type { StatsRepo } from '../repos/stats.ts';
import { customsFigures, type CustomsFigures } from './overview-figures.ts';
import type { Projection, ProjectionBacklog } from './projections.ts';
import { statsQuery } from './stats.ts';

/**
 * Live figures for the zone overview (issue 6): parcels in, released, held and out per hour, dwell from entry to exit,
 * throughput per inspection line and per gate — a read model fed by the 'zone-stats' projection — and the officers'
 * queue from the customs cases. What counts as what (each counted once per parcel, at the earliest time seen, in the
 * hour of the event's wall time at the edge — when it happened, not when it synced):
 *
 * - in: the parcel's first sight at any station: any consumed event naming it (scan, weight, X-ray, line pass, divert,
 *   release, hold, officer action, gate passage — including the goods of a release slip passing a gate inward).
 * - released: `parcel.released`, a line pass (`parcel.inspected`) or divert to the release lane, an officer's release
 *   or inspection pass.
 * - held: `parcel.held`, a line pass or divert to the inspection or exception lane, an officer's hold or inspect order.
 *   A parcel held and later released counts in both.
 * - out: `gate.passed` outward naming the parcel, or naming a release slip whose goods list it (the hub's slip from the
 *   station feed: a second-line slip carries the parcels, the passage only the slip number).
 * - dwell: out − in, for parcels seen inside before they went out, in the hour they went out, in fixed logarithmic
 *   buckets (ratio √2 from one minute): median and p90 come from the buckets (within ±19 %), never from raw rows.
 * - per line: parcels whose first line pass (`parcel.inspected`, by lineId) was on that line; a no-read names no parcel
 *   and is not counted. Per gate: passages (vehicles) through that gate station, by event id.
 *
 * Earliest-wins per parcel makes the fold order-free: redeliveries, the start-up replay and late gateways change nothing
 * twice, and an earlier event arriving late moves the parcel's count to the right hour.
 */
export const HOUR_MS = 3_600_000;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

const DWELL_UNIT_MS = 60_000;
/** Bucket 0: under a minute; bucket b ≥ 1: [1 min · √2^(b−1), 1 min · √2^b); the last is open-ended (> a year). */
export const DWELL_BUCKETS = 40;

export function dwellBucket(ms: number): number {
  if (ms < DWELL_UNIT_MS) return 0;
  return Math.min(DWELL_BUCKETS, Math.floor(2 * Math.log2(ms / DWELL_UNIT_MS)) + 1);
}

export function dwellBucketRange(bucket: number): { fromMs: number; toMs: number } {
  if (bucket <= 0) return { fromMs: 0, toMs: DWELL_UNIT_MS };
  return { fromMs: DWELL_UNIT_MS * 2 ** ((bucket - 1) / 2), toMs: DWELL_UNIT_MS * 2 ** (bucket / 2) };
}

/**
 * The q-quantile (0 < q ≤ 1) of a dwell histogram: the bucket holding that rank, interpolated geometrically inside it
 * (linearly in bucket 0). Null for an empty histogram.
 */
export function dwellQuantile(histogram: readonly { bucket: number; n: number }[], q: number): number | null {
  const sorted = histogram.filter((h) => h.n > 0).sort((a, b) => a.bucket - b.bucket);
  const total = sorted.reduce((s, h) => s + h.n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (const h of sorted) {
    if (below + h.n >= rank) {
      const frac = Math.min(1, Math.max(0, (rank - below) / h.n));
      const { fromMs, toMs } = dwellBucketRange(h.bucket);
      if (h.bucket >= DWELL_BUCKETS) return fromMs;
      return Math.round(h.bucket === 0 ? toMs * frac : fromMs * (toMs / fromMs) ** frac);
    }
    below += h.n;
  }
  return dwellBucketRange(sorted[sorted.length - 1]!.bucket).fromMs;
}

/** One thing an event says about a parcel. `seen` is implied by every stamp. */
export interface Stamp {
  parcelKey: string;
  kind: 'seen' | 'released' | 'held' | 'out' | 'line';
  atMs: number;
  /** The line, for `line`. */
  lineId?: string;
}

export interface Classified {
  stamps: Stamp[];
  passage?: GatePassage;
  /** A slip's goods to expand: their stamps are `kind` at `atMs`. */
  slip?: { slipNo: string; kind: 'seen' | 'out'; atMs: number };
}

export const ZONE_EVENT_TYPES = ['parcel.scanned', 'parcel.weighed', 'xray.verdict', 'parcel.diverted', 'parcel.released', 'parcel.held', 'officer.action', 'parcel.inspected', 'gate.passed'] as const satisfies readonly EventType[];

const laneKind = (lane: 'release' | 'inspection' | 'exception') => (lane === 'release' ? 'released' : 'held');

/** Pure: what one edge event contributes to the zone figures. */
export function classify(e: EdgeEvent): Classified {
  const atMs = e.time.wallMs;
  const key = e.parcelKey;
  const on = (kind: Stamp['kind'], extra: Partial<Stamp> = {}): Stamp[] => (key ? [{ parcelKey: key, kind, atMs, ...extra }] : []);
  switch (e.type) {
    case 'parcel.released':
      return { stamps: on('released') };
    case 'parcel.held':
      return { stamps: on('held') };
    case 'parcel.diverted':
      return { stamps: on(laneKind(e.payload.lane)) };
    case 'parcel.inspected':
      return { stamps: [...on(laneKind(e.payload.lane)), ...on('line', { lineId: e.payload.lineId })] };
    case 'officer.action': {
      const a = e.payload.action;
      return { stamps: on(a === 'release' || a === 'pass' ? 'released' : a === 'hold' || a === 'inspect' ? 'held' : 'seen') };
    }
    case 'gate.passed': {
      const kind = e.payload.direction === 'out' ? 'out' : 'seen';
      return {
        stamps: on(kind),
        passage: { eventId: e.id, stationId: e.stationId, atMs },
        ...(e.payload.slipNo ? { slip: { slipNo: e.payload.slipNo, kind, atMs } } : {}),
      };
    }
    default:
      return { stamps: on('seen') };
  }
}

const earlier = (a: number | null, b: number) => (a === null || b < a ? b : a);

/**
 * Pure: fold a batch's stamps and new gate passages into the stored parcel rows; returns the rows that changed and
 * the counter deltas that move each parcel's counts from where they were to where they are now.
 */
export function foldStamps(current: ReadonlyMap<string, ZoneParcel>, stamps: readonly Stamp[], newPassages: readonly GatePassage[]): ZoneBatchChange {
  const next = new Map<string, ZoneParcel>();
  for (const s of stamps) {
    const before = next.get(s.parcelKey) ?? current.get(s.parcelKey);
    const p: ZoneParcel = before ? { ...before } : { parcelKey: s.parcelKey, firstMs: s.atMs, releasedMs: null, heldMs: null, outMs: null, lineMs: null, lineId: null };
    p.firstMs = Math.min(p.firstMs, s.atMs);
    if (s.kind === 'released') p.releasedMs = earlier(p.releasedMs, s.atMs);
    if (s.kind === 'held') p.heldMs = earlier(p.heldMs, s.atMs);
    if (s.kind === 'out') p.outMs = earlier(p.outMs, s.atMs);
    if (s.kind === 'line' && s.lineId && (p.lineMs === null || s.atMs < p.lineMs)) {
      p.lineMs = s.atMs;
      p.lineId = s.lineId;
    }
    next.set(s.parcelKey, p);
  }
  const counters: CounterDelta[] = [];
  const dwell: DwellDelta[] = [];
  const parcels: ZoneParcel[] = [];
  const count = (p: ZoneParcel | undefined, n: number) => {
    if (!p) return;
    counters.push({ hourMs: hourOf(p.firstMs), metric: 'in', stationId: ZONE_WIDE, n });
    if (p.releasedMs !== null) counters.push({ hourMs: hourOf(p.releasedMs), metric: 'released', stationId: ZONE_WIDE, n });
    if (p.heldMs !== null) counters.push({ hourMs: hourOf(p.heldMs), metric: 'held', stationId: ZONE_WIDE, n });
    if (p.outMs !== null) {
      counters.push({ hourMs: hourOf(p.outMs), metric: 'out', stationId: ZONE_WIDE, n });
      if (p.firstMs < p.outMs) dwell.push({ hourMs: hourOf(p.outMs), bucket: dwellBucket(p.outMs - p.firstMs), n });
    }
    if (p.lineMs !== null && p.lineId !== null) counters.push({ hourMs: hourOf(p.lineMs), metric: 'line', stationId: p.lineId, n });
  };
  for (const [key, after] of next) {
    const before = current.get(key);
    if (before && before.firstMs === after.firstMs && before.releasedMs === after.releasedMs && before.heldMs === after.heldMs && before.outMs === after.outMs && before.lineMs === after.lineMs && before.lineId === after.lineId) continue;
    parcels.push(after);
    count(before, -1);
    count(after, +1);
  }
  for (const g of newPassages) counters.push({ hourMs: hourOf(g.atMs), metric: 'gate', stationId: g.stationId, n: 1 });
  return { parcels, counters, dwell };
}

export interface Flows {
  in: number;
  released: number;
  held: number;
  out: number;
}

export interface StationThroughput {
  stationId: string;
  total: number;
  /** The current (partial) hour. */
  thisHour: number;
  /** Per hour, aligned with `hourly.hourMs`. */
  hourly: number[];
}

/** What GET /api/overview and each SSE `overview` message carry (hub/ui/src/pages/overview.tsx mirrors it). */
export interface Overview {
  generatedMs: number;
  hours: number;
  fromMs: number;
  toMs: number;
  /** Columns, one entry per hour from fromMs (uPlot's data layout). */
  hourly: { hourMs: number[] } & { [K in keyof Flows]: number[] };
  totals: Flows;
  thisHour: Flows;
  dwell: { parcels: number; medianMs: number | null; p90Ms: number | null };
  lines: StationThroughput[];
  gates: StationThroughput[];
  queue: QueueSummary & { total: number };
  /** Customs cases by status over the statistics page's default days (overview-figures.ts): null without a statistics read model. */
  customs: CustomsFigures | null;
  /**
   * How far this hub's read models (the parcel rows, these figures, the queue…) trail what it has acked: the age of
   * the oldest committed batch one of them has not applied, 0 when all are current. The events themselves are stored.
   */
  readModels: { lagSeconds: number; behind: string[]; failed: string[] };
}

export interface OverviewSink {
  send(o: Overview): void;
  /** The hub is stopping: end the stream. */
  end(): void;
}

export class ZoneStatsService {
  private readonly now: () => number;
  private readonly watchers = new Map<number, Set<OverviewSink>>();
  private timer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private dirtyWhileFlushing = false;
  private lastFlushMs = 0;
  private backlog: () => readonly ProjectionBacklog[] = () => [];

  constructor(
    private readonly d: {
      repo: ZoneStatsRepo;
      cases: Pick<CaseRepo, 'queueSummary'>;
      /** The statistics rollup: the customs figures are its rows, so the overview and the statistics page agree. */
      stats?: Pick<StatsRepo, 'query'>;
      log: Logger;
      /** A release slip's goods (the station feed's copy); without it slip passages count as passages only. */
      slipGoods?: (slipNo: string) => Promise<readonly string[]>;
      now?: () => number;
      /** Push the figures to every watcher this often even when nothing was ingested (the hour rolls, the queue moves). */
      pushEveryMs?: number;
      /** After an applied batch, push at most this often: at 30 batches/s, one query per watcher group, not thirty. */
      minPushGapMs?: number;
    },
  ) {
    this.now = d.now ?? Date.now;
  }

  /** The 'zone-stats' projection (hand it to Projections). */
  get projection(): Projection {
    return { name: 'zone-stats', types: ZONE_EVENT_TYPES, apply: (gatewayId, events) => this.apply(gatewayId, events) };
  }

  private async apply(_gatewayId: string, events: readonly EdgeEvent[]): Promise<void> {
    const stamps: Stamp[] = [];
    const passages: GatePassage[] = [];
    for (const e of events) {
      const c = classify(e);
      stamps.push(...c.stamps);
      if (c.passage) passages.push(c.passage);
      if (c.slip && this.d.slipGoods) {
        const { kind, atMs } = c.slip;
        for (const parcelKey of await this.d.slipGoods(c.slip.slipNo)) stamps.push({ parcelKey, kind, atMs });
      }
    }
    if (stamps.length === 0 && passages.length === 0) return;
    const change = await this.d.repo.applyBatch(
      stamps.map((s) => s.parcelKey),
      passages,
      (current, fresh) => foldStamps(current, stamps, fresh),
    );
    if (change.counters.length > 0 || change.dwell.length > 0) this.changed();
  }

  /** The figures for the last `hours` hours (the current, partial hour included). */
  async overview(hours: number): Promise<Overview> {
    const nowMs = this.now();
    const toMs = hourOf(nowMs) + HOUR_MS;
    const fromMs = toMs - hours * HOUR_MS;
    const [rows, histogram, queue, customs] = await Promise.all([this.d.repo.hourly(fromMs, toMs), this.d.repo.dwell(fromMs, toMs), this.d.cases.queueSummary(), this.customs(nowMs)]);
    const hourMs = Array.from({ length: hours }, (_, i) => fromMs + i * HOUR_MS);
    const zeros = () => new Array<number>(hours).fill(0);
    const hourly = { hourMs, in: zeros(), released: zeros(), held: zeros(), out: zeros() };
    const stations = { line: new Map<string, number[]>(), gate: new Map<string, number[]>() };
    for (const r of rows) {
      const i = (r.hourMs - fromMs) / HOUR_MS;
      if (r.metric === 'line' || r.metric === 'gate') {
        const m = stations[r.metric];
        let series = m.get(r.stationId);
        if (!series) m.set(r.stationId, (series = zeros()));
        series[i]! += r.n;
      } else if (r.stationId === ZONE_WIDE) hourly[r.metric][i]! += r.n;
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const flows = (pick: (xs: number[]) => number): Flows => ({ in: pick(hourly.in), released: pick(hourly.released), held: pick(hourly.held), out: pick(hourly.out) });
    const throughput = (m: Map<string, number[]>): StationThroughput[] =>
      [...m.entries()].map(([stationId, series]) => ({ stationId, total: sum(series), thisHour: series[hours - 1] ?? 0, hourly: series })).sort((a, b) => b.total - a.total || (a.stationId < b.stationId ? -1 : 1));
    return {
      generatedMs: nowMs,
      hours,
      fromMs,
      toMs,
      hourly,
      totals: flows(sum),
      thisHour: flows((xs) => xs[hours - 1] ?? 0),
      dwell: { parcels: histogram.reduce((s, h) => s + h.n, 0), medianMs: dwellQuantile(histogram, 0.5), p90Ms: dwellQuantile(histogram, 0.9) },
      lines: throughput(stations.line),
      gates: throughput(stations.gate),
      queue: { ...queue, total: queue.byStatus.pending + queue.byStatus.held + queue.byStatus.inspection },
      customs,
      readModels: this.readModels(nowMs),
    };
  }

  private async customs(nowMs: number): Promise<CustomsFigures | null> {
    if (!this.d.stats) return null;
    const q = statsQuery({ groupBy: 'status', lang: 'en' }, nowMs);
    return customsFigures(await this.d.stats.query(q), q.from, q.to);
  }

  /** Where the read models' backlog comes from (the projections, made after this service: they include its own). */
  watchReadModels(fn: () => readonly ProjectionBacklog[]): void {
    this.backlog = fn;
  }

  private readModels(nowMs: number): Overview['readModels'] {
    let lagMs = 0;
    const behind: string[] = [];
    const failed: string[] = [];
    for (const b of this.backlog()) {
      if (b.failed) failed.push(b.name);
      if (b.oldestMs === undefined) continue;
      lagMs = Math.max(lagMs, nowMs - b.oldestMs);
      behind.push(b.name);
    }
    return { lagSeconds: Math.max(0, Math.round(lagMs / 100) / 10), behind: behind.sort(), failed: failed.sort() };
  }

  /**
   * Push the figures for `hours` to `sink` now, every `pushEveryMs`, and soon after each applied batch. Watchers of the
   * same window share one computation. Returns the unsubscribe.
   */
  watch(hours: number, sink: OverviewSink): () => void {
    let group = this.watchers.get(hours);
    if (!group) this.watchers.set(hours, (group = new Set()));
    group.add(sink);
    this.timer ??= setInterval(() => void this.flush(), this.d.pushEveryMs ?? 5000).unref();
    void this.overview(hours).then(
      (o) => group.has(sink) && sink.send(o),
      (e: Error) => this.d.log.warn({ err: e.message }, 'overview figures failed'),
    );
    return () => {
      group.delete(sink);
      if (group.size === 0) this.watchers.delete(hours);
      if (this.watchers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** How many streams are open (for tests and metrics). */
  get watching(): number {
    let n = 0;
    for (const g of this.watchers.values()) n += g.size;
    return n;
  }

  /** End every stream and stop the timers (the hub is stopping: open SSE responses would keep server.close waiting). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.timer = this.flushTimer = undefined;
    const sinks = [...this.watchers.values()].flatMap((g) => [...g]);
    this.watchers.clear();
    for (const s of sinks) s.end();
  }

  private changed(): void {
    if (this.watchers.size === 0) return;
    if (this.flushing) {
      this.dirtyWhileFlushing = true;
      return;
    }
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastFlushMs + (this.d.minPushGapMs ?? 1000) - this.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, wait).unref();
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    this.lastFlushMs = this.now();
    try {
      for (const [hours, group] of [...this.watchers]) {
        const o = await this.overview(hours).catch((e: Error) => void this.d.log.warn({ err: e.message }, 'overview figures failed'));
        if (o) for (const sink of [...group]) sink.send(o);
      }
    } finally {
      this.flushing = false;
      if (this.dirtyWhileFlushing) {
        this.dirtyWhileFlushing = false;
        this.changed();
      }
    }
  }
}
