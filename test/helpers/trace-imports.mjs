// `node --import ./trace-imports.mjs …` with TRACE_IMPORTS_FILE set: appends every module URL the process loads,
// one a line, so a test can see what a command pulled in (and what it did not).
import { register } from 'node:module';

register(new URL('./trace-imports-hooks.mjs', import.meta.url), { data: { file: process.env.TRACE_IMPORTS_FILE } });
