import { parentPort, workerData } from 'node:worker_threads';
import { TrustStore } from '../eport/trust.ts';
import { mapAndCheck, type SignatureSettings } from './ceb-pool.ts';

/**
 * Runs cebToDocuments (decode, parse, XSD checks, mapping) and the signature check (C14N, SM3, SM2) off the hub's
 * main thread; see ceb-pool.ts. The trust store is built once per worker from the certificates the pool passed.
 */
const settings = ((workerData as { signatures?: SignatureSettings } | null)?.signatures ?? {}) as SignatureSettings;
const trust = new TrustStore(settings.trust);

parentPort!.on('message', (m: { id: number; xml: Uint8Array | string }) => {
  parentPort!.postMessage({ id: m.id, result: mapAndCheck(m.xml, trust, settings, Date.now()) });
});
