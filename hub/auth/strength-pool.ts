import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../shared/worker-module.ts';
import type { StrengthEstimate } from './strength.ts';

/** A strength worker unused this long is ended, and its isolate's memory (the ranked dictionaries) with it. */
export const STRENGTH_WORKER_IDLE_MS = 60_000;

/**
 * The password-strength estimate on a thread of its own, started with the first password to check and ended when
 * none has come for STRENGTH_WORKER_IDLE_MS.
 *
 * Why a thread that ends: the estimator's dictionaries take ~0.5 s to load and rank, and ~30 MiB of heap (heap
 * snapshot of an idle hub: 15 MiB of property tables, 270,000 word strings). On the main thread that was half a second
 * of the broker, ingest and health not being served when an admin set a password, and — since a fresh hub checks its
 * first admin's password at start-up — 30 MiB carried by every hub for good (an ES module's memory is never given
 * back; dropping CommonJS modules from the require cache only helps after a major GC an idle hub may not do for hours).
 * Ending the worker's isolate gives it all back at once.
 */
interface Running {
  worker: Worker;
  /** This worker's requests: a worker ended (idle, or failed) fails only its own. */
  pending: Map<number, { resolve: (e: StrengthEstimate) => void; reject: (e: Error) => void }>;
}
let running: Running | undefined;
let idle: NodeJS.Timeout | undefined;
let nextId = 1;

function start(): Running {
  if (running) return running;
  const r: Running = { worker: startWorker(new URL('./strength-worker.ts', import.meta.url)), pending: new Map() };
  const failAll = (err: Error) => {
    for (const p of r.pending.values()) p.reject(err);
    r.pending.clear();
  };
  r.worker.on('message', (m: { id: number; result: StrengthEstimate }) => {
    const p = r.pending.get(m.id);
    r.pending.delete(m.id);
    p?.resolve(m.result);
    if (r.pending.size === 0) r.worker.unref(); // an idle estimator never keeps the process alive
  });
  r.worker.on('error', (err) => {
    if (running === r) running = undefined;
    failAll(new Error(`the password-strength worker failed: ${err.message}`));
  });
  r.worker.on('exit', (code) => {
    if (running === r) running = undefined;
    failAll(new Error(`the password-strength worker exited (code ${code})`));
  });
  running = r;
  return r;
}

/** zxcvbn's estimate for this password, with the user name as a word the guesser knows. */
export function estimateStrength(username: string, password: string): Promise<StrengthEstimate> {
  const r = start();
  clearTimeout(idle);
  idle = setTimeout(() => void stopStrengthWorker(), STRENGTH_WORKER_IDLE_MS).unref();
  const id = nextId++;
  r.worker.ref();
  return new Promise((resolve, reject) => {
    r.pending.set(id, { resolve, reject });
    r.worker.postMessage({ id, username, password });
  });
}

/** End the worker now (idle timeout, hub stop, tests); the next check starts a new one. */
export async function stopStrengthWorker(): Promise<void> {
  clearTimeout(idle);
  idle = undefined;
  const r = running;
  running = undefined;
  if (r) await r.worker.terminate();
}

/** Whether the estimator's thread is running (tests, diagnostics). */
export function strengthWorkerRunning(): boolean {
  return running !== undefined;
}
