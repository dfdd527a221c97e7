import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isBondgateError } from '../../shared/errors.ts';
import { HubConfig } from '../config.ts';
import { fixtureXml } from '../customs/ceb/fixtures.ts';
import { openAlarmRepo, type AlarmRepo } from '../repos/alarms.ts';
import { createEportSigner, EportSignerService } from '../services/eport-signer.ts';
import { openSqliteStorage } from '../storage/sqlite.ts';
import type { Storage } from '../storage/storage.ts';
import { CardClientSigner } from './card-client.ts';
import { CARD_METHOD, decodeAnswer, encodeAnswer } from './card-protocol.ts';
import { CardSimulator } from './card-simulator.ts';
import { loadPin, Secret } from './pin.ts';
import { sm2RawToDer } from './sm2.ts';
import { makeTestPki } from './test-pki.ts';
import { TrustStore } from './trust.ts';
import { certificatePem } from './x509.ts';
import { DS_NS, verifyEnvelopedSignature } from './xmldsig.ts';

/**
 * Issue 18, signing: the hub's card-client signer against the simulated card client over a real WebSocket. Every
 * signature is verified twice: by xmldsig.ts and independently by xmllint (C14N) + OpenSSL (SM2/SM3).
 */

const PIN = 'pin-9317-lantern';
const unsigned = () => fixtureXml('CEB621').replace(/\s*<ds:Signature[\s\S]*<\/ds:Signature>/, '');
const errorCode = (e: unknown) => (isBondgateError(e) ? e.code : (e as Error).message);
const signFails = (p: Promise<unknown>) => p.then(() => 'signed', errorCode);

// Everything every logger in this file writes, at every level: checked at the end for the PIN.
let logged = '';
const sink = new Writable({
  write(chunk, _enc, cb) {
    logged += chunk.toString();
    cb();
  },
});
const log = pino({ level: 'trace' }, sink);

let dir = '';
let storage: Storage;
let alarms: AlarmRepo;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bg-card-'));
  storage = openSqliteStorage({ file: join(dir, 'hub.sqlite'), synchronous: 'NORMAL' });
  await storage.migrate();
  alarms = openAlarmRepo(storage.sql);
  await alarms.migrate();
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An alarm that is open and not marked recovered (a repeating failure that recovered stays open until acknowledged). */
const openAlarm = async (kind: string) => (await alarms.list({ limit: 100 })).items.find((a) => a.kind === kind && a.state === 'open' && a.clearedMs === null);

/** A simulated card, and the hub's signer service in front of a card-client signer pointed at it. */
async function rig(o: { validDays?: number; now?: () => number; requestTimeoutMs?: number; pin?: string } = {}) {
  const sim = new CardSimulator({ pin: new Secret(PIN), ...(o.validDays ? { validDays: o.validDays } : {}) });
  const url = await sim.start();
  const card = new CardClientSigner({
    url,
    pin: new Secret(o.pin ?? PIN),
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    backoff: { initialMs: 50, maxMs: 200 },
    onConnection: (up, detail) => service.onConnection(up, detail),
    onStray: (detail) => log.debug({ detail }, 'stray'),
  });
  const service: EportSignerService = new EportSignerService({
    port: { kind: 'card', target: url, sign: (x) => card.sign(x), certificate: () => card.certificate(), start: () => card.start(), close: () => card.close() },
    alarms,
    log,
    certExpiryWarnDays: 30,
    ...(o.now ? { now: o.now } : {}),
  });
  const trust = new TrustStore({ anchors: [sim.pki.caPem] });
  const verify = (xml: string) => verifyEnvelopedSignature(xml, { trust, nowMs: Date.now() });
  return { sim, card, service, verify, close: async () => (await service.close(), await sim.stop()) };
}

