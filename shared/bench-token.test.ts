import { createPrivateKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.ts';
import { generateJournalKeys } from './journal-chain.ts';
import { BENCH_TOKEN_MAX_DELIVERY_DELAY_MS, signBenchToken, verifyBenchToken, type BenchTokenClaims } from './bench-token.ts';

const key = generateJournalKeys();
const claims: BenchTokenClaims = { v: 1, officer: 'officer-1', gatewayId: 'GW-1', stationId: 'BENCH-1', issuedAtMs: 1_000_000, expiresAtMs: 1_000_000 + 12 * 3600_000 };
const at = (atMs: number, more: { gatewayId?: string; stationId?: string; receivedMs?: number } = {}) => ({ gatewayId: 'GW-1', stationId: 'BENCH-1', atMs, ...more });

describe('bench tokens', () => {
  const token = signBenchToken(claims, key.privateKeyPem);

  it('verifies for its gateway and station while valid, and says why not otherwise', () => {
    expect(verifyBenchToken(token, key.publicKeyPem, at(2_000_000, { receivedMs: 2_000_000 }))).toEqual({ ok: true, claims });
    expect(verifyBenchToken(token, key.publicKeyPem, at(2_000_000, { gatewayId: 'GW-2' }))).toEqual({ ok: false, reason: 'wrong_gateway' });
    expect(verifyBenchToken(token, key.publicKeyPem, at(2_000_000, { stationId: 'LINE-1' }))).toEqual({ ok: false, reason: 'wrong_station' });
    expect(verifyBenchToken(token, key.publicKeyPem, at(claims.expiresAtMs))).toEqual({ ok: false, reason: 'expired' });
    expect(verifyBenchToken(token, key.publicKeyPem, at(claims.issuedAtMs - 10 * 60_000))).toEqual({ ok: false, reason: 'not_yet_valid' });
    // Received by the hub before it was issued: the event time was back-dated.
    expect(verifyBenchToken(token, key.publicKeyPem, at(claims.issuedAtMs, { receivedMs: claims.issuedAtMs - 1 }))).toEqual({ ok: false, reason: 'not_yet_valid' });
    expect(verifyBenchToken(token, key.publicKeyPem, at(2_000_000, { receivedMs: claims.expiresAtMs + BENCH_TOKEN_MAX_DELIVERY_DELAY_MS + 1 }))).toEqual({ ok: false, reason: 'delivered_too_late' });
  });

  it('refuses another key, an edited claim, garbage, and a signature over the same bytes in another domain', () => {
    expect(verifyBenchToken(token, generateJournalKeys().publicKeyPem, at(2_000_000))).toEqual({ ok: false, reason: 'bad_signature' });
    const [, sig] = token.split('.');
    const edited = `${Buffer.from(canonicalJson({ ...claims, officer: 'chief' })).toString('base64url')}.${sig}`;
    expect(verifyBenchToken(edited, key.publicKeyPem, at(2_000_000))).toEqual({ ok: false, reason: 'bad_signature' });
    for (const junk of ['', 'x', 'a.b', `${'A'.repeat(2000)}.${sig}`, token.replace('.', '..')]) expect(verifyBenchToken(junk, key.publicKeyPem, at(2_000_000))).toMatchObject({ ok: false });
    const bytes = Buffer.from(canonicalJson(claims));
    const undomained = `${bytes.toString('base64url')}.${sign(null, bytes, createPrivateKey(key.privateKeyPem)).toString('base64url')}`;
    expect(verifyBenchToken(undomained, key.publicKeyPem, at(2_000_000))).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
