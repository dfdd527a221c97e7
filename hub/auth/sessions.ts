import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { BondgateError } from '../../shared/errors.ts';
import type { Role, SessionRecord, Storage } from '../storage/storage.ts';
import { openUsersRepo } from '../repos/users.ts';
import { verifyPassword } from './passwords.ts';

/**
 * Sessions live in the store (hashed tokens), so any hub process behind a load balancer can serve any
 * request. A token comes as the `bg_session` cookie (browser) or `Authorization: Bearer` (API clients).
 */
export const SESSION_COOKIE = 'bg_session';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Login backoff: guessing is slowed, the real user is never locked out. Failed attempts are counted under three keys
 * within a window, and each key asks for a wait after its newest attempt that doubles with every failure past a free
 * few:
 * - the user name from one address (`pair:`): 3 free, then 1 s, 2 s, 4 s … up to 15 minutes. Only that address waits:
 *   the user signs in from their own address at once, and from the guesser's after the wait;
 * - the user name from anywhere (`user:`): 10 free, then up to 5 s at most, never more — a guesser with many addresses
 *   is held to one guess per 5 s for the account, and the user waits a few seconds at worst;
 * - one address over all user names (`ip:`, password spraying): 20 free, then up to 5 s at most, so everyone behind
 *   one NAT (or one proxy not trusted: http.trustProxy) is slowed a little, never shut out.
 * Attempts are counted before the password is checked (parallel guesses cannot slip under), a refused attempt is not
 * counted (so waiting always ends), and a success takes back its own attempt and clears its user name + address.
 * The counts live in the database, so every hub process behind a load balancer sees the same ones.
 */
export const LOGIN_BACKOFF = {
  windowMs: 60 * 60_000,
  pair: { free: 3, baseMs: 1000, capMs: 15 * 60_000 },
  user: { free: 10, baseMs: 1000, capMs: 5000 },
  ip: { free: 20, baseMs: 1000, capMs: 5000 },
} as const;

export type BackoffRule = { free: number; baseMs: number; capMs: number };
export type LoginThrottle = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Pure: the wait a key asks after its newest attempt, given how many it has in the window. */
export function backoffDelayMs(attempts: number, rule: BackoffRule): number {
  if (attempts < rule.free) return 0;
  return Math.min(rule.capMs, rule.baseMs * 2 ** Math.min(attempts - rule.free, 30));
}

/**
 * Pure: may one more attempt be counted, given each key's attempts in the window (newest first)? When not, how long
 * until every key's wait has passed.
 */
export function loginThrottle(recent: readonly { timesMs: readonly number[]; rule: BackoffRule }[], nowMs: number): LoginThrottle {
  let retryAtMs = -Infinity;
  for (const { timesMs, rule } of recent) {
    if (timesMs.length === 0) continue;
    retryAtMs = Math.max(retryAtMs, timesMs[0]! + backoffDelayMs(timesMs.length, rule));
  }
  return retryAtMs <= nowMs ? { allowed: true } : { allowed: false, retryAfterMs: retryAtMs - nowMs };
}

/** RATE_LIMITED with the wait, for the route's Retry-After header. */
export class LoginRateLimited extends BondgateError {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super('RATE_LIMITED', 'too many sign-in attempts: wait and try again');
    this.retryAfterMs = retryAfterMs;
  }
}

// An unknown user is checked against this, so timing does not reveal which user names exist.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/**
 * Sign in. Needs the users module migrated (hub/repos/users.ts; startHub does it). `from.ip` is the request's source
 * address (req.ip: the client's behind a trusted proxy); without it all unknown addresses share one. A disabled user gets the same answer as a wrong password.
 */
export async function login(storage: Storage, username: string, password: string, ttlMs: number, nowMs: number, from: { ip?: string | undefined } = {}): Promise<{ token: string; session: SessionRecord }> {
  const users = openUsersRepo(storage.sql);
  const ip = from.ip ?? 'unknown';
  const pairKey = `pair:${ip} ${username}`;
  const rules = new Map<string, BackoffRule>([
    [pairKey, LOGIN_BACKOFF.pair],
    [`user:${username}`, LOGIN_BACKOFF.user],
    ...(from.ip ? [[`ip:${from.ip}`, LOGIN_BACKOFF.ip] as const] : []),
  ]);
  const attemptId = randomBytes(12).toString('base64url');
  const throttle = await users.reserveLoginAttempt({ attemptId, keys: [...rules.keys()], windowStartMs: nowMs - LOGIN_BACKOFF.windowMs, atMs: nowMs }, (recent) =>
    loginThrottle([...recent].map(([k, timesMs]) => ({ timesMs, rule: rules.get(k)! })), nowMs),
  );
  if (!throttle.allowed) throw new LoginRateLimited(throttle.retryAfterMs);

  const user = await users.get(username);
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  // The attempt stays counted: it was reserved above, before the password was checked.
  if (!user || !ok || user.disabled) throw new BondgateError('UNAUTHENTICATED', 'wrong user name or password');
  await users.loginSucceeded(attemptId, [pairKey]);
  const token = randomBytes(32).toString('base64url');
  const session: SessionRecord = { tokenHash: hashToken(token), username: user.username, role: user.role, expiresMs: nowMs + ttlMs };
  await storage.createSession(session);
  // An admin may have disabled the user or changed their role or password between the check and the insert; that
  // change ended the sessions it saw, not this one. Look again so no session outlives it.
  const now = await users.get(username);
  if (!now || now.disabled || now.role !== user.role || now.passwordHash !== user.passwordHash) {
    await storage.deleteSession(session.tokenHash);
    throw new BondgateError('UNAUTHENTICATED', 'wrong user name or password');
  }
  return { token, session };
}

export function tokenFrom(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookie = req.headers.cookie;
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== SESSION_COOKIE) continue;
    // A malformed escape (`%E0%A4%A`) is no token of ours: no session (401), not a 500.
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

declare module 'express-serve-static-core' {
  interface Request {
    session?: SessionRecord;
  }
}

/** Authenticate every request that passes; `roles` narrows who may. */
export function requireRole(storage: Storage, ...roles: Role[]) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const token = tokenFrom(req);
    if (!token) return next(new BondgateError('UNAUTHENTICATED'));
    const session = await storage.getSession(hashToken(token), Date.now());
    if (!session) return next(new BondgateError('UNAUTHENTICATED', 'session expired or unknown: sign in again'));
    if (roles.length > 0 && !roles.includes(session.role)) return next(new BondgateError('FORBIDDEN', `role ${session.role} may not do this`));
    req.session = session;
    next();
  };
}
