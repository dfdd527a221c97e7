import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { prepareEventsMessage, type PreparedBatch, type Rejection } from './prepare-batch.ts';
import { startWorker } from '../../shared/worker-module.ts';

/**
 * Worker threads that decode, validate and hash-check events messages, so the hub's main thread spends its
 * core on the store's transaction. A gateway always goes to the same worker, and a worker answers in order,
 * so each gateway's batches keep their arrival order. If a worker dies, its work falls back to the main thread.
 */
type Result = PreparedBatch | Rejection;

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: Result) => void; gatewayId: string; payload: Uint8Array }>();
  private nextId = 1;
  private broken = false;

  constructor(size: number, private readonly log: Logger) {
    for (let i = 0; i < size; i++) {
      // A young generation of 12 MiB (V8 grew it to 32 under a 6,000 events/s feed, all of it resident): the worker's
      // garbage is each batch's parse, dead by the next; measured, ingest through the worker unchanged (bench/RESULTS.md).
      const w = startWorker(new URL('./decode-worker.ts', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 12 } });
      w.on('message', (m: { id: number; result: Result }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.result);
      });
      w.on('error', (err) => this.fail(err));
      this.workers.push(w);
    }
  }

  private fail(err: Error): void {
    if (!this.broken) this.log.error({ err: err.message }, 'decode worker failed; decoding on the main thread from now on');
    this.broken = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve(prepareEventsMessage(p.gatewayId, p.payload));
    }
  }

  prepare = (gatewayId: string, payload: Buffer): Promise<Result> => {
    if (this.broken || this.workers.length === 0) return Promise.resolve(prepareEventsMessage(gatewayId, payload));
    let h = 0;
    for (let i = 0; i < gatewayId.length; i++) h = (h * 31 + gatewayId.charCodeAt(i)) >>> 0;
    const worker = this.workers[h % this.workers.length]!;
    const id = this.nextId++;
    // A copy, not the MQTT client's buffer (which may be a slice of a pooled slab): it is transferred, not cloned.
    const copy = new Uint8Array(payload);
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, gatewayId, payload }); // the original stays here for the fallback
      worker.postMessage({ id, gatewayId, payload: copy }, [copy.buffer]);
    });
  };

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
