import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted, no whitespace, undefined members dropped. The journal hash is
 * taken over this form so that edge and hub agree on it whatever key order a serializer produced.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('non-finite number in canonical JSON');
    return JSON.stringify(value);
  }
  // Hot path on both sides of the sync (every event is hashed at the edge and again at the hub): plain loops,
  // no intermediate arrays beyond the key list, quoted keys cached.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = value[i];
      out += v === undefined ? 'null' : canonicalJson(v);
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += quotedKey(k);
    out += ':';
    out += canonicalJson(v);
  }
  return `${out}}`;
}

const keyCache = new Map<string, string>();
function quotedKey(k: string): string {
  let q = keyCache.get(k);
  if (q === undefined) {
    q = `${JSON.stringify(k)}`;
    if (keyCache.size < 1000) keyCache.set(k, q);
  }
  return q;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The hash of the row before the first one: a gateway's chain starts here. */
export const GENESIS_HASH = '0'.repeat(64);
