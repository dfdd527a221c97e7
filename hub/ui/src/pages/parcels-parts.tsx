import { fmtNumber, t } from '../i18n/index.ts';
import type { ComponentChild } from 'preact';
import { DataValue, FreeText, hasDetail, LineReasonText, ReasonText, type LineReasonLike } from '../reason.tsx';
import { reasonText } from './queue-parts.tsx';

/**
 * The parcel timeline, built in the browser from the hub's three views of one parcel: the edge events
 * (GET /api/parcels/:key), customs' documents and receipts (GET /api/cases/:key, or the case on the parcel endpoint for
 * operators), and the audit trail (GET /api/parcels/:key/audit: decisions, officer actions, slips). Pure: data in,
 * steps out, so the merge rules sit in one place.
 */

export interface StoredEvent {
  seq: number;
  id: string;
  type: string;
  stationId: string | null;
  gatewayId: string;
  wallMs: number;
  hlc: string;
  body: { deviceId?: string; payload?: Record<string, unknown> };
}
export interface AuditEntry {
  seq: number;
  atMs: number;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}
export interface Receipt {
  messageType: string;
  document: string;
  returnStatus: number;
  returnTime: string;
  /** When returnTime is no calendar time: when the hub received the receipt (the timeline places it there). */
  receivedTime?: string;
  returnInfo: string;
}
export interface CaseReason {
  rule: string;
  message: string;
  code?: string;
  params?: Record<string, unknown>;
}
export interface DocumentEntry {
  kind: string;
  key: string;
  receivedMs: number;
  body: Record<string, unknown>;
  /** The verdict on the ds:Signature of the message it came in (hub/eport/verdict.ts); null: not checked. */
  signature?: { status: 'verified' | 'unverified' | 'invalid' | 'absent'; reason: string; message: string } | null;
}

export type StepKind = 'documents' | 'receipt' | 'decision' | 'officer' | 'scan' | 'weigh' | 'xray' | 'inspected' | 'divert' | 'release' | 'hold' | 'gate' | 'warehouse' | 'slip' | 'view' | 'other';
export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export interface Step {
  key: string;
  atMs: number;
  kind: StepKind;
  title: string;
  /** Words, or words with values marked as data (a reason's figures and names as declared). */
  details: ComponentChild[];
  /** Who did it: an officer, the engine, customs, a device at a station, a gateway. */
  who: string;
  /** Where: station, gate lane, inspection line. */
  where: string;
  tone: Tone;
  /** Audit reads (who viewed personal data): hidden unless asked for. */
  isView?: boolean;
}

/** Glyphs from fonts every bench PC has (no colour emoji); each step also says its kind in words. */
export const ICONS: Record<StepKind, string> = {
  documents: '✉',
  receipt: '⚐',
  decision: '⚙',
  officer: '✎',
  scan: '▤',
  weigh: '⚖',
  xray: '☢',
  inspected: '✓',
  divert: '↳',
  release: '✔',
  hold: '✖',
  gate: '⇥',
  warehouse: '▦',
  slip: '☰',
  view: '◉',
  other: '•',
};

/**
 * CEB returnTime is China time, `yyyyMMddHHmmss` with optional milliseconds; null when it is not one, or not a calendar
 * time (the hub keeps such a value as sent: month 13 must not roll over into next year's January).
 */
export function cebTimeMs(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{0,3})$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  if (local.getUTCFullYear() !== y || local.getUTCMonth() !== mo - 1 || local.getUTCDate() !== d || local.getUTCHours() !== h || local.getUTCMinutes() !== mi || local.getUTCSeconds() !== se) return null;
  return local.getTime() - 8 * 3_600_000 + Number((m[7] ?? '').padEnd(3, '0') || 0);
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const kg = (v: unknown) => (typeof v === 'number' ? `${fmtNumber(v, 3)} kg` : '');
const tr = (prefix: string, v: unknown) => (v === undefined || v === null || v === '' ? '' : t(`${prefix}.${String(v)}`));
const compact = (xs: string[]) => xs.filter((x) => x !== '');

