import { Worker } from 'node:worker_threads';

/**
 * The main thread's side of the health server (edge/health-worker.mjs): the worker owns the HTTP port and asks here
 * for each answer; a heartbeat in shared memory tells it how long this thread's event loop has not turned. An answer
 * this thread cannot give within `freshWithinMs` is served from the last one, marked stale — so a probe always gets an
 * answer within about that time, whatever the edge is doing.
 */
export interface HealthAnswer {
  status: number;
  body: unknown;
}
export interface HealthServerOptions {
  host: string;
  port: number;
  healthz: () => HealthAnswer;
  metrics: () => Promise<{ status: number; contentType: string; body: string }>;
  /**
   * How long /healthz waits for a fresh answer before serving the last one (default 40 ms: on a loaded two-core
   * gateway this thread itself waits for a core, and a probe's budget is 100 ms end to end).
   */
  freshWithinMs?: number;
  /** How long /metrics waits before answering 503 (default 10 s). */
  metricsWithinMs?: number;
  /** How often the heartbeat is written (default 50 ms). */
  heartbeatMs?: number;
}
export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const heartbeat = new SharedArrayBuffer(8);
  const beat = new Float64Array(heartbeat);
  beat[0] = Date.now();
  const ticker = setInterval(() => (beat[0] = Date.now()), o.heartbeatMs ?? 50);
  ticker.unref();
  const worker = new Worker(new URL('./health-worker.mjs', import.meta.url), {
    workerData: { host: o.host, port: o.port, freshWithinMs: o.freshWithinMs ?? 40, metricsWithinMs: o.metricsWithinMs ?? 10_000, heartbeat },
    // It holds one answer at a time: a small heap, which V8 then sizes its reservations by (~0.8 MiB less resident).
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 1 },
  });
  worker.unref();
  worker.on('message', (m: { type: string; id?: number; what?: 'healthz' | 'metrics' }) => {
    if (m.type !== 'ask') return;
    if (m.what === 'healthz') {
      const a = o.healthz();
      worker.postMessage({ type: 'answer', id: m.id, what: 'healthz', status: a.status, body: a.body, atMs: Date.now() });
    } else {
      o.metrics().then(
        (r) => worker.postMessage({ type: 'answer', id: m.id, what: 'metrics', ...r }),
        (e: Error) => worker.postMessage({ type: 'answer', id: m.id, what: 'metrics', status: 500, contentType: 'text/plain', body: e.message }),
      );
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (m: { type: string; port?: number; message?: string; code?: string }) => {
      if (m.type === 'listening') resolve(m.port!);
      else if (m.type === 'error') reject(Object.assign(new Error(`health server on ${o.host}:${o.port}: ${m.message}`), { code: m.code }));
      else return;
      worker.off('message', onMessage);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  }).catch(async (e: unknown) => {
    clearInterval(ticker);
    await worker.terminate();
    throw e;
  });
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= (async () => {
        clearInterval(ticker);
        // The worker closes its server first, so the port is free when this resolves (a restart may reuse it).
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 2000);
          worker.on('message', (m: { type: string }) => m.type === 'closed' && (clearTimeout(t), resolve()));
          worker.postMessage({ type: 'close' });
        });
        await worker.terminate();
      })()),
  };
}
