/**
 * Personal data masking for UIs and logs (buyer ID numbers, phones). Masking keeps enough to recognise
 * a value at a glance (first and last characters) and never the middle.
 */
export function maskIdNumber(id: string): string {
  // An 18-character resident ID keeps its region prefix (3) and last 4 (incl. check character).
  const head = id.length >= 15 ? 3 : 1;
  const tail = id.length >= 15 ? 4 : 2;
  if (id.length <= head + tail) return '*'.repeat(id.length);
  return `${id.slice(0, head)}${'*'.repeat(id.length - head - tail)}${id.slice(-tail)}`;
}

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\s+/g, '');
  if (digits.length < 7) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** Field names whose values are personal data wherever they appear (CEB names kept exactly). */
export const PERSONAL_FIELDS = ['buyerIdNumber', 'payerIdNumber', 'buyerTelephone', 'consigneeTelephone', 'idNumber', 'telephone', 'phone', 'password', 'token'] as const;
const ID_FIELDS: ReadonlySet<string> = new Set(['buyerIdNumber', 'payerIdNumber', 'idNumber']);
const PHONE_FIELDS: ReadonlySet<string> = new Set(['buyerTelephone', 'consigneeTelephone', 'telephone', 'phone']);
const SECRET_FIELDS: ReadonlySet<string> = new Set(['password', 'token', 'privateKeyPem']);

/** Deep copy with personal fields masked: what an API returns to a UI and what a log line carries. */
export function maskPersonal<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => maskPersonal(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // A phone or ID parsed from a form or a spreadsheet can arrive as a number: mask it too, never pass it through.
    const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
    if (text !== undefined && ID_FIELDS.has(k)) out[k] = maskIdNumber(text);
    else if (text !== undefined && PHONE_FIELDS.has(k)) out[k] = maskPhone(text);
    else if (SECRET_FIELDS.has(k)) out[k] = '[redacted]';
    else out[k] = maskPersonal(v);
  }
  return out as T;
}
