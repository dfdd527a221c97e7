import { z } from 'zod';
import { ScanDeskConfig, WarehouseConfig } from './config.ts';
import { parseAimPrefix } from '../identifiers/aim.ts';
import { isValidGs1Key } from '../identifiers/gs1.ts';
import { classifyRead } from '../identifiers/read.ts';
import type { Payloads } from '../schemas/events.ts';
import type { ExpectedList } from './feed.ts';
import { cacheIsStale, type CacheView, type Decision, type StationCommand, type StationDisplay, type StationEvent } from './types.ts';

/**
 * The bonded warehouse (保税仓) station: tally on receipt, putaway, picking and packing of 1210 stock
 * (customs.md §5, steps 3 and 5), as one pure `decide`.
 *
 * One station with a mode rather than four machines: a handheld or a bench moves between steps all day, the
 * operator, the open list and the recent lines belong to the desk, not to a step, and receive→putaway
 * (inbound list) or pick→pack (outbound order) keep the list they have open when the mode changes.
 *
 * Every scan against a list becomes one `warehouse.transaction`, identified by what it is about, so a re-scan
 * amends instead of adding:
 * - a carton (SSCC) or a serialised item (GTIN + serial) is one unit: `bonded:receive:<listId>:<sscc>`; scanning it
 *   again in the same step re-sends the same record (same transactionId, same qty);
 * - plain GTIN items are counted: the record for a line holds the running count for this station's session on the
 *   list (the session's opening time is in the id, so re-opening a list later never overwrites an earlier count);
 *   what goes beyond the expected quantity is its own `over_quantity` record, never mixed into the counted one.
 *
 * The warehouse records on a stale cache (it marks the event `cacheStale`); it does not fail closed: goods on a
 * dock cannot wait for a feed.
 *
 * The building blocks (label reading, sessions, planning a movement, the desk display) are exported for the
 * overseas warehouse station (overseas.ts), which adds a stock ledger on top.
 */

// ---------------------------------------------------------------------------------------------
// Types and configuration
// ---------------------------------------------------------------------------------------------

export type TransactionPayload = z.input<(typeof Payloads)['warehouse.transaction']>;
export type WarehouseKind = TransactionPayload['warehouse'];
export type WarehouseOp = TransactionPayload['op'];
export type WarehouseOutcome = TransactionPayload['outcome'];
export type ItemCondition = NonNullable<TransactionPayload['condition']>;
export const ITEM_CONDITIONS: readonly ItemCondition[] = ['sellable', 'damaged', 'opened', 'missing_parts'];

// The schema is in config.ts (zod only): an edge configuration parses without loading this core.
export { ScanDeskConfig, WarehouseConfig };

export type Tone = 'go' | 'stop' | 'wait' | 'idle';
export interface Said { tone: Tone; zh: string; en: string; detail?: string }
export type DeskLine = StationDisplay['recent'][number];

/** One transaction as the station last recorded it; `warehouse.transaction` is its public part. */
export interface Movement {
  transactionId: string;
  op: WarehouseOp;
  outcome: WarehouseOutcome;
  /** The outcome before any weight check (a re-weigh can turn weight_off back into ok). */
  matched: WarehouseOutcome;
  /** The list line it counts against; null when it counts against none (unexpected, over, rejected). */
  line: number | null;
  qty: number;
  listId: string;
  orderNo?: string;
  sku?: string;
  sscc?: string;
  /** The GTIN-14 the goods label named, and its (10) batch/lot: what the hub's traceability links (recalls). */
  gtin?: string;
  lot?: string;
  parcelKey?: string;
  locationId?: string;
  weightKg?: number;
  expectedWeightKg?: number;
  /** Expected weight of one unit of the line, for weighing what was scanned. */
  unitWeightKg?: number;
  condition?: ItemCondition;
  reason?: string;
  /** Overseas: what the movement did to the stock ledger, so an amendment applies only the difference. */
  effect?: LedgerDelta[];
}

export interface LedgerDelta { sku: string; locationId: string; qty: number }

/** What the station did on one list: its transactions, by transactionId. */
export interface ListSession {
  listId: string;
  kind: ExpectedList['kind'];
  orderNo?: string;
  openedAtMs: number;
  lastAtMs: number;
  movements: Record<string, Movement>;
  /** The transaction a stable weight attaches to, and when it was last scanned. */
  lastTxId?: string;
  lastTxAtMs?: number;
}

/** What every warehouse desk keeps, whatever the step. */
export interface Desk {
  operatorId: string | null;
  weightKg: number | null;
  lastCodes: string[];
  recent: DeskLine[];
  verdict: Said | null;
  verdictUntilMs: number | null;
  sessions: Record<string, ListSession>;
}

export type BondedMode = 'receive' | 'putaway' | 'pick' | 'pack';

/** Goods waiting for their location (putaway: scan the goods, then the location). */
export type PendingGoods = Goods & { code: string };

export type WarehouseState = Desk &
  (
    | { phase: 'idle'; mode: BondedMode }
    | { phase: 'receiving'; listId: string }
    | { phase: 'putaway'; listId: string; pending: PendingGoods | null }
    | { phase: 'picking'; listId: string; fromLocationId: string | null }
    | { phase: 'packing'; listId: string }
  );

export type WarehouseInput =
  | { kind: 'scan'; text: string }
  /** A stable weight only: the shell drops unstable scale readings. */
  | { kind: 'weight'; weightKg: number }
  | { kind: 'select'; mode: BondedMode }
  | { kind: 'select'; listId: string }
  | { kind: 'operator'; operatorId: string | null }
  | { kind: 'timer'; id: string };