describe('CardClientSigner with the simulated e-port card client', () => {
  it('signs a CEB message: the enveloped ds:Signature verifies, KeyName is the card\'s certificate number, the certificate is the card\'s', async () => {
    const r = await rig();
    const xml = await r.service.sign(unsigned());
    expect(r.verify(xml)).toMatchObject({ status: 'verified', reason: 'SIG_OK', signer: { keyName: r.sim.certificate.serialNumber.toLowerCase() } });
    expect(xml).toContain(Buffer.from(r.sim.certificate.der).toString('base64'));
    expect(r.service.status()).toMatchObject({ kind: 'card', condition: 'ok', connected: true, signed: 1, certificate: { serialNumber: r.sim.certificate.serialNumber, condition: 'valid' } });
    await r.close();
  });

  it('correlates answers by _id: concurrent signatures each get their own, and a late answer after a timeout is not taken for the next call', async () => {
    const r = await rig({ requestTimeoutMs: 300 });
    const many = await Promise.all([1, 2, 3, 4, 5].map(() => r.service.sign(unsigned())));
    for (const xml of many) expect(r.verify(xml).status).toBe('verified');
    expect(new Set(many.map((x) => /<ds:SignatureValue>([^<]+)</.exec(x)![1])).size).toBe(5);
    r.sim.behaviour.delayMs = 1500;
    expect(await signFails(r.service.sign(unsigned()))).toBe('EPORT_CARD_TIMEOUT');
    r.sim.behaviour.delayMs = 0;
    const after = await r.service.sign(unsigned()); // the late answer to the timed-out call arrives meanwhile or after
    expect(r.verify(after).status).toBe('verified');
    await r.close();
  });

  it('PIN refused (Result: false): the caller gets EPORT_CARD_REFUSED, the state says refused, a critical alarm is raised; a good signature clears it', async () => {
    const r = await rig();
    r.sim.behaviour.refusePin = true;
    expect(await signFails(r.service.sign(unsigned()))).toBe('EPORT_CARD_REFUSED');
    expect(r.service.status()).toMatchObject({ condition: 'refused', detail: expect.stringContaining('PIN incorrect'), failed: 1 });
    expect(await openAlarm('eport_signer_refused')).toMatchObject({ gatewayId: 'hub', severity: 'critical', subject: 'eport-signer' });
    // Reaching the card again does not clear a refusal: only a signature does.
    await r.service.check();
    expect(r.service.status().condition).toBe('refused');
    r.sim.behaviour.refusePin = false;
    await r.service.sign(unsigned());
    expect(r.service.status().condition).toBe('ok');
    expect(await openAlarm('eport_signer_refused')).toBeUndefined();
    await r.close();
  });

  it('a wrong PIN configured at the hub is refused by the card the same way', async () => {
    const r = await rig({ pin: 'not-the-pin-0000' });
    expect(await signFails(r.service.sign(unsigned()))).toBe('EPORT_CARD_REFUSED');
    await r.close();
  });

  it('card client away (connection refused): EPORT_CARD_AWAY and a critical alarm; it comes back: reconnected with backoff, state ok, alarm cleared', async () => {
    const r = await rig();
    r.service.start();
    await vi.waitFor(() => expect(r.service.status()).toMatchObject({ condition: 'ok', connected: true }), { timeout: 20_000 });
    await r.sim.goAway();
    await vi.waitFor(() => expect(r.service.status()).toMatchObject({ condition: 'away', connected: false }), { timeout: 20_000 });
    expect(await signFails(r.service.sign(unsigned()))).toBe('EPORT_CARD_AWAY');
    expect(r.service.status().detail).toMatch(/cannot be reached|closed the connection/);
    await vi.waitFor(async () => expect(await openAlarm('eport_signer_away')).toMatchObject({ severity: 'critical' }), { timeout: 20_000 });
    await r.sim.start(); // same port
    await vi.waitFor(() => expect(r.service.status()).toMatchObject({ condition: 'ok', connected: true }), { timeout: 20_000 });
    await vi.waitFor(async () => expect(await openAlarm('eport_signer_away')).toBeUndefined(), { timeout: 20_000 });
    expect(r.verify(await r.service.sign(unsigned())).status).toBe('verified');
    await r.close();
  });

  it('card client slow: EPORT_CARD_TIMEOUT and a warning alarm', async () => {
    const r = await rig({ requestTimeoutMs: 200 });
    await r.service.check();
    r.sim.behaviour.delayMs = 2000;
    expect(await signFails(r.service.sign(unsigned()))).toBe('EPORT_CARD_TIMEOUT');
    expect(r.service.status()).toMatchObject({ condition: 'slow' });
    expect(await openAlarm('eport_signer_slow')).toMatchObject({ severity: 'warning' });
    await r.close();
  });

  it('certificate expiring within the warning window: a warning alarm while signing goes on; expired: EPORT_CERTIFICATE_EXPIRED and a critical alarm, nothing sent to the card', async () => {
    let now = Date.now();
    const r = await rig({ validDays: 10, now: () => now });
    const xml = await r.service.sign(unsigned());
    expect(r.verify(xml).status).toBe('verified');
    expect(r.service.status().certificate).toMatchObject({ condition: 'expiring', daysLeft: 9 });
    expect(await openAlarm('eport_signer_cert_expiring')).toMatchObject({ severity: 'warning', detail: expect.stringContaining('renew') });
    now += 12 * 86_400_000;
    const signsBefore = r.sim.calls.get(CARD_METHOD.sign) ?? 0;
    expect(await signFails(r.service.sign(unsigned()))).toBe('EPORT_CERTIFICATE_EXPIRED');
    expect(r.sim.calls.get(CARD_METHOD.sign) ?? 0).toBe(signsBefore);
    expect(await openAlarm('eport_signer_cert_expired')).toMatchObject({ severity: 'critical' });
    expect(await openAlarm('eport_signer_cert_expiring')).toBeUndefined();
    await r.close();
  });

  it('a card whose signature does not verify with its certificate (wrong card) is an error, not a message', async () => {
    const r = await rig();
    const other = new CardSimulator();
    // The card client gives the certificate of another card than the one that signs.
    (r.sim as unknown as { certificate: unknown }).certificate = other.certificate;
    expect(await signFails(r.service.sign(unsigned()))).toBe('EPORT_CARD_FAILED');
    expect(await openAlarm('eport_signer_failed')).toBeDefined();
    await r.close();
  });
});

