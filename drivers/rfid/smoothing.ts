import { z } from 'zod';

/**
 * Read smoothing for a gate-lane RFID portal, after EPCglobal ALE event cycles: raw sightings are folded into
 * fixed cycles, a tag is reported once it has been seen in N of the last M cycles, and reported gone after K
 * whole cycles without a sighting. Readers report a tag many times a second and miss it now and then; the
 * lane wants one `tag.entered` and one `tag.left` per pass.
 *
 * Pure: no clock, timers or I/O. Time comes only from `atMs` and `tick(nowMs)`. Cycles are aligned to
 * multiples of `cycleMs` (cycle c covers [c·cycleMs, (c+1)·cycleMs)), so two smoothers fed the same input agree.
 */

const AntennaConfig = z.union([
  z.number().int().nonnegative().transform((antennaId) => ({ antennaId, readerId: undefined })),
  z.object({
    /** Omitted: this antenna port on any reader of the lane. */
    readerId: z.string().min(1).optional(),
    antennaId: z.number().int().nonnegative(),
  }),
]);

export const SmoothingConfig = z
  .object({
    cycleMs: z.number().int().positive().default(500),
    /** ALE "stable set": seen in at least `sightings` of the last `withinCycles` cycles. 2 of 3 drops single stray reads. */
    enterAfter: z
      .object({ sightings: z.number().int().positive(), withinCycles: z.number().int().positive() })
      .default({ sightings: 2, withinCycles: 3 }),
    /** Whole cycles without a sighting before a present tag is reported gone; 4 × 500 ms rides out a truck's shadow. */
    leaveAfter: z.object({ missedCycles: z.number().int().positive() }).default({ missedCycles: 4 }),
    /** Antennas from the outside of the gate to the inside; direction needs at least two. */
    antennas: z.array(AntennaConfig).default([]),
  })
  .refine((c) => c.enterAfter.sightings <= c.enterAfter.withinCycles, {
    path: ['enterAfter', 'sightings'],
    message: 'cannot exceed enterAfter.withinCycles',
  });
export type SmoothingConfig = z.infer<typeof SmoothingConfig>;
export type SmoothingConfigInput = z.input<typeof SmoothingConfig>;

export interface AntennaRef {
  readerId: string;
  antennaId: number;
}

export interface Sighting extends AntennaRef {
  epc: string;
  /** Accepted for the record; ALE smoothing counts cycles, not signal strength. */
  rssi?: number;
  atMs: number;
}

export type Direction = 'in' | 'out' | 'unknown';

export type SmoothingEvent =
  | {
      kind: 'tag.entered';
      epc: string;
      /** End of the cycle that confirmed the tag: when the smoother could know. */
      atMs: number;
      /** The first raw sighting of the run that confirmed it. */
      firstSeenMs: number;
      firstAntenna: AntennaRef;
    }
  | {
      kind: 'tag.left';
      epc: string;
      /** End of the K-th cycle without a sighting. */
      atMs: number;
      lastSeenMs: number;
      direction: Direction;
      /** Each antenna once, in the order the tag was first seen on it. */
      antennasInOrder: AntennaRef[];
    };

/**
 * `late`: the sighting's cycle was already closed by `tick`, so it is ignored (see `sighting`).
 * `invalid`: no EPC or a time that is not a finite number; ignored, it could never fall in a cycle.
 */
export type SightingOutcome = 'recorded' | 'late' | 'invalid';

interface AntennaFirstSeen {
  antenna: AntennaRef;
  firstSeenMs: number;
}

/** One tag's sightings within one cycle, antennas de-duplicated across readers. */
interface CycleSightings {
  cycle: number;
  firstSeenMs: number;
  lastSeenMs: number;
  antennas: AntennaFirstSeen[];
}

type TrackedTag =
  /** Seen, not yet in N of M cycles; `recent` holds only the cycles still inside the window. */
  | { phase: 'pending'; recent: CycleSightings[] }
  | { phase: 'present'; firstSeenMs: number; lastSeenMs: number; lastSeenCycle: number; antennas: AntennaFirstSeen[] };

