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
 * Login throttling: after 5 counted attempts for a user name (from anywhere) or 20 from one address within 15 minutes,
 * further attempts are refused without checking the password, so a guesser learns nothing from them. The counts live
 * in the database, so every hub process behind a load balancer sees the same ones.
 */
export const LOGIN_LIMITS = { perUser: 5, perIp: 20, windowMs: 15 * 60_000 } as const;

export type LoginThrottle = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Pure: may one more attempt be counted, given the attempts already counted in the window (newest first)? When not,
 * how long until the oldest attempt that keeps a key at its limit leaves the window (the longest over all keys).
 */
export function loginThrottle(recent: readonly { timesMs: readonly number[]; limit: number }[], nowMs: number, windowMs: number = LOGIN_LIMITS.windowMs): LoginThrottle {
  let retryAtMs = -Infinity;
  for (const { timesMs, limit } of recent) {
    if (timesMs.length < limit) continue;
    retryAtMs = Math.max(retryAtMs, timesMs[limit - 1]! + windowMs);
  }
  return retryAtMs === -Infinity ? { allowed: true } : { allowed: false, retryAfterMs: Math.max(1000, retryAtMs - nowMs) };
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
 * address; without it only the per-user limit applies. A disabled user gets the same answer as a wrong password.
 */
export async function login(storage: Storage, username: string, password: string, ttlMs: number, nowMs: number, from: { ip?: string | undefined } = {}): Promise<{ token: string; session: SessionRecord }> {
  const users = openUsersRepo(storage.sql);
  const userKey = `user:${username}`;
  const ipKey = from.ip ? `ip:${from.ip}` : undefined;
  const limits = new Map<string, number>([[userKey, LOGIN_LIMITS.perUser], ...(ipKey ? [[ipKey, LOGIN_LIMITS.perIp] as const] : [])]);
  const attemptId = randomBytes(12).toString('base64url');
  const throttle = await users.reserveLoginAttempt({ attemptId, keys: [...limits.keys()], windowStartMs: nowMs - LOGIN_LIMITS.windowMs, atMs: nowMs }, (recent) =>
    loginThrottle([...recent].map(([k, timesMs]) => ({ timesMs, limit: limits.get(k)! })), nowMs),
  );
  if (!throttle.allowed) throw new LoginRateLimited(throttle.retryAfterMs);

  const user = await users.get(username);
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  // The attempt stays counted: it was reserved above, before the password was checked.
  if (!user || !ok || user.disabled) throw new BondgateError('UNAUTHENTICATED', 'wrong user name or password');
  await users.loginSucceeded(attemptId, [userKey]);
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
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
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
