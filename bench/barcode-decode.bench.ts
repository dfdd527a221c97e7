import { decodeFrame, DEFAULT_DECODE, loadFrame, zxingRead, type DecodeOptions, type Frame } from '../drivers/barcode/image-decoder.ts';
import { DISTORTIONS, emptyFrame, renderFrames, SYMBOLS } from '../test/helpers/barcode-frames.ts';
import { fmt, latencySummary, line } from './stats.ts';

/**
 * The camera decode path (drivers/barcode/image-decoder.ts) against raw zxing-wasm, same frames, same run: 12 symbols
 * (EAN-13, UPC-A, EAN-8, Code 128, GS1-128, QR, Data Matrix square and rectangular, GS1 DataMatrix) rendered by
 * bwip-js at their own aspect, each under 11 distortions (test/helpers/barcode-frames.ts), as 1280×720 JPEG frames.
 * A read is exact when its AIM identifier and data are exactly right (GS included); a wrong read is any code emitted
 * that is not the one in the frame. Time is per decode of a frame already in memory (the image decode is shown apart),
 * wall clock and CPU time of this process (the machine may be shared; CPU time is what the decode itself costs).
 */
type Outcome = { exact: boolean; wrong: string[]; wallMs: number; cpuMs: number };

async function timed<T>(fn: () => Promise<T>): Promise<{ v: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const v = await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { v, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/** Raw zxing-wasm as a caller would use it: the whole RGBA frame, its defaults plus tryHarder, up to 8 symbols. */
async function rawZxing(f: Frame, expect: string): Promise<Outcome> {
  const { v, wallMs, cpuMs } = await timed(() => zxingRead(f.full, { tryHarder: true, maxNumberOfSymbols: 8 }));
  const texts = v.filter((r) => r.isValid).map((r) => `${r.symbologyIdentifier}${r.text}`);
  return { exact: texts.includes(expect), wrong: texts.filter((t) => t !== expect), wallMs, cpuMs };
}

async function ours(f: Frame, expect: string, opts: DecodeOptions): Promise<Outcome> {
  const { v, wallMs, cpuMs } = await timed(() => decodeFrame(f, opts));
  const texts = v.symbols.map((s) => s.aimText);
  return { exact: texts.includes(expect), wrong: texts.filter((t) => t !== expect), wallMs, cpuMs };
}

export async function benchBarcodeDecode(): Promise<void> {
  console.log(`\n## Camera barcode decoding (1280×720 JPEG frames: ${SYMBOLS.length} symbols × ${DISTORTIONS.length} distortions)`);
  const rendered = await renderFrames();
  const frames: { label: string; distortion: string; frame: Frame; frame640: Frame; expect: string }[] = [];
  const load: number[] = [];
  for (const r of rendered) {
    const t = await timed(() => loadFrame(r.image));
    load.push(t.cpuMs);
    frames.push({ label: r.label, distortion: r.distortion, frame: t.v, frame640: await loadFrame(r.image, { width: 640 }), expect: r.expectAim });
  }
  const empty = await loadFrame(await emptyFrame());
  await zxingRead(empty.full, {}); // warm up (wasm instantiation, JIT)

  const configs: [string, (f: (typeof frames)[number]) => Promise<Outcome>][] = [
    ['raw zxing-wasm (tryHarder, ≤ 8 symbols, RGBA luminance)', (f) => rawZxing(f.frame, f.expect)],
    ['Bondgate camera path (1 symbol of 6 formats, up to 4 passes)', (f) => ours(f.frame, f.expect, DEFAULT_DECODE)],
    ['Bondgate, portal (≤ 4 symbols)', (f) => ours(f.frame, f.expect, { ...DEFAULT_DECODE, maxSymbols: 4 })],
    ['Bondgate, width 640 (full frame when the small one finds nothing)', (f) => ours(f.frame640, f.expect, DEFAULT_DECODE)],
  ];
  for (const [name, run] of configs) {
    const wall: number[] = [];
    const cpu: number[] = [];
    let exact = 0;
    const wrong: string[] = [];
    const missed: string[] = [];
    const byDistortion = new Map<string, number>();
    for (const f of frames) {
      const o = await run(f);
      wall.push(o.wallMs);
      cpu.push(o.cpuMs);
      if (o.exact) exact++;
      else missed.push(f.label);
      if (!o.exact) byDistortion.set(f.distortion, (byDistortion.get(f.distortion) ?? 0) + 1);
      for (const w of o.wrong) wrong.push(`${f.label} → ${JSON.stringify(w)}`);
    }
    const w = latencySummary(wall);
    const c = latencySummary(cpu);
    console.log(`\n### ${name}`);
    line('exact reads', `${exact} / ${frames.length} (${fmt((100 * exact) / frames.length, 1)} %)`, `wrong reads: ${wrong.length}`);
    line('time per frame, wall', `p50 ${fmt(w.p50, 1)} ms`, `p99 ${fmt(w.p99, 1)} ms`);
    line('time per frame, CPU', `p50 ${fmt(c.p50, 1)} ms`, `p99 ${fmt(c.p99, 1)} ms`);
    if (missed.length) console.log(`  missed by distortion: ${[...byDistortion].map(([d, n]) => `${d} ${n}`).join(', ')}`);
    if (missed.length) console.log(`  missed: ${missed.join(', ')}`);
    for (const x of wrong) console.log(`  WRONG: ${x}`);
  }
  const e = await timed(() => decodeFrame(empty));
  const er = await timed(() => zxingRead(empty.full, { tryHarder: true, maxNumberOfSymbols: 8 }));
  line('\nempty frame (nothing to read): Bondgate, first pass + survey', `${fmt(e.cpuMs, 1)} ms CPU`, `raw zxing-wasm ${fmt(er.cpuMs, 1)} ms CPU`);
  const l = latencySummary(load);
  line('image decode (sharp, JPEG → RGBA), not in the figures above', `p50 ${fmt(l.p50, 1)} ms CPU`);
}
