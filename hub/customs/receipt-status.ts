/**
 * What customs said about a parcel's inventory list, from its receipts: pure, one table, one fold.
 *
 * Each receipt message carries its own set of returnStatus codes (the XSD annotation of its `returnStatus`,
 * customs.md §2 and §6). A status a message does not carry is never guessed at: it is kept, shown on the case and
 * alarmed, and it moves nothing. Only customs releases (customs.md §6): the list is released by an 800 on its list
 * receipt (CEB622 import / CEB604 export); 899 (clearance closed) counts only after an 800; 399 (审结) is NOT a release.
 * A list whose cancellation customs accepted (CEB624 / CEB606 `399`) is cancelled for good; 700 (退运) is terminal.
 */

/** The codes shared by every receipt: saved as a draft at the e-port (电子口岸已暂存), declaring, sent, sending failed. */
const EPORT = [1, 2, 3, 4] as const;

/**
 * returnStatus codes each receipt carries (from the 2022-05 XSD annotations; negatives, format or business errors,
 * are allowed on every message). 214 (export return receipt) is the one with 505 (移交) and 600 (挂起).
 */
export const RECEIPT_STATUSES: Readonly<Record<string, readonly number[]>> = {
  // import
  CEB312: [2, 3, 4, 100, 120, 399],
  CEB412: [2, 3, 4, 100, 120, 399],
  CEB512: [2, 3, 4, 100, 120, 399],
  CEB514: [2, 3, 4, 100, 399],
  CEB622: [...EPORT, 100, 120, 300, 399, 500, 501, 502, 503, 599, 700, 800, 899],
  CEB624: [...EPORT, 100, 120, 399],
  CEB626: [...EPORT, 100, 120, 399],
  CEB712: [...EPORT, 100, 120, 399],
  // export
  CEB304: [...EPORT, 100, 399],
  CEB404: [...EPORT, 100, 399],
  CEB506: [...EPORT, 100, 399],
  CEB508: [...EPORT, 100, 399],
  CEB510: [...EPORT, 100, 399],
  CEB604: [...EPORT, 100, 120, 300, 399, 800, 899],
  CEB606: [...EPORT, 100, 399],
  CEB608: [...EPORT, 100, 399],
  CEB214: [...EPORT, 100, 120, 300, 500, 505, 600, 800],
  CEB216: [...EPORT, 100, 399],
  CEB702: [...EPORT, 100, 399],
};

/** Every code any message carries, with what it means (customs.md §2). */
export const STATUS_MEANING: Readonly<Record<number, string>> = {
  1: 'saved as a draft at the e-port',
  2: 'declaring at the e-port',
  3: 'sent to customs',
  4: 'sending to customs failed',
  100: 'rejected by customs',
  120: 'accepted into the customs system',
  300: 'manual review',
  399: 'examination concluded, awaiting release',
  500: 'inspection ordered',
  501: 'detained: to clearance',
  502: 'detained: anti-smuggling',
  503: 'detained: legal',
  505: 'transferred',
  599: 'detained: other',
  600: 'suspended',
  700: 'returned to origin',
  800: 'released',
  899: 'clearance closed',
};

/** List receipts (the message that can release), cancellation receipts, and the cancellation requests themselves. */
export const LIST_RECEIPTS: ReadonlySet<string> = new Set(['CEB622', 'CEB604']);
export const CANCEL_RECEIPTS: ReadonlySet<string> = new Set(['CEB624', 'CEB606']);
export const CANCEL_REQUESTS: ReadonlySet<string> = new Set(['CEB623', 'CEB605']);

/** Is this status one this message carries? Unknown message types carry nothing we act on. */
export function isExpectedStatus(messageType: string, status: number): boolean {
  if (status < 0) return messageType in RECEIPT_STATUSES;
  return RECEIPT_STATUSES[messageType]?.includes(status) ?? false;
}

export function statusMeaning(status: number): string {
  return status < 0 ? 'format or business error' : (STATUS_MEANING[status] ?? 'not a status customs defines');
}

/**
 * A receipt (or a cancellation request) about one list, normalised: what the case needs, whichever parser produced it.
 * A request (CEB623 / CEB605) has no status: `status` null.
 */
export interface ListMessage {
  messageType: string;
  status: number | null;
  /** `YYYYMMDDhhmmss[SSS]`, Beijing time: sorts as text. */
  time: string;
  info?: string;
}

export type ListPhase =
  | 'none' // no list receipt yet
  | 'eport' // 1–4: at the e-port
  | 'rejected' // 100 or negative
  | 'accepted' // 120
  | 'review' // 300
  | 'concluded' // 399: NOT a release
  | 'inspection' // 500
  | 'detained' // 501–503, 599
  | 'released' // 800 (or a later 899 after an 800)
  | 'closed_without_release' // 899 with no 800 on record: shown, never a release
  | 'returned' // 700: terminal
  | 'cancelled'; // CEB624/606 399: terminal

