import type { z } from 'zod';

/**
 * One catalogue of stable error codes. Callers and tests match on `code`, never on wording.
 * `status` is the HTTP status a hub route maps the error to.
 */
export const ErrorCatalogue = {
  VALIDATION_FAILED: { status: 400, message: 'The input is not valid' },
  CONFIG_INVALID: { status: 400, message: 'The configuration is not valid' },
  UNAUTHENTICATED: { status: 401, message: 'Sign in first' },
  FORBIDDEN: { status: 403, message: 'Your role may not do this' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state' },
  RATE_LIMITED: { status: 429, message: 'Too many attempts: wait and try again' },
  CROSS_SITE: { status: 403, message: 'Cross-site requests are refused' },
  HOST_NOT_ALLOWED: { status: 421, message: 'This server does not answer to that host name' },
  TOO_MANY_STREAMS: { status: 429, message: 'Too many open event streams: close one and try again' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The payload is too large' },
  GATEWAY_MISMATCH: { status: 403, message: 'The message names a gateway other than the one that sent it' },
  EDGE_JOURNAL_FULL: { status: 507, message: 'The edge journal is at its hard disk limit: the station refuses new operations until the backlog drains' },
  EDGE_JOURNAL_CLOSED: { status: 503, message: 'The edge journal is closed' },
  DECODE_FAILED: { status: 400, message: 'The message could not be decoded' },
  PORT_IN_USE: { status: 500, message: 'The port is already in use' },
  STORAGE_FAILED: { status: 500, message: 'The store failed' },
  GATEWAY_UNREACHABLE: { status: 504, message: 'The gateway did not answer in time' },
  BROKER_FAILED: { status: 502, message: 'The MQTT broker refused the change or did not answer' },
  EPORT_CARD_AWAY: { status: 503, message: 'The e-port card client cannot be reached' },
  EPORT_CARD_TIMEOUT: { status: 504, message: 'The e-port card client did not answer in time' },
  EPORT_CARD_REFUSED: { status: 502, message: 'The e-port card client refused the call (Result: false)' },
  EPORT_CARD_FAILED: { status: 502, message: 'The e-port card client gave an answer that cannot be used' },
  EPORT_CERTIFICATE_EXPIRED: { status: 503, message: 'The e-port signing certificate is not valid now' },
} as const;

export type ErrorCode = keyof typeof ErrorCatalogue;

export interface FieldIssue { field: string; message: string }
export interface ErrorReason { code: string; params?: Record<string, string | number> }

export class BondgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: FieldIssue[];
  /** Why, as a code with parameters a screen renders in its reader's language (shared/reason-codes.ts); `message` stays English. */
  readonly reason: ErrorReason | undefined;

  constructor(code: ErrorCode, message?: string, fields: FieldIssue[] = [], options?: { cause?: unknown; reason?: ErrorReason }) {
    super(message ?? ErrorCatalogue[code].message, options);
    this.name = 'BondgateError';
    this.code = code;
    this.status = ErrorCatalogue[code].status;
    this.fields = fields;
    this.reason = options?.reason;
  }

  toJSON(): { code: ErrorCode; message: string; fields: FieldIssue[]; reason?: ErrorReason } {
    return { code: this.code, message: this.message, fields: this.fields, ...(this.reason ? { reason: this.reason } : {}) };
  }
}

/** zod issues → `[{ field: 'journal.quotaMb', message }]`, the shape users and tests see. */
export function fieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
  }));
}

export function validationError(error: z.ZodError, code: ErrorCode = 'VALIDATION_FAILED', prefix = ''): BondgateError {
  const fields = fieldIssues(error, prefix);
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return new BondgateError(code, `${ErrorCatalogue[code].message}: ${summary}`, fields);
}

export function isBondgateError(e: unknown, code?: ErrorCode): e is BondgateError {
  return e instanceof BondgateError && (code === undefined || e.code === code);
}
