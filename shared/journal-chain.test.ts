import { describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH } from './canonical.ts';
import { checkEntry, entryHash, generateJournalKeys, hashMatches, sealEnvelope, signCheckpoint, verifyCheckpoint, type EnvelopeFields } from './journal-chain.ts';

const envelope = (over: Partial<EnvelopeFields> = {}): EnvelopeFields => ({
  id: '0190b9d8-7d5e-7000-8000-0000000000aa',
  gatewayId: 'GW-1',
  seq: 7,
  type: 'parcel.weighed',
  stationId: 'LINE-1',
  deviceId: 'scale-1',
  parcelKey: 'EA123456785CN',
  time: { wallMs: 1_790_000_000_000, hlc: '001790000000000.00000', bootId: 'b', uptimeMs: 5, clockSynced: true },
  payload: { stable: true, grossWeightKg: 1.25 },
  prevHash: GENESIS_HASH,
  ...over,
});

describe('journal hash chain', () => {
  it('sealEnvelope writes exactly the canonical JSON and its hash', () => {
    for (const e of [envelope(), envelope({ deviceId: undefined, parcelKey: undefined }), envelope({ stationId: '查验线 "1"', payload: { z: [1, { b: 2, a: 1 }], a: null } })]) {
      const sealed = sealEnvelope(e);
      const parsed = JSON.parse(sealed.json) as Record<string, unknown>;
      const { hash, ...rest } = parsed;
      expect(hash).toBe(sealed.hash);
      expect(sealed.json.startsWith(canonicalJson(rest).slice(0, -1))).toBe(true);
      expect(entryHash(rest)).toBe(sealed.hash);
      expect(hashMatches(parsed)).toBe(true);
    }
  });

  it('detects an edited, a removed and an added field', () => {
    const entry = JSON.parse(sealEnvelope(envelope()).json) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(hashMatches({ ...entry, payload: { ...entry.payload, grossWeightKg: 1.5 } })).toBe(false);
    const { deviceId: _d, ...removed } = entry;
    expect(hashMatches(removed)).toBe(false);
    expect(hashMatches({ ...entry, extra: 1 })).toBe(false);
    expect(hashMatches({ ...entry, prevHash: 'f'.repeat(64) })).toBe(false);
    expect(hashMatches({ ...entry, hash: undefined })).toBe(false);
  });

  it('checkEntry returns the text the edge wrote', () => {
    const sealed = sealEnvelope(envelope());
    const r = checkEntry(JSON.parse(sealed.json));
    expect(r).toEqual({ ok: true, json: sealed.json });
  });

  it('signs and verifies checkpoints; a wrong key or an altered body fails', () => {
    const keys = generateJournalKeys();
    const other = generateJournalKeys();
    const body = { gatewayId: 'GW-1', seq: 42, hash: 'a'.repeat(64), wallMs: 1 };
    const sig = signCheckpoint(body, keys.privateKeyPem);
    expect(verifyCheckpoint(body, sig, keys.publicKeyPem)).toBe(true);
    expect(verifyCheckpoint(body, sig, other.publicKeyPem)).toBe(false);
    expect(verifyCheckpoint({ ...body, seq: 43 }, sig, keys.publicKeyPem)).toBe(false);
    expect(verifyCheckpoint(body, 'not-a-signature', keys.publicKeyPem)).toBe(false);
    expect(verifyCheckpoint(body, sig, 'not a key')).toBe(false);
  });
});