export function receiptTone(status: number): Tone {
  // 399 (审结) is not a release: concluded, awaiting customs' 800.
  if (status === 800 || status === 899) return 'ok';
  if (status < 0 || status === 100 || (status >= 500 && status < 800)) return 'bad';
  return 'info';
}

/** A label for a CEB returnStatus, falling back to the number. */
export function receiptLabel(status: number): string {
  const key = `parcels.ceb.${status < 0 ? 'error' : status}`;
  const text = t(key);
  return text === key ? String(status) : `${status} ${text}`;
}

/** A line event's reasons: its codes, or the English text an older gateway journalled instead (shown as written). */
function lineReasons(type: string, p: Record<string, unknown>): LineReasonLike[] {
  if (type === 'parcel.inspected') return (p.reasonCodes as LineReasonLike[] | undefined) ?? ((p.reasons as string[] | undefined) ?? []).map((message) => ({ message }));
  if (p.reasonCode) return [p.reasonCode as LineReasonLike];
  return typeof p.reason === 'string' && p.reason !== '' ? [{ message: p.reason }] : [];
}
const lineReasonNodes = (type: string, p: Record<string, unknown>): ComponentChild[] => lineReasons(type, p).map((r, i) => <LineReasonText key={i} reason={r} />);

function fromEvent(e: StoredEvent): Step {
  const p = e.body.payload ?? {};
  const device = e.body.deviceId ? `${e.body.deviceId} · ` : '';
  const base = { key: `e${e.gatewayId}:${e.seq}`, atMs: e.wallMs, who: `${device}${t('parcels.who.gateway', { id: e.gatewayId })}`, where: str(e.stationId) };
  const officer = (id: unknown) => (id ? t('parcels.who.officer', { id: String(id) }) : '');
  switch (e.type) {
    case 'parcel.scanned':
      return { ...base, kind: 'scan', tone: 'info', title: t('parcels.step.scan'), details: compact([str(p.code), tr('parcels.source', p.source)]) };
    case 'parcel.weighed':
      return { ...base, kind: 'weigh', tone: 'info', title: t('parcels.step.weigh'), details: [kg(p.grossWeightKg)] };
    case 'xray.verdict':
      return { ...base, kind: 'xray', tone: p.verdict === 'clear' ? 'ok' : 'warn', title: t('parcels.step.xray'), details: [tr('parcels.xray', p.verdict)] };
    case 'parcel.inspected': {
      const x = p.xray as { verdict?: string } | undefined;
      return {
        ...base,
        kind: 'inspected',
        tone: p.lane === 'release' ? 'ok' : p.lane === 'inspection' ? 'warn' : 'bad',
        title: t('parcels.step.inspected'),
        where: compact([str(e.stationId), p.lineId ? t('parcels.where.line', { id: str(p.lineId) }) : '']).join(' · '),
        details: [
          ...compact([
            tr('parcels.outcome', p.outcome),
            p.grossWeightKg !== undefined ? t('parcels.detail.weight', { kg: kg(p.grossWeightKg), declared: kg(p.declaredWeightKg) || '—' }) : '',
            x?.verdict ? `${t('parcels.step.xray')}: ${tr('parcels.xray', x.verdict)}` : '',
            t('parcels.detail.lane', { lane: tr('parcels.lane', p.lane) }),
          ]),
          ...lineReasonNodes(e.type, p),
        ],
      };
    }
    case 'parcel.diverted':
      return { ...base, kind: 'divert', tone: p.lane === 'release' ? 'ok' : 'warn', title: t('parcels.step.divert'), details: [t('parcels.detail.lane', { lane: tr('parcels.lane', p.lane) }), ...lineReasonNodes(e.type, p)] };
    case 'parcel.released':
      return { ...base, kind: 'release', tone: 'ok', title: t('parcels.step.release'), who: officer(p.officerId) || base.who, details: compact([str(p.reason)]) };
    case 'parcel.held':
      return { ...base, kind: 'hold', tone: 'bad', title: t('parcels.step.hold'), who: officer(p.officerId) || base.who, details: compact([str(p.reason)]) };
    case 'officer.action':
      return { ...base, kind: 'officer', tone: p.action === 'release' || p.action === 'pass' ? 'ok' : 'warn', title: t('parcels.step.benchAction', { action: tr('parcels.action', p.action) }), who: officer(p.officerId), details: p.reason ? [<FreeText text={str(p.reason)} />] : [] };
    case 'gate.passed':
    case 'gate.alarmed': {
      const manual = p.manual as { by?: string; reason?: string } | undefined;
      return {
        ...base,
        kind: 'gate',
        tone: e.type === 'gate.passed' ? 'ok' : 'bad',
        title: t(e.type === 'gate.passed' ? 'parcels.step.gatePassed' : 'parcels.step.gateAlarmed', { direction: tr('parcels.direction', p.direction) }),
        where: compact([str(e.stationId), t('parcels.where.lane', { id: str(p.laneId) })]).join(' · '),
        who: manual?.by ? officer(manual.by) : base.who,
        details: compact([p.slipNo ? t('parcels.detail.slip', { no: str(p.slipNo) }) : '', p.vehicleNo ? t('parcels.detail.vehicle', { no: str(p.vehicleNo) }) : '', str(p.reason), manual?.reason ?? '']),
      };
    }
    case 'warehouse.transaction':
      return {
        ...base,
        kind: 'warehouse',
        tone: p.outcome === 'ok' ? 'info' : 'warn',
        title: t('parcels.step.warehouse', { op: tr('parcels.op', p.op) }),
        who: p.operatorId ? `${str(p.operatorId)} · ${base.who}` : base.who,
        where: compact([str(e.stationId), str(p.locationId)]).join(' · '),
        details: compact([p.sscc ? `SSCC ${str(p.sscc)}` : '', p.sku ? `SKU ${str(p.sku)}` : '', p.outcome !== 'ok' ? str(p.outcome) : '']),
      };
    default:
      return { ...base, kind: 'other', tone: 'muted', title: e.type, details: [] };
  }
}

