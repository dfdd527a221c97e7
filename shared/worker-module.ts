import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Where bin/bondgate.mjs records the compiled tree it runs (bin/compile.mjs): the checkout's root and the tree's
 * directory. A global of this thread, not an environment variable: it must not reach the processes a command starts.
 */
export const COMPILED_TREE = Symbol.for('bondgate.compiledTree');

export interface CompiledTree {
  root: string;
  dir: string;
}

/** Runs a TypeScript worker through tsx: the module to run is its one argument. */
const TSX_BOOTSTRAP = new URL('./tsx-worker.mjs', import.meta.url);

/**
 * The compiled .js of the TypeScript worker `source` (the file URL of its .ts file) in the tree this process runs, or
 * undefined when the process runs its sources through tsx (tests, a tree that could not be compiled, BONDGATE_TSX=1).
 */
export function compiledModule(source: URL): URL | undefined {
  const tree = (globalThis as Record<symbol, CompiledTree | undefined>)[COMPILED_TREE];
  if (!tree) return undefined;
  const rel = relative(tree.root, fileURLToPath(source));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !rel.endsWith('.ts')) return undefined;
  return pathToFileURL(join(tree.dir, rel.replace(/\.ts$/, '.js')));
}

/**
 * A worker thread running the TypeScript module `source`: compiled, as the main thread runs, else through tsx.
 *
 * Why: a compiled module's `import.meta.url` is its source's (bin/compile.mjs keeps data files found beside the
 * sources), so `new URL('./x-worker.mjs', import.meta.url)` started every worker of a compiled hub through a tsx
 * bootstrap — the loader, its hooks thread and TypeScript transpiled at run time, in each worker: two more isolates
 * and ~37 MiB of an idle hub's memory (216 → 179 MiB, 30 s after start).
 */
export function startWorker(source: URL, options: WorkerOptions = {}): Worker {
  const compiled = compiledModule(source);
  return compiled ? new Worker(compiled, options) : new Worker(TSX_BOOTSTRAP, { ...options, argv: [source.href] });
}
