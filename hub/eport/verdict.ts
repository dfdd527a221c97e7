import { z } from 'zod';

/**
 * What the hub concluded about a message's enveloped ds:Signature (issue 15 item 7), recorded per message and shown
 * with each of its documents:
 * - `verified`: structure, digest and signature check, and the signer's certificate is pinned or issued by a
 *   configured CA and valid now;
 * - `unverified`: nothing is wrong that the hub can see, but it cannot vouch for the signer (certificate unknown,
 *   untrusted or expired) or does not implement an algorithm the message names;
 * - `invalid`: provably wrong — malformed ds:Signature, a value that is not base64, content that does not match the
 *   digest (tampered), or a signature value that does not verify with the signer's key. A risk reason.
 * - `absent`: no ds:Signature (or a document that came as JSON).
 */
export const SignatureStatus = z.enum(['verified', 'unverified', 'invalid', 'absent']);
export type SignatureStatus = z.infer<typeof SignatureStatus>;

/** Stable reason codes (tests and the dashboard match on these, not on the message). */
export const SignatureReason = z.enum([
  'SIG_OK',
  'SIG_ABSENT',
  'SIG_NOT_XML',
  'SIG_MISPLACED',
  'SIG_MULTIPLE',
  'SIG_STRUCTURE',
  'SIG_NOT_BASE64',
  'SIG_UNSUPPORTED',
  'SIG_DIGEST_LENGTH',
  'SIG_DIGEST_MISMATCH',
  'SIG_CERTIFICATE_MALFORMED',
  'SIG_BAD_SIGNATURE',
  'SIG_SIGNER_UNKNOWN',
  'SIG_SIGNER_UNTRUSTED',
  'SIG_CERTIFICATE_EXPIRED',
  /** The signer's certificate (or a CA of its path) is on its issuer's configured CRL. */
  'SIG_CERTIFICATE_REVOKED',
]);
export type SignatureReason = z.infer<typeof SignatureReason>;

export const SignatureVerdict = z.object({
  status: SignatureStatus,
  reason: SignatureReason,
  /** Says what was found, for officers (English; the dashboard words the status and reason code). */
  message: z.string().max(500),
  /** The algorithm URIs the signature named. */
  signatureMethod: z.string().max(300).optional(),
  digestMethod: z.string().max(300).optional(),
  /** The signer, from KeyInfo (KeyName: the e-port certificate number) and the certificate that was used. */
  signer: z
    .object({ keyName: z.string().max(200).optional(), subject: z.string().max(500).optional(), serialNumber: z.string().max(100).optional(), fingerprint256: z.string().max(100).optional() })
    .optional(),
  /**
   * What the configured CRLs said about the signer's certificate path (hub/eport/trust.ts): `good`, `revoked` (the
   * verdict is then `invalid`, SIG_CERTIFICATE_REVOKED), `unknown` (the issuer's CRL is past its nextUpdate: a warning,
   * not a refusal) or `not_checked` (no CRL configured, none for the issuer, or no trusted path). Absent on verdicts
   * reached before the certificate was looked at, and on those recorded before revocation was checked.
   */
  revocation: z
    .object({
      status: z.enum(['good', 'revoked', 'unknown', 'not_checked']),
      message: z.string().max(500),
      /** ISO time of the revocation (revoked). */
      revokedAt: z.string().max(40).optional(),
      reason: z.string().max(40).optional(),
      /** ISO time the issuer's CRL was (or is) due to be replaced. */
      crlNextUpdate: z.string().max(40).optional(),
    })
    .optional(),
});
export type SignatureVerdict = z.infer<typeof SignatureVerdict>;
