import { describe, expect, it } from 'vitest';
import { parseAimPrefix } from './aim.ts';
import { GS, GS1_AIS, gs1CheckDigit, isValidGs1Key, parseGs1, type Gs1Result } from './gs1.ts';

/** Test vectors write FNC1 as `<GS>`. */
const gs = (s: string) => s.replaceAll('<GS>', GS);

const LOGISTIC_LABEL = gs(']C10036901234000000001702169012340000133748<GS>3301000125400PO-2024-001<GS>420518000');
const ITEM_LABEL = gs(']d2010690123400001617261231' + '10LOT42<GS>21SN0001');

function okGs1(r: Gs1Result) {
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  return r;
}

describe('GS1 check digits (devices.md §3 ✓)', () => {
  it.each([
    ['GTIN-13', '4006381333931'],
    ['GTIN-13', '5901234123457'],
    ['GTIN-13', '6901234000016'],
    ['GTIN-14', '80614141123458'],
    ['GTIN-14', '16901234000013'],
    ['SSCC', '106141412345678908'],
    ['SSCC', '006141411234567890'],
    ['SSCC', '369012340000000017'],
    ['GTIN-14 all zeros', '00000000000000'],
    ['GTIN-8', '96385074'],
  ])('%s %s', (_kind, full) => {
    expect(gs1CheckDigit(full.slice(0, -1))).toBe(Number(full.at(-1)));
    expect(isValidGs1Key(full)).toBe(true);
  });

  it.each([
    ['wrong check digit', '4006381333932'],
    ['wrong SSCC check digit', '369012340000000018'],
    ['not a key length', '12345678901'],
    ['non-digits', '40063813339A1'],
    ['empty', ''],
  ])('rejects %s: %j', (_why, full) => {
    expect(isValidGs1Key(full)).toBe(false);
  });

  it('gs1CheckDigit refuses non-digits', () => {
    expect(() => gs1CheckDigit('12a')).toThrow(RangeError);
    expect(() => gs1CheckDigit('')).toThrow(RangeError);
  });
});