const antennaKey = (a: AntennaRef) => `${a.readerId}\u0000${a.antennaId}`;

export class TagSmoother {
  private readonly config: SmoothingConfig;
  /** Cycles below this index are closed; undefined until the first sighting or tick. */
  private nextCycle: number | undefined;
  /** Open cycles (including future ones) → epc → sightings. */
  private readonly open = new Map<number, Map<string, CycleSightings>>();
  private readonly tags = new Map<string, TrackedTag>();

  constructor(config: SmoothingConfigInput = {}) {
    this.config = SmoothingConfig.parse(config);
  }

  /**
   * Records one raw sighting. Sightings of one tag in one cycle count once, whichever readers and antennas saw
   * it. A sighting whose cycle `tick` has already closed is ignored and reported `late`: counting it into a
   * later cycle would invent presence (and could re-enter a tag that has left). A shell whose reader batches
   * reports should tick at `now − report interval` so that no read arrives late.
   */
  sighting(s: Sighting): SightingOutcome {
    if (s.epc === '' || !Number.isFinite(s.atMs)) return 'invalid';
    const cycle = Math.floor(s.atMs / this.config.cycleMs);
    if (this.nextCycle !== undefined && cycle < this.nextCycle) return 'late';
    // EPCs arrive in either case from different readers; one tag must be one key.
    const epc = s.epc.toUpperCase();
    let byEpc = this.open.get(cycle);
    if (byEpc === undefined) this.open.set(cycle, (byEpc = new Map()));
    let seen = byEpc.get(epc);
    if (seen === undefined) byEpc.set(epc, (seen = { cycle, firstSeenMs: s.atMs, lastSeenMs: s.atMs, antennas: [] }));
    seen.firstSeenMs = Math.min(seen.firstSeenMs, s.atMs);
    seen.lastSeenMs = Math.max(seen.lastSeenMs, s.atMs);
    const antenna: AntennaRef = { readerId: s.readerId, antennaId: s.antennaId };
    const known = seen.antennas.find((a) => antennaKey(a.antenna) === antennaKey(antenna));
    if (known === undefined) seen.antennas.push({ antenna, firstSeenMs: s.atMs });
    else known.firstSeenMs = Math.min(known.firstSeenMs, s.atMs);
    return 'recorded';
  }

  /** Closes every cycle that ends at or before `nowMs` and returns the events they decide, in cycle order. */
  tick(nowMs: number): SmoothingEvent[] {
    const end = Math.floor(nowMs / this.config.cycleMs); // cycles < end are complete
    if (this.nextCycle === undefined) {
      const buffered = [...this.open.keys()];
      this.nextCycle = Math.min(end, ...buffered);
    }
    const events: SmoothingEvent[] = [];
    while (this.nextCycle < end) {
      if (this.tags.size === 0) {
        // Nothing tracked: skip empty cycles instead of walking an idle night one cycle at a time.
        const next = Math.min(end, ...[...this.open.keys()].filter((c) => c >= this.nextCycle!));
        this.nextCycle = next;
        if (next >= end) break;
      }
      events.push(...this.closeCycle(this.nextCycle));
      this.nextCycle += 1;
    }
    return events;
  }

  /** EPCs currently reported present, for a lane screen or a health check. */
  present(): string[] {
    return [...this.tags].filter(([, t]) => t.phase === 'present').map(([epc]) => epc).sort();
  }

