import { OverseasConfig } from './config.ts';
import type { ExpectedList } from './feed.ts';
import type { CacheView, Decision, StationDisplay, StationEvent } from './types.ts';
import {
  clip,
  commit,
  deskContext,
  deskDisplay,
  deskInput,
  finish,
  ITEM_CONDITIONS,
  initialDesk,
  lookUpList,
  matchLines,
  noteFor,
  openSession,
  own,
  planCount,
  planPutaway,
  planRejectedLabel,
  progress,
  readWarehouseLabel,
  SAY,
  saidFor,
  transactionEvent,
  transactionIdOf,
  withoutWeight,
  withSession,
  withWeight,
  type Desk,
  type DeskContext,
  type Goods,
  type ItemCondition,
  type LedgerDelta,
  type ListSession,
  type Movement,
  type PendingGoods,
  type Plan,
  type Said,
  type Step,
  type WarehouseOutcome,
  validWeight,
  weighable,
} from './warehouse.ts';

/**
 * The overseas warehouse (海外仓) station for 9810 export stock (customs.md §1 and §5: "the overseas warehouse takes
 * inbound, stock, outbound and returns"), as one pure `decide` with a mode, like the bonded station (warehouse.ts),
 * whose label reading, list sessions and movement planning it shares.
 *
 * What it adds is a stock ledger in the state: SKU → location → quantity, moved only by recorded transactions and
 * never below zero. Each transaction keeps the ledger effect it had, so an amendment (a carton scanned again, put
 * away somewhere else, a return whose condition was corrected) applies only the difference:
 * - inbound: received goods land on the dock location; unexpected or surplus goods land in quarantine;
 * - putaway: dock → the scanned location;
 * - pick: the scanned (or best) storage location → the order's staging location (`STAGING/<listId>`);
 *   a pick that would take a location below zero is recorded as `rejected`, with the reason, under its own id;
 * - ship: the order's staging location → out, only when every line is staged;
 * - return: sellable goods that were on the list → the returns location (pickable again); anything else
 *   (damaged, opened, missing parts, not on the list, more than the list) → quarantine.
 */

// The schema is in config.ts (zod only): an edge configuration parses without loading this core.
export { OverseasConfig };

/** SKU → location → quantity (> 0; empty entries are removed). */
export type StockLedger = Record<string, Record<string, number>>;

export type OverseasMode = 'inbound' | 'putaway' | 'pick' | 'ship' | 'return';

/** A returned parcel being recorded: its list, the reason and condition chosen, the items scanned (GTIN → count). */
export interface ReturnDraft {
  listId: string;
  parcelCode: string;
  reason: string | null;
  condition: ItemCondition | null;
  items: Record<string, number>;
  recorded: boolean;
}

export type OverseasState = Desk & { ledger: StockLedger } & (
    | { phase: 'idle'; mode: OverseasMode }
    | { phase: 'inbound'; listId: string }
    | { phase: 'putaway'; listId: string; pending: PendingGoods | null }
    | { phase: 'picking'; listId: string; fromLocationId: string | null }
    | { phase: 'shipping'; listId: string }
    | { phase: 'returns'; draft: ReturnDraft }
  );

export type OverseasInput =
  | { kind: 'scan'; text: string }
  /** A stable weight only: the shell drops unstable scale readings. */
  | { kind: 'weight'; weightKg: number }
  | { kind: 'select'; mode: OverseasMode }
  | { kind: 'select'; listId: string }
  | { kind: 'select'; reason: string }
  | { kind: 'select'; condition: ItemCondition }
  | { kind: 'operator'; operatorId: string | null }
  | { kind: 'timer'; id: string };

const LIST_KINDS: Record<OverseasMode, readonly ExpectedList['kind'][]> = {
  inbound: ['inbound'],
  putaway: ['inbound'],
  pick: ['outbound'],
  ship: ['outbound'],
  return: ['return', 'outbound'],
};

const DEFAULT_CONFIG: OverseasConfig = OverseasConfig.parse({});

