import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { prepareZXingModule, readBarcodes, type ReaderOptions, type ReadResult } from 'zxing-wasm/reader';
import { DEFAULT_FORMATS, type CameraFormat } from './camera-config.ts';

/**
 * Barcodes from camera frames and files. sharp decodes the image to RGBA (colour kept: the luminance is taken by
 * zxing, and a min-channel image is the fallback for coloured ink); zxing-wasm (zxing-cpp) reads it. What a station
 * gets is validated here before anyone sees it: only the formats it expects, at most the symbols it expects, and no
 * read whose check digit fails — such a read is kept as a rejection with its text and the reason, never emitted as a
 * code. Measured in bench/barcode-decode.bench.ts (bench/RESULTS.md).
 */

// The format names live with the camera's config schema, which must not load this module (sharp, zxing-wasm).
export { CAMERA_FORMATS, DEFAULT_FORMATS, type CameraFormat } from './camera-config.ts';

export interface DecodeOptions {
  formats: readonly CameraFormat[];
  /** One for a station that reads one label at a time; more only for a portal (each extra symbol costs decode time). */
  maxSymbols: number;
  /** Extra symbols looked for beyond maxSymbols, to see a misread beside the true read (bench knob; default 0). */
  probe?: number;
}
export const DEFAULT_DECODE: DecodeOptions = { formats: DEFAULT_FORMATS, maxSymbols: 1 };

/**
 * `aimText` is the read as a scanner would send it: AIM symbology identifier + data (GS kept), ready for classifyRead.
 * Binary content (no text) keeps its bytes in `bytesHex`; `eci` says the symbol carried an ECI designator.
 */
export interface DecodedSymbol { text: string; format: string; aimText: string; contentType: string; eci: boolean; bytesHex?: string }
/** A symbol that was read but is not emitted as a code: the text as read and why. */
export interface RejectedSymbol { format: string; raw: string; reason: string }
export interface FrameDecode { symbols: DecodedSymbol[]; rejected: RejectedSymbol[]; passes: number }

/** RGBA pixels, as zxing-wasm takes them. */
export type Pixels = { data: Uint8ClampedArray; width: number; height: number };
/** A frame ready to decode: full resolution, and a downscaled copy when a `width` was asked for. */
export interface Frame { full: Pixels; scaled?: Pixels }

async function rawRgba(img: Sharp): Promise<Pixels> {
  const { data, info } = await img.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * An image (file path or encoded buffer) as a frame. No greyscale here: sharp's luminance turns pure blue ink into a
 * mid grey, and the fallback pass needs the colour. `width` adds a downscaled copy tried first (cheaper); the full
 * frame stays, because a downscale below ~1.5 px per module loses the symbol (recall fell to 40 % at 640 px).
 */
export async function loadFrame(input: string | Buffer, opts: { width?: number; rotateDeg?: number } = {}): Promise<Frame> {
  let img = sharp(input).flatten({ background: '#ffffff' }); // transparent PNGs would turn black
  if (opts.rotateDeg) img = img.rotate(opts.rotateDeg, { background: '#ffffff' });
  const full = await rawRgba(img);
  if (!opts.width || opts.width >= full.width) return { full };
  const scaled = await rawRgba(sharp(Buffer.from(full.data.buffer, full.data.byteOffset, full.data.length), { raw: { width: full.width, height: full.height, channels: 4 } }).resize({ width: opts.width }));
  return { full, scaled };
}

/** The full-resolution pixels of an image (kept for callers that want one image, e.g. the tests). */
export async function loadPixels(input: string | Buffer, opts: { width?: number; rotateDeg?: number } = {}): Promise<Pixels> {
  const f = await loadFrame(input, opts);
  return f.scaled ?? f.full;
}

/**
 * The darkest channel as grey: coloured ink (pure blue, red) on white becomes black on white, where luminance leaves
 * blue at ~30 % and red at ~50 % of the way to white. Not the first choice: on a coloured label (black on yellow) it
 * erases the background instead, hence a fallback pass only.
 */
export function minChannel(p: Pixels): Pixels {
  const out = new Uint8ClampedArray(p.data.length);
  const d = p.data;
  for (let j = 0; j < d.length; j += 4) {
    const r = d[j]!;
    const g = d[j + 1]!;
    const b = d[j + 2]!;
    const m = r < g ? (r < b ? r : b) : g < b ? g : b;
    out[j] = m;
    out[j + 1] = m;
    out[j + 2] = m;
    out[j + 3] = 255;
  }
  return { data: out, width: p.width, height: p.height };
}

let wasmReady: Promise<unknown> | undefined;
/** The wasm comes from node_modules, never from the network (zxing-wasm's default is a CDN). */
function prepareWasm(): Promise<unknown> {
  wasmReady ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('zxing-wasm'); // …/dist/cjs/full/index.js
    const wasm = join(dirname(entry), '..', '..', 'reader', 'zxing_reader.wasm');
    const wasmBinary = readFileSync(wasm);
    return prepareZXingModule({ overrides: { wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer }, fireImmediately: true });
  })();
  return wasmReady;
}

