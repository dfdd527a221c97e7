import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cebDecimalText } from '../test/helpers/decimal-arbitraries.ts';
import { add, cmp, decimalFromNumber, decimalSchema, mul, parseDecimal, round, sub, sum, toFixed, unitsAt, withinPct } from './decimal.ts';

const cebDecimal = cebDecimalText();

describe('canonical decimals', () => {
  it.each([
    ['+007.50', '7.5'],
    ['.5', '0.5'],
    ['-0.000', '0'],
    ['12345678912345.12345', '12345678912345.12345'],
    ['10', '10'],
    ['0010.0100', '10.01'],
  ])('%s → %s', (text, canonical) => expect(parseDecimal(text)).toBe(canonical));

  it.each(['', '.', '1e5', '1,5', ' 1', 'abc', '--1'])('%j is not a decimal', (text) => expect(parseDecimal(text)).toBeUndefined());

  it('numbers in exponent form', () => {
    expect(decimalFromNumber(1e-7)).toBe('0.0000001');
    expect(decimalFromNumber(1.5e21)).toBe('1500000000000000000000');
    expect(decimalFromNumber(-2.5e-7)).toBe('-0.00000025');
  });
});

describe('arithmetic is exact where a JS number is not', () => {
  it('sums and products at the full decimal(19,5) width', () => {
    expect(add('12345678912345.12345', '0.00001')).toBe('12345678912345.12346');
    expect(sum(['0.1', '0.2', '0.3'])).toBe('0.6');
    expect(mul('99999999999999.99999', '99999999999999.99999')).toBe('9999999999999999998000000000.0000000001');
    expect(sub('1', '1.00001')).toBe('-0.00001');
  });

  it('rounds half away from zero', () => {
    expect(round('2.345', 2)).toBe('2.35');
    expect(round('-2.345', 2)).toBe('-2.35');
    expect(round('2.344999', 2)).toBe('2.34');
    expect(toFixed('12.5', 2)).toBe('12.50');
    expect(toFixed('0.005', 2)).toBe('0.01');
    expect(unitsAt('12345678912345.12345', 2)).toBe(1234567891234512n);
  });

  it('percentage tolerances without division', () => {
    expect(withinPct('105', '100', 5)).toBe(true);
    expect(withinPct('105.00001', '100', 5)).toBe(false);
    expect(withinPct('97.5', '100', 2.5)).toBe(true);
  });

  it('property: add/sub invert and cmp orders like BigInt of the same scale', () => {
    fc.assert(
      fc.property(cebDecimal, cebDecimal, (a, b) => {
        const ca = parseDecimal(a)!;
        const cb = parseDecimal(b)!;
        expect(sub(add(ca, cb), cb)).toBe(ca);
        const ua = unitsAt(ca, 5);
        const ub = unitsAt(cb, 5);
        expect(cmp(ca, cb)).toBe(ua < ub ? -1 : ua > ub ? 1 : 0);
      }),
    );
  });
});

describe('decimalSchema', () => {
  const amount = decimalSchema();
  const quantity = decimalSchema({ sign: 'positive' });

  it('keeps a decimal(19,5) string exactly and canonical', () => {
    expect(amount.parse('12345678912345.12345')).toBe('12345678912345.12345');
    expect(amount.parse('+0012.50')).toBe('12.5');
    expect(amount.parse(12.5)).toBe('12.5');
  });

  it('refuses what decimal(19,5) does not hold, and numbers that may have lost digits', () => {
    for (const bad of ['100000000000000', '1.123456', '-1', 'x', 1.123456, 12345678912345.12]) expect(amount.safeParse(bad).success, String(bad)).toBe(false);
    expect(quantity.safeParse('0').success).toBe(false);
    expect(amount.safeParse('0').success).toBe(true);
  });

  it('property: any decimal(19,5) text parses to the canonical value it wrote', () => {
    fc.assert(fc.property(cebDecimal, (text) => {
        expect(amount.parse(text)).toBe(parseDecimal(text));
      }));
  });
});
