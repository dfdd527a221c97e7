import type { Logger } from 'pino';
import type { EdgeEvent, EventType } from '../../shared/schemas/events.ts';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import type { CustomsDocument } from '../customs/documents.ts';
import { enqueueMessage } from '../repos/eport-messages.ts';
import type { Projection } from '../services/projections.ts';
import { all, run, type Sql, type SqlBody } from '../storage/sql.ts';
import type { OutgoingType } from './exchange-messages.ts';

/**
 * Messages the zone sends, emitted from what happens — one hook per message type, each writing its outbox row in the
 * transaction that records what caused it, under a cause key, so a replayed event or a second hub never makes a second
 * message:
 *
 * - CEB711 (入库明细): a 9610 master bill's parcels tallied at the site. The bill's parcels come from its import
 *   inventories (CEB621 with tradeMode 9610 and billNo, indexed as they are stored); a parcel is tallied when the line
 *   inspects it (`parcel.inspected`). The message is written in the transaction that tallies the bill's last parcel
 *   (or stores the last inventory of an already-tallied bill). Cause `CEB711:<billNo>`.
 * - CEB507 (运抵): an export slip's vehicle admitted at the gate (`gate.passed` in), or, when no admission was seen,
 *   at its exit passage before the 509. Cause `CEB507:<passportNo>`.
 * - CEB509 (离境): the same slip's vehicle departing (`gate.passed` out). Cause `CEB509:<passportNo>`.
 *
 * The gate hooks run in the projection's transaction, not the ingest's: the event is stored (and acked) first, and a
 * projection is replayed from its cursor after a crash, so "written with the event" holds in effect — once, by cause.
 */
export interface ZoneParty {
  copCode: string;
  copName: string;
  dxpId: string;
  customsCode: string;
  operatorCode: string;
  operatorName: string;
  logisticsCode: string;
  logisticsName: string;
  /** Transport mode of the vehicles at the gate (4 road). */
  gateTrafMode: string;
}

export interface EmitOptions {
  sql: Sql;
  zone: ZoneParty;
  slip: (passportNo: string) => Promise<ReleaseSlip | undefined>;
  log: Logger;
  now?: () => number;
  /** A message was written (to wake the sender). */
  onEnqueued?: (type: OutgoingType, guid: string) => void;
}

const transfer = (z: ZoneParty) => ({ copCode: z.copCode, copName: z.copName, dxpId: z.dxpId });

interface BillRow {
  bill_no: string;
  logistics_no: string;
  logistics_code: string;
  traf_mode: string;
  traf_no: string | null;
  voyage_no: string | null;
  customs_code: string;
  seen_ms: number | null;
}

/** CEB711 for a bill whose parcels are all tallied, in the caller's transaction (idempotent by cause). */
function* tallyComplete(zone: ZoneParty, billNo: string, nowMs: number): SqlBody<{ guid: string; created: boolean } | undefined> {
  const rows = yield* all<BillRow>('SELECT * FROM eport_bill_parcels WHERE bill_no = ? ORDER BY logistics_no', [billNo]);
  if (rows.length === 0 || rows.some((r) => r.seen_ms === null)) return undefined;
  const first = rows[0]!;
  const input = {
    baseTransfer: transfer(zone),
    customsCode: first.customs_code,
    operatorCode: zone.operatorCode,
    operatorName: zone.operatorName,
    ieFlag: 'I',
    trafMode: first.traf_mode,
    trafNo: first.traf_no ?? 'UNKNOWN',
    voyageNo: first.voyage_no ?? 'UNKNOWN',
    billNo,
    logisticsCode: first.logistics_code,
    logisticsName: zone.logisticsName,
    list: rows.map((r) => ({ logisticsNo: r.logistics_no })),
  };
  return yield* enqueueMessage({ cause: `CEB711:${billNo}`, messageType: 'CEB711', input, subject: billNo }, nowMs);
}

