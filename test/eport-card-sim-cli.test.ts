import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { isBondgateError } from '../shared/errors.ts';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { CardClientSigner } from '../hub/eport/card-client.ts';
import { Secret } from '../hub/eport/pin.ts';
import { TrustStore } from '../hub/eport/trust.ts';
import { verifyEnvelopedSignature } from '../hub/eport/xmldsig.ts';
import { spawnNode, type ManagedProcess } from './helpers/processes.ts';

/** `bondgate sim eport-card` as its own process: the hub's signer signs through it; `--refuse-pin` refuses. */
const CLI = resolve(import.meta.dirname, '../bin/bondgate.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bg-card-cli-'));
const procs: ManagedProcess[] = [];
afterAll(async () => {
  for (const p of procs) {
    p.kill('SIGTERM');
    await p.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function start(extra: string[]): Promise<string> {
  const p = spawnNode([CLI, 'sim', 'eport-card', '--port', '0', '--pin-env', 'SIM_PIN', ...extra], { name: 'sim-eport-card', env: { SIM_PIN: 'cli-pin-7731' } });
  procs.push(p);
  const line = await p.waitForOutput(/card client on (ws:\/\/[0-9.]+:\d+)/, 60_000);
  return /ws:\/\/[0-9.]+:\d+/.exec(line)![0];
}

const unsigned = () => fixtureXml('CEB621').replace(/\s*<ds:Signature[\s\S]*<\/ds:Signature>/, '');

it('signs for the hub with the PIN, its CA (--ca-out) verifies the signature; --refuse-pin answers Result: false', async () => {
  const caFile = join(dir, 'ca.pem');
  const url = await start(['--ca-out', caFile]);
  const signer = new CardClientSigner({ url, pin: new Secret('cli-pin-7731') });
  const xml = await signer.sign(unsigned());
  expect(verifyEnvelopedSignature(xml, { trust: new TrustStore({ anchors: [readFileSync(caFile, 'utf8')] }), nowMs: Date.now() }).status).toBe('verified');
  const wrong = new CardClientSigner({ url, pin: new Secret('wrong-pin-0000') });
  expect(await wrong.sign(unsigned()).then(() => 'signed', (e) => (isBondgateError(e) ? e.code : e))).toBe('EPORT_CARD_REFUSED');
  await signer.close();
  await wrong.close();

  const refusing = await start(['--refuse-pin']);
  const r = new CardClientSigner({ url: refusing, pin: new Secret('cli-pin-7731') });
  expect(await r.sign(unsigned()).then(() => 'signed', (e) => (isBondgateError(e) ? e.code : e))).toBe('EPORT_CARD_REFUSED');
  await r.close();
}, 120_000);
