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
    // KEY=value or KEY="value with spaces" (Docker's quoting; \" inside the quotes).
    for (const m of l.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      const v = m[2]!;
      out[m[1]!] = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
    }
  }
  return out;
}
