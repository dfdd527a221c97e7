import { createHash, verify as nodeVerify } from 'node:crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { C14nCanonicalization, C14nCanonicalizationWithComments, ExclusiveCanonicalization, ExclusiveCanonicalizationWithComments } from 'xml-crypto';
// The namespaces in scope from a subset's ancestors (default namespace and shadowing included), as SignedXml uses it.
import { findAncestorNsForElement } from 'xml-crypto/lib/utils.js';
import { sm2Verify, sm3 } from './sm2.ts';
import type { Revocation, TrustStore } from './trust.ts';
import type { SignatureReason, SignatureStatus, SignatureVerdict } from './verdict.ts';
import { loadCertificate, type Certificate } from './x509.ts';

/**
 * The enveloped XML-DSig `ds:Signature` as the e-port uses it (shared/domain/eport.md §1): the last child of the
 * message root; `SignedInfo` with a C14N method, a signature method and ONE `Reference URI=""` (the whole message)
 * with the enveloped-signature transform; `SignatureValue`; `KeyInfo` with `KeyName` (the certificate number) and
 * `X509Data/X509Certificate`. The digest is over the canonical message without its signature; the card signs the
 * canonical SignedInfo — inclusive C14N in context, so it carries the root's namespace declarations, as public
 * integrations show (`<ds:SignedInfo xmlns:ceb=… xmlns:ds=… xmlns:xsi=…>`).
 *
 * Canonicalization is xml-crypto's (C14N 1.0 and exclusive C14N, with and without comments) over an @xmldom/xmldom
 * tree: the most used XML-DSig library on npm (SAML stacks), maintained, with its C14N tested against the W3C
 * vectors; we use its canonicalizers only, not its SignedXml, so this module decides the profile (one reference to
 * the whole document: no ID references, hence no signature wrapping) and says exactly what failed. xmllint's own
 * C14N agrees with it on our messages (xmldsig.test.ts).
 *
 * Algorithms are looked up by URI in a table (ALGORITHMS), since the published samples disagree (eport.md's caution:
 * 2022 samples carry SHA-1-sized digests under the `#sm3` URI): a site that finds its cards do something else maps
 * the URI in config instead of patching code. A DigestValue whose length does not fit the mapped algorithm is
 * `invalid`, with a message naming the caution.
 *
 * Pure apart from the clock passed in: no I/O.
 */

export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const C14N_WITH_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const EXC_C14N_WITH_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';
export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export type DigestAlgorithm = 'sm3' | 'sha1' | 'sha256';
export type SignatureAlgorithm = 'sm2-sm3' | 'rsa-sha1' | 'rsa-sha256';

export interface AlgorithmTable {
  digest: Readonly<Record<string, DigestAlgorithm>>;
  signature: Readonly<Record<string, SignatureAlgorithm>>;
}

/** The 2022-05 edition's URIs, the W3C ones of the 2018 edition, and `xmldsig#sm2-sm3` seen in public integrations. */
export const ALGORITHMS: AlgorithmTable = {
  digest: {
    'http://www.chinaport.gov.cn/2022/04/xmldsig#sm3': 'sm3',
    'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
    'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  },
  signature: {
    'http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3': 'sm2-sm3',
    'http://www.w3.org/2000/09/xmldsig#sm2-sm3': 'sm2-sm3',
    'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'rsa-sha1',
    'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'rsa-sha256',
  },
};

/** What the e-port's 2022-05 edition names (issue 18's signer default). */
export const EPORT_2022 = { signatureMethod: 'http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3', digestMethod: 'http://www.chinaport.gov.cn/2022/04/xmldsig#sm3' } as const;

const DIGEST_BYTES: Record<DigestAlgorithm, number> = { sm3: 32, sha1: 20, sha256: 32 };

const CANONICALIZERS: Record<string, () => { process(node: Node, options: object): string }> = {
  [C14N]: () => new C14nCanonicalization(),
  [C14N_WITH_COMMENTS]: () => new C14nCanonicalizationWithComments(),
  [EXC_C14N]: () => new ExclusiveCanonicalization(),
  [EXC_C14N_WITH_COMMENTS]: () => new ExclusiveCanonicalizationWithComments(),
};

export function digest(alg: DigestAlgorithm, data: string | Uint8Array): Buffer {
  return alg === 'sm3' ? sm3(data) : createHash(alg).update(data).digest();
}

// ---------------------------------------------------------------------------------------------------------------------
// DOM helpers (xmldom's types are the DOM lib's)

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PI = 7;

function parseDom(xml: string): Document | undefined {
  let failed = false;
  const doc = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: () => {
        failed = true;
      },
      fatalError: () => {
        failed = true;
      },
    },
  }).parseFromString(xml, 'text/xml');
  return failed || !doc?.documentElement ? undefined : (doc as unknown as Document);
}

