#!/usr/bin/env node
// Arguments first: `--help` and `--version` are answered here, before TypeScript or any of the application loads.
// Every other command goes through tsx's loader (one code path for dev, demo and tests) to cli/main.ts, which
// imports only the chosen command's modules.
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

const answer = quickAnswer();
if (answer !== undefined) {
  console.log(answer);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/main.ts');
  await main(argv);
}
