import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { cebToDocuments } from '../customs/ceb/to-documents.ts';

/** Runs cebToDocuments (decode, parse, XSD checks, mapping) off the hub's main thread; see ceb-pool.ts. */
parentPort!.on('message', (m: { id: number; xml: Uint8Array | string }) => {
  const sha256 = createHash('sha256').update(m.xml).digest('hex');
  parentPort!.postMessage({ id: m.id, result: cebToDocuments(m.xml), sha256 });
});
