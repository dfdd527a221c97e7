import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BootReportCodec } from './barcode/hid/boot-report-codec.ts';
import { HidPosCodec } from './barcode/hid/hid-pos-codec.ts';
import { InputEventCodec } from './barcode/hid/input-event-codec.ts';
import type { Codec } from './contract.ts';
import { llrpCodec } from './rfid/llrp-codec.ts';
import { r2000Codec } from './rfid/r2000.ts';
import { adAsciiCodec } from './scale/ad-ascii.ts';
import { mtSicsCodec } from './scale/mt-sics.ts';
import { renderFrame } from './scale/simulator.ts';
import { toledoContinuousCodec } from './scale/toledo-continuous.ts';
import { xk3190Codec, xk3190ReversedCodec } from './scale/xk3190.ts';

/**
 * Properties every codec must have (drivers/contract.ts): whatever bytes arrive, push() never throws, and the frames
 * do not depend on how the bytes were chunked by the transport — so a slow serial line and a fast one agree.
 */
const CODECS: [string, () => Codec<unknown>][] = [
  ['MT-SICS', mtSicsCodec],
  ['A&D ASCII', adAsciiCodec],
  ['Toledo Continuous', () => toledoContinuousCodec({ checksum: true })],
  ['XK3190', xk3190Codec],
  ['XK3190 reversed', () => xk3190ReversedCodec()],
  ['LLRP', llrpCodec],
  ['R2000 UART', r2000Codec],
  ['Linux input events', () => new InputEventCodec()],
  ['HID boot reports', () => new BootReportCodec()],
  ['HID POS reports', () => new HidPosCodec()],
];

/** Real frames with noise spliced in: random bytes alone rarely reach a codec's deeper states. */
const realistic = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.record({ kg: fc.double({ min: -500, max: 5000, noNaN: true }), stable: fc.boolean(), proto: fc.constantFrom('ad-ascii', 'mt-sics', 'toledo-continuous', 'xk3190') as fc.Arbitrary<'ad-ascii' | 'mt-sics' | 'toledo-continuous' | 'xk3190'> }).map(({ kg, stable, proto }) => new Uint8Array(renderFrame(proto, kg, stable))),
    ),
    { maxLength: 30 },
  )
  .map((parts) => Buffer.concat(parts));

function decode(make: () => Codec<unknown>, bytes: Uint8Array, cuts: number[]): unknown[] {
  const c = make();
  const out: unknown[] = [];
  let at = 0;
  for (const cut of [...cuts.map((x) => x % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    out.push(...c.push(bytes.subarray(at, Math.max(at, cut))));
    at = Math.max(at, cut);
  }
  return out;
}

describe.each(CODECS)('%s codec properties', (_name, make) => {
  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const c = make();
        for (const ch of chunks) c.push(ch);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same frames however the bytes are chunked', () => {
    fc.assert(
      fc.property(realistic, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        expect(decode(make, bytes, cuts)).toEqual(decode(make, bytes, []));
      }),
      { numRuns: 200 },
    );
  });
});
