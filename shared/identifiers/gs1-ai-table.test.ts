import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DICTIONARY_PATH, renderAiTable, TABLE_PATH } from './gen-gs1-ai-table.ts';
import { readSyntaxDictionary } from './gs1-syntax-dictionary.ts';

describe('gs1-ai-table.ts', () => {
  it('is what gen-gs1-ai-table.ts makes of the vendored dictionary (run it after replacing the dictionary)', () => {
    const entries = readSyntaxDictionary(readFileSync(DICTIONARY_PATH, 'utf8'));
    expect(readFileSync(TABLE_PATH, 'utf8')).toBe(renderAiTable(entries));
  });

  it('reads flags, optional components, linters and titles', () => {
    const [entry] = readSyntaxDictionary('253         ?  N13,csum,key [X..17]             dlpkey    # GDTI\n3100-3105  *?  N6   req=01,02 ex=310n  # NET WEIGHT (kg)\n');
    expect(entry).toEqual({
      from: '253', to: '253', predefined: false, title: 'GDTI',
      components: [
        { cset: 'N', min: 13, max: 13, optional: false, linters: ['csum', 'key'] },
        { cset: 'X', min: 1, max: 17, optional: true, linters: [] },
      ],
    });
    expect(readSyntaxDictionary('3100-3105  *?  N6   req=01,02 ex=310n  # NET WEIGHT (kg)')[0]).toMatchObject({ from: '3100', to: '3105', predefined: true });
  });

  it('refuses a line it cannot read', () => {
    expect(() => readSyntaxDictionary('ABC  N6')).toThrow(SyntaxError);
    expect(() => readSyntaxDictionary('99  ?  req=01')).toThrow(SyntaxError);
  });
});
