#!/usr/bin/env node
// The application's TypeScript, compiled once to plain ESM JavaScript for `bin/bondgate.mjs`, so that a running
// gateway or hub carries no TypeScript loader: under tsx every module is transpiled at start-up by esbuild inside
// node's module-hooks thread (a second V8 isolate), which cost the edge ~40 MiB of resident memory and over a
// second of start-up before any of its own code ran.
//
// The compiled tree is a cache, never a source of truth: dist/run/KEY/ mirrors the source tree (cli/main.ts →
// dist/run/KEY/cli/main.js), KEY is a hash of every source file's path, size and modification time (and of this
// file), so an edited, added or deleted file makes a new KEY and the next `bondgate` run compiles again (~1 s).
// A fresh clone needs no build step: the first command compiles; where the tree cannot be written (a read-only
// install) the launcher falls back to tsx. Each module keeps its own identity and its source's import.meta (so
// `new URL('./public', import.meta.url)` and createRequire still resolve beside the .ts file); relative .ts imports
// become .js, other relative imports (cli/usage.mjs, workers) point back at the source file, packages stay external.
//
//   node bin/compile.mjs        compile if the current tree is missing; prints its directory
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(import.meta.dirname, '..');
/** Where the application's code lives (hub/ui is the browser dashboard: vite builds it, not this). */
const SOURCE_DIRS = ['cli', 'edge', 'drivers', 'shared', 'hub'];
const SKIP = new Set(['node_modules', 'dist', join('hub', 'ui')]);
const runDir = (root) => join(root, 'dist', 'run');
/** A superseded tree is removed this long after it was made (a process started on it may still import lazily). */
const KEEP_OLD_MS = 60 * 60_000;
const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');

/** The application's .ts files (absolute paths), tests excluded, in a stable order. */
export function sourceFiles(root = ROOT) {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP.has(e.name) && !SKIP.has(relative(root, p)) && !e.name.startsWith('.')) walk(p);
      } else if (isSource(e.name)) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  return out.sort();
}

/**
 * The tree's key: any change to a source's path, size or time (or to this compiler, node's major, or where the
 * checkout lives: the compiled modules name their sources' absolute paths) changes it.
 */
export function treeKey(files, root = ROOT) {
  const h = createHash('sha256').update(`${process.versions.node.split('.')[0]}\0${root}\0`);
  const self = statSync(fileURLToPath(import.meta.url));
  h.update(`compiler\0${self.size}\0${self.mtimeMs}\n`);
  for (const f of files) {
    const s = statSync(f);
    h.update(`${relative(root, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/** The compiled cli/main.js of the tree KEY, if it has been built. */
export function compiledMain(key, root = ROOT) {
  const main = join(runDir(root), key, 'cli', 'main.js');
  return existsSync(join(runDir(root), key, '.complete')) ? main : undefined;
}

/**
 * The compiled cli/main.js for the sources as they are now, if built. Fast path: the files of the latest tree are
 * stat'ed again (a new file matters only once an import names it, and that importer's time changes; a deleted one
 * fails its stat); otherwise the source directories are walked.
 */
export function currentMain(root = ROOT) {
  try {
    const latest = JSON.parse(readFileSync(join(runDir(root), 'latest.json'), 'utf8'));
    const main = compiledMain(latest.key, root);
    if (main && treeKey(latest.files.map((f) => join(root, f)), root) === latest.key) return main;
  } catch {
    // no latest tree, or one of its files is gone
  }
  const files = sourceFiles(root);
  const key = treeKey(files, root);
  const main = compiledMain(key, root);
  if (main) writeLatest(root, key, files);
  return main;
}

/** Remember KEY's file list for currentMain's fast path (best effort: a read-only tree just walks each time). */
function writeLatest(root, key, files) {
  const tmp = join(runDir(root), `latest.json.${process.pid}`);
  try {
    writeFileSync(tmp, JSON.stringify({ key, files: files.map((f) => relative(root, f)) }));
    renameSync(tmp, join(runDir(root), 'latest.json'));
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** import.meta of the source file, written into its compiled copy (which lives elsewhere). */
function withSourceMeta(text, file) {
  return text
    .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(file).href))
    .replaceAll('import.meta.dirname', JSON.stringify(dirname(file)))
    .replaceAll('import.meta.filename', JSON.stringify(file));
}

/** Compile every source into dist/run/KEY/ (atomically: built aside, then renamed); returns its cli/main.js. */
export async function compile(root = ROOT) {
  const files = sourceFiles(root);
  const key = treeKey(files, root);
  const done = compiledMain(key, root);
  if (done) {
    writeLatest(root, key, files);
    return done;
  }
  const { build } = await import('esbuild');
  const sources = new Set(files);
  const tmp = join(runDir(root), `${key}.tmp-${process.pid}`);
  const outDirOf = (file) => dirname(join(tmp, relative(root, file)));
  const linkToSource = {
    name: 'bondgate-link-to-source',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (!args.path.startsWith('.')) return { path: args.path, external: true }; // a package or node: builtin
        const target = resolve(args.resolveDir, args.path);
        if (target.endsWith('.ts')) {
          if (!sources.has(target)) return { errors: [{ text: `${args.path} is not an application source (${relative(root, target)})` }] };
          return { path: args.path.replace(/\.ts$/, '.js'), external: true };
        }
        // Not TypeScript (cli/usage.mjs, a worker bootstrap, a data file): the compiled module imports the original.
        let rel = relative(outDirOf(args.importer), target).split(sep).join('/');
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return { path: rel, external: true };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => ({ contents: withSourceMeta(readFileSync(args.path, 'utf8'), args.path), loader: 'ts' }));
    },
  };
  await build({
    entryPoints: files,
    outbase: root,
    outdir: tmp,
    bundle: true, // each entry alone: every import is external (above), bundling only runs the resolver plugin
    format: 'esm',
    platform: 'node',
    target: 'node20',
    keepNames: true,
    sourcemap: 'linked', // stack traces map back with NODE_OPTIONS=--enable-source-maps
    sourcesContent: false,
    plugins: [linkToSource],
    logLevel: 'silent',
  });
  writeFileSync(join(tmp, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  try {
    renameSync(tmp, join(runDir(root), key));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!compiledMain(key, root)) throw e; // another process built the same tree first: use it
  }
  writeLatest(root, key, files);
  pruneOld(root, key);
  return compiledMain(key, root);
}

function pruneOld(root, current) {
  const now = Date.now();
  for (const name of readdirSync(runDir(root))) {
    if (name === current || name === 'latest.json') continue;
    const p = join(runDir(root), name);
    try {
      if (now - statSync(p).mtimeMs > KEEP_OLD_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // removed by another process meanwhile
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(dirname(dirname(await compile())));
  } catch (e) {
    console.error(`bondgate: compiling the application failed: ${e.message}`);
    process.exit(1);
  }
}
