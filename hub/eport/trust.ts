import { crlDers, crlIssuedBy, loadCrl, normalSerial, type Crl } from './crl.ts';
import { prepareSm2Key, type PreparedSm2Key } from './sm2.ts';
import { certificateDers, issuedBy, loadCertificate, type Certificate } from './x509.ts';

/**
 * The hub's trust in e-port signers. Policy (README "Message signatures"):
 * - a **pinned** certificate (configured by file; matched by its SHA-256 fingerprint) is trusted as itself — for a
 *   site that knows its partners' card certificates;
 * - any other certificate is trusted when it is issued, directly or through configured intermediates, by a
 *   configured **anchor** (the e-port's CA certificates), each link's signature checked (SM2-with-SM3 with the
 *   standard ID, or RSA for the older cards);
 * - a certificate carried in the message's KeyInfo counts only through one of those two: a message cannot vouch for
 *   itself;
 * - every certificate of the path must be valid at the time of the check (`notBefore ≤ now ≤ notAfter`); a path
 *   with an expired link is reported as expired, not as untrusted.
 * A message whose KeyInfo has no certificate is checked against a pinned certificate whose serial number equals its
 * KeyName (the e-port's certificate number).
 *
 * Revocation (README "Message signatures"): configured CRLs, each checked at load to be signed by a configured CA (a
 * CRL nobody configured vouches for fails the start). Every certificate of the path but the anchor is looked up in the
 * newest CRL of its issuer: on it → `revoked` (the verdict is `invalid`, a risk reason), whatever the CRL's age — a
 * revocation is never taken back by a list going stale; not on it and the CRL current → `good`; not on it and the CRL
 * past its nextUpdate → `unknown` (recorded with the verdict, never a refusal: the e-port network is offline and a late
 * CRL file is an operator's task, not the sender's fault); no CRL for an issuer, or none configured → `not_checked`.
 * OCSP is not used: the e-port environment has no reachable responder (README).
 */
export interface TrustInput {
  /** CA certificates (PEM with one or more blocks, or DER). */
  anchors?: readonly (string | Uint8Array)[];
  /** Intermediate CA certificates: used to build chains, never trusted by themselves. */
  intermediates?: readonly (string | Uint8Array)[];
  /** End-entity certificates trusted as they are. */
  pinned?: readonly (string | Uint8Array)[];
  /** CRLs (PEM with one or more `X509 CRL` blocks, or DER), each signed by a configured anchor or intermediate. */
  crls?: readonly (string | Uint8Array)[];
}

/** What the configured CRLs say about a certificate path. */
export type Revocation =
  | { status: 'good'; crlNextUpdateMs?: number }
  | { status: 'revoked'; serial: string; issuer: string; revokedAtMs: number; reason?: string }
  | { status: 'unknown'; issuer: string; crlNextUpdateMs: number }
  | { status: 'not_checked'; why: 'no-crl-configured' | 'no-crl-for-issuer' | 'no-path'; issuer?: string };

export type TrustResult = ({ trusted: true; via: 'pinned' | 'anchor' } | { trusted: false; why: 'untrusted' | 'expired' | 'revoked' }) & { revocation: Revocation };

const MAX_CHAIN = 4;
const MAX_PREPARED = 1000;


export class TrustStore {
  private readonly anchors: Certificate[];
  private readonly intermediates: Certificate[];
  private readonly pinned: Map<string, Certificate>;
  /**
   * Prepared SM2 keys of trusted certificates, by fingerprint (a bounded cache owned by this store, not global). A
   * key is prepared the second time it is seen: preparing costs about four verifications (≈23 ms), and most
   * certificates sign many messages (a platform's card), a few sign one.
   */
  private readonly prepared = new Map<string, PreparedSm2Key | 'seen'>();
  /**
   * The path found for a certificate (null: none), by fingerprint: checking a link is an SM2 verification, and a
   * signer's certificate comes back with each of its messages. The configured certificates do not change while a
   * store lives (a new configuration is a new store); validity is checked at every use.
   */
  private readonly chains = new Map<string, Certificate[] | null>();

  /** The newest CRL of each issuer (by DER Name, hex). */
  private readonly crls = new Map<string, Crl>();
  private readonly crlsConfigured: boolean;

  constructor(input: TrustInput = {}) {
    const all = (xs: readonly (string | Uint8Array)[] = []) => xs.flatMap((x) => certificateDers(x)).map((d) => loadCertificate(d));
    this.anchors = all(input.anchors);
    this.intermediates = all(input.intermediates);
    this.pinned = new Map(all(input.pinned).map((c) => [c.fingerprint256, c]));
    const cas = [...this.anchors, ...this.intermediates];
    for (const der of (input.crls ?? []).flatMap((x) => crlDers(x))) {
      const crl = loadCrl(der);
      const ca = cas.find((c) => crlIssuedBy(crl, c));
      if (!ca) throw new Error('a CRL is not signed by any configured trust anchor or intermediate');
      crl.issuer = ca.subject.replace(/\n/g, ', ');
      const id = Buffer.from(crl.issuerName).toString('hex');
      const prior = this.crls.get(id);
      if (!prior || crl.thisUpdateMs > prior.thisUpdateMs) this.crls.set(id, crl);
    }
    this.crlsConfigured = (input.crls ?? []).length > 0;
  }

