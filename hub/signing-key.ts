import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateJournalKeys } from '../shared/journal-chain.ts';
import { ensurePrivateDir, makePrivate, writePrivateFile } from '../shared/private-files.ts';

/**
 * The hub's Ed25519 key for signing station rules: made once, kept in the data directory (mode 0600, the directory 0700), identified by
 * the first 16 hex digits of its public key's SHA-256 so a gateway can tell which key signed what.
 */
/** The public half alone, for tools that check what the hub signed (`bondgate audit verify`); undefined if none yet. */
export function readSigningPublicKey(dataDir: string): string | undefined {
  const pub = join(dataDir, 'rules-signing-key.pub.pem');
  return existsSync(pub) ? readFileSync(pub, 'utf8') : undefined;
}

export function loadOrCreateSigningKey(dataDir: string): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  ensurePrivateDir(dataDir);
  const priv = join(dataDir, 'rules-signing-key.pem');
  const pub = join(dataDir, 'rules-signing-key.pub.pem');
  if (!existsSync(priv) || !existsSync(pub)) {
    const k = generateJournalKeys();
    writePrivateFile(priv, k.privateKeyPem);
    writeFileSync(pub, k.publicKeyPem);
  }
  makePrivate(priv); // a key written by an older version may be world-readable
  const publicKeyPem = readFileSync(pub, 'utf8');
  return { privateKeyPem: readFileSync(priv, 'utf8'), publicKeyPem, keyId: createHash('sha256').update(publicKeyPem).digest('hex').slice(0, 16) };
}
