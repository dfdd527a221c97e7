import { describe, expect, it, vi } from 'vitest';
import { CEB_MESSAGE_TYPES } from '../hub/customs/ceb/rules.generated.ts';

/**
 * `npm run bench -- documents` reports, per CEB message type, messages/s beside a reference of the same run (a raw
 * parse of the same bytes) and their ratio — the shape only, never a figure: performance is judged in bench/, not in
 * tests. Run with a 1 ms budget per type (the warm-up calls alone).
 */
describe('the per-type documents bench', () => {
  it('prints one line per message type with the raw-parse reference, the intake and ingest rates and their ratios', async () => {
    process.env.BENCH_TYPE_MS = '1';
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' ')));
    try {
      const { benchDocumentTypes } = await import('../bench/documents-types.bench.ts');
      await benchDocumentTypes();
    } finally {
      spy.mockRestore();
      delete process.env.BENCH_TYPE_MS;
    }
    expect(lines.find((l) => l.startsWith('type'))).toMatch(/raw parse\s+intake\s+ratio\s+ingest\s+ratio/);
    const number = '[\\d,]+';
    for (const type of CEB_MESSAGE_TYPES) expect(lines.some((l) => new RegExp(`^${type}\\s+${number}\\s+${number}\\s+[\\d.]+\\s+${number}\\s+[\\d.]+$`).test(l)), type).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`geometric mean of intake / raw parse over ${CEB_MESSAGE_TYPES.length} types`));
  }, 120_000);
});
