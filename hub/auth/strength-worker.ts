import { parentPort } from 'node:worker_threads';
import { estimate } from './strength.ts';

/** The strength estimator's thread (strength-pool.ts): one request at a time, answered in order. */
parentPort!.on('message', (m: { id: number; username: string; password: string }) => {
  parentPort!.postMessage({ id: m.id, result: estimate(m.username, m.password) });
});
