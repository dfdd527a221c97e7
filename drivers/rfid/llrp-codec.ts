import { toHex, type Codec, type GarbageFrame } from '../contract.ts';

/**
 * LLRP (EPCglobal Low Level Reader Protocol) over TCP, the messages a gate portal needs (devices.md §4). No
 * maintained npm library exists, so this is our own small codec: framing by the header's length, the message
 * types of a reader session, and tag reports. Big-endian throughout.
 */
export const MessageType = {
  GET_READER_CAPABILITIES: 1,
  SET_READER_CONFIG: 3,
  CLOSE_CONNECTION_RESPONSE: 4,
  SET_READER_CONFIG_RESPONSE: 13,
  CLOSE_CONNECTION: 14,
  ADD_ROSPEC: 20,
  DELETE_ROSPEC: 21,
  START_ROSPEC: 22,
  STOP_ROSPEC: 23,
  ENABLE_ROSPEC: 24,
  ADD_ROSPEC_RESPONSE: 30,
  DELETE_ROSPEC_RESPONSE: 31,
  START_ROSPEC_RESPONSE: 32,
  ENABLE_ROSPEC_RESPONSE: 34,
  RO_ACCESS_REPORT: 61,
  KEEPALIVE: 62,
  READER_EVENT_NOTIFICATION: 63,
  KEEPALIVE_ACK: 72,
  ERROR_MESSAGE: 100,
} as const;

const HEADER = 10;
const VERSION = 1;
/** Larger than any report a portal reader sends in one message; a bigger length means we lost the framing. */
const MAX_MESSAGE = 4 * 1024 * 1024;

/** TV parameters carry no length: their value sizes are fixed by the standard (LLRP 1.1 §16). */
const TV_LENGTH: Record<number, number> = { 1: 2, 2: 8, 3: 8, 4: 8, 5: 8, 6: 1, 7: 2, 8: 2, 9: 4, 10: 2, 11: 2, 12: 2, 13: 12, 14: 2, 15: 2, 16: 4 };
const TLV_TAG_REPORT_DATA = 240;
const TLV_EPC_DATA = 241;
const TLV_LLRP_STATUS = 287;

export interface TagReport {
  epcHex: string;
  antennaId?: number;
  peakRssiDbm?: number;
  /** Microseconds since the Unix epoch, as the reader stamped it. */
  firstSeenUtcUs?: bigint;
  seenCount?: number;
}

export type LlrpFrame =
  | { kind: 'message'; type: number; id: number; body: Buffer }
  | GarbageFrame;

export function encodeMessage(type: number, id: number, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(HEADER + body.length);
  out.writeUInt16BE((VERSION << 10) | type, 0);
  out.writeUInt32BE(HEADER + body.length, 2);
  out.writeUInt32BE(id >>> 0, 6);
  Buffer.from(body).copy(out, HEADER);
  return out;
}

export const keepaliveAck = (id: number) => encodeMessage(MessageType.KEEPALIVE_ACK, id);
/** DELETE/ENABLE/START/STOP_ROSPEC carry just the ROSpecID (0 = all, for DELETE). */
export const rospecCommand = (type: number, id: number, rospecId: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(rospecId >>> 0);
  return encodeMessage(type, id, b);
};

/** Frames LLRP messages out of a TCP byte stream. */
export function llrpCodec(): Codec<LlrpFrame> {
  let buf = Buffer.alloc(0);
  // Once the framing is lost nothing on this connection can be trusted: report it once, then ignore the rest
  // until reset() (the driver reconnects).
  let broken = false;
  return {
    push(bytes) {
      if (broken) return [];
      buf = buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([buf, bytes]);
      const out: LlrpFrame[] = [];
      while (buf.length >= HEADER) {
        const word = buf.readUInt16BE(0);
        const length = buf.readUInt32BE(2);
        const version = (word >> 10) & 0x07;
        if (version !== VERSION || length < HEADER || length > MAX_MESSAGE) {
          out.push({ kind: 'garbage', reason: `not an LLRP header (version ${version}, length ${length}): connection must be reset`, rawHex: toHex(buf.subarray(0, HEADER)) });
          buf = Buffer.alloc(0);
          broken = true;
          break;
        }
        if (buf.length < length) break;
        out.push({ kind: 'message', type: word & 0x3ff, id: buf.readUInt32BE(6), body: Buffer.from(buf.subarray(HEADER, length)) });
        buf = buf.subarray(length);
      }
      return out;
    },
    reset() {
      buf = Buffer.alloc(0);
      broken = false;
    },
  };
}

