import { spawnSync } from 'node:child_process';
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSm2KeyPair, loadSm2PrivateKey, loadSm2PublicKey, sm2RawToDer, sm2Sign, sm2Verify, sm3 } from './sm2.ts';
import { makeTestPki } from './test-pki.ts';
import { issuedBy, loadCertificate } from './x509.ts';

/** Debian's OpenSSL 3 has SM2/SM3; the independent checks skip, saying why, where it does not. */
function opensslSm2(): string | undefined {
  const v = spawnSync('openssl', ['ecparam', '-list_curves'], { encoding: 'utf8' });
  if (v.error) return 'openssl is not installed';
  return /\bSM2\b/.test(v.stdout) ? undefined : 'this openssl has no SM2 curve';
}
const noOpenssl = opensslSm2();
if (noOpenssl) console.warn(`sm2.test.ts: OpenSSL cross-checks skipped: ${noOpenssl}`);

const openssl = (args: string[], input?: Buffer) => spawnSync('openssl', args, { input, encoding: 'buffer' });
const DISTID = ['-pkeyopt', 'distid:1234567812345678'];

describe('SM3', () => {
  it('gives the GB/T 32905 test vector for "abc"', () => {
    expect(sm3('abc').toString('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });
});

describe('SM2 sign and verify (standard ID 1234567812345678)', () => {
  const pair = generateSm2KeyPair();
  const key = loadSm2PrivateKey(pair.privateKeyPem);
  const pub = loadSm2PublicKey(pair.publicKeyPem);

  it('verifies its own signatures in both encodings, and not over other data or with another key', () => {
    const raw = sm2Sign('报文 message', key);
    const der = sm2Sign('报文 message', key, { encoding: 'der' });
    expect(raw.length).toBe(64);
    expect(sm2Verify('报文 message', raw, pub)).toBe(true);
    expect(sm2Verify('报文 message', der, pub)).toBe(true);
    expect(sm2Verify('报文 messagf', raw, pub)).toBe(false);
    expect(sm2Verify('报文 message', raw, loadSm2PrivateKey(generateSm2KeyPair().privateKeyPem).publicKey)).toBe(false);
  });

  it('is false, never a throw, for malformed signatures and out-of-range r, s', () => {
    const n = Buffer.from('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123', 'hex');
    for (const bad of [Buffer.alloc(0), Buffer.from('3006020100020100', 'hex'), Buffer.alloc(64), Buffer.concat([n, n]), Buffer.from('30ff', 'hex'), Buffer.alloc(63, 1)]) {
      expect(sm2Verify('x', bad, pub)).toBe(false);
    }
  });

  it('loads a PKCS#8 key as PEM and DER', () => {
    // Never export an SM2 KeyObject as SEC1: Node 20 aborts the process (an assertion on the key id, SM2 ≠ EC).
    const der = createPrivateKey(pair.privateKeyPem).export({ format: 'der', type: 'pkcs8' });
    expect(Buffer.from(loadSm2PrivateKey(der).d).equals(Buffer.from(key.d))).toBe(true);
  });

  it("does not accept Node's own SM2 signature, which uses an empty ID (why Node's crypto is not used for SM2)", () => {
    const nodeSig = nodeSign('sm3', Buffer.from('m'), createPrivateKey(pair.privateKeyPem));
    expect(sm2Verify('m', nodeSig, pub)).toBe(false);
  });
});

describe.skipIf(noOpenssl !== undefined)('SM2 against OpenSSL (independent implementation)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-sm2-'));
  const pair = generateSm2KeyPair();
  writeFileSync(join(dir, 'key.pem'), pair.privateKeyPem);
  writeFileSync(join(dir, 'pub.pem'), pair.publicKeyPem);
  const key = loadSm2PrivateKey(pair.privateKeyPem);
  const msg = Buffer.from('<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">签名</ds:SignedInfo>');
  writeFileSync(join(dir, 'msg'), msg);

  it('loads the SEC1 ("EC PRIVATE KEY") keys OpenSSL writes, PEM and DER', () => {
    for (const form of ['PEM', 'DER']) {
      const r = openssl(['ec', '-in', join(dir, 'key.pem'), '-outform', form]);
      expect(r.status).toBe(0);
      const input = form === 'PEM' ? r.stdout.toString() : r.stdout;
      expect(Buffer.from(loadSm2PrivateKey(input).d).equals(Buffer.from(key.d))).toBe(true);
    }
  });

  it('OpenSSL verifies a signature this module made (raw r‖s converted to DER)', () => {
    writeFileSync(join(dir, 'ours.sig'), sm2RawToDer(sm2Sign(msg, key)));
    const r = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-digest', 'sm3', ...DISTID, '-in', join(dir, 'msg'), '-sigfile', join(dir, 'ours.sig')]);
    expect(r.stdout.toString() + r.stderr.toString()).toContain('Signature Verified Successfully');
  });

  it('this module verifies a signature OpenSSL made, and OpenSSL with another ID does not pass', () => {
    const sign = (distid: string) => {
      const r = openssl(['pkeyutl', '-sign', '-inkey', join(dir, 'key.pem'), '-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${distid}`, '-in', join(dir, 'msg')]);
      expect(r.status).toBe(0);
      return r.stdout;
    };
    expect(sm2Verify(msg, sign('1234567812345678'), key.publicKey)).toBe(true);
    expect(sm2Verify(msg, sign('someone-else'), key.publicKey)).toBe(false);
  });

  it('certificates: OpenSSL verifies the chain this module builds, and this module verifies one OpenSSL made', () => {
    const pki = makeTestPki({ nowMs: Date.now() });
    writeFileSync(join(dir, 'ca.pem'), pki.caPem);
    writeFileSync(join(dir, 'signer.pem'), pki.signer.certificatePem);
    // OpenSSL 3.0 checks certificate signatures with an empty ID unless told the standard one.
    const v = openssl(['verify', '-vfyopt', 'distid:1234567812345678', '-CAfile', join(dir, 'ca.pem'), join(dir, 'signer.pem')]);
    expect(v.stdout.toString() + v.stderr.toString()).toContain('signer.pem: OK');
    expect(issuedBy(loadCertificate(pki.signer.certificatePem), loadCertificate(pki.caPem))).toBe(true);

    const r = openssl(['req', '-new', '-x509', '-key', join(dir, 'key.pem'), '-sm3', '-sigopt', 'distid:1234567812345678', '-subj', '/CN=openssl-made', '-days', '2', '-out', join(dir, 'self.pem')]);
    expect(r.status).toBe(0);
    const self = loadCertificate(readFileSync(join(dir, 'self.pem'), 'utf8'));
    expect(self.subject).toBe('CN=openssl-made');
    expect(issuedBy(self, self)).toBe(true);
    expect(issuedBy(loadCertificate(pki.signer.certificatePem), self)).toBe(false);
  });
});