function fromAudit(a: AuditEntry, reasons: readonly CaseReason[], latestDecideSeq: number): Step {
  const d = a.detail;
  const base = { key: `a${a.seq}`, atMs: a.atMs, who: a.actor === 'auto' ? t('parcels.who.engine') : a.actor.startsWith('gateway:') ? t('parcels.who.gateway', { id: a.actor.slice(8) }) : t('parcels.who.officer', { id: a.actor }), where: '' };
  if (a.action === 'parcel.decide') {
    const rules = (d.reasons as string[] | undefined) ?? [];
    // The latest decision's reasons come with their messages from the case; older ones keep their rule names.
    // Said in the reader's language: the rule's words, then its detail (a reason stored before codes keeps its text).
    const details: ComponentChild[] =
      a.seq === latestDecideSeq && reasons.length > 0
        ? reasons.map((r) =>
            hasDetail(r) ? (
              <>
                {reasonText(r.rule)}
                {t('parcels.reasonSep')}
                <ReasonText reason={r} />
              </>
            ) : (
              reasonText(r.rule)
            ),
          )
        : rules.map(reasonText);
    const decision = str(d.decision);
    // The engine decides; the actor is whoever sent the documents (or 'auto' for a re-decision on line facts).
    const who = a.actor === 'auto' ? base.who : t('parcels.who.engineAfter', { id: a.actor });
    return { ...base, who, kind: 'decision', tone: decision === 'released' ? 'ok' : decision === 'pending' ? 'info' : 'warn', title: t('parcels.step.decide', { decision: tr('parcels.decision', decision), level: tr('parcels.risk', d.level) }), details };
  }
  if (a.action.startsWith('officer.')) {
    const act = a.action.slice(8);
    const what = act === 'result' ? tr('parcels.action', d.result) : tr('parcels.action', act);
    return {
      ...base,
      kind: 'officer',
      tone: d.to === 'released' ? 'ok' : 'warn',
      title: t('parcels.step.officer', { action: what }),
      details: compact([d.reason ? t('parcels.detail.reason', { reason: str(d.reason) }) : '', d.from || d.to ? t('parcels.detail.fromTo', { from: tr('parcels.status', d.from) || '—', to: tr('parcels.status', d.to) }) : '', d.bulk ? t('parcels.detail.bulk', { n: str(d.bulk) }) : '']),
    };
  }
  if (a.action === 'slip.issue') return { ...base, kind: 'slip', tone: 'info', title: t('parcels.step.slipIssue', { no: a.subject }), details: compact([d.vehicleNo ? t('parcels.detail.vehicle', { no: str(d.vehicleNo) }) : '', d.parcels ? t('parcels.detail.parcels', { n: str(d.parcels) }) : '']) };
  if (a.action === 'slip.void') return { ...base, kind: 'slip', tone: 'bad', title: t('parcels.step.slipVoid', { no: a.subject }), details: compact([str(d.reason)]) };
  if (a.action === 'slip.passage') return { ...base, kind: 'gate', tone: 'ok', title: t('parcels.step.slipPassage', { no: a.subject }), where: d.laneId ? t('parcels.where.lane', { id: str(d.laneId) }) : '', details: compact([str(d.status)]) };
  if (a.action === 'pii.view' || a.action === 'document.original.view' || a.action === 'trace.parcel')
    return { ...base, kind: 'view', tone: 'muted', title: t(`parcels.step.view.${a.action}`), details: compact([str(d.kind)]), isView: true };
  if (a.action === 'bench.finding') return { ...base, kind: 'officer', tone: d.finding === 'pass' ? 'ok' : 'warn', title: t('parcels.step.benchFinding', { action: tr('parcels.action', d.finding) }), details: d.reason ? [<FreeText text={str(d.reason)} />] : [] };
  if (a.action === 'bench.refused') return { ...base, kind: 'other', tone: 'bad', title: t('parcels.step.benchRefused', { station: str(d.station) }), details: [] };
  return { ...base, kind: 'other', tone: 'muted', title: a.action, details: [] };
}

