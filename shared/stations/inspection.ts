import { z } from 'zod';
import { InspectionConfig } from './config.ts';
import { MAX_INSPECTED_CODES, type LineReason, type Payloads } from '../schemas/events.ts';
import { renderLineReason } from '../reason-codes.ts';
import type { ParcelDecision, StationRules } from './feed.ts';
import { cacheIsStale, type CacheView, type Decision, type StationCommand, type StationDisplay, type StationEvent } from './types.ts';

/**
 * The inspection line (查验线) as a pure state machine. A parcel passes the scanners (several reads possible), the
 * scale (one stable weight) and the X-ray (a verdict from the PLC); when its verdict arrives — or its time is up — the
 * station fuses all of it with the hub's decision and rules from the local cache into one `parcel.inspected`
 * transaction and commands the diverter. Parcels are tracked in belt order (FIFO): a weight belongs to the oldest
 * parcel still waiting for one; a verdict to the parcel the PLC names, or to a new no-read transaction when it names
 * one nobody scanned.
 *
 * Every read is its own parcel unless there is a reason to fuse: the same code again (two symbols of one label, two
 * scanners) joins its open parcel; a different code joins only under the configured multi-read window (off by
 * default), and never past MAX_INSPECTED_CODES. Decisions are made in scan order: a parcel's decision first decides
 * every older parcel whose time is up, so the journal follows the belt whatever order timers fire in.
 */
// The schema is in config.ts (zod only): an edge configuration parses without loading this core.
export { InspectionConfig };

export type Lane = 'release' | 'inspection' | 'exception';
type Outcome = z.output<(typeof Payloads)['parcel.inspected']>['outcome'];
type XrayVerdict = 'clear' | 'suspect' | 'reject' | 'unreadable';

export type InspectionInput =
  | { kind: 'scan'; code: string; valid: boolean; reason?: string }
  | { kind: 'weight'; weightKg: number }
  | { kind: 'weight.unstable' }
  | { kind: 'xray'; parcelId: string; verdict: XrayVerdict; imageRef?: string }
  | { kind: 'xray.fault'; detail: string }
  | { kind: 'xray.recovered' }
  | { kind: 'photo'; transactionId: string; photoRef: string; thumbnailWebp?: string }
  | { kind: 'timer'; id: string }
  | { kind: 'divert.failed'; transactionId: string; reason: string };

interface Tx {
  transactionId: string;
  revision: number;
  firstAtMs: number;
  /** The station's read sequence of the parcel's first read (absent in state saved by an older version). */
  scanSeq?: number;
  codes: string[];
  /** Refused reads, as "text" (state saved by an older version) or with their reason. */
  rejectedReads: (string | { text: string; reason: string })[];
  weightKg?: number;
  weightUnstable?: boolean;
  xray?: { verdict: XrayVerdict; imageRef?: string };
  /** The id the PLC tracks the parcel by (the diverter is commanded with it). */
  plcId?: string;
  photoRef?: string;
  thumbnailWebp?: string;
}

export interface InspectionState {
  phase: 'running' | 'faulted';
  /** Parcels on the belt, oldest first. */
  open: Tx[];
  /** Recently decided parcels by code, so a re-scan amends (bounded). */
  decided: { code: string; transactionId: string; revision: number; atMs: number }[];
  xrayFault: string | null;
  counters: { decided: number; released: number; inspection: number; exception: number };
  /** `said`: the reasons in both languages for the console (absent in a state saved before it). */
  last: { transactionId: string; codes: string[]; lane: Lane; outcome: string; reasons: string[]; said?: Said; weightKg?: number; xray?: XrayVerdict; atMs: number } | null;
  recent: StationDisplay['recent'];
  nextSeq: number;
  /** Reads seen so far (monotonic, per station): each read's scan sequence is the next one. */
  reads?: number;
}

export function initialInspectionState(): InspectionState {
  return { phase: 'running', open: [], decided: [], xrayFault: null, counters: { decided: 0, released: 0, inspection: 0, exception: 0 }, last: null, recent: [], nextSeq: 1, reads: 0 };
}

