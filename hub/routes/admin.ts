import { Router } from 'express';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { GatewayRegistration, NewUser, UserPatch, Username, type AdminService } from '../services/admin.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * User and gateway administration, admin only. Password hashes never leave the hub; a gateway's password appears in
 * exactly one response, the one that issued it.
 */
export function adminRoutes(storage: Storage, service: AdminService): Router {
  const r = Router();
  const admin = requireRole(storage, 'admin');
  const username = (raw: unknown) => {
    const u = Username.safeParse(raw);
    if (!u.success) throw validationError(u.error, 'VALIDATION_FAILED', 'username');
    return u.data;
  };

  r.get('/api/users', admin, async (_req, res) => {
    res.json({ items: await service.listUsers() });
  });
  r.post('/api/users', admin, async (req, res) => {
    const body = NewUser.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    res.status(201).json(await service.createUser(req.session!.username, body.data));
  });
  r.patch('/api/users/:username', admin, async (req, res) => {
    const name = username(req.params.username);
    const body = UserPatch.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    res.json(await service.updateUser(req.session!.username, name, body.data));
  });
  r.post('/api/users/:username/disable', admin, async (req, res) => {
    res.json(await service.setDisabled(req.session!.username, username(req.params.username), true));
  });
  r.post('/api/users/:username/enable', admin, async (req, res) => {
    res.json(await service.setDisabled(req.session!.username, username(req.params.username), false));
  });

  // The password is in the body once: tell caches and proxies not to keep it.
  r.post('/api/gateways', admin, async (req, res) => {
    const body = GatewayRegistration.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    res.set('Cache-Control', 'no-store').status(201).json(await service.registerGateway(req.session!.username, body.data.id));
  });
  r.post('/api/gateways/:id/credentials', admin, async (req, res) => {
    const id = GatewayRegistration.shape.id.safeParse(req.params.id);
    if (!id.success) throw validationError(id.error, 'VALIDATION_FAILED', 'id');
    res.set('Cache-Control', 'no-store').json(await service.rotateGatewayCredentials(req.session!.username, id.data));
  });
  r.delete('/api/gateways/:id/credentials', admin, async (req, res) => {
    const id = GatewayRegistration.shape.id.safeParse(req.params.id);
    if (!id.success) throw validationError(id.error, 'VALIDATION_FAILED', 'id');
    res.json(await service.revokeGatewayCredentials(req.session!.username, id.data));
  });
  return r;
}