export function initialOverseasState(o: { mode?: OverseasMode; ledger?: StockLedger } = {}): OverseasState {
  return { ...initialDesk(), ledger: o.ledger ?? {}, phase: 'idle', mode: o.mode ?? 'inbound' };
}

// ---------------------------------------------------------------------------------------------
// The ledger
// ---------------------------------------------------------------------------------------------

export function stagingOf(listId: string, config: Pick<OverseasConfig, 'stagingPrefix'>): string {
  return `${config.stagingPrefix}${listId}`;
}

/** Where stock may be picked from: not the dock, quarantine or a staging location. */
export function isPickable(locationId: string, config: OverseasConfig): boolean {
  return locationId !== config.dockLocationId && locationId !== config.quarantineLocationId && !locationId.startsWith(config.stagingPrefix);
}

export interface StockOf {
  sku: string;
  /** Everything held, wherever it is. */
  total: number;
  /** What can be picked (storage and returns locations). */
  available: number;
  byLocation: { locationId: string; qty: number }[];
}

/** Stock of one SKU by location, for the console. */
export function stockOf(state: OverseasState, sku: string, config: OverseasConfig = DEFAULT_CONFIG): StockOf {
  const at = own(state.ledger, sku) ?? {};
  const byLocation = Object.entries(at)
    .filter(([, qty]) => qty > 0)
    .map(([locationId, qty]) => ({ locationId, qty }))
    .sort((a, b) => a.locationId.localeCompare(b.locationId));
  const total = byLocation.reduce((n, l) => n + l.qty, 0);
  const available = byLocation.filter((l) => isPickable(l.locationId, config)).reduce((n, l) => n + l.qty, 0);
  return { sku, total, available, byLocation };
}

function qtyAt(ledger: StockLedger, sku: string, locationId: string): number {
  const at = own(ledger, sku);
  return at ? (own(at, locationId) ?? 0) : 0;
}

/** `next − previous`, one delta per (sku, location), zeros dropped. */
function effectDiff(previous: readonly LedgerDelta[], next: readonly LedgerDelta[]): LedgerDelta[] {
  const sum = new Map<string, LedgerDelta>();
  const add = (d: LedgerDelta, sign: number) => {
    const key = JSON.stringify([d.sku, d.locationId]);
    const cur = sum.get(key) ?? { sku: d.sku, locationId: d.locationId, qty: 0 };
    sum.set(key, { ...cur, qty: cur.qty + sign * d.qty });
  };
  for (const d of previous) add(d, -1);
  for (const d of next) add(d, 1);
  return [...sum.values()].filter((d) => d.qty !== 0);
}

type Applied = { ledger: StockLedger } | { short: { sku: string; locationId: string; have: number; need: number } };

/** Apply deltas all or nothing: refused when any location would go below zero. */
export function applyDeltas(ledger: StockLedger, deltas: readonly LedgerDelta[]): Applied {
  let next = ledger;
  for (const d of deltas) {
    const have = qtyAt(next, d.sku, d.locationId);
    const qty = have + d.qty;
    if (qty < 0) return { short: { sku: d.sku, locationId: d.locationId, have: qtyAt(ledger, d.sku, d.locationId), need: -d.qty } };
    const at: Record<string, number> = { ...(own(next, d.sku) ?? {}) };
    if (qty === 0) delete at[d.locationId];
    else at[d.locationId] = qty;
    next = { ...next };
    if (Object.keys(at).length === 0) delete next[d.sku];
    else next[d.sku] = at;
  }
  return { ledger: next };
}

/** What a movement does to the ledger (receipt, putaway, pick; ship and return set theirs when planned). */
function effectOf(m: Movement, config: OverseasConfig): LedgerDelta[] {
  if (m.outcome === 'rejected') return [];
  if (m.op === 'ship' || m.op === 'return' || m.op === 'pack') return m.effect ?? []; // an order ships without one SKU
  if (m.sku === undefined || m.qty === 0) return [];
  const { sku, qty } = m;
  switch (m.op) {
    case 'receive':
      return m.outcome === 'ok' || m.outcome === 'weight_off'
        ? [{ sku, locationId: config.dockLocationId, qty }]
        : [{ sku, locationId: config.quarantineLocationId, qty }];
    case 'putaway':
      return [{ sku, locationId: config.dockLocationId, qty: -qty }, { sku, locationId: m.locationId!, qty }];
    case 'pick':
      return m.outcome === 'ok' ? [{ sku, locationId: m.locationId!, qty: -qty }, { sku, locationId: stagingOf(m.listId, config), qty }] : [];
  }
}