export function weightWithin(measured: number, declared: number, rules: Pick<StationRules, 'weightTolerancePct' | 'weightToleranceKg'>): boolean {
  return Math.abs(measured - declared) <= Math.max(rules.weightToleranceKg, (declared * rules.weightTolerancePct) / 100);
}

const timerId = (tx: Tx) => `decide:${tx.transactionId}`;

/** Pure: the lane for a parcel, its outcome and every reason — the heart of the station. */
export function chooseLane(
  tx: Pick<Tx, 'codes' | 'weightKg' | 'weightUnstable' | 'xray'> & Partial<Pick<Tx, 'rejectedReads'>>,
  decision: ParcelDecision | undefined,
  rules: StationRules | undefined,
  stale: boolean,
  xrayFault: string | null,
): { lane: Lane; outcome: Outcome; reasons: string[]; coded: LineReason[]; said: Said } {
  const r = chooseLaneCoded(tx, decision, rules, stale, xrayFault);
  return { ...r, said: say(r.coded, decision) };
}

/**
 * The reasons in both languages for the console. The event journals the codes (`reasonCodes`), never `reasons` —
 * English sentences that stay on the station's own display for a reader of neither language.
 */
export interface Said {
  zh: string[];
  en: string[];
}

/**
 * Line reasons in words; the hub's own reasons for a hold or an inspection follow theirs, in the same language. The
 * hub's English sentence stands in only for an English reader, and only when the feed carried no codes (older hub).
 */
function say(coded: LineReason[], decision: ParcelDecision | undefined): Said {
  const out: Said = { zh: [], en: [] };
  for (const lang of ['zh-CN', 'en'] as const) {
    const list = lang === 'en' ? out.en : out.zh;
    for (const c of coded) {
      let text = renderLineReason(lang, c) ?? c.code;
      const held = c.code === 'line.customs-hold' || c.code === 'line.inspection-ordered';
      if (held && lang === 'en' && !c.because?.length && decision?.reason) text += `: ${decision.reason}`;
      list.push(text);
    }
  }
  return out;
}

