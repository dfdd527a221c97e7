import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { BondgateError } from '../../shared/errors.ts';
import type { Role, SessionRecord, Storage } from '../storage/storage.ts';
import { verifyPassword } from './passwords.ts';

/**
 * Sessions live in the store (hashed tokens), so any hub process behind a load balancer can serve any
 * request. A token comes as the `bg_session` cookie (browser) or `Authorization: Bearer` (API clients).
 */
export const SESSION_COOKIE = 'bg_session';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function login(storage: Storage, username: string, password: string, ttlMs: number, nowMs: number): Promise<{ token: string; session: SessionRecord }> {
  const user = await storage.getUser(username);
  // Verify against a dummy hash for unknown users too, so timing does not reveal which user names exist.
  const ok = await verifyPassword(password, user?.passwordHash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  if (!user || !ok) throw new BondgateError('UNAUTHENTICATED', 'wrong user name or password');
  const token = randomBytes(32).toString('base64url');
  const session: SessionRecord = { tokenHash: hashToken(token), username: user.username, role: user.role, expiresMs: nowMs + ttlMs };
  await storage.createSession(session);
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
