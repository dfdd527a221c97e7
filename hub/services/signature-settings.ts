import { readFileSync } from 'node:fs';
import type { HubConfig } from '../config.ts';
import { TrustStore } from '../eport/trust.ts';
import { ALGORITHMS } from '../eport/xmldsig.ts';
import type { SignatureSettings } from './ceb-pool.ts';

/**
 * The configured trust for message signatures, read once at start: the certificate files' bytes (they go to the XML
 * workers) and the algorithm table with the site's URIs over the built-in ones. A file that cannot be read or holds
 * no certificate stops the hub with its name, rather than leaving every signature silently unverified.
 */
export function loadSignatureSettings(c: HubConfig['signatures']): SignatureSettings {
  const read = (files: readonly string[], what = 'certificate') =>
    files.map((f) => {
      try {
        return new Uint8Array(readFileSync(f));
      } catch (e) {
        throw new Error(`signatures: cannot read ${what} file ${f}: ${(e as Error).message}`);
      }
    });
  const trust = { anchors: read(c.trustAnchors), intermediates: read(c.intermediates), pinned: read(c.pinned), crls: read(c.crls, 'CRL') };
  try {
    new TrustStore(trust); // parse now, in the main thread, so a bad file fails the start and not each worker
  } catch (e) {
    throw new Error(`signatures: a configured certificate or CRL file is not usable: ${(e as Error).message}`);
  }
  return { trust, algorithms: { digest: { ...ALGORITHMS.digest, ...c.algorithms.digest }, signature: { ...ALGORITHMS.signature, ...c.algorithms.signature } } };
}
