import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import sharp, { type Sharp } from 'sharp';
import {
  binarizers, characterSets, contentTypes, defaultReaderOptions, eanAddOnSymbols, encodeFormats, prepareZXingModule, readBarcodes, textModes,
  type ReaderOptions, type ReadResult, type ZXingReaderModule, type ZXingReaderOptions,
} from 'zxing-wasm/reader';
import { DEFAULT_FORMATS, type CameraFormat } from './camera-config.ts';
import { startWorker } from '../../shared/worker-module.ts';

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
export async function loadFrame(input: string | Buffer, opts: LoadOptions = {}): Promise<Frame> {
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

/** How a colour frame becomes the grey image zxing reads. */
export type GreyMode = 'luminance' | 'darkest';

/**
 * Pure: RGBA → one grey byte per pixel, written into `out` at `offset` (zxing's wasm memory, so it is copied once).
 * `luminance` is zxing-wasm's own weighting (BT.601, 306/601/117 of 1024); `darkest` is the darkest channel, so coloured
 * ink (pure blue, red) on white becomes black on white, where luminance leaves blue at ~30 % and red at ~50 % of the
 * way to white — not the first choice: on a coloured label (black on yellow) it erases the background instead.
 * One 32-bit load per pixel (little-endian RGBA: R is the low byte).
 */
export function greyInto(p: Pixels, mode: GreyMode, out: Uint8Array, offset = 0): void {
  const n = p.width * p.height;
  const px = new Uint32Array(p.data.buffer, p.data.byteOffset, n);
  if (mode === 'luminance') {
    for (let i = 0; i < n; i++) {
      const v = px[i]!;
      out[offset + i] = (306 * (v & 255) + 601 * ((v >>> 8) & 255) + 117 * ((v >>> 16) & 255) + 512) >> 10;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = px[i]!;
    const r = v & 255;
    const g = (v >>> 8) & 255;
    const b = (v >>> 16) & 255;
    out[offset + i] = r < g ? (r < b ? r : b) : g < b ? g : b;
  }
}

/** The darkest channel as an RGBA image (grey), for callers that want pixels rather than zxing's buffer. */
export function minChannel(p: Pixels): Pixels {
  const grey = new Uint8Array(p.width * p.height);
  greyInto(p, 'darkest', grey);
  const out = new Uint8ClampedArray(grey.length * 4);
  const o32 = new Uint32Array(out.buffer);
  for (let i = 0; i < grey.length; i++) o32[i] = 0xff000000 | (grey[i]! * 0x010101);
  return { data: out, width: p.width, height: p.height };
}

/** The Emscripten module zxing-wasm instantiates: its reader entry points and its memory. */
type ZXingWasm = ZXingReaderModule & { _malloc(bytes: number): number; _free(ptr: number): void; HEAPU8: Uint8Array };
let wasmReady: Promise<ZXingWasm> | undefined;
/** The wasm comes from node_modules, never from the network (zxing-wasm's default is a CDN). */
function prepareWasm(): Promise<ZXingWasm> {
  wasmReady ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('zxing-wasm'); // …/dist/cjs/full/index.js
    const wasm = join(dirname(entry), '..', '..', 'reader', 'zxing_reader.wasm');
    const wasmBinary = readFileSync(wasm);
    const mod = await prepareZXingModule({ overrides: { wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer }, fireImmediately: true });
    return mod as ZXingWasm;
  })();
  return wasmReady;
}

/** zxing-wasm's public readBarcodes on RGBA pixels (the raw reference in tests and the bench). */
export async function zxingRead(p: Pixels, options: ReaderOptions): Promise<ReadResult[]> {
  await prepareWasm();
  return readBarcodes(p as unknown as ImageData, { textMode: 'Plain', ...options });
}

/** ReaderOptions → the wasm's own option record (what zxing-wasm does inside readBarcodes, from its exported tables). */
function wasmOptions(o: ReaderOptions): ZXingReaderOptions {
  const r = { ...defaultReaderOptions, textMode: 'Plain' as const, ...o };
  return {
    ...r,
    formats: encodeFormats(r.formats),
    binarizer: binarizers.indexOf(r.binarizer),
    eanAddOnSymbol: eanAddOnSymbols.indexOf(r.eanAddOnSymbol),
    textMode: textModes.indexOf(r.textMode),
    characterSet: characterSets.indexOf(r.characterSet),
  };
}

/**
 * A grey image held in zxing's wasm memory: written once (luminance, or the darkest channel), then read by as many
 * passes as a frame needs. zxing-wasm's readBarcodes on an ImageData converts RGBA to grey in JavaScript and copies it
 * into the wasm on every call (~2–4 ms a 1280×720 frame, more than a tryHarder read of it); this pays that once.
 */
class WasmGrey {
  private ptr: number;
  private constructor(private readonly mod: ZXingWasm, readonly width: number, readonly height: number) {
    this.ptr = mod._malloc(width * height);
    if (!this.ptr) throw new Error(`zxing-wasm could not allocate ${width * height} bytes`);
  }

