import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startMosquitto, type MosquittoInstance } from './mosquitto.ts';
import { freePort, portAccepts } from './ports.ts';
import { killAll, spawnNode } from './processes.ts';
import { mosquittoBinary, requireService } from './services.ts';
import { startTcpProxy } from './tcp-proxy.ts';

/** An echo server on a free loopback port. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('error', () => undefined).pipe(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

/** Connect, send `text`, resolve with what comes back (or reject if the connection closes first). */
async function roundTrip(port: number, text: string): Promise<string> {
  const s = connect(port, '127.0.0.1');
  try {
    await once(s, 'connect');
    s.write(text);
    return await readExactly(s, text.length);
  } finally {
    s.destroy();
  }
}

function readExactly(s: Socket, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      got += d;
      if (got.length >= n) resolve(got);
    });
    s.once('close', () => reject(new Error(`closed after ${got.length} of ${n} characters`)));
    s.once('error', reject);
  });
}

describe('freePort', () => {
  it('returns a loopback port that can be bound, and a different one while it is taken', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
    expect(port).not.toBe(1883);
    const s = createServer().listen(port, '127.0.0.1');
    await once(s, 'listening');
    try {
      expect(await portAccepts(port)).toBe(true);
      expect(await freePort()).not.toBe(port);
    } finally {
      s.close();
    }
    await once(s, 'close');
    expect(await portAccepts(port)).toBe(false);
  });
});

describe('startTcpProxy', () => {
  it('passes data both ways; cut() breaks live and new connections; restore() brings it back', async () => {
    const { server, port } = await echoServer();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port });
    try {
      expect(await roundTrip(proxy.port, 'hello through the proxy')).toBe('hello through the proxy');
      const big = 'x'.repeat(1_000_000);
      expect((await roundTrip(proxy.port, big)).length).toBe(big.length);

      // A live connection is dropped by the cut.
      const live = connect(proxy.port, '127.0.0.1');
      await once(live, 'connect');
      live.on('error', () => undefined);
      const closed = once(live, 'close');
      await expect.poll(() => proxy.stats().live).toBe(1);
      proxy.cut();
      await closed;

      // New connections are accepted and dropped at once: nothing reaches the target.
      await expect(roundTrip(proxy.port, 'lost')).rejects.toThrow(/closed|ECONNRESET|EPIPE/);
      expect(proxy.stats()).toMatchObject({ refused: 1, live: 0 });

      proxy.restore();
      expect(await roundTrip(proxy.port, 'back again')).toBe('back again');
      expect(proxy.stats().accepted).toBe(4);
      expect(proxy.stats().bytesFromTarget).toBeGreaterThanOrEqual(big.length);
    } finally {
      await proxy.close();
      server.close();
    }
  });

  it('closes with live connections open', async () => {
    const { server, port } = await echoServer();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port });
    const c = connect(proxy.port, '127.0.0.1');
    c.on('error', () => undefined);
    await once(c, 'connect');
    const closed = once(c, 'close');
    await proxy.close();
    await closed;
    expect(await portAccepts(proxy.port)).toBe(false);
    server.close();
  });
});

describe('spawnNode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-helpers-'));
  afterAll(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for output, sees two lines printed in one chunk, logs to a file and reports the exit', async () => {
    const logFile = join(dir, 'p1.log');
    const script = "process.stdout.write('ready on 123\\nlistening 456\\n'); console.error('warn: 中文'); setTimeout(() => { console.log('done'); process.exit(3); }, 50);";
    const p = spawnNode(['-e', script], { name: 'printer', logFile, env: { BG_HELPER_TEST: '1' } });
    expect(await p.waitForOutput(/ready on (\d+)/, 10_000)).toBe('ready on 123');
    expect(await p.waitForOutput(/listening \d+/, 10_000)).toBe('listening 456');
    expect(await p.waitForOutput(/warn: 中文/, 10_000)).toBe('warn: 中文');
    expect(await p.exited).toEqual({ code: 3, signal: null });
    expect(p.output()).toContain('done');
    expect(p.tail(2)).toMatch(/printer.*exited 3[\s\S]*done/);
    expect(readFileSync(logFile, 'utf8')).toContain('listening 456');
  });

  it('only counts output after the previous wait, so the same line can be awaited twice', async () => {
    const p = spawnNode(['-e', "console.log('tick'); process.stdin.resume(); setTimeout(() => console.log('tick'), 100); setTimeout(() => {}, 60_000);"], { name: 'ticker' });
    await p.waitForOutput(/tick/, 10_000);
    await p.waitForOutput(/tick/, 10_000);
    await expect(p.waitForOutput(/tick/, 300)).rejects.toThrow(/did not print \/tick\/ within 300 ms[\s\S]*ticker/);
    p.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('rejects a wait when the process exits without printing, with its output in the message', async () => {
    const p = spawnNode(['-e', "console.log('starting'); process.exit(1);"], { name: 'crasher' });
    await expect(p.waitForOutput(/never/, 10_000)).rejects.toThrow(/crasher exited \(1\) before printing[\s\S]*starting/);
  });

  it('killAll() ends everything still running', async () => {
    const ps = [1, 2].map((i) => spawnNode(['-e', 'setInterval(() => {}, 1000); console.log("up")'], { name: `sleeper-${i}` }));
    await Promise.all(ps.map((p) => p.waitForOutput(/up/, 10_000)));
    await killAll();
    for (const p of ps) expect((await p.exited).signal).toBe('SIGKILL');
  });
});

