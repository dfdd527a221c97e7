import { z } from 'zod';

/** Hub → edge: send me this image. Edge → hub: here it is, or why not. Images stay on the edge otherwise. */
export const ImageRequest = z.object({ requestId: z.uuid(), ref: z.string().min(1).max(128) });
export type ImageRequest = z.infer<typeof ImageRequest>;

/** Largest image sent whole over MQTT (base64 grows it by a third; the broker message limit is 4 MiB). */
export const MAX_IMAGE_BYTES = 2.5 * 1024 * 1024;

export const ImageResponse = z.object({
  gatewayId: z.string().min(1).max(64),
  requestId: z.uuid(),
  ref: z.string().min(1).max(128),
  result: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), contentType: z.enum(['image/jpeg', 'image/png', 'image/webp']), dataB64: z.string().max(Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 4) }),
    z.object({ ok: z.literal(false), code: z.enum(['NOT_FOUND', 'BAD_REF', 'TOO_LARGE']), message: z.string().max(500) }),
  ]),
});
export type ImageResponse = z.infer<typeof ImageResponse>;