  static async of(p: Pixels, mode: GreyMode): Promise<WasmGrey> {
    const g = new WasmGrey(await prepareWasm(), p.width, p.height);
    g.fill(p, mode);
    return g;
  }

  /** Overwrite with another rendering of a same-sized image (the darkest channel after luminance). */
  fill(p: Pixels, mode: GreyMode): void {
    if (p.width !== this.width || p.height !== this.height) throw new RangeError('image size differs from the buffer');
    greyInto(p, mode, this.mod.HEAPU8, this.ptr); // HEAPU8 read now: a memory growth replaces the view
  }

  read(options: ReaderOptions): ReadResult[] {
    const v = this.mod.readBarcodesFromPixmap(this.ptr, this.width, this.height, wasmOptions(options));
    const out: ReadResult[] = [];
    for (let i = 0; i < v.size(); i++) {
      const r = v.get(i)!;
      out.push({ ...r, format: r.format as ReadResult['format'], symbology: r.symbology as ReadResult['symbology'], contentType: contentTypes[r.contentType]!, orientation: r.rotation });
    }
    (v as { delete?: () => void }).delete?.(); // an embind vector lives in wasm memory until deleted
    return out;
  }

  free(): void {
    if (this.ptr) this.mod._free(this.ptr);
    this.ptr = 0;
  }
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

/** AIM identifiers whose data is a GS1 element string (FNC1 in first position); ]d8 is a GS1 DMRE (rectangular extension) Data Matrix. */
const GS1_AIMS = new Set([']C1', ']d2', ']d5', ']d8', ']Q3', ']Q4', ']e0', ']J1', ']z1', ']L3']);
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
 * The zxing settings of each pass. `first` is the one most frames are read by: every expected format, tryHarder (all
 * rows scanned, the thorough 2D detectors), but no rotated (90/180/270°) scans and no downscaled pyramid. tryHarder
 * off is not the cheap first pass it looks like: it read 60 of the bench's 132 frames (1.8 ms) where `first` reads
 * 119 (3.5 ms), so trying it first cost most frames both. `rotated` adds what `first` leaves out (a symbol on its side,
 * a rectangular Data Matrix turned 90°); measured in bench/RESULTS.md.
 */
export const PASS_SETTINGS = {
  first: { tryHarder: true, tryRotate: false, tryDownscale: false, tryInvert: false },
  rotated: { tryHarder: true, tryRotate: true, tryDownscale: true, tryInvert: false },
} as const satisfies Record<string, ReaderOptions>;

/** One pass of decodeFrame: which image (and how made grey), read with which settings. */
export type PassName = 'scaled' | 'first' | 'rotated' | 'upright' | 'darkest';

/**
 * One frame, in passes from cheap to thorough, stopping once it has `maxSymbols` sound reads. The frame is made grey
 * once, in zxing's wasm memory, and every pass on it reads that buffer. (1) `scaled`: the `width` copy, if one was asked
 * for; (2) `first`: the full frame, PASS_SETTINGS.first; then a survey (surveyFrame, ~2 ms): a frame without edges ends
 * there; (3) `rotated`: the full frame, PASS_SETTINGS.rotated; (4) `upright`: when linear formats are expected and bars
 * stand obliquely, the region of those bars turned upright, linear formats only (zxing scans rows and columns: a symbol
 * turned 20–35° is crossed by no scan line); (5) `darkest`: the full frame as its darkest channel (coloured ink).
 * `trace`, when given, receives the name of each pass run (tests, bench).
 */
export async function decodeFrame(frame: Frame, opts: DecodeOptions = DEFAULT_DECODE, trace?: (pass: PassName) => void): Promise<FrameDecode> {
  const formats = [...opts.formats];
  const base: ReaderOptions = { formats, maxNumberOfSymbols: opts.maxSymbols + (opts.probe ?? 0), returnErrors: true };
  const linear = formats.filter((f) => LINEAR.has(f));
  const symbols: DecodedSymbol[] = [];
  const rejected: RejectedSymbol[] = [];
  let n = 0;
  /** Read one grey image with these settings; true once the frame has all the symbols it expects. */
  const pass = (name: PassName, grey: WasmGrey, o: ReaderOptions): boolean => {
    n++;
    trace?.(name);
    const j = judgeResults(grey.read({ ...base, ...o }), opts.maxSymbols);
    for (const r of j.rejected) if (!rejected.some((x) => x.raw === r.raw)) rejected.push(r);
    for (const s of j.symbols) if (symbols.length < opts.maxSymbols && !symbols.some((x) => x.aimText === s.aimText)) symbols.push(s);
    // A station stops at its one symbol; a portal keeps looking until it has as many as it was told to expect.
    return symbols.length >= opts.maxSymbols;
  };
  const done = () => ({ symbols, rejected: rejected.filter((r) => !symbols.some((s) => s.aimText === r.raw)), passes: n });

  let full: WasmGrey | undefined;
  try {
    let surveyed = false;
    let survey: Survey | undefined;
    // Most frames are read by the first pass; the survey is for the rest (and ends a frame with nothing on it).
    const surveyOnce = () => {
      if (surveyed) return survey!;
      surveyed = true;
      survey = surveyFrame(frame.full);
      return survey;
    };
    if (frame.scaled) {
      const small = await WasmGrey.of(frame.scaled, 'luminance');
      try {
        if (pass('scaled', small, PASS_SETTINGS.first)) return done();
      } finally {
        small.free();
      }
      if (!surveyOnce().edges) return done();
    }
    full = await WasmGrey.of(frame.full, 'luminance');
    if (pass('first', full, PASS_SETTINGS.first)) return done();
    if (!surveyOnce().edges) return done();
    if (pass('rotated', full, PASS_SETTINGS.rotated)) return done();
    const oblique = surveyOnce().oblique;
    if (oblique && linear.length > 0) {
      const upright = await WasmGrey.of(await uprightCrop(frame.full, oblique.angleDeg, oblique.box), 'luminance');
      try {
        if (pass('upright', upright, { ...PASS_SETTINGS.rotated, formats: linear })) return done();
      } finally {
        upright.free();
      }
    }
    full.fill(frame.full, 'darkest');
    pass('darkest', full, PASS_SETTINGS.rotated);
    return done();
  } finally {
    full?.free();
  }
}

export interface LoadOptions { width?: number; rotateDeg?: number }

/** An encoded image (JPEG, PNG … as a camera sends it) loaded and decoded, on whichever thread calls it. */
export async function decodeImage(image: Buffer, load: LoadOptions = {}, opts: DecodeOptions = DEFAULT_DECODE): Promise<FrameDecode> {
  return decodeFrame(await loadFrame(image, load), opts);
}

/** What the camera driver uses; a seam for tests. */
export interface ImageDecoder {
  decode(frame: Frame, opts?: DecodeOptions): Promise<FrameDecode>;
  /** Load an encoded image and decode it: what a camera driver does with each snapshot. */
  decodeImage(image: Buffer, load?: LoadOptions, opts?: DecodeOptions): Promise<FrameDecode>;
}
/** Decoding on the calling thread. */
export const zxingWasmDecoder = (): ImageDecoder => ({ decode: (frame, opts) => decodeFrame(frame, opts), decodeImage });

export interface DecodeRequest { id: number; image: Uint8Array; load: LoadOptions; opts: DecodeOptions }
export type DecodeResponse = { id: number; out: FrameDecode } | { id: number; error: string };

/**
 * Decoding in a worker thread. zxing's wasm and the grey/survey loops run synchronously: ~5 ms a frame, up to ~150 ms
 * for one that needs every pass, during which an edge's event loop (journal, serial reads, /healthz) would stand still.
 * One worker per process, shared by every camera, started on first use and unref'd while idle (it never keeps the
 * process alive). If it fails, decoding goes on on the calling thread (the requests in flight included), and
 * `onFailure` says so once.
 */
export class WorkerImageDecoder implements ImageDecoder {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { image: Buffer; req: DecodeRequest; resolve: (d: FrameDecode) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private broken = false;

