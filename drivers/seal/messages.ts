import { z } from 'zod';
import { fieldIssues, type FieldIssue } from '../../shared/errors.ts';
import { FixKind, Latitude, Longitude } from './geofence.ts';

/**
 * MQTT reports from GPS e-seals and smart locks used in customs transit (devices.md §7). Types are
 * inferred from these schemas; nothing else declares them.
 */

const Timestamp = z.iso.datetime({ offset: true });

/** ISO 18185 identifies a seal by manufacturer plus serial; neither alone is unique. */
export const SealIdentity = z.object({
  manufacturer: z.string().min(1).max(32).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ or -'),
  serial: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ or -'),
});
export type SealIdentity = z.infer<typeof SealIdentity>;

export const SealId = z.string().min(1).max(128).brand<'SealId'>();
export type SealId = z.infer<typeof SealId>;

/** `manufacturer:serial`, the id events carry (≤ 97 characters, within the events' 128). */
export function sealIdOf(seal: SealIdentity): SealId {
  return `${seal.manufacturer}:${seal.serial}` as SealId;
}

export const SealPosition = z.object({
  lat: Latitude,
  lon: Longitude,
  fix: FixKind,
  /** Radius in metres the device claims; LBS figures are floored in geofence.ts. */
  accuracyM: z.number().nonnegative().optional(),
  speedKmh: z.number().nonnegative().max(400).optional(),
  ts: Timestamp,
});
export type SealPosition = z.infer<typeof SealPosition>;

export const UnlockMethod = z.enum(['card', 'ble', 'platform']);
export type UnlockMethod = z.infer<typeof UnlockMethod>;

export const SealEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('locked'), method: UnlockMethod }),
  z.object({ type: z.literal('unlocked'), method: UnlockMethod }),
  z.object({ type: z.literal('shackle_opened_while_sealed') }),
  z.object({ type: z.literal('rope_cut') }),
  z.object({ type: z.literal('shell_tamper') }),
  z.object({ type: z.literal('wrong_credentials'), method: UnlockMethod.optional() }),
  z.object({ type: z.literal('low_battery') }),
  z.object({ type: z.literal('geofence_enter'), fenceId: z.string().min(1).max(128).optional() }),
  z.object({ type: z.literal('geofence_exit'), fenceId: z.string().min(1).max(128).optional() }),
  z.object({ type: z.literal('unseal_refused_outside_area') }),
]);
export type SealEvent = z.infer<typeof SealEvent>;
export type SealEventType = SealEvent['type'];

/** Physical attacks on the seal: the goods may have been reached whatever the status says. */
export const TAMPER_EVENTS = ['shackle_opened_while_sealed', 'rope_cut', 'shell_tamper'] as const satisfies readonly SealEventType[];

export const SealReport = z.object({
  seal: SealIdentity,
  status: z.enum(['sealed', 'unsealed']),
  /** Device time of the report, UTC or with an offset; the only clock the monitor uses. */
  ts: Timestamp,
  events: z.array(SealEvent).max(64).default([]),
  position: SealPosition.optional(),
  batteryPct: z.number().min(0).max(100).optional(),
});
/** The parsed shape (events defaulted). */
export type SealReport = z.infer<typeof SealReport>;
/** The wire shape. */
export type SealReportInput = z.input<typeof SealReport>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; fields: FieldIssue[] };

/** Never throws: a bad message gives the zod paths as dotted fields, e.g. `position.lat`. */
export function parseSealReport(input: unknown): ParseResult<SealReport> {
  const r = SealReport.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, fields: fieldIssues(r.error) };
}

/** An MQTT payload (UTF-8 JSON) to a report; invalid JSON is reported on the root field. */
export function decodeSealPayload(payload: Uint8Array | string): ParseResult<SealReport> {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, fields: [{ field: '(root)', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  return parseSealReport(json);
}
