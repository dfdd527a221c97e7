import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, expect, it, vi } from 'vitest';
import { HubConfig } from '../hub/config.ts';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { CardSimulator } from '../hub/eport/card-simulator.ts';
import { Secret } from '../hub/eport/pin.ts';
import { TrustStore } from '../hub/eport/trust.ts';
import { verifyEnvelopedSignature } from '../hub/eport/xmldsig.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Issue 18, signing, wired into the hub: `eport.signer: { kind: card }` against the simulated card client. The hub
 * reads the PIN file (made 0600), shows the signer on GET /api/eport/signer, raises the expiring-certificate and
 * away alarms on its own (nothing being signed), signs through `hub.eportSigner`, and never logs the PIN.
 */
const PIN = 'hub-pin-5820-harbour';
const dir = mkdtempSync(join(tmpdir(), 'bg-eport-hub-'));
let hub: RunningHub | undefined;
let sim: CardSimulator | undefined;
afterAll(async () => {
  await hub?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('the hub signs through the configured card client, shows its state and alarms, and never logs the PIN', async () => {
  let logged = '';
  const log = pino({ level: 'trace' }, new Writable({ write: (c, _e, cb) => ((logged += c.toString()), cb()) }));
  sim = new CardSimulator({ pin: new Secret(PIN), validDays: 10 });
  const url = await sim.start();
  const pinFile = join(dir, 'eport-pin');
  writeFileSync(pinFile, `${PIN}\n`);
  chmodSync(pinFile, 0o640);
  const adminPassword = randomBytes(18).toString('base64url');
  const config = {
    dataDir: join(dir, 'hub'),
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
    auth: { adminPassword },
    eport: { signer: { kind: 'card', url, pinFile, certExpiryWarnDays: 30, reconnectInitialMs: 100, reconnectMaxMs: 500 } },
  };
  hub = await startHub(parseConfig(HubConfig, config, 'test'), log);
  expect(statSync(pinFile).mode & 0o777).toBe(0o600);
  const login = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
  const { token } = (await login.json()) as { token: string };
  const get = async (path: string) => (await fetch(`${hub!.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Record<string, unknown>>;
  const alarmKinds = async () => ((await get('/api/alarms?state=open')).items as { kind: string; clearedMs: number | null }[]).filter((a) => a.clearedMs === null).map((a) => a.kind);

  await vi.waitFor(async () => expect(await get('/api/eport/signer')).toMatchObject({ configured: true, condition: 'ok', connected: true, certificate: { condition: 'expiring', daysLeft: 9 } }), { timeout: 20_000 });
  await vi.waitFor(async () => expect(await alarmKinds()).toContain('eport_signer_cert_expiring'), { timeout: 20_000 });

  const signed = await hub.eportSigner!.sign(fixtureXml('CEB621').replace(/\s*<ds:Signature[\s\S]*<\/ds:Signature>/, ''));
  expect(verifyEnvelopedSignature(signed, { trust: new TrustStore({ anchors: [sim.pki.caPem] }), nowMs: Date.now() }).status).toBe('verified');

  await sim.goAway();
  await vi.waitFor(async () => expect(await get('/api/eport/signer')).toMatchObject({ condition: 'away', connected: false }), { timeout: 20_000 });
  await vi.waitFor(async () => expect(await alarmKinds()).toContain('eport_signer_away'), { timeout: 20_000 });
  await sim.start();
  await vi.waitFor(async () => expect(await get('/api/eport/signer')).toMatchObject({ condition: 'ok', connected: true }), { timeout: 20_000 });

  await hub.stop();
  hub = undefined;
  expect(logged).toContain('eport-signer');
  expect(logged).not.toContain(PIN);
}, 90_000);
