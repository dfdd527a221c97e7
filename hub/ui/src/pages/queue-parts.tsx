import { useLayoutEffect, useRef } from 'preact/hooks';
import { Pill } from '../components.tsx';
import { fmtNumber, fmtTime, t } from '../i18n/index.ts';
import { ruleWords, type ValueLimits } from './queue-rules.ts';
import { FreeText, freeText, hasDetail, ReasonText } from '../reason.tsx';

/** Pieces of the queue page: the case shape it reads, status and risk pills, reasons in words, the shortcut help. */

export type CaseStatus = 'pending' | 'awaiting_release' | 'released' | 'held' | 'inspection' | 'seized' | 'returned' | 'destroyed' | 'cancelled';
export type RiskLevel = 'low' | 'medium' | 'high';

/** The fields of GET /api/cases items the page shows (the hub's CaseRecord has more). */
export interface QueueCase {
  parcelKey: string;
  orderNo: string;
  status: CaseStatus;
  riskLevel: RiskLevel;
  reasons: { rule: string; message: string; code?: string; params?: Record<string, unknown> }[];
  decidedBy: string;
  /** Findings from edge inspection benches (hub/repos/cases.ts BenchFinding), newest last. */
  benchFindings?: { finding: string; reason: string; gatewayId: string; stationId: string; operator: string; officer: string | null; officerVerified: boolean }[];
  /** The last inspection result an officer recorded (a pass while awaiting release reads "inspected, passed"). */
  inspectionResult?: 'pass' | 'seize' | 'return' | 'destroy' | null;
  /** Inspection results as findings: who, where, when (hub/repos/cases.ts InspectionFinding), oldest first. */
  findings?: { result: 'pass' | 'seize' | 'return' | 'destroy'; by: string; where: string | null; atMs: number; reason: string }[];
  /** An officer's release under `customs.releaseAuthority: officer`; `alarmedMs` once customs' 800 was overdue. */
  officerRelease?: { by: string; reason: string; atMs: number; alarmedMs: number | null } | null;
  createdMs: number;
  updatedMs: number;
  version: number;
}

export type Action = { action: 'release' | 'hold' | 'inspect' } | { action: 'result'; result: 'pass' | 'seize' | 'return' | 'destroy' };

export const actionLabel = (a: Action) => t(a.action === 'result' ? `queue.action.result.${a.result}` : `queue.action.${a.action}`);

const STATUS_TONE: Record<CaseStatus, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = { pending: 'info', awaiting_release: 'info', released: 'ok', held: 'bad', inspection: 'warn', seized: 'bad', returned: 'muted', destroyed: 'muted', cancelled: 'muted' };
const RISK_TONE: Record<RiskLevel, 'ok' | 'warn' | 'bad'> = { low: 'ok', medium: 'warn', high: 'bad' };

/** The status in words; awaiting release after a passed inspection says so ("inspected, passed — awaiting customs' release"). */
export const statusLabel = (status: CaseStatus, inspectionResult?: QueueCase['inspectionResult']) => t(status === 'awaiting_release' && inspectionResult === 'pass' ? 'queue.status.awaiting_release.passed' : `queue.status.${status}`);
export const StatusPill = ({ status, inspectionResult }: { status: CaseStatus; inspectionResult?: QueueCase['inspectionResult'] }) => <Pill tone={STATUS_TONE[status]}>{statusLabel(status, inspectionResult)}</Pill>;
export const RiskPill = ({ level }: { level: RiskLevel }) => <Pill tone={RISK_TONE[level]}>{t(`queue.risk.${level}`)}</Pill>;

let valueLimits: ValueLimits | undefined;
/** The configured limits, once the page has read them (GET /api/value-limits). */
export function setValueLimits(l: ValueLimits | undefined): void {
  valueLimits = l;
}

export function reasonText(rule: string): string {
  const w = ruleWords(rule, (k) => t(k) !== k, valueLimits);
  const vars = { ...w.vars };
  if (typeof vars.limit === 'number') vars.limit = fmtNumber(vars.limit, Number.isInteger(vars.limit) ? 0 : 2);
  if (typeof vars.text === 'string' && vars.text.startsWith('queue.')) vars.text = t(vars.text);
  return t(w.key, vars);
}

