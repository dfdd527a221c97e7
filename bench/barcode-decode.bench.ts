import bwipjs from 'bwip-js';
import sharp from 'sharp';
import { loadPixels, zxingJsDecoder, zxingWasmDecoder, type ImageDecoder, type Pixels } from '../drivers/barcode/image-decoder.ts';
import { fmt, latencySummary, line } from './stats.ts';

/**
 * zxing-wasm against @zxing/library on 1280×720 camera-sized frames: one barcode per frame, five symbologies, each
 * clean, rotated 8° and downscaled to 60 % (a parcel further from the camera). A read counts only when its data is
 * exactly right — GS separators included, since a GS1 read without them is corrupt, not merely missed.
 */
const CASES: { bcid: string; text: string; expect: string }[] = [
  { bcid: 'gs1-128', text: '(01)06901234000016(17)261231(10)LOT42(21)SN0001', expect: '01069012340000161726123110LOT42\x1d21SN0001' },
  { bcid: 'gs1datamatrix', text: '(01)06901234000016(10)LOT42(21)SN0001', expect: '010690123400001610LOT42\x1d21SN0001' },
  { bcid: 'qrcode', text: 'EA123456785CN', expect: 'EA123456785CN' },
  { bcid: 'ean13', text: '690123400001', expect: '6901234000016' },
  { bcid: 'pdf417', text: 'SF1234567890123', expect: 'SF1234567890123' },
];

async function frame(bcid: string, text: string, variant: 'clean' | 'rotated' | 'far'): Promise<Pixels> {
  let code = await bwipjs.toBuffer({ bcid, text, scale: 3, height: 14, paddingwidth: 12, paddingheight: 12, backgroundcolor: 'FFFFFF' });
  let { width = 0, height = 0 } = await sharp(code).metadata();
  if (width > 1100) {
    code = await sharp(code).resize({ width: 1100 }).png().toBuffer();
    ({ width = 0, height = 0 } = await sharp(code).metadata());
  }
  // Centred, whole: a label the camera sees completely.
  let img = sharp({ create: { width: 1280, height: 720, channels: 3, background: '#e8e8e8' } }).composite([{ input: code, left: Math.round((1280 - width) / 2), top: Math.round((720 - height) / 2) }]);
  const composed = await img.png().toBuffer();
  if (variant === 'clean') return loadPixels(composed);
  if (variant === 'rotated') return loadPixels(await sharp(composed).rotate(8, { background: '#e8e8e8' }).resize(1280, 720, { fit: 'cover' }).png().toBuffer());
  img = sharp(composed).resize({ width: 768 });
  return loadPixels(await sharp(await img.png().toBuffer()).resize(1280, 720).png().toBuffer());
}

export async function benchBarcodeDecode(): Promise<void> {
  console.log('\n## Barcode image decoding (1280×720 frames: 5 symbologies × clean / rotated 8° / 60 % scale)');
  const frames: { pixels: Pixels; expect: string; label: string }[] = [];
  for (const c of CASES) for (const v of ['clean', 'rotated', 'far'] as const) frames.push({ pixels: await frame(c.bcid, c.text, v), expect: c.expect, label: `${c.bcid}/${v}` });
  const results: Record<string, { p50: number; p99: number; correct: number; missed: string[] }> = {};
  for (const decoder of [zxingWasmDecoder(), zxingJsDecoder()] as ImageDecoder[]) {
    await decoder.decode(frames[0]!.pixels); // warm up (wasm instantiation, JIT)
    const lat: number[] = [];
    let correct = 0;
    const missed: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const f of frames) {
        const t0 = performance.now();
        const out = await decoder.decode(f.pixels);
        lat.push(performance.now() - t0);
        // A GS1 DataMatrix starts with FNC1, which decoders render as a leading GS: not part of the data.
        const ok = out.some((s) => (s.text.startsWith('\x1d') ? s.text.slice(1) : s.text) === f.expect);
        if (round === 0) {
          if (ok) correct++;
          else missed.push(f.label);
        }
      }
    }
    const s = latencySummary(lat);
    results[decoder.name] = { p50: s.p50, p99: s.p99, correct, missed };
    line(`${decoder.name}: time per frame`, `p50 ${fmt(s.p50, 1)} ms`, `p99 ${fmt(s.p99, 1)} ms`);
    line(`${decoder.name}: exactly right`, `${correct} / ${frames.length}`, missed.length ? `missed or wrong: ${missed.join(', ')}` : 'all');
  }
}
