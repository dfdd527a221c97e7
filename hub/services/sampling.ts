import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, makePrivate, writePrivateFile } from '../../shared/private-files.ts';
import { inSample, SAMPLING_KEY_BYTES, samplingDraw, samplingKeyId, type SamplingStream } from '../customs/sampling.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * The hub's sampling key (hub/customs/sampling.ts): a 256-bit secret in the data directory (`sampling-key`, mode 0600,
 * the directory 0700), made on first start. It is never put in the feed, a gateway's config or an API answer; only its
 * id (a domain-separated hash) is shown and audited. Rotating it (admin API or `bondgate sampling-key rotate`) draws a
 * new one: decisions made from then on sample under it; decisions already pushed keep their outcome.
 */
export const SAMPLING_KEY_FILE = 'sampling-key';

function readKey(file: string): Buffer | undefined {
  if (!existsSync(file)) return undefined;
  makePrivate(file);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== SAMPLING_KEY_BYTES) throw new Error(`${file}: not a ${SAMPLING_KEY_BYTES}-byte base64 key`);
  return key;
}

/** Write a fresh key (write a private temporary file, then rename over the old one: never a half-written key). */
function writeNewKey(file: string): Buffer {
  const key = randomBytes(SAMPLING_KEY_BYTES);
  const tmp = `${file}.new`;
  writePrivateFile(tmp, `${key.toString('base64')}\n`);
  renameSync(tmp, file);
  return key;
}

/** The key in `dataDir`, made if missing. */
export function loadOrCreateSamplingKey(dataDir: string): Buffer {
  ensurePrivateDir(dataDir);
  const file = join(dataDir, SAMPLING_KEY_FILE);
  return readKey(file) ?? writeNewKey(file);
}

/** Replace the key in `dataDir` (offline rotation, the CLI); returns the ids before and after. */
export function rotateSamplingKeyFile(dataDir: string): { keyId: string; previousKeyId: string | null } {
  ensurePrivateDir(dataDir);
  const file = join(dataDir, SAMPLING_KEY_FILE);
  const before = readKey(file);
  return { keyId: samplingKeyId(writeNewKey(file)), previousKeyId: before ? samplingKeyId(before) : null };
}

export interface SamplingKeyView {
  keyId: string;
}

export class SamplingService {
  private key: Buffer;
  private readonly now: () => number;
  constructor(private readonly d: { dataDir: string; storage: Pick<Storage, 'appendAudit'>; now?: () => number }) {
    this.key = loadOrCreateSamplingKey(d.dataDir);
    this.now = d.now ?? Date.now;
  }

  /** The parcel's draw in [0, 1) for one stream, under the current key. */
  draw(stream: SamplingStream, parcelKey: string): number {
    return samplingDraw(this.key, stream, parcelKey);
  }

  sampled(stream: SamplingStream, parcelKey: string, rate: number): boolean {
    return inSample(this.draw(stream, parcelKey), rate);
  }

  view(): SamplingKeyView {
    return { keyId: samplingKeyId(this.key) };
  }

  /** A new key, live at once, on the audit chain by id (never the key). */
  async rotate(actor: string, comment: string): Promise<SamplingKeyView & { previousKeyId: string }> {
    const previousKeyId = samplingKeyId(this.key);
    this.key = writeNewKey(join(this.d.dataDir, SAMPLING_KEY_FILE));
    const keyId = samplingKeyId(this.key);
    await this.d.storage.appendAudit({ actor, action: 'sampling-key.rotate', subject: 'sampling-key', detail: { keyId, previousKeyId, comment } }, this.now());
    return { keyId, previousKeyId };
  }
}