function elementChildren(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === ELEMENT) out.push(n as Element);
  return out;
}

function hasText(el: Element): boolean {
  for (let n = el.firstChild; n; n = n.nextSibling) if ((n.nodeType === TEXT || n.nodeType === CDATA) && (n.nodeValue ?? '').trim() !== '') return true;
  return false;
}

const textOf = (el: Element) => (el.textContent ?? '').trim();

/**
 * The canonical form of the whole document (`URI=""`): the root element, and processing instructions outside it
 * (C14N §2.1: each before the root followed by LF, each after it preceded by LF). The XML declaration is not one.
 */
function canonicalDocument(doc: Document, method: string): string {
  const c = CANONICALIZERS[method]!();
  let before = '';
  let after = '';
  let seenRoot = false;
  for (let n = doc.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === ELEMENT) seenRoot = true;
    else if (n.nodeType === PI && (n as ProcessingInstruction).target !== 'xml') {
      const pi = n as ProcessingInstruction;
      const text = `<?${pi.target}${pi.data ? ` ${pi.data}` : ''}?>`;
      if (seenRoot) after += `\n${text}`;
      else before += `${text}\n`;
    }
  }
  return before + c.process(doc.documentElement, {}) + after;
}

function canonicalSignedInfo(signedInfo: Element, method: string): string {
  return CANONICALIZERS[method]!().process(signedInfo, { ancestorNamespaces: findAncestorNsForElement(signedInfo) });
}

/** Strict base64: the alphabet, whitespace between, correct padding; decoded bytes or undefined. */
export function strictBase64(text: string): Buffer | undefined {
  const s = text.replace(/[\s]+/g, '');
  if (s === '' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

// ---------------------------------------------------------------------------------------------------------------------
// Verification

export interface VerifyOptions {
  trust: TrustStore;
  nowMs: number;
  algorithms?: AlgorithmTable;
}

type Found = Pick<SignatureVerdict, 'signatureMethod' | 'digestMethod' | 'signer' | 'revocation'>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The trust store's revocation word as the verdict records it (verdict.ts `revocation`). */
function revocationOf(r: Revocation): NonNullable<SignatureVerdict['revocation']> {
  switch (r.status) {
    case 'good':
      return { status: 'good', message: "not on its issuer's CRL", ...(r.crlNextUpdateMs !== undefined ? { crlNextUpdate: iso(r.crlNextUpdateMs) } : {}) };
    case 'revoked':
      return { status: 'revoked', message: `certificate ${r.serial} revoked on ${iso(r.revokedAtMs)}${r.reason ? ` (${r.reason})` : ''} by the CRL of ${r.issuer}`.slice(0, 500), revokedAt: iso(r.revokedAtMs), ...(r.reason ? { reason: r.reason } : {}) };
    case 'unknown':
      return { status: 'unknown', message: `revocation unknown: the CRL of ${r.issuer} was due to be replaced by ${iso(r.crlNextUpdateMs)}`.slice(0, 500), crlNextUpdate: iso(r.crlNextUpdateMs) };
    case 'not_checked':
      return { status: 'not_checked', message: r.why === 'no-crl-configured' ? 'revocation not checked: no CRL is configured (signatures.crls)' : r.why === 'no-crl-for-issuer' ? `revocation not checked: no CRL configured for ${r.issuer ?? 'its issuer'}`.slice(0, 500) : 'revocation not checked: no trusted path to check it along' };
  }
}

const verdict = (status: SignatureStatus, reason: SignatureReason, message: string, found: Found = {}): SignatureVerdict => ({
  status,
  reason,
  message: message.slice(0, 500),
  ...Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined)),
});

