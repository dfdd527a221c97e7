import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { canonicalJson } from '../canonical.ts';
import type { SignedRules, StationRules } from './feed.ts';

/**
 * Station rules are signed by the hub (Ed25519 over canonical JSON, with a domain prefix so a rules signature can
 * never be replayed as a journal checkpoint signature or the other way round). The edge uses rules only when the
 * signature checks against the hub key it was configured with, and only inside their validity window.
 */
const DOMAIN = 'bondgate/station-rules/v1\n';
const message = (rules: StationRules) => Buffer.from(DOMAIN + canonicalJson(rules));

export function signRules(rules: StationRules, privateKeyPem: string, keyId: string): SignedRules {
  return { rules, keyId, signature: sign(null, message(rules), createPrivateKey(privateKeyPem)).toString('base64') };
}

export function verifyRules(signed: SignedRules, publicKeyPem: string): boolean {
  try {
    return verify(null, message(signed.rules), createPublicKey(publicKeyPem), Buffer.from(signed.signature, 'base64'));
  } catch {
    return false;
  }
}