// ---------------------------------------------------------------------------------------------
// Recording with the ledger
// ---------------------------------------------------------------------------------------------

type Ctx = DeskContext<OverseasConfig>;

function rejectedFrom(plan: Plan, reason: string): Plan {
  const { movement, previous } = plan;
  const attempted = previous !== undefined && previous.qty < movement.qty ? movement.qty - previous.qty : movement.qty;
  const { effect: _e, weightKg: _w, expectedWeightKg: _x, ...rest } = movement;
  return {
    movement: { ...rest, transactionId: transactionIdOf([movement.transactionId, 'rejected']), outcome: 'rejected', matched: 'rejected', line: null, qty: attempted, reason: reason.slice(0, 500) },
    previous: undefined,
  };
}

interface Recorded {
  state: OverseasState;
  movement: Movement;
  event: StationEvent;
}

/** Record a planned movement: apply the difference of its ledger effect, or record it as rejected when stock would go below zero. */
function recordStock(state: OverseasState, listId: string, plan: Plan, ctx: Ctx): Recorded {
  const session = own(state.sessions, listId)!;
  const grew = plan.previous !== undefined && plan.previous.qty !== plan.movement.qty;
  let movement = grew ? withoutWeight(plan.movement) : plan.movement;
  movement = { ...movement, effect: effectOf(movement, ctx.config) };
  const applied = applyDeltas(state.ledger, effectDiff(plan.previous?.effect ?? [], movement.effect ?? []));
  if ('short' in applied) {
    const { sku, locationId, have, need } = applied.short;
    const rejected = rejectedFrom(plan, `would take ${sku} at ${locationId} below zero: ${have} there, ${need} needed`).movement;
    const next = commit(session, rejected, ctx.nowMs);
    return { state: withSession(state, next), movement: rejected, event: transactionEvent(rejected, ctx) };
  }
  const next = commit(session, movement, ctx.nowMs);
  return { state: { ...withSession(state, next), ledger: applied.ledger }, movement, event: transactionEvent(movement, ctx) };
}

function okFor(m: Movement, complete: boolean): Said {
  switch (m.op) {
    case 'receive': return complete ? { tone: 'go', zh: '整单收货完成', en: 'Inbound list complete' } : { tone: 'go', zh: '收货完成', en: 'Received' };
    case 'putaway': return SAY.putaway;
    case 'pick': return complete ? { tone: 'go', zh: '拣货完成', en: 'Order complete' } : { tone: 'go', zh: '已拣货', en: 'Picked' };
    case 'ship': return { tone: 'go', zh: '已发货', en: 'Shipped' };
    case 'return':
      return m.locationId !== undefined && m.outcome === 'ok' && m.condition === 'sellable'
        ? { tone: 'go', zh: '退货入库', en: 'Returned to stock' }
        : { tone: 'wait', zh: '退货入隔离区', en: 'Returned to quarantine' };
    case 'pack': return { tone: 'go', zh: '打包完成', en: 'Packed' };
  }
}

