import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../shared/canonical.ts';

/**
 * The hub's audit trail (issue 5, "Trust"): every decision and officer action appended to a hash chain, each entry
 * carrying the hash of the one before, so an edited, deleted or reordered entry breaks the chain at that point.
 * Pure: hashing and verification; storage keeps the rows (hub/storage, `appendAudit`).
 */
export const GENESIS = '0'.repeat(64);

export const AuditInput = z.object({
  actor: z.string().min(1).max(128).describe('the user or service that acted (e.g. officer username, "risk-engine")'),
  action: z.string().min(1).max(64),
  subject: z.string().min(1).max(128).describe('what it acted on: a parcel key, slip number, feed key'),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type AuditInput = z.input<typeof AuditInput>;

export interface AuditEntry {
  seq: number;
  atMs: number;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export function auditHash(e: Omit<AuditEntry, 'hash'>): string {
  const { prevHash, ...body } = e;
  return sha256Hex(`${prevHash}\n${canonicalJson(body)}`);
}

export function sealAudit(prev: { seq: number; hash: string } | undefined, input: AuditInput, atMs: number): AuditEntry {
  const i = AuditInput.parse(input);
  const unsealed = { seq: (prev?.seq ?? 0) + 1, atMs, actor: i.actor, action: i.action, subject: i.subject, detail: i.detail, prevHash: prev?.hash ?? GENESIS };
  return { ...unsealed, hash: auditHash(unsealed) };
}

export type AuditVerdict =
  | { ok: true; checked: number; headHash: string; /** the signed head checkpoint the chain reaches, if any */ checkpoint?: { seq: number; atMs: number } }
  | { ok: false; checked: number; firstBad: { seq: number; reason: string } };

/**
 * Pure, incremental: verify entries in seq order, continuing from `from` (the last verified entry, or none). The
 * first entry that does not hash to itself, does not point at its predecessor, or leaves a gap is reported.
 */
export function verifyAudit(entries: Iterable<AuditEntry>, from?: { seq: number; hash: string }): AuditVerdict {
  let prev = from ?? { seq: 0, hash: GENESIS };
  let checked = 0;
  for (const e of entries) {
    if (e.seq !== prev.seq + 1) return { ok: false, checked, firstBad: { seq: prev.seq + 1, reason: `entry ${prev.seq + 1} is missing (next stored is ${e.seq})` } };
    if (e.prevHash !== prev.hash) return { ok: false, checked, firstBad: { seq: e.seq, reason: 'prevHash does not match the previous entry: an entry before it was changed or removed' } };
    const { hash, ...rest } = e;
    if (auditHash(rest) !== hash) return { ok: false, checked, firstBad: { seq: e.seq, reason: 'content does not match its hash: this entry was edited' } };
    prev = { seq: e.seq, hash };
    checked += 1;
  }
  return { ok: true, checked, headHash: prev.hash };
}

/**
 * The chain alone cannot show that its newest entries were deleted: what is left is a valid, shorter chain. The hub
 * therefore signs checkpoints of the head (seq, hash) with its own Ed25519 key (the rules-signing key) and keeps them
 * apart from the audit table (hub/audit-anchor.ts), as a gateway signs checkpoints of its journal: a chain that ends
 * below the newest checkpoint, or holds another entry at its seq, was truncated or rewritten.
 */
export const AuditCheckpoint = z.object({
  seq: z.number().int().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  atMs: z.number().int().min(0),
  keyId: z.string().min(1).max(64),
  signature: z.string().min(1).max(256),
});
export type AuditCheckpoint = z.infer<typeof AuditCheckpoint>;

/** What verification knows of the head: no checkpoint yet, a checkpoint whose signature verified, or one that did not. */
export type AuditHeadAnchor = { status: 'none' } | { status: 'signed'; checkpoint: AuditCheckpoint } | { status: 'bad'; reason: string };

// A purpose tag in the signed text: a signature over a station rules document can never pass for a checkpoint.
const checkpointMessage = (c: { seq: number; hash: string; atMs: number }) => Buffer.from(canonicalJson({ purpose: 'bondgate.audit-head', seq: c.seq, hash: c.hash, atMs: c.atMs }));

export function signAuditCheckpoint(head: { seq: number; hash: string }, atMs: number, key: { privateKeyPem: string; keyId: string }): AuditCheckpoint {
  const body = { seq: head.seq, hash: head.hash, atMs };
  return { ...body, keyId: key.keyId, signature: sign(null, checkpointMessage(body), createPrivateKey(key.privateKeyPem)).toString('base64') };
}

/** Parse a stored checkpoint and check its signature against the hub's public key. */
export function anchorOf(stored: unknown, publicKeyPem: string): AuditHeadAnchor {
  const cp = AuditCheckpoint.safeParse(stored);
  if (!cp.success) return { status: 'bad', reason: 'the audit head checkpoint is not a checkpoint (altered or damaged)' };
  let ok = false;
  try {
    ok = verify(null, checkpointMessage(cp.data), createPublicKey(publicKeyPem), Buffer.from(cp.data.signature, 'base64'));
  } catch {
    ok = false; // a malformed key or signature is a signature that does not verify
  }
  return ok ? { status: 'signed', checkpoint: cp.data } : { status: 'bad', reason: `the audit head checkpoint (entry ${cp.data.seq}) is not signed by this hub's key: it was altered` };
}

/**
 * Pure: hold a verified chain (its head seq, and the hash of its entry at the checkpoint's seq if it has one)
 * against the newest signed checkpoint. Returns the first problem, or nothing.
 */
export function checkAuditHead(chain: { headSeq: number; hashAtCheckpoint: string | undefined }, anchor: AuditHeadAnchor): { seq: number; reason: string } | undefined {
  if (anchor.status === 'none') return undefined;
  if (anchor.status === 'bad') return { seq: chain.headSeq, reason: anchor.reason };
  const cp = anchor.checkpoint;
  const at = new Date(cp.atMs).toISOString();
  if (chain.headSeq < cp.seq) {
    const missing = chain.headSeq + 1 === cp.seq ? `entry ${cp.seq} is` : `entries ${chain.headSeq + 1}..${cp.seq} are`;
    return { seq: chain.headSeq + 1, reason: `${missing} missing: the chain ends at entry ${chain.headSeq}, below the head the hub signed at ${at} (entry ${cp.seq}); the newest entries were deleted` };
  }
  if (chain.hashAtCheckpoint !== cp.hash) return { seq: cp.seq, reason: `this entry is not the one the hub signed as the head at ${at}: entries up to it were deleted and others appended in their place` };
  return undefined;
}
