import { createHash, randomBytes } from 'node:crypto';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Beyond this many entries the oldest are dropped, so a flood of logins or failures cannot grow memory without bound. */
const MAX_ENTRIES = 10_000;

/**
 * Operator sessions, in memory: a restart of the edge signs everyone out, which is what a gate lane wants
 * (nothing to leak from disk). Tokens are 32 random bytes; only their hash is kept. A session ends after
 * `idleMs` without a request that used it (sliding), or at logout.
 */
export class OperatorSessions {
  private readonly byHash = new Map<string, { operatorId: string; lastSeenMs: number }>();

  constructor(private readonly idleMs: number, private readonly now: () => number) {}

  create(operatorId: string): string {
    this.prune();
    const token = randomBytes(32).toString('base64url');
    this.byHash.set(hashToken(token), { operatorId, lastSeenMs: this.now() });
    bound(this.byHash);
    return token;
  }

  /** The operator behind a token, sliding its expiry; undefined when unknown or idle too long. */
  use(token: string): string | undefined {
    const key = hashToken(token);
    const s = this.byHash.get(key);
    if (!s) return undefined;
    const now = this.now();
    if (now - s.lastSeenMs > this.idleMs) {
      this.byHash.delete(key);
      return undefined;
    }
    s.lastSeenMs = now;
    return s.operatorId;
  }

  end(token: string): void {
    this.byHash.delete(hashToken(token));
  }

  get size(): number {
    return this.byHash.size;
  }

  prune(): void {
    const now = this.now();
    for (const [k, s] of this.byHash) if (now - s.lastSeenMs > this.idleMs) this.byHash.delete(k);
  }
}

export interface LoginLimits {
  /** Attempts (failed, or still being checked) allowed per client address and per operator id within `windowMs`. */
  max: number;
  windowMs: number;
  /** Past `max` failures in a row, one operator at one address waits `windowMs`, then twice as long after each further failure, up to this. */
  maxWaitMs: number;
}

/** A reserved attempt: the caller checks the PIN, then reports how it went (exactly once). */
export type LoginSlot = { ok: true; failed(): void; succeeded(): void } | { ok: false; retryAfterMs: number };

interface Attempt { atMs: number; checking: boolean }

/** A run of failures with no success between them is forgotten after a quiet day, so old typos never add up. */
const STREAK_FORGET_MS = 24 * 3600_000;

/**
 * Sign-in attempts per client address and per operator id. An attempt is counted when it is reserved, before its PIN
 * is checked, in the same synchronous step as the check of the limit: concurrent requests cannot all slip past a
 * limit none of them has been counted against yet. A failure keeps its place for `windowMs`; a success gives back
 * only its own place (the failures before it, its own or another operator's, may be someone guessing, and stay).
 * The address limit stops one client trying many operators, the operator limit many addresses (an IPv6 host has
 * plenty) trying one operator; on top, one operator at one address past `max` failures in a row waits longer after
 * each further one. Spread over addresses, guesses at one operator still stop at `max` per window (5 per 5 min by
 * default: 1,440 a day), so a 4-digit PIN falls within a week and a 6-digit one in about a year on average: hence
 * a minimum PIN length of 6 by default, and a warning in the log at every refusal.
 */
export class LoginThrottle {
  private readonly byAddress = new Map<string, Attempt[]>();
  private readonly byOperator = new Map<string, Attempt[]>();
  private readonly streaks = new Map<string, { failures: number; lastMs: number }>();

  constructor(private readonly limits: LoginLimits, private readonly now: () => number) {}

  /** Counts an attempt now, or says how long until one may be made (ms, > 0). */
  reserve(operatorId: string, address: string): LoginSlot {
    const now = this.now();
    const pair = JSON.stringify([operatorId, address]);
    const waitMs = Math.max(this.windowWait(this.byAddress, address, now), this.windowWait(this.byOperator, operatorId, now), this.streakWait(pair, now));
    if (waitMs > 0) return { ok: false, retryAfterMs: waitMs };
    const attempt: Attempt = { atMs: now, checking: true };
    this.add(this.byAddress, address, attempt);
    this.add(this.byOperator, operatorId, attempt);
    let settled = false;
    return {
      ok: true,
      failed: () => {
        if (settled) return;
        settled = true;
        attempt.checking = false;
        attempt.atMs = this.now();
        const failures = (this.streaks.get(pair)?.failures ?? 0) + 1;
        this.streaks.delete(pair);
        this.streaks.set(pair, { failures, lastMs: attempt.atMs });
        bound(this.streaks);
      },
      succeeded: () => {
        if (settled) return;
        settled = true;
        this.remove(this.byAddress, address, attempt);
        this.remove(this.byOperator, operatorId, attempt);
        this.streaks.delete(pair);
      },
    };
  }

  /** 0 while `key` has room for another attempt, else the time until enough of its failures age out. */
  private windowWait(map: Map<string, Attempt[]>, key: string, now: number): number {
    const { max, windowMs } = this.limits;
    const live = (map.get(key) ?? []).filter((a) => a.checking || now - a.atMs < windowMs);
    if (live.length === 0) map.delete(key);
    else map.set(key, live);
    if (live.length < max) return 0;
    const failedAt = live.filter((a) => !a.checking).map((a) => a.atMs).sort((a, b) => a - b);
    const mustAgeOut = live.length - max + 1;
    // Only attempts still being checked stand in the way: they settle within a hash or two.
    if (failedAt.length < mustAgeOut) return 1000;
    return Math.max(1, failedAt[mustAgeOut - 1]! + windowMs - now);
  }

  private streakWait(pair: string, now: number): number {
    const s = this.streaks.get(pair);
    if (!s) return 0;
    if (now - s.lastMs >= STREAK_FORGET_MS) {
      this.streaks.delete(pair);
      return 0;
    }
    const { max, windowMs, maxWaitMs } = this.limits;
    if (s.failures < max) return 0;
    const waitMs = Math.min(maxWaitMs, windowMs * 2 ** Math.min(s.failures - max, 30));
    return Math.max(0, s.lastMs + waitMs - now);
  }

  private add(map: Map<string, Attempt[]>, key: string, attempt: Attempt): void {
    const list = map.get(key) ?? [];
    list.push(attempt);
    map.delete(key);
    map.set(key, list);
    bound(map);
  }

  private remove(map: Map<string, Attempt[]>, key: string, attempt: Attempt): void {
    const list = map.get(key)?.filter((a) => a !== attempt);
    if (list?.length) map.set(key, list);
    else map.delete(key);
  }
}

/** Drops the least recently touched keys past MAX_ENTRIES. */
function bound(map: Map<string, unknown>): void {
  while (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!);
}