  constructor(private readonly onFailure: (err: Error) => void = () => undefined) {}

  decode(frame: Frame, opts?: DecodeOptions): Promise<FrameDecode> {
    return decodeFrame(frame, opts); // pixels already in this thread: a copy to the worker would cost what it saves
  }

  decodeImage(image: Buffer, load: LoadOptions = {}, opts: DecodeOptions = DEFAULT_DECODE): Promise<FrameDecode> {
    if (this.broken) return decodeImage(image, load, opts);
    const worker = this.start();
    const req: DecodeRequest = { id: this.nextId++, image: new Uint8Array(image), load, opts: { ...opts, formats: [...opts.formats] } };
    return new Promise<FrameDecode>((resolve, reject) => {
      this.pending.set(req.id, { image, req, resolve, reject }); // the caller's image stays here for the fallback
      worker.ref();
      worker.postMessage(req, [req.image.buffer as ArrayBuffer]); // a copy of the caller's buffer, transferred
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(new URL('./decode-worker.ts', import.meta.url));
    w.on('message', (m: DecodeResponse) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (!p) return;
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.out);
    });
    w.on('error', (err) => this.fail(w, err));
    w.on('exit', (code) => this.fail(w, new Error(`decode worker exited with code ${code}`)));
    w.unref();
    this.worker = w;
    return w;
  }

  private fail(w: Worker, err: Error): void {
    if (this.worker !== w) return; // already handled (error, then exit), or terminated by close()
    this.worker = undefined;
    this.broken = true;
    this.onFailure(err);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      decodeImage(p.image, p.req.load, p.req.opts).then(p.resolve, p.reject);
    }
  }

  /** Stop the worker (tests, shutdown): requests in flight are refused; the next request starts another worker. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new Error('decoder closed'));
    }
    if (w) await w.terminate();
  }
}

let shared: WorkerImageDecoder | undefined;
/** The process's one decode worker (see WorkerImageDecoder). */
export const workerImageDecoder = (): WorkerImageDecoder => (shared ??= new WorkerImageDecoder());
