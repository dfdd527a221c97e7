import fc from 'fast-check';

/**
 * A decimal(19,5) as customs may write it: up to 14 integer and up to 5 fraction digits, random widths, sometimes with
 * padding zeros or a `+` (xs:decimal allows both). `positive` leaves out zero (quantities, weights).
 */
export const cebDecimalText = (opts: { positive?: boolean } = {}) =>
  fc
    .tuple(fc.nat({ max: 14 }), fc.nat({ max: 5 }), fc.nat({ max: 2 }), fc.boolean(), fc.boolean())
    .chain(([intDigits, fracDigits, pad, plus, trailingZero]) =>
      fc
        .tuple(fc.bigInt({ min: 0n, max: 10n ** BigInt(intDigits) - 1n }), fc.bigInt({ min: 0n, max: 10n ** BigInt(fracDigits) - 1n }))
        .map(([int, frac]) => {
          const fracText = fracDigits === 0 ? '' : `.${frac.toString().padStart(fracDigits, '0')}`;
          return `${plus ? '+' : ''}${'0'.repeat(pad)}${int}${fracText}${trailingZero && fracDigits > 0 && fracDigits < 5 ? '0' : ''}`;
        }),
    )
    .filter((s) => !opts.positive || /[1-9]/.test(s));
