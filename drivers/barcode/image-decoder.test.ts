import bwipjs from 'bwip-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPixels, zxingWasmDecoder } from './image-decoder.ts';
import { classifyRead } from '../../shared/identifiers/read.ts';

/** The chosen decoder (bench/RESULTS.md): zxing-wasm, loaded from node_modules with the network forbidden. */
const render = (bcid: string, text: string) => bwipjs.toBuffer({ bcid, text, scale: 3, height: 12, paddingwidth: 20, paddingheight: 20, backgroundcolor: 'FFFFFF' });

describe('image decoding with zxing-wasm', () => {
  const realFetch = globalThis.fetch;
  beforeAll(() => {
    globalThis.fetch = vi.fn(() => Promise.reject(new Error('network access in a test')));
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });

  it('reads a GS1-128 label with its GS separators and symbology identifier, so the read classifies as GS1', async () => {
    const [sym] = await zxingWasmDecoder().decode(await loadPixels(await render('gs1-128', '(01)06901234000016(17)261231(10)LOT42(21)SN0001')));
    expect(sym).toMatchObject({ format: 'Code128', aimText: ']C101069012340000161726123110LOT42\x1d21SN0001' });
    const read = classifyRead(sym!.aimText);
    expect(read).toMatchObject({ kind: 'gs1', derived: { gtin: '06901234000016', batch: 'LOT42', serial: 'SN0001', expiry: '2026-12-31' } });
    expect(globalThis.fetch).not.toHaveBeenCalled();
  });

  it('reads QR and EAN-13 from a rotated photo-sized image', async () => {
    const qr = await zxingWasmDecoder().decode(await loadPixels(await render('qrcode', 'EA123456785CN'), { rotateDeg: 90 }));
    expect(classifyRead(qr[0]!.aimText)).toMatchObject({ kind: 's10', value: 'EA123456785CN' });
    const ean = await zxingWasmDecoder().decode(await loadPixels(await render('ean13', '690123400001'), { width: 900 }));
    expect(ean[0]).toMatchObject({ format: 'EAN13', aimText: ']E06901234000016' });
  });

  it('returns nothing for an image without a barcode, and refuses a non-image', async () => {
    const blank = await (await import('sharp')).default({ create: { width: 640, height: 480, channels: 3, background: '#ffffff' } }).png().toBuffer();
    expect(await zxingWasmDecoder().decode(await loadPixels(blank))).toEqual([]);
    await expect(loadPixels(Buffer.from('not an image'))).rejects.toThrow();
  });
});
