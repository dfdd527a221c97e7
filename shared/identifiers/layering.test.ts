import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Identifiers are vocabulary (style.md, "Where the customs side grows"): stations and the hub read GS1, S10 and EPC
 * from shared/identifiers, never from a driver. shared/ knows no side, and the hub meets devices only over the wire.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMPORT = /(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sources(path);
    return /\.(ts|tsx)$/.test(e.name) ? [path] : [];
  });
}

describe('where the identifier vocabulary lives', () => {
  it.each([['shared'], ['hub']])('%s/ imports nothing from drivers/', (dir) => {
    const offenders = sources(dir).flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(IMPORT)]
        .map((m) => m[1]!)
        .filter((spec) => spec.startsWith('.') && relative(ROOT, join(ROOT, file, '..', spec)).startsWith('drivers/'))
        .map((spec) => `${file} → ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});
