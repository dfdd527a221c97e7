import { gs1CheckDigit } from './gs1.ts';

/**
 * EPC binary encodings from the GS1 EPC Tag Data Standard (devices.md §4): SGTIN-96 (header 0x30) and SSCC-96
 * (header 0x31), the two a bonded-zone gate sees on cartons and pallets. Pure: decoding never throws, an
 * unusable EPC comes back as `{ scheme: 'invalid', reason }`. Encoding is for the simulator and throws
 * RangeError on arguments no tag could carry.
 */

export const SGTIN_96_HEADER = 0x30;
export const SSCC_96_HEADER = 0x31;

const EPC_96_BITS = 96;
const EPC_96_HEX = EPC_96_BITS / 4;
const SGTIN_SERIAL_BITS = 38;
const SSCC_RESERVED_BITS = 24;

interface PartitionRow {
  prefixBits: number;
  prefixDigits: number;
  /** SGTIN indicator digit + item reference. */
  itemBits: number;
  itemDigits: number;
  /** SSCC extension digit + serial reference. */
  ssccSerialBits: number;
  ssccSerialDigits: number;
}

/** TDS partition table (devices.md §4); partition 7 is reserved and rejected. */
const PARTITIONS: readonly PartitionRow[] = [
  [40, 12, 4, 1, 18, 5],
  [37, 11, 7, 2, 21, 6],
  [34, 10, 10, 3, 24, 7],
  [30, 9, 14, 4, 28, 8],
  [27, 8, 17, 5, 31, 9],
  [24, 7, 20, 6, 34, 10],
  [20, 6, 24, 7, 38, 11],
].map(([prefixBits, prefixDigits, itemBits, itemDigits, ssccSerialBits, ssccSerialDigits]) => ({
  prefixBits: prefixBits!, prefixDigits: prefixDigits!, itemBits: itemBits!, itemDigits: itemDigits!,
  ssccSerialBits: ssccSerialBits!, ssccSerialDigits: ssccSerialDigits!,
}));

export type EpcInvalidReason =
  | 'not-hex'
  | 'bad-length'
  | 'reserved-partition'
  | 'company-prefix-too-long'
  | 'item-reference-too-long'
  | 'serial-reference-too-long'
  | 'reserved-bits-set';

export interface Sgtin96 {
  scheme: 'sgtin-96';
  filter: number;
  partition: number;
  /** Zero-padded to the partition's digit count, e.g. '0614141'. */
  companyPrefix: string;
  /** Indicator digit followed by the item reference, zero-padded, e.g. '812345'. */
  itemReference: string;
  /** Decimal, no leading zeros (SGTIN-96 can only carry such serials). */
  serial: string;
  /** 14 digits including the check digit. */
  gtin: string;
  elementString: string;
  tagUri: string;
}

export interface Sscc96 {
  scheme: 'sscc-96';
  filter: number;
  partition: number;
  companyPrefix: string;
  /** Extension digit followed by the serial reference, zero-padded. */
  serialReference: string;
  /** 18 digits including the check digit. */
  sscc: string;
  elementString: string;
  tagUri: string;
}

export type DecodedEpc =
  | Sgtin96
  | Sscc96
  /** A well-formed EPC in a scheme we do not decode (GIAI, GRAI, SGTIN-198, ...). `hex` is upper-case. */
  | { scheme: 'unknown'; header: number; hex: string }
  | { scheme: 'invalid'; reason: EpcInvalidReason };

const invalid = (reason: EpcInvalidReason): DecodedEpc => ({ scheme: 'invalid', reason });

/** Bits [offset, offset + width) of a 96-bit value, counted from the most significant bit. */
function bits(value: bigint, offset: number, width: number): bigint {
  return (value >> BigInt(EPC_96_BITS - offset - width)) & ((1n << BigInt(width)) - 1n);
}

/** Decimal digits of `value` padded to `digits`, or null when the value needs more digits (TDS decode fails). */
function padded(value: bigint, digits: number): string | null {
  const s = value.toString();
  return s.length > digits ? null : s.padStart(digits, '0');
}

/**
 * Decodes an EPC given as hex (either case, no separators). Headers 0x30/0x31 must be exactly 96 bits; any
 * other header on a whole number of bytes is reported as `unknown`, since longer EPCs exist in other schemes.
 */