describe('the file signer behind the same service (a soft certificate)', () => {
  it('key file made 0600; signs and verifies; an expiring certificate warns; an expired one refuses to sign', async () => {
    const pki = makeTestPki({ nowMs: Date.now(), validDays: 5 });
    const keyFile = join(dir, 'soft.key');
    const certFile = join(dir, 'soft.crt');
    writeFileSync(keyFile, pki.signer.privateKeyPem);
    writeFileSync(certFile, pki.signer.certificatePem);
    chmodSync(keyFile, 0o644);
    let now = Date.now();
    const svc = createEportSigner({ kind: 'file', keyFile, certFile, certExpiryWarnDays: 30 }, { log, now: () => now })!;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const xml = await svc.sign(unsigned());
    expect(verifyEnvelopedSignature(xml, { trust: new TrustStore({ anchors: [pki.caPem] }), nowMs: now }).status).toBe('verified');
    expect(svc.status()).toMatchObject({ kind: 'file', condition: 'ok', connected: null, certificate: { condition: 'expiring' } });
    now += 6 * 86_400_000;
    expect(await signFails(svc.sign(unsigned()))).toBe('EPORT_CERTIFICATE_EXPIRED');
    await svc.close();
  });
});

describe('the PIN is a secret', () => {
  it('Secret prints as [redacted] in every form a logger or console uses', () => {
    const s = new Secret(PIN);
    const holder = { pin: s, nested: { s } };
    for (const text of [String(s), JSON.stringify(holder), inspect(holder, { depth: 5 }), `${s}`]) expect(text).not.toContain(PIN);
    log.info({ holder }, 'an object carrying the PIN by mistake');
    expect(s.reveal()).toBe(PIN);
  });

  it('from a file: made 0600 when this process owns it; read without its trailing newline; from an env var; errors name the source, never the value', () => {
    const f = join(dir, 'pin');
    writeFileSync(f, `${PIN}\n`);
    chmodSync(f, 0o644);
    expect(loadPin({ pinFile: f }).reveal()).toBe(PIN);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(loadPin({ pinEnv: 'CARD_PIN' }, { CARD_PIN: PIN }).reveal()).toBe(PIN);
    expect(() => loadPin({ pinEnv: 'CARD_PIN' }, {})).toThrow(/CARD_PIN is not set/);
    expect(() => loadPin({ pinFile: join(dir, 'absent') })).toThrow(/cannot be read/);
  });

  it('config: eport.signer takes pinFile or pinEnv (exactly one), never the PIN; createEportSigner reads it', async () => {
    const card = (extra: object) => HubConfig.safeParse({ eport: { signer: { kind: 'card', url: 'ws://127.0.0.1:61232', ...extra } } });
    expect(card({ pinEnv: 'EPORT_CARD_PIN' }).success).toBe(true);
    expect(card({}).success).toBe(false);
    expect(card({ pinEnv: 'A', pinFile: '/x' }).success).toBe(false);
    const parsed = card({ pinEnv: 'EPORT_CARD_PIN' });
    expect(parsed.data?.eport.signer).toMatchObject({ certExpiryWarnDays: 30, requestTimeoutMs: 10_000 });
    const svc = createEportSigner(parsed.data!.eport.signer, { log, env: { EPORT_CARD_PIN: PIN } });
    expect(svc?.status()).toMatchObject({ kind: 'card', condition: 'unknown' });
    await svc?.close();
    expect(() => createEportSigner(parsed.data!.eport.signer, { log, env: {} })).toThrow(/EPORT_CARD_PIN is not set/);
  });

  it('the card client\'s error text is scrubbed of the PIN before it reaches an error, the state or a log', async () => {
    const r = await rig();
    // A card client that echoes what it was sent in its error (seen in the wild with diagnostics switched on).
    const answer = (r.sim as unknown as { answer: (m: string, id: string | number, a: Record<string, unknown>) => string }).answer.bind(r.sim);
    (r.sim as unknown as { answer: typeof answer }).answer = (m, id, a) => (m === CARD_METHOD.sign ? encodeAnswer({ id, method: m, result: false, errors: [`bad passwd ${String(a.passwd)}`] }) : answer(m, id, a));
    const e = await r.service.sign(unsigned()).catch((x: Error) => x);
    expect((e as Error).message).toContain('[redacted]');
    expect((e as Error).message).not.toContain(PIN);
    expect(JSON.stringify(r.service.status())).not.toContain(PIN);
    await r.close();
  });

  it('no log line this file produced contains the PIN (checked last)', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged).toContain('e-port signer'); // failures were logged…
    expect(logged).not.toContain(PIN); // …without the PIN
  });
});

