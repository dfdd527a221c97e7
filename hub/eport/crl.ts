import { verify as nodeVerify } from 'node:crypto';
import { bytesOf, childrenOf, contentOf, DerError, expectTag, oidToString, readTlv, TAG, type Tlv } from './der.ts';
import { sm2Verify } from './sm2.ts';
import { OID, type Certificate } from './x509.ts';

/**
 * Certificate revocation lists (RFC 5280 §5) as the e-port's CAs publish them: parsed with the strict DER reader the
 * certificates use (der.ts), the signature checked with the issuing CA's key (SM2-with-SM3 with the standard ID, or
 * RSA). Why not a library: Node's crypto reads certificates but has no CRL parser, and the maintained ASN.1/PKI
 * packages (pkijs, @peculiar/x509) verify through WebCrypto, which has no SM2 — the CRL's signature would still need
 * sm2.ts, and their parsers would be a second DER reader beside der.ts for some eighty lines of structure.
 *
 * What is read: issuer (DER Name, compared byte for byte with a certificate's issuer, as chains are built), thisUpdate,
 * nextUpdate, and each revoked serial with its date and CRLReason. Delta CRLs and indirect CRLs (an entry's certificate
 * issuer extension) are not: such a CRL is refused, so a list the hub cannot read whole is never read in part.
 */

export interface RevokedEntry {
  /** Upper-case hex without leading zeros (certificates' serialNumber, normalised the same way). */
  serial: string;
  revokedAtMs: number;
  /** RFC 5280 CRLReason name when the entry carries one. */
  reason?: string;
}

export interface Crl {
  der: Uint8Array;
  issuerName: Uint8Array;
  /** Readable issuer, for messages. */
  issuer: string;
  thisUpdateMs: number;
  /** Absent when the CRL names no next update (RFC 5280 requires one; a CRL without is taken as never stale). */
  nextUpdateMs?: number;
  revoked: Map<string, RevokedEntry>;
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
}

const PEM_CRL = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g;

/** Every CRL in a PEM text (one or more `X509 CRL` blocks), or the one in DER bytes. */
export function crlDers(input: string | Uint8Array): Uint8Array[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN X509 CRL-----')) return [...text.matchAll(PEM_CRL)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (typeof input === 'string') throw new DerError('not a PEM X509 CRL');
  return [input];
}

export const normalSerial = (hex: string): string => hex.replace(/^0+/, '').toUpperCase() || '0';

/** UTCTime (1950–2049) or GeneralizedTime, whole seconds, `Z` — the forms RFC 5280 allows. */
export function derTime(buf: Uint8Array, t: Tlv): number {
  const s = Buffer.from(contentOf(buf, t)).toString('latin1');
  const m = t.tag === TAG.UTCTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : t.tag === TAG.GeneralizedTime ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) throw new DerError(`not an RFC 5280 time: ${JSON.stringify(s)}`);
  const year = t.tag === TAG.UTCTime ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (new Date(ms).getUTCDate() !== Number(m[3])) throw new DerError(`not a calendar time: ${s}`);
  return ms;
}

const isTime = (t: Tlv | undefined) => t !== undefined && (t.tag === TAG.UTCTime || t.tag === TAG.GeneralizedTime);
const REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'unused', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'];
const EXT = { crlReason: '2.5.29.21', certificateIssuer: '2.5.29.29', deltaCrlIndicator: '2.5.29.27', issuingDistributionPoint: '2.5.29.28' } as const;

/** Extensions (SEQUENCE OF Extension) → OID → { critical, value (the OCTET STRING's content) }. */
function extensions(buf: Uint8Array, t: Tlv): Map<string, { critical: boolean; value: Uint8Array; at: Tlv }> {
  const out = new Map<string, { critical: boolean; value: Uint8Array; at: Tlv }>();
  for (const e of childrenOf(buf, expectTag(t, TAG.SEQUENCE, 'extensions'))) {
    const parts = childrenOf(buf, expectTag(e, TAG.SEQUENCE, 'Extension'));
    const id = oidToString(contentOf(buf, expectTag(parts[0], TAG.OID, 'extnID')));
    const critical = parts[1]?.tag === 0x01 ? contentOf(buf, parts[1])[0] === 0xff : false;
    const valueTlv = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue');
    out.set(id, { critical, value: contentOf(buf, valueTlv), at: valueTlv });
  }
  return out;
}

