import { z } from 'zod';
import type { CodedReason } from '../../shared/reason-codes.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import type { JournalAlertKind } from '../storage/storage.ts';

/**
 * Alarms a zone's control room watches (issue 6, gateways page), as a pure core: which edge events raise or clear an
 * alarm, and how one alarm moves between open, acknowledged and cleared. The repository (hub/repos/alarms.ts) keeps
 * one row per (gateway, kind, subject) and applies these decisions inside one SQL transaction.
 *
 * - A seal opened or tampered with OUTSIDE the fence is an alarm (inside the zone, unsealing is the normal end of a
 *   trip); the seal reported `sealed` again clears it.
 * - A fence breach is an alarm; `confidence: low` (coarse LBS fix, stale position) makes it a warning, not critical.
 * - `edge.alarm`: disk soft limit (warning), hard limit (critical: the gateway starts shedding telemetry), both
 *   cleared by `disk_recovered`; clock unsynced (warning: event times lose their trust) and a changed journal key
 *   (critical) have no clearing event, a person acknowledges them. `station_event_refused` (critical, acknowledged by a
 *   person): a station's event failed its schema or the station failed on an input; its reads were journalled as a
 *   `station.exception` instead, but the parcel was not decided as it should have been.
 * - `device.health` down raises `device_down` for that device; `up` clears it. `degraded` raises nothing: it shows
 *   in the device list, and a station that limps on is not a control-room alarm.
 * - Journal alerts the ingest path records (chain break, hash mismatch, gap, checkpoint problems, key change) are
 *   critical: the evidence chain of that gateway is in question.
 *
 * - An `officer.action` from a gateway station the hub is not configured with as a bench is refused, not applied, and
 *   raises `bench_refused` (critical): a gateway tried to act as customs (hub/services/cases.ts).
 *
 * An acknowledged alarm that fires again stays acknowledged (its count and last-seen move on): the person who took
 * it on is already dealing with it. A cleared alarm that fires again reopens and needs a new acknowledgement. A
 * repeating failure (it had recovered before) that recovers again while still open stays open, marked recovered
 * (`clearedMs`), until acknowledged: a flapping device must stay visible. Device health counts recent drops too.
 */

export const AlarmKind = z.enum([
  'seal_opened_outside_fence',
  'fence_breached',
  'disk_soft_limit',
  'disk_hard_limit',
  'clock_unsynced',
  'journal_key_changed',
  'device_down',
  'journal_alert',
  'bench_refused',
  'station_event_refused',
  /** Raised by the hub itself (gateway id `hub`): a receipt status its message does not carry (receipt-status.ts). */
  'customs_unexpected_status',
  /** Raised by the hub itself: an officer's release (`releaseAuthority: officer`) customs has not confirmed with an 800 in time. */
  'release_unconfirmed',
  /**
   * Raised by the hub itself (issue 18): the e-port signer (card client or key file) cannot sign — the card client
   * is away (connection refused), slow (no answer in time), refuses (`Result: false`, e.g. the PIN), or answers
   * something unusable; its certificate expires within the warning window, or has expired. hub/eport/signer-state.ts.
   */
  'eport_signer_away',
  'eport_signer_slow',
  'eport_signer_refused',
  'eport_signer_failed',
  'eport_signer_cert_expiring',
  'eport_signer_cert_expired',
  /** Raised by the hub itself (issue 18): an e-port message could not be signed, checked or written (it stays queued). */
  'eport_not_sent',
  /** Raised by the hub itself (issue 18): an e-port message sent with no business receipt in time. */
  'eport_no_receipt',
  /** Raised by the hub itself: the account book's balance of an item and the bonded stock counted differ (hub/bonded/reconcile.ts). */
  'bonded_book_difference',
  /** Raised by the hub itself: a customs receipt the account book could not apply (a deduction before release and full passage, a quantity that differs). */
  'bonded_receipt_refused',
  /** Raised by the hub itself (issue 19, first line): a tallied SKU with no book item mapped (bonded.firstLine.items): the list waits. */
  'bonded_sku_unmapped',
  /** Raised by the hub itself: a first-line list made from a tally breaks an INV101 field rule: held, not sent. */
  'bonded_list_invalid',
  /** Raised by the hub itself: goods received on an inbound list after its first-line list was declared. */
  'bonded_tally_after_list',
  /** Raised by the hub itself: a first-line list approved with no inbound vehicle seen before its tally: its slip is prepared by hand. */
  'bonded_slip_no_vehicle',
]);
export type AlarmKind = z.infer<typeof AlarmKind>;
export const AlarmSeverity = z.enum(['critical', 'warning']);
export type AlarmSeverity = z.infer<typeof AlarmSeverity>;
export const AlarmState = z.enum(['open', 'acknowledged', 'cleared']);
export type AlarmState = z.infer<typeof AlarmState>;

