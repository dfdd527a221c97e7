import { createPublicKey, verify as nodeVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { bitString, bytesOf, childrenOf, contentOf, DerError, explicit, expectTag, integer, oid, oidToString, readTlv, seq, set, TAG, time, tlv, utf8String } from './der.ts';
import { sm2PublicKeyFromSpki, sm2Sign, sm2Verify, SM2_CURVE_OID, type Sm2PrivateKey, type Sm2PublicKey } from './sm2.ts';

/**
 * X.509 certificates as the e-port uses them: SM2 certificates signed SM2-with-SM3 (2022 edition cards) and RSA ones
 * (older cards). Node's X509Certificate reads names, serial and validity; the signed part and the SM2 point come from
 * der.ts, since Node cannot verify an SM2 certificate's signature with the standard distinguishing ID (see sm2.ts).
 */

export const OID = {
  sm2WithSm3: '1.2.156.10197.1.501',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
} as const;

export type CertificatePublicKey = Sm2PublicKey | { kind: 'rsa'; key: KeyObject };

export interface Certificate {
  der: Uint8Array;
  subject: string;
  issuer: string;
  /** Upper-case hex, as Node gives it (the e-port's KeyName is this number, in hex). */
  serialNumber: string;
  validFromMs: number;
  validToMs: number;
  /** SHA-256 of the DER, colon-separated hex (Node's form): what a pinned certificate is matched by. */
  fingerprint256: string;
  publicKey: CertificatePublicKey;
  /** The signed part and how it was signed, for checking it against an issuer. */
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  /** DER of the issuer and subject Names, compared byte for byte when building a chain. */
  issuerName: Uint8Array;
  subjectName: Uint8Array;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Every certificate in a PEM text (one or more blocks), or the one in DER bytes. */
export function certificateDers(input: string | Uint8Array): Uint8Array[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return [...text.matchAll(PEM_CERT)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (typeof input === 'string') return [Buffer.from(input.replace(/\s+/g, ''), 'base64')]; // bare base64, as in ds:X509Certificate
  return [input];
}

/** Parse one certificate (DER, PEM, or bare base64). Throws DerError (or Node's error) on anything malformed. */
export function loadCertificate(input: string | Uint8Array): Certificate {
  const ders = certificateDers(input);
  if (ders.length !== 1) throw new DerError(`expected one certificate, found ${ders.length}`);
  const der = Uint8Array.from(ders[0]!);
  const top = expectTag(readTlv(der), TAG.SEQUENCE, 'Certificate');
  if (top.end !== der.length) throw new DerError('trailing bytes after the certificate');
  const [tbsTlv, algTlv, sigTlv] = childrenOf(der, top);
  const tbs = expectTag(tbsTlv, TAG.SEQUENCE, 'tbsCertificate');
  const alg = childrenOf(der, expectTag(algTlv, TAG.SEQUENCE, 'signatureAlgorithm'))[0];
  const sigBits = contentOf(der, expectTag(sigTlv, TAG.BIT_STRING, 'signatureValue'));
  if (sigBits[0] !== 0) throw new DerError('signatureValue has unused bits');
  const fields = childrenOf(der, tbs);
  const at = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional (v1)
  const [, , issuer, , subject] = fields.slice(at);
  const x = new X509Certificate(Buffer.from(der));
  const spki = x.publicKey.export({ format: 'der', type: 'spki' });
  const publicKey: CertificatePublicKey = spki.includes(Buffer.from(oid(SM2_CURVE_OID))) ? sm2PublicKeyFromSpki(spki) : { kind: 'rsa', key: createPublicKey({ key: spki, format: 'der', type: 'spki' }) };
  return {
    der,
    subject: x.subject,
    issuer: x.issuer,
    serialNumber: x.serialNumber.toUpperCase(),
    validFromMs: Date.parse(x.validFrom),
    validToMs: Date.parse(x.validTo),
    fingerprint256: x.fingerprint256,
    publicKey,
    tbs: bytesOf(der, tbs),
    signatureAlgorithm: oidToString(contentOf(der, expectTag(alg, TAG.OID, 'signatureAlgorithm.algorithm'))),
    signature: sigBits.subarray(1),
    issuerName: bytesOf(der, expectTag(issuer, TAG.SEQUENCE, 'issuer')),
    subjectName: bytesOf(der, expectTag(subject, TAG.SEQUENCE, 'subject')),
  };
}

/** Whether `cert` names `issuer` as its issuer and carries a signature that issuer's key made. */
export function issuedBy(cert: Certificate, issuer: Certificate): boolean {
  if (!Buffer.from(cert.issuerName).equals(Buffer.from(issuer.subjectName))) return false;
  const key = issuer.publicKey;
  if (cert.signatureAlgorithm === OID.sm2WithSm3) return key.kind === 'sm2' && sm2Verify(cert.tbs, cert.signature, key);
  const hash = cert.signatureAlgorithm === OID.sha1WithRsa ? 'sha1' : cert.signatureAlgorithm === OID.sha256WithRsa ? 'sha256' : undefined;
  if (!hash || key.kind !== 'rsa') return false;
  try {
    return nodeVerify(hash, cert.tbs, key.key, cert.signature);
  } catch {
    return false;
  }
}

const name = (cn: string) => seq(set(seq(oid(OID.commonName), utf8String(cn))));

export interface Sm2CertificateSpec {
  subjectCn: string;
  publicKey: Sm2PublicKey;
  /** The issuer's key and name; absent = self-signed with `selfKey`. */
  issuer?: { cn: string; key: Sm2PrivateKey };
  selfKey?: Sm2PrivateKey;
  serial: bigint;
  notBeforeMs: number;
  notAfterMs: number;
  /** Marks it a CA (basicConstraints cA=TRUE, critical). */
  ca?: boolean;
}

/**
 * An SM2-with-SM3 certificate (DER), signed with the standard distinguishing ID: test and simulator certificates
 * (issue 18's card simulator generates its own). OpenSSL reads and verifies what this writes (sm2.test.ts).
 */
export function buildSm2Certificate(spec: Sm2CertificateSpec): Uint8Array {
  const signer = spec.issuer?.key ?? spec.selfKey;
  if (!signer) throw new Error('buildSm2Certificate: give issuer or selfKey');
  const algorithm = seq(oid(OID.sm2WithSm3));
  const spki = seq(seq(oid('1.2.840.10045.2.1'), oid(SM2_CURVE_OID)), bitString(spec.publicKey.point));
  const extensions = spec.ca ? [explicit(3, seq(seq(oid(OID.basicConstraints), tlv(0x01, Buffer.from([0xff])), tlv(TAG.OCTET_STRING, seq(tlv(0x01, Buffer.from([0xff])))))))] : [];
  const tbs = seq(explicit(0, integer(2n)), integer(spec.serial), algorithm, name(spec.issuer?.cn ?? spec.subjectCn), seq(time(spec.notBeforeMs), time(spec.notAfterMs)), name(spec.subjectCn), spki, ...extensions);
  return seq(tbs, algorithm, bitString(sm2Sign(tbs, signer, { encoding: 'der' })));
}

export function certificatePem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
