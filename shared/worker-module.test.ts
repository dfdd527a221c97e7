import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPILED_TREE, compiledModule, startWorker } from './worker-module.ts';

const g = globalThis as Record<symbol, unknown>;
afterEach(() => {
  delete g[COMPILED_TREE];
});

describe('compiledModule', () => {
  const source = pathToFileURL('/srv/bondgate/hub/services/decode-worker.ts');

  it('is none when no compiled tree is recorded (the sources run through tsx)', () => {
    expect(compiledModule(source)).toBeUndefined();
  });

  it('is the compiled module of the tree bin/bondgate.mjs recorded', () => {
    g[COMPILED_TREE] = { root: '/srv/bondgate/', dir: '/srv/bondgate/dist/run/0123abcd' };
    expect(compiledModule(source)?.href).toBe('file:///srv/bondgate/dist/run/0123abcd/hub/services/decode-worker.js');
  });

  it('is none for a source outside the recorded checkout', () => {
    g[COMPILED_TREE] = { root: '/srv/other/', dir: '/srv/other/dist/run/0123abcd' };
    expect(compiledModule(source)).toBeUndefined();
  });
});

describe('startWorker', () => {
  it('runs a TypeScript worker through the shared tsx bootstrap when nothing is compiled', async () => {
    const w = startWorker(new URL('../hub/auth/strength-worker.ts', import.meta.url));
    try {
      const answer = new Promise((resolve) => w.once('message', resolve));
      w.postMessage({ id: 7, username: 'admin', password: 'aaaaaaaaaaaa' });
      expect(await answer).toMatchObject({ id: 7, result: { score: expect.any(Number) } });
    } finally {
      await w.terminate();
    }
  }, 60_000);
});
