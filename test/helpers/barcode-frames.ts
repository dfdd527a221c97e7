import bwipjs from 'bwip-js';
import sharp from 'sharp';
import { seededRandom } from '../../shared/seeded-random.ts';

/**
 * Camera-sized frames (1280×720) of rendered barcodes under the distortions a station camera meets: rotation, a
 * perspective-like shear, blur, sensor noise, low contrast, glare, coloured ink (pure blue included) and small modules.
 * Deterministic (seeded), so the unit test and the bench (bench/barcode-decode.bench.ts) see the same set. Each frame
 * says what a correct read is: the AIM symbology identifier and the data exactly (GS separators included).
 */
export interface SymbolCase { name: string; bcid: string; text: string; expectAim: string; twoD: boolean; opts?: Record<string, unknown> }

export const SYMBOLS: SymbolCase[] = [
  { name: 'EAN-13', bcid: 'ean13', text: '690123400001', expectAim: ']E06901234000016', twoD: false },
  { name: 'EAN-13 (2)', bcid: 'ean13', text: '400638133393', expectAim: ']E04006381333931', twoD: false },
  { name: 'UPC-A', bcid: 'upca', text: '03600029145', expectAim: ']E00036000291452', twoD: false },
  { name: 'EAN-8', bcid: 'ean8', text: '9638507', expectAim: ']E496385074', twoD: false },
  { name: 'Code 128', bcid: 'code128', text: 'EA123456785CN', expectAim: ']C0EA123456785CN', twoD: false },
  { name: 'GS1-128', bcid: 'gs1-128', text: '(01)06901234000016(17)261231(10)LOT42(21)SN0001', expectAim: ']C101069012340000161726123110LOT42\x1d21SN0001', twoD: false },
  { name: 'GS1-128 SSCC', bcid: 'gs1-128', text: '(00)069012340000000016', expectAim: ']C100069012340000000016', twoD: false },
  { name: 'QR', bcid: 'qrcode', text: 'EA123456785CN', expectAim: ']Q1EA123456785CN', twoD: true },
  { name: 'Data Matrix', bcid: 'datamatrix', text: 'RR000000005CN', expectAim: ']d1RR000000005CN', twoD: true },
  { name: 'GS1 DataMatrix', bcid: 'gs1datamatrix', text: '(01)06901234000016(10)LOT42(21)SN0001', expectAim: ']d2010690123400001610LOT42\x1d21SN0001', twoD: true },
  { name: 'Data Matrix rect.', bcid: 'datamatrixrectangular', text: 'EA123456785CN', expectAim: ']d1EA123456785CN', twoD: true },
  { name: 'GS1 DataMatrix rect.', bcid: 'gs1datamatrixrectangular', text: '(01)06901234000016(10)LOT42', expectAim: ']d2010690123400001610LOT42', twoD: true },
  // A rectangular-extension size (DMRE 12×64): zxing-cpp reports these as ]d7 / ]d8 (GS1: FNC1 first).
  { name: 'GS1 DataMatrix DMRE', bcid: 'datamatrixrectangularextension', text: '^FNC1010690123400001610LOT42', expectAim: ']d8010690123400001610LOT42', twoD: true, opts: { version: '12x64', parsefnc: true } },
];

export type Distortion = 'clean' | 'rotate' | 'shear' | 'blur' | 'noise' | 'low-contrast' | 'glare' | 'blue' | 'blue-low-contrast' | 'small' | 'combined';
export const DISTORTIONS: Distortion[] = ['clean', 'rotate', 'shear', 'blur', 'noise', 'low-contrast', 'glare', 'blue', 'blue-low-contrast', 'small', 'combined'];

export interface Frame { label: string; symbol: string; distortion: Distortion; expectAim: string; image: Buffer }

const W = 1280;
const H = 720;
const BACKGROUND = { r: 196, g: 170, b: 130 }; // brown cardboard under the label

/** The label: the symbol on white with a quiet zone, in its ink colour. 2D symbols keep their own aspect (no `height`). */
async function renderLabel(s: SymbolCase, scale: number, barcolor: string): Promise<Buffer> {
  const opts: Record<string, unknown> = { bcid: s.bcid, text: s.text, scale, paddingwidth: 10, paddingheight: 10, backgroundcolor: 'FFFFFF', barcolor, ...s.opts };
  if (!s.twoD) opts.height = 14;
  return bwipjs.toBuffer(opts as unknown as Parameters<typeof bwipjs.toBuffer>[0]);
}

