import { describe, expect, it } from 'vitest';
import { GS } from './gs1.ts';
import { classifyRead } from './read.ts';

/** Test vectors write FNC1 as `<GS>`. */
const gs = (s: string) => s.replaceAll('<GS>', GS);

const LOGISTIC_LABEL = gs(']C10036901234000000001702169012340000133748<GS>3301000125400PO-2024-001<GS>420518000');
const ITEM_LABEL = gs(']d2010690123400001617261231' + '10LOT42<GS>21SN0001');

describe('classifyRead', () => {
  it('logistic label → gs1', () => {
    const r = classifyRead(LOGISTIC_LABEL + '\r\n');
    expect(r).toMatchObject({ kind: 'gs1', symbology: 'gs1-128', aim: ']C1' });
    if (r.kind === 'gs1') expect(r.derived).toMatchObject({ sscc: '369012340000000017', grossWeightKg: 12.5, shipToPostal: '518000' });
  });

  it('item label → gs1', () => {
    const r = classifyRead(ITEM_LABEL);
    expect(r).toMatchObject({ kind: 'gs1', symbology: 'gs1-datamatrix', derived: { gtin: '06901234000016', expiry: '2026-12-31' } });
  });

  it.each([
    ['no AIM, contains GS', gs('0106901234000016<GS>10LOT'), { kind: 'gs1', symbology: 'unknown', derived: { gtin: '06901234000016', batch: 'LOT' } }],
    ['no AIM, valid SSCC element string', '00369012340000000017', { kind: 'gs1', derived: { sscc: '369012340000000017' } }],
    ['no AIM, GTIN + expiry without GS', '010690123400001617261231', { kind: 'gs1', derived: { expiry: '2026-12-31' } }],
    ['EAN-13', ']E04006381333931', { kind: 'gs1', symbology: 'ean13', derived: { gtin: '04006381333931' } }],
    ['EAN-8', ']E496385074', { kind: 'gs1', symbology: 'ean8', derived: { gtin: '00000096385074' } }],
    ['GS1 DataBar', ']e00106901234000016', { kind: 'gs1', symbology: 'gs1-databar' }],
    ['GS1 QR', gs(']Q3' + '00369012340000000017<GS>'), { kind: 'gs1', symbology: 'gs1-qr' }],
    ['S10', 'EA123456785CN', { kind: 's10', value: 'EA123456785CN', country: 'CN', checkDigit: 5 }],
    ['S10 lowercase', 'rb123456785gb', { kind: 's10', value: 'RB123456785GB', serviceIndicator: 'RB' }],
    ['S10 in Code 128', ']C0CP202501019CN', { kind: 's10', symbology: 'code128', aim: ']C0', serial: '20250101' }],
    ['SF waybill', 'SF1234567890123', { kind: 'logistics_no', value: 'SF1234567890123' }],
    ['JD waybill', 'JDVA12345678901', { kind: 'logistics_no', value: 'JDVA12345678901' }],
    ['digits-only waybill (ZTO/STO/Yunda style)', '773123456789012', { kind: 'logistics_no', value: '773123456789012' }],
    ['13 digits without EAN identifier is a waybill', '4006381333931', { kind: 'logistics_no' }],
    ['digits starting 00 with a bad SSCC check is still a waybill', '00369012340000000018', { kind: 'logistics_no' }],
    ['waybill in Code 128', ']C0YT1234567890123', { kind: 'logistics_no', symbology: 'code128', value: 'YT1234567890123' }],
    ['hyphenated, 32 chars', 'A-' + '1'.repeat(30), { kind: 'logistics_no' }],
  ])('%s', (_name, raw, expected) => {
    expect(classifyRead(raw)).toMatchObject(expected);
  });

  it.each([
    ['S10 with a bad check digit', 'EA123456789CN', /check digit 9, expected 5/],
    ['S10 with a bad check digit (US)', 'RB123456786US', /check digit 6, expected 5/],
    ['GS1-128 with a bad SSCC', ']C100369012340000000018', /AI \(00\)/],
    ['GS1 DataMatrix with an unknown AI', ']d20512', /unknown AI/],
    ['GS1 with an over-long lot', ']C110' + 'A'.repeat(21), /AI \(10\).*maximum 20/],
    ['GS but not GS1', gs('ABC<GS>DEF'), /not valid GS1/],
    ['EAN-13 with a bad check digit', ']E04006381333932', /not a valid GTIN-13/],
    ['space inside', 'SF 123', /only letters, digits/],
    ['33 characters', 'A'.repeat(33), /33 characters/],
    ['empty', '\r\n', /empty/],
    ['only an AIM prefix', ']C0', /empty/],
  ])('rejects %s', (_name, raw, reason) => {
    const r = classifyRead(raw);
    expect(r.kind).toBe('rejected');
    if (r.kind === 'rejected') expect(r.reason).toMatch(reason);
  });
});

describe('classifyRead: GS1 without GS separators, and AIs beyond the old table (issue 14 items 7, 8)', () => {
  // what @zxing/library returns for the item label: the FNC1 separators gone
  const GS_LESS = ']C1' + '0106901234000016' + '17261231' + '10LOT4221SN0001';

  it('a GS-less GS1-128 whose batch may hide the serial is ambiguous: kept whole with its readings, never a gs1 read', () => {
    const r = classifyRead(GS_LESS + '\r\n');
    expect(r).toMatchObject({ kind: 'ambiguous', symbology: 'gs1-128', aim: ']C1', text: GS_LESS, complete: true });
    if (r.kind !== 'ambiguous') return;
    expect(r.reason).toMatch(/^GS1 gs1-128: no GS separators/);
    expect(r.readings.map((els) => els.find((e) => e.ai === '10')?.value)).toContain('LOT42');
  });

  it('without an AIM identifier too (a scanner set up without FNC1 and AIM transmission)', () => {
    expect(classifyRead(GS_LESS.slice(3))).toMatchObject({ kind: 'ambiguous', symbology: 'unknown' });
  });

  it('the same label with its GS separators is a gs1 read', () => {
    expect(classifyRead(ITEM_LABEL)).toMatchObject({ kind: 'gs1', derived: { batch: 'LOT42', serial: 'SN0001' } });
  });

  it('a source known to send its separators can say so', () => {
    expect(classifyRead(GS_LESS, { separators: 'transmitted' })).toMatchObject({ kind: 'gs1', derived: { batch: 'LOT4221SN0001' } });
  });

  it('an AI the dictionary does not list no longer costs the read its GTIN', () => {
    const r = classifyRead(gs(']d2' + '0106901234000016' + '8101106141411<GS>' + '10LOT42'));
    expect(r).toMatchObject({ kind: 'gs1', derived: { gtin: '06901234000016', batch: 'LOT42' } });
    if (r.kind === 'gs1') expect(r.elements[1]).toEqual({ ai: '8101', value: '106141411', uninterpreted: true });
  });

  it.each([['8200'], ['3922'], ['8110']])('AI %s (seen on public labels) is read beside the GTIN', (ai) => {
    const value = ai === '3922' ? '1234' : ai === '8200' ? 'HTTPS://EXAMPLE.COM' : '106141416543213500110000310123196000';
    const text = gs(`]d2${ai === '3922' ? '0106901234000016' + '30' + '2<GS>' : '0106901234000016'}${ai}${value}<GS>`);
    const r = classifyRead(text);
    expect(r.kind).toBe('gs1');
    if (r.kind === 'gs1') expect(r.elements.find((e) => e.ai === ai)?.value).toBe(value);
  });
});
