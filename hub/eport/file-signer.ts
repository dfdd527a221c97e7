import type { Signer } from '../customs/ceb/generate.ts';
import { loadSm2PrivateKey, sm2Sign, type Sm2PrivateKey } from './sm2.ts';
import { EPORT_2022, prepareEnvelopedSignature, type EnvelopedSignatureSpec } from './xmldsig.ts';
import { loadCertificate, type Certificate } from './x509.ts';

/**
 * A software signer: an SM2 key in a file and its certificate (sites with a soft certificate, tests, issue 18's card
 * simulator). Signs as the card does — SM2 with the standard ID over the canonical SignedInfo, the value as raw
 * r‖s in base64 — and writes KeyInfo with the certificate number (KeyName) and the certificate.
 */
export class Sm2FileSigner implements Signer {
  readonly signs = true;
  private readonly key: Sm2PrivateKey;
  readonly certificate: Certificate;

  constructor(o: { privateKey: string | Uint8Array; certificate: string | Uint8Array; spec?: EnvelopedSignatureSpec }) {
    this.key = loadSm2PrivateKey(o.privateKey);
    this.certificate = loadCertificate(o.certificate);
    const cert = this.certificate.publicKey;
    if (cert.kind !== 'sm2' || !Buffer.from(cert.point).equals(Buffer.from(this.key.publicKey.point))) throw new Error('the certificate is not the one of this SM2 key');
    this.spec = o.spec ?? EPORT_2022;
  }

  private readonly spec: EnvelopedSignatureSpec;

  async sign(xml: string): Promise<string> {
    return this.signNow(xml);
  }

  signNow(xml: string): string {
    const prepared = prepareEnvelopedSignature(xml, this.spec);
    const value = sm2Sign(prepared.signedInfo, this.key).toString('base64');
    return prepared.complete(value, { keyName: this.certificate.serialNumber.toLowerCase(), certificate: this.certificate.der });
  }
}
