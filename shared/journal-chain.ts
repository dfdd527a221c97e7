import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson, sha256Hex } from './canonical.ts';

/**
 * The tamper-evident journal. Each entry's hash covers the previous entry's hash and the entry itself
 * (canonical JSON without its own `hash`), so editing, removing or reordering a row breaks the chain.
 * Signed checkpoints (Ed25519, one key per gateway) pin the chain head: a gateway's whole journal can
 * be re-verified from the last checkpoint even after the rows themselves were pruned.
 */
export function entryHash(entryWithoutHash: Record<string, unknown>): string {
  const prev = entryWithoutHash.prevHash;
  if (typeof prev !== 'string') throw new Error('entry has no prevHash');
  return sha256Hex(`${prev}\n${canonicalJson(entryWithoutHash)}`);
}

/**
 * Hash an entry and serialise it in one pass: the canonical text is hashed, and the stored/sent JSON is that
 * same text with `hash` appended — the edge serialises each event once.
 */
export function sealEntry(entryWithoutHash: Record<string, unknown>): { hash: string; json: string } {
  const prev = entryWithoutHash.prevHash;
  if (typeof prev !== 'string') throw new Error('entry has no prevHash');
  const canonical = canonicalJson(entryWithoutHash);
  const hash = sha256Hex(`${prev}\n${canonical}`);
  return { hash, json: `${canonical.slice(0, -1)},"hash":"${hash}"}` };
}

/** The envelope fields the edge writes, in the shape `sealEnvelope` serialises. */
export interface EnvelopeFields {
  id: string;
  gatewayId: string;
  seq: number;
  type: string;
  stationId: string;
  deviceId?: string | undefined;
  parcelKey?: string | undefined;
  time: { wallMs: number; hlc: string; bootId: string; uptimeMs: number; clockSynced: boolean };
  payload: unknown;
  prevHash: string;
}

const q = JSON.stringify;
/**
 * `sealEntry` for the edge's own envelope, with the canonical text written out by hand (keys in sorted order):
 * it is the journal's hot path, and the generic canonicalJson walk cost as much as the SQLite insert.
 * journal-chain.test.ts checks it is byte-for-byte `canonicalJson`.
 */
export function sealEnvelope(e: EnvelopeFields): { hash: string; json: string } {
  const t = e.time;
  const canonical =
    `{${e.deviceId !== undefined ? `"deviceId":${q(e.deviceId)},` : ''}"gatewayId":${q(e.gatewayId)},"id":${q(e.id)},` +
    `${e.parcelKey !== undefined ? `"parcelKey":${q(e.parcelKey)},` : ''}"payload":${canonicalJson(e.payload)},"prevHash":${q(e.prevHash)},` +
    `"seq":${e.seq},"stationId":${q(e.stationId)},"time":{"bootId":${q(t.bootId)},"clockSynced":${t.clockSynced},"hlc":${q(t.hlc)},` +
    `"uptimeMs":${t.uptimeMs},"wallMs":${t.wallMs}},"type":${q(e.type)}}`;
  const hash = sha256Hex(`${e.prevHash}\n${canonical}`);
  return { hash, json: `${canonical.slice(0, -1)},"hash":"${hash}"}` };
}

/** Recompute an entry's hash from what arrived (the raw parsed JSON, before any schema stripped fields). */
export function hashMatches(raw: Record<string, unknown>): boolean {
  return checkEntry(raw).ok;
}

/**
 * Check an entry's hash and return its canonical JSON (with the hash appended, as the edge wrote it), so the
 * hub stores that text instead of serialising the entry a second time.
 */
export function checkEntry(raw: Record<string, unknown>): { ok: boolean; json: string } {
  const { hash, ...rest } = raw;
  try {
    const canonical = canonicalJson(rest);
    const prev = rest.prevHash;
    const ok = typeof hash === 'string' && typeof prev === 'string' && sha256Hex(`${prev}\n${canonical}`) === hash;
    return { ok, json: hash === undefined ? canonical : `${canonical.slice(0, -1)},"hash":${JSON.stringify(hash)}}` };
  } catch {
    return { ok: false, json: JSON.stringify(raw) };
  }
}

export interface CheckpointBody { gatewayId: string; seq: number; hash: string; wallMs: number }

function checkpointMessage(body: CheckpointBody): Buffer {
  return Buffer.from(canonicalJson({ gatewayId: body.gatewayId, seq: body.seq, hash: body.hash, wallMs: body.wallMs }));
}

export function generateJournalKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function signCheckpoint(body: CheckpointBody, privateKeyPem: string | KeyObject): string {
  const key = typeof privateKeyPem === 'string' ? createPrivateKey(privateKeyPem) : privateKeyPem;
  return sign(null, checkpointMessage(body), key).toString('base64');
}

export function verifyCheckpoint(body: CheckpointBody, signatureB64: string, publicKeyPem: string): boolean {
  try {
    return verify(null, checkpointMessage(body), createPublicKey(publicKeyPem), Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}
