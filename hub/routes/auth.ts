import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { hashToken, login, LoginRateLimited, requireRole, SESSION_COOKIE, tokenFrom } from '../auth/sessions.ts';
import type { Storage } from '../storage/storage.ts';

const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export function authRoutes(storage: Storage, sessionTtlMs: number): Router {
  const r = Router();
  r.post('/api/login', async (req, res) => {
    const body = LoginBody.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    // req.ip is the socket's address unless the integrator sets express's 'trust proxy' for a load balancer.
    const { token, session } = await login(storage, body.data.username, body.data.password, sessionTtlMs, Date.now(), { ip: req.ip }).catch((e: unknown) => {
      if (e instanceof LoginRateLimited) res.set('Retry-After', String(Math.ceil(e.retryAfterMs / 1000)));
      throw e;
    });
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', maxAge: sessionTtlMs, path: '/' });
    res.json({ token, username: session.username, role: session.role, expiresMs: session.expiresMs });
  });
  r.post('/api/logout', async (req, res) => {
    const token = tokenFrom(req);
    if (token) await storage.deleteSession(hashToken(token));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });
  r.get('/api/me', requireRole(storage), (req, res) => {
    res.json({ username: req.session!.username, role: req.session!.role });
  });
  return r;
}
