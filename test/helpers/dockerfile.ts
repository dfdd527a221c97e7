import { readFileSync } from 'node:fs';

/** A Dockerfile as stages of instruction lines (continuations joined, comments dropped). */
export interface Dockerfile {
  stages: { from: string; lines: string[] }[];
  text: string;
}

export function parseDockerfile(path: string): Dockerfile {
  const text = readFileSync(path, 'utf8').replace(/\\\n/g, ' ');
  const stages: Dockerfile['stages'] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (/^FROM /i.test(line)) stages.push({ from: line.split(/\s+/)[1]!, lines: [] });
    stages.at(-1)?.lines.push(line);
  }
  return { stages, text };
}

/** The JSON-array form of an instruction (`ENTRYPOINT ["a", "b"]`, `HEALTHCHECK … CMD ["node", …]`). */
export function execForm(line: string, keyword: string): string[] {
  const i = line.indexOf(`${keyword} [`);
  if (i < 0) throw new Error(`no exec-form ${keyword} in: ${line}`);
  return JSON.parse(line.slice(i + keyword.length + 1)) as string[];
}

/** `ENV A=1 B=two` → { A: '1', B: 'two' } (unquoted values, as these Dockerfiles write them). */
export function envOf(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines.filter((x) => /^ENV /.test(x))) {
    for (const kv of l.slice(4).trim().split(/\s+/)) {
      const eq = kv.indexOf('=');
      if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return out;
}
