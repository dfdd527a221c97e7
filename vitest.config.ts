import { configDefaults, defineConfig } from 'vitest/config';

const ALL = ['shared/**/*.test.ts', 'edge/**/*.test.ts', 'hub/**/*.test.ts', 'drivers/**/*.test.ts', 'test/**/*.test.ts'];
// Three hubs, three edges and a broker as OS processes: on a 2-core machine it runs after everything else, alone, so it
// neither starves another end-to-end file nor is starved by one (issue 13: a loaded run took 29 min against ~8 quiet).
const CLUSTER = ['test/e2e/multi-hub.test.ts'];

export default defineConfig({
  test: {
    // Bounds on a hung test, sized for a loaded machine (everything runs ~3.5x slower there); a quiet run never
    // waits on them. Assertions wait on conditions, never on these.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // expect.poll waits on a condition; its 1 s default is a speed assertion in disguise on a loaded machine (a browser
    // test creating a user failed on it once the password check moved to a worker that starts on demand).
    expect: { poll: { timeout: 20_000 } },
    // End-to-end suites start processes and brokers on free ports; two workers suit a 2-core machine. A worker must
    // never block its thread for long (spawnSync, cpSync of node_modules): Vitest's worker RPC has a fixed 60 s
    // deadline ("Timeout calling onTaskUpdate"), so such work is asynchronous in the tests.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      { extends: true, test: { name: 'main', include: ALL, exclude: [...configDefaults.exclude, ...CLUSTER], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'cluster', include: CLUSTER, sequence: { groupOrder: 1 } } },
    ],
  },
});
