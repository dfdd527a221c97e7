import { describe, expect, it } from 'vitest';
import { parseS10, s10CheckDigit } from './s10.ts';

describe('parseS10 (customs.md §7)', () => {
  it.each([
    ['EA123456785CN', 'EA', '12345678', 5, 'CN'],
    ['EE000000014CN', 'EE', '00000001', 4, 'CN'],
    ['CP202501019CN', 'CP', '20250101', 9, 'CN'],
    ['RB123456785GB', 'RB', '12345678', 5, 'GB'],
    ['ea123456785cn', 'EA', '12345678', 5, 'CN'],
    ['EA123456785cn', 'EA', '12345678', 5, 'CN'],
    ['  RB123456785gb\r\n', 'RB', '12345678', 5, 'GB'],
  ])('valid %j', (text, serviceIndicator, serial, checkDigit, country) => {
    expect(parseS10(text)).toEqual({
      ok: true,
      value: `${serviceIndicator}${serial}${checkDigit}${country}`,
      serviceIndicator,
      serial,
      checkDigit,
      country,
    });
  });

  it.each([
    ['EA123456789CN', /check digit 9, expected 5/],
    ['RB123456786US', /check digit 6, expected 5/],
    ['EA12345678CN', /not a UPU S10/],
    ['E1123456785CN', /not a UPU S10/],
    ['EA1234567855CN', /not a UPU S10/],
    ['', /not a UPU S10/],
  ])('invalid %j', (text, reason) => {
    const r = parseS10(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it.each([
    ['00000000', 5], // sum 0 → r 0 → 5
    ['02000000', 0], // 2×6 = 12 → r 1 → 0
    ['00000001', 4], // 1×7 = 7 → 11 − 7
    ['00000003', 1], // 3×7 = 21 → r 10 → 1
    ['00000020', 4], // 2×9 = 18 → r 7 → 11 − 7
  ])('s10CheckDigit rule branches: %s → %i', (serial, expected) => {
    expect(s10CheckDigit(serial)).toBe(expected);
  });
});
