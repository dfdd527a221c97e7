import { describe, expect, it } from 'vitest';
import { parseAimPrefix } from './aim.ts';

describe('parseAimPrefix', () => {
  it.each([
    [']C1abc', 'gs1-128', ']C1', true],
    [']C0abc', 'code128', ']C0', false],
    [']d2abc', 'gs1-datamatrix', ']d2', true],
    [']d1abc', 'datamatrix', ']d1', false],
    [']d7abc', 'datamatrix', ']d7', false], // DMRE (rectangular extension) sizes
    [']d8abc', 'gs1-datamatrix', ']d8', true],
    [']d9abc', 'datamatrix', ']d9', false],
    [']Q3abc', 'gs1-qr', ']Q3', true],
    [']Q1abc', 'qr', ']Q1', false],
    [']e0abc', 'gs1-databar', ']e0', true],
    [']J1abc', 'gs1-dotcode', ']J1', true],
    [']E0abc', 'ean13', ']E0', false],
    [']E4abc', 'ean8', ']E4', false],
    [']L2abc', 'pdf417', ']L2', false],
    [']L0abc', 'pdf417', ']L0', false],
  ] as const)('%s → %s', (text, symbology, aim, gs1) => {
    expect(parseAimPrefix(text)).toEqual({ symbology, aim, gs1, data: 'abc' });
  });

  it.each([['abc'], [']Z9abc'], [']C'], [''], ['C1abc']])('no or unknown prefix %j → unknown, data untouched', (text) => {
    expect(parseAimPrefix(text)).toEqual({ symbology: 'unknown', gs1: false, data: text });
  });

  it('is case-sensitive where AIM is (]D2 is not ]d2)', () => {
    expect(parseAimPrefix(']D2x').symbology).toBe('unknown');
  });
});