function chooseLaneCoded(
  tx: Pick<Tx, 'codes' | 'weightKg' | 'weightUnstable' | 'xray'> & Partial<Pick<Tx, 'rejectedReads'>>,
  decision: ParcelDecision | undefined,
  rules: StationRules | undefined,
  stale: boolean,
  xrayFault: string | null,
): { lane: Lane; outcome: Outcome; reasons: string[]; coded: LineReason[] } {
  const codes = [...new Set(tx.codes)];
  if (codes.length === 0) {
    const refused = [...new Set((tx.rejectedReads ?? []).map((r) => rejectedRead(r).reason))].slice(0, 16);
    if (refused.length > 0) return { lane: 'exception', outcome: 'no_read', reasons: refused.map((x) => `read refused: ${x}`), coded: refused.map((x) => ({ code: 'line.read-refused', params: { reason: x } })) };
    return { lane: 'exception', outcome: 'no_read', reasons: ['no read: no barcode decoded'], coded: [{ code: 'line.no-read' }] };
  }
  if (codes.length > 1) return { lane: 'exception', outcome: 'multi_read', reasons: [`multiple labels read: ${codes.join(', ')}`], coded: [{ code: 'line.multi-read', params: { codes: codes.slice(0, MAX_INSPECTED_CODES) } }] };
  if (stale || !rules) {
    return {
      lane: 'inspection',
      outcome: 'stale_cache',
      reasons: [!rules ? 'no valid signed rules from the hub: failing safe' : 'local copy of hub decisions is older than the staleness bound: failing safe'],
      coded: [{ code: !rules ? 'line.no-rules' : 'line.stale-cache' }],
    };
  }
  if (!decision) return { lane: 'exception', outcome: 'unknown_parcel', reasons: [`parcel ${codes[0]} is not known to the hub`], coded: [{ code: 'line.unknown-parcel', params: { code: codes[0]! } }] };
  const reasons: string[] = [];
  const coded: LineReason[] = [];
  const add = (text: string, code: string, params?: LineReason['params'], because?: LineReason['because']) => {
    reasons.push(text);
    coded.push({ code, ...(params ? { params } : {}), ...(because?.length ? { because } : {}) });
  };
  let outcome: Outcome = 'ok';
  // The hub's reasons go with the line's as codes (`because`), as the feed carried them: no personal values there.
  const because = decision.reasons?.slice(0, 16);
  if (decision.decision === 'hold') add(`customs hold${decision.reason ? `: ${decision.reason}` : ''}`, 'line.customs-hold', undefined, because);
  if (decision.decision === 'inspect') add(`inspection ordered${decision.reason ? `: ${decision.reason}` : ''}`, 'line.inspection-ordered', undefined, because);
  if (xrayFault || !tx.xray || tx.xray.verdict === 'unreadable') {
    if (xrayFault) add(`X-ray fault: ${xrayFault}`, 'line.xray-fault', { fault: xrayFault.slice(0, 500) });
    else if (tx.xray) add('X-ray image unreadable', 'line.xray-unreadable');
    else add('no X-ray verdict in time', 'line.xray-timeout');
    outcome = 'xray_fault';
  } else if ((tx.xray.verdict === 'suspect' && rules.xraySuspectToInspection) || tx.xray.verdict === 'reject') {
    add(`X-ray ${tx.xray.verdict}`, tx.xray.verdict === 'suspect' ? 'risk.xray.suspect' : 'risk.xray.reject');
  }
  if (tx.weightKg === undefined) {
    if (tx.weightUnstable) add('weight never settled', 'line.weight-unsettled');
    else add('no stable weight', 'line.no-weight');
    if (outcome === 'ok') outcome = 'weight_unstable';
  } else if (decision.declaredWeightKg !== undefined && !weightWithin(tx.weightKg, decision.declaredWeightKg, rules)) {
    add(`weight ${tx.weightKg} kg vs declared ${decision.declaredWeightKg} kg is out of tolerance`, 'line.weight-out', { measured: tx.weightKg, declared: decision.declaredWeightKg });
    if (outcome === 'ok') outcome = 'out_of_tolerance';
  }
  // Random sampling is the hub's: drawn there under a key no gateway holds, pushed per parcel (customs.md §6).
  if (reasons.length === 0 && decision.sampled === true) add('random sample (drawn by the hub)', 'line.sample.hub', {});
  return { lane: reasons.length === 0 ? 'release' : 'inspection', outcome, reasons, coded };
}


const rejectedRead = (r: Tx['rejectedReads'][number]) => {
  const text = typeof r === 'string' ? r : r.text;
  const reason = typeof r === 'string' ? 'rejected' : r.reason;
  return { text: text.length > 0 ? text.slice(0, 512) : '(empty read)', reason: reason.slice(0, 500) || 'rejected' };
};

/**
 * Decide `tx`, after every older open parcel whose decision time has passed (belt order): a decision is never
 * journalled before an older parcel's that was already due.
 */
function closeInOrder(state: InspectionState, tx: Tx, nowMs: number, cache: CacheView, config: InspectionConfig): Decision<InspectionState> {
  const at = state.open.indexOf(tx);
  const due = state.open.slice(0, Math.max(0, at)).filter((t) => t.firstAtMs + config.decideTimeoutMs <= nowMs);
  let s = state;
  const commands: StationCommand[] = [];
  const events: StationEvent[] = [];
  for (const t of [...due, tx]) {
    const d = close(s, t, nowMs, cache, config);
    s = d.state;
    commands.push(...d.commands);
    events.push(...d.events);
  }
  return { state: s, commands, events };
}

