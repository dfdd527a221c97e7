import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The console's modules form no import cycle, type-only imports included (a cycle through types is how the
 * contract drifted into server.ts once). eslint-plugin-import is not installed, so the imports are read here.
 */

const IMPORT = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Relative imports of every module under `dir` that land under `dir`. */
function importGraph(dir: string): Map<string, string[]> {
  const files = sourceFiles(dir);
  const inside = new Set(files);
  return new Map(
    files.map((file) => {
      const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1] ?? m[2]!));
      return [file, [...new Set(targets)].filter((t) => inside.has(t))];
    }),
  );
}

/** Each cycle once, as the path of files around it (depth-first search, grey/black colouring). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  it('finds a cycle through type-only imports (the checker itself works)', () => {
    const graph = new Map([
      ['server.ts', ['mask-view.ts', 'types.ts']],
      ['mask-view.ts', ['server.ts']],
      ['types.ts', []],
    ]);
    expect(findCycles(graph)).toEqual([['server.ts', 'mask-view.ts', 'server.ts']]);
    const parsed = [...`import type { ConsoleView } from './server.ts';\nexport { x } from "../a.ts";\nimport './side.ts';\nconst m = await import('./lazy.ts');`.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
    expect(parsed).toEqual(['./server.ts', '../a.ts', './side.ts', './lazy.ts']);
  });

  it('edge/console has none', () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const graph = importGraph(dir);
    expect(graph.size).toBeGreaterThanOrEqual(6);
    expect(findCycles(graph).map((c) => c.map((f) => relative(dir, f)).join(' -> '))).toEqual([]);
  });
});
