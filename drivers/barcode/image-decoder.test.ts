import bwipjs from 'bwip-js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { drawEan13, renderFrame, SYMBOLS, type Distortion } from '../../test/helpers/barcode-frames.ts';
import { decodeFrame, DEFAULT_DECODE, greyInto, judgeResults, loadFrame, surveyFrame, symbolProblem, zxingRead, zxingWasmDecoder } from './image-decoder.ts';
import { classifyRead } from '../../shared/identifiers/read.ts';

/** The camera decode path: zxing-wasm from node_modules with the network forbidden, validated before emitting. */
const render = (bcid: string, text: string, extra: Record<string, unknown> = {}) =>
  bwipjs.toBuffer({ bcid, text, scale: 3, height: 12, paddingwidth: 20, paddingheight: 20, backgroundcolor: 'FFFFFF', ...extra } as unknown as Parameters<typeof bwipjs.toBuffer>[0]);
const render2d = (bcid: string, text: string, extra: Record<string, unknown> = {}) =>
  bwipjs.toBuffer({ bcid, text, scale: 4, paddingwidth: 20, paddingheight: 20, backgroundcolor: 'FFFFFF', ...extra } as unknown as Parameters<typeof bwipjs.toBuffer>[0]);
const decode = async (img: Buffer, opts = DEFAULT_DECODE) => decodeFrame(await loadFrame(img), opts);

