import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer } from './health-server.ts';

/**
 * /healthz answers while the edge's main thread is busy (issue 14 item 6): the server lives in its own thread and
 * serves the last answer, marked stale, when the main thread cannot give a fresh one.
 */
const servers: HealthServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let answered = 0;
const start = () =>
  startHealthServer({
    host: '127.0.0.1',
    port: 0,
    healthz: () => ({ status: 200, body: { status: 'ok', answered: ++answered } }),
    metrics: async () => ({ status: 200, contentType: 'text/plain; version=0.0.4', body: 'bondgate_edge_backlog_events 0\n' }),
  }).then((s) => (servers.push(s), s));

describe('the edge health server, in its own thread', () => {
  it('answers fresh from the main thread when it is free; /metrics and 404 as before', async () => {
    const s = await start();
    const h = (await (await fetch(`http://127.0.0.1:${s.port}/healthz`)).json()) as Record<string, unknown>;
    expect(h).toMatchObject({ status: 'ok', stale: false });
    expect(typeof h.mainLoopLagMs).toBe('number');
    expect(await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text()).toBe('bondgate_edge_backlog_events 0\n');
    expect((await fetch(`http://127.0.0.1:${s.port}/nope`)).status).toBe(404);
  });

  it('answers while the main thread is blocked, from the last answer, saying it is stale and how long the loop has not turned', async () => {
    const s = await start();
    const first = (await (await fetch(`http://127.0.0.1:${s.port}/healthz`)).json()) as { answered: number };
    const dir = mkdtempSync(join(tmpdir(), 'bg-health-'));
    dirs.push(dir);
    const out = join(dir, 'answer.json');
    // Another process asks; this thread then blocks (as a long synchronous commit or decode would) until that answer
    // has arrived. Only a server that does not need this thread can answer, so the old server would never end it.
    const child = spawn(process.execPath, ['-e', `fetch(${JSON.stringify(`http://127.0.0.1:${s.port}/healthz`)}).then(r=>r.text()).then(t=>require('fs').writeFileSync(${JSON.stringify(out)}, t))`], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (!(existsSync(out) && statSync(out).size > 0) && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // sleep this thread, no event loop turn
    }
    const body = JSON.parse(readFileSync(out, 'utf8')) as { status: string; stale: boolean; answered: number; mainLoopLagMs: number; snapshotAgeMs: number };
    expect(body).toMatchObject({ status: 'ok', stale: true, answered: first.answered });
    expect(body.mainLoopLagMs).toBeGreaterThan(0);
    expect(body.snapshotAgeMs).toBeGreaterThanOrEqual(0);
    await new Promise((r) => child.once('exit', r));
    // Free again: fresh answers.
    expect(((await (await fetch(`http://127.0.0.1:${s.port}/healthz`)).json()) as { stale: boolean }).stale).toBe(false);
  });

  it('a taken port is an error at start, and close frees the port for a restart', async () => {
    const s = await start();
    await expect(startHealthServer({ host: '127.0.0.1', port: s.port, healthz: () => ({ status: 200, body: {} }), metrics: async () => ({ status: 200, contentType: 'text/plain', body: '' }) })).rejects.toThrow(/EADDRINUSE|address already in use/);
    const port = s.port;
    await servers.pop()!.close();
    const again = await startHealthServer({ host: '127.0.0.1', port, healthz: () => ({ status: 200, body: { again: true } }), metrics: async () => ({ status: 200, contentType: 'text/plain', body: '' }) });
    servers.push(again);
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toMatchObject({ again: true });
  });
});