  get size(): { anchors: number; intermediates: number; pinned: number; crls: number } {
    return { anchors: this.anchors.length, intermediates: this.intermediates.length, pinned: this.pinned.size, crls: this.crls.size };
  }

  /** The configured CRLs' word on every certificate of `path` but a trust anchor at its end (see the class comment). */
  revocation(path: readonly Certificate[], nowMs: number): Revocation {
    if (!this.crlsConfigured) return { status: 'not_checked', why: 'no-crl-configured' };
    const checked = path.filter((c) => !this.anchors.includes(c));
    let weakest: Revocation = { status: 'good' };
    for (const cert of checked) {
      const crl = this.crls.get(Buffer.from(cert.issuerName).toString('hex'));
      if (!crl) {
        if (weakest.status === 'good') weakest = { status: 'not_checked', why: 'no-crl-for-issuer', issuer: cert.issuer.replace(/\n/g, ', ') };
        continue;
      }
      const entry = crl.revoked.get(normalSerial(cert.serialNumber));
      if (entry) return { status: 'revoked', serial: cert.serialNumber, issuer: crl.issuer, revokedAtMs: entry.revokedAtMs, ...(entry.reason ? { reason: entry.reason } : {}) };
      if (crl.nextUpdateMs !== undefined && crl.nextUpdateMs < nowMs) {
        if (weakest.status !== 'unknown') weakest = { status: 'unknown', issuer: crl.issuer, crlNextUpdateMs: crl.nextUpdateMs };
      } else if (weakest.status === 'good' && crl.nextUpdateMs !== undefined) {
        weakest = { status: 'good', crlNextUpdateMs: Math.min(crl.nextUpdateMs, weakest.crlNextUpdateMs ?? Infinity) };
      }
    }
    return weakest;
  }

  /** A pinned certificate whose serial number is `keyName` (hex, leading zeros and case ignored). */
  pinnedByKeyName(keyName: string): Certificate | undefined {
    if (!keyName.trim()) return undefined;
    const want = normalSerial(keyName.trim());
    for (const c of this.pinned.values()) if (normalSerial(c.serialNumber) === want) return c;
    return undefined;
  }

  trust(cert: Certificate, nowMs: number): TrustResult {
    const valid = (c: Certificate) => c.validFromMs <= nowMs && nowMs <= c.validToMs;
    // A revoked certificate is refused before its validity is looked at: revocation is the stronger word.
    if (this.pinned.has(cert.fingerprint256)) {
      const revocation = this.revocation([cert], nowMs);
      if (revocation.status === 'revoked') return { trusted: false, why: 'revoked', revocation };
      return valid(cert) ? { trusted: true, via: 'pinned', revocation } : { trusted: false, why: 'expired', revocation };
    }
    let chain = this.chains.get(cert.fingerprint256);
    if (chain === undefined) {
      chain = this.chainToAnchor(cert, 0) ?? null;
      if (this.chains.size >= MAX_PREPARED) this.chains.delete(this.chains.keys().next().value!);
      this.chains.set(cert.fingerprint256, chain);
    }
    if (!chain) return { trusted: false, why: 'untrusted', revocation: { status: 'not_checked', why: 'no-path' } };
    const revocation = this.revocation(chain, nowMs);
    if (revocation.status === 'revoked') return { trusted: false, why: 'revoked', revocation };
    return chain.every(valid) ? { trusted: true, via: 'anchor', revocation } : { trusted: false, why: 'expired', revocation };
  }

  /** `cert` and the issuers up to a configured anchor, each signature checked; undefined when there is no such path. */
  private chainToAnchor(cert: Certificate, depth: number): Certificate[] | undefined {
    if (depth >= MAX_CHAIN) return undefined;
    const anchor = this.anchors.find((a) => issuedBy(cert, a));
    if (anchor) return [cert, anchor];
    for (const i of this.intermediates) {
      if (i.fingerprint256 === cert.fingerprint256 || !issuedBy(cert, i)) continue;
      const rest = this.chainToAnchor(i, depth + 1);
      if (rest) return [cert, ...rest];
    }
    return undefined;
  }

  /** The certificate's SM2 key prepared for fast verification, from its second use on; undefined before. */
  preparedKey(cert: Certificate): PreparedSm2Key | undefined {
    if (cert.publicKey.kind !== 'sm2') return undefined;
    const p = this.prepared.get(cert.fingerprint256);
    if (p && p !== 'seen') return p;
    if (this.prepared.size >= MAX_PREPARED) this.prepared.delete(this.prepared.keys().next().value!);
    const next = p === 'seen' ? prepareSm2Key(cert.publicKey) : 'seen';
    this.prepared.set(cert.fingerprint256, next);
    return next === 'seen' ? undefined : next;
  }
}
