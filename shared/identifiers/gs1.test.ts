import { describe, expect, it } from 'vitest';
import { parseAimPrefix } from './aim.ts';
import { encodeGs1, GS, GS1_AIS, gs1CheckDigit, isValidGs1Key, parseGs1, type Gs1Result } from './gs1.ts';

/** Test vectors write FNC1 as `<GS>`. */
const gs = (s: string) => s.replaceAll('<GS>', GS);

const LOGISTIC_LABEL = gs(']C10036901234000000001702169012340000133748<GS>3301000125400PO-2024-001<GS>420518000');
const ITEM_LABEL = gs(']d2010690123400001617261231' + '10LOT42<GS>21SN0001');

function okGs1(r: Gs1Result) {
  if (r.status !== 'ok') throw new Error(`expected ok, got ${r.status}: ${r.reason}`);
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
    expect(ais.flatMap((a) => ais.filter((b) => a !== b && b.startsWith(a)).map((b) => `${a} / ${b}`))).toEqual([]);
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
    expect(r.elements[1]).toMatchObject({ label: 'USE BY or EXPIRY', date: '2026-12-31' });
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
    ['not an AI', 'HELLO', /expected an AI/, 0],
    ['variable AI longer than its maximum', '10' + 'A'.repeat(21), /AI \(10\).*21 characters.*maximum 20/, 2],
    ['420 longer than 20', '420' + 'A'.repeat(21), /AI \(420\)/, 3],
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
    ['421 without numeric country', '421ABC123', /AI \(421\).*numeric in characters 1–3/, 3],
  ])('rejects %s', (_name, data, reason, at) => {
    const r = parseGs1(data);
    expect(r.status).toBe('invalid');
    if (r.status !== 'invalid') return;
    expect(r.reason).toMatch(reason);
    expect(r.at).toBe(at);
  });
});

describe('GS1 without GS separators (issue 14 item 7)', () => {
  const GTIN_EXPIRY = '0106901234000016' + '17261231';

  it('a batch that may have swallowed a serial is flagged ambiguous with both readings, never accepted', () => {
    const r = parseGs1(GTIN_EXPIRY + '10LOT4221SN0001');
    expect(r.status).toBe('ambiguous');
    if (r.status !== 'ambiguous') return;
    const readings = r.readings.map((els) => els.map((e) => `(${e.ai})${e.value}`).join(''));
    // the standard reading first, then every other valid one (a CPV (22) can hide there too)
    expect(readings).toEqual([
      '(01)06901234000016(17)261231(10)LOT4221SN0001',
      '(01)06901234000016(17)261231(10)LOT4(22)1SN0001',
      '(01)06901234000016(17)261231(10)LOT42(21)SN0001',
    ]);
    expect(r.complete).toBe(true);
    expect(r.reason).toMatch(/no GS separators/);
    expect(r.reason).toContain('(10)LOT42 (21)SN0001');
  });

  it('a batch that may have swallowed an expiry date is flagged', () => {
    const r = parseGs1('0106901234000016' + '10LOT42' + '17261231');
    expect(r.status).toBe('ambiguous');
  });

  it('too long as read but valid when cut: flagged ambiguous, not invalid and not guessed', () => {
    const r = parseGs1('420' + '1'.repeat(21));
    expect(r.status).toBe('ambiguous');
    if (r.status === 'ambiguous') expect(r.reason).toMatch(/not valid as read .*AI \(420\).*maximum 20/);
  });

  it.each([
    ['only fixed-length AIs', GTIN_EXPIRY + '3103012345', { gtin: '06901234000016', expiry: '2026-12-31', netWeightKg: 12.345 }],
    ['a single trailing variable AI that hides no AI', GTIN_EXPIRY + '10LOT42', { gtin: '06901234000016', expiry: '2026-12-31', batch: 'LOT42' }],
    ['digits that form no AI with a valid value', '0106901234000016' + '21123456789', { gtin: '06901234000016', serial: '123456789' }],
  ])('GS-less with %s parses', (_name, data, derived) => {
    expect(okGs1(parseGs1(data)).derived).toEqual(derived);
  });

  it('the same data with its GS separators is the standard reading', () => {
    expect(okGs1(parseGs1(gs(GTIN_EXPIRY + '10LOT42<GS>21SN0001'))).derived).toMatchObject({ batch: 'LOT42', serial: 'SN0001' });
    // a source known to send its separators: the end of the data ends the batch
    expect(okGs1(parseGs1(GTIN_EXPIRY + '10LOT4221SN0001', { separators: 'transmitted' })).derived.batch).toBe('LOT4221SN0001');
    // a GS anywhere shows the source sends them, a trailing one too
    expect(okGs1(parseGs1(gs(GTIN_EXPIRY + '10LOT4221SN0001<GS>'))).derived.batch).toBe('LOT4221SN0001');
  });
});