describe('parseGs1', () => {
  it('AI table is prefix-free (no AI is the start of another)', () => {
    const ais = [...GS1_AIS.keys()];
    for (const a of ais) for (const b of ais) if (a !== b) expect(b.startsWith(a), `${a} / ${b}`).toBe(false);
  });

  it('logistic label (devices.md §3 ✓)', () => {
    const { data } = parseAimPrefix(LOGISTIC_LABEL);
    const r = okGs1(parseGs1(data));
    expect(r.elements.map((e) => [e.ai, e.value])).toEqual([
      ['00', '369012340000000017'],
      ['02', '16901234000013'],
      ['37', '48'],
      ['3301', '000125'],
      ['400', 'PO-2024-001'],
      ['420', '518000'],
    ]);
    expect(r.derived).toEqual({
      sscc: '369012340000000017',
      contentGtin: '16901234000013',
      count: 48,
      grossWeightKg: 12.5,
      orderNo: 'PO-2024-001',
      shipToPostal: '518000',
    });
  });

  it('item label (devices.md §3 ✓)', () => {
    const { data } = parseAimPrefix(ITEM_LABEL);
    const r = okGs1(parseGs1(data));
    expect(r.elements.map((e) => [e.ai, e.value])).toEqual([
      ['01', '06901234000016'],
      ['17', '261231'],
      ['10', 'LOT42'],
      ['21', 'SN0001'],
    ]);
    expect(r.elements[1]).toMatchObject({ label: 'USE BY OR EXPIRY', date: '2026-12-31' });
    expect(r.derived).toEqual({ gtin: '06901234000016', expiry: '2026-12-31', batch: 'LOT42', serial: 'SN0001' });
  });

  it.each([
    ['net kg 3103', '3103012345', { netWeightKg: 12.345 }],
    ['net lb 3203 → kg', '3203010000', { netWeightKg: 4.5359237 }],
    ['net lb 3202 → kg', '3202000100', { netWeightKg: 0.45359237 }],
    ['net kg 3100 (no decimals)', '3100000007', { netWeightKg: 7 }],
    ['gross kg 3301', '3301000125', { grossWeightKg: 12.5 }],
    ['gross lb 3401 → kg', '3401000010', { grossWeightKg: 0.45359237 }],
    ['leading zeros kept in keys and counts', '00006141411234567890' + '37' + '0048', { sscc: '006141411234567890', count: 48 }],
    ['all-zero GTIN', '0100000000000000', { gtin: '00000000000000' }],
    ['expiry day 00 → last day (leap Feb)', '17240200', { expiry: '2024-02-29' }],
    ['expiry day 00 → last day (Feb)', '17250200', { expiry: '2025-02-28' }],
    ['expiry day 00 → last day (Dec)', '17261200', { expiry: '2026-12-31' }],
    ['best before 15 and production 11', '1525063011250101', { bestBefore: '2025-06-30', productionDate: '2025-01-01' }],
    ['trailing GS allowed', gs('10LOT42<GS>'), { batch: 'LOT42' }],
    ['leading GS (FNC1 passed through) allowed', gs('<GS>0106901234000016'), { gtin: '06901234000016' }],
    ['GS after a fixed-length AI tolerated', gs('0106901234000016<GS>10A'), { gtin: '06901234000016', batch: 'A' }],
    ['variable AI at its maximum', '10' + 'A'.repeat(20), { batch: 'A'.repeat(20) }],
    ['421 ship-to postal with ISO country', '421156518000', { shipToCountry: '156', shipToPostal: '518000' }],
    ['410 ship-to GLN', '4106901234000016', { shipToGln: '6901234000016' }],
    ['8004 GIAI, 422 origin', gs('422156' + '8004ABC-1'), { countryOfOrigin: '156', giai: 'ABC-1' }],
    ['internal 91–99', gs('91abc<GS>99' + 'x'.repeat(90)), {}],
    ['identical duplicate AI accepted', gs('10A<GS>10A'), { batch: 'A' }],
  ])('%s', (_name, data, derived) => {
    expect(okGs1(parseGs1(data)).derived).toEqual(derived);
  });

  it('date sliding window with a reference year', () => {
    expect(okGs1(parseGs1('17991231', { referenceYear: 2025 })).derived.expiry).toBe('1999-12-31');
    expect(okGs1(parseGs1('17751231', { referenceYear: 2025 })).derived.expiry).toBe('2075-12-31');
    expect(okGs1(parseGs1('17761231', { referenceYear: 2025 })).derived.expiry).toBe('1976-12-31');
    expect(okGs1(parseGs1('17991231')).derived.expiry).toBe('2099-12-31');
  });

  it.each([
    ['empty', '', /empty/, undefined],
    ['bad SSCC check digit', '00369012340000000018', /AI \(00\).*check digit 8, expected 7/, 2],
    ['bad GTIN check digit', '0106901234000017', /AI \(01\).*expected 6/, 2],
    ['bad GLN check digit (410)', '4106901234000017', /AI \(410\)/, 3],
    ['bad GLN check digit (414)', '4146901234000017', /AI \(414\)/, 3],
    ['unknown AI', '0512345', /unknown AI at position 0/, 0],
    ['unknown AI after a good element', '0106901234000016' + '2399', /unknown AI at position 16/, 16],
    ['not an AI', 'HELLO', /expected an AI/, 0],
    ['variable AI longer than its maximum', '10' + 'A'.repeat(21), /AI \(10\).*21 characters.*maximum 20/, 2],
    ['420 longer than 20', '420' + '1'.repeat(21), /AI \(420\)/, 3],
    ['37 must be numeric', '37A1', /AI \(37\).*numeric/, 2],
    ['37 longer than 8', '37123456789', /AI \(37\)/, 2],
    ['3103 must be numeric', '310301234X', /AI \(3103\).*numeric/, 4],
    ['fixed AI cut short by end of data', '01069012340000', /AI \(01\) needs 14 characters, found 12/, 2],
    ['fixed AI cut short by GS', gs('01069012<GS>10A'), /AI \(01\) needs 14 characters, found 6/, 2],
    ['month 13', '17251301', /AI \(17\).*month 13/, 2],
    ['31 February', '11250231', /AI \(11\).*day 31/, 2],
    ['29 February in a common year', '13250229', /AI \(13\).*day 29/, 2],
    ['date not numeric', '15ABCDEF', /AI \(15\).*numeric/, 2],
    ['empty variable value', gs('10<GS>21A'), /AI \(10\) has an empty value/, 2],
    ['double GS', gs('10A<GS><GS>21B'), /unexpected GS/, 4],
    ['space not in the GS1 character set', '10LOT 42', /AI \(10\).*character set/, 2],
    ['duplicate AI with different values', gs('10A<GS>10B'), /AI \(10\) appears twice/, 4],
    ['423 not a list of 3-digit codes', '4231561', /AI \(423\)/, 3],
    ['421 without numeric country', '421ABC123', /AI \(421\).*3 digits/, 3],
  ])('rejects %s', (_name, data, reason, at) => {
    const r = parseGs1(data);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(reason);
    expect(r.at).toBe(at);
  });
});
