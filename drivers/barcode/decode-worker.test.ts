import bwipjs from 'bwip-js';
import { afterAll, describe, expect, it } from 'vitest';
import { drawEan13, renderFrame, SYMBOLS } from '../../test/helpers/barcode-frames.ts';
import { decodeImage, DEFAULT_DECODE, WorkerImageDecoder } from './image-decoder.ts';

/** The camera's decoder in a worker thread: same answers as on the calling thread, and a dead worker loses nothing. */
const render = (bcid: string, text: string) => bwipjs.toBuffer({ bcid, text, scale: 3, height: 12, paddingwidth: 20, paddingheight: 20, backgroundcolor: 'FFFFFF' });

describe('WorkerImageDecoder', () => {
  const decoder = new WorkerImageDecoder();
  afterAll(() => decoder.close());

  it('loads and decodes in a worker thread with the same result as on this thread', async () => {
    const images = [
      await render('gs1-128', '(01)06901234000016(17)261231(10)LOT42(21)SN0001'),
      (await renderFrame(SYMBOLS.find((s) => s.name === 'GS1 DataMatrix DMRE')!, 'noise', 5)).image,
      await drawEan13('6901234000017'), // a rejection travels back with its text and reason
    ];
    for (const image of images) {
      const inThread = await decodeImage(image, {}, DEFAULT_DECODE);
      expect(await decoder.decodeImage(image, {}, DEFAULT_DECODE)).toEqual(inThread);
    }
    expect((await decoder.decodeImage(images[0]!, { width: 300 }, { formats: ['QRCode'], maxSymbols: 1 })).symbols).toEqual([]);
  }, 60_000);

  it('rejects an image it cannot load, with the loader\'s message', async () => {
    await expect(decoder.decodeImage(Buffer.from('torn write'))).rejects.toThrow(/unsupported image format|Input buffer/i);
  });

  it('decodes on the calling thread when the worker dies, the requests in flight included', async () => {
    const failures: string[] = [];
    const fragile = new WorkerImageDecoder((e) => failures.push(e.message));
    const image = await render('code128', 'EA123456785CN');
    expect((await fragile.decodeImage(image)).symbols.map((s) => s.aimText)).toEqual([']C0EA123456785CN']);
    const inFlight = fragile.decodeImage(image);
    await (fragile as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate(); // a crash, as far as the decoder knows
    expect((await inFlight).symbols.map((s) => s.aimText)).toEqual([']C0EA123456785CN']);
    expect(failures).toEqual([expect.stringMatching(/exited/)]);
    expect((await fragile.decodeImage(image)).symbols).toHaveLength(1); // and after
    await fragile.close();
  }, 60_000);
});
