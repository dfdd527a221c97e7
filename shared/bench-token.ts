import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './canonical.ts';
import { GATEWAY_ID_PATTERN } from './ids.ts';

/**
 * A bench token: the hub's word that a signed-in customs officer (a hub user with role officer) is at one inspection
 * bench (gateway + station) for a while. The hub signs it with its station-rules key (Ed25519) under its own domain
 * prefix, so a bench token can never pass for a rules signature or a journal checkpoint, nor the other way round. The
 * edge console checks it with the rules public key it already holds and attaches it to every finding the bench
 * records; the hub checks it again and only then names the officer on the case and the audit chain.
 *
 * Compact form (fits a QR code, a scanner types it): base64url(canonical JSON claims) "." base64url(signature), the
 * signature taken over the domain prefix and the claims bytes exactly as sent.
 */
const DOMAIN = 'bondgate/bench-token/v1\n';
export const BENCH_TOKEN_MAX_CHARS = 1024;
export const BENCH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,800}\.[A-Za-z0-9_-]{86}$/;

export const BenchTokenClaims = z.strictObject({
  v: z.literal(1),
  /** The hub user name of the officer the token was issued to. */
  officer: z.string().min(1).max(64),
  gatewayId: z.string().regex(GATEWAY_ID_PATTERN),
  stationId: z.string().min(1).max(128),
  issuedAtMs: z.number().int().nonnegative(),
  expiresAtMs: z.number().int().nonnegative(),
});
export type BenchTokenClaims = z.infer<typeof BenchTokenClaims>;

export type BenchTokenCheck =
  | { ok: true; claims: BenchTokenClaims }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_gateway' | 'wrong_station' | 'not_yet_valid' | 'expired' | 'delivered_too_late' };

/** An edge clock may run a little behind the hub's: a token is taken this long before its issue time. */
export const BENCH_TOKEN_SKEW_MS = 5 * 60_000;
/**
 * A finding recorded while the token was valid may reach the hub later (the bench was offline), but not much later:
 * otherwise a token seen once could sign findings with back-dated event times for ever.
 */
export const BENCH_TOKEN_MAX_DELIVERY_DELAY_MS = 72 * 3600_000;

const message = (claimsBytes: Buffer) => Buffer.concat([Buffer.from(DOMAIN), claimsBytes]);

export function signBenchToken(claims: BenchTokenClaims, privateKeyPem: string): string {
  const bytes = Buffer.from(canonicalJson(BenchTokenClaims.parse(claims)));
  return `${bytes.toString('base64url')}.${sign(null, message(bytes), createPrivateKey(privateKeyPem)).toString('base64url')}`;
}

/**
 * Check a token: signature, then that it names this gateway and station and was valid at `atMs` (the event's time at
 * the bench). `receivedMs`, at the hub: the finding reached the hub after the token was issued and not long after it
 * expired. Never throws: a bad token is an answer, not an error.
 */
export function verifyBenchToken(token: string, publicKeyPem: string, expect: { gatewayId: string; stationId: string; atMs: number; receivedMs?: number }): BenchTokenCheck {
  if (typeof token !== 'string' || token.length > BENCH_TOKEN_MAX_CHARS || !BENCH_TOKEN_PATTERN.test(token)) return { ok: false, reason: 'malformed' };
  const [body, sig] = token.split('.') as [string, string];
  const bytes = Buffer.from(body, 'base64url');
  let good: boolean;
  try {
    good = verify(null, message(bytes), createPublicKey(publicKeyPem), Buffer.from(sig, 'base64url'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad_signature' };
  let claims: BenchTokenClaims;
  try {
    const parsed = BenchTokenClaims.safeParse(JSON.parse(bytes.toString('utf8')));
    if (!parsed.success) return { ok: false, reason: 'malformed' };
    claims = parsed.data;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.gatewayId !== expect.gatewayId) return { ok: false, reason: 'wrong_gateway' };
  if (claims.stationId !== expect.stationId) return { ok: false, reason: 'wrong_station' };
  if (expect.atMs < claims.issuedAtMs - BENCH_TOKEN_SKEW_MS) return { ok: false, reason: 'not_yet_valid' };
  if (expect.receivedMs !== undefined && expect.receivedMs < claims.issuedAtMs) return { ok: false, reason: 'not_yet_valid' };
  if (expect.atMs >= claims.expiresAtMs) return { ok: false, reason: 'expired' };
  if (expect.receivedMs !== undefined && expect.receivedMs > claims.expiresAtMs + BENCH_TOKEN_MAX_DELIVERY_DELAY_MS) return { ok: false, reason: 'delivered_too_late' };
  return { ok: true, claims };
}