function close(state: InspectionState, tx: Tx, nowMs: number, cache: CacheView, config: InspectionConfig): Decision<InspectionState> {
  const rules = cache.rules(nowMs);
  const stale = cacheIsStale(cache, rules, nowMs);
  const code = [...new Set(tx.codes)][0];
  const decision = code ? cache.decision(code) : undefined;
  const { lane, outcome, reasons, coded, said } = chooseLane(tx, decision, rules, stale, state.xrayFault);
  const hubDecision = decision?.decision ?? 'unknown';
  const event: StationEvent = {
    type: 'parcel.inspected',
    ...(code && [...new Set(tx.codes)].length === 1 ? { parcelKey: code } : {}),
    payload: {
      transactionId: tx.transactionId,
      revision: tx.revision,
      lineId: config.lineId,
      outcome,
      codes: [...new Set(tx.codes)],
      ...(tx.rejectedReads.length > 0 ? { rejectedReads: tx.rejectedReads.slice(0, MAX_INSPECTED_CODES).map(rejectedRead) } : {}),
      ...(tx.scanSeq !== undefined ? { scanSeq: tx.scanSeq } : {}),
      ...(tx.weightKg !== undefined ? { grossWeightKg: tx.weightKg } : {}),
      ...(decision?.declaredWeightKg !== undefined ? { declaredWeightKg: decision.declaredWeightKg } : {}),
      ...(tx.xray ? { xray: { verdict: tx.xray.verdict, ...(tx.xray.imageRef ? { imageRef: tx.xray.imageRef } : {}) } } : {}),
      hubDecision,
      lane,
      reasonCodes: coded,
      ...(tx.photoRef ? { photoRef: tx.photoRef } : {}),
      ...(tx.thumbnailWebp ? { thumbnailWebp: tx.thumbnailWebp } : {}),
      cacheVersion: cache.version,
      ...(stale ? { cacheStale: true } : {}),
    },
  } as StationEvent;
  const commands: StationCommand[] = [
    { kind: 'cancel-timer', id: timerId(tx) },
    { kind: 'divert', transactionId: tx.transactionId, parcelKey: tx.plcId ?? code ?? tx.transactionId, lane },
  ];
  const decided = remember(state.decided, [...new Set(tx.codes)].map((c) => ({ code: c, transactionId: tx.transactionId, revision: tx.revision, atMs: nowMs })), nowMs, config.amendWindowMs);
  const counters = { ...state.counters, decided: state.counters.decided + 1, [lane === 'release' ? 'released' : lane]: state.counters[lane === 'release' ? 'released' : lane] + 1 };
  const tone = lane === 'release' ? 'go' : lane === 'inspection' ? 'stop' : 'wait';
  const zh = lane === 'release' ? '放行' : lane === 'inspection' ? '转人工查验' : '异常道口';
  const en = lane === 'release' ? 'Release lane' : lane === 'inspection' ? 'Manual inspection' : 'Exception lane';
  const next: InspectionState = {
    ...state,
    open: without(state.open, tx),
    decided,
    counters,
    last: { transactionId: tx.transactionId, codes: [...new Set(tx.codes)], lane, outcome, reasons, said, ...(tx.weightKg !== undefined ? { weightKg: tx.weightKg } : {}), ...(tx.xray ? { xray: tx.xray.verdict } : {}), atMs: nowMs },
    recent: [{ atMs: nowMs, zh: `${code ?? '未读到条码'} → ${zh}${said.zh.length ? `：${said.zh.join('；')}` : ''}`, en: `${code ?? 'no read'} → ${en}${said.en.length ? `: ${said.en.join('; ')}` : ''}`, tone: tone as 'go' | 'stop' | 'wait' }, ...state.recent].slice(0, 20),
  };
  return { state: next, commands, events: [event] };
}