/**
 * Reasons in words, each with its detail (figures such as the year-to-date total, the fields that differ) in the
 * reader's language as the officer's evidence; a reason stored before codes shows its text as it was stored.
 */
export function Reasons({ reasons }: { reasons: QueueCase['reasons'] }) {
  return (
    <ul class="reasons">
      {reasons.map((r, i) => (
        <li key={`${r.rule}-${i}`}>
          <span>{reasonText(r.rule)}</span>
          {hasDetail(r) ? (
            <small class="muted">
              {' — '}
              <ReasonText reason={r} />
            </small>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/**
 * The officers' latest inspection finding (who, where, when) and, under officer release authority, the officer's
 * release and whether customs' 800 is overdue.
 */
export function LatestFinding({ c }: { c: QueueCase }) {
  const f = c.findings?.at(-1);
  const r = c.officerRelease;
  if (!f && !r) return null;
  return (
    <>
      {f ? (
        <div class="small" title={f.reason}>
          {t('queue.finding', { result: t(`queue.action.result.${f.result}`), by: f.by, where: f.where ?? '—', at: fmtTime(f.atMs) })}
        </div>
      ) : null}
      {r ? <div class={`small${r.alarmedMs !== null ? ' bad' : ''}`}>{t(r.alarmedMs !== null ? 'queue.officerRelease.unconfirmed' : 'queue.officerRelease', { by: r.by, reason: r.reason })}</div> : null}
    </>
  );
}

/**
 * The latest bench finding: evidence for the officer's decision, never a decision. Who found it says whether the hub
 * verified an officer's bench token or only has the console operator's word.
 */
export function LatestBenchFinding({ findings }: { findings: QueueCase['benchFindings'] }) {
  const f = findings?.at(-1);
  if (!f) return null;
  const who = f.officerVerified && f.officer ? t('queue.bench.verified', { officer: f.officer }) : t('queue.bench.unverified', { operator: f.operator });
  return (
    <div class="small bench-finding" title={freeText(f.reason)}>
      {t('queue.bench.finding', { finding: t(`queue.bench.f.${f.finding}`), where: `${f.stationId} · ${f.gatewayId}` })} — {who}
      {f.reason ? (
        <span class="muted">
          {' — '}
          <FreeText text={f.reason} />
        </span>
      ) : null}
    </div>
  );
}

/** The help panel `?` opens: every shortcut, in words; Escape or the button closes it and focus goes back. */
export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  // A layout effect, not an effect: Preact runs effects after the next frame, and an Escape pressed as soon as the
  // panel shows must close it. On the document, not the dialog, for the same reason.
  useLayoutEffect(() => {
    close.current?.focus();
    const on = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', on);
    return () => document.removeEventListener('keydown', on);
  }, [onClose]);
  const rows: [string, string][] = [
    ['j / ↓ · k / ↑', 'queue.shortcuts.move'],
    ['x / Space', 'queue.shortcuts.select'],
    ['r', 'queue.shortcuts.release'],
    ['h', 'queue.shortcuts.hold'],
    ['i', 'queue.shortcuts.inspect'],
    ['p · s · t · d', 'queue.shortcuts.results'],
    ['/', 'queue.shortcuts.filter'],
    ['Esc', 'queue.shortcuts.back'],
    ['?', 'queue.shortcuts.help'],
  ];
  return (
    <div class="dialog-backdrop">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
        <h2 id="shortcuts-title">{t('queue.shortcuts.title')}</h2>
        <table class="shortcuts">
          <tbody>
            {rows.map(([keys, what]) => (
              <tr key={what}>
                <th scope="row">
                  <kbd>{keys}</kbd>
                </th>
                <td>{t(what)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted">{t('queue.shortcuts.note')}</p>
        <div class="row">
          <button type="button" ref={close} onClick={onClose}>
            {t('queue.shortcuts.close')}
          </button>
        </div>
      </div>
    </div>
  );
}
