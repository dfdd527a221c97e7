import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { BondgateError } from './errors.ts';

/**
 * Load a YAML or JSON config file and validate it. A bad config stops with one line per problem that
 * names the field, what is wrong, and what it should be (the field's `.describe()` text is the fix).
 */
function describeAt(schema: z.ZodType, path: PropertyKey[]): string | undefined {
  let s: z.ZodType | undefined = schema;
  for (const key of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return undefined;
    if (!s) return undefined;
  }
  return s?.description ?? (s ? unwrap(s).description : undefined);
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 5; i++) {
    const inner = (cur as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def.innerType;
    if (!inner) break;
    cur = inner;
  }
  return cur;
}

export function parseConfig<T extends z.ZodType>(schema: T, value: unknown, source: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields = r.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(root)';
    const fix = describeAt(schema, issue.path);
    return { field, message: fix ? `${issue.message} — expected ${fix}` : issue.message };
  });
  const lines = fields.map((f) => `  - ${f.field}: ${f.message}`).join('\n');
  throw new BondgateError('CONFIG_INVALID', `Invalid configuration in ${source}:\n${lines}`, fields);
}

/**
 * The YAML parser for one config file, then let go: a config is read once at start, and the parser's ~0.9 MiB of heap
 * would otherwise stay for the life of a scanner gateway whose budget is 80 MiB (issue 14). `require` (not `import()`,
 * whose modules stay for good) keeps loading a config synchronous and lets its cache entries be dropped; the values
 * parsed are plain objects that hold nothing of the parser. A later config is read with a fresh load.
 */
function parseYaml(text: string): unknown {
  const require = createRequire(import.meta.url);
  try {
    return (require('yaml') as typeof import('yaml')).parse(text);
  } finally {
    for (const file of Object.keys(require.cache)) if (file.includes('/node_modules/yaml/')) delete require.cache[file];
  }
}

export function loadConfigFile<T extends z.ZodType>(schema: T, file: string): z.output<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BondgateError('CONFIG_INVALID', `Cannot read config file ${file}: ${(e as Error).message}`, [{ field: '(file)', message: 'not readable' }]);
  }
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new BondgateError('CONFIG_INVALID', `Config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`, [{ field: '(file)', message: 'syntax error' }]);
  }
  return parseConfig(schema, value ?? {}, file);
}
