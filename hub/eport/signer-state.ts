import type { ErrorCode } from '../../shared/errors.ts';
import type { AlarmKind, AlarmSeverity, AlarmSignal } from '../customs/alarms.ts';
import type { Certificate } from './x509.ts';

/**
 * What a person should see about the e-port signer, and the alarms that follow from it, as pure functions of the
 * last outcomes (issue 18): the card client away, slow, refusing, or answering something unusable; the signing
 * certificate expiring within the warning window, or expired. The service (hub/services/eport-signer.ts) feeds
 * outcomes in and applies the signals to the alarm repository.
 */

export type SignerCondition = 'unknown' | 'ok' | 'away' | 'slow' | 'refused' | 'failed';
export type CertificateCondition = 'unknown' | 'valid' | 'expiring' | 'expired';

export interface SignerCertificateInfo {
  subject: string;
  serialNumber: string;
  validFromMs: number;
  validToMs: number;
  fingerprint256: string;
}

export interface SignerStatus {
  kind: 'card' | 'file';
  /** The card client URL, or the key file. */
  target: string;
  condition: SignerCondition;
  /** Why, for a person (never carries the PIN: errors are scrubbed where they are made). */
  detail: string;
  /** Since when the condition holds. */
  sinceMs: number;
  connected: boolean | null;
  lastSignedMs: number | null;
  lastFailedMs: number | null;
  signed: number;
  failed: number;
  certificate: (SignerCertificateInfo & { condition: CertificateCondition; daysLeft: number }) | null;
  certExpiryWarnDays: number;
}

export const DAY_MS = 86_400_000;

/** The condition an error code puts the signer in. */
export function conditionOf(code: ErrorCode | undefined): SignerCondition {
  switch (code) {
    case 'EPORT_CARD_AWAY':
      return 'away';
    case 'EPORT_CARD_TIMEOUT':
      return 'slow';
    case 'EPORT_CARD_REFUSED':
      return 'refused';
    default:
      return 'failed';
  }
}

export function certificateCondition(cert: Pick<Certificate, 'validFromMs' | 'validToMs'>, nowMs: number, warnDays: number): CertificateCondition {
  if (nowMs > cert.validToMs || nowMs < cert.validFromMs) return 'expired';
  return cert.validToMs - nowMs <= warnDays * DAY_MS ? 'expiring' : 'valid';
}

const CONDITION_ALARM: Record<'away' | 'slow' | 'refused' | 'failed', { kind: AlarmKind; severity: AlarmSeverity }> = {
  away: { kind: 'eport_signer_away', severity: 'critical' },
  slow: { kind: 'eport_signer_slow', severity: 'warning' },
  refused: { kind: 'eport_signer_refused', severity: 'critical' },
  failed: { kind: 'eport_signer_failed', severity: 'critical' },
};

/** Every alarm is keyed by this one subject: the hub has one e-port signer. */
export const SIGNER_ALARM_SUBJECT = 'eport-signer';

const raise = (kind: AlarmKind, severity: AlarmSeverity, detail: string): AlarmSignal => ({ op: 'raise', kind, subject: SIGNER_ALARM_SUBJECT, stationId: null, deviceId: null, severity, detail });
const clear = (kind: AlarmKind): AlarmSignal => ({ op: 'clear', kind, subject: SIGNER_ALARM_SUBJECT });

/**
 * The signals for a new signer condition. A failure raises its own kind each time (the alarm counts them) and
 * clears the other failure kinds once it replaces them; success clears them all — once, on the change.
 */
export function conditionSignals(prev: SignerCondition, next: SignerCondition, detail: string): AlarmSignal[] {
  const kinds = Object.keys(CONDITION_ALARM) as (keyof typeof CONDITION_ALARM)[];
  if (next === 'unknown') return [];
  if (next === 'ok') return prev === 'ok' ? [] : kinds.map((k) => clear(CONDITION_ALARM[k].kind));
  const a = CONDITION_ALARM[next];
  return [raise(a.kind, a.severity, detail), ...(prev !== next ? kinds.filter((k) => k !== next).map((k) => clear(CONDITION_ALARM[k].kind)) : [])];
}

/** The signals for the certificate's condition, on a change only. */
export function certificateSignals(prev: CertificateCondition, next: CertificateCondition, detail: string): AlarmSignal[] {
  if (prev === next || next === 'unknown') return [];
  if (next === 'expired') return [raise('eport_signer_cert_expired', 'critical', detail), clear('eport_signer_cert_expiring')];
  if (next === 'expiring') return [raise('eport_signer_cert_expiring', 'warning', detail), clear('eport_signer_cert_expired')];
  return [clear('eport_signer_cert_expiring'), clear('eport_signer_cert_expired')];
}

export function certificateDetail(cert: SignerCertificateInfo, condition: CertificateCondition, nowMs: number): string {
  const until = new Date(cert.validToMs).toISOString();
  if (condition === 'expired') return `the e-port signing certificate ${cert.serialNumber} (${cert.subject.replace(/\n/g, ', ')}) is not valid now (${new Date(cert.validFromMs).toISOString()} – ${until}): renew the card's certificate; nothing can be signed`;
  const days = Math.floor((cert.validToMs - nowMs) / DAY_MS);
  return `the e-port signing certificate ${cert.serialNumber} (${cert.subject.replace(/\n/g, ', ')}) expires ${until}, in ${days} day${days === 1 ? '' : 's'}: renew it before then`;
}
