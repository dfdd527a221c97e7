import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';
import { mosquittoBinary } from './services.ts';

export interface MosquittoInstance {
  port: number;
  url: string;
  dir: string;
  pid: number | undefined;
  /** Graceful stop (SIGTERM), waits for exit. */
  stop(): Promise<void>;
  kill(): void;
  /** Start again on the same port. */
  restart(): Promise<void>;
}

/**
 * A private Mosquitto on a free loopback port, never the machine's shared broker on 1883. `config` adds lines
 * (e.g. a password file and ACL); without `allow_anonymous` in it, anonymous clients are allowed.
 */
export async function startMosquitto(opts: { port?: number; config?: string; dir?: string } = {}): Promise<MosquittoInstance> {
  const bin = await mosquittoBinary();
  if (!bin) throw new Error('mosquitto binary not found');
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'bg-mosquitto-'));
  const port = opts.port ?? (await freePort());
  const extra = opts.config ?? '';
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, /allow_anonymous/.test(extra) ? '' : 'allow_anonymous true', 'persistence false', `log_dest file ${join(dir, 'mosquitto.log')}`, 'max_queued_messages 100000', 'set_tcp_nodelay true', extra].filter(Boolean).join('\n') + '\n',
  );
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exitedEarly = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`))));
    await Promise.race([waitForPort(port, 10_000), exitedEarly]);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  const inst: MosquittoInstance = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    get pid() {
      return child?.pid;
    },
    stop: async () => {
      await stop();
    },
    kill: () => child?.kill('SIGKILL'),
    restart: async () => {
      await stop();
      await start();
    },
  };
  process.once('exit', () => {
    child?.kill('SIGKILL');
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  });
  return inst;
}
