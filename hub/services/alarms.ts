import type { Logger } from 'pino';
import { BondgateError } from '../../shared/errors.ts';
import type { EdgeEvent, EventType } from '../../shared/schemas/events.ts';
import { journalAlertSignal, signalsOf, type Alarm, type AlarmState } from '../customs/alarms.ts';
import type { AlarmQuery, AlarmRepo, DeviceHealth } from '../repos/alarms.ts';
import type { Storage } from '../storage/storage.ts';
import type { Projection } from './projections.ts';

const JOURNAL_SOURCE = 'journal-alerts';
const JOURNAL_PAGE = 500;

/**
 * The 'alarms' projection and what the gateways page asks of it: alarms raised and cleared by edge events, the latest
 * health of each device, and the journal alerts the ingest path records (folded in lazily, by alert id, whenever
 * alarms are read: they are not events, so no projection sees them). Acknowledging goes on the audit chain.
 *
 * Idempotent as Projection requires: every alarm row and device row keeps the highest seq applied to it.
 */
export class AlarmService implements Projection {
  readonly name = 'alarms';
  readonly types: readonly EventType[] = ['seal.state_changed', 'fence.breached', 'edge.alarm', 'device.health'];
  private readonly now: () => number;
  private syncing: Promise<void> | undefined;

  constructor(private readonly d: { storage: Storage; alarms: AlarmRepo; log: Logger; now?: () => number }) {
    this.now = d.now ?? Date.now;
  }

  async apply(gatewayId: string, events: readonly EdgeEvent[]): Promise<void> {
    for (const e of events) {
      if (e.type === 'device.health') {
        await this.d.alarms.deviceHealth({ gatewayId, deviceId: e.deviceId ?? e.stationId, stationId: e.stationId, status: e.payload.status, detail: e.payload.detail ?? null, seq: e.seq, atMs: e.time.wallMs });
      }
      for (const s of signalsOf(e)) {
        const a = await this.d.alarms.signal(gatewayId, s, e.time.wallMs, e.seq);
        if (a && s.op === 'raise' && a.count === 1) this.d.log.warn({ gatewayId, seq: e.seq, kind: a.kind, subject: a.subject, severity: a.severity }, 'alarm raised');
      }
    }
  }

  /** Fold journal alerts recorded since the last call (one at a time per process; the repository is idempotent across hubs). */
  syncJournalAlerts(): Promise<void> {
    return (this.syncing ??= (async () => {
      try {
        let after = await this.d.alarms.sourcePosition(JOURNAL_SOURCE);
        for (;;) {
          const page = await this.d.alarms.journalAlertsAfter(after, JOURNAL_PAGE);
          for (const a of page) await this.d.alarms.signal(a.gatewayId, journalAlertSignal(a), a.atMs, a.id);
          if (page.length === 0) break;
          after = page[page.length - 1]!.id;
          await this.d.alarms.setSourcePosition(JOURNAL_SOURCE, after);
          if (page.length < JOURNAL_PAGE) break;
        }
      } finally {
        this.syncing = undefined;
      }
    })());
  }

  async list(q: AlarmQuery): Promise<{ items: Alarm[]; nextCursor: string | null; counts: Record<AlarmState, number> }> {
    await this.syncJournalAlerts();
    const [page, counts] = await Promise.all([this.d.alarms.list(q), this.d.alarms.counts(q.gatewayId)]);
    return { ...page, counts };
  }

  devices(gatewayId: string): Promise<DeviceHealth[]> {
    return this.d.alarms.devices(gatewayId, this.now());
  }

  async ack(id: string, actor: string, reason: string): Promise<Alarm> {
    const at = this.now();
    const outcome = await this.d.alarms.ack(id, actor, reason, at);
    if (!outcome) throw new BondgateError('NOT_FOUND', `no alarm ${id}`);
    if (!outcome.ok) throw new BondgateError('CONFLICT', `alarm ${id} is ${outcome.state}: only an open alarm can be acknowledged`, [{ field: 'state', message: outcome.state }]);
    const a = outcome.alarm;
    await this.d.storage.appendAudit({ actor, action: 'alarm.ack', subject: `alarm:${a.id}`, detail: { reason, gatewayId: a.gatewayId, kind: a.kind, alarmSubject: a.subject, count: a.count } }, at);
    return a;
  }
}
