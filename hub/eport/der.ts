/**
 * The little DER (X.690) the e-port's certificates and SM2 keys need: read a TLV strictly (definite lengths only,
 * minimal length octets, never past the end) and write the few types an X.509 certificate is made of. Pure.
 * Node's crypto parses SM2 keys and certificates but does not expose a certificate's signed part (tbsCertificate)
 * nor the SM2 point, and nothing on npm that does is smaller than this.
 */

export class DerError extends Error {}

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export const TAG = { INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, UTF8String: 0x0c, PrintableString: 0x13, UTCTime: 0x17, GeneralizedTime: 0x18, SEQUENCE: 0x30, SET: 0x31 } as const;

/** One TLV at `offset`, within `limit` (default: the end of `buf`). Multi-byte tags are refused (X.509 uses none). */
export function readTlv(buf: Uint8Array, offset = 0, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated TLV');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized length');
    if (p + n > limit) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (len < 0x80 || (n > 1 && buf[p] === 0)) throw new DerError('non-minimal length');
    p += n;
  }
  if (p + len > limit) throw new DerError('content runs past the end');
  return { tag, start: offset, contentStart: p, end: p + len };
}

/** The TLVs inside a constructed TLV, in order; the content must be exactly covered. */
export function childrenOf(buf: Uint8Array, tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = tlv.contentStart; p < tlv.end; ) {
    const c = readTlv(buf, p, tlv.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return tlv;
}

export const contentOf = (buf: Uint8Array, tlv: Tlv): Uint8Array => buf.subarray(tlv.contentStart, tlv.end);
export const bytesOf = (buf: Uint8Array, tlv: Tlv): Uint8Array => buf.subarray(tlv.start, tlv.end);

/** Dotted form of an OBJECT IDENTIFIER's content. */
export function oidToString(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift()!;
  return [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80, ...parts].join('.');
}

/** A non-negative INTEGER's content as a bigint (DER: minimal, with a 0x00 only before a high bit). */
export function integerOf(content: Uint8Array): bigint {
  if (content.length === 0) throw new DerError('empty INTEGER');
  if (content[0]! & 0x80) throw new DerError('negative INTEGER');
  if (content.length > 1 && content[0] === 0 && !(content[1]! & 0x80)) throw new DerError('non-minimal INTEGER');
  let v = 0n;
  for (const b of content) v = (v << 8n) | BigInt(b);
  return v;
}

// ---------------------------------------------------------------------------------------------------------------------
// Writing

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(body.length)]), body]);
}

export const seq = (...items: Uint8Array[]) => tlv(TAG.SEQUENCE, ...items);
export const set = (...items: Uint8Array[]) => tlv(TAG.SET, ...items);
/** Context-specific constructed [n] (explicit tagging). */
export const explicit = (n: number, ...items: Uint8Array[]) => tlv(0xa0 | n, ...items);

export function integer(v: bigint): Uint8Array {
  if (v < 0n) throw new DerError('negative INTEGER');
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return tlv(TAG.INTEGER, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

export function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [];
  for (const n of [a! * 40 + b!, ...rest]) {
    const groups: number[] = [];
    let v = n;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    groups.forEach((g, i) => out.push(i < groups.length - 1 ? g | 0x80 : g));
  }
  return tlv(TAG.OID, Buffer.from(out));
}

export const utf8String = (s: string) => tlv(TAG.UTF8String, Buffer.from(s, 'utf8'));
export const bitString = (bytes: Uint8Array) => tlv(TAG.BIT_STRING, Buffer.from([0]), bytes);
export const octetString = (bytes: Uint8Array) => tlv(TAG.OCTET_STRING, bytes);

/** UTCTime for 1950–2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
export function time(ms: number): Uint8Array {
  const iso = new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = Number(iso.slice(0, 4));
  return year < 2050 ? tlv(TAG.UTCTime, Buffer.from(`${iso.slice(2)}Z`)) : tlv(TAG.GeneralizedTime, Buffer.from(`${iso}Z`));
}
