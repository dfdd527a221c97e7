import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidGs1Key } from './gs1.ts';
import { decodeEpc, encodeSgtin96, encodeSscc96 } from './epc.ts';

/** Packs [value, bits] fields, most significant first, into 96-bit upper-case hex: builds tags no vector covers. */
function pack(...fields: [bigint | number, number][]): string {
  let v = 0n;
  let width = 0;
  for (const [value, bits] of fields) {
    v = (v << BigInt(bits)) | BigInt(value);
    width += bits;
  }
  expect(width).toBe(96);
  return v.toString(16).toUpperCase().padStart(24, '0');
}

describe('decodeEpc: devices.md §4 ✓ vectors', () => {
  it('SGTIN-96 3074257BF7194E4000001A85', () => {
    expect(decodeEpc('3074257BF7194E4000001A85')).toEqual({
      scheme: 'sgtin-96', filter: 3, partition: 5, companyPrefix: '0614141', itemReference: '812345', serial: '6789',
      gtin: '80614141123458', elementString: '(01)80614141123458(21)6789',
      tagUri: 'urn:epc:tag:sgtin-96:3.0614141.812345.6789',
    });
  });
  it('SSCC-96 3174257BF4499602D2000000', () => {
    expect(decodeEpc('3174257BF4499602D2000000')).toEqual({
      scheme: 'sscc-96', filter: 3, partition: 5, companyPrefix: '0614141', serialReference: '1234567890',
      sscc: '106141412345678908', elementString: '(00)106141412345678908',
      tagUri: 'urn:epc:tag:sscc-96:3.0614141.1234567890',
    });
  });
  it('SGTIN-96 3035A537C8000040000003E9 (item reference keeps its leading zeros)', () => {
    expect(decodeEpc('3035A537C8000040000003E9')).toMatchObject({
      scheme: 'sgtin-96', filter: 1, partition: 5, companyPrefix: '6901234', itemReference: '000001', serial: '1001',
      elementString: '(01)06901234000016(21)1001', tagUri: 'urn:epc:tag:sgtin-96:1.6901234.000001.1001',
    });
  });
  it('SSCC-96 31D5A537C8B2D05E01000000', () => {
    expect(decodeEpc('31D5A537C8B2D05E01000000')).toMatchObject({
      scheme: 'sscc-96', filter: 6, companyPrefix: '6901234', serialReference: '3000000001',
      elementString: '(00)369012340000000017', tagUri: 'urn:epc:tag:sscc-96:6.6901234.3000000001',
    });
  });
  it('accepts lower case, as the LLRP codec prints EPCs', () => {
    expect(decodeEpc('3074257bf7194e4000001a85')).toEqual(decodeEpc('3074257BF7194E4000001A85'));
  });
});

describe('decodeEpc: other schemes and invalid input', () => {
  it.each([
    ['GIAI-96 header', '3474257BF7194E4000001A85', { scheme: 'unknown', header: 0x34, hex: '3474257BF7194E4000001A85' }],
    ['SGTIN-198 length is not ours to judge', '36' + '00'.repeat(24), { scheme: 'unknown', header: 0x36, hex: '36' + '00'.repeat(24) }],
    ['unprogrammed (header 0)', '000000000000000000000000', { scheme: 'unknown', header: 0, hex: '000000000000000000000000' }],
  ])('%s → unknown', (_name, hex, expected) => {
    expect(decodeEpc(hex)).toEqual(expected);
  });

  it.each([
    ['empty', '', 'bad-length'],
    ['odd length', '3074257BF7194E4000001A8', 'bad-length'],
    ['SGTIN-96 short by a byte', '3074257BF7194E4000001A', 'bad-length'],
    ['SGTIN-96 long by a byte', '3074257BF7194E4000001A8500', 'bad-length'],
    ['non-hex', '3074257BF7194E4000001A8G', 'not-hex'],
    ['spaces', '30 74 25 7B F7 19 4E 40 00 00 1A 85', 'not-hex'],
    ['0x prefix', '0x3074257BF7194E4000001A85', 'not-hex'],
    ['partition 7', pack([0x30, 8], [3, 3], [7, 3], [0, 82]), 'reserved-partition'],
    ['SSCC partition 7', pack([0x31, 8], [3, 3], [7, 3], [0, 82]), 'reserved-partition'],
    // Partition 0: 40 bits hold up to 1099511627775, 13 digits, but the partition promises 12.
    ['prefix > 12 digits', pack([0x30, 8], [0, 3], [0, 3], [10n ** 12n, 40], [0, 4], [0, 38]), 'company-prefix-too-long'],
    ['prefix > 6 digits', pack([0x31, 8], [0, 3], [6, 3], [1_000_000, 20], [0, 38], [0, 24]), 'company-prefix-too-long'],
    ['item > 1 digit', pack([0x30, 8], [0, 3], [0, 3], [1, 40], [10, 4], [0, 38]), 'item-reference-too-long'],
    ['item > 7 digits', pack([0x30, 8], [0, 3], [6, 3], [1, 20], [10_000_000, 24], [0, 38]), 'item-reference-too-long'],
    ['SSCC serial > 5 digits', pack([0x31, 8], [0, 3], [0, 3], [1, 40], [100_000, 18], [0, 24]), 'serial-reference-too-long'],
    ['SSCC reserved bits set', '3174257BF4499602D2000001', 'reserved-bits-set'],
  ])('%s → invalid', (_name, hex, reason) => {
    expect(decodeEpc(hex)).toEqual({ scheme: 'invalid', reason });
  });

  it('the largest values a partition allows still decode', () => {
    const hex = pack([0x30, 8], [7, 3], [6, 3], [999_999, 20], [9_999_999, 24], [2n ** 38n - 1n, 38]);
    expect(decodeEpc(hex)).toMatchObject({ scheme: 'sgtin-96', filter: 7, companyPrefix: '999999', itemReference: '9999999', serial: '274877906943' });
  });
});