/**
 * What one event (or journal alert) says about an alarm: `subject` names the seal, fence, device or alert kind.
 * `reason`: the alarm's sentence as a code with parameters (shared/reason-codes.ts), said in the reader's language;
 * `technical`: the raw detail (an errno message, a device's own words), shown as such and never as the sentence.
 * `detail` is the English summary API clients read. A raiser that gives no `reason` gets its kind's sentence
 * (alarmReason) and its `detail` becomes the technical detail.
 */
export type AlarmSignal =
  | { op: 'raise'; kind: AlarmKind; subject: string; stationId: string | null; deviceId: string | null; severity: AlarmSeverity; detail: string; reason?: CodedReason; technical?: string }
  | { op: 'clear'; kind: AlarmKind; subject: string };

export interface Alarm {
  id: string;
  gatewayId: string;
  kind: AlarmKind;
  subject: string;
  stationId: string | null;
  deviceId: string | null;
  severity: AlarmSeverity;
  state: AlarmState;
  /** English summary (API clients, alarms stored before codes). */
  detail: string;
  /** The alarm's sentence as a code with parameters, said in the reader's language. */
  reason: CodedReason;
  /** The raw technical detail (an errno message, a device's words), null when there is none. */
  technical: string | null;
  firstMs: number;
  lastMs: number;
  count: number;
  /** How often the condition cleared by itself: from the second failure after a recovery it is a repeating one. */
  recoveries: number;
  /** Highest source position applied (the gateway's journal seq; the alert id for journal alerts): replays at or below it change nothing. */
  lastSeq: number;
  ackedBy: string | null;
  ackedMs: number | null;
  ackReason: string | null;
  clearedMs: number | null;
}

/**
 * The sentence of an alarm whose raiser gave none (hub raisers that give only a detail, alarms stored before codes):
 * its kind's words, with the subject as the parameter the words name.
 */
export function alarmReason(kind: AlarmKind, subject: string, stationId: string | null = null): CodedReason {
  switch (kind) {
    case 'seal_opened_outside_fence':
      return { code: `alarm.${kind}`, params: { seal: subject } };
    case 'fence_breached':
      return { code: `alarm.${kind}`, params: { fence: subject } };
    case 'device_down':
      return { code: `alarm.${kind}`, params: { device: subject } };
    case 'station_event_refused':
    case 'bench_refused':
      return { code: `alarm.${kind}`, params: { station: stationId ?? subject } };
    case 'journal_alert':
      return { code: `alarm.${kind}`, params: { alert: subject } };
    default:
      return { code: `alarm.${kind}` };
  }
}

const TECHNICAL_MAX = 1000;

/** The subject a device alarm is keyed by: the device when the event names one, else its station. */
const deviceSubject = (e: EdgeEvent) => e.deviceId ?? e.stationId;

