import { generateSm2KeyPair, loadSm2PrivateKey } from './sm2.ts';
import { buildSm2Certificate, certificatePem } from './x509.ts';

/**
 * A throw-away e-port PKI made in code: a CA and a signer certificate under it (SM2-with-SM3), for tests and the
 * simulators. NOT the e-port's: nothing here is trusted unless a test or a demo configures it.
 */
export interface TestPki {
  caPem: string;
  /** The CA's key (PKCS#8 PEM), for tests that make CRLs with OpenSSL. */
  caPrivateKeyPem: string;
  signer: { privateKeyPem: string; certificatePem: string; serial: bigint };
}

export function makeTestPki(o: { nowMs: number; validDays?: number; signerCn?: string; caCn?: string; serial?: bigint }): TestPki {
  const days = (o.validDays ?? 365) * 86_400_000;
  const ca = generateSm2KeyPair();
  const caKey = loadSm2PrivateKey(ca.privateKeyPem);
  const caCn = o.caCn ?? 'Bondgate Test E-Port CA';
  const caDer = buildSm2Certificate({ subjectCn: caCn, publicKey: caKey.publicKey, selfKey: caKey, serial: 1n, notBeforeMs: o.nowMs - 86_400_000, notAfterMs: o.nowMs + days, ca: true });
  const signer = generateSm2KeyPair();
  const serial = o.serial ?? 0x03000000000cde6fn;
  const signerDer = buildSm2Certificate({
    subjectCn: o.signerCn ?? 'Test Enterprise 3318960CD2',
    publicKey: loadSm2PrivateKey(signer.privateKeyPem).publicKey,
    issuer: { cn: caCn, key: caKey },
    serial,
    notBeforeMs: o.nowMs - 86_400_000,
    notAfterMs: o.nowMs + days,
  });
  return { caPem: certificatePem(caDer), caPrivateKeyPem: ca.privateKeyPem, signer: { privateKeyPem: signer.privateKeyPem, certificatePem: certificatePem(signerDer), serial } };
}
