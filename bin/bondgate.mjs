#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: one code path for dev, demo and tests.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main(process.argv.slice(2));
