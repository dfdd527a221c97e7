import { readFile } from 'node:fs/promises';
import { type CommandResult, DriverBase } from '../contract.ts';
import { CameraScannerConfig } from './camera-config.ts';
import { workerImageDecoder, type ImageDecoder } from './image-decoder.ts';
import { scanReading, type ScanReading } from './serial-scanner.ts';

/**
 * A fixed camera over a conveyor or a bench: a periodic snapshot (an IP camera's JPEG snapshot URL, or a file a
 * capture tool keeps overwriting) decoded with zxing. A parcel sits under the camera for many snapshots, so the same
 * code is reported once per `repeatAfterMs`, not once per frame. An unreachable camera or an unreadable image is a
 * device.error and the link goes down, so the supervisor restarts it; a frame without a barcode is not an error.
 * It reads the symbols the station expects (`formats`, at most `maxSymbols`, one by default) and emits a code only
 * when its check digits hold; a read that fails them is a `scan.rejected` with its text and the reason. Images are
 * loaded and decoded in a worker thread (image-decoder.ts, WorkerImageDecoder), never on the edge's event loop.
 * The config schema lives apart (camera-config.ts), so validating a gateway's config loads no decoder.
 */
export { CameraScannerConfig };

/** `bytesHex`/`eci`: a symbol whose content is bytes, not text (binary, or an ECI the decoder cannot transcode). */
export type CameraReading = ScanReading & { format?: string; bytesHex?: string; eci?: boolean };

/** Pure: which codes of this frame are new, given when each was last reported. Mutates `seen`. */
export function freshCodes(codes: string[], seen: Map<string, number>, nowMs: number, repeatAfterMs: number): string[] {
  for (const [code, at] of seen) if (nowMs - at >= repeatAfterMs) seen.delete(code);
  const fresh = [...new Set(codes)].filter((c) => !seen.has(c));
  for (const c of fresh) seen.set(c, nowMs);
  return fresh;
}

/**
 * A fixed camera over a conveyor or a bench: a periodic snapshot (an IP camera's JPEG snapshot URL, or a file a
 * capture tool keeps overwriting) decoded with zxing. A parcel sits under the camera for many snapshots, so the same
 * code is reported once per `repeatAfterMs`, not once per frame. An unreachable camera or an unreadable image is a
 * device.error and the link goes down, so the supervisor restarts it; a frame without a barcode is not an error.
 * It reads the symbols the station expects (`formats`, at most `maxSymbols`, one by default) and emits a code only
 * when its check digits hold; a read that fails them is a `scan.rejected` with its text and the reason.
 */
export class CameraScannerDriver extends DriverBase<CameraReading, 'snapshot' | 'capture'> {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly seen = new Map<string, number>();

  constructor(private readonly config: CameraScannerConfig, private readonly decoder: ImageDecoder = workerImageDecoder(), private readonly now: () => number = Date.now) {
    super();
  }

  async start(signal: AbortSignal): Promise<void> {
    // The first snapshot must work, or start() fails and the supervisor backs off.
    await this.snapshot(true);
    this.timer = setInterval(() => void this.snapshot(false).catch(() => undefined), this.config.intervalMs);
    signal.addEventListener('abort', () => {
      clearInterval(this.timer);
      this.h.connected = false;
    }, { once: true });
  }

  /**
   * `snapshot` takes one frame now and decodes it (a trigger from a photo-eye, say); `capture` returns the frame
   * itself (the station keeps it as the parcel's photo).
   */
  async send(cmd: 'snapshot' | 'capture'): Promise<CommandResult> {
    if (cmd === 'capture') {
      try {
        return { ok: true, data: await this.fetchImage() };
      } catch (e) {
        return { ok: false, code: 'COMMAND_FAILED', message: (e as Error).message };
      }
    }
    if (cmd !== 'snapshot') return { ok: false, code: 'UNSUPPORTED', message: `unknown command ${String(cmd)}` };
    try {
      await this.snapshot(true);
      return { ok: true };
    } catch (e) {
      return { ok: false, code: 'COMMAND_FAILED', message: (e as Error).message };
    }
  }

  private async fetchImage(): Promise<Buffer> {
    const c = this.config;
    if (c.file) return readFile(c.file);
    const res = await fetch(c.url!, { signal: AbortSignal.timeout(c.timeoutMs) });
    if (!res.ok) throw new Error(`snapshot ${c.url} answered HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > c.maxImageBytes) throw new Error(`snapshot of ${declared} bytes exceeds ${c.maxImageBytes}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > c.maxImageBytes) throw new Error(`snapshot of ${body.length} bytes exceeds ${c.maxImageBytes}`);
    return body;
  }

  private async snapshot(rethrow: boolean): Promise<void> {
    if (this.busy) return; // a slow decode skips frames rather than queueing them
    this.busy = true;
    try {
      const image = await this.fetchImage();
      const c = this.config;
      // Image decode and barcode decode both off the event loop (the default decoder is a worker thread).
      const { symbols, rejected } = await this.decoder.decodeImage(image, { width: c.width, rotateDeg: c.rotateDeg }, { formats: c.formats, maxSymbols: c.maxSymbols });
      const atMs = this.now();
      this.h.connected = true;
      this.h.lastReadingMs = atMs; // a frame decoded is a sign of life, barcode or not
      const fresh = new Set(freshCodes([...symbols.map((s) => s.aimText), ...rejected.map((r) => r.raw)], this.seen, atMs, c.repeatAfterMs));
      for (const s of symbols) {
        if (!fresh.delete(s.aimText)) continue;
        // The decoder sees each FNC1 in the symbol and writes it as GS: a GS-less GS1 read from a camera is one whose
        // only variable-length element is last, never one whose separators a scanner dropped.
        const reading: CameraReading = { ...scanReading(s.aimText, atMs, { separators: 'transmitted' }), format: s.format };
        if (s.bytesHex !== undefined) Object.assign(reading, { bytesHex: s.bytesHex, eci: s.eci });
        this.emit(reading);
      }
      // Read but not trusted (check digit, two reads of one symbol): kept with its text and why, never a code.
      for (const r of rejected) {
        if (!fresh.delete(r.raw)) continue;
        this.emit({ kind: 'scan.rejected', reason: r.reason, raw: r.raw, atMs, format: r.format });
      }
    } catch (e) {
      this.h.errors += 1;
      this.h.connected = false;
      this.emit({ kind: 'device.error', reason: `camera: ${(e as Error).message}`, rawHex: '', atMs: this.now() });
      if (rethrow) throw e;
    } finally {
      this.busy = false;
    }
  }
}
