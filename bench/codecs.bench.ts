import { classifyRead } from '../shared/identifiers/read.ts';
import { adAsciiCodec } from '../drivers/scale/ad-ascii.ts';
import { mtSicsCodec } from '../drivers/scale/mt-sics.ts';
import { renderFrame } from '../drivers/scale/simulator.ts';
import { toledoContinuousCodec } from '../drivers/scale/toledo-continuous.ts';
import { xk3190Codec } from '../drivers/scale/xk3190.ts';
import { fmt, line } from './stats.ts';

/**
 * Scale frames and scanner reads decoded per second, beside a reference in the same run: splitting the same bytes
 * into lines with Buffer.toString + split (the least any line protocol must do).
 */
const N = 200_000;

function rate(label: string, fn: () => void, count: number, reference?: number): number {
  fn(); // warm up
  const t0 = performance.now();
  fn();
  const r = count / ((performance.now() - t0) / 1000);
  line(label, `${fmt(r)} /s`, reference ? `${fmt(r / reference, 3)}× reference` : undefined);
  return r;
}

export async function benchCodecs(): Promise<void> {
  console.log(`\n## Device codecs (${fmt(N)} frames each, fed in 4 KiB chunks)`);
  const stream = (proto: Parameters<typeof renderFrame>[0]) => Buffer.concat(Array.from({ length: N }, (_, i) => renderFrame(proto, (i % 5000) / 100, i % 3 !== 0)));
  const chunks = (b: Buffer) => Array.from({ length: Math.ceil(b.length / 4096) }, (_, i) => b.subarray(i * 4096, (i + 1) * 4096));
  const ad = chunks(stream('ad-ascii'));
  const ref = rate('reference: same A&D bytes, toString + split into lines', () => {
    let n = 0;
    let rest = '';
    for (const c of ad) {
      const parts = (rest + c.toString('latin1')).split('\r\n');
      rest = parts.pop()!;
      n += parts.length;
    }
    if (n < N - 1) throw new Error('reference lost lines');
  }, N);
  const run = (label: string, bufs: Buffer[], make: () => { push(b: Uint8Array): unknown[] }) => {
    rate(label, () => {
      const c = make();
      let n = 0;
      for (const b of bufs) n += c.push(b).length;
      if (n < N) throw new Error(`${label}: ${n} frames`);
    }, N, ref);
  };
  run('A&D ASCII codec', ad, adAsciiCodec);
  run('MT-SICS codec', chunks(stream('mt-sics')), mtSicsCodec);
  run('Toledo Continuous codec (checksum)', chunks(stream('toledo-continuous')), () => toledoContinuousCodec({ checksum: true }));
  run('XK3190 tF=0 codec', chunks(stream('xk3190')), xk3190Codec);
  const label = `]C10036901234000000001702169012340000133748\x1d3301000125400PO-2024-001\x1d420518000`;
  const reads = [label, 'EA123456785CN', 'SF1234567890123', ']d2010690123400001617261231'];
  rate('scanner read classification (GS1, S10, waybill mix)', () => {
    for (let i = 0; i < N; i++) classifyRead(reads[i % 4]!);
  }, N);
}
