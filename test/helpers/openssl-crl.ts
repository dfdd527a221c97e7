import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPki } from '../../hub/eport/test-pki.ts';

/** Why OpenSSL cannot make the test CRLs here, or undefined when it can (SM2 needs OpenSSL ≥ 1.1.1 built with it). */
export function opensslCrlUnavailable(): string | undefined {
  const v = spawnSync('openssl', ['ecparam', '-list_curves'], { encoding: 'utf8' });
  if (v.error) return 'openssl is not installed';
  return /\bSM2\b/.test(v.stdout) ? undefined : 'this openssl has no SM2 curve';
}

/** OpenSSL's index wants whole bytes of hex. */
const evenHex = (n: bigint) => {
  const h = n.toString(16).toUpperCase();
  return h.length % 2 ? `0${h}` : h;
};
const stamp = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

/**
 * A CRL of `pki`'s CA made by OpenSSL (`openssl ca -gencrl`, SM2-with-SM3 with the standard distinguishing ID), an
 * implementation independent of hub/eport/crl.ts. `revoked`: serials (bigint) with their revocation time and reason
 * (an RFC 5280 reason name, as OpenSSL's index writes it). `lastUpdateMs`/`nextUpdateMs` set the CRL's window.
 */
export function opensslCrl(pki: TestPki, o: { revoked: { serial: bigint; atMs: number; reason?: string }[]; lastUpdateMs: number; nextUpdateMs: number; form?: 'PEM' | 'DER' }): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'bg-crl-'));
  try {
    writeFileSync(join(dir, 'ca.pem'), pki.caPem);
    writeFileSync(join(dir, 'ca.key'), pki.caPrivateKeyPem);
    // index.txt: status, expiry, revocation[,reason], serial (hex), file, subject — tab-separated.
    const index = o.revoked.map((r) => `R\t${stamp(o.nextUpdateMs + 365 * 86_400_000).slice(2)}\t${stamp(r.atMs).slice(2)}${r.reason ? `,${r.reason}` : ''}\t${evenHex(r.serial)}\tunknown\t/CN=revoked-${r.serial}\n`).join('');
    writeFileSync(join(dir, 'index.txt'), index);
    writeFileSync(join(dir, 'crlnumber'), '01\n');
    writeFileSync(join(dir, 'ca.cnf'), `[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = ${join(dir, 'index.txt')}\ncrlnumber = ${join(dir, 'crlnumber')}\ndefault_md = sm3\n`);
    const r = spawnSync('openssl', ['ca', '-gencrl', '-batch', '-config', join(dir, 'ca.cnf'), '-keyfile', join(dir, 'ca.key'), '-cert', join(dir, 'ca.pem'), '-sigopt', 'distid:1234567812345678', '-crl_lastupdate', stamp(o.lastUpdateMs), '-crl_nextupdate', stamp(o.nextUpdateMs), '-out', join(dir, 'crl.pem')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ca -gencrl failed: ${r.stderr}`);
    if (o.form !== 'DER') return new Uint8Array(readFileSync(join(dir, 'crl.pem')));
    const d = spawnSync('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-outform', 'DER']);
    if (d.status !== 0) throw new Error(`openssl crl -outform DER failed: ${String(d.stderr)}`);
    return new Uint8Array(d.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