export function createEportEmitters(o: EmitOptions) {
  const now = o.now ?? Date.now;
  const note = (type: OutgoingType, r: { guid: string; created: boolean } | undefined, subject: string) => {
    if (!r?.created) return;
    o.log.info({ type, guid: r.guid, subject }, 'e-port message queued');
    o.onEnqueued?.(type, r.guid);
  };

  /**
   * DocumentsListener: index 9610 import inventories by master bill (and complete a bill already tallied). Only 9610:
   * a direct-purchase parcel arrives under a bill; a mode the hub does not know sends no CEB711 (documents.ts).
   */
  async function onDocuments(docs: readonly CustomsDocument[]): Promise<void> {
    const inv = docs.filter((d): d is Extract<CustomsDocument, { kind: 'inventory' }> => d.kind === 'inventory' && d.tradeMode === '9610' && typeof d.billNo === 'string' && d.billNo.length > 0);
    if (inv.length === 0) return;
    const zone = o.zone;
    const t = now();
    const made = await o.sql.tx(function* () {
      const bills = new Set<string>();
      for (const d of inv) {
        yield* run('INSERT INTO eport_bill_parcels (bill_no, logistics_no, logistics_code, traf_mode, traf_no, voyage_no, customs_code) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [d.billNo!, d.logisticsNo, d.logisticsCode, d.trafMode, d.trafNo ?? null, d.voyageNo ?? null, d.customsCode]);
        // A parcel inspected before its inventory arrived counts as tallied.
        bills.add(d.billNo!);
      }
      const out: [string, { guid: string; created: boolean } | undefined][] = [];
      for (const b of bills) out.push([b, yield* tallyComplete(zone, b, t)]);
      return out;
    });
    for (const [b, r] of made) note('CEB711', r, b);
  }

  const tally: Projection = {
    name: 'eport-tally',
    types: ['parcel.inspected'],
    parcelEventsOnly: true,
    async apply(_gatewayId: string, events: readonly EdgeEvent[]) {
      const keys = [...new Set(events.flatMap((e) => (e.parcelKey ? [e.parcelKey] : [])))];
      if (keys.length === 0) return;
      const zone = o.zone;
      const t = now();
      const made = await o.sql.tx(function* () {
        const bills = new Set<string>();
        for (const k of keys) {
          const n = yield* run('UPDATE eport_bill_parcels SET seen_ms = ? WHERE logistics_no = ? AND seen_ms IS NULL', [t, k]);
          if (n === 0) continue;
          for (const r of yield* all<{ bill_no: string }>('SELECT bill_no FROM eport_bill_parcels WHERE logistics_no = ?', [k])) bills.add(r.bill_no);
        }
        const out: [string, { guid: string; created: boolean } | undefined][] = [];
        for (const b of bills) out.push([b, yield* tallyComplete(zone, b, t)]);
        return out;
      });
      for (const [b, r] of made) note('CEB711', r, b);
    },
  };

  const gate: Projection = {
    name: 'eport-gate',
    types: ['gate.passed'] satisfies EventType[],
    async apply(_gatewayId: string, events: readonly EdgeEvent[]) {
      for (const e of events) {
        if (e.type !== 'gate.passed' || !e.payload.slipNo) continue;
        const slip = await o.slip(e.payload.slipNo);
        if (!slip || slip.ioType !== 'E' || slip.goods.length === 0) continue;
        // An exit slip's vehicle is refused at an entry lane (shared/stations/gate.ts: wrong_direction), so a zone whose
        // trucks come in empty never sees its admission: its arrival (507) is declared at the latest at its exit, just
        // before the departure (509). Once by cause either way — an admission seen earlier made it already.
        const types: OutgoingType[] = e.payload.direction === 'in' ? ['CEB507'] : ['CEB507', 'CEB509'];
        const z = o.zone;
        const copNo = slip.passportNo.slice(0, 30);
        const list = slip.goods.map((g) => ({ logisticsNo: g.slice(0, 32) }));
        const inputOf = (type: OutgoingType) =>
          type === 'CEB507'
            ? { baseTransfer: transfer(z), customsCode: z.customsCode, copNo, operatorCode: z.operatorCode, operatorName: z.operatorName, ieFlag: 'E', trafMode: z.gateTrafMode, domesticTrafNo: e.payload.vehicleNo ?? slip.vehicleNo, logisticsCode: z.logisticsCode, logisticsName: z.logisticsName, list }
            : { baseTransfer: transfer(z), customsCode: z.customsCode, copNo, logisticsCode: z.logisticsCode, logisticsName: z.logisticsName, trafMode: z.gateTrafMode, trafName: e.payload.vehicleNo ?? slip.vehicleNo, leaveTime: new Date(e.time.wallMs).toISOString(), list };
        const t = now();
        const made = await o.sql.tx(function* () {
          const out: [OutgoingType, { guid: string; created: boolean } | undefined][] = [];
          for (const type of types) out.push([type, yield* enqueueMessage({ cause: `${type}:${slip.passportNo}`, messageType: type, input: inputOf(type), subject: copNo }, t)]);
          return out;
        });
        for (const [type, r] of made) note(type, r, copNo);
      }
    },
  };

  return { onDocuments, tally, gate };
}