/** Walk parameters: TV (high bit set, fixed size) and TLV (type, length incl. header). */
function* params(body: Buffer, from = 0, to = body.length): Generator<{ type: number; tv: boolean; value: Buffer; end: number } | { error: string }> {
  let i = from;
  while (i < to) {
    const first = body[i]!;
    if (first & 0x80) {
      const type = first & 0x7f;
      const len = TV_LENGTH[type];
      if (len === undefined || i + 1 + len > to) return yield { error: `unknown or truncated TV parameter ${type} at ${i}` };
      yield { type, tv: true, value: body.subarray(i + 1, i + 1 + len), end: i + 1 + len };
      i += 1 + len;
    } else {
      if (i + 4 > to) return yield { error: `truncated TLV header at ${i}` };
      const type = body.readUInt16BE(i) & 0x3ff;
      const len = body.readUInt16BE(i + 2);
      if (len < 4 || i + len > to) return yield { error: `bad TLV length ${len} for parameter ${type} at ${i}` };
      yield { type, tv: false, value: body.subarray(i + 4, i + len), end: i + len };
      i += len;
    }
  }
}

/** RO_ACCESS_REPORT body → tag reports; a malformed parameter ends parsing with an error beside what was read. */
export function parseRoAccessReport(body: Buffer): { tags: TagReport[]; error?: string } {
  const tags: TagReport[] = [];
  for (const p of params(body)) {
    if ('error' in p) return { tags, error: p.error };
    if (p.tv || p.type !== TLV_TAG_REPORT_DATA) continue;
    const tag: Partial<TagReport> = {};
    for (const q of params(p.value)) {
      if ('error' in q) return { tags, error: q.error };
      if (q.tv) {
        if (q.type === 13) tag.epcHex = q.value.toString('hex').toUpperCase();
        else if (q.type === 1) tag.antennaId = q.value.readUInt16BE(0);
        else if (q.type === 6) tag.peakRssiDbm = q.value.readInt8(0);
        else if (q.type === 2) tag.firstSeenUtcUs = q.value.readBigUInt64BE(0);
        else if (q.type === 8) tag.seenCount = q.value.readUInt16BE(0);
      } else if (q.type === TLV_EPC_DATA && q.value.length >= 2) {
        const bits = q.value.readUInt16BE(0);
        tag.epcHex = q.value.subarray(2, 2 + Math.ceil(bits / 8)).toString('hex').toUpperCase();
      }
    }
    if (tag.epcHex) tags.push(tag as TagReport);
  }
  return { tags };
}

/** LLRPStatus inside a response: status code 0 is success. */
export function parseStatus(body: Buffer): { code: number; description: string } | undefined {
  for (const p of params(body)) {
    if ('error' in p) return undefined;
    if (!p.tv && p.type === TLV_LLRP_STATUS && p.value.length >= 4) {
      const descLen = p.value.readUInt16BE(2);
      return { code: p.value.readUInt16BE(0), description: p.value.subarray(4, 4 + descLen).toString('utf8') };
    }
  }
  return undefined;
}

function tlv(type: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type & 0x3ff, 0);
  head.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([head, body]);
}
const u8 = (v: number) => Buffer.of(v & 0xff);
const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

/**
 * ADD_ROSPEC for a gate portal: start immediately, run until stopped, inventory all antennas (C1G2), and report
 * every tag as it is seen with its antenna, peak RSSI, first-seen time and seen count (LLRP 1.1 §10.2, §14.2).
 */
