/** UPU S10 postal item identifiers (customs.md §7): parse and check digit. No I/O. */

export type S10Result =
  | { ok: true; value: string; serviceIndicator: string; serial: string; checkDigit: number; country: string }
  | { ok: false; reason: string };

const S10_SHAPE = /^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$/;
const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7] as const;

/** UPU S10 check digit over the 8 serial digits. */
export function s10CheckDigit(serial: string): number {
  if (!/^\d{8}$/.test(serial)) throw new RangeError(`s10CheckDigit: expected 8 digits, got ${JSON.stringify(serial)}`);
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (serial.charCodeAt(i) - 48) * S10_WEIGHTS[i]!;
  const r = sum % 11;
  return r === 0 ? 5 : r === 1 ? 0 : 11 - r;
}

/** The S10 number with serial `n` (mod 10^8) and its check digit: `s10Number(12345678)` = `EA123456785CN`. */
export function s10Number(n: number, service = 'EA', country = 'CN'): string {
  const serial = String(Math.abs(Math.trunc(n)) % 100_000_000).padStart(8, '0');
  return `${service}${serial}${s10CheckDigit(serial)}${country}`;
}

/** Parse a UPU S10 identifier (e.g. `EA123456785CN`); trimmed and uppercased first. */
export function parseS10(text: string): S10Result {
  const value = text.trim().toUpperCase();
  const m = S10_SHAPE.exec(value);
  if (!m) return { ok: false, reason: `"${value}" is not a UPU S10 identifier (2 letters, 9 digits, 2 letters)` };
  const [, serviceIndicator, serial, check, country] = m as unknown as [string, string, string, string, string];
  const expected = s10CheckDigit(serial);
  const checkDigit = Number(check);
  if (checkDigit !== expected) {
    return { ok: false, reason: `S10 "${value}" has check digit ${checkDigit}, expected ${expected}` };
  }
  return { ok: true, value, serviceIndicator, serial, checkDigit, country };
}
