import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { cebToDocuments } from '../hub/customs/ceb/to-documents.ts';
import { Sm2FileSigner } from '../hub/eport/file-signer.ts';
import { makeTestPki } from '../hub/eport/test-pki.ts';
import { TrustStore } from '../hub/eport/trust.ts';
import { mapAndCheck } from '../hub/services/ceb-pool.ts';
import { fmt, line } from './stats.ts';

/**
 * What the signature check adds to one CEB message in a worker (issue 15 item 7): mapAndCheck (parse, XSD rules, map,
 * then C14N + SM3 + SM2) against cebToDocuments alone — the reference, same run, same messages. Messages: a CEB621
 * (the message the e-port signs), unsigned, signed by a trusted signer (the key prepared from its second message on),
 * and signed by a signer nobody trusts (verified against its own certificate, never prepared).
 */
export async function benchSignatures(): Promise<void> {
  const now = Date.now();
  const pki = makeTestPki({ nowMs: now });
  const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
  const unsigned = fixtureXml('CEB621').replace(/\s*<ds:Signature[\s\S]*<\/ds:Signature>/, '');
  const signed = signer.signNow(unsigned);
  const trust = new TrustStore({ anchors: [pki.caPem] });
  const nobody = new TrustStore();
  const N = Number(process.env.BENCH_SIG_N ?? 400);
  const rate = (fn: () => unknown) => {
    for (let i = 0; i < 20; i++) fn();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) fn();
    return N / ((performance.now() - t0) / 1000);
  };
  const bytes = (x: string) => Buffer.from(x, 'utf8');
  console.log(`\n## Message signatures: CEB621 (${fmt(bytes(signed).length)} bytes signed) per second in one thread, ${N} each`);
  const ref = rate(() => cebToDocuments(bytes(signed)));
  const checks: [string, () => unknown][] = [
    ['unsigned: map + check (absent)', () => mapAndCheck(bytes(unsigned), trust, {}, now)],
    ['signed, trusted: map + check (verified)', () => mapAndCheck(bytes(signed), trust, {}, now)],
    ['signed, untrusted: map + check (unverified)', () => mapAndCheck(bytes(signed), nobody, {}, now)],
  ];
  line('reference: cebToDocuments alone (signed message)', `${fmt(ref)} msg/s`);
  for (const [label, fn] of checks) {
    const r = rate(fn);
    line(label, `${fmt(r)} msg/s`, `${fmt(r / ref, 2)}× reference`);
  }
}
