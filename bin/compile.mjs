#!/usr/bin/env node
// The application's TypeScript, compiled once to plain ESM JavaScript for `bin/bondgate.mjs`, so that a running
// gateway or hub carries no TypeScript loader: under tsx every module is transpiled at start-up by esbuild inside
// node's module-hooks thread (a second V8 isolate), which cost the edge ~40 MiB of resident memory and over a
// second of start-up before any of its own code ran.
//
// The compiled tree is a cache, never a source of truth: dist/run/KEY/ mirrors the source tree (cli/main.ts →
// dist/run/KEY/cli/main.js), KEY is a hash of every source file's path and content (and of this compiler and
// node's major), so an edited, added or deleted file makes a new KEY and the next `bondgate` run compiles again
// (~1 s). A fresh clone needs no build step: the first command compiles; where the tree cannot be written (a
// read-only install that skipped `node bin/compile.mjs`) the launcher falls back to tsx. Each module keeps its own
// identity and its source's import.meta, computed relative to its own location (so `new URL('./public',
// import.meta.url)` and createRequire resolve beside the .ts file, and the checkout may move with its dist/);
// relative .ts imports become .js, other relative imports (cli/usage.mjs, workers) point back at the source file,
// packages stay external.
//
//   node bin/compile.mjs        compile if the current tree is missing; prints its directory
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(import.meta.dirname, '..');
/** Where the application's code lives (hub/ui is the browser dashboard: vite builds it, not this). */
const SOURCE_DIRS = ['cli', 'edge', 'drivers', 'shared', 'hub'];
const SKIP = new Set(['node_modules', 'dist', join('hub', 'ui')]);
const runDir = (root) => join(root, 'dist', 'run');
/** A superseded tree is removed this long after it was made (a process started on it may still import lazily). */
const KEEP_OLD_MS = 60 * 60_000;
const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');
const posix = (p) => p.split(sep).join('/');
const digest = (file) => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 20);

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
 * Each source's [size, mtimeMs, content digest], by path relative to root. A file whose size and time match
 * `known` keeps its known digest (not read again).
 */
function manifestOf(files, root, known = {}) {
  const m = {};
  for (const f of files) {
    const rel = posix(relative(root, f));
    const s = statSync(f);
    const k = known[rel];
    m[rel] = k && k[0] === s.size && k[1] === s.mtimeMs ? k : [s.size, s.mtimeMs, digest(f)];
  }
  return m;
}

/** The installed zod's version: the tree carries its own build of it (vendorZod), so another version makes a new tree. */
function zodVersion() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', 'zod', 'package.json'), 'utf8')).version;
  } catch {
    return 'none';
  }
}

/** The tree's key: the sources' paths and contents, this compiler's content, node's major, zod's version. */
function keyOf(manifest) {
  const h = createHash('sha256').update(`node ${process.versions.node.split('.')[0]}\0compiler ${digest(fileURLToPath(import.meta.url))}\0zod ${zodVersion()}\n`);
  for (const [rel, [, , d]] of Object.entries(manifest)) h.update(`${rel}\0${d}\n`);
  return h.digest('hex').slice(0, 16);
}

/**
 * The manifest's files as they are now if their contents are as recorded (same size, and same time or else same
 * digest: a copied tree has new times), else undefined.
 */
function recheck(manifest, root) {
  const now = {};
  for (const [rel, [size, mtimeMs, d]] of Object.entries(manifest)) {
    const f = join(root, rel);
    const s = statSync(f, { throwIfNoEntry: false });
    if (!s || s.size !== size) return undefined;
    if (s.mtimeMs !== mtimeMs && digest(f) !== d) return undefined;
    now[rel] = [size, s.mtimeMs, d];
  }
  return now;
}

/** The compiled cli/main.js of the tree KEY, if it has been built. */
function compiledMain(key, root) {
  const main = join(runDir(root), key, 'cli', 'main.js');
  return existsSync(join(runDir(root), key, '.complete')) ? main : undefined;
}