export function decodeEpc(hex: string): DecodedEpc {
  if (!/^[0-9a-fA-F]*$/.test(hex)) return invalid('not-hex');
  if (hex.length < 2 || hex.length % 2 !== 0) return invalid('bad-length');
  const upper = hex.toUpperCase();
  const header = Number.parseInt(upper.slice(0, 2), 16);
  if (header !== SGTIN_96_HEADER && header !== SSCC_96_HEADER) return { scheme: 'unknown', header, hex: upper };
  if (upper.length !== EPC_96_HEX) return invalid('bad-length');

  const value = BigInt(`0x${upper}`);
  const filter = Number(bits(value, 8, 3));
  const partition = Number(bits(value, 11, 3));
  const row = PARTITIONS[partition];
  if (row === undefined) return invalid('reserved-partition');
  const companyPrefix = padded(bits(value, 14, row.prefixBits), row.prefixDigits);
  if (companyPrefix === null) return invalid('company-prefix-too-long');
  const afterPrefix = 14 + row.prefixBits;

  if (header === SGTIN_96_HEADER) {
    const itemReference = padded(bits(value, afterPrefix, row.itemBits), row.itemDigits);
    if (itemReference === null) return invalid('item-reference-too-long');
    const serial = bits(value, afterPrefix + row.itemBits, SGTIN_SERIAL_BITS).toString();
    // GTIN-14 = indicator digit, company prefix, rest of the item reference, check digit (devices.md §4).
    const body = itemReference.slice(0, 1) + companyPrefix + itemReference.slice(1);
    const gtin = body + gs1CheckDigit(body);
    return {
      scheme: 'sgtin-96', filter, partition, companyPrefix, itemReference, serial, gtin,
      elementString: `(01)${gtin}(21)${serial}`,
      tagUri: `urn:epc:tag:sgtin-96:${filter}.${companyPrefix}.${itemReference}.${serial}`,
    };
  }

  const serialReference = padded(bits(value, afterPrefix, row.ssccSerialBits), row.ssccSerialDigits);
  if (serialReference === null) return invalid('serial-reference-too-long');
  if (bits(value, EPC_96_BITS - SSCC_RESERVED_BITS, SSCC_RESERVED_BITS) !== 0n) return invalid('reserved-bits-set');
  const body = serialReference.slice(0, 1) + companyPrefix + serialReference.slice(1);
  const sscc = body + gs1CheckDigit(body);
  return {
    scheme: 'sscc-96', filter, partition, companyPrefix, serialReference, sscc,
    elementString: `(00)${sscc}`,
    tagUri: `urn:epc:tag:sscc-96:${filter}.${companyPrefix}.${serialReference}`,
  };
}

export interface Sgtin96Fields {
  filter: number;
  /** 6–12 digits; its length selects the partition. */
  companyPrefix: string;
  /** Indicator digit + item reference: 13 − companyPrefix.length digits. */
  itemReference: string;
  /** Decimal below 2^38 with no leading zeros. */
  serial: string;
}

export interface Sscc96Fields {
  filter: number;
  companyPrefix: string;
  /** Extension digit + serial reference: 17 − companyPrefix.length digits. */
  serialReference: string;
}

function checkFilter(filter: number): void {
  if (!Number.isInteger(filter) || filter < 0 || filter > 7) throw new RangeError(`EPC filter must be 0..7, got ${filter}`);
}

function partitionFor(companyPrefix: string): { partition: number; row: PartitionRow } {
  const partition = PARTITIONS.findIndex((r) => r.prefixDigits === companyPrefix.length);
  const row = PARTITIONS[partition];
  if (!/^\d+$/.test(companyPrefix) || row === undefined) {
    throw new RangeError(`company prefix must be 6–12 digits, got ${JSON.stringify(companyPrefix)}`);
  }
  return { partition, row };
}

function checkDigits(name: string, s: string, digits: number): void {
  if (!/^\d+$/.test(s) || s.length !== digits) throw new RangeError(`${name} must be ${digits} digits, got ${JSON.stringify(s)}`);
}

function toHex96(value: bigint): string {
  return value.toString(16).toUpperCase().padStart(EPC_96_HEX, '0');
}

/** The SGTIN-96 EPC (upper-case hex) for these fields; `decodeEpc` of the result gives them back. */
export function encodeSgtin96(fields: Sgtin96Fields): string {
  checkFilter(fields.filter);
  const { partition, row } = partitionFor(fields.companyPrefix);
  checkDigits('item reference', fields.itemReference, row.itemDigits);
  // TDS: SGTIN-96 carries the serial as an integer, so '007' could not come back as written.
  if (!/^(0|[1-9]\d*)$/.test(fields.serial) || BigInt(fields.serial) >= 1n << BigInt(SGTIN_SERIAL_BITS)) {
    throw new RangeError(`SGTIN-96 serial must be a decimal below 2^38 without leading zeros, got ${JSON.stringify(fields.serial)}`);
  }
  let value = BigInt(SGTIN_96_HEADER);
  value = (value << 3n) | BigInt(fields.filter);
  value = (value << 3n) | BigInt(partition);
  value = (value << BigInt(row.prefixBits)) | BigInt(fields.companyPrefix);
  value = (value << BigInt(row.itemBits)) | BigInt(fields.itemReference);
  value = (value << BigInt(SGTIN_SERIAL_BITS)) | BigInt(fields.serial);
  return toHex96(value);
}

/** The SSCC-96 EPC (upper-case hex) for these fields, with the 24 reserved bits zero. */
export function encodeSscc96(fields: Sscc96Fields): string {
  checkFilter(fields.filter);
  const { partition, row } = partitionFor(fields.companyPrefix);
  checkDigits('serial reference', fields.serialReference, row.ssccSerialDigits);
  let value = BigInt(SSCC_96_HEADER);
  value = (value << 3n) | BigInt(fields.filter);
  value = (value << 3n) | BigInt(partition);
  value = (value << BigInt(row.prefixBits)) | BigInt(fields.companyPrefix);
  value = (value << BigInt(row.ssccSerialBits)) | BigInt(fields.serialReference);
  value <<= BigInt(SSCC_RESERVED_BITS);
  return toHex96(value);
}
