import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureXml } from '../customs/ceb/fixtures.ts';
import { Sm2FileSigner } from './file-signer.ts';
import { sm2RawToDer } from './sm2.ts';
import { makeTestPki } from './test-pki.ts';
import { TrustStore } from './trust.ts';
import { ALGORITHMS, DS_NS, EPORT_2022, prepareEnvelopedSignature, verifyEnvelopedSignature } from './xmldsig.ts';

/** A fixture without its schema-shaped placeholder signature. */
const unsigned = (type: 'CEB621' | 'CEB311', opts: Parameters<typeof fixtureXml>[1] = {}) => fixtureXml(type, opts).replace(/\s*<ds:Signature[\s\S]*<\/ds:Signature>/, '');
const NOW = Date.parse('2026-03-01T08:00:00Z');
const pki = makeTestPki({ nowMs: NOW });
const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
const trusted = new TrustStore({ anchors: [pki.caPem] });
const check = (xml: string, trust = trusted, nowMs = NOW, algorithms = ALGORITHMS) => verifyEnvelopedSignature(xml, { trust, nowMs, algorithms });
const signed = signer.signNow(unsigned('CEB621'));

describe('the enveloped ds:Signature of a CEB message', () => {
  it('verified: signed by a certificate issued by a configured CA; the signature is the last child of the root with KeyName and certificate', () => {
    expect(check(signed)).toMatchObject({ status: 'verified', reason: 'SIG_OK', signatureMethod: EPORT_2022.signatureMethod, digestMethod: EPORT_2022.digestMethod, signer: { keyName: '03000000000cde6f' } });
    expect(signed).toMatch(/<ds:X509Certificate>[A-Za-z0-9+/=]+<\/ds:X509Certificate><\/ds:X509Data><\/ds:KeyInfo><\/ds:Signature><\/ceb:CEB621Message>/);
  });

  it('verified however the namespace is bound (default namespace, other prefix), and after reformatting that C14N ignores', () => {
    for (const style of ['default', 'other'] as const) expect(check(signer.signNow(unsigned('CEB621', { style }))).status, style).toBe('verified');
    // Attribute order and quotes, an empty-element tag and the XML declaration are not part of the canonical form.
    const reformatted = signed.replace(/guid="([^"]*)" version="1.0"/, `version='1.0' guid='$1'`).replace('<?xml version="1.0" encoding="UTF-8"?>', '');
    expect(reformatted).not.toBe(signed);
    expect(check(reformatted).status).toBe('verified');
  });

  it('verified by a pinned certificate; found by KeyName when KeyInfo carries no certificate', () => {
    const pinned = new TrustStore({ pinned: [pki.signer.certificatePem] });
    expect(check(signed, pinned)).toMatchObject({ status: 'verified', message: expect.stringContaining('pinned') });
    const noCert = signed.replace(/<ds:X509Data>.*<\/ds:X509Data>/, '');
    expect(check(noCert, pinned).status).toBe('verified');
    expect(check(noCert)).toMatchObject({ status: 'unverified', reason: 'SIG_SIGNER_UNKNOWN' });
  });

  it('unverified: the signature verifies with the certificate it carries, but nobody configured trusts it', () => {
    expect(check(signed, new TrustStore())).toMatchObject({ status: 'unverified', reason: 'SIG_SIGNER_UNTRUSTED' });
    const other = makeTestPki({ nowMs: NOW });
    expect(check(signed, new TrustStore({ anchors: [other.caPem] }))).toMatchObject({ status: 'unverified', reason: 'SIG_SIGNER_UNTRUSTED' });
  });

  it('unverified: the signer certificate has expired', () => {
    expect(check(signed, trusted, NOW + 400 * 86_400_000)).toMatchObject({ status: 'unverified', reason: 'SIG_CERTIFICATE_EXPIRED' });
  });

  it('invalid: content changed after signing (one value, one added element)', () => {
    expect(check(signed.replace('<ceb:grossWeight>', '<ceb:grossWeight>1'))).toMatchObject({ status: 'invalid', reason: 'SIG_DIGEST_MISMATCH' });
    expect(check(signed.replace('</ceb:InventoryHead>', '<ceb:x>1</ceb:x></ceb:InventoryHead>'))).toMatchObject({ status: 'invalid', reason: 'SIG_DIGEST_MISMATCH' });
  });

  it('invalid: SignedInfo changed (the digest re-computed for tampered content) — the signature value no longer verifies', () => {
    const tampered = signed.replace('<ceb:grossWeight>', '<ceb:grossWeight>1');
    const redo = prepareEnvelopedSignature(tampered.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''), EPORT_2022);
    const forged = tampered.replace(/<ds:DigestValue>[^<]*<\/ds:DigestValue>/, `<ds:DigestValue>${redo.digestValue}</ds:DigestValue>`);
    expect(check(forged)).toMatchObject({ status: 'invalid', reason: 'SIG_BAD_SIGNATURE' });
  });

  it('invalid: a certificate swapped for another key', () => {
    const other = makeTestPki({ nowMs: NOW });
    const b64 = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    expect(check(signed.replace(b64(pki.signer.certificatePem), b64(other.signer.certificatePem)))).toMatchObject({ status: 'invalid', reason: 'SIG_BAD_SIGNATURE' });
  });

  it('absent: the signature removed (and an unsigned message)', () => {
    expect(check(signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''))).toMatchObject({ status: 'absent', reason: 'SIG_ABSENT' });
    expect(check(unsigned('CEB311'))).toMatchObject({ status: 'absent', reason: 'SIG_ABSENT' });
  });

  it.each([
    ['SignatureValue', /<ds:SignatureValue>[^<]*</, '<ds:SignatureValue>not*base64!<'],
    ['DigestValue', /<ds:DigestValue>[^<]*</, '<ds:DigestValue>%%%%<'],
    ['X509Certificate', /<ds:X509Certificate>/, '<ds:X509Certificate>@'],
  ])('invalid: %s is not base64', (_what, from, to) => {
    expect(check(signed.replace(from, to))).toMatchObject({ status: 'invalid', reason: 'SIG_NOT_BASE64' });
  });

  it.each([
    ['no SignedInfo', (x: string) => x.replace(/<ds:SignedInfo>[\s\S]*<\/ds:SignedInfo>/, '')],
    ['no SignatureValue', (x: string) => x.replace(/<ds:SignatureValue>[^<]*<\/ds:SignatureValue>/, '')],
    ['SignatureMethod without Algorithm', (x: string) => x.replace(/<ds:SignatureMethod Algorithm="[^"]*"/, '<ds:SignatureMethod')],
    ['no DigestValue', (x: string) => x.replace(/<ds:DigestValue>[^<]*<\/ds:DigestValue>/, '')],
    ['KeyInfo before SignatureValue', (x: string) => x.replace(/(<ds:SignatureValue>[^<]*<\/ds:SignatureValue>)(<ds:KeyInfo>.*<\/ds:KeyInfo>)/, '$2$1')],
    ['two SignedInfo', (x: string) => x.replace(/(<ds:SignedInfo>[\s\S]*<\/ds:SignedInfo>)/, '$1$1')],
    ['a foreign element inside', (x: string) => x.replace('<ds:SignatureValue>', '<ceb:note>x</ceb:note><ds:SignatureValue>')],
    ['text inside SignedInfo', (x: string) => x.replace('<ds:SignedInfo>', '<ds:SignedInfo>hello')],
    ['no enveloped-signature transform', (x: string) => x.replace(/<ds:Transforms>.*<\/ds:Transforms>/, '')],
  ])('invalid: malformed ds:Signature (%s)', (_what, edit) => {
    const bad = edit(signed);
    expect(bad).not.toBe(signed);
    expect(check(bad)).toMatchObject({ status: 'invalid', reason: 'SIG_STRUCTURE' });
  });

  it('invalid: two signatures, or one not enveloped by the root', () => {
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    expect(check(signed.replace('</ceb:CEB621Message>', `${sig}</ceb:CEB621Message>`))).toMatchObject({ status: 'invalid', reason: 'SIG_MULTIPLE' });
    expect(check(signed.replace(sig, '').replace('</ceb:InventoryHead>', `${sig}</ceb:InventoryHead>`))).toMatchObject({ status: 'invalid', reason: 'SIG_MISPLACED' });
  });

  it('unverified, not invalid: the schema-shaped placeholder of the fixtures (unknown algorithm URIs) and an ID reference', () => {
    const placeholder = fixtureXml('CEB621');
    expect(placeholder).toContain('urn:bondgate:placeholder');
    expect(check(placeholder)).toMatchObject({ status: 'unverified', reason: 'SIG_UNSUPPORTED' });
    expect(check(signed.replace('URI=""', 'URI="#order"'))).toMatchObject({ status: 'unverified', reason: 'SIG_UNSUPPORTED' });
  });

  it("a 20-byte digest under the #sm3 URI (the published 2022 samples) is invalid, unless the site maps the URI to SHA-1", () => {
    const sha1UnderSm3 = new Sm2FileSigner({
      privateKey: pki.signer.privateKeyPem,
      certificate: pki.signer.certificatePem,
      spec: { ...EPORT_2022, algorithms: { ...ALGORITHMS, digest: { ...ALGORITHMS.digest, [EPORT_2022.digestMethod]: 'sha1' } } },
    }).signNow(unsigned('CEB621'));
    expect(check(sha1UnderSm3)).toMatchObject({ status: 'invalid', reason: 'SIG_DIGEST_LENGTH', message: expect.stringContaining('SHA-1-sized') });
    const mapped = { ...ALGORITHMS, digest: { ...ALGORITHMS.digest, [EPORT_2022.digestMethod]: 'sha1' as const } };
    expect(check(sha1UnderSm3, trusted, NOW, mapped).status).toBe('verified');
  });
});