/** zxing-wasm on RGBA pixels with the given options: the raw results, checksum failures included when asked. */
export async function zxingRead(p: Pixels, options: ReaderOptions): Promise<ReadResult[]> {
  await prepareWasm();
  return readBarcodes(p as unknown as ImageData, { textMode: 'Plain', ...options });
}

// ---------------------------------------------------------------------------------------------
// Validation: check digits and GS1 keys, before anything is emitted
// ---------------------------------------------------------------------------------------------

/** GS1 mod-10 over the whole key, check digit last (GTIN-8/12/13/14, GLN, SSCC). */
export function gs1KeyValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  let sum = 0;
  for (let i = digits.length - 2, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10 === digits.charCodeAt(digits.length - 1) - 48;
}

/** AIM identifiers whose data is a GS1 element string (FNC1 in first position). */
const GS1_AIMS = new Set([']C1', ']d2', ']d5', ']Q3', ']Q4', ']e0', ']J1', ']z1', ']L3']);
/** GS1 General Specifications' predefined-length table: AIs starting with these two digits have this total length (AI + value), so no GS follows them. */
const PREDEFINED: Readonly<Record<string, number>> = {
  '00': 20, '01': 16, '02': 16, '03': 16, '04': 18, '11': 8, '12': 8, '13': 8, '14': 8, '15': 8, '16': 8, '17': 8, '18': 8, '19': 8, '20': 4,
  '31': 10, '32': 10, '33': 10, '34': 10, '35': 10, '36': 10, '41': 16,
};

/**
 * Check the GS1 keys of an element string (SSCC 00, GTIN 01/02, GLN 41x): a wrong check digit means a misread, never a
 * label to record. Other AIs are interpreted downstream (classifyRead); here only what can prove the read wrong.
 */
function gs1ElementProblem(data: string): string | undefined {
  let pos = data.startsWith('\x1d') ? 1 : 0;
  while (pos < data.length) {
    const two = data.slice(pos, pos + 2);
    if (!/^\d\d$/.test(two)) return `GS1 element string has no AI at position ${pos}`;
    const len = PREDEFINED[two];
    if (len === undefined) {
      const gs = data.indexOf('\x1d', pos);
      if (gs < 0) return undefined;
      pos = gs + 1;
      continue;
    }
    const element = data.slice(pos, pos + len);
    if (element.length < len || element.includes('\x1d')) return `GS1 AI (${two}) is shorter than its fixed length`;
    const key = two === '41' ? element.slice(3) : two === '00' || two === '01' || two === '02' ? element.slice(2) : undefined;
    if (key !== undefined && !gs1KeyValid(key)) return `GS1 AI (${two === '41' ? element.slice(0, 3) : two}) ${key} fails its check digit`;
    pos += len;
    if (data[pos] === '\x1d') pos += 1;
  }
  return undefined;
}

