import { toHex, type Codec, type GarbageFrame } from '../contract.ts';

/**
 * Cheap R2000-based UART reader modules (devices.md §4): frames `A0 Len Addr Cmd Data… Check`, Len = the bytes after
 * Len, Check = two's complement of the byte sum of everything before it.
 */
export type R2000Frame = { kind: 'frame'; address: number; command: number; data: Buffer } | GarbageFrame;

export const R2000_CMD = { RESET: 0x70, REAL_TIME_INVENTORY: 0x89 } as const;

export function r2000Checksum(bytes: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum += bytes[i]!;
  return (0x100 - (sum & 0xff)) & 0xff;
}

export function encodeR2000(address: number, command: number, data: ArrayLike<number> = []): Buffer {
  const body = [0xa0, data.length + 3, address & 0xff, command & 0xff, ...Array.from(data)];
  return Buffer.from([...body, r2000Checksum(body)]);
}

export function r2000Codec(): Codec<R2000Frame> {
  let buf: number[] = [];
  let unframed: number[] = [];
  return {
    push(bytes) {
      const out: R2000Frame[] = [];
      const flush = () => {
        if (unframed.length > 0) out.push({ kind: 'garbage', reason: 'bytes outside an R2000 frame', rawHex: toHex(unframed) });
        unframed = [];
      };
      for (const b of bytes) {
        if (buf.length === 0 && b !== 0xa0) {
          unframed.push(b);
          if (unframed.length >= 64) flush();
          continue;
        }
        buf.push(b);
        if (buf.length === 2 && buf[1]! < 3) {
          // A length below 3 cannot hold address, command and checksum: not a frame start.
          unframed.push(...buf);
          buf = [];
          if (unframed.length >= 64) flush();
          continue;
        }
        if (buf.length >= 2 && buf.length === buf[1]! + 2) {
          const frame = buf;
          buf = [];
          flush();
          const body = frame.slice(0, -1);
          if (r2000Checksum(body) !== frame[frame.length - 1]) out.push({ kind: 'garbage', reason: 'R2000 frame checksum mismatch', rawHex: toHex(frame) });
          else out.push({ kind: 'frame', address: frame[2]!, command: frame[3]!, data: Buffer.from(frame.slice(4, -1)) });
        }
      }
      return out;
    },
    reset() {
      buf = [];
      unframed = [];
    },
  };
}
