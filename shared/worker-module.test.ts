import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPILED_TREE, workerModule } from './worker-module.ts';

const g = globalThis as Record<symbol, unknown>;
afterEach(() => {
  delete g[COMPILED_TREE];
});

describe('workerModule', () => {
  const source = pathToFileURL('/srv/bondgate/hub/services/decode-worker.ts');

  it('runs the .mjs bootstrap beside the source (tsx) when no compiled tree is recorded', () => {
    expect(workerModule(source).href).toBe('file:///srv/bondgate/hub/services/decode-worker.mjs');
  });

  it('runs the compiled module of the tree bin/bondgate.mjs recorded', () => {
    g[COMPILED_TREE] = { root: '/srv/bondgate/', dir: '/srv/bondgate/dist/run/0123abcd' };
    expect(workerModule(source).href).toBe('file:///srv/bondgate/dist/run/0123abcd/hub/services/decode-worker.js');
  });

  it('falls back to the bootstrap for a source outside the recorded checkout', () => {
    g[COMPILED_TREE] = { root: '/srv/other/', dir: '/srv/other/dist/run/0123abcd' };
    expect(workerModule(source).href).toBe('file:///srv/bondgate/hub/services/decode-worker.mjs');
  });
});
