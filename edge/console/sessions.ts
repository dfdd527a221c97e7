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
    while (this.byHash.size > MAX_ENTRIES) this.byHash.delete(this.byHash.keys().next().value!);
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

/**
 * Failed sign-ins per client address: after `maxFailures` within `windowMs` the address is refused until the
 * oldest failure leaves the window. A 4–6 digit PIN falls to a few thousand guesses, so this is what makes it a PIN.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly maxFailures: number, private readonly windowMs: number, private readonly now: () => number) {}

  /** 0 when `key` may try now, else how long until it may. */
  retryAfterMs(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, recent[recent.length - this.maxFailures]! + this.windowMs - this.now());
  }

  fail(key: string): void {
    const recent = this.recent(key);
    recent.push(this.now());
    this.failures.delete(key);
    this.failures.set(key, recent.slice(-this.maxFailures));
    while (this.failures.size > MAX_ENTRIES) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const now = this.now();
    return (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
  }
}