function openTx(
  state: InspectionState,
  nowMs: number,
  config: InspectionConfig,
  codes: string[],
  amend?: { transactionId: string; revision: number },
  scanSeq?: number,
  rejectedReads: Tx['rejectedReads'] = [],
): { state: InspectionState; tx: Tx; commands: StationCommand[] } {
  const transactionId = amend?.transactionId ?? `${config.lineId}-${nowMs.toString(36)}-${state.nextSeq}`;
  const tx: Tx = { transactionId, revision: amend ? amend.revision + 1 : 1, firstAtMs: nowMs, ...(scanSeq !== undefined ? { scanSeq } : {}), codes, rejectedReads };
  const commands: StationCommand[] = [{ kind: 'timer', id: timerId(tx), atMs: nowMs + config.decideTimeoutMs }];
  if (config.photo) commands.push({ kind: 'snapshot', transactionId });
  return { state: { ...state, open: withAdded(state.open, tx), nextSeq: state.nextSeq + 1 }, tx, commands };
}

/**
 * The open parcels by code and by transaction id. A backlog holds thousands of open parcels, and a walk over them
 * per scan makes it cost O(n²). The index is a cache of an `open` array (the state stays plain data, saved as JSON):
 * a new `open` made from an old one takes the old one's index over and updates it, and an array without one (a
 * state loaded from the journal, or an older state used again) gets it built on first use.
 */
interface OpenIndex {
  byCode: Map<string, Tx>;
  byTxId: Map<string, Tx>;
  /**
   * Entries added while their key was already taken (a code or transaction id open twice: an amendment reopening a
   * transaction whose other code is still open, or a state saved by an older version). Only then can a removal
   * uncover another parcel with the same key, so only then does it walk the open parcels — not once per decision.
   */
  shadowed: number;
}
const openIndexes = new WeakMap<readonly Tx[], OpenIndex>();

function indexOfOpen(open: readonly Tx[]): OpenIndex {
  let ix = openIndexes.get(open);
  if (!ix) {
    ix = { byCode: new Map(), byTxId: new Map(), shadowed: 0 };
    for (const t of open) indexTx(ix, t);
    openIndexes.set(open, ix);
  }
  return ix;
}

/** First in belt order wins, as a walk from the front would find it. */
function indexTx(ix: OpenIndex, t: Tx): void {
  for (const c of t.codes) {
    if (!ix.byCode.has(c)) ix.byCode.set(c, t);
    else if (ix.byCode.get(c) !== t) ix.shadowed += 1;
  }
  if (!ix.byTxId.has(t.transactionId)) ix.byTxId.set(t.transactionId, t);
  else if (ix.byTxId.get(t.transactionId) !== t) ix.shadowed += 1;
}

function unindexTx(ix: OpenIndex, t: Tx, open: readonly Tx[]): void {
  for (const c of t.codes) if (ix.byCode.get(c) === t) ix.byCode.delete(c);
  if (ix.byTxId.get(t.transactionId) === t) ix.byTxId.delete(t.transactionId);
  if (ix.shadowed === 0) return;
  // Another open parcel with the same code or id takes its place.
  for (const c of t.codes) if (!ix.byCode.has(c)) for (const o of open) if (o !== t && o.codes.includes(c)) { ix.byCode.set(c, o); break; }
  if (!ix.byTxId.has(t.transactionId)) for (const o of open) if (o !== t && o.transactionId === t.transactionId) { ix.byTxId.set(o.transactionId, o); break; }
}

/** The index of `from`, moved to `to` (`from` builds its own again if it is ever used). */
function moveIndex(from: readonly Tx[], to: readonly Tx[]): OpenIndex | undefined {
  const ix = openIndexes.get(from);
  if (!ix) return undefined;
  openIndexes.delete(from);
  openIndexes.set(to, ix);
  return ix;
}

function withAdded(open: Tx[], tx: Tx): Tx[] {
  const next = open.slice();
  next.push(tx);
  const ix = moveIndex(open, next);
  if (ix) indexTx(ix, tx);
  return next;
}

/** The open parcels less one: by position and slices, not a filter call per parcel (a backlog holds thousands). */
function without(open: Tx[], tx: Tx): Tx[] {
  const i = open.indexOf(tx);
  if (i < 0) return open;
  const next = i === 0 ? open.slice(1) : open.slice(0, i).concat(open.slice(i + 1));
  const ix = moveIndex(open, next);
  if (ix) unindexTx(ix, tx, next);
  return next;
}