const DOC_ORDER = ['order', 'payment', 'waybill', 'inventory', 'exportOrder', 'exportWaybill', 'exportInventory'];

/** Documents that arrived together (one message or one upload) are one step. */
function fromDocuments(docs: readonly DocumentEntry[]): Step[] {
  const groups = new Map<number, DocumentEntry[]>();
  for (const d of docs) if (d.kind !== 'receipt') groups.set(d.receivedMs, [...(groups.get(d.receivedMs) ?? []), d]);
  return [...groups.entries()].map(([atMs, ds]) => ({
    key: `d${atMs}`,
    atMs,
    kind: 'documents',
    tone: 'info',
    title: t('parcels.step.documents'),
    details: [ds.map((d) => d.kind).sort((a, b) => DOC_ORDER.indexOf(a) - DOC_ORDER.indexOf(b)).map((k) => t(`parcels.doc.${k}`)).join(t('parcels.listSep'))],
    who: t('parcels.who.declarant'),
    where: '',
  }));
}

function fromReceipt(r: Receipt, i: number): Step | null {
  // A returnTime that is no calendar time: drawn when the hub received it, the time as sent said beside it.
  const own = cebTimeMs(r.returnTime);
  const atMs = own ?? (r.receivedTime ? cebTimeMs(r.receivedTime) : null);
  if (atMs === null) return null;
  const unknownTime = own === null ? [t('parcels.step.receiptTimeUnknown', { time: r.returnTime })] : [];
  return { key: `r${i}`, atMs, kind: 'receipt', tone: receiptTone(r.returnStatus), title: t('parcels.step.receipt', { type: r.messageType, doc: t(`parcels.doc.${r.document}`) }), details: [receiptLabel(r.returnStatus), ...(r.returnInfo ? [<DataValue text={r.returnInfo} />] : []), ...unknownTime], who: t('parcels.who.customs'), where: '' };
}

