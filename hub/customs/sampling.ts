import { createHash, createHmac } from 'node:crypto';

/**
 * Random sampling the supervised party cannot predict (customs.md §6): a parcel's draw is an HMAC of its key under a
 * secret only the hub holds. The waybill number is chosen by the company and the rules version is public, so a hash
 * of those two (what the line and the risk engine used before) let anyone precompute which parcels escape; with a
 * keyed HMAC they cannot without the key, and the key never leaves the hub (gateways get the per-parcel outcome).
 *
 * Each use of the draw has its own stream (`risk`: the engine's sample.random rule; `line`: a released parcel the line
 * sends to its inspection lane), so the two samples are independent of each other.
 */
export type SamplingStream = 'risk' | 'line';

/** Bytes of a sampling key: 256 bits. */
export const SAMPLING_KEY_BYTES = 32;

/** The parcel's draw in [0, 1): 48 bits of HMAC-SHA256(key, stream ‖ parcelKey). Pure. */
export function samplingDraw(key: Uint8Array, stream: SamplingStream, parcelKey: string): number {
  const mac = createHmac('sha256', key).update(`bondgate-sampling\n${stream}\n${parcelKey}`).digest();
  return mac.readUIntBE(0, 6) / 2 ** 48;
}

/** Whether a draw falls in the sample at `rate` (0–1). */
export const inSample = (draw: number, rate: number): boolean => rate > 0 && draw < rate;

/**
 * A key's public name for the audit chain and the admin screen: a hash of the key under its own domain, so two keys
 * can be told apart without revealing either (256-bit key: the id says nothing usable about it).
 */
export function samplingKeyId(key: Uint8Array): string {
  return createHash('sha256').update('bondgate-sampling-key-id\n').update(key).digest('hex').slice(0, 16);
}
