import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CEB_XSD_FILES, deriveXsdRules, renderRulesModule, type CebXsdFile, type XsdRules } from './schema.ts';

/**
 * Regenerates `rules.generated.ts` from the official XSDs:
 *   node bin/run-ts.mjs hub/customs/ceb/gen-rules.ts [xsd-dir]
 * The default directory is the vendored copy of the official XSDs (`./xsd`, see its README).
 */
export const DEFAULT_XSD_DIR = fileURLToPath(new URL('./xsd/', import.meta.url));
export const GENERATED_RULES_FILE = fileURLToPath(new URL('./rules.generated.ts', import.meta.url));

/** The XSD folder: `CEB_XSD_DIR` when set, else the vendored copy. */
export function cebXsdDir(): string {
  return process.env.CEB_XSD_DIR || DEFAULT_XSD_DIR;
}

export async function renderFromXsdDir(dir: string): Promise<string> {
  const byFile = {} as Record<CebXsdFile, XsdRules>;
  for (const file of CEB_XSD_FILES) byFile[file] = deriveXsdRules(await readFile(join(dir, file)), file);
  return renderRulesModule(byFile);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? cebXsdDir();
  const text = await renderFromXsdDir(dir);
  await writeFile(GENERATED_RULES_FILE, text);
  console.log(`wrote ${GENERATED_RULES_FILE} (${text.length} characters) from ${dir}`);
}