function recordStep(state: OverseasState, list: ExpectedList, plan: Plan, ctx: Ctx, code: string | undefined, note = noteFor(plan)): Step<OverseasState> {
  const r = recordStock(state, list.listId, plan, ctx);
  const p = progress(list, own(r.state.sessions, list.listId)!, r.movement.op);
  const where = r.movement.locationId === undefined ? undefined : `@${r.movement.locationId}`;
  const detail = [where, r.movement.op === 'putaway' ? undefined : `${p.linesDone}/${p.lines} lines`].filter(Boolean).join(' · ');
  return { state: r.state, events: [r.event], said: saidFor(r.movement, okFor(r.movement, p.complete), note, detail), ...(code !== undefined && { code }) };
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

/** The location a pick takes from: the scanned one, else the line's suggestion, else storage before returns. */
function pickFrom(state: OverseasState, sku: string, qty: number, suggested: string | undefined, config: OverseasConfig): string | undefined {
  const at = own(state.ledger, sku) ?? {};
  const candidates = Object.entries(at)
    .filter(([loc, n]) => n >= qty && isPickable(loc, config))
    .map(([loc]) => loc)
    .sort((a, b) => Number(a === config.returnsLocationId) - Number(b === config.returnsLocationId) || a.localeCompare(b));
  if (suggested !== undefined && candidates.includes(suggested)) return suggested;
  return candidates[0];
}

function pick(state: Extract<OverseasState, { phase: 'picking' }>, list: ExpectedList, goods: Goods, ctx: Ctx, code: string): Step<OverseasState> {
  const session = own(state.sessions, list.listId)!;
  const probe = planCount('overseas', 'pick', list, session, goods, state.fromLocationId);
  const m = probe.movement;
  if (m.outcome !== 'ok' || m.sku === undefined) return recordStep(state, list, probe, ctx, code);
  if (probe.previous !== undefined && probe.previous.qty === m.qty) return recordStep(state, list, probe, ctx, code); // a carton picked again
  const need = probe.previous === undefined ? m.qty : m.qty - probe.previous.qty;
  if (state.fromLocationId !== null && !isPickable(state.fromLocationId, ctx.config)) {
    return recordStep(state, list, rejectedFrom(probe, `${state.fromLocationId} is not a pick location`), ctx, code);
  }
  const suggested = m.line === null ? undefined : list.items[m.line]!.locationId;
  const from = state.fromLocationId ?? pickFrom(state, m.sku, need, suggested, ctx.config);
  if (from === undefined) return recordStep(state, list, rejectedFrom(probe, `no pickable stock of ${m.sku} (${need} needed)`), ctx, code);
  const plan = state.fromLocationId === null ? planCount('overseas', 'pick', list, session, goods, from) : probe;
  return recordStep(state, list, plan, ctx, code);
}

/** Ship an order: every SKU line must be staged in full; the staging location is emptied by what the order needs. */
function ship(state: OverseasState, list: ExpectedList, ctx: Ctx, code: string): Step<OverseasState> {
  const desk = { ...state, sessions: openSession(state, list, ctx.nowMs, ctx.config.keepLists) };
  const shipping: OverseasState = { ...desk, phase: 'shipping', listId: list.listId };
  const session = own(shipping.sessions, list.listId)!;
  const transactionId = transactionIdOf(['overseas', 'ship', list.listId]);
  const previous = own(session.movements, transactionId);
  const qty = list.items.reduce((n, i) => n + i.qty, 0);
  const base = { transactionId, op: 'ship' as const, listId: list.listId, ...(list.orderNo !== undefined && { orderNo: list.orderNo }), line: null, qty };
  if (previous) {
    const r = recordStock(shipping, list.listId, { movement: previous, previous }, ctx);
    return { state: r.state, events: [r.event], said: saidFor(r.movement, okFor(r.movement, true), 're-scan: amended'), code };
  }
  const required = new Map<string, number>();
  for (const i of list.items) if (i.sku !== undefined) required.set(i.sku, (required.get(i.sku) ?? 0) + i.qty);
  const staging = stagingOf(list.listId, ctx.config);
  const short = [...required].filter(([sku, n]) => qtyAt(state.ledger, sku, staging) < n).map(([sku, n]) => `${sku} ${qtyAt(state.ledger, sku, staging)}/${n}`);
  const movement: Movement = { ...base, outcome: 'ok', matched: 'ok', effect: [...required].map(([sku, n]) => ({ sku, locationId: staging, qty: -n })) };
  const plan: Plan = { movement, previous: undefined };
  const r =
    short.length > 0
      ? recordStock(shipping, list.listId, rejectedFrom(plan, `not fully picked: ${short.join(', ')}`), ctx)
      : recordStock(shipping, list.listId, plan, ctx);
  return { state: r.state, events: [r.event], said: saidFor(r.movement, okFor(r.movement, true)), code };
}

/** The lines a return records: the scanned items if any, else the whole list. */
function returnEntries(list: ExpectedList, draft: ReturnDraft): { key: string; sku?: string; qty: number; outcome: WarehouseOutcome; note?: string }[] {
  if (Object.keys(draft.items).length === 0) {
    return list.items.map((item, idx) => ({ key: item.sku ?? item.sscc ?? item.parcelKey ?? `line-${idx + 1}`, ...(item.sku !== undefined && { sku: item.sku }), qty: item.qty, outcome: 'ok' as const }));
  }
  const entries: { key: string; sku?: string; qty: number; outcome: WarehouseOutcome; note?: string }[] = [];
  for (const [gtin, n] of Object.entries(draft.items)) {
    const lines = matchLines(list, { kind: 'item', gtin });
    if (lines.length === 0) {
      entries.push({ key: gtin, sku: gtin, qty: n, outcome: 'unexpected', note: `not on ${list.listId}` });
      continue;
    }
    const sku = list.items[lines[0]!]!.sku ?? gtin;
    const expected = lines.reduce((s, l) => s + list.items[l]!.qty, 0);
    if (Math.min(n, expected) > 0) entries.push({ key: sku, sku, qty: Math.min(n, expected), outcome: 'ok' });
    if (n > expected) entries.push({ key: `${sku}:over`, sku, qty: n - expected, outcome: 'over_quantity', note: `${list.listId} has ${expected}` });
  }
  return entries;
}

/** Record (or amend) a return once both a reason and a condition are chosen. */
function recordReturn(state: Extract<OverseasState, { phase: 'returns' }>, list: ExpectedList, ctx: Ctx): Step<OverseasState> {
  const { draft } = state;
  if (draft.reason === null || draft.condition === null) {
    const missing = draft.reason === null ? { zh: '请选择退货原因', en: 'Choose a reason' } : { zh: '请选择货物状态', en: 'Choose the condition' };
    return { state, said: { tone: 'wait', ...missing, detail: draft.listId } };
  }
  const { reason, condition } = draft;
  let next: OverseasState = { ...state, sessions: openSession(state, list, ctx.nowMs, ctx.config.keepLists) };
  const events: StationEvent[] = [];
  let worst: Movement | undefined;
  for (const e of returnEntries(list, draft)) {
    const session = own(next.sessions, list.listId)!;
    const transactionId = transactionIdOf(['overseas', 'return', list.listId, e.key]);
    const toStock = e.outcome === 'ok' && condition === 'sellable';
    const locationId = toStock ? ctx.config.returnsLocationId : ctx.config.quarantineLocationId;
    const movement: Movement = {
      transactionId,
      op: 'return',
      outcome: e.outcome,
      matched: e.outcome,
      line: null,
      qty: e.qty,
      listId: list.listId,
      ...(list.orderNo !== undefined && { orderNo: list.orderNo }),
      ...(e.sku !== undefined && { sku: e.sku }),
      ...(draft.parcelCode.length <= 64 && { parcelKey: draft.parcelCode }),
      locationId,
      condition,
      reason: e.note === undefined ? reason : `${reason}; ${e.note}`,
      ...(e.sku !== undefined && { effect: [{ sku: e.sku, locationId, qty: e.qty }] }),
    };
    const r = recordStock(next, list.listId, { movement, previous: own(session.movements, transactionId) }, ctx);
    next = r.state;
    events.push(r.event);
    if (worst === undefined || (worst.outcome === 'ok' && r.movement.outcome !== 'ok')) worst = r.movement;
  }
  const amended = draft.recorded;
  next = { ...next, phase: 'returns', draft: { ...draft, recorded: true } } as OverseasState;
  const detail = `${draft.listId} · ${condition} → ${worst?.locationId ?? '-'}`;
  const said = worst ? saidFor(worst, okFor(worst, true), amended ? 'amended' : undefined, detail) : { tone: 'wait' as const, zh: '退货单无货物', en: 'Nothing to return on this list', detail };
  return { state: next, events, said };
}

function selectForReturn(state: OverseasState, choice: { reason: string } | { condition: ItemCondition }, ctx: Ctx): Step<OverseasState> {
  if (state.phase !== 'returns') return { state, said: { tone: 'wait', zh: '请先扫描退货包裹', en: 'Scan the returned parcel first' } };
  let draft: ReturnDraft;
  if ('reason' in choice) {
    if (!ctx.config.returnReasons.includes(choice.reason)) return { state, said: { tone: 'stop', zh: '退货原因不在列表中', en: 'Not a configured return reason', detail: clip(choice.reason) } };
    draft = { ...state.draft, reason: choice.reason };
  } else {
    if (!ITEM_CONDITIONS.includes(choice.condition)) return { state, said: { tone: 'stop', zh: '未知货物状态', en: 'Unknown condition', detail: clip(String(choice.condition)) } };
    draft = { ...state.draft, condition: choice.condition };
  }
  const list = ctx.cache.expected(draft.listId);
  if (!list) return { state: { ...state, draft }, said: { ...SAY.unknownList, detail: `${draft.listId} is no longer in the cache` } };
  return recordReturn({ ...state, draft }, list, ctx);
}

// ---------------------------------------------------------------------------------------------
// Modes, lists and the decide function
// ---------------------------------------------------------------------------------------------

function modeOf(state: OverseasState): OverseasMode {
  switch (state.phase) {
    case 'idle': return state.mode;
    case 'inbound': return 'inbound';
    case 'putaway': return 'putaway';
    case 'picking': return 'pick';
    case 'shipping': return 'ship';
    case 'returns': return 'return';
  }
}

function listOf(state: OverseasState): string | null {
  switch (state.phase) {
    case 'idle': return null;
    case 'returns': return state.draft.listId;
    default: return state.listId;
  }
}

type OverseasDesk = Desk & { ledger: StockLedger };

function deskOf(state: OverseasState): OverseasDesk {
  const { operatorId, weightKg, lastCodes, recent, verdict, verdictUntilMs, sessions, ledger } = state;
  return { operatorId, weightKg, lastCodes, recent, verdict, verdictUntilMs, sessions, ledger };
}

const PROMPT: Record<OverseasMode, Said> = {
  inbound: { tone: 'idle', zh: '请扫描入库单', en: 'Scan an inbound list' },
  putaway: { tone: 'idle', zh: '请扫描入库单（上架）', en: 'Scan an inbound list to put away' },
  pick: { tone: 'idle', zh: '请扫描出库订单', en: 'Scan an outbound order to pick' },
  ship: { tone: 'idle', zh: '请扫描出库订单（发货）', en: 'Scan an outbound order to ship' },
  return: { tone: 'idle', zh: '请扫描退货包裹', en: 'Scan the returned parcel or its order' },
};

const PROMPT_IN: Record<OverseasMode, Said> = {
  inbound: { tone: 'wait', zh: '入库：请扫描箱码', en: 'Inbound: scan cartons (SSCC) or items' },
  putaway: { tone: 'wait', zh: '上架：请扫描货物', en: 'Putaway: scan the goods, then the location' },
  pick: { tone: 'wait', zh: '拣货：请扫描货物', en: 'Picking: scan a location or the items' },
  ship: { tone: 'wait', zh: '发货：请扫描订单', en: 'Shipping: scan the next order' },
  return: { tone: 'wait', zh: '退货：请选择原因和状态', en: 'Return: choose the reason and the condition' },
};

function enter(desk: OverseasDesk, mode: OverseasMode, list: ExpectedList, code: string): OverseasState {
  switch (mode) {
    case 'inbound': return { ...desk, phase: 'inbound', listId: list.listId };
    case 'putaway': return { ...desk, phase: 'putaway', listId: list.listId, pending: null };
    case 'pick': return { ...desk, phase: 'picking', listId: list.listId, fromLocationId: null };
    case 'ship': return { ...desk, phase: 'shipping', listId: list.listId };
    case 'return': return { ...desk, phase: 'returns', draft: { listId: list.listId, parcelCode: clip(code.trim(), 128), reason: null, condition: null, items: {}, recorded: false } };
  }
}

function selectMode(state: OverseasState, mode: OverseasMode, ctx: Ctx): Step<OverseasState> {
  const desk = deskOf(state);
  const listId = listOf(state);
  const session = listId === null ? undefined : own(state.sessions, listId);
  const list = session === undefined ? undefined : ctx.cache.expected(session.listId);
  // inbound ↔ putaway and pick keep their list; shipping and returns always start from a scan
  if (list && mode !== 'ship' && mode !== 'return' && LIST_KINDS[mode].includes(list.kind)) {
    return { state: enter(desk, mode, list, list.listId), said: { ...PROMPT_IN[mode], detail: list.listId } };
  }
  return { state: { ...desk, phase: 'idle', mode }, said: PROMPT[mode] };
}

function openList(state: OverseasState, listId: string, ctx: Ctx, code: string): Step<OverseasState> {
  const mode = modeOf(state);
  const found = lookUpList(ctx, listId, LIST_KINDS[mode]);
  if ('said' in found) return { state, said: found.said, code };
  const { list } = found;
  if (mode === 'ship') return ship(state, list, ctx, code);
  const desk = { ...deskOf(state), sessions: openSession(state, list, ctx.nowMs, ctx.config.keepLists) };
  const p = progress(list, desk.sessions[list.listId]!, mode === 'inbound' ? 'receive' : mode === 'pick' ? 'pick' : 'putaway');
  const detail = mode === 'return' ? list.listId : `${list.listId} · ${p.linesDone}/${p.lines} lines`;
  return { state: enter(desk, mode, list, code), said: { ...PROMPT_IN[mode], detail }, code };
}

function weigh(state: OverseasState, weightKg: number, ctx: Ctx): Step<OverseasState> {
  if (!validWeight(weightKg)) return { state, said: { ...SAY.badWeight, detail: `${weightKg} kg` } };
  const weighed: OverseasState = { ...state, weightKg };
  if (weighed.phase !== 'inbound') return { state: weighed };
  const list = ctx.cache.expected(weighed.listId);
  const last = weighable(own(weighed.sessions, weighed.listId)!, ctx.nowMs, ctx.config);
  if (!list || !last) return { state: weighed, said: SAY.scanFirst };
  return recordStep(weighed, list, { movement: withWeight(last, weightKg, ctx.config), previous: last }, ctx, undefined, 'weighed');
}

function scan(state: OverseasState, text: string, ctx: Ctx): Step<OverseasState> {
  if (ctx.config.requireOperator && state.operatorId === null) return { state, said: SAY.signIn, code: text };
  let label = readWarehouseLabel(text, ctx.config);
  if (label.kind === 'reference') {
    if (ctx.cache.expected(label.value) || (label.gtin === undefined && (state.phase === 'idle' || state.phase === 'shipping' || state.phase === 'returns'))) {
      return openList(state, label.value, ctx, text);
    }
    label = label.gtin !== undefined ? { kind: 'item', gtin: label.gtin } : { kind: 'rejected', reason: `"${clip(label.value)}" is not a known list` };
  }
  if (state.phase === 'idle' || state.phase === 'shipping') {
    return { state, said: label.kind === 'rejected' ? { ...SAY.badLabel, detail: label.reason } : state.phase === 'idle' ? SAY.listFirst : PROMPT_IN.ship, code: text };
  }
  if (state.phase === 'returns') {
    if (label.kind === 'rejected') return { state, said: { ...SAY.badLabel, detail: label.reason }, code: text };
    if (label.kind === 'location') return { state, said: SAY.noLocationHere, code: text };
    const gtin = label.kind === 'item' ? label.gtin : label.contentGtin;
    if (gtin === undefined) return { state, said: { ...SAY.badLabel, detail: 'returns count items by GTIN' }, code: text };
    if (state.draft.recorded) return { state, said: { tone: 'stop', zh: '退货已登记，请扫描下一个包裹', en: 'Return recorded: scan the next parcel' }, code: text };
    const n = (own(state.draft.items, gtin) ?? 0) + (label.kind === 'carton' ? (label.count ?? 1) : 1);
    return { state: { ...state, draft: { ...state.draft, items: { ...state.draft.items, [gtin]: n } } }, said: { tone: 'wait', zh: '已加入退货', en: 'Added to the return', detail: `${gtin} ×${n}` }, code: text };
  }

  const list = ctx.cache.expected(state.listId);
  if (!list) return { state, said: { ...SAY.unknownList, detail: `${state.listId} is no longer in the cache` }, code: text };
  const session: ListSession = own(state.sessions, state.listId)!;
  const op = state.phase === 'inbound' ? 'receive' : state.phase === 'picking' ? 'pick' : 'putaway';

  if (label.kind === 'rejected') return recordStep(state, list, planRejectedLabel('overseas', op, list, session, text, label.reason), ctx, text);
  if (label.kind === 'location') {
    if (state.phase === 'picking') {
      return { state: { ...state, fromLocationId: label.locationId }, said: { tone: 'wait', zh: '拣货库位', en: 'Picking from', detail: label.locationId }, code: text };
    }
    if (state.phase === 'putaway') {
      if (!state.pending) return { state, said: SAY.goodsFirst, code: text };
      const { code, ...goods } = state.pending;
      const plan = planPutaway('overseas', list, session, goods, label.locationId);
      return recordStep({ ...state, pending: null }, list, plan, ctx, text, [code, noteFor(plan)].filter(Boolean).join(' · '));
    }
    return { state, said: SAY.noLocationHere, code: text };
  }
  switch (state.phase) {
    case 'inbound':
      return recordStep(state, list, planCount('overseas', 'receive', list, session, label, null), ctx, text);
    case 'picking':
      return pick(state, list, label, ctx, text);
    case 'putaway': {
      const suggested = matchLines(list, label).map((l) => list.items[l]!.locationId).find((l) => l !== undefined);
      return { state: { ...state, pending: { ...label, code: clip(text.trim(), 64) } }, said: { ...SAY.scanLocation, ...(suggested !== undefined && { detail: `suggested ${suggested}` }) }, code: text };
    }
  }
}

/** The overseas warehouse station: `decide(state, input, now, cache)` with its configuration. Pure. */
export function decideOverseas(state: OverseasState, input: OverseasInput, nowMs: number, cache: CacheView, config: OverseasConfig): Decision<OverseasState> {
  const ctx = deskContext(state, nowMs, cache, config, 'overseas');
  switch (input.kind) {
    case 'operator':
    case 'timer':
      return finish(deskInput(state, input, nowMs), ctx);
    case 'select':
      if ('mode' in input) return finish(selectMode(state, input.mode, ctx), ctx);
      if ('listId' in input) return finish(openList(state, input.listId, ctx, input.listId), ctx);
      return finish(selectForReturn(state, input, ctx), ctx);
    case 'weight':
      return finish(weigh(state, input.weightKg, ctx), ctx);
    case 'scan':
      return finish(scan(state, input.text, ctx), ctx);
  }
}

export function overseasDisplay(state: OverseasState): StationDisplay {
  switch (state.phase) {
    case 'idle':
      return deskDisplay(state, PROMPT[state.mode]);
    case 'putaway':
      return deskDisplay(state, state.pending ? { ...SAY.scanLocation, detail: state.pending.code } : { ...PROMPT_IN.putaway, detail: state.listId });
    case 'returns':
      return deskDisplay(state, { ...PROMPT_IN.return, detail: state.draft.listId });
    default:
      return deskDisplay(state, { ...PROMPT_IN[modeOf(state)], detail: state.listId });
  }
}
