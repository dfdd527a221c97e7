import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type sharpFn from 'sharp';

/** sharp (a native image library, ~12 MiB) loads with the first image: a gateway without a camera never loads it. */
let sharpLoaded: Promise<typeof sharpFn> | undefined;
const loadSharp = () => (sharpLoaded ??= import('sharp').then((m) => m.default));

/**
 * Parcel photos (and other station images) stay on the edge at full size; a small WebP thumbnail travels with the
 * event, and the hub fetches the full image on demand (hub/services/image-fetch.ts). Refs are opaque names the store
 * made itself, checked against a strict pattern before any file is touched: a ref from the network can never name
 * a path outside the store. The oldest images go when the store passes its quota.
 */
export const IMAGE_REF = /^img-[0-9a-f-]{36}\.(jpg|png|webp)$/;

export class ImageStore {
  constructor(private readonly dir: string, private readonly quotaBytes = 2 * 1024 ** 3) {
    mkdirSync(dir, { recursive: true });
  }

  /** Keep an image; returns its ref and a thumbnail (WebP, ≤ 160 px wide, base64) for the event. */
  async put(image: Buffer): Promise<{ ref: string; thumbnailWebp: string }> {
    const sharp = await loadSharp();
    const meta = await sharp(image).metadata(); // throws on anything that is not an image
    const ext = meta.format === 'png' ? 'png' : meta.format === 'webp' ? 'webp' : 'jpg';
    const ref = `img-${randomUUID()}.${ext}`;
    writeFileSync(join(this.dir, ref), image);
    const thumb = await sharp(image).resize({ width: 160, withoutEnlargement: true }).webp({ quality: 50 }).toBuffer();
    this.prune();
    return { ref, thumbnailWebp: thumb.toString('base64') };
  }

  get(ref: string): Buffer | undefined {
    if (!IMAGE_REF.test(ref)) return undefined;
    const f = join(this.dir, ref);
    return existsSync(f) ? readFileSync(f) : undefined;
  }

  contentType(ref: string): string {
    return ref.endsWith('.png') ? 'image/png' : ref.endsWith('.webp') ? 'image/webp' : 'image/jpeg';
  }

  private prune(): void {
    const files = readdirSync(this.dir)
      .filter((n) => IMAGE_REF.test(n))
      .map((n) => ({ n, st: statSync(join(this.dir, n)) }))
      .sort((a, b) => a.st.mtimeMs - b.st.mtimeMs);
    let total = files.reduce((t, f) => t + f.st.size, 0);
    for (const f of files) {
      if (total <= this.quotaBytes) break;
      unlinkSync(join(this.dir, f.n));
      total -= f.st.size;
    }
  }
}