describe('card protocol frames', () => {
  it('reads answers with numeric or string _id, the greeting, and garbage without throwing', () => {
    expect(decodeAnswer('{"_id":"7","_method":"m","_status":"00","_args":{"Result":true,"Data":["a","b"],"Error":[]}}')).toMatchObject({ kind: 'answer', id: '7', result: true, data: ['a', 'b'] });
    expect(decodeAnswer('{"_id":3,"_method":"m","_args":{"Result":false,"Data":[],"Error":["x",{"c":1}]}}')).toMatchObject({ kind: 'answer', id: '3', result: false, errors: ['x', '{"c":1}'] });
    expect(decodeAnswer('{"_method":"open","_status":"00"}')).toEqual({ kind: 'greeting' });
    expect(decodeAnswer('BLOCKTXT0000').kind).toBe('garbage');
    expect(decodeAnswer('{"_method":"m"}').kind).toBe('garbage');
  });
});

/** Independent check: xmllint's C14N and OpenSSL's SM2/SM3 (as xmldsig.test.ts does). */
function tools(): string | undefined {
  if (spawnSync('xmllint', ['--version']).error) return 'xmllint is not installed';
  const v = spawnSync('openssl', ['ecparam', '-list_curves'], { encoding: 'utf8' });
  if (v.error) return 'openssl is not installed';
  return /\bSM2\b/.test(v.stdout) ? undefined : 'this openssl has no SM2 curve';
}
const missing = tools();
if (missing) console.warn(`card-client.test.ts: independent OpenSSL check skipped: ${missing}`);

describe.skipIf(missing !== undefined)('a signature the card made, checked by xmllint + OpenSSL', () => {
  it('DigestValue is SM3 over xmllint --c14n of the message without its signature; OpenSSL verifies SignatureValue over the canonical SignedInfo with the card certificate\'s key', async () => {
    const r = await rig();
    const xml = await r.service.sign(unsigned());
    await r.close();
    const file = (name: string, data: string | Uint8Array) => (writeFileSync(join(dir, name), data), join(dir, name));
    const run = (cmd: string, args: string[]) => {
      const p = spawnSync(cmd, args, { encoding: 'buffer' });
      if (p.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${p.stderr.toString()}`);
      return p.stdout;
    };
    const certFile = file('card-cert.pem', certificatePem(r.sim.certificate.der));
    const pubFile = file('card-pub.pem', run('openssl', ['x509', '-in', certFile, '-noout', '-pubkey']));
    const withoutSig = xml.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
    const canonical = run('xmllint', ['--c14n', file('card-unsigned.xml', withoutSig)]);
    expect(run('openssl', ['dgst', '-sm3', '-binary', file('card-canonical.xml', canonical)]).toString('base64')).toBe(/<ds:DigestValue>([^<]+)</.exec(xml)![1]);
    const root = /<ceb:CEB621Message([^>]*)>/.exec(xml)![1]!;
    const inherited = [...root.matchAll(/\sxmlns(:\w+)?="[^"]*"/g)].map((m) => m[0]).join('');
    const signedInfo = /<ds:SignedInfo>[\s\S]*<\/ds:SignedInfo>/.exec(xml)![0].replace('<ds:SignedInfo>', `<ds:SignedInfo xmlns:ds="${DS_NS}"${inherited}>`);
    const canonicalInfo = run('xmllint', ['--c14n', file('card-si.xml', signedInfo)]);
    const value = Buffer.from(/<ds:SignatureValue>([^<]+)</.exec(xml)![1]!, 'base64');
    const v = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pubFile, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', file('card-si.c14n', canonicalInfo), '-sigfile', file('card-value.sig', sm2RawToDer(value))], { encoding: 'utf8' });
    expect(v.stdout + v.stderr).toContain('Signature Verified Successfully');
  });
});
