import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Where bin/bondgate.mjs records the compiled tree it runs (bin/compile.mjs): the checkout's root and the tree's
 * directory. A global of this thread, not an environment variable: it must not reach the processes a command starts.
 */
export const COMPILED_TREE = Symbol.for('bondgate.compiledTree');

export interface CompiledTree {
  root: string;
  dir: string;
}

/**
 * The module a worker thread runs for the TypeScript worker `source` (the file URL of its .ts file): its compiled .js
 * in the tree this process runs, else the `.mjs` bootstrap beside the source, which loads it through tsx (tests, a
 * tree that could not be compiled, BONDGATE_TSX=1).
 *
 * Why: a compiled module's `import.meta.url` is its source's (bin/compile.mjs keeps data files and bootstraps found
 * beside the sources), so `new URL('./x-worker.mjs', import.meta.url)` started every worker of a compiled hub through
 * tsx — the loader, its hooks thread and TypeScript transpiled at run time, in each worker: two more isolates and
 * ~37 MiB of an idle hub's memory (216 → 179 MiB, 30 s after start).
 */
export function workerModule(source: URL): URL {
  const tree = (globalThis as Record<symbol, CompiledTree | undefined>)[COMPILED_TREE];
  if (tree) {
    const rel = relative(tree.root, fileURLToPath(source));
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && rel.endsWith('.ts')) return pathToFileURL(join(tree.dir, rel.replace(/\.ts$/, '.js')));
  }
  return new URL(source.href.replace(/\.ts$/, '.mjs'));
}