/** Independent implementations: xmllint's C14N and OpenSSL's SM2/SM3. */
function tools(): string | undefined {
  if (spawnSync('xmllint', ['--version']).error) return 'xmllint is not installed';
  const v = spawnSync('openssl', ['ecparam', '-list_curves'], { encoding: 'utf8' });
  if (v.error) return 'openssl is not installed';
  return /\bSM2\b/.test(v.stdout) ? undefined : 'this openssl has no SM2 curve';
}
const missing = tools();
if (missing) console.warn(`xmldsig.test.ts: independent checks skipped: ${missing}`);

describe.skipIf(missing !== undefined)('signatures checked by xmllint + OpenSSL, and OpenSSL signatures checked here', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-dsig-'));
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'buffer' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.toString()}`);
    return r.stdout;
  };
  const file = (name: string, data: string | Uint8Array) => {
    writeFileSync(join(dir, name), data);
    return join(dir, name);
  };
  const keyFile = file('key.pem', pki.signer.privateKeyPem);
  const certFile = file('cert.pem', pki.signer.certificatePem);
  const pubFile = file('pub.pem', run('openssl', ['x509', '-in', certFile, '-noout', '-pubkey']));

  it('our DigestValue is SM3 over xmllint --c14n of the message without its signature; OpenSSL verifies our SignatureValue over the SignedInfo xmllint canonicalizes', () => {
    const xml = signer.signNow(unsigned('CEB621', { style: 'default' }));
    const withoutSig = xml.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
    const canonical = run('xmllint', ['--c14n', file('unsigned.xml', withoutSig)]);
    const sm3 = run('openssl', ['dgst', '-sm3', '-binary', file('canonical.xml', canonical)]);
    expect(sm3.toString('base64')).toBe(/<ds:DigestValue>([^<]+)</.exec(xml)![1]);

    // SignedInfo as a document of its own, carrying the namespaces it inherits (inclusive C14N of a subset).
    const root = /<CEB621Message([^>]*)>/.exec(xml)![1]!;
    const inherited = [...root.matchAll(/\sxmlns(:\w+)?="[^"]*"/g)].map((m) => m[0]).join('');
    const signedInfo = /<ds:SignedInfo>[\s\S]*<\/ds:SignedInfo>/.exec(xml)![0].replace('<ds:SignedInfo>', `<ds:SignedInfo xmlns:ds="${DS_NS}"${inherited}>`);
    const canonicalInfo = run('xmllint', ['--c14n', file('signedinfo.xml', signedInfo)]);
    const value = Buffer.from(/<ds:SignatureValue>([^<]+)</.exec(xml)![1]!, 'base64');
    const r = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pubFile, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', file('si.c14n', canonicalInfo), '-sigfile', file('value.sig', sm2RawToDer(value))], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('Signature Verified Successfully');
  });

  it('a SignatureValue OpenSSL made over our canonical SignedInfo is verified here (DER, as OpenSSL writes it)', () => {
    const prepared = prepareEnvelopedSignature(unsigned('CEB621'), EPORT_2022);
    const sig = run('openssl', ['pkeyutl', '-sign', '-inkey', keyFile, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', file('to-sign', prepared.signedInfo)]);
    const xml = prepared.complete(sig.toString('base64'), { keyName: 'x', certificate: signer.certificate.der });
    expect(check(xml)).toMatchObject({ status: 'verified' });
    const other = run('openssl', ['pkeyutl', '-sign', '-inkey', keyFile, '-rawin', '-digest', 'sm3', '-in', join(dir, 'to-sign')]); // OpenSSL 3.0's default: an empty ID
    expect(check(prepareEnvelopedSignature(unsigned('CEB621'), EPORT_2022).complete(other.toString('base64'), { certificate: signer.certificate.der }))).toMatchObject({ status: 'invalid', reason: 'SIG_BAD_SIGNATURE' });
  });
});
