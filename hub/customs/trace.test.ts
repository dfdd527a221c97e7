import { describe, expect, it } from 'vitest';
import { Gtin, gtin14, lotLinks, maskName, type PickedLot } from './trace.ts';

const G1 = '06901234567892';
const G2 = '06901234567908';

describe('gtin14: a list line barCode as a GTIN-14', () => {
  it.each([
    ['EAN-13', '6901234567892', G1],
    ['GTIN-14 as is', G1, G1],
    ['EAN-13 with spaces', '690 1234 56789 2', G1],
    ['UPC-A (12)', '036000291452', '00036000291452'],
    ['EAN-8', '96385074', '00000096385074'],
    ['bad check digit', '6901234567893', null],
    ['an internal code', 'TB-001', null],
    ['CEB "无" (none)', '无', null],
    ['11 digits', '12345678901', null],
    ['empty', '', null],
  ])('%s', (_name, code, expected) => {
    expect(gtin14(code)).toBe(expected);
  });

  it('the request schema takes the same keys and refuses a wrong check digit', () => {
    expect(Gtin.parse('6901234567892')).toBe(G1);
    expect(Gtin.safeParse('06901234567893').success).toBe(false);
    expect(Gtin.safeParse('690123456789').success).toBe(false); // 12 digits, check digit wrong for UPC-A
    expect(Gtin.safeParse('abc').success).toBe(false);
  });
});

const pick = (gtin: string, lot: string, qty: number, over: Partial<PickedLot> = {}): PickedLot => ({ gtin, lot, qty, op: 'pick', outcome: 'ok', ...over });

describe('lotLinks: an order declared goods split by the lots scanned into it', () => {
  it.each<{ name: string; declared: { gtin: string; qty: number }[]; picked: PickedLot[]; links: ReturnType<typeof lotLinks> }>([
    { name: 'declared, nothing scanned → one lot-unknown link', declared: [{ gtin: G1, qty: 2 }], picked: [], links: [{ gtin: G1, lot: null, qty: 2, source: 'list' }] },
    { name: 'all scanned from one lot', declared: [{ gtin: G1, qty: 2 }], picked: [pick(G1, 'A', 2)], links: [{ gtin: G1, lot: 'A', qty: 2, source: 'pick' }] },
    {
      name: 'two lots, one unit still unknown',
      declared: [{ gtin: G1, qty: 3 }],
      picked: [pick(G1, 'B', 1), pick(G1, 'A', 1)],
      links: [
        { gtin: G1, lot: 'A', qty: 1, source: 'pick' },
        { gtin: G1, lot: 'B', qty: 1, source: 'pick' },
        { gtin: G1, lot: null, qty: 1, source: 'list' },
      ],
    },
    {
      name: 'pick and pack of the same units count once (the larger)',
      declared: [{ gtin: G1, qty: 2 }],
      picked: [pick(G1, 'A', 2), pick(G1, 'A', 1, { op: 'pack' })],
      links: [{ gtin: G1, lot: 'A', qty: 2, source: 'pick' }],
    },
    {
      name: 'put-back outcomes are not in the order',
      declared: [{ gtin: G1, qty: 1 }],
      picked: [pick(G1, 'A', 1), pick(G1, 'X', 1, { outcome: 'over_quantity' }), pick(G1, 'Y', 1, { outcome: 'not_in_order' })],
      links: [{ gtin: G1, lot: 'A', qty: 1, source: 'pick' }],
    },
    { name: 'weight_off goods still went in', declared: [], picked: [pick(G2, 'W', 1, { outcome: 'weight_off' })], links: [{ gtin: G2, lot: 'W', qty: 1, source: 'pick' }] },
    {
      name: 'a lot scanned for an undeclared GTIN is still linked (over- rather than under-recall)',
      declared: [{ gtin: G1, qty: 1 }],
      picked: [pick(G2, 'Z', 1)],
      links: [
        { gtin: G1, lot: null, qty: 1, source: 'list' },
        { gtin: G2, lot: 'Z', qty: 1, source: 'pick' },
      ],
    },
    {
      name: 'more scanned than declared: the scans stand, nothing is left unknown',
      declared: [{ gtin: G1, qty: 1 }],
      picked: [pick(G1, 'A', 1), pick(G1, 'B', 1)],
      links: [
        { gtin: G1, lot: 'A', qty: 1, source: 'pick' },
        { gtin: G1, lot: 'B', qty: 1, source: 'pick' },
      ],
    },
    { name: 'decimal quantities (kg) leave an exact remainder', declared: [{ gtin: G1, qty: 0.3 }, { gtin: G1, qty: 0.4 }], picked: [], links: [{ gtin: G1, lot: null, qty: 0.7, source: 'list' }] },
  ])('$name', ({ declared, picked, links }) => {
    expect(lotLinks(declared, picked)).toEqual(links);
  });
});

describe('maskName', () => {
  it.each([
    ['苏芳', '苏*'],
    ['欧阳娜娜', '欧***'],
    ['  Li Wei ', 'L*****'],
    ['王', '*'],
  ])('%s → %s', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });
});