export function signalsOf(e: EdgeEvent): AlarmSignal[] {
  const at = { stationId: e.stationId, deviceId: e.deviceId ?? null };
  switch (e.type) {
    case 'seal.state_changed': {
      const p = e.payload;
      if (p.state === 'sealed') return [{ op: 'clear', kind: 'seal_opened_outside_fence', subject: p.sealId }];
      if (p.insideFence) return [];
      const reason = { code: p.state === 'tampered' ? 'alarm.seal_tampered_outside_fence' : 'alarm.seal_opened_outside_fence', params: { seal: p.sealId } };
      return [{ op: 'raise', kind: 'seal_opened_outside_fence', subject: p.sealId, ...at, severity: 'critical', detail: `seal ${p.sealId} ${p.state} outside the fence`, reason }];
    }
    case 'fence.breached': {
      const p = e.payload;
      const where = p.lat !== undefined && p.lon !== undefined ? ` at ${p.lat.toFixed(5)},${p.lon.toFixed(5)}` : '';
      return [
        {
          op: 'raise',
          kind: 'fence_breached',
          subject: p.sealId ?? p.fenceId,
          ...at,
          severity: p.confidence === 'low' ? 'warning' : 'critical',
          detail: `fence ${p.fenceId}${p.sealId ? ` seal ${p.sealId}` : ''}${where}${p.confidence === 'low' ? ' (low confidence)' : ''}`,
          reason: { code: `alarm.fence_breached${p.sealId ? '.seal' : ''}${p.confidence === 'low' ? '.low' : ''}`, params: { fence: p.fenceId, ...(p.sealId ? { seal: p.sealId } : {}) } },
          // The position is data for whoever goes to look: kept as the technical detail, not said in words.
          ...(where ? { technical: where.trim() } : {}),
        },
      ];
    }
    case 'edge.alarm': {
      const p = e.payload;
      switch (p.alarm) {
        case 'disk_recovered':
          return [
            { op: 'clear', kind: 'disk_soft_limit', subject: 'disk' },
            { op: 'clear', kind: 'disk_hard_limit', subject: 'disk' },
          ];
        case 'disk_soft_limit':
          return [{ op: 'raise', kind: 'disk_soft_limit', subject: 'disk', ...at, severity: 'warning', detail: p.detail, reason: { code: 'alarm.disk_soft_limit' }, technical: p.detail }];
        case 'disk_hard_limit':
          return [{ op: 'raise', kind: 'disk_hard_limit', subject: 'disk', ...at, severity: 'critical', detail: p.detail, reason: { code: 'alarm.disk_hard_limit' }, technical: p.detail }];
        case 'clock_unsynced':
          return [{ op: 'raise', kind: 'clock_unsynced', subject: 'clock', ...at, severity: 'warning', detail: p.detail, reason: { code: 'alarm.clock_unsynced' }, technical: p.detail }];
        case 'journal_key_changed':
          return [{ op: 'raise', kind: 'journal_key_changed', subject: 'journal', ...at, severity: 'critical', detail: p.detail, reason: { code: 'alarm.journal_key_changed' }, technical: p.detail }];
        case 'station_event_refused':
          return [{ op: 'raise', kind: 'station_event_refused', subject: e.stationId, ...at, severity: 'critical', detail: p.detail, reason: { code: 'alarm.station_event_refused', params: { station: e.stationId } }, technical: p.detail }];
      }
      return [];
    }
    case 'device.health': {
      const p = e.payload;
      if (p.status === 'up') return [{ op: 'clear', kind: 'device_down', subject: deviceSubject(e) }];
      if (p.status === 'down') {
        // The device's own words (an errno message, an OPC UA status) are technical detail, not the alarm's sentence.
        const reason = { code: 'alarm.device_down', params: { device: deviceSubject(e) } };
        return [{ op: 'raise', kind: 'device_down', subject: deviceSubject(e), ...at, severity: 'warning', detail: p.detail ?? `${deviceSubject(e)} down`, reason, ...(p.detail ? { technical: p.detail } : {}) }];
      }
      return [];
    }
    default:
      return [];
  }
}

export function journalAlertSignal(a: { kind: JournalAlertKind; seq: number | null; detail: string }): AlarmSignal {
  const detail = a.seq === null ? a.detail : `seq ${a.seq}: ${a.detail}`;
  return { op: 'raise', kind: 'journal_alert', subject: a.kind, stationId: null, deviceId: null, severity: 'critical', detail, reason: { code: 'alarm.journal_alert', params: { alert: a.kind } }, technical: detail };
}

