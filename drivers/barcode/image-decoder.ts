import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  BarcodeFormat,
  BinaryBitmap,
  DecodeHintType,
  HybridBinarizer,
  MultiFormatReader,
  NotFoundException,
  RGBLuminanceSource,
} from '@zxing/library';
import sharp from 'sharp';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

/**
 * Barcodes from camera frames and files: sharp prepares the pixels (greyscale, optional resize/rotate), a zxing
 * decoder reads them. Two decoders sit behind one interface so bench/ can choose by numbers.
 */
/** `aimText` is the read as a scanner would send it: AIM symbology identifier + data (GS kept), ready for classifyRead. */
export interface DecodedSymbol { text: string; format: string; aimText: string }
export type Pixels = { data: Uint8ClampedArray; width: number; height: number };
export type ImageDecoderName = 'zxing-wasm' | 'zxing-js';

export interface ImageDecoder {
  readonly name: ImageDecoderName;
  decode(pixels: Pixels): Promise<DecodedSymbol[]>;
}

/** RGBA pixels for any image sharp reads (file path or encoded buffer), optionally scaled and rotated first. */
export async function loadPixels(input: string | Buffer, opts: { width?: number; rotateDeg?: number } = {}): Promise<Pixels> {
  let img = sharp(input).flatten({ background: '#ffffff' }).greyscale(); // transparent PNGs would turn black
  if (opts.rotateDeg) img = img.rotate(opts.rotateDeg, { background: '#ffffff' });
  if (opts.width) img = img.resize({ width: opts.width });
  // One grey channel out of sharp (the decoders binarise luminance anyway), spread to the RGBA both decoders take.
  const { data, info } = await img.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const rgba = new Uint8ClampedArray(info.width * info.height * 4);
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const v = data[i]!;
    rgba[j] = v;
    rgba[j + 1] = v;
    rgba[j + 2] = v;
    rgba[j + 3] = 255;
  }
  return { data: rgba, width: info.width, height: info.height };
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

export function zxingWasmDecoder(): ImageDecoder {
  return {
    name: 'zxing-wasm',
    async decode(p) {
      await prepareWasm();
      // Plain text keeps GS between GS1 elements; the symbology identifier (]C1, ]d2, ]Q3 …) says it is GS1.
      const results = await readBarcodes(p as unknown as ImageData, { tryHarder: true, maxNumberOfSymbols: 8, textMode: 'Plain' });
      return results.filter((r) => r.isValid).map((r) => ({ text: r.text, format: r.format, aimText: `${r.symbologyIdentifier}${r.text}` }));
    },
  };
}

const JS_FORMATS = [BarcodeFormat.CODE_128, BarcodeFormat.EAN_13, BarcodeFormat.QR_CODE, BarcodeFormat.DATA_MATRIX, BarcodeFormat.PDF_417];

/** @zxing/library (pure JS): one symbol per call, so it finds the first barcode in the frame. */
export function zxingJsDecoder(): ImageDecoder {
  const reader = new MultiFormatReader();
  const hints = new Map<DecodeHintType, unknown>([
    [DecodeHintType.TRY_HARDER, true],
    [DecodeHintType.POSSIBLE_FORMATS, JS_FORMATS],
  ]);
  reader.setHints(hints);
  return {
    name: 'zxing-js',
    async decode(p) {
      const luminance = new Uint8ClampedArray(p.width * p.height);
      for (let i = 0, j = 0; i < luminance.length; i++, j += 4) luminance[i] = p.data[j]!; // greyscale already
      try {
        const r = reader.decodeWithState(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(luminance, p.width, p.height))));
        // zxing-js reports no symbology identifier: a GS1 read is indistinguishable from plain Code 128 here.
        return [{ text: r.getText(), format: BarcodeFormat[r.getBarcodeFormat()] ?? 'unknown', aimText: r.getText() }];
      } catch (e) {
        // NotFound, Checksum and Format exceptions all mean "no barcode read in this frame", an expected outcome.
        if (e instanceof NotFoundException || (e as Error).name.endsWith('Exception')) return [];
        throw e;
      }
    },
  };
}
