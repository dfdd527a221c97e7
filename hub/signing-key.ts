import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateJournalKeys } from '../shared/journal-chain.ts';

/**
 * The hub's Ed25519 key for signing station rules: made once, kept in the data directory (mode 0600), identified by
 * the first 16 hex digits of its public key's SHA-256 so a gateway can tell which key signed what.
 */
export function loadOrCreateSigningKey(dataDir: string): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  mkdirSync(dataDir, { recursive: true });
  const priv = join(dataDir, 'rules-signing-key.pem');
  const pub = join(dataDir, 'rules-signing-key.pub.pem');
  if (!existsSync(priv) || !existsSync(pub)) {
    const k = generateJournalKeys();
    writeFileSync(priv, k.privateKeyPem, { mode: 0o600 });
    chmodSync(priv, 0o600);
    writeFileSync(pub, k.publicKeyPem);
  }
  const publicKeyPem = readFileSync(pub, 'utf8');
  return { privateKeyPem: readFileSync(priv, 'utf8'), publicKeyPem, keyId: createHash('sha256').update(publicKeyPem).digest('hex').slice(0, 16) };
}