function replaceTx(state: InspectionState, tx: Tx, next: Tx): InspectionState {
  const i = state.open.indexOf(tx);
  if (i < 0) return state;
  const open = state.open.slice();
  open[i] = next;
  const ix = moveIndex(state.open, open);
  if (ix) {
    unindexTx(ix, tx, open);
    indexTx(ix, next);
  }
  return { ...state, open };
}

const findOpenByCode = (open: readonly Tx[], code: string): Tx | undefined => indexOfOpen(open).byCode.get(code);
const findOpenByTxId = (open: readonly Tx[], transactionId: string): Tx | undefined => indexOfOpen(open).byTxId.get(transactionId);

type Decided = InspectionState['decided'][number];

/**
 * Recently decided parcels, for amendments: the expired ones dropped from the front (they were added in time order),
 * the new ones added, at most 500. A lookup checks the window again, so one kept a little longer changes nothing.
 */
function remember(decided: Decided[], add: Decided[], nowMs: number, windowMs: number): Decided[] {
  let from = 0;
  while (from < decided.length && nowMs - decided[from]!.atMs > windowMs) from += 1;
  from = Math.max(from, decided.length + add.length - 500);
  const next = from > 0 ? decided.slice(from) : decided.slice();
  for (const d of add) next.push(d);
  return next.length > 500 ? next.slice(-500) : next;
}

/** The latest decision of `code` still within the amendment window. */
function priorDecision(decided: readonly Decided[], code: string, nowMs: number, windowMs: number): Decided | undefined {
  for (let i = decided.length - 1; i >= 0; i -= 1) {
    const d = decided[i]!;
    if (d.code === code && nowMs - d.atMs <= windowMs) return d;
  }
  return undefined;
}