/**
 * The alarm after one signal at (`atMs`, `seq`), or null when nothing changes (a clear with nothing to clear, a replay).
 * `identity` gives the id and gateway of a new alarm.
 */
export function applySignal(current: Alarm | undefined, signal: AlarmSignal, atMs: number, seq: number, identity: { id: string; gatewayId: string }): Alarm | null {
  if (current && seq <= current.lastSeq) return null;
  if (signal.op === 'clear') {
    if (!current || current.state === 'cleared') return null;
    // A failure that came back before anyone took it on stays open, marked recovered, until a person acknowledges
    // it: a device dropping every half minute must not look healthy between its drops (issue 17 item 9).
    if (current.clearedMs !== null) return { ...current, lastSeq: seq }; // already marked recovered
    const recoveries = current.recoveries + 1;
    if (current.state === 'open' && current.recoveries >= 1) return { ...current, clearedMs: atMs, recoveries, lastSeq: seq };
    return { ...current, state: 'cleared', clearedMs: atMs, recoveries, lastSeq: seq };
  }
  const reason = signal.reason ?? alarmReason(signal.kind, signal.subject, signal.stationId);
  // Without a coded sentence the raiser's detail is what it knows beyond the kind: technical detail, shown as such.
  const technical = signal.technical ?? (signal.reason ? undefined : signal.detail);
  const fresh = {
    stationId: signal.stationId,
    deviceId: signal.deviceId,
    severity: signal.severity,
    detail: signal.detail.slice(0, 1000),
    reason,
    technical: technical ? technical.slice(0, TECHNICAL_MAX) : null,
    lastMs: Math.max(atMs, current?.lastMs ?? atMs),
    lastSeq: seq,
  };
  if (!current) {
    return { id: identity.id, gatewayId: identity.gatewayId, kind: signal.kind, subject: signal.subject, state: 'open', firstMs: atMs, count: 1, recoveries: 0, ackedBy: null, ackedMs: null, ackReason: null, clearedMs: null, ...fresh };
  }
  if (current.state === 'cleared') return { ...current, ...fresh, state: 'open', count: current.count + 1, ackedBy: null, ackedMs: null, ackReason: null, clearedMs: null };
  return { ...current, ...fresh, count: current.count + 1, clearedMs: null };
}


export type AckOutcome = { ok: true; alarm: Alarm } | { ok: false; reason: 'not_open'; state: AlarmState };

/**
 * Only an open alarm takes an acknowledgement: an acknowledged one already has its owner, a cleared one needs none. A
 * repeating failure that has recovered (open, `clearedMs` set) is cleared by its acknowledgement.
 */
export function acknowledge(current: Alarm, by: string, reason: string, atMs: number): AckOutcome {
  if (current.state !== 'open') return { ok: false, reason: 'not_open', state: current.state };
  return { ok: true, alarm: { ...current, state: current.clearedMs !== null ? 'cleared' : 'acknowledged', ackedBy: by, ackedMs: atMs, ackReason: reason } };
}

/** A device that went down this many times within FLAPPING_WINDOW_MS is flapping: degraded, whatever its last report. */
export const FLAPPING_DROPS = 3;
export const FLAPPING_WINDOW_MS = 10 * 60_000;
/** How many recent drops a device's health row keeps (enough to count a window, bounded). */
export const RECENT_DROPS_KEPT = 50;

/**
 * The health a person should see for a device: its last report, except that a device which keeps dropping and
 * coming back is `degraded` with the number of drops in the window, even while its last report says `up`.
 */
export function effectiveDeviceStatus(
  reported: 'up' | 'down' | 'degraded',
  recentDownMs: readonly number[],
  nowMs: number,
): { status: 'up' | 'down' | 'degraded'; drops: number; windowMs: number; flapping: boolean } {
  const drops = recentDownMs.filter((t) => t > nowMs - FLAPPING_WINDOW_MS).length;
  const flapping = drops >= FLAPPING_DROPS;
  return { status: reported === 'up' && flapping ? 'degraded' : reported, drops, windowMs: FLAPPING_WINDOW_MS, flapping };
}