describe('AIs from the GS1 Barcode Syntax Dictionary (issue 14 item 8)', () => {
  const GTIN = '0106901234000016';

  it.each([
    ['8200 product URL', gs(GTIN + '8200HTTPS://EXAMPLE.COM/P1'), '8200', 'PRODUCT URL'],
    ['3922 price, 2 decimals', GTIN + '30' + '2' + gs('<GS>') + '392212345', '3922', 'PRICE'],
    ['3932 price with ISO 4217 currency', gs(GTIN + '302<GS>3932156' + '12345'), '3932', 'PRICE'],
    ['8110 coupon', gs(GTIN + '8110106141416543213500110000310123196000<GS>'), '8110', undefined],
    ['7003 expiry date and time', GTIN + '70032612311530', '7003', 'EXPIRY TIME'],
    ['8006 ITIP', '8006' + '06901234000016' + '0102', '8006', 'ITIP'],
  ])('%s is read, and the GTIN with it', (_name, data, ai, label) => {
    const r = okGs1(parseGs1(data));
    expect(r.elements.find((e) => e.ai === ai)).toMatchObject({ ai, ...(label !== undefined && { label }) });
    expect(r.elements.find((e) => e.ai === ai)?.uninterpreted).toBeUndefined();
  });

  it('an AI the dictionary does not list is kept as an uninterpreted element beside the valid GTIN', () => {
    const r = okGs1(parseGs1(gs(GTIN + '8101' + '10614141192' + '<GS>' + '10LOT42')));
    expect(r.elements).toEqual([
      { ai: '01', value: '06901234000016', label: 'GTIN' },
      { ai: '8101', value: '10614141192', uninterpreted: true },
      { ai: '10', value: 'LOT42', label: 'BATCH/LOT' },
    ]);
    expect(r.derived).toEqual({ gtin: '06901234000016', batch: 'LOT42' });
  });

  it('an unlisted AI with a predefined-length prefix is cut by the standard length (04: 16 characters)', () => {
    const r = okGs1(parseGs1('04' + 'ABCDEFGHIJ123456' + GTIN));
    expect(r.elements.map((e) => [e.ai, e.value, e.uninterpreted])).toEqual([['04', 'ABCDEFGHIJ123456', true], ['01', '06901234000016', undefined]]);
  });

  it.each([
    ['whose first two digits no AI starts with', '0512345', /unknown AI at position 0/],
    ['after a good element', GTIN + '5512', /unknown AI at position 16/],
  ])('an AI %s is still refused (its length is unknown)', (_name, data, reason) => {
    const r = parseGs1(data);
    expect(r.status).toBe('invalid');
    if (r.status === 'invalid') expect(r.reason).toMatch(reason);
  });

  it.each([
    ['8006 ITIP check digit', '8006' + '06901234000017' + '0102', /AI \(8006\).*check digit 7, expected 6/],
    ['8006 piece of total', '8006' + '06901234000016' + '0301', /piece 03 of 01/],
    ['253 GDTI check digit before its serial', '253' + '6901234000017' + 'ABC', /AI \(253\).*check digit/],
    ['8003 GRAI leading zero', '8003' + '1' + '6901234000016', /AI \(8003\).*must be zero/],
    ['7003 hour 25', GTIN + '70032612312530', /AI \(7003\).*time 2530/],
    ['4321 yes/no', '43212', /AI \(4321\).*not 0 or 1/],
    ['7006 day 00 not allowed (yymmdd)', '7006261200', /AI \(7006\).*day 00/],
  ])('the dictionary\'s syntax tests apply: %s', (_name, data, reason) => {
    const r = parseGs1(data);
    expect(r.status).toBe('invalid');
    if (r.status === 'invalid') expect(r.reason).toMatch(reason);
  });

  it('lengths, FNC1 flags and check digits come from the dictionary', () => {
    const pick = (ai: string) => {
      const s = GS1_AIS.get(ai)!;
      return { predefined: s.predefined, min: s.min, max: s.max, fixed: s.fixed, csum: s.components.some((c) => c.linters.includes('csum')) };
    };
    expect(pick('00')).toEqual({ predefined: true, min: 18, max: 18, fixed: 18, csum: true });
    expect(pick('414')).toEqual({ predefined: true, min: 13, max: 13, fixed: 13, csum: true });
    expect(pick('7003')).toEqual({ predefined: false, min: 10, max: 10, fixed: 10, csum: false });
    expect(pick('253')).toEqual({ predefined: false, min: 13, max: 30, fixed: undefined, csum: true });
    expect(pick('10')).toEqual({ predefined: false, min: 1, max: 20, fixed: undefined, csum: false });
    expect(GS1_AIS.size).toBeGreaterThan(500);
  });

  it('encodeGs1 puts a GS after every element that is not predefined-length, except the last', () => {
    expect(encodeGs1([{ ai: '01', value: '06901234000016' }, { ai: '7003', value: '2612311530' }, { ai: '10', value: 'A' }, { ai: '21', value: 'B' }]))
      .toBe(gs('0106901234000016' + '70032612311530<GS>10A<GS>21B'));
    expect(encodeGs1([{ ai: '10', value: 'A' }, { ai: '17', value: '261231' }, { ai: '00', value: '006141411234567890' }]))
      .toBe(gs('10A<GS>17261231' + '00006141411234567890'));
  });
});