export type CancelState = 'none' | 'requested' | 'refused' | 'cancelled';

export interface ListState {
  phase: ListPhase;
  /** The 800 that released the list (the earliest), null when customs has not released it. */
  release: { messageType: string; time: string } | null;
  /** Customs releases the list now: an 800 on record and nothing since (cancellation, return, detention, a new inspection order, a rejection) took it back. */
  customsReleased: boolean;
  cancel: CancelState;
  /** The latest expected list receipt (what the case shows as customs' status). */
  latest: { messageType: string; status: number; time: string } | null;
  /** Receipts whose status the message does not carry: kept and shown, never acted on. */
  unexpected: { messageType: string; status: number; time: string; info?: string }[];
}

const phaseOf = (status: number): ListPhase => {
  if (status < 0 || status === 100) return 'rejected';
  if (status >= 1 && status <= 4) return 'eport';
  if (status === 120) return 'accepted';
  if (status === 300) return 'review';
  if (status === 399) return 'concluded';
  if (status === 500) return 'inspection';
  if (status === 700) return 'returned';
  if (status === 800) return 'released';
  if (status === 899) return 'closed_without_release';
  return 'detained'; // 501–503, 599: the only others the list receipts carry
};

/** Phases a release survives: a late-stamped earlier-stage receipt does not take back an 800. */
const BEFORE_RELEASE: ReadonlySet<ListPhase> = new Set(['eport', 'accepted', 'review', 'concluded', 'released', 'closed_without_release']);

/**
 * Deterministic order: receipt time, then status, then message type — so the state is a function of the set of
 * messages, whatever order (or how many times) they arrived in.
 */
const byTime = (a: ListMessage, b: ListMessage) => (a.time !== b.time ? (a.time < b.time ? -1 : 1) : (a.status ?? -Infinity) - (b.status ?? -Infinity) || (a.messageType < b.messageType ? -1 : a.messageType > b.messageType ? 1 : 0));

/** The list's state from every receipt and cancellation request stored for it. Pure. */
export function listState(messages: readonly ListMessage[]): ListState {
  const sorted = [...messages].sort(byTime);
  const unexpected: ListState['unexpected'] = [];
  const list: (ListMessage & { status: number })[] = [];
  const cancels: (ListMessage & { status: number })[] = [];
  let requested = false;
  for (const m of sorted) {
    if (CANCEL_REQUESTS.has(m.messageType)) {
      requested = true;
      continue;
    }
    if (m.status === null) continue;
    // Any receipt of the order (order, payment, waybill, list…) with a status its message does not carry is kept here.
    if (!isExpectedStatus(m.messageType, m.status)) {
      if (!unexpected.some((u) => u.messageType === m.messageType && u.status === m.status && u.time === m.time)) unexpected.push({ messageType: m.messageType, status: m.status, time: m.time, ...(m.info ? { info: m.info } : {}) });
      continue;
    }
    if (!LIST_RECEIPTS.has(m.messageType) && !CANCEL_RECEIPTS.has(m.messageType)) continue;
    (LIST_RECEIPTS.has(m.messageType) ? list : cancels).push(m as ListMessage & { status: number });
  }
  const first800 = list.find((m) => m.status === 800);
  const release = first800 ? { messageType: first800.messageType, time: first800.time } : null;
  const latestMsg = list[list.length - 1];
  const latest = latestMsg ? { messageType: latestMsg.messageType, status: latestMsg.status, time: latestMsg.time } : null;

  let cancel: CancelState = 'none';
  if (cancels.some((c) => c.status === 399)) cancel = 'cancelled';
  else {
    const last = cancels[cancels.length - 1];
    if (last && (last.status === 100 || last.status < 0)) cancel = 'refused';
    else if (last || requested) cancel = 'requested';
  }

  let phase: ListPhase;
  if (cancel === 'cancelled') phase = 'cancelled';
  else if (list.some((m) => m.status === 700)) phase = 'returned';
  else if (!latest) phase = 'none';
  else {
    phase = phaseOf(latest.status);
    if (release && BEFORE_RELEASE.has(phase)) phase = 'released';
  }
  return { phase, release, customsReleased: phase === 'released' && release !== null && cancel !== 'requested', cancel, latest, unexpected };
}

/** A list nobody has heard from customs about. */
export const NO_LIST_STATE: ListState = { phase: 'none', release: null, customsReleased: false, cancel: 'none', latest: null, unexpected: [] };

/** Terminal list phases: the case closes with them. */
export const TERMINAL_PHASES: ReadonlySet<ListPhase> = new Set(['returned', 'cancelled']);