  private closeCycle(cycle: number): SmoothingEvent[] {
    const { cycleMs, enterAfter, leaveAfter } = this.config;
    const closedAtMs = (cycle + 1) * cycleMs;
    const seenNow = this.open.get(cycle) ?? new Map<string, CycleSightings>();
    this.open.delete(cycle);
    for (const [epc, seen] of seenNow) {
      const tag = this.tags.get(epc);
      if (tag === undefined) this.tags.set(epc, { phase: 'pending', recent: [seen] });
      else if (tag.phase === 'pending') tag.recent.push(seen);
      else {
        tag.lastSeenMs = Math.max(tag.lastSeenMs, seen.lastSeenMs);
        tag.lastSeenCycle = cycle;
        mergeAntennas(tag.antennas, seen.antennas);
      }
    }

    const events: SmoothingEvent[] = [];
    // Sorted so that a cycle's events do not depend on the order readers reported in.
    for (const epc of [...this.tags.keys()].sort()) {
      const tag = this.tags.get(epc)!;
      if (tag.phase === 'pending') {
        tag.recent = tag.recent.filter((s) => s.cycle > cycle - enterAfter.withinCycles);
        if (tag.recent.length === 0) {
          this.tags.delete(epc); // a stray read that never reached N of M
        } else if (tag.recent.length >= enterAfter.sightings) {
          const antennas: AntennaFirstSeen[] = [];
          for (const s of tag.recent) mergeAntennas(antennas, s.antennas);
          const present: TrackedTag = {
            phase: 'present',
            firstSeenMs: tag.recent[0]!.firstSeenMs,
            lastSeenMs: tag.recent[tag.recent.length - 1]!.lastSeenMs,
            lastSeenCycle: cycle,
            antennas,
          };
          this.tags.set(epc, present);
          events.push({ kind: 'tag.entered', epc, atMs: closedAtMs, firstSeenMs: present.firstSeenMs, firstAntenna: antennas[0]!.antenna });
        }
      } else if (cycle - tag.lastSeenCycle >= leaveAfter.missedCycles) {
        this.tags.delete(epc);
        events.push({
          kind: 'tag.left', epc, atMs: closedAtMs, lastSeenMs: tag.lastSeenMs,
          direction: this.direction(tag.antennas), antennasInOrder: tag.antennas.map((a) => a.antenna),
        });
      }
    }
    return events;
  }

  /**
   * 'in' when the tag was first seen on the outermost antenna it reached before the innermost one, 'out' for
   * the reverse; 'unknown' when it reached only one configured position or both at the same instant.
   */
  private direction(antennas: AntennaFirstSeen[]): Direction {
    let outer: { position: number; firstSeenMs: number } | undefined;
    let inner: { position: number; firstSeenMs: number } | undefined;
    for (const a of antennas) {
      const position = this.config.antennas.findIndex(
        (c) => c.antennaId === a.antenna.antennaId && (c.readerId === undefined || c.readerId === a.antenna.readerId),
      );
      if (position < 0) continue;
      if (outer === undefined || position < outer.position || (position === outer.position && a.firstSeenMs < outer.firstSeenMs)) {
        outer = { position, firstSeenMs: a.firstSeenMs };
      }
      if (inner === undefined || position > inner.position || (position === inner.position && a.firstSeenMs < inner.firstSeenMs)) {
        inner = { position, firstSeenMs: a.firstSeenMs };
      }
    }
    if (outer === undefined || inner === undefined || outer.position === inner.position) return 'unknown';
    if (outer.firstSeenMs < inner.firstSeenMs) return 'in';
    if (outer.firstSeenMs > inner.firstSeenMs) return 'out';
    return 'unknown';
  }
}

/** Adds a cycle's antennas to a tag's list, keeping first-seen order (by time within the cycle). */
function mergeAntennas(into: AntennaFirstSeen[], cycleAntennas: AntennaFirstSeen[]): void {
  const byTime = [...cycleAntennas].sort((a, b) => a.firstSeenMs - b.firstSeenMs);
  for (const a of byTime) {
    const known = into.find((k) => antennaKey(k.antenna) === antennaKey(a.antenna));
    if (known === undefined) into.push({ ...a });
    else known.firstSeenMs = Math.min(known.firstSeenMs, a.firstSeenMs);
  }
}
