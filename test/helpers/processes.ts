import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

const all = new Set<ManagedProcess>();

/** Run `node ARGS…` as a separate OS process, keeping its recent output for waits and failure messages. */
export function spawnNode(args: string[], opts: { name: string; env?: Record<string, string>; cwd?: string; logFile?: string }): ManagedProcess {
  const child = spawn(process.execPath, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: WriteStream | undefined = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  let buffer = '';
  let total = 0; // characters seen so far; buffer holds the last ≤ 200,000 of them
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    const text = d.toString();
    total += text.length;
    buffer = (buffer + text).slice(-200_000);
    log?.write(text);
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      all.delete(p);
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );
  let mark = 0;
  const p: ManagedProcess = {
    name: opts.name,
    child,
    pid: child.pid,
    exited,
    output: () => buffer,
    waitForOutput(pattern, timeoutMs) {
      // Only output since the previous wait counts, so waiting for the same line after a restart works.
      const from = mark;
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(buffer.slice(Math.max(0, from - (total - buffer.length))));
          if (m) {
            cleanup();
            mark = total;
            resolve(m[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`${opts.name} exited before printing ${pattern}:\n${buffer.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${opts.name} did not print ${pattern} within ${timeoutMs} ms:\n${buffer.slice(-3000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  all.add(p);
  return p;
}

export function killAll(): void {
  for (const p of all) p.kill('SIGKILL');
}
process.once('exit', killAll);
