import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';
import { mosquittoBinary } from './services.ts';

export interface MosquittoInstance {
  port: number;
  url: string;
  dir: string;
  /** The broker's log (log_dest file): read it when a test fails. */
  logFile: string;
  pid: number | undefined;
  /**
   * Graceful stop (SIGTERM, SIGKILL after 5 s), waits for exit. Removes the temporary directory, log included,
   * unless `dir` was given (restart() makes a new one).
   */
  stop(): Promise<void>;
  /** SIGKILL, without waiting: a broker crash. */
  kill(): void;
  /** Start again on the same port (stopping it first if it still runs). */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
const ownDirs = new Set<string>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
  for (const d of ownDirs) rmSync(d, { recursive: true, force: true });
});

/** The log written since byte `from` (the log is appended to across restarts). */
function logSince(logFile: string, from: number): string {
  if (!existsSync(logFile)) return '';
  const size = statSync(logFile).size;
  if (size <= from) return '';
  const buf = Buffer.alloc(size - from);
  const fd = openSync(logFile, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}
const tail = (logFile: string) => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '(no log)');

/**
 * A private Mosquitto on a free loopback port, never the machine's shared broker on 1883. `config` adds lines
 * (e.g. a password file and ACL); without `allow_anonymous` in it, anonymous clients are allowed.
 * Run in the foreground (no `-d`) so the test owns the process and can SIGKILL it.
 */
export async function startMosquitto(opts: { port?: number; config?: string; dir?: string } = {}): Promise<MosquittoInstance> {
  const bin = await mosquittoBinary();
  if (!bin) throw new Error('mosquitto binary not found (install mosquitto, or put it on PATH)');
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'bg-mosquitto-'));
  if (!opts.dir) ownDirs.add(dir);
  const logFile = join(dir, 'mosquitto.log');
  const conf = join(dir, 'mosquitto.conf');
  const prepareDir = () => {
    mkdirSync(dir, { recursive: true }); // stop() removed it when it was ours
    // Started as root, mosquitto drops to the `mosquitto` user before it opens its log: that user must reach the
    // directory (mkdtemp makes it 0700) and write the file.
    if (process.getuid?.() === 0) chmodSync(dir, statSync(dir).mode | 0o011);
    closeSync(openSync(logFile, 'a'));
    chmodSync(logFile, 0o666);
  };
  const extra = opts.config ?? '';
  const writeConfig = (port: number) =>
    writeFileSync(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        /^\s*allow_anonymous\s/m.test(extra) ? '' : 'allow_anonymous true',
        'persistence false',
        `log_dest file ${logFile}`,
        'max_queued_messages 100000',
        'set_tcp_nodelay true',
        extra,
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );

  // Extra log settings may silence the "running" notice: then readiness is the port alone.
  const logReadiness = !/^\s*log_(type|dest)\s/m.test(extra);
  let child: ChildProcess | undefined;
  let port = opts.port ?? (await freePort());

  const start = async () => {
    prepareDir();
    writeConfig(port);
    const logFrom = existsSync(logFile) ? statSync(logFile).size : 0;
    const c = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    running.add(c);
    let stderr = '';
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let exit: string | undefined;
    c.once('exit', (code, signal) => {
      running.delete(c);
      exit = `mosquitto exited (${code ?? signal}) on port ${port}: ${stderr}\n${tail(logFile)}`;
    });
    c.once('error', (e) => (exit = `mosquitto failed to start: ${e.message}`));
    // Ready = our process logged "running" (so the listener is ours, not whoever might have taken the port since
    // freePort) and the port accepts connections.
    const deadline = Date.now() + 10_000;
    while (logReadiness && !/ running$/m.test(logSince(logFile, logFrom))) {
      if (exit) throw new Error(exit);
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`mosquitto did not start on port ${port} within 10 s: ${stderr}\n${tail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitForPort(port, Math.max(1000, deadline - Date.now()));
    if (exit) throw new Error(exit);
  };

  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const force = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  };
  // Test workers are killed rather than exited, so a process 'exit' hook alone would leave a directory per broker.
  const removeOwnDir = () => {
    if (opts.dir) return;
    rmSync(dir, { recursive: true, force: true });
    ownDirs.delete(dir);
  };

  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (e) {
      // Another process took the free port between freePort() and the bind: pick another (only when we chose it).
      if (opts.port !== undefined || attempt >= 3 || !/Address already in use/.test((e as Error).message)) throw e;
      port = await freePort();
    }
  }

  return {
    get port() {
      return port;
    },
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    dir,
    logFile,
    get pid() {
      return child?.pid;
    },
    stop: async () => {
      await stop();
      removeOwnDir();
    },
    kill: () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    restart: async () => {
      await stop();
      await start();
    },
  };
}
