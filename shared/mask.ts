/**
 * Personal data masking for UIs and logs (buyer and payer names, consignee names and addresses, ID numbers, phones).
 * Masking keeps enough to recognise a value at a glance (first and last characters, an address's opening) and never
 * the rest. maskPersonal is the one function the hub applies to what it returns (hub/auth/mask-responses.ts: every
 * role but customs officers); the matchers use the same per-field maskers for the texts they write.
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

/** A person's name: the first character kept (the family name), the rest starred. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 1) return '*';
  return `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}

/** An address keeps its opening (province and city, about a third, at most 6 characters); the rest is starred. */
export function maskAddress(address: string): string {
  const chars = [...address.trim()];
  const keep = Math.min(6, Math.floor(chars.length / 3));
  return `${chars.slice(0, keep).join('')}${'*'.repeat(Math.max(1, chars.length - keep))}`;
}

/** Field names whose values are personal data wherever they appear (CEB names kept exactly). */
export const PERSONAL_FIELDS = ['buyerName', 'payerName', 'consignee', 'consigneeAddress', 'buyerIdNumber', 'payerIdNumber', 'buyerTelephone', 'consigneeTelephone', 'idNumber', 'telephone', 'phone', 'password', 'token'] as const;
const ID_FIELDS: ReadonlySet<string> = new Set(['buyerIdNumber', 'payerIdNumber', 'idNumber']);
const PHONE_FIELDS: ReadonlySet<string> = new Set(['buyerTelephone', 'consigneeTelephone', 'telephone', 'phone']);
const NAME_FIELDS: ReadonlySet<string> = new Set(['buyerName', 'payerName', 'consignee']);
const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['consigneeAddress']);
const SECRET_FIELDS: ReadonlySet<string> = new Set(['password', 'token', 'privateKeyPem']);

/** The masked form of a personal field's value, or undefined when the field is not personal data. */
export function maskField(field: string, value: string): string | undefined {
  if (ID_FIELDS.has(field)) return maskIdNumber(value);
  if (PHONE_FIELDS.has(field)) return maskPhone(value);
  if (NAME_FIELDS.has(field)) return maskName(value);
  if (ADDRESS_FIELDS.has(field)) return maskAddress(value);
  return undefined;
}

/** Fields of a finding (a mismatch, a return issue) that hold the compared values of the field it names. */
const FINDING_VALUES = ['left', 'right', 'expected', 'actual'] as const;

/** Deep copy with personal fields masked: what an API returns to a UI and what a log line carries. */
export function maskPersonal<T>(value: T): T {
  return mask(value, true);
}

function mask<T>(value: T, redactSecrets: boolean): T {
  if (Array.isArray(value)) return value.map((v) => mask(v, redactSecrets)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // A phone or ID parsed from a form or a spreadsheet can arrive as a number: mask it too, never pass it through.
    const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
    const masked = text !== undefined ? maskField(k, text) : undefined;
    if (masked !== undefined) out[k] = masked;
    else if (redactSecrets && SECRET_FIELDS.has(k)) out[k] = '[redacted]';
    else out[k] = mask(v, redactSecrets);
  }
  return withoutPersonalValues(maskFinding(out)) as T;
}

const isPersonalField = (f: unknown) => typeof f === 'string' && maskField(f, '') !== undefined;

/**
 * A coded reason (`{code, params}`, shared/reason-codes.ts) comparing a personal field keeps the values as declared in
 * `params.left`/`params.right` for officers, who must see which part differs: for everyone else, and in logs, they are
 * dropped, so the reason says "differs" without the values.
 */
function withoutPersonalValues(o: Record<string, unknown>): Record<string, unknown> {
  const p = o.params;
  if (typeof o.code !== 'string' || p === null || typeof p !== 'object' || Array.isArray(p)) return o;
  const params = p as Record<string, unknown>;
  if (!isPersonalField(params.field) && !isPersonalField(params.rightField)) return o;
  const { left: _l, right: _r, ...rest } = params;
  return { ...o, params: rest };
}

/**
 * A finding names a field and carries its compared values (`{field: 'buyerName', left, right, message}`, a return
 * issue's `expected`/`actual`): values of a personal field are masked, and so is every place the message quotes them.
 * The matchers write masked texts already (hub/customs/matching.ts); this also covers findings stored before they did.
 */
function maskFinding(o: Record<string, unknown>): Record<string, unknown> {
  if (typeof o.field !== 'string') return o;
  const fieldOf = (k: string) => (k === 'right' && typeof o.rightField === 'string' ? o.rightField : (o.field as string));
  let message = typeof o.message === 'string' ? o.message : undefined;
  for (const k of FINDING_VALUES) {
    const v = o[k];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const masked = maskField(fieldOf(k), String(v));
    if (masked === undefined) continue;
    o[k] = masked;
    if (message !== undefined && String(v).length > 0) message = message.split(String(v)).join(masked);
  }
  if (message !== undefined) o.message = message;
  return o;
}

/**
 * What a viewer of this role may see of a response: everything for customs officers (whose PII views are audited),
 * personal data masked for every other role. Secrets a response means to show (a gateway password shown once) stay.
 */
export function maskForViewer<T>(role: string | undefined, value: T): T {
  return role === 'officer' ? value : mask(value, false);
}
