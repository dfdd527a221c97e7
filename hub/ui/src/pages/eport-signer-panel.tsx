import { api } from '../api.ts';
import { ErrorBox, Pill, useAsync } from '../components.tsx';
import { fmtTime, t } from '../i18n/index.ts';

/**
 * The e-port signer's state (GET /api/eport/signer, hub/eport/signer-state.ts SignerStatus): the card client or key
 * file, its condition and why, and the certificate's days left. Shown to admins and managers; nothing when no signer
 * is configured. Exported for the "E-port exchange" page to show as well.
 */
export type EportSignerCondition = 'unknown' | 'ok' | 'away' | 'slow' | 'refused' | 'failed';
export interface EportSignerStatus {
  configured: boolean;
  kind?: 'card' | 'file';
  target?: string;
  condition?: EportSignerCondition;
  detail?: string;
  sinceMs?: number;
  connected?: boolean | null;
  lastSignedMs?: number | null;
  signed?: number;
  failed?: number;
  certificate?: { subject: string; serialNumber: string; validToMs: number; condition: 'unknown' | 'valid' | 'expiring' | 'expired'; daysLeft: number } | null;
}

const conditionTone = { unknown: 'muted', ok: 'ok', away: 'bad', slow: 'warn', refused: 'bad', failed: 'bad' } as const;
const certTone = { unknown: 'muted', valid: 'ok', expiring: 'warn', expired: 'bad' } as const;

export function EportSignerPanel({ tick }: { tick: number }) {
  const s = useAsync((signal) => api<EportSignerStatus>('/api/eport/signer', { signal }), [tick]);
  if (s.error) return <ErrorBox error={s.error} />;
  const d = s.data;
  if (!d?.configured || !d.condition) return null;
  return (
    <section class="eport-signer" aria-labelledby="eport-signer-title">
      <h2 id="eport-signer-title">{t('gateways.eport.title')}</h2>
      <p>
        <Pill tone={conditionTone[d.condition]}>{t(`gateways.eport.condition.${d.condition}`)}</Pill> <span class="muted">{d.kind === 'card' ? t('gateways.eport.card', { target: d.target ?? '' }) : t('gateways.eport.file')}</span>
      </p>
      {d.condition !== 'ok' ? <p class="small">{d.detail}</p> : null}
      {d.certificate ? (
        <p>
          <Pill tone={certTone[d.certificate.condition]}>{t(`gateways.eport.cert.${d.certificate.condition}`)}</Pill>{' '}
          {t('gateways.eport.certLine', { serial: d.certificate.serialNumber, until: fmtTime(d.certificate.validToMs), days: String(d.certificate.daysLeft) })}
        </p>
      ) : null}
      <p class="muted small">{t('gateways.eport.counts', { signed: String(d.signed ?? 0), failed: String(d.failed ?? 0), last: fmtTime(d.lastSignedMs ?? null) })}</p>
    </section>
  );
}
