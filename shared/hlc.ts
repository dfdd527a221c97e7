/**
 * Hybrid logical clock (Kulkarni et al., 2014). It orders events causally across gateways whose wall
 * clocks disagree: `l` never goes backwards even when the wall clock does, and merging the hub's time
 * (carried on every ack) pulls a gateway with a slow clock forward.
 *
 * Encoded as a fixed-width string so that lexicographic order is HLC order (the stores index it as text).
 */
export interface HlcTimestamp { l: number; c: number }

export function encodeHlc(t: HlcTimestamp): string {
  return `${t.l.toString().padStart(15, '0')}.${t.c.toString().padStart(5, '0')}`;
}

export function decodeHlc(s: string): HlcTimestamp {
  const m = /^(\d{15})\.(\d{5})$/.exec(s);
  if (!m) throw new Error(`not an HLC timestamp: ${s}`);
  return { l: Number(m[1]), c: Number(m[2]) };
}

export const HLC_PATTERN = /^\d{15}\.\d{5}$/;

/**
 * The counter has five digits in the encoding. A clock held back (wall clock stepped back, or a hub clock
 * ahead) counts up once per event and would pass 99,999 within hours at line rates, giving six digits that
 * sort wrong and fail HLC_PATTERN; carry into l instead (l runs ahead of physical time by 1 ms per 100,000 events).
 */
const MAX_COUNTER = 99_999;
function carry(t: HlcTimestamp): HlcTimestamp {
  return t.c > MAX_COUNTER ? { l: t.l + 1, c: 0 } : t;
}

export class HybridLogicalClock {
  private last: HlcTimestamp;

  constructor(private readonly physicalNow: () => number, initial?: HlcTimestamp) {
    this.last = initial ?? { l: 0, c: 0 };
  }

  /** Timestamp for a local event. */
  now(): HlcTimestamp {
    const pt = this.physicalNow();
    this.last = pt > this.last.l ? { l: pt, c: 0 } : carry({ l: this.last.l, c: this.last.c + 1 });
    return this.last;
  }

  /** Merge a timestamp received from elsewhere (the hub's ack), so later local events sort after it. */
  receive(remote: HlcTimestamp): HlcTimestamp {
    const pt = this.physicalNow();
    const l = Math.max(this.last.l, remote.l, pt);
    let c: number;
    if (l === this.last.l && l === remote.l) c = Math.max(this.last.c, remote.c) + 1;
    else if (l === this.last.l) c = this.last.c + 1;
    else if (l === remote.l) c = remote.c + 1;
    else c = 0;
    this.last = carry({ l, c });
    return this.last;
  }

  peek(): HlcTimestamp {
    return this.last;
  }
}
