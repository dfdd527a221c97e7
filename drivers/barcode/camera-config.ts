import { z } from 'zod';

/**
 * The camera scanner's configuration and its vocabulary, apart from the driver: the edge's config schema (via
 * drivers/registry.ts) validates every gateway's devices, and must not load sharp and zxing-wasm (the decoder,
 * ~12 MiB and a native library) in a gateway that has no camera. The driver (camera-scanner.ts) and the decoder
 * (image-decoder.ts) import from here.
 */

/** The formats a camera can be told to look for (zxing-wasm names). */
export const CAMERA_FORMATS = ['EAN13', 'EAN8', 'UPCA', 'UPCE', 'Code128', 'Code39', 'ITF14', 'DataBar', 'DataBarExp', 'QRCode', 'DataMatrix', 'PDF417', 'Aztec'] as const;
export type CameraFormat = (typeof CAMERA_FORMATS)[number];
/** What a parcel or goods label carries: waybills (Code 128, QR, Data Matrix), GS1 (GS1-128, GS1 DataMatrix/QR), retail GTINs. */
export const DEFAULT_FORMATS: CameraFormat[] = ['Code128', 'EAN13', 'UPCA', 'EAN8', 'QRCode', 'DataMatrix'];

export const CameraScannerConfig = z
  .object({
    url: z.url().optional().describe('HTTP snapshot URL (e.g. http://cam/snapshot.jpg)'),
    file: z.string().min(1).optional().describe('image file a capture tool keeps overwriting'),
    intervalMs: z.number().int().min(50).max(60_000).default(500),
    timeoutMs: z.number().int().min(100).max(30_000).default(2000),
    width: z.number().int().min(160).max(8192).optional().describe('decode a copy scaled to this width first (cheaper); the full frame is tried when it finds nothing'),
    rotateDeg: z.number().int().min(-360).max(360).optional(),
    repeatAfterMs: z.number().int().min(0).default(5000).describe('report the same code again only after this long'),
    maxImageBytes: z.number().int().min(1024).default(20 * 1024 * 1024),
    formats: z.array(z.enum(CAMERA_FORMATS)).min(1).default(DEFAULT_FORMATS).describe('the symbologies this station reads'),
    maxSymbols: z.number().int().min(1).max(8).default(1).describe('symbols per frame: 1 for a station, more only for a portal (each costs decode time)'),
  })
  .refine((c) => (c.url === undefined) !== (c.file === undefined), { message: 'set exactly one of url or file', path: ['url'] });
export type CameraScannerConfig = z.output<typeof CameraScannerConfig>;
