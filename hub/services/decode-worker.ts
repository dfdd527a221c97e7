import { parentPort } from 'node:worker_threads';
import { prepareEventsMessage } from './prepare-batch.ts';

/** Runs prepareEventsMessage off the hub's main thread; see decode-pool.ts. */
parentPort!.on('message', (m: { id: number; gatewayId: string; payload: Uint8Array }) => {
  parentPort!.postMessage({ id: m.id, result: prepareEventsMessage(m.gatewayId, m.payload) });
});