class Structure extends Error {}

/** The ds children of `el` by name, in order; anything else (another namespace, text) is a structure error. */
function dsChildren(el: Element, allowed: readonly string[]): Element[] {
  if (hasText(el)) throw new Structure(`ds:${el.localName} holds text`);
  const kids = elementChildren(el);
  for (const k of kids) if (k.namespaceURI !== DS_NS || !allowed.includes(k.localName)) throw new Structure(`ds:${el.localName} may not contain ${k.namespaceURI === DS_NS ? `ds:${k.localName}` : `<${k.nodeName}>`}`);
  return kids;
}

function one(kids: Element[], name: string, parent: string, optional = false): Element | undefined {
  const found = kids.filter((k) => k.localName === name);
  if (found.length > 1) throw new Structure(`ds:${parent} has ${found.length} ds:${name}`);
  if (found.length === 0 && !optional) throw new Structure(`ds:${parent} has no ds:${name}`);
  return found[0];
}

function algorithmOf(el: Element): string {
  const a = el.getAttribute('Algorithm');
  if (!a) throw new Structure(`ds:${el.localName} has no Algorithm`);
  return a;
}

/** Element order within a parent: `names` must appear in this order (each name's elements contiguous). */
function inOrder(kids: Element[], names: readonly string[], parent: string): void {
  let last = -1;
  for (const k of kids) {
    const i = names.indexOf(k.localName);
    if (i < last) throw new Structure(`ds:${parent}: ds:${k.localName} is out of order (expected ${names.join(', ')})`);
    last = i;
  }
}

/**
 * Check the enveloped ds:Signature of an XML message (text already decoded). Never throws on bad input: every
 * outcome is a verdict. The document is parsed a second time here (xmldom), so the caller should only call this for a
 * message its own hardened parser accepted (no DOCTYPE, within limits).
 */