/** Parse one CRL (DER). Throws DerError on anything malformed or on a CRL kind the hub does not read (see above). */
export function loadCrl(input: Uint8Array, issuerLabel = ''): Crl {
  const der = Uint8Array.from(input);
  const top = expectTag(readTlv(der), TAG.SEQUENCE, 'CertificateList');
  if (top.end !== der.length) throw new DerError('trailing bytes after the CRL');
  const [tbsTlv, algTlv, sigTlv] = childrenOf(der, top);
  const tbs = expectTag(tbsTlv, TAG.SEQUENCE, 'tbsCertList');
  const alg = childrenOf(der, expectTag(algTlv, TAG.SEQUENCE, 'signatureAlgorithm'))[0];
  const sigBits = contentOf(der, expectTag(sigTlv, TAG.BIT_STRING, 'signatureValue'));
  if (sigBits[0] !== 0) throw new DerError('signatureValue has unused bits');
  const fields = childrenOf(der, tbs);
  let i = fields[0]?.tag === TAG.INTEGER ? 1 : 0; // version (v2) is optional
  expectTag(fields[i++], TAG.SEQUENCE, 'signature');
  const issuer = expectTag(fields[i++], TAG.SEQUENCE, 'issuer');
  if (!isTime(fields[i])) throw new DerError('thisUpdate: expected a time');
  const thisUpdateMs = derTime(der, fields[i++]!);
  const nextUpdateMs = isTime(fields[i]) ? derTime(der, fields[i++]!) : undefined;
  const revoked = new Map<string, RevokedEntry>();
  if (fields[i]?.tag === TAG.SEQUENCE) {
    for (const entry of childrenOf(der, fields[i++]!)) {
      const [serialTlv, dateTlv, extTlv] = childrenOf(der, expectTag(entry, TAG.SEQUENCE, 'revokedCertificate'));
      const serial = normalSerial(Buffer.from(contentOf(der, expectTag(serialTlv, TAG.INTEGER, 'userCertificate'))).toString('hex'));
      if (!isTime(dateTlv)) throw new DerError('revocationDate: expected a time');
      const e: RevokedEntry = { serial, revokedAtMs: derTime(der, dateTlv!) };
      if (extTlv) {
        const exts = extensions(der, extTlv);
        if (exts.has(EXT.certificateIssuer)) throw new DerError('indirect CRL entries (certificateIssuer) are not supported');
        const reason = exts.get(EXT.crlReason);
        if (reason) {
          const r = readTlv(reason.value);
          if (r.tag === 0x0a) e.reason = REASONS[contentOf(reason.value, r)[0] ?? 0] ?? 'unspecified';
        }
        for (const [id, x] of exts) if (x.critical && id !== EXT.crlReason) throw new DerError(`unknown critical CRL entry extension ${id}`);
      }
      revoked.set(serial, e);
    }
  }
  if (fields[i]?.tag === 0xa0) {
    const exts = extensions(der, childrenOf(der, fields[i]!)[0]!);
    if (exts.has(EXT.deltaCrlIndicator)) throw new DerError('delta CRLs are not supported');
    if (exts.get(EXT.issuingDistributionPoint)?.critical) throw new DerError('partitioned CRLs (issuingDistributionPoint) are not supported');
    for (const [id, x] of exts) if (x.critical && id !== EXT.issuingDistributionPoint) throw new DerError(`unknown critical CRL extension ${id}`);
  }
  return {
    der,
    issuerName: bytesOf(der, issuer),
    issuer: issuerLabel,
    thisUpdateMs,
    ...(nextUpdateMs !== undefined ? { nextUpdateMs } : {}),
    revoked,
    tbs: bytesOf(der, tbs),
    signatureAlgorithm: oidToString(contentOf(der, expectTag(alg, TAG.OID, 'signatureAlgorithm.algorithm'))),
    signature: sigBits.subarray(1),
  };
}

/** Whether `ca` issued this CRL: same Name, and the CRL's signature verifies with its key. */
export function crlIssuedBy(crl: Crl, ca: Certificate): boolean {
  if (!Buffer.from(crl.issuerName).equals(Buffer.from(ca.subjectName))) return false;
  const key = ca.publicKey;
  if (crl.signatureAlgorithm === OID.sm2WithSm3) return key.kind === 'sm2' && sm2Verify(crl.tbs, crl.signature, key);
  const hash = crl.signatureAlgorithm === OID.sha1WithRsa ? 'sha1' : crl.signatureAlgorithm === OID.sha256WithRsa ? 'sha256' : undefined;
  if (!hash || key.kind !== 'rsa') return false;
  try {
    return nodeVerify(hash, crl.tbs, key.key, crl.signature);
  } catch {
    return false;
  }
}