/** Same instant: documents before the decision they led to, the decision before what the line did with it. */
const ORDER: StepKind[] = ['documents', 'receipt', 'decision', 'officer', 'slip', 'warehouse', 'scan', 'weigh', 'xray', 'inspected', 'divert', 'hold', 'release', 'gate', 'view', 'other'];

export function buildTimeline(input: { events: readonly StoredEvent[]; audit: readonly AuditEntry[]; documents: readonly DocumentEntry[]; receipts: readonly Receipt[]; reasons: readonly CaseReason[] }): Step[] {
  const eventIds = new Set(input.events.map((e) => e.id));
  const latestDecide = Math.max(0, ...input.audit.filter((a) => a.action === 'parcel.decide').map((a) => a.seq));
  const steps: Step[] = [
    ...fromDocuments(input.documents),
    ...input.receipts.map(fromReceipt).filter((s): s is Step => s !== null),
    // A gate passage the hub recorded for a slip is the same moment as the gate event it came from, when that is here.
    ...input.audit.filter((a) => !(a.action === 'slip.passage' && eventIds.has(str(a.detail.eventId)))).map((a) => fromAudit(a, input.reasons, latestDecide)),
    ...input.events.map(fromEvent),
  ];
  return steps.sort((a, b) => a.atMs - b.atMs || ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}

interface DocumentWarning {
  code: string;
  field: string;
  message: string;
}

/**
 * What the hub noticed but did not refuse (issue 15): rules only the XSD documentation or a code table states, a field
 * name in the wrong case. Shown above the fields so an officer sees them first; the message is the hub's (English).
 */
function DocumentWarnings({ warnings }: { warnings: DocumentWarning[] }) {
  return (
    <div class="doc-warnings" role="note">
      <p>{t('parcels.docs.warnings')}</p>
      <ul>
        {warnings.map((w, i) => (
          <li key={i}>
            <span class="mono">{w.code}</span> <span class="mono">{w.field}</span>: {w.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** One document's fields: scalars as a definition list, lists of lines (goods) as a table; its warnings first. */
export function DocumentFields({ body: withWarnings }: { body: Record<string, unknown> }) {
  const { warnings, ...body } = withWarnings as Record<string, unknown> & { warnings?: DocumentWarning[] };
  const scalars = Object.entries(body).filter(([, v]) => v === null || typeof v !== 'object');
  const tables = Object.entries(body).filter(([, v]) => Array.isArray(v) && v.length > 0 && typeof v[0] === 'object') as [string, Record<string, unknown>[]][];
  const objects = Object.entries(body).filter(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v)) as [string, Record<string, unknown>][];
  return (
    <div>
      {warnings && warnings.length > 0 ? <DocumentWarnings warnings={warnings} /> : null}
      <dl class="doc-fields">
        {scalars.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{str(v) || '—'}</dd>
          </div>
        ))}
        {objects.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{Object.entries(v).map(([a, b]) => `${a}: ${str(b)}`).join('; ')}</dd>
          </div>
        ))}
      </dl>
      {tables.map(([k, rows]) => {
        const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
        return (
          <div class="table-wrap" key={k}>
            <table>
              <caption class="muted">{k}</caption>
              <thead>
                <tr>
                  {cols.map((c) => (
                    <th scope="col" key={c}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r, i) => (
                  <tr key={i}>
                    {cols.map((c) => (
                      <td key={c}>{str(r[c])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </div>
  );
}
