import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { HubConfig } from '../hub/config.ts';
import { Sm2FileSigner } from '../hub/eport/file-signer.ts';
import { generateSm2KeyPair, loadSm2PrivateKey } from '../hub/eport/sm2.ts';
import { makeTestPki } from '../hub/eport/test-pki.ts';
import { buildSm2Certificate, certificatePem } from '../hub/eport/x509.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { opensslCrl, opensslCrlUnavailable } from './helpers/openssl-crl.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Message signatures through a running hub (issue 15 item 7): a CEB message signed by a certificate under the
 * configured e-port CA is `verified`, the same message tampered is `invalid` and a risk reason, an unsigned one
 * `absent`; officers see the verdict with each document of the case, and the metrics count them. The check runs in
 * the CEB worker pool.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-signatures-'));
const pki = makeTestPki({ nowMs: Date.now() });
const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
// A second signer under the same CA, revoked on the CA's CRL (signatures.crls) when OpenSSL can make one.
const crlSkip = opensslCrlUnavailable();
const revokedKey = generateSm2KeyPair();
const caKey = loadSm2PrivateKey(pki.caPrivateKeyPem);
const revokedCert = certificatePem(buildSm2Certificate({ subjectCn: 'Revoked Enterprise', publicKey: loadSm2PrivateKey(revokedKey.privateKeyPem).publicKey, issuer: { cn: 'Bondgate Test E-Port CA', key: caKey }, serial: 0x0777n, notBeforeMs: Date.now() - 86_400_000, notAfterMs: Date.now() + 30 * 86_400_000 }));
const revokedSigner = new Sm2FileSigner({ privateKey: revokedKey.privateKeyPem, certificate: revokedCert });
const unsigned = (type: 'CEB621' | 'CEB311') => fixtureXml(type).replace(/\s*<ds:Signature[\s\S]*<\/ds:Signature>/, '');
const METRICS_TOKEN = 'signature-metrics-token-0123456789';
let hub: RunningHub;
let officer: string;

beforeAll(async () => {
  writeFileSync(join(dir, 'eport-ca.pem'), pki.caPem);
  if (!crlSkip) writeFileSync(join(dir, 'eport-ca.crl'), opensslCrl(pki, { revoked: [{ serial: 0x0777n, atMs: Date.now() - 3_600_000, reason: 'keyCompromise' }], lastUpdateMs: Date.now() - 3_600_000, nextUpdateMs: Date.now() + 7 * 86_400_000, form: 'DER' }));
  hub = await startHub(
    parseConfig(HubConfig, {
      dataDir: join(dir, 'hub'),
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
      auth: { adminPassword: 'harbour-lantern-7391', metricsToken: METRICS_TOKEN },
      signatures: { trustAnchors: [join(dir, 'eport-ca.pem')], ...(crlSkip ? {} : { crls: [join(dir, 'eport-ca.crl')] }) },
    }, 'test'),
    log,
  );
  await hub.storage.createUser({ username: 'officer-sig', passwordHash: await hashPassword('quiet-harbour-lantern-58'), role: 'officer', displayName: 'Officer', createdMs: Date.now() });
  const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer-sig', password: 'quiet-harbour-lantern-58' }) });
  officer = ((await res.json()) as { token: string }).token;
}, 30_000);
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Upload {
  signature?: { status: string; reason: string };
  outcomes: { parcelKey: string | null; risk: { reasons: { rule: string }[] } }[];
}
const postXml = async (body: string): Promise<Upload> => {
  const res = await fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: `Bearer ${officer}` }, body });
  expect(res.status).toBe(200);
  return (await res.json()) as Upload;
};
const caseDocs = async (parcelKey: string) => {
  const res = await fetch(`${hub.httpUrl}/api/cases/${encodeURIComponent(parcelKey)}`, { headers: { authorization: `Bearer ${officer}` } });
  return ((await res.json()) as { documents: { kind: string; signature: { status: string; reason: string } | null }[] }).documents;
};

describe('message signatures at the hub', () => {
  it('a message signed under the configured CA is verified, and officers see it with the document', async () => {
    const up = await postXml(signer.signNow(unsigned('CEB621')));
    expect(up.signature).toMatchObject({ status: 'verified', reason: 'SIG_OK' });
    expect(up.outcomes[0]!.risk.reasons.map((r) => r.rule)).not.toContain('signature.invalid');
    const docs = await caseDocs(up.outcomes[0]!.parcelKey!);
    expect(docs.find((d) => d.kind === 'inventory')?.signature).toMatchObject({ status: 'verified' });
  });

  it('the same message tampered after signing is invalid, stored with that verdict and a risk reason', async () => {
    const tampered = signer.signNow(unsigned('CEB621')).replace('<ceb:grossWeight>', '<ceb:grossWeight>1');
    const up = await postXml(tampered);
    expect(up.signature).toMatchObject({ status: 'invalid', reason: 'SIG_DIGEST_MISMATCH' });
    expect(up.outcomes[0]!.risk.reasons.map((r) => r.rule)).toContain('signature.invalid');
    const docs = await caseDocs(up.outcomes[0]!.parcelKey!);
    expect(docs.find((d) => d.kind === 'inventory')?.signature).toMatchObject({ status: 'invalid', reason: 'SIG_DIGEST_MISMATCH' });
  });

  it.skipIf(crlSkip !== undefined)('a signer on the configured CRL (signatures.crls) is invalid, revoked, with the date, and a risk reason; one not on it is verified, revocation good', async () => {
    const up = (await postXml(revokedSigner.signNow(unsigned('CEB621').replaceAll('NSHT2024072800123', 'NSHT-REVOKED-1')))) as Upload & { signature: { revocation?: { status: string; revokedAt?: string } } };
    expect(up.signature).toMatchObject({ status: 'invalid', reason: 'SIG_CERTIFICATE_REVOKED', revocation: { status: 'revoked', revokedAt: expect.any(String) } });
    expect(up.outcomes[0]!.risk.reasons.map((r) => r.rule)).toContain('signature.invalid');
    expect(await postXml(signer.signNow(unsigned('CEB311')))).toMatchObject({ signature: { status: 'verified', revocation: { status: 'good' } } });
  });

  it('an unsigned message is absent (no risk reason), and the metrics count each verdict', async () => {
    const up = await postXml(unsigned('CEB311'));
    expect(up.signature).toMatchObject({ status: 'absent' });
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    for (const status of ['verified', 'invalid', 'absent']) expect(metrics).toMatch(new RegExp(`bondgate_hub_message_signatures_total\\{status="${status}"\\} [1-9]`));
  });
});
