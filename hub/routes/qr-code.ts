import type bwipjs from 'bwip-js';

type Bwip = typeof bwipjs;
export type QrOptions = Parameters<Bwip['toSVG']>[0];

/**
 * bwip-js, loaded with the first QR code someone asks for (a release slip's, a bench token's): its encoder is a
 * translation of the whole barcode-writer-in-pure-PostScript — 2 MiB of source alone in an idle hub's heap snapshot,
 * carried by every hub from start-up though most never print one.
 */
let lib: Promise<Bwip> | undefined;
const bwip = () => (lib ??= import('bwip-js').then((m) => m.default));

export async function qrSvg(o: QrOptions): Promise<string> {
  return (await bwip()).toSVG(o);
}

export async function qrPng(o: QrOptions): Promise<Buffer> {
  return (await bwip()).toBuffer(o);
}