/** Why this read must not be emitted as a code, or undefined when it is sound. */
export function symbolProblem(aim: string, text: string): string | undefined {
  if (text.length === 0) return 'empty read';
  if (aim === ']E0' || aim === ']E3') {
    if (!/^\d{13}$/.test(text)) return `EAN/UPC read "${text}" is not 13 digits`;
    if (!gs1KeyValid(text)) return `EAN-13/UPC-A ${text} fails its check digit`;
  }
  if (aim === ']E4') {
    if (!/^\d{8}$/.test(text)) return `EAN-8 read "${text}" is not 8 digits`;
    if (!gs1KeyValid(text)) return `EAN-8 ${text} fails its check digit`;
  }
  if ((aim === ']I1' || aim === ']I0') && /^\d{14}$/.test(text) && !gs1KeyValid(text)) return `ITF-14 (GTIN-14) ${text} fails its check digit`;
  if (GS1_AIMS.has(aim)) return gs1ElementProblem(text);
  return undefined;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** One zxing result → an emitted symbol, or a rejection that keeps what was read. */
function judge(r: ReadResult): { ok: DecodedSymbol } | { rejected: RejectedSymbol } | undefined {
  const aim = r.symbologyIdentifier;
  if (!r.isValid) {
    // Only a read that produced data is worth keeping; a failed locate/format attempt has nothing to show.
    if (r.text.length === 0 || !/checksum/i.test(r.error)) return undefined;
    return { rejected: { format: r.format, raw: `${aim}${r.text}`, reason: `${r.format} read "${r.text}" fails its check: ${r.error}` } };
  }
  const binary = r.contentType === 'Binary' || r.contentType === 'UnknownECI';
  if (binary) {
    // Bytes that are not text: emitted with the bytes (hex) and the ECI flag, never as an empty read.
    const text = r.text.length > 0 ? r.text : Buffer.from(r.bytes).toString('latin1');
    return { ok: { text, format: r.format, aimText: `${aim}${text}`, contentType: r.contentType, eci: r.hasECI, bytesHex: hex(r.bytesECI.length > 0 && r.hasECI ? r.bytesECI : r.bytes) } };
  }
  // Symbologies that report UPC-A as 12 digits would fail the 13-digit check: zxing-cpp already sends 13 (]E0).
  const problem = symbolProblem(aim, r.text);
  if (problem) return { rejected: { format: r.format, raw: `${aim}${r.text}`, reason: problem } };
  return { ok: { text: r.text, format: r.format, aimText: `${aim}${r.text}`, contentType: r.contentType, eci: r.hasECI } };
}

type Box = { x0: number; y0: number; x1: number; y1: number };
function box(r: ReadResult): Box {
  const p = r.position;
  const xs = [p.topLeft.x, p.topRight.x, p.bottomLeft.x, p.bottomRight.x];
  const ys = [p.topLeft.y, p.topRight.y, p.bottomLeft.y, p.bottomRight.y];
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}
const overlaps = (a: Box, b: Box) => a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;

/**
 * Pure: zxing results of one pass → what is emitted and what is rejected. Two different reads of the same format at
 * the same place are one symbol read two ways: neither is trusted (both kept as rejections).
 */
export function judgeResults(results: ReadResult[], maxSymbols: number): { symbols: DecodedSymbol[]; rejected: RejectedSymbol[] } {
  const symbols: DecodedSymbol[] = [];
  const rejected: RejectedSymbol[] = [];
  const accepted: { r: ReadResult; s: DecodedSymbol; b: Box }[] = [];
  for (const r of results) {
    const j = judge(r);
    if (!j) continue;
    if ('rejected' in j) {
      rejected.push(j.rejected);
      continue;
    }
    if (accepted.some((a) => a.s.aimText === j.ok.aimText)) continue; // the same symbol found twice
    accepted.push({ r, s: j.ok, b: box(r) });
  }
  const conflicted = new Set<number>();
  for (let i = 0; i < accepted.length; i++) {
    for (let k = i + 1; k < accepted.length; k++) {
      if (accepted[i]!.r.symbology === accepted[k]!.r.symbology && overlaps(accepted[i]!.b, accepted[k]!.b)) {
        conflicted.add(i);
        conflicted.add(k);
      }
    }
  }
  accepted.forEach((a, i) => {
    if (conflicted.has(i)) rejected.push({ format: a.s.format, raw: a.s.aimText, reason: 'two different reads of one symbol in the same place' });
    else if (symbols.length < maxSymbols) symbols.push(a.s);
  });
  return { symbols, rejected };
}

/** The formats read along scan lines (zxing-cpp scans rows and, with tryRotate, columns: not oblique lines). */
const LINEAR = new Set<CameraFormat>(['EAN13', 'EAN8', 'UPCA', 'UPCE', 'Code128', 'Code39', 'ITF14', 'DataBar', 'DataBarExp']);

/** What a cheap look at a frame says before decoding: whether anything has edges, and where bars stand obliquely. */
export interface Survey { edges: boolean; oblique?: { angleDeg: number; box: Box } }

const TILE = 32; // px; sampled every 2nd pixel: 256 gradient samples per tile
const EDGE = 64; // mean squared gradient (grey levels²) of a tile with any edge; a flat belt under JPEG is ~1
const BARS = 400; // … of a tile crossed by bars
const COHERENT = 0.75; // how much of a tile's gradient energy points one way (bars: ~0.9+; 2D symbols, text: less)

/**
 * Pure: the gradient structure tensor per 32 px tile. A frame whose tiles all lack edges has nothing to read (an empty
 * belt costs this look, not every pass). Tiles whose gradients all point one way are bars; their common angle, when it
 * is oblique (≥ 5° off the axes zxing scans), and their bounding box say where to rotate the frame for a linear read.
 * Forward differences at full resolution: a half-resolution central difference attenuates the along-bar frequency
 * more than the across-bar one and overstated a 23° symbol as 29°, beyond a scan line's tolerance.
 * Grey = luminance + darkest channel, so pure-blue ink on a grey of equal luminance still shows edges.
 */
export function surveyFrame(p: Pixels): Survey {
  const { data: d, width, height } = p;
  const tw = Math.floor((width - 1) / TILE);
  const th = Math.floor((height - 1) / TILE);
  const grey = (j: number) => {
    const r = d[j]!;
    const g = d[j + 1]!;
    const b = d[j + 2]!;
    return ((r + 2 * g + b) >> 2) + (r < g ? (r < b ? r : b) : g < b ? g : b);
  };
  const hist = new Float64Array(180);
  const tiles: { x: number; y: number; a: number; e: number }[] = [];
  let edges = false;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let y = ty * TILE; y < (ty + 1) * TILE; y += 2) {
        for (let x = tx * TILE; x < (tx + 1) * TILE; x += 2) {
          const j = (y * width + x) * 4;
          const v = grey(j);
          const gx = grey(j + 4) - v;
          const gy = grey(j + width * 4) - v;
          sxx += gx * gx;
          syy += gy * gy;
          sxy += gx * gy;
        }
      }
      const e = (sxx + syy) / 256;
      if (e > EDGE) edges = true;
      if (e < BARS || Math.hypot(sxx - syy, 2 * sxy) < COHERENT * (sxx + syy)) continue;
      const a = (0.5 * Math.atan2(2 * sxy, sxx - syy) * 180) / Math.PI; // gradient direction, (-90, 90]
      tiles.push({ x: tx, y: ty, a, e });
      hist[(Math.round(a) + 180) % 180]! += e;
    }
  }
  if (tiles.length < 4) return { edges };
  let peak = 0;
  let best = -1;
  for (let k = 0; k < 180; k++) {
    let w = 0;
    for (let o = -2; o <= 2; o++) w += hist[(k + o + 180) % 180]!;
    if (w > best) [best, peak] = [w, k];
  }
  const near = tiles.filter((t) => Math.abs(((t.a - peak + 270) % 180) - 90) <= 4);
  // Double-angle mean of the tiles at the peak: the angle to a fraction of a degree.
  let c = 0;
  let s = 0;
  for (const t of near) {
    c += t.e * Math.cos((t.a * Math.PI) / 90);
    s += t.e * Math.sin((t.a * Math.PI) / 90);
  }
  const angleDeg = (Math.atan2(s, c) * 90) / Math.PI;
  const off = Math.min(Math.abs(angleDeg), 90 - Math.abs(angleDeg));
  if (near.length < 4 || off < 5) return { edges };
  const x0 = Math.max(0, (Math.min(...near.map((t) => t.x)) - 2) * TILE);
  const y0 = Math.max(0, (Math.min(...near.map((t) => t.y)) - 2) * TILE);
  const x1 = Math.min(width, (Math.max(...near.map((t) => t.x)) + 3) * TILE);
  const y1 = Math.min(height, (Math.max(...near.map((t) => t.y)) + 3) * TILE);
  return { edges, oblique: { angleDeg, box: { x0, y0, x1, y1 } } };
}

