import { describe, expect, it } from 'vitest';
import { DICTIONARIES } from './index.ts';

describe('dashboard dictionaries', () => {
  it.each(Object.entries(DICTIONARIES))('%s: both languages have the same keys, none empty, all under the page prefix', (name, d) => {
    expect(Object.keys(d.en).sort()).toEqual(Object.keys(d.zh).sort());
    for (const [k, v] of [...Object.entries(d.zh), ...Object.entries(d.en)]) {
      expect(v.trim(), k).not.toBe('');
      if (name !== 'common') expect(k.startsWith(`${name}.`), k).toBe(true);
    }
  });
  it('no key is defined by two dictionaries', () => {
    const seen = new Map<string, string>();
    for (const [name, d] of Object.entries(DICTIONARIES)) for (const k of Object.keys(d.zh)) {
      expect(seen.get(k), `${k} in ${name}`).toBeUndefined();
      seen.set(k, name);
    }
  });
});
