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
 * The YAML parser, loaded by the first YAML config: a gateway configured in JSON never carries it (~0.9 MiB of heap on
 * a scanner gateway whose budget is 80 MiB, issue 14). `require`, not `import()`, so loading a config stays synchronous.
 */
function parseYaml(text: string): unknown {
  return (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
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