// ---------------------------------------------------------------------------------------------
// Reading a label
// ---------------------------------------------------------------------------------------------

export type WarehouseLabel =
  | { kind: 'location'; locationId: string }
  | { kind: 'carton'; sscc: string; contentGtin?: string; count?: number; lot?: string }
  | { kind: 'item'; gtin: string; serial?: string; lot?: string }
  /** A list, order or parcel number: looked up, never stock. `gtin` when it could also be a bare GTIN. */
  | { kind: 'reference'; value: string; gtin?: string }
  | { kind: 'rejected'; reason: string };

export type Goods = Extract<WarehouseLabel, { kind: 'carton' | 'item' }>;

const LOCATION_ID = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/;
const BARE_GTIN = /^(\d{8}|\d{12,14})$/;

/** Printable and short, for reasons and the console. */
export function clip(text: string, max = 48): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\x00-\x1f\x7f]/g, '·');
  return printable.length > max ? `${printable.slice(0, max - 1)}…` : printable;
}

/** Tell a location label from an SSCC carton label, a GTIN item label and a reference (list/order/parcel number). */
export function readWarehouseLabel(text: string, config: Pick<ScanDeskConfig, 'locationPrefixes' | 'bareDigitsAsGtin'>): WarehouseLabel {
  const { data } = parseAimPrefix(text.trim());
  for (const prefix of config.locationPrefixes) {
    if (data.slice(0, prefix.length).toUpperCase() === prefix.toUpperCase()) {
      const locationId = data.slice(prefix.length).trim();
      return LOCATION_ID.test(locationId)
        ? { kind: 'location', locationId }
        : { kind: 'rejected', reason: `location label "${clip(data)}" has no valid location id` };
    }
  }
  const read = classifyRead(text);
  switch (read.kind) {
    case 'gs1': {
      const d = read.derived;
      // (10) batch/lot rides along on both: a carton label (00)+(02)+(10) names its content's lot, an item label its own.
      const lot = d.batch !== undefined ? { lot: d.batch } : {};
      if (d.sscc !== undefined) {
        return { kind: 'carton', sscc: d.sscc, ...(d.contentGtin !== undefined && { contentGtin: d.contentGtin }), ...(d.count !== undefined && { count: d.count }), ...lot };
      }
      if (d.gtin !== undefined) return { kind: 'item', gtin: d.gtin, ...(d.serial !== undefined && { serial: d.serial }), ...lot };
      if (d.orderNo !== undefined) return { kind: 'reference', value: d.orderNo };
      return { kind: 'rejected', reason: 'a GS1 label without an SSCC (00) or a GTIN (01)' };
    }
    case 's10':
      return { kind: 'reference', value: read.value };
    case 'logistics_no': {
      const bare = config.bareDigitsAsGtin && BARE_GTIN.test(read.value) && isValidGs1Key(read.value);
      return { kind: 'reference', value: read.value, ...(bare && { gtin: read.value.padStart(14, '0') }) };
    }
    case 'ambiguous':
      // Two valid readings (GS1 without GS separators): recorded as a rejected label with the text, never as a guess.
      return { kind: 'rejected', reason: `ambiguous: ${read.reason}` };
    case 'rejected':
      return { kind: 'rejected', reason: read.reason };
  }
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers
// ---------------------------------------------------------------------------------------------

/** Own-key read: a SKU or location id such as "constructor" must not reach the prototype. */
export function own<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function fnv1a(text: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** A short stable digest of a text (two FNV-1a passes, 64 bits), for ids derived from arbitrary input. */
export function digest(text: string): string {
  return fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x01000193);
}

/** A transactionId derived from what the transaction is about; at most 128 characters (a digest replaces the tail). */
export function transactionIdOf(parts: readonly string[]): string {
  const id = parts.join(':');
  if (id.length <= 128) return id;
  const tail = digest(id);
  return `${id.slice(0, 128 - tail.length - 1)}#${tail}`;
}

export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Is a measured weight outside expected ± the larger of the two bounds (plus any extra allowance)? */
export function weightIsOff(measuredKg: number, expectedKg: number, tolerance: { pct: number; kg: number; extraKg?: number }): boolean {
  const bound = Math.max((expectedKg * tolerance.pct) / 100, tolerance.kg) + (tolerance.extraKg ?? 0);
  return Math.abs(measuredKg - expectedKg) > bound + 1e-9;
}

function skuMatchesGtin(sku: string | undefined, gtin14: string): boolean {
  if (sku === undefined) return false;
  return sku === gtin14 || (BARE_GTIN.test(sku) && sku.padStart(14, '0') === gtin14);
}

/** The GTIN a goods label names (an item's GTIN, a carton's content GTIN). */
export function gtinOf(goods: Goods): string | undefined {
  return goods.kind === 'item' ? goods.gtin : goods.contentGtin;
}

/** Which list lines goods may count against (in list order). */
export function matchLines(list: ExpectedList, goods: Goods): number[] {
  if (goods.kind === 'carton') {
    const exact = list.items.findIndex((i) => i.sscc === goods.sscc);
    if (exact >= 0) return [exact];
  }
  const gtin = gtinOf(goods);
  if (gtin === undefined) return [];
  const lines: number[] = [];
  list.items.forEach((item, idx) => {
    if (item.sscc === undefined && skuMatchesGtin(item.sku, gtin)) lines.push(idx);
  });
  return lines;
}

/** A carton or a serialised item is one unit (amended on re-scan); a plain GTIN item is counted. */
function unitKeyOf(goods: Goods): string | null {
  if (goods.kind === 'carton') return goods.sscc;
  return goods.serial !== undefined ? `${goods.gtin}/${goods.serial}` : null;
}

/** Quantity a unit stands for: a carton line's quantity, else the carton's (37) count, else 1. */
function unitQty(list: ExpectedList, goods: Goods, line: number | null): number {
  if (goods.kind === 'carton') {
    const item = line === null ? undefined : list.items[line];
    if (item?.sscc === goods.sscc) return item.qty;
    return goods.count !== undefined && goods.count > 0 ? Math.min(goods.count, 1_000_000) : 1;
  }
  return 1;
}

const COUNTED: ReadonlySet<WarehouseOutcome> = new Set(['ok', 'weight_off', 'wrong_location']);

/** What the station has recorded against a line in a step (unexpected, over and rejected records count for none). */
export function tally(session: ListSession, op: WarehouseOp, line: number, excludeTxId?: string): number {
  let n = 0;
  for (const m of Object.values(session.movements)) {
    if (m.op === op && m.line === line && COUNTED.has(m.outcome) && m.transactionId !== excludeTxId) n += m.qty;
  }
  return n;
}

export function progress(list: ExpectedList, session: ListSession, op: WarehouseOp): { linesDone: number; lines: number; complete: boolean } {
  let linesDone = 0;
  list.items.forEach((item, idx) => {
    if (tally(session, op, idx) >= item.qty) linesDone++;
  });
  return { linesDone, lines: list.items.length, complete: list.items.length > 0 && linesDone === list.items.length };
}

function unitWeight(list: ExpectedList, line: number | null): number | undefined {
  const item = line === null ? undefined : list.items[line];
  return item?.expectedWeightKg === undefined ? undefined : item.expectedWeightKg / item.qty;
}

// ---------------------------------------------------------------------------------------------
// Planning one movement against a list (shared with overseas.ts)
// ---------------------------------------------------------------------------------------------

export interface Plan {
  movement: Movement;
  previous: Movement | undefined;
}

function base(list: ExpectedList, op: WarehouseOp, transactionId: string, goods: Goods | null): Pick<Movement, 'transactionId' | 'op' | 'listId' | 'orderNo' | 'sscc' | 'parcelKey' | 'gtin' | 'lot'> {
  const gtin = goods === null ? undefined : gtinOf(goods);
  return {
    transactionId,
    op,
    listId: list.listId,
    ...(list.orderNo !== undefined && { orderNo: list.orderNo }),
    ...(goods?.kind === 'carton' && { sscc: goods.sscc, parcelKey: goods.sscc }),
    ...(gtin !== undefined && { gtin }),
    ...(goods?.lot !== undefined && { lot: goods.lot }),
  };
}

/** A counted item's key part: the GTIN and, when the label named one, its lot (two lots never share a running count). */
function countedKey(goods: Extract<Goods, { kind: 'item' }>): string {
  return goods.lot === undefined ? goods.gtin : `${goods.gtin}/L${goods.lot}`;
}

function skuFor(list: ExpectedList, goods: Goods, line: number | null): string | undefined {
  const item = line === null ? undefined : list.items[line];
  return item?.sku ?? gtinOf(goods);
}

/**
 * Receive or pick goods against a list: on the list → ok; not on it → `missing` (unexpected on receipt,
 * not_in_order on picking); beyond the expected quantity → over_quantity. `locationId` (picking) is where from.
 */
export function planCount(
  wh: WarehouseKind,
  op: 'receive' | 'pick',
  list: ExpectedList,
  session: ListSession,
  goods: Goods,
  locationId: string | null,
): Plan {
  const missing: WarehouseOutcome = op === 'receive' ? 'unexpected' : 'not_in_order';
  const lines = matchLines(list, goods);
  const unitKey = unitKeyOf(goods);
  const at = locationId === null ? {} : { locationId };
  const where = op === 'receive' ? 'the inbound list' : 'the order';

  if (unitKey !== null) {
    const transactionId = transactionIdOf([wh, op, list.listId, unitKey]);
    const previous = own(session.movements, transactionId);
    if (previous) return { movement: { ...previous, ...at }, previous };
    const fits = lines.find((l) => tally(session, op, l) + unitQty(list, goods, l) <= list.items[l]!.qty);
    const line = lines.length === 0 ? null : (fits ?? lines[0]!);
    const qty = unitQty(list, goods, line);
    const sku = skuFor(list, goods, line);
    const common = { ...base(list, op, transactionId, goods), qty, ...(sku !== undefined && { sku }), ...at };
    if (line === null) {
      const reason = `not on ${where} ${list.listId}`;
      return { movement: { ...common, outcome: missing, matched: missing, line: null, reason }, previous };
    }
    if (fits === undefined) {
      const item = list.items[line]!;
      const reason = `line ${line + 1} expects ${item.qty}, this would make ${tally(session, op, line) + qty}`;
      return { movement: { ...common, outcome: 'over_quantity', matched: 'over_quantity', line: null, reason }, previous };
    }
    const uw = unitWeight(list, line);
    return { movement: { ...common, outcome: 'ok', matched: 'ok', line, ...(uw !== undefined && { unitWeightKg: uw }) }, previous };
  }

  // A plain GTIN item: one more on the first line with room; the running count is one record per line and place.
  const itemGoods = goods as Extract<Goods, { kind: 'item' }>;
  const gtin = itemGoods.gtin;
  const counted = countedKey(itemGoods);
  const sessionTag = `@${session.openedAtMs}`;
  const place = locationId === null ? '' : `>${locationId}`;
  const fits = lines.find((l) => tally(session, op, l) < list.items[l]!.qty);
  let transactionId: string;
  let line: number | null;
  let outcome: WarehouseOutcome;
  let reason: string | undefined;
  if (lines.length === 0) {
    transactionId = transactionIdOf([wh, op, list.listId, `${counted}${place}${sessionTag}`]);
    line = null;
    outcome = missing;
    reason = `not on ${where} ${list.listId}`;
  } else if (fits === undefined) {
    transactionId = transactionIdOf([wh, op, list.listId, `${counted}${place}${sessionTag}`, 'over']);
    line = null;
    outcome = 'over_quantity';
    const expected = lines.reduce((n, l) => n + list.items[l]!.qty, 0);
    reason = `expected ${expected} of ${list.items[lines[0]!]!.sku ?? gtin}, scanned more`;
  } else {
    transactionId = transactionIdOf([wh, op, list.listId, `${counted}#${fits}${place}${sessionTag}`]);
    line = fits;
    outcome = 'ok';
  }
  const previous = own(session.movements, transactionId);
  const sku = skuFor(list, goods, line ?? lines[0] ?? null);
  const uw = unitWeight(list, line);
  const movement: Movement = {
    ...base(list, op, transactionId, goods),
    outcome,
    matched: outcome,
    line,
    qty: (previous?.qty ?? 0) + 1,
    ...(sku !== undefined && { sku }),
    ...at,
    ...(uw !== undefined && { unitWeightKg: uw }),
    ...(reason !== undefined && { reason }),
  };
  return { movement, previous };
}

/** Put goods away at a location: the list's suggested location (if any) is checked; a wrong one is still recorded. */
export function planPutaway(wh: WarehouseKind, list: ExpectedList, session: ListSession, goods: Goods, locationId: string): Plan {
  const lines = matchLines(list, goods);
  const unitKey = unitKeyOf(goods);
  const op = 'putaway';
  const previousUnit = unitKey === null ? undefined : own(session.movements, transactionIdOf([wh, op, list.listId, unitKey]));
  const line =
    previousUnit?.line ??
    lines.find((l) => list.items[l]!.locationId === locationId) ??
    lines.find((l) => tally(session, op, l) < list.items[l]!.qty) ??
    lines[0] ??
    null;
  const transactionId =
    unitKey !== null
      ? transactionIdOf([wh, op, list.listId, unitKey])
      : transactionIdOf([wh, op, list.listId, `${countedKey(goods as Extract<Goods, { kind: 'item' }>)}#${line ?? '-'}>${locationId}@${session.openedAtMs}`]);
  const previous = own(session.movements, transactionId);
  const suggested = line === null ? undefined : list.items[line]!.locationId;
  let outcome: WarehouseOutcome = 'ok';
  let reason: string | undefined;
  if (line === null) {
    outcome = 'unexpected';
    reason = `not on the inbound list ${list.listId}`;
  } else if (suggested !== undefined && suggested !== locationId) {
    outcome = 'wrong_location';
    reason = `suggested ${suggested}, put away at ${locationId}`;
  }
  const qty = unitKey !== null ? unitQty(list, goods, line) : (previous?.qty ?? 0) + 1;
  const sku = skuFor(list, goods, line);
  const movement: Movement = {
    ...base(list, op, transactionId, goods),
    outcome,
    matched: outcome,
    line,
    qty,
    locationId,
    ...(sku !== undefined && { sku }),
    ...(reason !== undefined && { reason }),
  };
  return { movement, previous };
}

/** A label that is neither goods, a location nor a known list, scanned in a step: recorded as rejected. */
export function planRejectedLabel(wh: WarehouseKind, op: WarehouseOp, list: ExpectedList, session: ListSession, text: string, why: string): Plan {
  const transactionId = transactionIdOf([wh, op, list.listId, 'rejected', digest(text.trim())]);
  const reason = `label "${clip(text.trim())}" is not an SSCC, GTIN or location label: ${why}`.slice(0, 500);
  const movement: Movement = { ...base(list, op, transactionId, null), outcome: 'rejected', matched: 'rejected', line: null, qty: 0, reason };
  return { movement, previous: own(session.movements, transactionId) };
}

/** Attach a stable weight to a movement: compared with the expected weight of what it counts (unit weight × qty). */
export function withWeight(m: Movement, weightKg: number, config: ScanDeskConfig): Movement {
  const expected = m.unitWeightKg === undefined ? undefined : round6(m.unitWeightKg * m.qty);
  const off = expected !== undefined && weightIsOff(weightKg, expected, { pct: config.weightTolerancePct, kg: config.weightToleranceKg });
  const outcome: WarehouseOutcome = m.matched === 'ok' && off ? 'weight_off' : m.matched;
  const next: Movement = { ...m, weightKg, outcome, ...(expected !== undefined && { expectedWeightKg: expected }) };
  if (outcome === 'weight_off') next.reason = `weighed ${weightKg} kg, expected ${expected} kg`;
  else if (m.outcome === 'weight_off') delete next.reason;
  return next;
}

/** The last movement of a session a stable weight may attach to (a receipt, scanned within the window), if any. */
export function weighable(session: ListSession, nowMs: number, config: ScanDeskConfig): Movement | undefined {
  const last = session.lastTxId === undefined ? undefined : own(session.movements, session.lastTxId);
  if (!last || last.op !== 'receive' || last.outcome === 'rejected' || session.lastTxAtMs === undefined) return undefined;
  return nowMs - session.lastTxAtMs <= config.weightWindowMs ? last : undefined;
}

/** A stable weight the schema can carry; a scale may report a little below zero after tare. */
export function validWeight(weightKg: number): boolean {
  return Number.isFinite(weightKg) && weightKg >= 0 && weightKg <= 100_000;
}

/** A counted record that grew no longer matches its old weight: drop it until weighed again. */
export function withoutWeight(m: Movement): Movement {
  const { weightKg: _w, expectedWeightKg: _e, ...rest } = m;
  if (rest.outcome !== 'weight_off') return rest;
  const { reason: _r, ...unweighed } = rest;
  return { ...unweighed, outcome: rest.matched };
}

/** Record a planned movement in its session; it becomes the one a weight attaches to. */
export function commit(session: ListSession, movement: Movement, nowMs: number): ListSession {
  return { ...session, movements: { ...session.movements, [movement.transactionId]: movement }, lastTxId: movement.transactionId, lastTxAtMs: nowMs, lastAtMs: nowMs };
}

// ---------------------------------------------------------------------------------------------
// The desk: context, events, verdicts (shared with overseas.ts)
// ---------------------------------------------------------------------------------------------

export interface DeskContext<C extends ScanDeskConfig> {
  nowMs: number;
  cache: CacheView;
  config: C;
  stale: boolean;
  operatorId: string | null;
  warehouse: WarehouseKind;
}

export function deskContext<C extends ScanDeskConfig>(desk: Desk, nowMs: number, cache: CacheView, config: C, warehouse: WarehouseKind): DeskContext<C> {
  return { nowMs, cache, config, stale: cacheIsStale(cache, cache.rules(nowMs), nowMs), operatorId: desk.operatorId, warehouse };
}

/** The public record of a movement, stamped with the operator and the cache it was decided from. */
export function transactionEvent(m: Movement, ctx: DeskContext<ScanDeskConfig>): StationEvent {
  const payload: TransactionPayload = {
    transactionId: m.transactionId,
    warehouse: ctx.warehouse,
    op: m.op,
    outcome: m.outcome,
    qty: m.qty,
    listId: m.listId,
    ...(m.orderNo !== undefined && { orderNo: m.orderNo }),
    ...(m.sku !== undefined && { sku: m.sku }),
    ...(m.sscc !== undefined && { sscc: m.sscc }),
    ...(m.gtin !== undefined && { gtin: m.gtin }),
    ...(m.lot !== undefined && { lot: m.lot }),
    ...(m.locationId !== undefined && { locationId: m.locationId }),
    ...(m.weightKg !== undefined && { weightKg: m.weightKg }),
    ...(m.expectedWeightKg !== undefined && { expectedWeightKg: m.expectedWeightKg }),
    ...(m.condition !== undefined && { condition: m.condition }),
    ...(m.reason !== undefined && { reason: m.reason }),
    ...(ctx.operatorId !== null && { operatorId: ctx.operatorId }),
    cacheVersion: ctx.cache.version,
    ...(ctx.stale && { cacheStale: true }),
  };
  return { type: 'warehouse.transaction', ...(m.parcelKey !== undefined && { parcelKey: m.parcelKey }), payload };
}

export function initialDesk(): Desk {
  return { operatorId: null, weightKg: null, lastCodes: [], recent: [], verdict: null, verdictUntilMs: null, sessions: {} };
}

/** Open (or resume) the station's session on a list, dropping the least recently used beyond `keepLists`. */
export function openSession(desk: Desk, list: ExpectedList, nowMs: number, keepLists: number): Record<string, ListSession> {
  const existing = own(desk.sessions, list.listId);
  const session: ListSession = existing
    ? { ...existing, lastAtMs: nowMs }
    : { listId: list.listId, kind: list.kind, ...(list.orderNo !== undefined && { orderNo: list.orderNo }), openedAtMs: nowMs, lastAtMs: nowMs, movements: {} };
  const others = Object.values(desk.sessions)
    .filter((s) => s.listId !== list.listId)
    .sort((a, b) => b.lastAtMs - a.lastAtMs)
    .slice(0, keepLists - 1);
  const sessions: Record<string, ListSession> = {};
  for (const s of [session, ...others]) sessions[s.listId] = s;
  return sessions;
}

export function withSession<D extends Desk>(desk: D, session: ListSession): D {
  return { ...desk, sessions: { ...desk.sessions, [session.listId]: session } };
}

/** What one input did, before the desk bookkeeping. */
export interface Step<S> {
  state: S;
  events?: StationEvent[];
  said?: Said;
  code?: string;
}

/** Desk bookkeeping: the verdict, the recent lines, the last codes and the verdict timer. */
export function finish<S extends Desk>(step: Step<S>, ctx: DeskContext<ScanDeskConfig>): Decision<S> {
  let state = step.state;
  const commands: StationCommand[] = [];
  if (step.code !== undefined) state = { ...state, lastCodes: [clip(step.code, 64), ...state.lastCodes].slice(0, 5) };
  if (step.said) {
    const { tone, zh, en } = step.said;
    const line: DeskLine = { atMs: ctx.nowMs, zh, en: step.said.detail === undefined ? en : `${en} · ${step.said.detail}`, tone };
    const hold = ctx.config.verdictHoldMs;
    state = { ...state, verdict: step.said, recent: [line, ...state.recent].slice(0, ctx.config.recentMax), verdictUntilMs: hold > 0 ? ctx.nowMs + hold : null };
    if (hold > 0) commands.push({ kind: 'timer', id: 'verdict', atMs: ctx.nowMs + hold });
  }
  return { state, commands, events: step.events ?? [] };
}

/** Shared inputs: operator sign-in, the verdict timer; undefined when the input is not one of them. */
export function deskInput<S extends Desk>(state: S, input: { kind: 'operator'; operatorId: string | null } | { kind: 'timer'; id: string }, nowMs: number): Step<S> {
  if (input.kind === 'timer') {
    if (input.id !== 'verdict' || state.verdictUntilMs === null || nowMs < state.verdictUntilMs) return { state };
    return { state: { ...state, verdict: null, verdictUntilMs: null } };
  }
  const operatorId = input.operatorId?.trim() ? input.operatorId.trim().slice(0, 128) : null;
  return operatorId === null
    ? { state: { ...state, operatorId }, said: { tone: 'idle', zh: '操作员已退出', en: 'Operator signed out' } }
    : { state: { ...state, operatorId }, said: { tone: 'idle', zh: '操作员已登录', en: 'Operator signed in', detail: operatorId } };
}

export const SAY = {
  signIn: { tone: 'stop', zh: '请先登录', en: 'Sign in first' },
  unknownList: { tone: 'stop', zh: '未知单号', en: 'Unknown list' },
  otherWarehouse: { tone: 'stop', zh: '非本仓单据', en: 'List is for another warehouse' },
  wrongKind: { tone: 'stop', zh: '单据类型不符', en: 'Wrong kind of list for this step' },
  listFirst: { tone: 'wait', zh: '请先扫描单号', en: 'Scan a list first' },
  badLabel: { tone: 'stop', zh: '无法识别的标签', en: 'Label not recognised' },
  unexpected: { tone: 'stop', zh: '不在入库单', en: 'Not on the inbound list' },
  overQuantity: { tone: 'stop', zh: '超出数量', en: 'More than expected' },
  notInOrder: { tone: 'stop', zh: '不在订单中', en: 'Not in the order' },
  weightOff: { tone: 'stop', zh: '重量不符', en: 'Weight off' },
  wrongLocation: { tone: 'stop', zh: '库位不符（已记录）', en: 'Wrong location (recorded)' },
  putaway: { tone: 'go', zh: '上架完成', en: 'Put away' },
  scanLocation: { tone: 'wait', zh: '请扫描库位', en: 'Scan the location' },
  goodsFirst: { tone: 'wait', zh: '请先扫描货物', en: 'Scan the goods first' },
  scanFirst: { tone: 'wait', zh: '请先扫描再称重', en: 'Scan first, then weigh' },
  noLocationHere: { tone: 'wait', zh: '此步骤无需库位', en: 'No location needed in this step' },
  badWeight: { tone: 'stop', zh: '重量无效', en: 'Weight not usable' },
  rejected: { tone: 'stop', zh: '已拒绝', en: 'Rejected' },
} as const satisfies Record<string, Said>;

/** The verdict for a recorded movement. */
const SAID_FOR: Record<Exclude<WarehouseOutcome, 'ok'>, Said> = {
  unexpected: SAY.unexpected,
  over_quantity: SAY.overQuantity,
  not_in_order: SAY.notInOrder,
  weight_off: SAY.weightOff,
  wrong_location: SAY.wrongLocation,
  rejected: SAY.rejected,
};

/** The verdict for a recorded movement: `ok` when it went as expected, else the outcome's own; `note` leads the detail. */
export function saidFor(m: Movement, ok: Said, note?: string, detail?: string): Said {
  const base = m.outcome === 'ok' ? ok : SAID_FOR[m.outcome];
  const parts = [note, m.reason, detail].filter((p): p is string => p !== undefined && p !== '');
  return parts.length === 0 ? { ...base } : { ...base, detail: parts.join(' · ') };
}

/** How a re-scan is said: a unit scanned again amends its record; a counted item adds one. */
export function noteFor(plan: Plan): string | undefined {
  return plan.previous !== undefined && plan.previous.qty === plan.movement.qty ? 're-scan: amended' : undefined;
}

export function deskDisplay(desk: Desk, prompt: Said): StationDisplay {
  return { verdict: desk.verdict ?? prompt, lastCodes: desk.lastCodes, weightKg: desk.weightKg, recent: desk.recent };
}

/** Look a list up for a step: unknown, another warehouse's, or the wrong kind is said, not recorded. */
export function lookUpList(
  ctx: DeskContext<ScanDeskConfig>,
  listId: string,
  kinds: readonly ExpectedList['kind'][],
): { list: ExpectedList } | { said: Said } {
  const list = ctx.cache.expected(listId);
  if (!list) return { said: { ...SAY.unknownList, detail: `${clip(listId)}${ctx.stale ? ' · cache stale: sync to get new lists' : ''}` } };
  if (list.warehouse !== ctx.warehouse) return { said: { ...SAY.otherWarehouse, detail: `${list.listId}: ${list.warehouse}` } };
  if (!kinds.includes(list.kind)) return { said: { ...SAY.wrongKind, detail: `${list.listId} is ${list.kind}, this step takes ${kinds.join('/')}` } };
  return { list };
}

// ---------------------------------------------------------------------------------------------
// The bonded warehouse station
// ---------------------------------------------------------------------------------------------

const LIST_KINDS: Record<BondedMode, readonly ExpectedList['kind'][]> = {
  receive: ['inbound'],
  putaway: ['inbound'],
  pick: ['outbound'],
  pack: ['outbound'],
};

export function initialWarehouseState(mode: BondedMode = 'receive'): WarehouseState {
  return { ...initialDesk(), phase: 'idle', mode };
}

function modeOf(state: WarehouseState): BondedMode {
  switch (state.phase) {
    case 'idle': return state.mode;
    case 'receiving': return 'receive';
    case 'putaway': return 'putaway';
    case 'picking': return 'pick';
    case 'packing': return 'pack';
  }
}

function enter(desk: Desk, mode: BondedMode, listId: string): WarehouseState {
  switch (mode) {
    case 'receive': return { ...desk, phase: 'receiving', listId };
    case 'putaway': return { ...desk, phase: 'putaway', listId, pending: null };
    case 'pick': return { ...desk, phase: 'picking', listId, fromLocationId: null };
    case 'pack': return { ...desk, phase: 'packing', listId };
  }
}

function deskOf(state: WarehouseState): Desk {
  const { operatorId, weightKg, lastCodes, recent, verdict, verdictUntilMs, sessions } = state;
  return { operatorId, weightKg, lastCodes, recent, verdict, verdictUntilMs, sessions };
}

const PROMPT: Record<BondedMode, Said> = {
  receive: { tone: 'idle', zh: '请扫描入库单', en: 'Scan an inbound list' },
  putaway: { tone: 'idle', zh: '请扫描入库单（上架）', en: 'Scan an inbound list to put away' },
  pick: { tone: 'idle', zh: '请扫描出库订单', en: 'Scan an outbound order to pick' },
  pack: { tone: 'idle', zh: '请扫描出库订单（打包）', en: 'Scan an outbound order to pack' },
};

function selectMode(state: WarehouseState, mode: BondedMode, ctx: DeskContext<WarehouseConfig>): Step<WarehouseState> {
  const desk = deskOf(state);
  const listId = state.phase === 'idle' ? null : state.listId;
  const session = listId === null ? undefined : own(state.sessions, listId);
  if (session && LIST_KINDS[mode].includes(session.kind) && ctx.cache.expected(session.listId)) {
    return { state: enter(desk, mode, session.listId), said: { ...PROMPT_IN[mode], detail: session.listId } };
  }
  return { state: { ...desk, phase: 'idle', mode }, said: PROMPT[mode] };
}

const PROMPT_IN: Record<BondedMode, Said> = {
  receive: { tone: 'wait', zh: '收货：请扫描货物', en: 'Receiving: scan cartons or items' },
  putaway: { tone: 'wait', zh: '上架：请扫描货物', en: 'Putaway: scan the goods, then the location' },
  pick: { tone: 'wait', zh: '拣货：请扫描货物', en: 'Picking: scan the items' },
  pack: { tone: 'wait', zh: '打包：请称重', en: 'Packing: put the pack on the scale' },
};

function openList(state: WarehouseState, listId: string, ctx: DeskContext<WarehouseConfig>): Step<WarehouseState> {
  const mode = modeOf(state);
  const found = lookUpList(ctx, listId, LIST_KINDS[mode]);
  if ('said' in found) return { state, said: found.said };
  const { list } = found;
  const desk = { ...deskOf(state), sessions: openSession(state, list, ctx.nowMs, ctx.config.keepLists) };
  const op = mode;
  const p = progress(list, desk.sessions[list.listId]!, op);
  const detail = mode === 'pack' ? `${list.listId} · ${list.items.length} lines` : `${list.listId} · ${p.linesDone}/${p.lines} lines`;
  return { state: enter(desk, mode, list.listId), said: { ...PROMPT_IN[mode], detail } };
}

function okFor(op: WarehouseOp, complete: boolean): Said {
  switch (op) {
    case 'receive': return complete ? { tone: 'go', zh: '整单收货完成', en: 'Inbound list complete' } : { tone: 'go', zh: '收货完成', en: 'Received' };
    case 'pick': return complete ? { tone: 'go', zh: '拣货完成', en: 'Order complete' } : { tone: 'go', zh: '已拣货', en: 'Picked' };
    case 'putaway': return SAY.putaway;
    case 'pack': return { tone: 'go', zh: '打包完成', en: 'Packed' };
    case 'ship': return { tone: 'go', zh: '已发货', en: 'Shipped' };
    case 'return': return { tone: 'go', zh: '退货已登记', en: 'Return recorded' };
  }
}

/** Record a plan in the bonded station (no ledger): one event, a verdict with the list's progress. */
function record(state: WarehouseState, list: ExpectedList, plan: Plan, ctx: DeskContext<WarehouseConfig>, code: string | undefined, note = noteFor(plan)): Step<WarehouseState> {
  const session = own(state.sessions, list.listId)!;
  const grew = plan.previous !== undefined && plan.previous.qty !== plan.movement.qty;
  const movement = grew ? withoutWeight(plan.movement) : plan.movement;
  const next = commit(session, movement, ctx.nowMs);
  const p = progress(list, next, movement.op);
  const detail = movement.op === 'putaway' ? undefined : `${p.linesDone}/${p.lines} lines`;
  return {
    state: withSession(state, next),
    events: [transactionEvent(movement, ctx)],
    said: saidFor(movement, okFor(movement.op, p.complete), note, detail),
    ...(code !== undefined && { code }),
  };
}

function pack(state: Extract<WarehouseState, { phase: 'packing' }>, list: ExpectedList, weightKg: number, ctx: DeskContext<WarehouseConfig>): Step<WarehouseState> {
  const session = own(state.sessions, list.listId)!;
  const transactionId = transactionIdOf(['bonded', 'pack', list.listId]);
  const qty = list.items.reduce((n, i) => n + i.qty, 0);
  const known = list.items.every((i) => i.expectedWeightKg !== undefined);
  const expected = known ? round6(list.items.reduce((n, i) => n + i.expectedWeightKg!, 0) + ctx.config.packagingKg) : undefined;
  const off =
    expected !== undefined &&
    weightIsOff(weightKg, expected, { pct: ctx.config.weightTolerancePct, kg: ctx.config.weightToleranceKg, extraKg: ctx.config.packagingToleranceKg });
  const outcome: WarehouseOutcome = off ? 'weight_off' : 'ok';
  const reason = expected === undefined ? 'no expected weight on every line: weight recorded, not compared' : off ? `packed ${weightKg} kg, expected ${expected} kg` : undefined;
  const previous = own(session.movements, transactionId);
  const movement: Movement = {
    ...base(list, 'pack', transactionId, null),
    outcome,
    matched: 'ok',
    line: null,
    qty,
    weightKg,
    ...(expected !== undefined && { expectedWeightKg: expected }),
    ...(reason !== undefined && { reason }),
  };
  const next = commit(session, movement, ctx.nowMs);
  return {
    state: withSession(state, next),
    events: [transactionEvent(movement, ctx)],
    said: saidFor(movement, okFor('pack', true), previous ? 're-weighed: amended' : undefined),
  };
}

function weigh(state: WarehouseState, weightKg: number, ctx: DeskContext<WarehouseConfig>): Step<WarehouseState> {
  if (!validWeight(weightKg)) return { state, said: { ...SAY.badWeight, detail: `${weightKg} kg` } };
  const weighed = { ...state, weightKg };
  if (state.phase === 'packing' || state.phase === 'receiving') {
    const list = ctx.cache.expected(state.listId);
    if (!list) return { state: weighed, said: { ...SAY.unknownList, detail: `${state.listId} is no longer in the cache` } };
    if (state.phase === 'packing') return pack({ ...state, weightKg }, list, weightKg, ctx);
    const last = weighable(own(state.sessions, state.listId)!, ctx.nowMs, ctx.config);
    if (!last) return { state: weighed, said: SAY.scanFirst };
    return record(weighed, list, { movement: withWeight(last, weightKg, ctx.config), previous: last }, ctx, undefined, 'weighed');
  }
  return { state: weighed };
}

function scan(state: WarehouseState, text: string, ctx: DeskContext<WarehouseConfig>): Step<WarehouseState> {
  if (ctx.config.requireOperator && state.operatorId === null) return { state, said: SAY.signIn, code: text };
  let label = readWarehouseLabel(text, ctx.config);
  if (label.kind === 'reference') {
    // a list id switches lists; an unknown one is said when no list is open, recorded as a bad label in a step
    if (ctx.cache.expected(label.value) || (label.gtin === undefined && state.phase === 'idle')) return { ...openList(state, label.value, ctx), code: text };
    label = label.gtin !== undefined ? { kind: 'item', gtin: label.gtin } : { kind: 'rejected', reason: `"${clip(label.value)}" is not a known list` };
  }
  if (state.phase === 'idle') return { state, said: label.kind === 'rejected' ? { ...SAY.badLabel, detail: label.reason } : SAY.listFirst, code: text };

  const list = ctx.cache.expected(state.listId);
  if (!list) return { state, said: { ...SAY.unknownList, detail: `${state.listId} is no longer in the cache` }, code: text };
  const session = own(state.sessions, state.listId)!;
  const op = modeOf(state);

  if (label.kind === 'rejected') return record(state, list, planRejectedLabel('bonded', op, list, session, text, label.reason), ctx, text);
  if (label.kind === 'location') {
    if (state.phase === 'picking') {
      return { state: { ...state, fromLocationId: label.locationId }, said: { tone: 'wait', zh: '拣货库位', en: 'Picking from', detail: label.locationId }, code: text };
    }
    if (state.phase === 'putaway') {
      if (!state.pending) return { state, said: SAY.goodsFirst, code: text };
      const { code, ...goods } = state.pending;
      const plan = planPutaway('bonded', list, session, goods, label.locationId);
      return record({ ...state, pending: null }, list, plan, ctx, text, [code, noteFor(plan)].filter(Boolean).join(' · '));
    }
    return { state, said: SAY.noLocationHere, code: text };
  }
  switch (state.phase) {
    case 'receiving':
      return record(state, list, planCount('bonded', 'receive', list, session, label, null), ctx, text);
    case 'picking':
      return record(state, list, planCount('bonded', 'pick', list, session, label, state.fromLocationId), ctx, text);
    case 'putaway': {
      const suggested = matchLines(list, label).map((l) => list.items[l]!.locationId).find((l) => l !== undefined);
      return { state: { ...state, pending: { ...label, code: clip(text.trim(), 64) } }, said: { ...SAY.scanLocation, ...(suggested !== undefined && { detail: `suggested ${suggested}` }) }, code: text };
    }
    case 'packing':
      return { state, said: PROMPT_IN.pack, code: text };
  }
}

/** The bonded warehouse station: `decide(state, input, now, cache)` with its configuration. Pure. */
export function decideWarehouse(state: WarehouseState, input: WarehouseInput, nowMs: number, cache: CacheView, config: WarehouseConfig): Decision<WarehouseState> {
  const ctx = deskContext(state, nowMs, cache, config, 'bonded');
  switch (input.kind) {
    case 'operator':
    case 'timer':
      return finish(deskInput(state, input, nowMs), ctx);
    case 'select':
      return finish('mode' in input ? selectMode(state, input.mode, ctx) : openList(state, input.listId, ctx), ctx);
    case 'weight':
      return finish(weigh(state, input.weightKg, ctx), ctx);
    case 'scan':
      return finish(scan(state, input.text, ctx), ctx);
  }
}

export function warehouseDisplay(state: WarehouseState): StationDisplay {
  switch (state.phase) {
    case 'idle':
      return deskDisplay(state, PROMPT[state.mode]);
    case 'putaway':
      return deskDisplay(state, state.pending ? { ...SAY.scanLocation, detail: state.pending.code } : { ...PROMPT_IN.putaway, detail: state.listId });
    default:
      return deskDisplay(state, { ...PROMPT_IN[modeOf(state)], detail: state.listId });
  }
}