const haveMosquitto = requireService('Mosquitto', !!(await mosquittoBinary()));

describe.skipIf(!haveMosquitto)('startMosquitto', () => {
  const brokers: MosquittoInstance[] = [];
  const clients: MqttClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await Promise.all(brokers.map((b) => b.stop()));
  });
  const client = async (url: string, opts: Parameters<typeof connectAsync>[1] = {}) => {
    const c = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    return c;
  };
  /** MqttClient is a typed emitter that events.once does not accept. */
  const next = (c: MqttClient, event: 'close' | 'connect') => new Promise<void>((r) => c.once(event, () => r()));
  const roundTripMqtt = async (c: MqttClient, topic: string) => {
    await c.subscribeAsync(topic, { qos: 1 });
    const got = new Promise<string>((r) => c.once('message', (t, payload) => r(`${t}:${payload.toString()}`)));
    await c.publishAsync(topic, 'hello', { qos: 1 });
    return got;
  };

  it('starts on a free loopback port (not 1883), serves a client, and restarts on the same port', async () => {
    const b = await startMosquitto();
    brokers.push(b);
    expect(b.port).not.toBe(1883);
    expect(b.url).toBe(`mqtt://127.0.0.1:${b.port}`);
    expect(b.pid).toEqual(expect.any(Number));
    const c1 = await client(b.url);
    expect(await roundTripMqtt(c1, 'bg/test/a')).toBe('bg/test/a:hello');

    expect(readFileSync(b.logFile, 'utf8')).toMatch(/running/); // the broker logs to its own file
    const lost = next(c1, 'close');
    await b.stop();
    await lost;
    expect(await portAccepts(b.port)).toBe(false);
    expect(existsSync(b.dir)).toBe(false); // its temporary directory goes with it

    const firstPid = b.pid;
    await b.restart();
    expect(b.pid).not.toBe(firstPid);
    const c2 = await client(`mqtt://127.0.0.1:${b.port}`);
    expect(await roundTripMqtt(c2, 'bg/test/b')).toBe('bg/test/b:hello');
  });

  it('survives kill() and comes back on restart(); a client reconnects by itself', async () => {
    const b = await startMosquitto();
    brokers.push(b);
    const c = await client(b.url, { reconnectPeriod: 100 });
    const lost = next(c, 'close');
    b.kill();
    await lost;
    const back = next(c, 'connect');
    await b.restart();
    await back;
    expect(await roundTripMqtt(c, 'bg/test/c')).toBe('bg/test/c:hello');
  });

  it('takes extra config lines (anonymous clients refused when the config says so)', async () => {
    const b = await startMosquitto({ config: 'allow_anonymous false' });
    brokers.push(b);
    await expect(connectAsync(b.url, { reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/Not authorized|Connection refused/i);
  });

  it('behind a TCP proxy, a cut drops the client and restore lets it reconnect', async () => {
    const b = await startMosquitto();
    brokers.push(b);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: b.port });
    try {
      const c = await client(`mqtt://127.0.0.1:${proxy.port}`, { reconnectPeriod: 100 });
      const lost = next(c, 'close');
      proxy.cut();
      await lost;
      await expect.poll(() => proxy.stats().refused).toBeGreaterThan(0); // reconnect attempts are dropped
      expect(c.connected).toBe(false);
      const back = next(c, 'connect');
      proxy.restore();
      await back;
      expect(await roundTripMqtt(c, 'bg/test/d')).toBe('bg/test/d:hello');
    } finally {
      await proxy.close();
    }
  });
});
