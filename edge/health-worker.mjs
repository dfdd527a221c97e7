// The edge's /healthz and /metrics, served from their own thread (issue 14 item 6: "/healthz answers within 100 ms
// under any load"). The main thread does the edge's work — serial reads, station decisions, SQLite commits with
// fsync, sync — and under a backlog one turn of its event loop can take longer than a health probe waits. This thread
// only answers HTTP: it asks the main thread for a fresh answer and, when none comes within `freshWithinMs`, answers
// from the last one, saying how old it is and how long the main thread's loop has not turned (from a heartbeat the
// main thread writes into shared memory). Plain JavaScript on purpose: no TypeScript loader in this thread, so it
// costs a few MiB, not tens.
import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { host, port, freshWithinMs, metricsWithinMs, heartbeat } = workerData;
const beat = new Float64Array(heartbeat);
let nextId = 1;
const waiting = new Map();
/** The last /healthz the main thread gave: { status, body (object), atMs }. */
let last;

parentPort.on('message', (m) => {
  if (m.type === 'answer') {
    if (m.what === 'healthz') last = { status: m.status, body: m.body, atMs: m.atMs };
    const w = waiting.get(m.id);
    if (w) {
      waiting.delete(m.id);
      w(m);
    }
  } else if (m.type === 'close') {
    server.close(() => parentPort.postMessage({ type: 'closed' }));
    server.closeAllConnections();
  }
});

/** Ask the main thread; resolves with its answer, or undefined after `withinMs` (the answer still refreshes `last`). */
function ask(what, withinMs) {
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      resolve(undefined);
    }, withinMs);
    waiting.set(id, (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    parentPort.postMessage({ type: 'ask', id, what });
  });
}

const mainLoopLagMs = () => Math.max(0, Math.round(Date.now() - beat[0]));
const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    ask('healthz', freshWithinMs).then((fresh) => {
      if (fresh) return json(res, fresh.status, { ...fresh.body, mainLoopLagMs: mainLoopLagMs(), stale: false });
      // The main thread is busy: the last answer, marked as such. A gateway still starting has none yet.
      if (!last) return json(res, 503, { status: 'starting', mainLoopLagMs: mainLoopLagMs(), stale: true });
      json(res, last.status, { ...last.body, mainLoopLagMs: mainLoopLagMs(), stale: true, snapshotAgeMs: Math.max(0, Date.now() - last.atMs) });
    });
  } else if (req.url === '/metrics') {
    ask('metrics', metricsWithinMs).then((m) => {
      if (!m) return json(res, 503, { code: 'BUSY', message: `the edge did not produce its metrics within ${metricsWithinMs} ms`, mainLoopLagMs: mainLoopLagMs() });
      res.writeHead(m.status, { 'content-type': m.contentType }).end(m.body);
    });
  } else {
    json(res, 404, { code: 'NOT_FOUND' });
  }
});
server.once('error', (e) => parentPort.postMessage({ type: 'error', message: e.message, code: e.code }));
server.listen(port, host, () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