export function decideInspection(state: InspectionState, input: InspectionInput, nowMs: number, cache: CacheView, config: InspectionConfig): Decision<InspectionState> {
  const none = { state, commands: [], events: [] };
  switch (input.kind) {
    case 'scan': {
      const scanSeq = (state.reads ?? 0) + 1;
      state = { ...state, reads: scanSeq };
      const none = { state, commands: [], events: [] };
      const newest = state.open[state.open.length - 1];
      // Fusing a different read into the newest parcel needs the configured pairing window (0: never), and room.
      const pairs = newest !== undefined && config.multiReadWindowMs > 0 && nowMs - newest.firstAtMs <= config.multiReadWindowMs;
      // A read that failed its check digit is kept with its text and reason, never dropped: it may be the only read.
      if (!input.valid) {
        const rejected = { text: input.code, reason: input.reason ?? 'rejected' };
        if (pairs && newest.rejectedReads.length < MAX_INSPECTED_CODES) return { ...none, state: replaceTx(state, newest, { ...newest, rejectedReads: [...newest.rejectedReads, rejected] }) };
        const o = openTx(state, nowMs, config, [], undefined, scanSeq, [rejected]);
        return { state: o.state, commands: o.commands, events: [] };
      }
      const same = findOpenByCode(state.open, input.code);
      if (same) return none; // the side scanner read the same label again: one parcel, one read
      if (pairs && !newest.xray && newest.codes.length > 0 && newest.codes.length < MAX_INSPECTED_CODES) {
        return { ...none, state: replaceTx(state, newest, { ...newest, codes: [...newest.codes, input.code] }) };
      }
      if (pairs && newest.codes.length === 0) {
        return { ...none, state: replaceTx(state, newest, { ...newest, codes: [input.code] }) };
      }
      const prior = priorDecision(state.decided, input.code, nowMs, config.amendWindowMs);
      const o = openTx(state, nowMs, config, [input.code], prior, scanSeq);
      return { state: o.state, commands: o.commands, events: [] };
    }
    case 'weight': {
      const tx = state.open.find((t) => t.weightKg === undefined);
      if (!tx || input.weightKg <= 0) return none;
      return { ...none, state: replaceTx(state, tx, { ...tx, weightKg: input.weightKg, weightUnstable: false }) };
    }
    case 'weight.unstable': {
      const tx = state.open.find((t) => t.weightKg === undefined);
      return tx ? { ...none, state: replaceTx(state, tx, { ...tx, weightUnstable: true }) } : none;
    }
    case 'xray': {
      const byCode = findOpenByCode(state.open, input.parcelId);
      const byId = findOpenByTxId(state.open, input.parcelId);
      // The first in belt order, as a walk would find it.
      let tx = byCode && byId && byCode !== byId ? (state.open.indexOf(byCode) < state.open.indexOf(byId) ? byCode : byId) : (byCode ?? byId);
      let s = state;
      let opened: StationCommand[] = [];
      if (!tx) {
        // The PLC saw a parcel no scanner read: its own transaction, with no code — a no-read.
        const o = openTx(state, nowMs, config, []);
        s = o.state;
        tx = o.tx;
        opened = o.commands.filter((c) => c.kind !== 'timer');
      }
      // A verdict means the X-ray works again, whatever fault it reported before.
      s = { ...s, phase: 'running', xrayFault: null };
      const withXray: Tx = { ...tx, plcId: input.parcelId, xray: { verdict: input.verdict, ...(input.imageRef ? { imageRef: input.imageRef } : {}) } };
      const d = closeInOrder(replaceTx(s, tx, withXray), withXray, nowMs, cache, config);
      return { ...d, commands: [...opened, ...d.commands] };
    }
    case 'xray.fault':
      return { ...none, state: { ...state, phase: 'faulted', xrayFault: input.detail } };
    case 'xray.recovered':
      return { ...none, state: { ...state, phase: 'running', xrayFault: null } };
    case 'photo': {
      const tx = findOpenByTxId(state.open, input.transactionId);
      return tx ? { ...none, state: replaceTx(state, tx, { ...tx, photoRef: input.photoRef, ...(input.thumbnailWebp ? { thumbnailWebp: input.thumbnailWebp } : {}) }) } : none;
    }
    case 'timer': {
      // By transaction id, without building every open parcel's timer id.
      const txId = input.id.startsWith('decide:') ? input.id.slice('decide:'.length) : undefined;
      const tx = txId === undefined ? undefined : findOpenByTxId(state.open, txId);
      return tx ? closeInOrder(state, tx, nowMs, cache, config) : none;
    }
    case 'divert.failed': {
      const recent = [{ atMs: nowMs, zh: `分拣指令失败: ${input.reason}`, en: `Divert command failed: ${input.reason}`, tone: 'stop' as const }, ...state.recent].slice(0, 20);
      return { ...none, state: { ...state, recent } };
    }
  }
}

const details = (said: Said | undefined) => (said ? { details: { zh: said.zh.join('；'), en: said.en.join('; ') } } : {});

export function inspectionDisplay(state: InspectionState): StationDisplay {
  const l = state.last;
  const verdict: StationDisplay['verdict'] = state.xrayFault
    ? { tone: 'stop', zh: 'X光机故障', en: 'X-ray fault', detail: state.xrayFault }
    : l
      ? l.lane === 'release'
        ? { tone: 'go', zh: '放行', en: 'Release', detail: l.codes.join(', ') }
        : l.lane === 'inspection'
          ? { tone: 'stop', zh: '转人工查验', en: 'To manual inspection', detail: l.reasons.join('; '), ...details(l.said) }
          : { tone: 'wait', zh: '异常件', en: 'Exception lane', detail: l.reasons.join('; '), ...details(l.said) }
      : { tone: 'idle', zh: '等待包裹', en: 'Waiting for parcels' };
  return { verdict, lastCodes: l?.codes ?? [], weightKg: l?.weightKg ?? null, recent: state.recent };
}
