import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compile, currentMain, sourceFiles } from '../bin/compile.mjs';

/**
 * bin/compile.mjs: the application compiled to plain JavaScript for bin/bondgate.mjs (no TypeScript loader in a
 * running gateway). Checked on a small tree of its own: what is compiled, that modules keep their source's
 * import.meta and reach non-TypeScript files at their source, and that an edited source makes a new tree.
 */
const root = mkdtempSync(join(tmpdir(), 'bg-compile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const put = (file: string, text: string) => {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), text);
};
type ZodLike = { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } };
type Main = { main(): { value: number; usage: string; url: string; dirname: string } };

describe('the compiled application tree', () => {
  put('cli/main.ts', "import { value } from '../shared/value.ts';\nimport { USAGE } from './usage.mjs';\nexport function main(): object {\n  return { value, usage: USAGE, url: import.meta.url, dirname: import.meta.dirname };\n}\n");
  put('cli/usage.mjs', "export const USAGE = 'usage text';\n");
  put('shared/value.ts', 'export const value: number = 1;\n');
  put('shared/value.test.ts', "throw new Error('tests are not compiled');\n");
  put('hub/ui/src/page.ts', "throw new Error('the dashboard is built by vite');\n");

  it('compiles the sources (not tests, not the dashboard), keeping each module’s import.meta and its links to other files', async () => {
    expect(sourceFiles(root)).toEqual([join(root, 'cli/main.ts'), join(root, 'shared/value.ts')]);
    expect(currentMain(root)).toBeUndefined();
    const main = (await compile(root))!;
    expect(main).toMatch(new RegExp(`^${root}/dist/run/[0-9a-f]{16}/cli/main\\.js$`));
    expect(currentMain(root)).toBe(main);
    const r = ((await import(pathToFileURL(main).href)) as Main).main();
    expect(r).toEqual({ value: 1, usage: 'usage text', url: pathToFileURL(join(root, 'cli/main.ts')).href, dirname: join(root, 'cli') });
  });

  it('a source touched but not changed (a copied tree, a checkout) keeps the tree; an edited one makes it stale, and the next compile makes a new one', async () => {
    const before = currentMain(root)!;
    utimesSync(join(root, 'shared/value.ts'), new Date(), new Date(Date.now() + 3000));
    expect(currentMain(root)).toBe(before);
    put('shared/value.ts', 'export const value: number = 2;\n');
    expect(currentMain(root)).toBeUndefined();
    const after = (await compile(root))!;
    expect(after).not.toBe(before);
    expect(((await import(pathToFileURL(after).href)) as Main).main().value).toBe(2);
  });

  it('gives the tree its own build of zod: the same schemas and English messages, without the other locales', async () => {
    put('shared/schema.ts', "import { z } from 'zod';\nexport const Thing = z.object({ id: z.string().min(2) });\nexport const localeNames = Object.keys(z.locales);\n");
    const main = (await compile(root))!;
    const compiled = join(main, '../../shared/schema.js');
    expect(readFileSync(compiled, 'utf8')).toContain('from "../vendor/zod.js"');
    const m = (await import(pathToFileURL(compiled).href)) as { Thing: ZodLike; localeNames: string[] };
    expect(m.Thing.safeParse({ id: 'ab' }).success).toBe(true);
    const bad = m.Thing.safeParse({ id: 'a' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toBe((await import('zod')).z.object({ id: z.string().min(2) }).safeParse({ id: 'a' }).error!.issues[0]!.message);
    // The package itself carries ~40 locales; the build keeps English only.
    expect(Object.keys((await import('zod')).z.locales).length).toBeGreaterThan(30);
    expect(m.localeNames).toEqual(['en']);
  });

  it('refuses a tree that imports TypeScript from outside the application', async () => {
    put('cli/main.ts', "import '../test/helper.ts';\nexport const main = 1;\n");
    put('test/helper.ts', 'export {};\n');
    await expect(compile(root)).rejects.toThrow(/not an application source/);
  });
});
