/**
 * Follows MQTT framing over a byte stream and reports the first packet larger than a limit, from its fixed header
 * alone: the embedded broker (aedes) has no packet size limit and its parser buffers a packet whole before handing
 * it on, so a client declaring 40 MB would be buffered to the end. Pure: the broker feeds it the chunks it reads.
 *
 * An MQTT packet is one byte of type and flags, the remaining length as a variable-length integer (1–4 bytes,
 * 7 bits each, low first, high bit = more), then that many bytes.
 */
export interface FrameVerdict {
  /** Whole size of the packet that crossed the limit (fixed header included), or null for a malformed length. */
  declaredBytes: number | null;
}

export function mqttFrameGuard(maxPacketBytes: number): (chunk: Uint8Array) => FrameVerdict | null {
  let phase: 'type' | 'length' | 'body' = 'type';
  let length = 0;
  let lengthBytes = 0;
  let bodyLeft = 0;
  let failed: FrameVerdict | null = null;
  return (chunk) => {
    if (failed) return failed;
    let i = 0;
    while (i < chunk.length) {
      if (phase === 'body') {
        const skip = Math.min(bodyLeft, chunk.length - i);
        bodyLeft -= skip;
        i += skip;
        if (bodyLeft === 0) phase = 'type';
        continue;
      }
      const byte = chunk[i++]!;
      if (phase === 'type') {
        phase = 'length';
        length = 0;
        lengthBytes = 0;
        continue;
      }
      length += (byte & 0x7f) * 128 ** lengthBytes;
      lengthBytes += 1;
      if (byte & 0x80) {
        // A fifth length byte: no valid packet has one.
        if (lengthBytes === 4) return (failed = { declaredBytes: null });
        continue;
      }
      const total = 1 + lengthBytes + length;
      if (total > maxPacketBytes) return (failed = { declaredBytes: total });
      bodyLeft = length;
      phase = length === 0 ? 'type' : 'body';
    }
    return null;
  };
}
