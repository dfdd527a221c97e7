import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import { buildApp } from '../app.ts';
import { hashToken } from '../auth/sessions.ts';
import { CardSimulator } from '../eport/card-simulator.ts';
import { Secret } from '../eport/pin.ts';
import { createHubMetrics } from '../metrics.ts';
import { createEportSigner, type EportSignerService } from '../services/eport-signer.ts';
import { openSqliteStorage } from '../storage/sqlite.ts';
import type { Storage } from '../storage/storage.ts';

const PIN = 'route-pin-4471';
let dir = '';
let storage: Storage;
let sim: CardSimulator;
let signer: EportSignerService;
const servers: Server[] = [];
const tokens: Record<string, string> = {};

async function serve(eportSigner: EportSignerService | null): Promise<string> {
  const app = buildApp({ storage, metrics: createHubMetrics(), log: createLogger('test', 'silent'), sessionTtlMs: 3_600_000, gatewayOfflineAfterMs: 60_000, health: () => ({ mqttConnected: true, hubId: 'hub-test' }), eportSigner });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bg-eport-route-'));
  storage = openSqliteStorage({ file: join(dir, 'hub.sqlite'), synchronous: 'NORMAL' });
  await storage.migrate();
  for (const role of ['officer', 'manager', 'admin', 'operator'] as const) {
    tokens[role] = randomBytes(24).toString('base64url');
    await storage.createSession({ tokenHash: hashToken(tokens[role]), username: `es-${role}`, role, expiresMs: Date.now() + 3_600_000 });
  }
  sim = new CardSimulator({ pin: new Secret(PIN), validDays: 20 });
  const url = await sim.start();
  signer = createEportSigner({ kind: 'card', url, pinEnv: 'PIN', requestTimeoutMs: 5000, connectTimeoutMs: 5000, reconnectInitialMs: 100, reconnectMaxMs: 1000, certExpiryWarnDays: 30 }, { log: createLogger('test', 'silent'), env: { PIN } })!;
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  await signer.close();
  await sim.stop();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (base: string, path: string, role: string, method = 'GET') => fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${tokens[role]}`, origin: base } });

it('GET /api/eport/signer: managers and admins see the signer state and certificate (never the PIN); others are refused; POST check asks the card now (admin)', async () => {
  const base = await serve(signer);
  const before = (await (await call(base, '/api/eport/signer', 'manager')).json()) as Record<string, unknown>;
  expect(before).toMatchObject({ configured: true, kind: 'card', condition: 'unknown', certificate: null });
  expect((await call(base, '/api/eport/signer/check', 'manager', 'POST')).status).toBe(403);
  const checked = await call(base, '/api/eport/signer/check', 'admin', 'POST');
  expect(checked.status).toBe(200);
  const body = (await checked.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ configured: true, condition: 'ok', connected: true, certExpiryWarnDays: 30, certificate: { serialNumber: sim.certificate.serialNumber, condition: 'expiring', daysLeft: 19 } });
  expect(JSON.stringify(body)).not.toContain(PIN);
  for (const role of ['officer', 'operator']) expect((await call(base, '/api/eport/signer', role)).status).toBe(403);
});

it('GET /api/eport/signer with no signer configured: configured false', async () => {
  const base = await serve(null);
  expect(await (await call(base, '/api/eport/signer', 'admin')).json()).toEqual({ configured: false });
});