export function addRospec(id: number, rospecId: number, opts: { antennas?: number[]; reportEveryN?: number } = {}): Buffer {
  const antennas = opts.antennas && opts.antennas.length > 0 ? opts.antennas : [0]; // 0 = all antennas
  const startTrigger = tlv(179, u8(1)); // immediate
  const stopTrigger = tlv(182, u8(0), u32(0)); // null: runs until STOP_ROSPEC
  const boundary = tlv(178, startTrigger, stopTrigger);
  const aiStop = tlv(184, u8(0), u32(0));
  const inventory = tlv(186, u16(1), u8(1)); // spec id 1, EPCglobal Class-1 Gen-2
  const aiSpec = tlv(183, u16(antennas.length), ...antennas.map(u16), aiStop, inventory);
  // TagReportContentSelector: AntennaID, PeakRSSI, FirstSeenTimestamp, TagSeenCount.
  const selector = tlv(238, u16(0x1000 | 0x0400 | 0x0200 | 0x0080));
  const report = tlv(237, u8(1), u16(opts.reportEveryN ?? 1), selector); // upon N tags or end of AISpec
  const rospec = tlv(177, u32(rospecId), u8(0), u8(0), boundary, aiSpec, report);
  return encodeMessage(MessageType.ADD_ROSPEC, id, rospec);
}

/** The parts of an ADD_ROSPEC a reader (or our simulator) needs back: the ROSpec id and its antennas. */
export function parseAddRospec(body: Buffer): { rospecId: number; antennas: number[] } | undefined {
  for (const p of params(body)) {
    if ('error' in p || p.tv || p.type !== 177 || p.value.length < 6) return undefined;
    const rospecId = p.value.readUInt32BE(0);
    for (const q of params(p.value, 6)) {
      if ('error' in q) return undefined;
      if (!q.tv && q.type === 183 && q.value.length >= 2) {
        const n = q.value.readUInt16BE(0);
        return { rospecId, antennas: Array.from({ length: n }, (_, i) => q.value.readUInt16BE(2 + 2 * i)) };
      }
    }
    return { rospecId, antennas: [0] };
  }
  return undefined;
}

/** A response body carrying only an LLRPStatus. */
export function statusBody(code = 0, description = ''): Buffer {
  const desc = Buffer.from(description, 'utf8');
  return tlv(TLV_LLRP_STATUS, u16(code), u16(desc.length), desc);
}

/** One RO_ACCESS_REPORT body with the given tags (what a reader sends; used by the simulator). */
export function roAccessReportBody(tags: TagReport[]): Buffer {
  return Buffer.concat(
    tags.map((t) => {
      const epc = Buffer.from(t.epcHex, 'hex');
      const tv: Buffer[] = [epc.length === 12 ? Buffer.concat([u8(0x80 | 13), epc]) : tlv(TLV_EPC_DATA, u16(epc.length * 8), epc)];
      if (t.antennaId !== undefined) tv.push(Buffer.concat([u8(0x80 | 1), u16(t.antennaId)]));
      if (t.peakRssiDbm !== undefined) {
        const b = Buffer.alloc(1);
        b.writeInt8(t.peakRssiDbm);
        tv.push(Buffer.concat([u8(0x80 | 6), b]));
      }
      if (t.firstSeenUtcUs !== undefined) {
        const b = Buffer.alloc(8);
        b.writeBigUInt64BE(t.firstSeenUtcUs);
        tv.push(Buffer.concat([u8(0x80 | 2), b]));
      }
      if (t.seenCount !== undefined) tv.push(Buffer.concat([u8(0x80 | 8), u16(t.seenCount)]));
      return tlv(TLV_TAG_REPORT_DATA, ...tv);
    }),
  );
}

/** READER_EVENT_NOTIFICATION with a ConnectionAttemptEvent (status 0 = success): what a reader sends first. */
export function connectionSuccessBody(utcUs: bigint): Buffer {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(utcUs);
  return tlv(246, tlv(128, ts), tlv(256, u16(0)));
}
