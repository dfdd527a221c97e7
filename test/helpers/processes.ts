import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface ProcessExit { code: number | null; signal: NodeJS.Signals | null }

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number | undefined;
  /** Resolves once the process has exited and its output has been read to the end. */
  exited: Promise<ProcessExit>;
  /** Recent stdout and stderr, interleaved (the last 200,000 characters). */
  output(): string;
  /** The last `lines` lines of output, prefixed with the process name: put it in a failure message. */
  tail(lines?: number): string;
  /**
   * Resolves with the first match in output printed after the previous successful wait (so waiting for the same
   * line again after a restart waits for the new one). Rejects on timeout or exit, with the recent output.
   */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

const KEEP_CHARS = 200_000;
/** Processes started here and not yet exited: killAll's list. */
const live = new Set<ManagedProcess>();
/** The latest processes, exited or not, for outputOfAll() after a failure. */
const recent: ManagedProcess[] = [];

/** Run `node ARGS…` as a separate OS process, keeping its recent output for waits and failure messages. */
export function spawnNode(args: string[], opts: { name: string; env?: Record<string, string>; cwd?: string; logFile?: string }): ManagedProcess {
  const child = spawn(process.execPath, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: WriteStream | undefined = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  let buffer = '';
  let total = 0; // characters seen so far; buffer holds the last ≤ KEEP_CHARS of them
  let ended = false;
  const waiters = new Set<() => void>();
  const append = (text: string) => {
    total += text.length;
    buffer = (buffer + text).slice(-KEEP_CHARS);
    log?.write(text);
    for (const w of waiters) w();
  };
  // Decode as UTF-8 per stream, so a character split across two chunks is not garbled.
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);

  const streamClosed = (s: NodeJS.ReadableStream) => new Promise<void>((r) => s.once('close', () => r()));
  const outputDone = Promise.all([streamClosed(child.stdout!), streamClosed(child.stderr!)]);
  const exited = new Promise<ProcessExit>((resolve) => {
    const finish = (result: ProcessExit) => {
      if (ended) return;
      ended = true;
      live.delete(p);
      log?.end();
      for (const w of waiters) w();
      resolve(result);
    };
    child.once('exit', (code, signal) => {
      // Let the last output arrive first, but don't hang on a grandchild that inherited the pipes.
      let grace: NodeJS.Timeout | undefined;
      void Promise.race([outputDone, new Promise<void>((r) => (grace = setTimeout(r, 2000)))]).then(() => {
        clearTimeout(grace);
        finish({ code, signal });
      });
    });
    child.once('error', (e) => {
      append(`\n[${opts.name}] failed to start: ${e.message}\n`);
      finish({ code: null, signal: null });
    });
  });

  let mark = 0; // absolute character index where the next wait starts looking
  const p: ManagedProcess = {
    name: opts.name,
    child,
    pid: child.pid,
    exited,
    output: () => buffer,
    tail(lines = 40) {
      const text = buffer.split('\n').slice(-lines - 1).join('\n');
      return `--- ${opts.name} (pid ${child.pid ?? '?'}${ended ? `, exited ${child.exitCode ?? child.signalCode}` : ''}) ---\n${text}`;
    },
    waitForOutput(pattern, timeoutMs) {
      // A global or sticky regex carries lastIndex between calls; match statelessly.
      const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      return new Promise((resolve, reject) => {
        const check = () => {
          const start = total - buffer.length; // absolute index of buffer[0]
          const from = Math.max(0, mark - start);
          const m = re.exec(buffer.slice(from));
          if (m) {
            cleanup();
            // Only output after this match counts for the next wait: a line printed in the same chunk stays visible.
            mark = start + from + m.index + m[0].length;
            resolve(m[0]);
          } else if (ended) {
            cleanup();
            reject(new Error(`${opts.name} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${p.tail()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${opts.name} did not print ${pattern} within ${timeoutMs} ms:\n${p.tail()}`));
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
  live.add(p);
  recent.push(p);
  if (recent.length > 20) recent.shift();
  return p;
}

/** SIGKILL every process started here that is still running, and wait for them to go (for afterAll). */
export async function killAll(): Promise<void> {
  const procs = [...live];
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

/** The tails of the latest processes' output, for a failing test's message or an afterEach dump. */
export function outputOfAll(lines = 40): string {
  return recent.map((p) => p.tail(lines)).join('\n');
}

process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});