function readLatest(root) {
  try {
    return JSON.parse(readFileSync(join(runDir(root), 'latest.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Remember KEY's manifest for currentMain's fast path (best effort: a read-only tree checks contents each time). */
function writeLatest(root, key, files) {
  const tmp = join(runDir(root), `latest.json.${process.pid}`);
  try {
    writeFileSync(tmp, JSON.stringify({ key, files }));
    renameSync(tmp, join(runDir(root), 'latest.json'));
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** The current sources' manifest and key (the walk: what the fast path skips). */
function current(root) {
  const files = manifestOf(sourceFiles(root), root, readLatest(root)?.files);
  return { files, key: keyOf(files) };
}

/**
 * The compiled cli/main.js for the sources as they are now, if built. Fast path: the files of the latest tree are
 * stat'ed again (a new file matters only once an import names it, and that importer changes; a deleted one fails
 * its stat; a file whose time changed but not its content, as in a copied tree, still matches).
 */
export function currentMain(root = ROOT) {
  const latest = readLatest(root);
  const main = latest && compiledMain(latest.key, root);
  const files = main && keyOf(latest.files) === latest.key ? recheck(latest.files, root) : undefined;
  if (files) {
    if (Object.entries(files).some(([rel, [, t]]) => latest.files[rel][1] !== t)) writeLatest(root, latest.key, files);
    return main;
  }
  return walked(root);
}

function walked(root) {
  const { files, key } = current(root);
  const main = compiledMain(key, root);
  if (main) writeLatest(root, key, files);
  return main;
}

/** import.meta of the source file, computed from the compiled copy's own location (the tree may move with it). */
function withSourceMeta(text, file, outFile) {
  if (!text.includes('import.meta')) return text;
  const src = `new URL(${JSON.stringify(posix(relative(dirname(outFile), file)))}, import.meta.url)`;
  const meta = { url: `${src}.href`, filename: `__bgFileURLToPath(${src})`, dirname: `__bgDirname(__bgFileURLToPath(${src}))` };
  // The helpers are imported at the end (imports hoist), so the source map's lines stay the source's.
  return `${text.replace(/\bimport\.meta\.(url|filename|dirname)\b/g, (_, k) => meta[k])}\nimport { fileURLToPath as __bgFileURLToPath } from 'node:url';\nimport { dirname as __bgDirname } from 'node:path';\n`;
}

/** Where a compiled tree keeps its build of zod. */
const VENDOR_ZOD = join('vendor', 'zod.js');

/**
 * zod as the compiled application loads it: one minified ESM file without zod's 40-odd message locales other than
 * English. Loading the package as published costs a gateway ~3.0 MiB of heap — its sources held as strings (two-byte,
 * for their non-ASCII comments), all locales imported by zod's core — and this build 1.4 MiB, on an edge whose budget
 * is 80 MiB (issue 14); the hub gains the same. Nothing of ours uses zod's locales (`z.locales`, `z.config`): issues
 * are mapped to our own bilingual texts. Tests run the sources against the package itself.
 */
async function vendorZod(build, outdir) {
  const englishOnly = {
    name: 'bondgate-zod-english-only',
    setup(b) {
      b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => ({ path: resolve(args.resolveDir, args.path), namespace: 'zod-english-only' }));
      b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({ contents: 'export { default as en } from "./en.js";\n', resolveDir: dirname(args.path), loader: 'js' }));
    },
  };
  await build({
    stdin: { contents: "export * from 'zod';\nexport { default } from 'zod';\n", resolveDir: ROOT, loader: 'js' },
    outfile: join(outdir, VENDOR_ZOD),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    plugins: [englishOnly],
    logLevel: 'silent',
  });
}

/** Compile every source into dist/run/KEY/ (atomically: built aside, then renamed); returns its cli/main.js. */
export async function compile(root = ROOT) {
  const { files, key } = current(root);
  const done = compiledMain(key, root);
  if (done) {
    writeLatest(root, key, files);
    return done;
  }
  const { build } = await import('esbuild');
  const sources = new Set(Object.keys(files).map((rel) => join(root, rel)));
  const tmp = join(runDir(root), `${key}.tmp-${process.pid}`);
  const outFileOf = (file) => join(runDir(root), key, relative(root, file)).replace(/\.ts$/, '.js');
  const linkToSource = {
    name: 'bondgate-link-to-source',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (args.path === 'zod') {
          // The tree's own build of zod (vendorZod), reached by a relative path from the compiled module.
          let rel = posix(relative(dirname(outFileOf(args.importer)), join(runDir(root), key, VENDOR_ZOD)));
          if (!rel.startsWith('.')) rel = `./${rel}`;
          return { path: rel, external: true };
        }
        if (!args.path.startsWith('.')) return { path: args.path, external: true }; // a package or node: builtin
        const target = resolve(args.resolveDir, args.path);
        if (target.endsWith('.ts')) {
          if (!sources.has(target)) return { errors: [{ text: `${args.path} is not an application source (${relative(root, target)})` }] };
          return { path: args.path.replace(/\.ts$/, '.js'), external: true };
        }
        // Not TypeScript (cli/usage.mjs, a worker bootstrap, a data file): the compiled module imports the original.
        let rel = posix(relative(dirname(outFileOf(args.importer)), target));
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return { path: rel, external: true };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => ({ contents: withSourceMeta(readFileSync(args.path, 'utf8'), args.path, outFileOf(args.path)), loader: 'ts' }));
    },
  };
  await build({
    entryPoints: [...sources],
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
  await vendorZod(build, tmp);
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