describe('encodeSgtin96 / encodeSscc96', () => {
  it('reproduce the ✓ vectors', () => {
    expect(encodeSgtin96({ filter: 3, companyPrefix: '0614141', itemReference: '812345', serial: '6789' })).toBe('3074257BF7194E4000001A85');
    expect(encodeSgtin96({ filter: 1, companyPrefix: '6901234', itemReference: '000001', serial: '1001' })).toBe('3035A537C8000040000003E9');
    expect(encodeSscc96({ filter: 3, companyPrefix: '0614141', serialReference: '1234567890' })).toBe('3174257BF4499602D2000000');
    expect(encodeSscc96({ filter: 6, companyPrefix: '6901234', serialReference: '3000000001' })).toBe('31D5A537C8B2D05E01000000');
  });

  it.each([
    ['filter 8', () => encodeSgtin96({ filter: 8, companyPrefix: '0614141', itemReference: '812345', serial: '1' })],
    ['prefix of 5 digits', () => encodeSgtin96({ filter: 0, companyPrefix: '06141', itemReference: '81234567', serial: '1' })],
    ['prefix of 13 digits', () => encodeSscc96({ filter: 0, companyPrefix: '0614141123456', serialReference: '1234' })],
    ['item of the wrong length', () => encodeSgtin96({ filter: 0, companyPrefix: '0614141', itemReference: '81234', serial: '1' })],
    ['serial with a leading zero', () => encodeSgtin96({ filter: 0, companyPrefix: '0614141', itemReference: '812345', serial: '007' })],
    ['serial of 2^38', () => encodeSgtin96({ filter: 0, companyPrefix: '0614141', itemReference: '812345', serial: String(2n ** 38n) })],
    ['alphanumeric serial', () => encodeSgtin96({ filter: 0, companyPrefix: '0614141', itemReference: '812345', serial: 'A1' })],
    ['SSCC serial reference of the wrong length', () => encodeSscc96({ filter: 0, companyPrefix: '0614141', serialReference: '123' })],
  ])('rejects %s', (_name, encode) => {
    expect(encode).toThrow(RangeError);
  });

  const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
  const prefixLength = fc.integer({ min: 6, max: 12 });
  const filter = fc.integer({ min: 0, max: 7 });

  it('SGTIN-96 round-trips through decode, with a valid GTIN', () => {
    const sgtin = prefixLength.chain((n) =>
      fc.record({ filter, companyPrefix: digits(n), itemReference: digits(13 - n), serial: fc.bigInt({ min: 0n, max: 2n ** 38n - 1n }).map(String) }),
    );
    fc.assert(
      fc.property(sgtin, (fields) => {
        const hex = encodeSgtin96(fields);
        expect(hex).toMatch(/^30[0-9A-F]{22}$/);
        const decoded = decodeEpc(hex);
        expect(decoded).toMatchObject({ scheme: 'sgtin-96', ...fields, partition: 12 - fields.companyPrefix.length });
        if (decoded.scheme !== 'sgtin-96') return;
        expect(isValidGs1Key(decoded.gtin)).toBe(true);
        expect(decoded.gtin.slice(1, 1 + fields.companyPrefix.length)).toBe(fields.companyPrefix);
        expect(encodeSgtin96(decoded)).toBe(hex);
      }),
      { numRuns: 500, seed: 96 },
    );
  });

  it('SSCC-96 round-trips through decode, with a valid SSCC', () => {
    const sscc = prefixLength.chain((n) => fc.record({ filter, companyPrefix: digits(n), serialReference: digits(17 - n) }));
    fc.assert(
      fc.property(sscc, (fields) => {
        const hex = encodeSscc96(fields);
        expect(hex).toMatch(/^31[0-9A-F]{16}000000$/);
        const decoded = decodeEpc(hex);
        expect(decoded).toMatchObject({ scheme: 'sscc-96', ...fields, partition: 12 - fields.companyPrefix.length });
        if (decoded.scheme !== 'sscc-96') return;
        expect(isValidGs1Key(decoded.sscc)).toBe(true);
        expect(encodeSscc96(decoded)).toBe(hex);
      }),
      { numRuns: 500, seed: 18 },
    );
  });

  it('decode never throws on any 96-bit value, and what it accepts re-encodes to the same bits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 88n - 1n }), fc.constantFrom(0x30, 0x31, 0x34), (low, header) => {
        const hex = ((BigInt(header) << 88n) | low).toString(16).toUpperCase().padStart(24, '0');
        const decoded = decodeEpc(hex);
        if (decoded.scheme === 'sgtin-96') expect(encodeSgtin96(decoded)).toBe(hex);
        if (decoded.scheme === 'sscc-96') expect(encodeSscc96(decoded)).toBe(hex);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
