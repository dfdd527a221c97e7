import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeGs1, GS, GS1_AIS, gs1CheckDigit, parseGs1, type AiSpec } from './gs1.ts';
import type { AiComponent } from './gs1-syntax-dictionary.ts';

/**
 * Properties over the whole dictionary: random AIs with values built to their components (check digits, dates,
 * times and the other syntax tests the parser runs), written as a scanner sends them.
 */

const DIGITS = '0123456789';
const ALPHA: Record<AiComponent['cset'], string> = {
  N: DIGITS,
  // GS1 character set 82 without '%' (a stray % would break the pcenc test on names and addresses).
  X: '!"&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz',
  Y: '#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  Z: '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz',
};

const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const two = (min: number, max: number) => fc.integer({ min, max }).map((n) => String(n).padStart(2, '0'));

function componentArb(c: AiComponent): fc.Arbitrary<string> {
  const has = (l: string) => c.linters.includes(l);
  if (has('csum')) return chars(DIGITS, c.max - 1, c.max - 1).map((d) => d + gs1CheckDigit(d));
  if (has('yymmd0') || has('yymmdd')) return fc.tuple(two(0, 99), two(1, 12), two(has('yymmd0') ? 0 : 1, 28)).map((p) => p.join(''));
  if (has('yyyymmdd')) return fc.tuple(fc.integer({ min: 1900, max: 2099 }), two(1, 12), two(1, 28)).map((p) => p.join(''));
  if (has('hhmi')) return fc.tuple(two(0, 23), two(0, 59)).map((p) => p.join(''));
  if (has('hh')) return two(0, 23);
  if (has('mi') || has('ss')) return two(0, 59);
  if (has('yesno')) return fc.constantFrom('0', '1');
  if (has('zero')) return fc.constant('0'.repeat(c.max));
  if (has('hyphen')) return fc.constant('-');
  if (has('winding')) return fc.constantFrom('0', '1', '9');
  if (has('iso5218')) return fc.constantFrom('0', '1', '2', '9');
  if (has('pieceoftotal')) return fc.integer({ min: 1, max: 99 }).chain((total) => fc.integer({ min: 1, max: total }).map((piece) => String(piece).padStart(2, '0') + String(total).padStart(2, '0')));
  return chars(ALPHA[c.cset], c.min, c.max).map((v) => {
    if (has('nonzero') && !/[1-9]/.test(v)) return v.slice(0, -1) + '1';
    if (has('nozeroprefix') && v.startsWith('0') && v !== '0') return '1' + v.slice(1);
    if (has('hasnondigit') && !/\D/.test(v)) return 'A' + v.slice(1);
    return v;
  });
}

/** A value for the spec: its mandatory components and any number of the optional ones that follow. */
function valueArb(spec: AiSpec): fc.Arbitrary<string> {
  const mandatory = spec.components.filter((c) => !c.optional).length;
  return fc
    .integer({ min: mandatory, max: spec.components.length })
    .chain((n) => fc.tuple(...spec.components.slice(0, n).map(componentArb)))
    .map((parts) => parts.join(''));
}

const KNOWN = [...GS1_AIS.values()];
const knownElement = fc.constantFrom(...KNOWN).chain((spec) => valueArb(spec).map((value) => ({ ai: spec.ai, value })));
/** AIs the dictionary does not list, well-formed by their first two digits (04 and 14 are predefined-length). */
const unknownElement = fc.oneof(
  fc.tuple(fc.constantFrom('8101', '8102', '7099', '259', '719'), chars(ALPHA.X, 1, 30)).map(([ai, value]) => ({ ai, value })),
  chars(ALPHA.X, 16, 16).map((value) => ({ ai: '04', value })),
  chars(DIGITS, 6, 6).map((value) => ({ ai: '14', value })),
);

const elementsOf = (element: fc.Arbitrary<{ ai: string; value: string }>) =>
  fc.uniqueArray(element, { selector: (e) => e.ai, minLength: 1, maxLength: 6 });

const pairs = (elements: readonly { ai: string; value: string }[]) => elements.map((e) => [e.ai, e.value]);

describe('GS1 element strings (properties)', () => {
  it('any valid element string, GS after each element that is not predefined-length, round-trips exactly', () => {
    fc.assert(
      fc.property(elementsOf(fc.oneof({ weight: 4, arbitrary: knownElement }, { weight: 1, arbitrary: unknownElement })), (elements) => {
        const encoded = encodeGs1(elements);
        const r = parseGs1(encoded, { separators: 'transmitted' });
        expect(r.status === 'ok' ? pairs(r.elements) : r).toEqual(pairs(elements));
        // Unknown source: a GS anywhere proves the source sends them; without one the read is exact or flagged.
        const blind = parseGs1(encoded);
        if (encoded.includes(GS) || blind.status !== 'ambiguous') expect(blind.status === 'ok' ? pairs(blind.elements) : blind).toEqual(pairs(elements));
        else if (blind.complete) expect(blind.readings.map(pairs)).toContainEqual(pairs(elements));
      }),
      { numRuns: 400 },
    );
  });

  it('a GS-less string is never accepted with a wrong value: either exactly right or flagged ambiguous', () => {
    fc.assert(
      fc.property(elementsOf(knownElement), (elements) => {
        const gsLess = elements.map((e) => e.ai + e.value).join('');
        const r = parseGs1(gsLess);
        expect(r.status).not.toBe('invalid');
        if (r.status === 'ok') expect(pairs(r.elements)).toEqual(pairs(elements));
        // every reading offered is complete and valid; the true one is among them unless the list was cut short
        if (r.status === 'ambiguous' && r.complete) expect(r.readings.map(pairs)).toContainEqual(pairs(elements));
      }),
      { numRuns: 400 },
    );
  });

  it('a variable-length value hiding a known AI is flagged, never read as one value', () => {
    // (10) batch then (21) serial, with the GS dropped: the parser must not return the batch with the serial inside
    fc.assert(
      fc.property(chars(ALPHA.X, 1, 10), chars(ALPHA.X, 1, 10), (lot, serial) => {
        const r = parseGs1('0106901234000016' + '10' + lot + '21' + serial);
        expect(r.status).toBe('ambiguous');
        if (r.status === 'ambiguous' && r.complete) {
          expect(r.readings.map(pairs)).toContainEqual([['01', '06901234000016'], ['10', lot], ['21', serial]]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
