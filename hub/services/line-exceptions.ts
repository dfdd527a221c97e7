import type { Logger } from 'pino';
import { BondgateError } from '../../shared/errors.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import type { CaseRepo } from '../repos/cases.ts';
import type { LineException, LineExceptionReason, LineExceptionRepo, LineExceptionSighting } from '../repos/line-exceptions.ts';
import type { Storage } from '../storage/storage.ts';
import type { Projection } from './projections.ts';

/**
 * Line exceptions (issue 17 item 2): every parcel the line diverts to the inspection or exception lane is in a queue
 * until someone handles it. A parcel with a customs case is in the officers' case queue already (its case says what it
 * waits for); one with no declaration is a line exception — its own kind of entry, listed here until an officer
 * handles it (with a reason, on the audit chain) or its documents arrive.
 */

/**
 * The reasons a line event gives, as codes (issue 17 item 5); an event an older gateway journalled carries English
 * text only, kept as its `message` for the screens to show as written (marked so), never taken for a code.
 */
export function lineReasonsOf(e: EdgeEvent): LineExceptionReason[] {
  if (e.type === 'parcel.inspected') return e.payload.reasonCodes ?? (e.payload.reasons ?? []).map((message) => ({ message }));
  if (e.type === 'parcel.diverted') return e.payload.reasonCode ? [e.payload.reasonCode] : e.payload.reason ? [{ message: e.payload.reason }] : [];
  // The schema's error is technical detail (a zod message): a parameter of the coded reason, not its sentence.
  if (e.type === 'station.exception') return [{ code: 'line.station-refused', params: { error: e.payload.error.slice(0, 500) } }];
  return [];
}

/** Pure: what an event says about a line exception. */
export function sightingOf(gatewayId: string, e: EdgeEvent): LineExceptionSighting | null {
  const at = { gatewayId, stationId: e.stationId, atMs: e.time.wallMs };
  if ((e.type === 'parcel.inspected' || e.type === 'parcel.diverted') && e.parcelKey && (e.payload.lane === 'inspection' || e.payload.lane === 'exception')) {
    return { parcelKey: e.parcelKey, lane: e.payload.lane, reasons: lineReasonsOf(e).slice(0, 16), ...at };
  }
  if (e.type === 'station.exception') {
    const parcelKey = e.parcelKey ?? e.payload.reads[0];
    if (!parcelKey) return null;
    return { parcelKey: parcelKey.slice(0, 128), lane: 'refused', reasons: lineReasonsOf(e), ...at };
  }
  return null;
}

export interface LineExceptionEntry extends LineException {
  /** Whether the parcel has a customs case now (then the case queue is where it is handled). */
  declared: boolean;
}

export class LineExceptionService {
  private readonly now: () => number;
  constructor(private readonly d: { repo: LineExceptionRepo; cases: Pick<CaseRepo, 'getMany'>; storage: Pick<Storage, 'appendAudit'>; log: Logger; now?: () => number }) {
    this.now = d.now ?? Date.now;
  }

  get projection(): Projection {
    return {
      name: 'line-exceptions',
      types: ['parcel.inspected', 'parcel.diverted', 'station.exception'],
      apply: async (gatewayId, events) => {
        const sightings = events.map((e) => sightingOf(gatewayId, e)).filter((s): s is LineExceptionSighting => s !== null);
        await this.d.repo.record(sightings);
      },
    };
  }

  /** Open entries with no declaration (the line-exception queue), oldest first; `all` adds declared and handled ones. */
  async list(q: { view: 'open' | 'all'; limit: number }): Promise<LineExceptionEntry[]> {
    const rows = await this.d.repo.list({ ...(q.view === 'open' ? { status: 'open' as const } : {}), limit: q.view === 'open' ? q.limit * 4 : q.limit });
    const declared = new Set((await this.d.cases.getMany(rows.map((r) => r.parcelKey))).map((c) => c.parcelKey));
    const entries = rows.map((r) => ({ ...r, declared: declared.has(r.parcelKey) }));
    return (q.view === 'open' ? entries.filter((e) => !e.declared) : entries).slice(0, q.limit);
  }

  async get(parcelKey: string): Promise<LineExceptionEntry | undefined> {
    const r = await this.d.repo.get(parcelKey);
    if (!r) return undefined;
    const [c] = await this.d.cases.getMany([parcelKey]);
    return { ...r, declared: !!c };
  }

  /** An officer handled the parcel (found its documents elsewhere, sent it back to the line, called the enterprise…). */
  async handle(parcelKey: string, reason: string, officer: string): Promise<LineExceptionEntry> {
    const nowMs = this.now();
    const r = await this.d.repo.handle(parcelKey, officer, reason, nowMs);
    if (r === undefined) throw new BondgateError('NOT_FOUND', `no line exception for ${parcelKey}`);
    if (r === 'already') throw new BondgateError('CONFLICT', `the line exception for ${parcelKey} is handled already`);
    await this.d.storage.appendAudit({ actor: officer, action: 'line-exception.handle', subject: parcelKey, detail: { reason, lane: r.lane, stationId: r.stationId } }, nowMs);
    this.d.log.info({ parcelKey, officer }, 'line exception handled');
    const [c] = await this.d.cases.getMany([parcelKey]);
    return { ...r, declared: !!c };
  }
}