/** The part of a frame in `box`, turned by `-angleDeg` so that oblique bars stand upright (white fill). */
async function uprightCrop(p: Pixels, angleDeg: number, b: Box): Promise<Pixels> {
  const img = sharp(Buffer.from(p.data.buffer, p.data.byteOffset, p.data.length), { raw: { width: p.width, height: p.height, channels: 4 } })
    .extract({ left: b.x0, top: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 })
    .rotate(-angleDeg, { background: '#ffffff' });
  return rawRgba(img);
}

/**
 * One frame, in passes from cheap to thorough, stopping once it has `maxSymbols` sound reads: (1) the downscaled
 * copy if there is one, else the full frame, fast; then a survey (surveyFrame, ~4 ms): a frame without edges ends
 * there, after one pass; (2) the full frame, tryHarder; (3) when linear formats are expected and bars stand obliquely, the
 * region of those bars turned upright, linear formats only (zxing scans rows and columns: a symbol turned 20–35° is
 * crossed by no scan line); (4) the min-channel image of the full frame (coloured ink), tryHarder.
 */
export async function decodeFrame(frame: Frame, opts: DecodeOptions = DEFAULT_DECODE): Promise<FrameDecode> {
  const formats = [...opts.formats];
  const base: ReaderOptions = { formats, maxNumberOfSymbols: opts.maxSymbols + (opts.probe ?? 0), returnErrors: true, tryInvert: false };
  const linear = formats.filter((f) => LINEAR.has(f));
  let survey: Survey | undefined;
  const passes: [Pixels | (() => Pixels | Promise<Pixels> | undefined), ReaderOptions][] = [
    [frame.scaled ?? frame.full, { ...base, tryHarder: false }],
    [frame.full, { ...base, tryHarder: true }],
    [() => (survey?.oblique && linear.length > 0 ? uprightCrop(frame.full, survey.oblique.angleDeg, survey.oblique.box) : undefined), { ...base, formats: linear, tryHarder: true }],
    [() => minChannel(frame.full), { ...base, tryHarder: true }],
  ];
  const symbols: DecodedSymbol[] = [];
  const rejected: RejectedSymbol[] = [];
  let n = 0;
  for (const [px, o] of passes) {
    if (n === 1 && !survey) {
      // Most frames are read by the first pass; the survey is for the rest (and ends a frame with nothing on it).
      survey = surveyFrame(frame.full);
      if (!survey.edges) break;
    }
    const pixels = typeof px === 'function' ? await px() : px;
    if (!pixels) continue;
    n++;
    const results = await zxingRead(pixels, o);
    const j = judgeResults(results, opts.maxSymbols);
    for (const r of j.rejected) if (!rejected.some((x) => x.raw === r.raw)) rejected.push(r);
    for (const s of j.symbols) if (symbols.length < opts.maxSymbols && !symbols.some((x) => x.aimText === s.aimText)) symbols.push(s);
    // A station stops at its one symbol; a portal keeps looking until it has as many as it was told to expect.
    if (symbols.length >= opts.maxSymbols) break;
  }
  return { symbols, rejected: rejected.filter((r) => !symbols.some((s) => s.aimText === r.raw)), passes: n };
}

/** What the camera driver uses; a seam for tests. */
export interface ImageDecoder {
  decode(frame: Frame, opts?: DecodeOptions): Promise<FrameDecode>;
}
export const zxingWasmDecoder = (): ImageDecoder => ({ decode: (frame, opts) => decodeFrame(frame, opts) });
