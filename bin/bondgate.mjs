#!/usr/bin/env node
// Arguments first: `--help` and `--version` are answered here, before TypeScript or any of the application loads.
// Every other command runs cli/main.ts (which imports only the chosen command's modules) compiled to plain
// JavaScript by bin/compile.mjs — compiled on the first run after a source changed, in a child process, so the
// command itself carries neither a TypeScript loader nor the compiler. Where the compiled tree cannot be written,
// or with BONDGATE_TSX=1, it runs the sources through tsx's loader instead (the same code, ~40 MiB and a second more).
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { USAGE, VERSION } from '../cli/usage.mjs';

const argv = process.argv.slice(2);

/** The commands cli/main.ts routes before its strict parser (they own their options, `--help` included). */
const ownOptions = argv[0] === 'sim' || argv[0] === 'backup' || argv[0] === 'restore' || (argv[0] === 'documents' && argv[1] === 'import') || (argv[0] === 'broker' && argv[1] === 'config');

function quickAnswer() {
  if (ownOptions) return undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
    });
    if (values.version) return `bondgate ${VERSION}`;
    if (values.help || positionals.length === 0) return USAGE;
  } catch {
    // Bad options: cli/main.ts reports them the usual way.
  }
  return undefined;
}

/** The compiled cli/main.js for the sources as they are, compiling them first if needed; undefined: use tsx. */
async function compiledMain() {
  if (process.env.BONDGATE_TSX === '1') return undefined;
  const { currentMain } = await import('./compile.mjs');
  const ready = currentMain();
  if (ready) return ready;
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./compile.mjs', import.meta.url))], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    console.error('bondgate: running the TypeScript sources through tsx instead');
    return undefined;
  }
  return currentMain();
}

const answer = quickAnswer();
if (answer !== undefined) {
  console.log(answer);
} else {
  const compiled = await compiledMain();
  let main;
  if (compiled) {
    // shared/worker-module.ts: worker threads run the same compiled tree (…/dist/run/<key>/cli/main.js), not tsx.
    globalThis[Symbol.for('bondgate.compiledTree')] = { root: fileURLToPath(new URL('..', import.meta.url)), dir: dirname(dirname(compiled)) };
    ({ main } = await import(pathToFileURL(compiled).href));
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import('../cli/main.ts'));
  }
  await main(argv);
}
