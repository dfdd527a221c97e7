import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expect, vi } from 'vitest';
import { spawnNode } from './processes.ts';

/** The module-resolve hook (trace-imports.mjs): every URL the process resolves, a line each, into TRACE_IMPORTS_FILE. */
export const TRACE_HOOK = resolve(import.meta.dirname, 'trace-imports.mjs');

export interface TracedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The trace file's lines: module URLs in resolve order, and any `#mark` lines the process wrote itself. */
  lines: string[];
}

/**
 * `node [--import tsx] --import trace-imports.mjs ...args` in a fresh process; what it printed and what it resolved.
 *
 * Asynchronous on purpose: a test worker blocked in spawnSync misses Vitest's fixed 60 s RPC deadline on a loaded
 * machine. tsx is registered first and the trace hook last: hooks run last-registered first, so the trace sees every
 * resolved .ts URL.
 */
export async function traceImports(args: string[], o: { file: string; cwd?: string; tsx?: boolean; timeoutMs?: number }): Promise<TracedRun> {
  const argv = [...(o.tsx ? ['--import', 'tsx'] : []), '--import', TRACE_HOOK, ...args];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      argv,
      { cwd: o.cwd, env: { ...process.env, TRACE_IMPORTS_FILE: o.file }, encoding: 'utf8', timeout: o.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, out, errOut) => done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out, stderr: errOut }),
    );
  });
  // Nothing resolved through the hook leaves no file: the caller's assertions say what was expected.
  const lines = (await readFile(o.file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { code, stdout, stderr, lines };
}

/**
 * A long-running `bondgate` command (an edge, a hub) under the trace hook: started, waited for until it prints `ready`
 * and the trace holds a line matching each of `loaded` (modules that load after that line), then killed. Worker
 * threads inherit the process's --import, so the trace holds what every thread resolved.
 */
export async function traceRunning(args: string[], o: { name: string; file: string; ready: RegExp; loaded: RegExp[]; env?: Record<string, string> }): Promise<string[]> {
  const p = spawnNode(['--import', TRACE_HOOK, ...args], { name: o.name, env: { ...o.env, TRACE_IMPORTS_FILE: o.file } });
  try {
    await p.waitForOutput(o.ready, 120_000);
    for (const re of o.loaded) await vi.waitFor(() => expect(readFileSync(o.file, 'utf8')).toMatch(re), { timeout: 20_000 });
  } finally {
    p.kill('SIGKILL');
    await p.exited;
  }
  return readFileSync(o.file, 'utf8').split('\n').filter(Boolean);
}
