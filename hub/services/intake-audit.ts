import type { FieldIssue } from '../../shared/errors.ts';
import type { AuditInput } from '../audit.ts';

/**
 * Audit entries for document intake. Every upload leaves one — accepted or refused, and whether or not it decided a
 * parcel (a CEB311 alone, a batch of receipts, a message refused by the XSD decide nothing, and used to leave no trace):
 * who sent it, which message or file (the SHA-256 it is stored by, its CEB type and guid, a file or job name), the
 * counts and the fields that were wrong. Never the problems' messages: they may quote values (names, ID numbers).
 */
export const AUDIT_ERROR_FIELDS = 20;

/** `subject` ≤ 128 characters (AuditInput): a file name is cut to fit. */
export function intakeAudit(actor: string, action: string, subject: string, detail: Record<string, unknown>): AuditInput {
  return { actor, action, subject: subject.length > 128 ? `${subject.slice(0, 127)}…` : subject, detail };
}

/** The first fields of a refusal, for `detail.errorFields`. */
export function errorFields(issues: readonly FieldIssue[]): string[] {
  return issues.slice(0, AUDIT_ERROR_FIELDS).map((i) => i.field);
}
