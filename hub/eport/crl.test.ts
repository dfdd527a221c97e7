import { describe, expect, it } from 'vitest';
import { fixtureXml } from '../customs/ceb/fixtures.ts';
import { opensslCrl, opensslCrlUnavailable } from '../../test/helpers/openssl-crl.ts';
import { crlDers, loadCrl } from './crl.ts';
import { Sm2FileSigner } from './file-signer.ts';
import { makeTestPki } from './test-pki.ts';
import { TrustStore } from './trust.ts';
import { verifyEnvelopedSignature } from './xmldsig.ts';

/**
 * Revocation (issue 15 item 7, CRLs): CRLs made by OpenSSL from the test PKI's CA, read by hub/eport/crl.ts, and what
 * the signature verdict records: revoked → invalid with the date; a stale CRL → revocation unknown (still verified);
 * none → not checked.
 */
const noOpenssl = opensslCrlUnavailable();
const NOW = Date.parse('2026-03-01T08:00:00Z');
const DAY = 86_400_000;
const pki = makeTestPki({ nowMs: NOW });
const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
const signed = signer.signNow(fixtureXml('CEB621').replace(/\s*<ds:Signature[\s\S]*<\/ds:Signature>/, ''));
const check = (trust: TrustStore, nowMs = NOW) => verifyEnvelopedSignature(signed, { trust, nowMs });
const revokedAt = NOW - 10 * DAY;

describe.skipIf(noOpenssl !== undefined)('CRLs (made by OpenSSL)', () => {
  const revoking = (o: { lastUpdateMs?: number; nextUpdateMs?: number; form?: 'PEM' | 'DER' } = {}) =>
    opensslCrl(pki, { revoked: [{ serial: 0x0abcn, atMs: NOW - 20 * DAY }, { serial: pki.signer.serial, atMs: revokedAt, reason: 'keyCompromise' }], lastUpdateMs: o.lastUpdateMs ?? NOW - DAY, nextUpdateMs: o.nextUpdateMs ?? NOW + 6 * DAY, ...(o.form ? { form: o.form } : {}) });
  const clean = (o: { lastUpdateMs?: number; nextUpdateMs?: number } = {}) => opensslCrl(pki, { revoked: [{ serial: 0x0abcn, atMs: NOW - 20 * DAY }], lastUpdateMs: o.lastUpdateMs ?? NOW - DAY, nextUpdateMs: o.nextUpdateMs ?? NOW + 6 * DAY });

  it('reads issuer, update times, serials, dates and reasons, PEM and DER alike', () => {
    for (const form of ['PEM', 'DER'] as const) {
      const [der] = crlDers(revoking({ form }));
      const crl = loadCrl(der!);
      expect(crl.thisUpdateMs, form).toBe(NOW - DAY);
      expect(crl.nextUpdateMs, form).toBe(NOW + 6 * DAY);
      expect([...crl.revoked.values()], form).toEqual([{ serial: 'ABC', revokedAtMs: NOW - 20 * DAY }, { serial: pki.signer.serial.toString(16).toUpperCase(), revokedAtMs: revokedAt, reason: 'keyCompromise' }]);
    }
  });

  it('a signer on its CA\'s CRL: invalid, SIG_CERTIFICATE_REVOKED, with the revocation date and reason', () => {
    const v = check(new TrustStore({ anchors: [pki.caPem], crls: [revoking()] }));
    expect(v).toMatchObject({ status: 'invalid', reason: 'SIG_CERTIFICATE_REVOKED', revocation: { status: 'revoked', revokedAt: new Date(revokedAt).toISOString(), reason: 'keyCompromise' } });
    expect(v.message).toContain(new Date(revokedAt).toISOString());
    // A revocation stands when the list goes stale, and for a pinned certificate too.
    expect(check(new TrustStore({ anchors: [pki.caPem], crls: [revoking()] }), NOW + 30 * DAY)).toMatchObject({ status: 'invalid', reason: 'SIG_CERTIFICATE_REVOKED' });
    expect(check(new TrustStore({ anchors: [pki.caPem], pinned: [pki.signer.certificatePem], crls: [revoking({ form: 'DER' })] }))).toMatchObject({ status: 'invalid', reason: 'SIG_CERTIFICATE_REVOKED' });
  });

  it('not on a current CRL: verified, revocation good', () => {
    expect(check(new TrustStore({ anchors: [pki.caPem], crls: [clean()] }))).toMatchObject({ status: 'verified', reason: 'SIG_OK', revocation: { status: 'good', crlNextUpdate: new Date(NOW + 6 * DAY).toISOString() } });
  });

  it('the newest CRL of an issuer is the one read: an older list without the signer does not hide a newer one with it', () => {
    const older = clean({ lastUpdateMs: NOW - 5 * DAY });
    expect(check(new TrustStore({ anchors: [pki.caPem], crls: [revoking(), older] }))).toMatchObject({ status: 'invalid' });
  });

  it('a CRL past its nextUpdate: still verified, revocation unknown (a warning, not a refusal)', () => {
    const v = check(new TrustStore({ anchors: [pki.caPem], crls: [clean({ lastUpdateMs: NOW - 10 * DAY, nextUpdateMs: NOW - 3 * DAY })] }));
    expect(v).toMatchObject({ status: 'verified', reason: 'SIG_OK', revocation: { status: 'unknown', crlNextUpdate: new Date(NOW - 3 * DAY).toISOString() } });
    expect(v.message).toContain('revocation unknown');
  });

  it('no CRL configured, or none for the issuer: the verdict says revocation was not checked', () => {
    expect(check(new TrustStore({ anchors: [pki.caPem] }))).toMatchObject({ status: 'verified', revocation: { status: 'not_checked', message: expect.stringContaining('no CRL is configured') } });
    const other = makeTestPki({ nowMs: NOW, caCn: 'Another CA' });
    const otherCrl = opensslCrl(other, { revoked: [], lastUpdateMs: NOW - DAY, nextUpdateMs: NOW + DAY });
    expect(check(new TrustStore({ anchors: [pki.caPem, other.caPem], crls: [otherCrl] }))).toMatchObject({ status: 'verified', revocation: { status: 'not_checked', message: expect.stringContaining('no CRL configured for') } });
  });

  it('a CRL no configured CA signed, or one changed after signing, fails the trust store (the hub\'s start)', () => {
    const other = makeTestPki({ nowMs: NOW });
    expect(() => new TrustStore({ anchors: [pki.caPem], crls: [opensslCrl(other, { revoked: [], lastUpdateMs: NOW - DAY, nextUpdateMs: NOW + DAY })] })).toThrow(/not signed by any configured/);
    const der = Buffer.from(crlDers(revoking({ form: 'DER' }))[0]!);
    const at = der.indexOf(Buffer.from(pki.signer.serial.toString(16).padStart(16, '0'), 'hex'));
    expect(at).toBeGreaterThan(0);
    der[at + 7]! ^= 1; // another serial on the list: the signature no longer covers it
    expect(() => new TrustStore({ anchors: [pki.caPem], crls: [new Uint8Array(der)] })).toThrow(/not signed by any configured/);
    expect(() => loadCrl(new Uint8Array(der.subarray(0, der.length - 3)))).toThrow();
  });
});
