import { mkdtempSync, rmSync } from 'node:fs';
import { request, createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../hub/app.ts';
import { HubConfig } from '../hub/config.ts';
import { createHubMetrics } from '../hub/metrics.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';

/**
 * The hub's web surface as a hostile page, a rebinding DNS name and a guesser would meet it: a state-changing request
 * from another origin (another port of the same host included) is refused; the hub answers only to known host names;
 * every answer carries the security headers and API answers are not cached; a malformed cookie is no session; event
 * streams are bounded; behind a trusted proxy the login backoff keys on the forwarded client address.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-web-security-'));
const ADMIN_PASSWORD = 'web-security-admin-lamp';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  json: { code?: string; token?: string; [k: string]: unknown };
}

/** Raw HTTP (fetch will not send an arbitrary Host, Origin or Sec-Fetch-Site). */
function call(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: text.startsWith('{') ? (JSON.parse(text) as Answer['json']) : {} }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** An event stream held open: resolves with its status once the headers arrive; close() ends it. */
function openStream(url: string, path: string, token: string): Promise<{ status: number; code?: string; close(): void }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, code: (JSON.parse(text) as { code: string }).code, close: () => undefined }));
        return;
      }
      resolve({ status: 200, close: () => req.destroy() });
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
  });
}

describe('hub web surface', () => {
  let hub: RunningHub;
  let url: string;
  let host: string;
  let admin: string;
  beforeAll(async () => {
    hub = await startHub(
      parseConfig(HubConfig, {
        dataDir: join(dir, 'hub'),
        http: { host: '127.0.0.1', port: 0, trustProxy: 1, allowedHosts: ['hub-1'], publicOrigins: ['https://bondgate.zone.example'], streams: { perSession: 2, total: 3 } },
        mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
        auth: { adminPassword: ADMIN_PASSWORD },
      }, 'test'),
      log,
    );
    url = hub.httpUrl;
    host = new URL(url).host;
    admin = (await call(url, 'POST', '/api/login', {}, { username: 'admin', password: ADMIN_PASSWORD })).json.token!;
    expect((await call(url, 'POST', '/api/users', { authorization: `Bearer ${admin}` }, { username: 'clerk-1', password: 'clerk-amber-lantern', role: 'operator', displayName: 'Clerk' })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cookie = (token: string) => ({ cookie: `bg_session=${encodeURIComponent(token)}` });
  const disabled = async () => (await hub.storage.sql.all<{ disabled: number }>('SELECT disabled FROM users WHERE username = ?', ['clerk-1']))[0]!.disabled !== 0;

  it('refuses a cookie-signed change from another origin, another port of the same host included (CSRF), and accepts the hub\'s own', async () => {
    const otherPort = `http://127.0.0.1:${(await freePort()) || 1}`;
    const asAdmin = cookie(admin);
    // What the attack run did from a page on another port: disable a user, rotate a gateway's password.
    let r = await call(url, 'POST', '/api/users/clerk-1/disable', { ...asAdmin, origin: otherPort, 'sec-fetch-site': 'same-site' });
    expect([r.status, r.json.code]).toEqual([403, 'CROSS_SITE']);
    r = await call(url, 'POST', '/api/users/clerk-1/disable', { ...asAdmin, origin: otherPort });
    expect([r.status, r.json.code]).toEqual([403, 'CROSS_SITE']);
    r = await call(url, 'POST', '/api/gateways', { ...asAdmin, 'sec-fetch-site': 'cross-site' }, { id: 'GW-CSRF' });
    expect([r.status, r.json.code]).toEqual([403, 'CROSS_SITE']);
    for (const method of ['PATCH', 'DELETE', 'PUT']) expect((await call(url, method, '/api/users/clerk-1', { ...asAdmin, origin: 'http://evil.example' }, { displayName: 'x' })).json.code).toBe('CROSS_SITE');
    // A cookie with no Origin at all is not a current browser's request: refused too (API clients use a bearer token).
    r = await call(url, 'POST', '/api/users/clerk-1/disable', asAdmin);
    expect([r.status, r.json.code]).toEqual([403, 'CROSS_SITE']);
    expect(await disabled()).toBe(false);
    expect(await hub.storage.getGateway('GW-CSRF')).toBeUndefined();

    // The hub's own page (Origin = this host and port, Sec-Fetch-Site same-origin), a configured public origin, and a
    // bearer client without either header all work. Reads are never refused.
    expect((await call(url, 'POST', '/api/users/clerk-1/disable', { ...asAdmin, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect(await disabled()).toBe(true);
    expect((await call(url, 'POST', '/api/users/clerk-1/enable', { ...asAdmin, origin: 'https://bondgate.zone.example' })).status).toBe(200);
    expect((await call(url, 'POST', '/api/users/clerk-1/disable', { authorization: `Bearer ${admin}` })).status).toBe(200);
    expect((await call(url, 'POST', '/api/users/clerk-1/enable', { authorization: `Bearer ${admin}` })).status).toBe(200);
    expect((await call(url, 'GET', '/api/users', { ...asAdmin, origin: otherPort, 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });

  it('answers only known host names (DNS rebinding), but /healthz to any', async () => {
    const me = (h: string) => call(url, 'GET', '/api/me', { host: h, authorization: `Bearer ${admin}` });
    for (const h of [host, `localhost:${new URL(url).port}`, 'hub-1:8080', 'bondgate.zone.example', '[::1]:8080', '10.0.0.5']) expect([h, (await me(h)).status]).toEqual([h, 200]);
    const refused = await me('attacker.example');
    expect([refused.status, refused.json.code]).toEqual([421, 'HOST_NOT_ALLOWED']);
    expect((await call(url, 'GET', '/', { host: 'rebind.attacker.example' })).status).toBe(421);
    expect((await call(url, 'GET', '/healthz', { host: 'hub-9.internal' })).status).not.toBe(421);
  });

  it('sends CSP, frame, sniffing and referrer headers on every answer, and no-store on sign-in and API answers', async () => {
    for (const path of ['/', '/api/me', '/healthz']) {
      const r = await call(url, 'GET', path, cookie(admin));
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
    const login = await call(url, 'POST', '/api/login', {}, { username: 'admin', password: ADMIN_PASSWORD });
    expect(login.headers['cache-control']).toBe('no-store');
    expect((await call(url, 'GET', '/api/users', { authorization: `Bearer ${admin}` })).headers['cache-control']).toBe('no-store');
  });

  it('takes a malformed session cookie for no session (401), not a 500', async () => {
    const r = await call(url, 'GET', '/api/me', { cookie: 'bg_session=%E0%A4%A' });
    expect([r.status, r.json.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await call(url, 'GET', '/metrics', { cookie: 'bg_session=%E0%A4%A' })).status).toBe(401);
  });

  it('bounds open event streams per session and in all, refusing one more with 429, and frees a slot when a stream closes', async () => {
    const other = (await call(url, 'POST', '/api/login', {}, { username: 'clerk-1', password: 'clerk-amber-lantern' })).json.token!;
    const a1 = await openStream(url, '/api/overview/stream', admin);
    const a2 = await openStream(url, '/api/overview/stream', admin);
    expect([a1.status, a2.status]).toEqual([200, 200]);
    expect(await openStream(url, '/api/overview/stream', admin)).toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });
    const b1 = await openStream(url, '/api/overview/stream', other);
    expect(b1.status).toBe(200);
    // Three open in all: another session is refused too.
    expect(await openStream(url, '/api/overview/stream', other)).toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });
    a1.close();
    // The slot comes back when the hub sees the close: wait for that, not for a time.
    let again = await openStream(url, '/api/overview/stream', other);
    for (let i = 0; again.status !== 200 && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      again = await openStream(url, '/api/overview/stream', other);
    }
    expect(again.status).toBe(200);
    for (const s of [a2, b1, again]) s.close();
  });

  it('behind a trusted proxy, backs off per forwarded client address: a guesser waits, the user at another address does not', async () => {
    const login = (xff: string, password: string) => call(url, 'POST', '/api/login', { 'x-forwarded-for': xff }, { username: 'clerk-1', password });
    for (let i = 0; i < 3; i++) expect((await login('203.0.113.9', `wrong-guess-${i}-lamp`)).status).toBe(401);
    const held = await login('203.0.113.9', 'clerk-amber-lantern');
    expect([held.status, held.json.code, held.headers['retry-after']]).toEqual([429, 'RATE_LIMITED', '1']);
    expect((await login('203.0.113.10', 'clerk-amber-lantern')).status).toBe(200);

    // The same hub's app without trust: X-Forwarded-For is anyone's to write, so it is ignored and both "addresses"
    // are the socket's one; the guesser's backoff then holds that address (for this user only, and briefly).
    const untrusted: Server = createServer(buildApp({ storage: hub.storage, metrics: createHubMetrics(), log, sessionTtlMs: 60_000, gatewayOfflineAfterMs: 30_000, health: () => ({ mqttConnected: true, hubId: 'untrusted' }) }));
    await new Promise<void>((r) => untrusted.listen(0, '127.0.0.1', r));
    try {
      const u = `http://127.0.0.1:${(untrusted.address() as { port: number }).port}`;
      const viaUntrusted = (xff: string, password: string) => call(u, 'POST', '/api/login', { 'x-forwarded-for': xff }, { username: 'admin', password });
      for (let i = 0; i < 3; i++) expect((await viaUntrusted(`198.51.100.${i}`, `wrong-guess-${i}-lamp`)).status).toBe(401);
      expect((await viaUntrusted('198.51.100.77', ADMIN_PASSWORD)).status).toBe(429);
    } finally {
      await new Promise<void>((r) => untrusted.close(() => r()));
    }
  });
});
