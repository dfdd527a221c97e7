import { z } from 'zod';

/**
 * Request bodies the console accepts, and the types derived from them (style.md: never a hand-written twin).
 * A keyboard-wedge scanner types printable characters and, inside GS1 codes, the GS field separator (0x1D);
 * any other control character is a garbled read or an injection attempt and is refused, not stripped.
 */
function printable(text: string, allowGs: boolean): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (allowGs && c === 0x1d) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

const noControl = { message: 'must not contain control characters' };

export const SCAN_MAX_CHARS = 512;

export const ConsoleInput = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('scan'),
    text: z.string().min(1).max(SCAN_MAX_CHARS).refine((s) => printable(s, true), { message: 'must not contain control characters other than GS (0x1D)' }),
  }),
  z.strictObject({
    kind: z.literal('action'),
    id: z.string().min(1).max(64).refine((s) => printable(s, false), noControl),
    /** Why (a manual release records who and why); trimmed, so blanks do not count as a reason. */
    reason: z.string().trim().min(1).max(500).refine((s) => printable(s, false), noControl).optional(),
  }),
]);
export type ConsoleInput = z.infer<typeof ConsoleInput>;

export const LoginBody = z.strictObject({
  operatorId: z.string().trim().min(1).max(64).refine((s) => printable(s, false), noControl),
  pin: z.string().min(1).max(64),
});
export type LoginBody = z.infer<typeof LoginBody>;