export function verifyEnvelopedSignature(xml: string, opts: VerifyOptions): SignatureVerdict {
  if (!xml.includes(DS_NS)) return verdict('absent', 'SIG_ABSENT', 'the message carries no ds:Signature');
  const doc = parseDom(xml);
  if (!doc) return verdict('unverified', 'SIG_NOT_XML', 'the message could not be read for canonicalization');
  const signatures = Array.from(doc.getElementsByTagNameNS(DS_NS, 'Signature'));
  if (signatures.length === 0) return verdict('absent', 'SIG_ABSENT', 'the message carries no ds:Signature');
  if (signatures.length > 1) return verdict('invalid', 'SIG_MULTIPLE', `the message carries ${signatures.length} ds:Signature elements; the e-port's messages carry one`);
  const sig = signatures[0]!;
  if (sig.parentNode !== doc.documentElement) return verdict('invalid', 'SIG_MISPLACED', 'ds:Signature must be a child of the message root (enveloped)');

  const algorithms = opts.algorithms ?? ALGORITHMS;
  const found: Found = {};
  try {
    // ---- structure
    const top = dsChildren(sig, ['SignedInfo', 'SignatureValue', 'KeyInfo', 'Object']);
    inOrder(top, ['SignedInfo', 'SignatureValue', 'KeyInfo', 'Object'], 'Signature');
    const signedInfo = one(top, 'SignedInfo', 'Signature')!;
    const signatureValueEl = one(top, 'SignatureValue', 'Signature')!;
    const keyInfo = one(top, 'KeyInfo', 'Signature', true);
    const si = dsChildren(signedInfo, ['CanonicalizationMethod', 'SignatureMethod', 'Reference']);
    inOrder(si, ['CanonicalizationMethod', 'SignatureMethod', 'Reference'], 'SignedInfo');
    const c14nMethod = algorithmOf(one(si, 'CanonicalizationMethod', 'SignedInfo')!);
    const signatureMethod = algorithmOf(one(si, 'SignatureMethod', 'SignedInfo')!);
    found.signatureMethod = signatureMethod;
    const references = si.filter((k) => k.localName === 'Reference');
    if (references.length === 0) throw new Structure('ds:SignedInfo has no ds:Reference');
    const ref = references[0]!;
    const rk = dsChildren(ref, ['Transforms', 'DigestMethod', 'DigestValue']);
    inOrder(rk, ['Transforms', 'DigestMethod', 'DigestValue'], 'Reference');
    const transformsEl = one(rk, 'Transforms', 'Reference', true);
    const digestMethod = algorithmOf(one(rk, 'DigestMethod', 'Reference')!);
    found.digestMethod = digestMethod;
    const digestValueEl = one(rk, 'DigestValue', 'Reference')!;
    const transforms = transformsEl ? dsChildren(transformsEl, ['Transform']).map(algorithmOf) : [];
    if (transformsEl && transforms.length === 0) throw new Structure('ds:Transforms has no ds:Transform');
    let keyName: string | undefined;
    const certTexts: string[] = [];
    if (keyInfo) {
      // KeyInfo may hold other key kinds (KeyValue, RetrievalMethod…): only KeyName and X509Data are read.
      for (const k of elementChildren(keyInfo)) {
        if (k.namespaceURI !== DS_NS) continue;
        if (k.localName === 'KeyName') keyName = textOf(k);
        if (k.localName === 'X509Data') for (const c of elementChildren(k)) if (c.namespaceURI === DS_NS && c.localName === 'X509Certificate') certTexts.push(textOf(c));
      }
      if (keyName !== undefined) found.signer = { keyName: keyName.slice(0, 200) };
    }

    // ---- values
    const digestValue = strictBase64(textOf(digestValueEl));
    if (!digestValue) return verdict('invalid', 'SIG_NOT_BASE64', 'ds:DigestValue is not base64', found);
    const signatureValue = strictBase64(textOf(signatureValueEl));
    if (!signatureValue) return verdict('invalid', 'SIG_NOT_BASE64', 'ds:SignatureValue is not base64', found);
    const certDers = certTexts.map(strictBase64);
    if (certDers.some((d) => !d)) return verdict('invalid', 'SIG_NOT_BASE64', 'ds:X509Certificate is not base64', found);

    // ---- profile: one reference to the whole message, enveloped
    if (references.length > 1) return verdict('unverified', 'SIG_UNSUPPORTED', `the signature has ${references.length} references; the e-port's has one (URI="")`, found);
    const uri = ref.getAttribute('URI');
    if (uri !== '') return verdict('unverified', 'SIG_UNSUPPORTED', `ds:Reference URI=${uri === null ? '(none)' : JSON.stringify(uri)} is not supported; the e-port's is URI="" (the whole message)`, found);
    if (!transforms.includes(ENVELOPED)) return verdict('invalid', 'SIG_STRUCTURE', 'ds:Reference URI="" without the enveloped-signature transform cannot verify (the signature would digest itself)', found);
    const others = transforms.filter((t) => t !== ENVELOPED);
    if (others.some((t) => !CANONICALIZERS[t]) || others.length > 1 || transforms.indexOf(ENVELOPED) !== 0) {
      return verdict('unverified', 'SIG_UNSUPPORTED', `transforms ${transforms.join(', ')} are not supported (enveloped-signature, then at most one C14N)`, found);
    }
    if (!CANONICALIZERS[c14nMethod]) return verdict('unverified', 'SIG_UNSUPPORTED', `canonicalization ${c14nMethod} is not supported`, found);
    const digestAlg = algorithms.digest[digestMethod];
    if (!digestAlg) return verdict('unverified', 'SIG_UNSUPPORTED', `digest method ${digestMethod} is not supported`, found);
    if (digestValue.length !== DIGEST_BYTES[digestAlg]) {
      return verdict('invalid', 'SIG_DIGEST_LENGTH', `ds:DigestValue is ${digestValue.length} bytes, but ${digestMethod} (${digestAlg}) gives ${DIGEST_BYTES[digestAlg]} (published 2022 samples carry SHA-1-sized values under the #sm3 URI: if this sender's cards really do that, map the URI in signatures.algorithms)`, found);
    }

    // ---- digest of the message without its signature (URI="" excludes comments unless a #WithComments C14N says so)
    const canonicalInfo = canonicalSignedInfo(signedInfo, c14nMethod);
    sig.parentNode!.removeChild(sig);
    const content = canonicalDocument(doc, others[0] ?? C14N);
    if (!digest(digestAlg, content).equals(digestValue)) return verdict('invalid', 'SIG_DIGEST_MISMATCH', 'the message content does not match the signed digest: it was changed after signing', found);

    // ---- the signer's certificate
    let cert: Certificate | undefined;
    if (certDers.length > 0) {
      try {
        cert = loadCertificate(certDers[0]!);
      } catch (e) {
        return verdict('invalid', 'SIG_CERTIFICATE_MALFORMED', `ds:X509Certificate is not a certificate: ${(e as Error).message}`, found);
      }
    } else if (keyName !== undefined) cert = opts.trust.pinnedByKeyName(keyName);
    if (cert) found.signer = { ...found.signer, subject: cert.subject.slice(0, 500), serialNumber: cert.serialNumber, fingerprint256: cert.fingerprint256 };
    const sigAlg = algorithms.signature[signatureMethod];
    if (!sigAlg) return verdict('unverified', 'SIG_UNSUPPORTED', `the content matches its digest; signature method ${signatureMethod} is not supported`, found);
    if (!cert) return verdict('unverified', 'SIG_SIGNER_UNKNOWN', 'the content matches its digest, but the signer is unknown: no certificate in KeyInfo and no pinned certificate with its KeyName', found);

    // ---- the signature value over the canonical SignedInfo
    const trust = opts.trust.trust(cert, opts.nowMs);
    const data = Buffer.from(canonicalInfo, 'utf8');
    let ok = false;
    if (sigAlg === 'sm2-sm3') ok = cert.publicKey.kind === 'sm2' && sm2Verify(data, signatureValue, (trust.trusted && opts.trust.preparedKey(cert)) || cert.publicKey);
    else if (cert.publicKey.kind === 'rsa') {
      try {
        ok = nodeVerify(sigAlg === 'rsa-sha1' ? 'sha1' : 'sha256', data, cert.publicKey.key, signatureValue);
      } catch {
        ok = false;
      }
    }
    if (!ok) return verdict('invalid', 'SIG_BAD_SIGNATURE', `ds:SignatureValue does not verify with the key of ${cert.subject.replace(/\n/g, ', ')} (${sigAlg})`, found);
    found.revocation = revocationOf(trust.revocation);
    if (!trust.trusted && trust.why === 'revoked') return verdict('invalid', 'SIG_CERTIFICATE_REVOKED', `the signature verifies, but ${found.revocation.message}`, found);
    if (!trust.trusted) {
      return trust.why === 'expired'
        ? verdict('unverified', 'SIG_CERTIFICATE_EXPIRED', `the signature verifies, but the signer's certificate is not valid now (${new Date(cert.validFromMs).toISOString()} – ${new Date(cert.validToMs).toISOString()})`, found)
        : verdict('unverified', 'SIG_SIGNER_UNTRUSTED', "the signature verifies with the certificate the message carries, but that certificate is neither pinned nor issued by a configured CA", found);
    }
    const unknown = found.revocation.status === 'unknown' ? `; ${found.revocation.message}` : '';
    return verdict('verified', 'SIG_OK', `signed by ${cert.subject.replace(/\n/g, ', ')} (certificate ${cert.serialNumber}, ${trust.via})${unknown}`, found);
  } catch (e) {
    if (e instanceof Structure) return verdict('invalid', 'SIG_STRUCTURE', `malformed ds:Signature: ${e.message}`, found);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Signing (issue 18's signer: the card signs `signedInfo`, this builds everything around it)

export interface EnvelopedSignatureSpec {
  signatureMethod: string;
  digestMethod: string;
  /** The Canonicalization method; the e-port's is C14N 1.0. */
  canonicalizationMethod?: string;
  algorithms?: AlgorithmTable;
}

export interface PreparedSignature {
  /** The canonical SignedInfo: the exact text (UTF-8) to sign — what the card's `cus-sec_SpcSignDataAsPEM` is given. */
  signedInfo: string;
  digestValue: string;
  /** The signed message: `signatureValue` base64; KeyInfo with the certificate number and the certificate. */
  complete(signatureValue: string, keyInfo?: { keyName?: string; certificate?: Uint8Array }): string;
}

/**
 * Prepare an enveloped ds:Signature for `xml` (which must not carry one): the digest is computed, SignedInfo built
 * and canonicalized; the caller signs `signedInfo` (with a card or a key) and calls `complete`. Pure.
 */
export function prepareEnvelopedSignature(xml: string, spec: EnvelopedSignatureSpec): PreparedSignature {
  const algorithms = spec.algorithms ?? ALGORITHMS;
  const c14nMethod = spec.canonicalizationMethod ?? C14N;
  if (!CANONICALIZERS[c14nMethod]) throw new Error(`canonicalization ${c14nMethod} is not supported`);
  const digestAlg = algorithms.digest[spec.digestMethod];
  if (!digestAlg) throw new Error(`digest method ${spec.digestMethod} is not in the algorithm table`);
  if (!algorithms.signature[spec.signatureMethod]) throw new Error(`signature method ${spec.signatureMethod} is not in the algorithm table`);
  const doc = parseDom(xml);
  if (!doc) throw new Error('the message is not well-formed XML');
  if (doc.getElementsByTagNameNS(DS_NS, 'Signature').length > 0) throw new Error('the message is already signed');
  const root = doc.documentElement;
  const digestValue = digest(digestAlg, canonicalDocument(doc, C14N)).toString('base64');

  const el = (name: string, attrs: Record<string, string> = {}, ...children: (Element | string)[]) => {
    const e = doc.createElementNS(DS_NS, `ds:${name}`);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    for (const c of children) e.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
    return e;
  };
  const signedInfo = el(
    'SignedInfo',
    {},
    el('CanonicalizationMethod', { Algorithm: c14nMethod }),
    el('SignatureMethod', { Algorithm: spec.signatureMethod }),
    el('Reference', { URI: '' }, el('Transforms', {}, el('Transform', { Algorithm: ENVELOPED })), el('DigestMethod', { Algorithm: spec.digestMethod }), el('DigestValue', {}, digestValue)),
  );
  const signature = el('Signature', {}, signedInfo); // the serializer declares xmlns:ds on it
  // Last child of the root, with no whitespace added around it: the enveloped transform removes the element only.
  root.appendChild(signature);
  const canonical = canonicalSignedInfo(signedInfo, c14nMethod);
  return {
    signedInfo: canonical,
    digestValue,
    complete(signatureValue, keyInfo = {}) {
      signature.appendChild(el('SignatureValue', {}, signatureValue));
      const info: Element[] = [];
      if (keyInfo.keyName !== undefined) info.push(el('KeyName', {}, keyInfo.keyName));
      if (keyInfo.certificate) info.push(el('X509Data', {}, el('X509Certificate', {}, Buffer.from(keyInfo.certificate).toString('base64'))));
      if (info.length > 0) signature.appendChild(el('KeyInfo', {}, ...info));
      return new XMLSerializer().serializeToString(doc as unknown as Node);
    },
  };
}
