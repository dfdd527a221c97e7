import { createPrivateKey } from 'node:crypto';
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

  it('entryHash changes when a field is edited, removed or added, at any depth', () => {
    const { hash: _h, ...entry } = JSON.parse(sealEnvelope(envelope()).json) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const original = entryHash(entry);
    const { parcelKey: _p, ...removed } = entry;
    const variants = [
      { ...entry, stationId: 'LINE-2' },
      { ...entry, time: { ...entry.time, clockSynced: false } },
      removed,
      { ...entry, payload: { ...entry.payload, resolutionKg: 0.01 } },
      { ...entry, extra: null },
    ];
    for (const v of variants) expect(entryHash(v)).not.toBe(original);
    // Key order alone is not an edit.
    expect(entryHash(Object.fromEntries(Object.entries(entry).reverse()))).toBe(original);
    expect(() => entryHash({ seq: 1 })).toThrow();
  });

  it('links entries: each prevHash is the previous hash, and a removed row breaks the link', () => {
    let prevHash = GENESIS_HASH;
    const chain: Record<string, unknown>[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      const sealed = sealEnvelope(envelope({ seq, prevHash }));
      chain.push(JSON.parse(sealed.json) as Record<string, unknown>);
      prevHash = sealed.hash;
    }
    expect(chain.every(hashMatches)).toBe(true);
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.prevHash).toBe(chain[i - 1]!.hash);
    // Dropping row 2: row 3 still verifies on its own, but no longer links to row 1.
    expect(chain[2]!.prevHash).not.toBe(chain[0]!.hash);
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
    for (const altered of [{ hash: 'b'.repeat(64) }, { gatewayId: 'GW-2' }, { wallMs: 2 }]) {
      expect(verifyCheckpoint({ ...body, ...altered }, sig, keys.publicKeyPem)).toBe(false);
    }
    const flipped = Buffer.from(sig, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(verifyCheckpoint(body, flipped.toString('base64'), keys.publicKeyPem)).toBe(false);
  });

  it('signs with a KeyObject as well as PEM, and ignores extra body members', () => {
    const keys = generateJournalKeys();
    const body = { gatewayId: 'GW-1', seq: 1, hash: GENESIS_HASH, wallMs: 5 };
    const sig = signCheckpoint(body, createPrivateKey(keys.privateKeyPem));
    expect(verifyCheckpoint(body, sig, keys.publicKeyPem)).toBe(true);
    // Only the four pinned fields are signed: what travels alongside (v, signature) does not matter.
    expect(verifyCheckpoint({ ...body, v: 1 } as typeof body, sig, keys.publicKeyPem)).toBe(true);
  });
});