describe('image decoding with zxing-wasm', () => {
  const realFetch = globalThis.fetch;
  beforeAll(() => {
    globalThis.fetch = vi.fn(() => Promise.reject(new Error('network access in a test')));
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });

  it('reads a GS1-128 label with its GS separators and symbology identifier, so the read classifies as GS1', async () => {
    const { symbols: [sym] } = await zxingWasmDecoder().decode(await loadFrame(await render('gs1-128', '(01)06901234000016(17)261231(10)LOT42(21)SN0001')));
    expect(sym).toMatchObject({ format: 'Code128', aimText: ']C101069012340000161726123110LOT42\x1d21SN0001' });
    expect(classifyRead(sym!.aimText)).toMatchObject({ kind: 'gs1', derived: { gtin: '06901234000016', batch: 'LOT42', serial: 'SN0001', expiry: '2026-12-31' } });
    expect(globalThis.fetch).not.toHaveBeenCalled();
  });

  it('reads QR and EAN-13 from a rotated photo-sized image', async () => {
    const qr = await decodeFrame(await loadFrame(await render('qrcode', 'EA123456785CN'), { rotateDeg: 90 }));
    expect(classifyRead(qr.symbols[0]!.aimText)).toMatchObject({ kind: 's10', value: 'EA123456785CN' });
    const ean = await decodeFrame(await loadFrame(await render('ean13', '690123400001'), { width: 900 }));
    expect(ean.symbols[0]).toMatchObject({ format: 'EAN13', aimText: ']E06901234000016' });
  });

  it('returns nothing for an image without a barcode, and refuses a non-image', async () => {
    const blank = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#ffffff' } }).png().toBuffer();
    // A frame without edges ends after the first pass (the survey finds nothing to look harder at).
    expect(await decode(blank)).toEqual({ symbols: [], rejected: [], passes: 1 });
    await expect(loadFrame(Buffer.from('not an image'))).rejects.toThrow();
  });

  it('decodes a generated set of distorted camera frames exactly, with no wrong read', async () => {
    // Every symbol of the bench set under three distortions (the bench runs all eleven): 36 frames, 1280×720 JPEG.
    const distortions: Distortion[] = ['noise', 'glare', 'blue-low-contrast'];
    const wrong: string[] = [];
    const missed: string[] = [];
    let n = 0;
    for (const s of SYMBOLS) {
      for (const d of distortions) {
        const f = await renderFrame(s, d, 7000 + n++);
        const { symbols } = await decode(f.image);
        if (!symbols.some((x) => x.aimText === f.expectAim)) missed.push(f.label);
        for (const x of symbols) if (x.aimText !== f.expectAim) wrong.push(`${f.label}: ${x.aimText}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(missed).toEqual([]);
  }, 120_000);

  it('reads a linear symbol turned 30° on the belt (no row or column scan line crosses all its bars)', async () => {
    // A waybill's Code 128 turned 30° in a 1280×720 frame: zxing-cpp scans rows and columns only, even with tryHarder.
    const label = await sharp(await render('code128', 'EA123456785CN')).rotate(30, { background: '#ffffff' }).png().toBuffer();
    const frame = await sharp({ create: { width: 1280, height: 720, channels: 3, background: { r: 196, g: 170, b: 130 } } }).composite([{ input: label, left: 300, top: 150 }]).jpeg({ quality: 88 }).toBuffer();
    const loaded = await loadFrame(frame);
    expect((await zxingRead(loaded.full, { formats: ['Code128'], tryHarder: true })).filter((r) => r.isValid)).toEqual([]);
    expect(Math.abs(surveyFrame(loaded.full).oblique!.angleDeg - 30)).toBeLessThan(2.5);
    expect((await decodeFrame(loaded)).symbols.map((s) => s.aimText)).toEqual([']C0EA123456785CN']);
  });

  it('never emits a read whose check digit fails: it is kept as a rejection with its text and reason', async () => {
    // An EAN-13 whose last digit is wrong (drawn by hand: bwip-js refuses to render one).
    const ean = await decode(await drawEan13('6901234000017'));
    expect(ean.symbols).toEqual([]);
    expect(ean.rejected).toEqual([expect.objectContaining({ format: 'EAN13', raw: ']E06901234000017', reason: expect.stringMatching(/check/i) })]);
    // GS1-128 decodes fine as Code 128, but its GTIN (01) fails the GS1 check digit: zxing accepts it, we do not.
    const gs1 = await decode(await render('gs1-128', '(01)06901234000017(10)LOT42', { dontlint: true }));
    expect(gs1.symbols).toEqual([]);
    expect(gs1.rejected).toEqual([expect.objectContaining({ raw: ']C101069012340000171' + '0LOT42', reason: 'GS1 AI (01) 06901234000017 fails its check digit' })]);
    // The right digit is read as usual.
    expect((await decode(await drawEan13('6901234000016'))).symbols).toMatchObject([{ aimText: ']E06901234000016' }]);
  });

  it('reads one symbol unless more are configured (a portal), and only the formats configured', async () => {
    const ean = await render('ean13', '690123400001');
    const c128 = await render('code128', 'EA123456785CN');
    const frame = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#ffffff' } }).composite([{ input: ean, left: 40, top: 40 }, { input: c128, left: 640, top: 400 }]).png().toBuffer();
    expect((await decode(frame)).symbols).toHaveLength(1);
    expect((await decode(frame, { ...DEFAULT_DECODE, maxSymbols: 2 })).symbols.map((s) => s.aimText).sort()).toEqual([']C0EA123456785CN', ']E06901234000016']);
    expect((await decode(frame, { formats: ['Code128'], maxSymbols: 2 })).symbols.map((s) => s.aimText)).toEqual([']C0EA123456785CN']);
  });

  it('refuses two different reads of one symbol in the same place (a misread beside the true read)', () => {
    const at = { topLeft: { x: 10, y: 10 }, topRight: { x: 200, y: 10 }, bottomLeft: { x: 10, y: 80 }, bottomRight: { x: 200, y: 80 } };
    const r = (text: string, x = 0) => ({
      isValid: true, error: '', format: 'EAN13', symbology: 'EANUPC', symbologyIdentifier: ']E0', text, contentType: 'Text', hasECI: false,
      bytes: new Uint8Array(), bytesECI: new Uint8Array(),
      position: { topLeft: { x: at.topLeft.x + x, y: 10 }, topRight: { x: at.topRight.x + x, y: 10 }, bottomLeft: { x: at.bottomLeft.x + x, y: 80 }, bottomRight: { x: at.bottomRight.x + x, y: 80 } },
    }) as unknown as Parameters<typeof judgeResults>[0][number];
    const same = judgeResults([r('6901234000016'), r('6901234000023', 5)], 4);
    expect(same.symbols).toEqual([]);
    expect(same.rejected.map((x) => x.reason)).toEqual(['two different reads of one symbol in the same place', 'two different reads of one symbol in the same place']);
    // Apart from each other they are two parcels' labels.
    expect(judgeResults([r('6901234000016'), r('6901234000023', 500)], 4).symbols).toHaveLength(2);
    expect(symbolProblem(']E0', '6901234000017')).toMatch(/check digit/);
    expect(symbolProblem(']E4', '96385074')).toBeUndefined();
    expect(symbolProblem(']C1', '00069012340000000017')).toMatch(/\(00\).*check digit/);
    expect(symbolProblem(']d2', '0106901234000016' + '10LOT\x1d' + '412' + '6901234000016')).toBeUndefined();
    expect(symbolProblem(']d2', '4146901234000017')).toMatch(/\(414\)/);
  });

  it('reads a pure-blue symbol that sharp\'s greyscale turns into the background', async () => {
    // Pure blue on a grey of the same luminance: sharp's greyscale (and any luminance) makes them one grey; the
    // darkest channel keeps the ink.
    const qr = await render2d('qrcode', 'EA123456785CN', { barcolor: '0000FF', backgroundcolor: '4C4C4C' });
    const { symbols } = await decode(qr);
    expect(symbols.map((s) => s.aimText)).toEqual([']Q1EA123456785CN']);
  });

  it('reads rectangular Data Matrix with its identifier (]d1, GS1 ]d2), classified as Data Matrix', async () => {
    const rect = await decode(await render2d('datamatrixrectangular', 'EA123456785CN'));
    expect(rect.symbols).toMatchObject([{ format: 'DataMatrix', aimText: ']d1EA123456785CN' }]);
    expect(classifyRead(rect.symbols[0]!.aimText)).toMatchObject({ kind: 's10', symbology: 'datamatrix' });
    const gs1 = await decode(await render2d('gs1datamatrixrectangular', '(01)06901234000016(10)LOT42'));
    expect(classifyRead(gs1.symbols[0]!.aimText)).toMatchObject({ kind: 'gs1', symbology: 'gs1-datamatrix', derived: { gtin: '06901234000016', batch: 'LOT42' } });
  });

  it('reads rectangular-extension Data Matrix (DMRE) with ]d7 / ]d8, and checks a GS1 DMRE\'s check digits', async () => {
    const plain = await decode(await render2d('datamatrixrectangularextension', 'EA123456785CN', { version: '8x48' }));
    expect(plain.symbols).toMatchObject([{ format: 'DataMatrix', aimText: ']d7EA123456785CN' }]);
    expect(classifyRead(plain.symbols[0]!.aimText)).toMatchObject({ kind: 's10', symbology: 'datamatrix', value: 'EA123456785CN' });
    const gs1 = await decode(await render2d('datamatrixrectangularextension', '^FNC1010690123400001610LOT42', { version: '12x64', parsefnc: true }));
    expect(gs1.symbols).toMatchObject([{ aimText: ']d8010690123400001610LOT42' }]);
    expect(classifyRead(gs1.symbols[0]!.aimText)).toMatchObject({ kind: 'gs1', symbology: 'gs1-datamatrix', derived: { gtin: '06901234000016', batch: 'LOT42' } });
    // A GS1 DMRE whose GTIN fails its check digit is a rejection, as for every other GS1 symbology.
    const bad = await decode(await render2d('datamatrixrectangularextension', '^FNC1010690123400001710LOT42', { version: '12x64', parsefnc: true }));
    expect(bad.symbols).toEqual([]);
    expect(bad.rejected).toEqual([expect.objectContaining({ raw: ']d8010690123400001710LOT42', reason: 'GS1 AI (01) 06901234000017 fails its check digit' })]);
  });

  it('reads most frames in its first pass (every expected format, tryHarder, no rotations), the rest in later ones', async () => {
    // Data Matrix on the belt: zxing's tryHarder-off pass never found it, so such frames paid for two passes.
    const dm = await renderFrame(SYMBOLS.find((s) => s.name === 'Data Matrix')!, 'clean', 3);
    const passes: string[] = [];
    const out = await decodeFrame(await loadFrame(dm.image), DEFAULT_DECODE, (p) => passes.push(p));
    expect(out).toMatchObject({ symbols: [{ aimText: dm.expectAim }], passes: 1 });
    expect(passes).toEqual(['first']);
    // The bench's rectangular GS1 Data Matrix turned 90° (seed 14122) needs zxing's rotated scans: the second pass.
    const side = await renderFrame(SYMBOLS.find((s) => s.name === 'GS1 DataMatrix rect.')!, 'rotate', 14122);
    const sidePasses: string[] = [];
    const sideOut = await decodeFrame(await loadFrame(side.image), DEFAULT_DECODE, (p) => sidePasses.push(p));
    expect(sideOut.symbols.map((s) => s.aimText)).toEqual([side.expectAim]);
    expect(sidePasses).toEqual(['first', 'rotated']);
  });

  it('makes the same grey as zxing-wasm (luminance), and the darkest channel for coloured ink', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 255, 255, 255, 0, 0, 255, 10, 200, 30, 255]);
    const lum = new Uint8Array(6);
    greyInto({ data: rgba, width: 2, height: 2 }, 'luminance', lum, 2);
    // zxing-wasm's own conversion: (306 R + 601 G + 117 B + 512) >> 10
    expect([...lum]).toEqual([0, 0, 255, 29, 76, (306 * 10 + 601 * 200 + 117 * 30 + 512) >> 10]);
    const dark = new Uint8Array(4);
    greyInto({ data: rgba, width: 2, height: 2 }, 'darkest', dark);
    expect([...dark]).toEqual([255, 0, 0, 10]);
  });

  it('emits binary content with its bytes, not as an empty read', async () => {
    const { symbols } = await decode(await render2d('datamatrix', '^000^001^255^128ABC', { parse: true }));
    expect(symbols).toMatchObject([{ format: 'DataMatrix', contentType: 'Binary', bytesHex: '0001ff80414243' }]);
    expect(symbols[0]!.aimText.length).toBeGreaterThan(3);
  });

  it('with a width too small for the modules, falls back to the full frame instead of losing the read', async () => {
    // GS1-128 at 1.5 px per module: at 640 px wide that is under one pixel per module, unreadable.
    const f = await renderFrame(SYMBOLS.find((s) => s.name === 'GS1-128')!, 'small', 42);
    const frame = await loadFrame(f.image, { width: 640 });
    expect(frame.scaled!.width).toBe(640);
    expect((await zxingRead(frame.scaled!, { formats: DEFAULT_DECODE.formats.slice(), tryHarder: true })).filter((r) => r.isValid)).toEqual([]);
    const out = await decodeFrame(frame);
    expect(out.symbols.map((s) => s.aimText)).toEqual([f.expectAim]);
  });
});