/** One frame: the label placed on the belt, distorted, as the camera would send it (JPEG, quality 88). */
export async function renderFrame(s: SymbolCase, d: Distortion, seed: number): Promise<Frame> {
  const r = seededRandom(seed);
  const blue = d === 'blue' || d === 'blue-low-contrast';
  const scale = d === 'small' ? (s.twoD ? 2 : 1.5) : d === 'combined' ? 2 : 3;
  let label = await renderLabel(s, scale, blue ? '0000FF' : '000000');
  if (d === 'rotate' || d === 'combined') label = await sharp(label).rotate(d === 'combined' ? 12 + r() * 10 : [7, 23, 90, 180, 33][seed % 5]!, { background: '#ffffff' }).png().toBuffer();
  if (d === 'shear') {
    const k = 0.15 + r() * 0.15;
    label = await sharp(label).affine([[1, k], [k * 0.5, 1]], { background: '#ffffff' }).png().toBuffer();
  }
  let { width = 0, height = 0 } = await sharp(label).metadata();
  if (width > W - 40 || height > H - 40) {
    label = await sharp(label).resize({ width: W - 40, height: H - 40, fit: 'inside' }).png().toBuffer();
    ({ width = 0, height = 0 } = await sharp(label).metadata());
  }
  const left = Math.floor(r() * (W - width));
  const top = Math.floor(r() * (H - height));
  let img = sharp({ create: { width: W, height: H, channels: 3, background: BACKGROUND } }).composite([{ input: label, left, top }]);
  let buf: Buffer = await img.png().toBuffer();
  if (d === 'blur' || d === 'combined') buf = await sharp(buf).blur(d === 'combined' ? 0.9 : 1.2 + r() * 0.6).png().toBuffer();
  if (d === 'low-contrast' || d === 'blue-low-contrast') buf = await sharp(buf).linear(0.3, 110).png().toBuffer();
  if (d === 'glare' || d === 'combined') {
    // A specular highlight across part of the label: a bright, soft ellipse.
    const cx = left + width * (0.3 + r() * 0.4);
    const cy = top + height * (0.3 + r() * 0.4);
    const svg = `<svg width="${W}" height="${H}"><defs><radialGradient id="g"><stop offset="0" stop-color="#fff" stop-opacity="0.75"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient></defs><ellipse cx="${cx}" cy="${cy}" rx="${width * 0.22}" ry="${height * 0.35}" fill="url(#g)"/></svg>`;
    buf = await sharp(buf).composite([{ input: Buffer.from(svg) }]).png().toBuffer();
  }
  if (d === 'noise' || d === 'combined') buf = await addNoise(buf, d === 'combined' ? 14 : 22, r);
  img = sharp(buf);
  const image = await img.jpeg({ quality: 88 }).toBuffer();
  return { label: `${s.name}/${d}`, symbol: s.name, distortion: d, expectAim: s.expectAim, image };
}

/** Gaussian sensor noise of standard deviation `sigma` grey levels, per channel. */
async function addNoise(png: Buffer, sigma: number, r: () => number): Promise<Buffer> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i++) {
    const g = Math.sqrt(-2 * Math.log(r() || 1e-9)) * Math.cos(2 * Math.PI * r()); // Box–Muller
    data[i] = Math.max(0, Math.min(255, Math.round(data[i]! + g * sigma)));
  }
  return sharp(Buffer.from(data), { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toBuffer();
}

/** The whole set: every symbol under every distortion. */
export async function renderFrames(seed = 14): Promise<Frame[]> {
  const out: Frame[] = [];
  let n = 0;
  for (const s of SYMBOLS) for (const d of DISTORTIONS) out.push(await renderFrame(s, d, seed * 1000 + n++));
  return out;
}

/** A frame with nothing to read: the empty belt. */
export async function emptyFrame(): Promise<Buffer> {
  return sharp({ create: { width: W, height: H, channels: 3, background: BACKGROUND } }).jpeg({ quality: 88 }).toBuffer();
}

// EAN-13 drawn by hand, so a test can show a symbol whose check digit is wrong (bwip-js refuses to render one).
const L_CODES = ['0001101', '0011001', '0010011', '0111101', '0100011', '0110001', '0101111', '0111011', '0110111', '0001011'];
const G_CODES = L_CODES.map((c) => [...c].reverse().map((b) => (b === '1' ? '0' : '1')).join(''));
const R_CODES = L_CODES.map((c) => [...c].map((b) => (b === '1' ? '0' : '1')).join(''));
const PARITY = ['LLLLLL', 'LLGLGG', 'LLGGLG', 'LLGGGL', 'LGLLGG', 'LGGLLG', 'LGGGLL', 'LGLGLG', 'LGLGGL', 'LGGLGL'];

/** An EAN-13 symbol for exactly these 13 digits, whatever its check digit, as a PNG (module 3 px, quiet zones). */
export async function drawEan13(digits: string, module = 3): Promise<Buffer> {
  if (!/^\d{13}$/.test(digits)) throw new RangeError('13 digits');
  const first = Number(digits[0]);
  let bits = '101';
  for (let i = 1; i <= 6; i++) bits += (PARITY[first]![i - 1] === 'L' ? L_CODES : G_CODES)[Number(digits[i])]!;
  bits += '01010';
  for (let i = 7; i <= 12; i++) bits += R_CODES[Number(digits[i])]!;
  bits += '101';
  const quiet = 12 * module;
  const w = bits.length * module + 2 * quiet;
  const h = 70 * module;
  const rects = [...bits].map((b, i) => (b === '1' ? `<rect x="${quiet + i * module}" y="${quiet / 2}" width="${module}" height="${h - quiet}" fill="#000"/>` : '')).join('');
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="#fff"/>${rects}</svg>`)).png().toBuffer();
}
