import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { hashToken, login, requireRole, SESSION_COOKIE, tokenFrom } from '../auth/sessions.ts';
import type { Storage } from '../storage/storage.ts';

const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export function authRoutes(storage: Storage, sessionTtlMs: number): Router {
  const r = Router();
  r.post('/api/login', async (req, res) => {
    const body = LoginBody.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    const { token, session } = await login(storage, body.data.username, body.data.password, sessionTtlMs, Date.now());
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
