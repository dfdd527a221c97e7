import { GateConfig } from './config.ts';
import type { ReleaseSlip } from './feed.ts';
import { cacheIsStale, type CacheView, type Decision, type StationCommand, type StationDisplay, type StationEvent } from './types.ts';

/**
 * The bonded-zone gate lane (卡口) as a pure state machine (style.md, "A station state machine"; customs.md §4).
 *
 * A vehicle's passage is one transaction. Its first capture (loop, slip QR, plate, RFID, container, seal, weighbridge,
 * goods portal) opens it with a deterministic id (`<laneId>-<first capture ms>`) and a capture timer; later captures
 * amend it, and a re-read of something already captured changes nothing. The lane decides as soon as every capture
 * the slip and the lane's configuration require is in, or when the capture timer fires, with what is there:
 *   release (y)  barrier raised; `gate.passed` once the barrier reports open, so a jammed barrier never leaves a
 *                "passed" record for a vehicle that did not pass;
 *   alarm (n)    `gate.alarmed` with every reason, barrier kept shut;
 *   wait (m)     soft problems only (weight off within twice the tolerance, expected weight unknown) or a stale cache /
 *                no valid rules (fail safe): an officer confirms with `manual.release` or refuses with `manual.reject`.
 * A hard alarm can be overridden too, but only by an explicit `manual.release`, which is recorded (`manual: {by, reason}`).
 * After an alarm, new captures are re-checked but never release on their own: at best the lane waits for an officer.
 *
 * Lane memory survives passages: slips this lane let through that the hub's feed does not show as used yet ("slip
 * reused"), e-seals reported opened outside the fence (a later passage carrying one alarms), the barrier's last
 * reported position and command, and the last passages for the console.
 */

// The schema is in config.ts (zod only): an edge configuration parses without loading this core.
export { GateConfig };
export type { GateConfigInput } from './config.ts';

/** Every reason the lane gives, bilingual; `severity` decides alarm (hard) or wait for an officer (soft, failsafe). */
export const GATE_REASONS = {
  cache_stale: { en: 'cache stale', zh: '本地数据过期', severity: 'failsafe' },
  no_rules: { en: 'no valid rules', zh: '无有效规则', severity: 'failsafe' },
  incomplete: { en: 'incomplete', zh: '采集不完整', severity: 'hard' },
  unknown_slip: { en: 'unknown slip', zh: '核放单不存在', severity: 'hard' },
  slip_ambiguous: { en: 'several slips for this vehicle', zh: '该车有多张核放单', severity: 'hard' },
  slip_used: { en: 'slip already used', zh: '核放单已使用', severity: 'hard' },
  slip_reused: { en: 'slip reused', zh: '核放单重复使用', severity: 'hard' },
  slip_void: { en: 'slip void', zh: '核放单已作废', severity: 'hard' },
  slip_deleted: { en: 'slip deleted', zh: '核放单已删除', severity: 'hard' },
  slip_not_approved: { en: 'slip not approved', zh: '核放单未审批', severity: 'hard' },
  gate_order: { en: 'slip has not passed gate 1', zh: '核放单未过一道卡口', severity: 'hard' },
  wrong_gate: { en: 'slip is for a double-gate passage', zh: '核放单属于双卡口通行', severity: 'hard' },
  wrong_direction: { en: 'wrong direction', zh: '进出方向不符', severity: 'hard' },
  wrong_vehicle: { en: 'wrong vehicle', zh: '车辆与核放单不符', severity: 'hard' },
  bad_container: { en: 'bad container number', zh: '集装箱号校验错误', severity: 'hard' },
  container_mismatch: { en: 'container mismatch', zh: '集装箱号不符', severity: 'hard' },
  seal_mismatch: { en: 'seal mismatch', zh: '电子关锁号不符', severity: 'hard' },
  seal_broken: { en: 'seal broken', zh: '关锁在围网外开启', severity: 'hard' },
  weight_off: { en: 'weight off', zh: '重量超差', severity: 'soft' },
  weight_far_off: { en: 'weight far off', zh: '重量严重超差', severity: 'hard' },
  weight_unknown: { en: 'expected weight unknown', zh: '无法计算预期重量', severity: 'soft' },
  goods_held: { en: 'goods held', zh: '货物暂停放行', severity: 'hard' },
  goods_not_on_slip: { en: 'goods not on slip', zh: '货物不在核放单上', severity: 'hard' },
  barrier_jammed: { en: 'barrier jammed', zh: '道闸未能抬起', severity: 'hard' },
  barrier_not_closed: { en: 'barrier did not close', zh: '道闸未能落下', severity: 'hard' },
  barrier_forced: { en: 'barrier forced open', zh: '道闸被强行开启', severity: 'hard' },
  passage_abandoned: { en: 'passage abandoned', zh: '通行中止', severity: 'hard' },
  rejected: { en: 'rejected by officer', zh: '人工拒绝放行', severity: 'hard' },
  alarm_cleared: { en: 'earlier alarm cleared by new captures', zh: '报警经重新采集后消除', severity: 'soft' },
} as const satisfies Record<string, { en: string; zh: string; severity: 'hard' | 'soft' | 'failsafe' }>;
export type GateReasonCode = keyof typeof GATE_REASONS;
export interface GateReason {
  code: GateReasonCode;
  detail?: string;
}

export type GateInput =
  /** Loop detector: a vehicle is on the lane. */
  | { kind: 'vehicle.arrived' }
  /** The slip's QR code: its passportNo, maybe with spaces or in lower case. */
  | { kind: 'slip.scanned'; text: string }
  | { kind: 'plate'; vehicleNo: string; source: 'anpr' | 'typed' }
  /** Electronic plate (vehicleIcNo). */
  | { kind: 'rfid.plate'; vehicleIcNo: string }
  /** Container OCR or typed: ISO 6346, check digit verified here. */
  | { kind: 'container'; containerNo: string }
  | { kind: 'seal.read'; sealId: string }
  /** A stable weighbridge weight. */
  | { kind: 'weighbridge'; weightKg: number }
  /** RFID portal / scanner reads of tagged goods (logisticsNo, SSCC or EPC). */
  | { kind: 'goods.read'; keys: string[] }
  /** An e-seal opened outside the zone fence (the seal monitor's `fence.breached`). */
  | { kind: 'seal.alarm'; sealId: string; reason: string }
  | { kind: 'manual.release'; officerId: string; reason: string }
  | { kind: 'manual.reject'; officerId: string; reason: string }
  /** The barrier's position input. */
  | { kind: 'barrier.state'; open: boolean }
  /** The barrier controller's forced-open input. */
  | { kind: 'barrier.forced' }
  | { kind: 'command.failed'; command: StationCommand; reason: string }
  | { kind: 'timer'; id: string }
  /** The vehicle cleared the barrier (exit loop). */
  | { kind: 'vehicle.left' };

export interface GateCapture {
  arrivedAtMs: number | null;
  /** Normalised passportNo. */
  slipNo: string | null;
  /** Normalised plate; a typed plate (officer/guard) wins over recognition. */
  plate: { vehicleNo: string; source: 'anpr' | 'typed' } | null;
  vehicleIcNo: string | null;
  /** Container numbers whose ISO 6346 check digit is right. */
  containerNos: string[];
  /** Reads that failed ISO 6346 (format or check digit): capture errors. */
  badContainerNos: string[];
  sealIds: string[];
  weighbridgeKg: number | null;
  goodsKeys: string[];
}

export interface GatePassage {
  passageId: string;
  startedAtMs: number;
  capture: GateCapture;
  /** Reasons from outside the captures (barrier trouble, an officer's earlier alarm): kept until the passage ends. */
  laneReasons: GateReason[];
  /** Decided once (complete or timed out): re-checks then report missing captures as "incomplete". */
  decided: boolean;
}

export interface GateVerdict {
  outcome: 'release' | 'wait' | 'alarm';
  reasons: GateReason[];
  slipNo?: string;
  vehicleNo?: string;
  expectedKg?: number;
  diffKg?: number;
  cacheVersion: number;
  cacheStale: boolean;
}

export interface GateRecent {
  atMs: number;
  passageId?: string;
  outcome: 'passed' | 'alarm' | 'rejected';
  manualBy?: string;
  slipNo?: string;
  vehicleNo?: string;
  reasons: GateReason[];
}

/** What survives passages. */
export interface GateLane {
  /** Slips this lane passed that the cache does not show as used yet: refused as "slip reused". */
  usedSlips: { slipNo: string; atMs: number }[];
  /** E-seals reported opened outside the fence. */
  brokenSeals: { sealId: string; reason: string; atMs: number }[];
  /** Most recent first. */
  recent: GateRecent[];
  barrier: {
    position: 'open' | 'closed' | 'unknown';
    commanded: 'raise' | 'lower' | null;
    /** A forced opening was alarmed and the barrier has not been seen closed since. */
    forcedAlarm: boolean;
    /** The lower-confirmation timer running, if any. */
    lowerTimerId: string | null;
  };
}

type Manual = { by: string; reason: string };
export type GatePhase =
  | { phase: 'idle' }
  | { phase: 'capturing'; passage: GatePassage }
  | { phase: 'waiting'; passage: GatePassage; verdict: GateVerdict }
  /** `passage` null: a lane alarm (barrier forced or stuck) with no vehicle being processed. */
  | { phase: 'alarm'; passage: GatePassage | null; verdict: GateVerdict }
  /**
   * Released: barrier raise commanded, waiting for its position input; or, `awaitingClose`, waiting for the barrier
   * to finish coming down after the previous vehicle before raising it (one vehicle, one lift).
   * `queued`: the next vehicle's captures.
   */
  | { phase: 'releasing'; passage: GatePassage; verdict: GateVerdict; manual: Manual | null; queued: GatePassage | null; awaitingClose: boolean }
  /** Barrier open, vehicle passing. */
  | { phase: 'open'; passage: GatePassage; verdict: GateVerdict; manual: Manual | null; queued: GatePassage | null };
export type GateState = GatePhase & { lane: GateLane };

export function initialGateState(): GateState {
  return { phase: 'idle', lane: { usedSlips: [], brokenSeals: [], recent: [], barrier: { position: 'unknown', commanded: null, forcedAlarm: false, lowerTimerId: null } } };
}

// ---------------------------------------------------------------------------------------------------------------
// Identifiers

/** Plates are compared without case, spaces or the separator dot (沪A·12345 = 沪a 12345); full-width forms folded. */
export function normalisePlate(s: string): string {
  return s.normalize('NFKC').toUpperCase().replace(/[\s·•・.\-_]/gu, '');
}

/** The slip QR carries the passportNo; scanners add spaces, line ends or lower case. */
export function normaliseSlipNo(s: string): string {
  return s.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();
}

export function normaliseContainerNo(s: string): string {
  return s.normalize('NFKC').toUpperCase().replace(/[\s\-/.]/gu, '');
}

const LETTER_VALUES: Record<string, number> = (() => {
  // ISO 6346: A = 10, counting up and skipping multiples of 11 (11, 22, 33).
  const values: Record<string, number> = {};
  let v = 10;
  for (let c = 65; c <= 90; c++) {
    if (v % 11 === 0) v++;
    values[String.fromCharCode(c)] = v++;
  }
  return values;
})();

/** ISO 6346 check digit of the first 10 characters (owner code, category U/J/Z, 6-digit serial); null if malformed. */
export function containerCheckDigit(first10: string): number | null {
  if (!/^[A-Z]{3}[UJZ]\d{6}$/.test(first10)) return null;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const ch = first10[i]!;
    const value = i < 4 ? LETTER_VALUES[ch]! : Number(ch);
    sum += value * 2 ** i;
  }
  return (sum % 11) % 10;
}

export function isValidContainerNo(s: string): boolean {
  const n = normaliseContainerNo(s);
  if (!/^[A-Z]{3}[UJZ]\d{7}$/.test(n)) return false;
  return containerCheckDigit(n.slice(0, 10)) === Number(n[10]);
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

const DEFAULT_TOLERANCE = { pct: 3, kg: 50 };
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const listed = (xs: string[], max = 8) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} (+${xs.length - max} more)`);
const inRange = (x: number | undefined, lo: number, hi: number) => (x !== undefined && Number.isFinite(x) && x >= lo && x <= hi ? x : undefined);

export function reasonText(r: GateReason, lang: 'en' | 'zh' = 'en'): string {
  const base = GATE_REASONS[r.code][lang];
  return clip(r.detail ? `${base}${lang === 'zh' ? '：' : ': '}${r.detail}` : base, 500);
}

const reasonStrings = (rs: GateReason[]) => rs.map((r) => reasonText(r));
const sameReasons = (a: GateReason[], b: GateReason[]) => reasonStrings(a).join('\n') === reasonStrings(b).join('\n');

/** What the weighbridge should read: totalWtKg, or tare + container + goods; undefined when the tare is missing. */
export function expectedWeightKg(slip: ReleaseSlip): number | undefined {
  if (slip.totalWtKg !== undefined) return slip.totalWtKg;
  if (slip.vehicleWtKg === undefined) return undefined;
  return round3(slip.vehicleWtKg + (slip.containerWtKg ?? 0) + slip.totalGrossWtKg);
}

/** Slip status (stucd) against the lane's role: null when the slip may pass here. */
function statusReason(slip: ReleaseSlip, role: GateConfig['gateRole']): GateReason | null {
  switch (slip.status) {
    case 'void':
      return { code: 'slip_void' };
    case 'deleted':
      return { code: 'slip_deleted' };
    case 'applied':
      return { code: 'slip_not_approved' };
    case 'passed':
      return { code: 'slip_used' };
    case 'approved':
      return role === 'gate2' ? { code: 'gate_order' } : null;
    case 'passed_gate1':
      if (role === 'gate2') return null;
      return role === 'gate1' ? { code: 'slip_used', detail: 'passed gate 1' } : { code: 'wrong_gate' };
  }
}

const ioTypeOf = (direction: GateConfig['direction']) => (direction === 'in' ? 'I' : 'E');

/** The hub already shows the slip as moved on by this lane's passage: the lane can forget it. */
function hubKnowsUsed(slip: ReleaseSlip, role: GateConfig['gateRole']): boolean {
  if (slip.status === 'passed' || slip.status === 'void' || slip.status === 'deleted') return true;
  return role === 'gate1' && slip.status === 'passed_gate1';
}

type SlipLookup =
  | { kind: 'scanned'; slipNo: string; slip: ReleaseSlip | undefined }
  | { kind: 'found'; slip: ReleaseSlip }
  | { kind: 'ambiguous'; slipNos: string[] }
  | { kind: 'none' };

/** The scanned slip, or else the one usable slip bound to the recognised plate (customs.md §4: bound to this plate). */
function lookupSlip(c: GateCapture, lane: GateLane, cache: CacheView, config: GateConfig): SlipLookup {
  if (c.slipNo !== null) return { kind: 'scanned', slipNo: c.slipNo, slip: cache.slip(c.slipNo) };
  if (c.plate === null) return { kind: 'none' };
  const byNo = new Map<string, ReleaseSlip>();
  for (const s of cache.slipsForVehicle(c.plate.vehicleNo)) byNo.set(s.passportNo, s);
  const usable = [...byNo.values()].filter(
    (s) => normalisePlate(s.vehicleNo) === c.plate!.vehicleNo && statusReason(s, config.gateRole) === null && s.ioType === ioTypeOf(config.direction) && !lane.usedSlips.some((u) => u.slipNo === s.passportNo),
  );
  if (usable.length === 1) return { kind: 'found', slip: usable[0]! };
  if (usable.length > 1) return { kind: 'ambiguous', slipNos: usable.map((s) => s.passportNo).sort() };
  return { kind: 'none' };
}

/** Reads against what the slip lists: complete when all are read or as many reads came in as the slip lists. */
function matchList(read: string[], bad: string[], wanted: string[]) {
  const extra = read.filter((x) => !wanted.includes(x));
  const notRead = wanted.filter((x) => !read.includes(x));
  return { extra, notRead, complete: notRead.length === 0 || read.length + bad.length >= wanted.length };
}

export interface GateEvaluation extends GateVerdict {
  /** Every capture the slip and configuration require is in. */
  complete: boolean;
}

/**
 * Pure: every check of customs.md §4 on one passage. `final`: the passage is to be decided now whatever is missing,
 * so missing captures become "incomplete" reasons.
 */
export function evaluatePassage(p: GatePassage, lane: GateLane, cache: CacheView, config: GateConfig, nowMs: number, final: boolean): GateEvaluation {
  const c = p.capture;
  const rules = cache.rules(nowMs);
  const stale = !rules || cacheIsStale(cache, rules, nowMs);
  const reasons: GateReason[] = [];
  const missing: string[] = [];
  let complete = true;

  const found = lookupSlip(c, lane, cache, config);
  const slip = found.kind === 'scanned' ? found.slip : found.kind === 'found' ? found.slip : undefined;
  const slipNo = found.kind === 'scanned' ? found.slipNo : slip?.passportNo;
  if (found.kind === 'none') {
    missing.push('no slip');
    complete = false;
  } else if (found.kind === 'ambiguous') {
    reasons.push({ code: 'slip_ambiguous', detail: listed(found.slipNos) });
    complete = false;
  } else if (!slip) {
    reasons.push({ code: 'unknown_slip', detail: slipNo });
  } else {
    const status = statusReason(slip, config.gateRole);
    if (status) reasons.push(status);
    else if (lane.usedSlips.some((u) => u.slipNo === slip.passportNo)) reasons.push({ code: 'slip_reused' });
    if (slip.ioType !== ioTypeOf(config.direction)) reasons.push({ code: 'wrong_direction', detail: `slip ${slip.ioType}, lane ${config.direction}` });
  }

  // Bound to this vehicle: the plate or the electronic plate (customs.md §4).
  const plate = c.plate?.vehicleNo ?? null;
  if (plate === null && c.vehicleIcNo === null) {
    missing.push('no vehicle identity');
    complete = false;
  } else if (slip) {
    const plateOk = plate !== null && normalisePlate(slip.vehicleNo) === plate;
    const icOk = c.vehicleIcNo !== null && slip.vehicleIcNo !== undefined && normalisePlate(slip.vehicleIcNo) === c.vehicleIcNo;
    if (!plateOk && !icOk) reasons.push({ code: 'wrong_vehicle', detail: `${plate ?? c.vehicleIcNo} ≠ ${slip.vehicleNo}` });
  }

  if (c.badContainerNos.length > 0) reasons.push({ code: 'bad_container', detail: listed(c.badContainerNos) });
  if (slip && slip.containerNos.length > 0) {
    const m = matchList(c.containerNos, c.badContainerNos, slip.containerNos.map(normaliseContainerNo));
    if (!m.complete) complete = false;
    if (m.extra.length > 0) reasons.push({ code: 'container_mismatch', detail: `read ${listed(m.extra)}, slip lists ${listed(slip.containerNos)}` });
    else if (final && m.notRead.length > 0 && c.badContainerNos.length === 0) missing.push(`container not read: ${listed(m.notRead)}`);
  }

  if (slip && slip.sealIds.length > 0 && config.requireSealMatch) {
    const m = matchList(c.sealIds, [], slip.sealIds.map((s) => s.trim()));
    if (!m.complete) complete = false;
    if (m.extra.length > 0) reasons.push({ code: 'seal_mismatch', detail: `read ${listed(m.extra)}, slip lists ${listed(slip.sealIds)}` });
    else if (final && m.notRead.length > 0) missing.push(`seal not read: ${listed(m.notRead)}`);
  }
  const seals = new Set([...c.sealIds, ...(slip?.sealIds ?? []).map((s) => s.trim())]);
  const broken = lane.brokenSeals.filter((b) => seals.has(b.sealId));
  if (broken.length > 0) reasons.push({ code: 'seal_broken', detail: broken.map((b) => `${b.sealId} (${b.reason})`).join(', ') });

  // Weighbridge vs slip: the difference is recorded whatever the outcome (wtError).
  const expectedKg = slip ? expectedWeightKg(slip) : undefined;
  let diffKg: number | undefined;
  if (c.weighbridgeKg === null) {
    if (config.requireWeighbridge) {
      missing.push('no weight');
      complete = false;
    }
  } else if (slip && expectedKg === undefined) {
    reasons.push({ code: 'weight_unknown', detail: 'slip has no totalWt and no vehicle tare' });
  } else if (expectedKg !== undefined) {
    diffKg = round3(c.weighbridgeKg - expectedKg);
    const tolKg = round3(Math.max((expectedKg * (rules?.gateWeightTolerancePct ?? DEFAULT_TOLERANCE.pct)) / 100, rules?.gateWeightToleranceKg ?? DEFAULT_TOLERANCE.kg));
    const detail = `${diffKg > 0 ? '+' : ''}${diffKg} kg, tolerance ${tolKg} kg`;
    if (Math.abs(diffKg) > 2 * tolKg) reasons.push({ code: 'weight_far_off', detail });
    else if (Math.abs(diffKg) > tolKg) reasons.push({ code: 'weight_off', detail });
  }

  // Holds and inspection orders on the slip's goods (and on anything the portal read), goods the slip does not list.
  if (slip) {
    const onSlip = new Set(slip.goods);
    const held: string[] = [];
    for (const k of new Set([...slip.goods, ...c.goodsKeys])) {
      const d = cache.decision(k)?.decision;
      if (d === 'hold' || d === 'inspect') held.push(`${k} (${d})`);
    }
    if (held.length > 0) reasons.push({ code: 'goods_held', detail: listed(held) });
    const stray = c.goodsKeys.filter((k) => !onSlip.has(k));
    if (stray.length > 0) reasons.push({ code: 'goods_not_on_slip', detail: listed(stray) });
  }

  if (!rules) reasons.push({ code: 'no_rules' });
  if (cacheIsStale(cache, rules, nowMs)) reasons.push({ code: 'cache_stale' });
  if (final) for (const m of missing) reasons.push({ code: 'incomplete', detail: m });
  const everything = [...p.laneReasons, ...reasons];
  // The event carries at most 16 reasons; the outcome is decided on all of them.
  const all = everything.slice(0, 16);
  const severities = everything.map((r) => GATE_REASONS[r.code].severity);
  const outcome = severities.includes('hard') ? 'alarm' : severities.length > 0 ? 'wait' : 'release';
  const vehicleNo = plate ?? slip?.vehicleNo;
  return {
    complete,
    outcome,
    reasons: all,
    ...(slipNo !== undefined ? { slipNo: clip(slipNo, 128) } : {}),
    ...(vehicleNo !== undefined ? { vehicleNo: clip(vehicleNo, 128) } : {}),
    ...(inRange(expectedKg, 0, 1_000_000) !== undefined ? { expectedKg } : {}),
    ...(inRange(diffKg, -1_000_000, 1_000_000) !== undefined ? { diffKg } : {}),
    cacheVersion: cache.version,
    cacheStale: stale,
  };
}

const toVerdict = (e: GateEvaluation): GateVerdict => {
  const { complete: _complete, ...v } = e;
  return v;
};

// ---------------------------------------------------------------------------------------------------------------
// Captures

function emptyCapture(): GateCapture {
  return { arrivedAtMs: null, slipNo: null, plate: null, vehicleIcNo: null, containerNos: [], badContainerNos: [], sealIds: [], weighbridgeKg: null, goodsKeys: [] };
}

const CAPTURE_KINDS = ['vehicle.arrived', 'slip.scanned', 'plate', 'rfid.plate', 'container', 'seal.read', 'weighbridge', 'goods.read'] as const;
type CaptureInput = Extract<GateInput, { kind: (typeof CAPTURE_KINDS)[number] }>;
const isCapture = (i: GateInput): i is CaptureInput => (CAPTURE_KINDS as readonly string[]).includes(i.kind);

const addUnique = (xs: string[], x: string, max: number) => (xs.includes(x) || xs.length >= max ? xs : [...xs, x]);

/** The capture with this input applied; the same object when the input adds nothing (a re-read). */
function applyCapture(c: GateCapture, input: CaptureInput, nowMs: number): GateCapture {
  switch (input.kind) {
    case 'vehicle.arrived':
      return c.arrivedAtMs !== null ? c : { ...c, arrivedAtMs: nowMs };
    case 'slip.scanned': {
      const slipNo = clip(normaliseSlipNo(input.text), 128);
      return slipNo === '' || slipNo === c.slipNo ? c : { ...c, slipNo };
    }
    case 'plate': {
      const vehicleNo = clip(normalisePlate(input.vehicleNo), 128);
      if (vehicleNo === '' || (c.plate?.vehicleNo === vehicleNo && c.plate.source === input.source)) return c;
      // A typed plate is a person correcting recognition: recognition never overwrites it.
      if (c.plate?.source === 'typed' && input.source === 'anpr') return c;
      return { ...c, plate: { vehicleNo, source: input.source } };
    }
    case 'rfid.plate': {
      const ic = clip(normalisePlate(input.vehicleIcNo), 128);
      return ic === '' || ic === c.vehicleIcNo ? c : { ...c, vehicleIcNo: ic };
    }
    case 'container': {
      const n = normaliseContainerNo(input.containerNo);
      if (n === '') return c;
      if (isValidContainerNo(n)) {
        const containerNos = addUnique(c.containerNos, n, 8);
        return containerNos === c.containerNos ? c : { ...c, containerNos };
      }
      const badContainerNos = addUnique(c.badContainerNos, clip(n, 32), 8);
      return badContainerNos === c.badContainerNos ? c : { ...c, badContainerNos };
    }
    case 'seal.read': {
      const id = clip(input.sealId.trim(), 128);
      if (id === '') return c;
      const sealIds = addUnique(c.sealIds, id, 16);
      return sealIds === c.sealIds ? c : { ...c, sealIds };
    }
    case 'weighbridge': {
      // An empty bridge (0 kg) is no vehicle.
      const w = inRange(input.weightKg, 0, 1_000_000);
      return w === undefined || w === 0 || w === c.weighbridgeKg ? c : { ...c, weighbridgeKg: round3(w) };
    }
    case 'goods.read': {
      let goodsKeys = c.goodsKeys;
      for (const k of input.keys) {
        const key = k.trim();
        if (key !== '' && key.length <= 64) goodsKeys = addUnique(goodsKeys, key, 10_000);
      }
      return goodsKeys === c.goodsKeys ? c : { ...c, goodsKeys };
    }
  }
}

/** Does this capture name a different vehicle or slip than the passage's (the next vehicle, queueing)? */
function foreignTo(p: GatePassage, v: GateVerdict, input: CaptureInput): boolean {
  switch (input.kind) {
    case 'slip.scanned': {
      const n = normaliseSlipNo(input.text);
      return n !== '' && n !== (p.capture.slipNo ?? v.slipNo);
    }
    case 'plate': {
      const n = normalisePlate(input.vehicleNo);
      return n !== '' && n !== (p.capture.plate?.vehicleNo ?? (v.vehicleNo !== undefined ? normalisePlate(v.vehicleNo) : undefined));
    }
    case 'rfid.plate': {
      const n = normalisePlate(input.vehicleIcNo);
      return n !== '' && p.capture.vehicleIcNo !== null && n !== p.capture.vehicleIcNo;
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The machine

interface Ctx {
  nowMs: number;
  cache: CacheView;
  config: GateConfig;
  commands: StationCommand[];
  events: StationEvent[];
}

const timerId = (passageId: string, what: 'capture' | 'raise' | 'close' | 'lower') => `${passageId}:${what}`;

function newPassage(ctx: Ctx, capture: GateCapture, laneReasons: GateReason[] = []): GatePassage {
  return { passageId: `${ctx.config.laneId}-${ctx.nowMs}`, startedAtMs: ctx.nowMs, capture, laneReasons, decided: false };
}

const joinedField = (xs: string[]) => (xs.length > 0 ? clip(xs.join(','), 128) : undefined);

function passageFields(p: GatePassage | null, v: GateVerdict) {
  const containerNo = p ? joinedField([...p.capture.containerNos, ...p.capture.badContainerNos]) : undefined;
  const sealId = p ? joinedField(p.capture.sealIds) : undefined;
  const weighbridgeKg = p?.capture.weighbridgeKg ?? undefined;
  return {
    ...(p ? { passageId: p.passageId } : {}),
    ...(containerNo !== undefined ? { containerNo } : {}),
    ...(sealId !== undefined ? { sealId } : {}),
    ...(weighbridgeKg !== undefined ? { weighbridgeKg } : {}),
    ...(v.expectedKg !== undefined ? { expectedKg: v.expectedKg } : {}),
    ...(v.diffKg !== undefined ? { diffKg: v.diffKg } : {}),
    cacheVersion: v.cacheVersion,
    cacheStale: v.cacheStale,
  };
}

function emitAlarm(ctx: Ctx, lane: GateLane, p: GatePassage | null, v: GateVerdict, reasons: GateReason[], extra: { sealId?: string } = {}): GateLane {
  const strings = reasonStrings(reasons).slice(0, 16);
  ctx.events.push({
    type: 'gate.alarmed',
    payload: {
      laneId: ctx.config.laneId,
      reason: clip(strings.join('; '), 500),
      direction: ctx.config.direction,
      ...(v.slipNo !== undefined ? { slipNo: v.slipNo } : {}),
      ...(v.vehicleNo !== undefined ? { vehicleNo: v.vehicleNo } : {}),
      ...passageFields(p, v),
      ...extra,
      reasons: strings,
    },
  });
  return remember(ctx, lane, { atMs: ctx.nowMs, ...(p ? { passageId: p.passageId } : {}), outcome: 'alarm', ...ids(v), reasons });
}

const ids = (v: GateVerdict) => ({ ...(v.slipNo !== undefined ? { slipNo: v.slipNo } : {}), ...(v.vehicleNo !== undefined ? { vehicleNo: v.vehicleNo } : {}) });

function remember(ctx: Ctx, lane: GateLane, r: GateRecent): GateLane {
  return { ...lane, recent: [r, ...lane.recent].slice(0, ctx.config.recentPassages) };
}

function laneVerdict(ctx: Ctx, reasons: GateReason[]): GateVerdict {
  const rules = ctx.cache.rules(ctx.nowMs);
  return { outcome: 'alarm', reasons, cacheVersion: ctx.cache.version, cacheStale: !rules || cacheIsStale(ctx.cache, rules, ctx.nowMs) };
}

/** Forget used slips the hub's feed now shows as used, and seal alarms past their memory. */
function pruneLane(lane: GateLane, ctx: Ctx): GateLane {
  const usedSlips = lane.usedSlips.filter((u) => {
    const s = ctx.cache.slip(u.slipNo);
    return !s || !hubKnowsUsed(s, ctx.config.gateRole);
  });
  const brokenSeals = lane.brokenSeals.filter((b) => ctx.nowMs - b.atMs <= ctx.config.sealAlarmMemoryMs);
  return usedSlips.length === lane.usedSlips.length && brokenSeals.length === lane.brokenSeals.length ? lane : { ...lane, usedSlips, brokenSeals };
}

/** Start a passage from idle with its first capture. */
function startPassage(lane: GateLane, capture: GateCapture, ctx: Ctx): GateState {
  const passage = newPassage(ctx, capture);
  ctx.commands.push({ kind: 'timer', id: timerId(passage.passageId, 'capture'), atMs: ctx.nowMs + ctx.config.captureTimeoutMs });
  return tryDecide({ phase: 'capturing', passage, lane }, ctx);
}

function tryDecide(s: Extract<GateState, { phase: 'capturing' }>, ctx: Ctx): GateState {
  const e = evaluatePassage(s.passage, s.lane, ctx.cache, ctx.config, ctx.nowMs, false);
  // A hard problem from outside the captures (a seal alarm, the barrier) decides at once; otherwise wait for all.
  const urgent = e.reasons.some((r) => r.code === 'seal_broken' || r.code === 'barrier_forced' || r.code === 'barrier_not_closed');
  if (!e.complete && !urgent) return s;
  return decide(s.lane, s.passage, e, ctx, false);
}

/**
 * Apply a first verdict to a passage still capturing. An early alarm (seal, barrier) leaves the passage undecided,
 * so the captures still to come are not reported as missing.
 */
function decide(lane: GateLane, p: GatePassage, e: GateEvaluation, ctx: Ctx, timedOut: boolean): GateState {
  if (!timedOut) ctx.commands.push({ kind: 'cancel-timer', id: timerId(p.passageId, 'capture') });
  const passage = { ...p, decided: timedOut || e.complete };
  const v = toVerdict(e);
  switch (v.outcome) {
    case 'release':
      return raise(lane, passage, v, null, null, ctx);
    case 'wait':
      return { phase: 'waiting', passage, verdict: v, lane };
    case 'alarm':
      return { phase: 'alarm', passage, verdict: v, lane: emitAlarm(ctx, lane, passage, v, v.reasons) };
  }
}

function raise(lane: GateLane, passage: GatePassage, verdict: GateVerdict, manual: Manual | null, queued: GatePassage | null, ctx: Ctx): GateState {
  const s: Extract<GateState, { phase: 'releasing' }> = { phase: 'releasing', passage, verdict, manual, queued, awaitingClose: false, lane };
  // One vehicle, one lift (一车一杆): a barrier still coming down after the last vehicle closes before it rises again.
  if (lane.barrier.lowerTimerId !== null && lane.barrier.position !== 'closed') return { ...s, awaitingClose: true };
  return commandRaise(s, ctx);
}

function commandRaise(s: Extract<GateState, { phase: 'releasing' }>, ctx: Ctx): GateState {
  ctx.commands.push({ kind: 'barrier', laneId: ctx.config.laneId, action: 'raise' });
  const lane: GateLane = { ...s.lane, barrier: { ...s.lane.barrier, commanded: 'raise' } };
  // Already up (forced open, an officer releasing anyway): its position input will not change.
  if (lane.barrier.position === 'open') return opened({ ...s, awaitingClose: false, lane }, ctx, false);
  ctx.commands.push({ kind: 'timer', id: timerId(s.passage.passageId, 'raise'), atMs: ctx.nowMs + ctx.config.barrierTimeoutMs });
  return { ...s, awaitingClose: false, lane };
}

/** The barrier is up: the vehicle passes now. The passage is recorded as passed and the slip as used here. */
function opened(s: Extract<GateState, { phase: 'releasing' }>, ctx: Ctx, timerSet: boolean): GateState {
  const { passage: p, verdict: v, manual } = s;
  if (timerSet) ctx.commands.push({ kind: 'cancel-timer', id: timerId(p.passageId, 'raise') });
  const strings = reasonStrings(v.reasons).slice(0, 16);
  ctx.events.push({
    type: 'gate.passed',
    payload: {
      laneId: ctx.config.laneId,
      direction: ctx.config.direction,
      ...ids(v),
      ...(manual ? { manual } : {}),
      ...passageFields(p, v),
      ...(strings.length > 0 ? { reasons: strings } : {}),
    },
  });
  let lane = s.lane;
  if (v.slipNo !== undefined && !lane.usedSlips.some((u) => u.slipNo === v.slipNo)) {
    lane = { ...lane, usedSlips: [...lane.usedSlips, { slipNo: v.slipNo, atMs: ctx.nowMs }].slice(-1000) };
  }
  lane = remember(ctx, lane, { atMs: ctx.nowMs, passageId: p.passageId, outcome: 'passed', ...(manual ? { manualBy: manual.by } : {}), ...ids(v), reasons: v.reasons });
  ctx.commands.push({ kind: 'timer', id: timerId(p.passageId, 'close'), atMs: ctx.nowMs + ctx.config.barrierCloseAfterMs });
  const { awaitingClose: _awaiting, ...rest } = s;
  return { ...rest, phase: 'open', lane };
}

/** The vehicle is through (or the close timer fired): lower the barrier and take the next vehicle, if one queued. */
function lower(s: Extract<GateState, { phase: 'open' }>, ctx: Ctx, commandLower: boolean): GateState {
  let lane = s.lane;
  if (commandLower) lane = commandBarrierDown(lane, s.passage.passageId, ctx);
  if (!s.queued) return { phase: 'idle', lane };
  ctx.commands.push({ kind: 'timer', id: timerId(s.queued.passageId, 'capture'), atMs: ctx.nowMs + ctx.config.captureTimeoutMs });
  return tryDecide({ phase: 'capturing', passage: s.queued, lane }, ctx);
}

function commandBarrierDown(lane: GateLane, passageId: string, ctx: Ctx): GateLane {
  ctx.commands.push({ kind: 'barrier', laneId: ctx.config.laneId, action: 'lower' });
  if (lane.barrier.lowerTimerId !== null) ctx.commands.push({ kind: 'cancel-timer', id: lane.barrier.lowerTimerId });
  let lowerTimerId: string | null = null;
  if (lane.barrier.position !== 'closed') {
    lowerTimerId = timerId(passageId, 'lower');
    ctx.commands.push({ kind: 'timer', id: lowerTimerId, atMs: ctx.nowMs + ctx.config.barrierTimeoutMs });
  }
  return { ...lane, barrier: { ...lane.barrier, commanded: 'lower', lowerTimerId } };
}

/** Stop a release before the barrier is up: it goes back down and the passage is an alarm. */
function abortRelease(s: Extract<GateState, { phase: 'releasing' }>, add: GateReason[], ctx: Ctx, recheck: boolean): GateState {
  if (!s.awaitingClose) ctx.commands.push({ kind: 'cancel-timer', id: timerId(s.passage.passageId, 'raise') });
  const passage = { ...s.passage, laneReasons: [...s.passage.laneReasons, ...add] };
  let lane = commandBarrierDown(s.lane, passage.passageId, ctx);
  const v = recheck ? toVerdict(evaluatePassage(passage, lane, ctx.cache, ctx.config, ctx.nowMs, true)) : { ...s.verdict, reasons: [...s.verdict.reasons, ...add].slice(0, 16) };
  const verdict: GateVerdict = { ...v, outcome: 'alarm' };
  lane = emitAlarm(ctx, lane, passage, verdict, verdict.reasons);
  return { phase: 'alarm', passage, verdict, lane };
}

/**
 * Something changed for a passage already decided (waiting or alarm): check it again. From waiting, a clean result
 * releases and a hard one alarms. From an alarm, new captures never release by themselves: a cleared alarm still
 * waits for an officer.
 */
function recheck(s: Extract<GateState, { phase: 'waiting' | 'alarm' }>, passage: GatePassage, ctx: Ctx): GateState {
  const e = evaluatePassage(passage, s.lane, ctx.cache, ctx.config, ctx.nowMs, passage.decided);
  const v = toVerdict(e);
  if (v.outcome === 'alarm') {
    const changed = s.phase !== 'alarm' || !sameReasons(v.reasons, s.verdict.reasons);
    return { phase: 'alarm', passage, verdict: v, lane: changed ? emitAlarm(ctx, s.lane, passage, v, v.reasons) : s.lane };
  }
  if (s.phase === 'waiting') {
    if (v.outcome === 'release') return raise(s.lane, passage, v, null, null, ctx);
    return { phase: 'waiting', passage, verdict: v, lane: s.lane };
  }
  const cleared: GateReason = { code: 'alarm_cleared', detail: clip(reasonStrings(s.verdict.reasons).join('; '), 300) };
  const p = { ...passage, laneReasons: [...passage.laneReasons, cleared] };
  const w = toVerdict(evaluatePassage(p, s.lane, ctx.cache, ctx.config, ctx.nowMs, p.decided));
  return { phase: 'waiting', passage: p, verdict: { ...w, outcome: 'wait' }, lane: s.lane };
}

const BARRIER_CODES: GateReasonCode[] = ['barrier_forced', 'barrier_jammed', 'barrier_not_closed'];

function onCapture(s: GateState, input: CaptureInput, ctx: Ctx): GateState {
  switch (s.phase) {
    case 'idle': {
      const empty = emptyCapture();
      const capture = applyCapture(empty, input, ctx.nowMs);
      return capture === empty ? s : startPassage(s.lane, capture, ctx);
    }
    case 'capturing': {
      const capture = applyCapture(s.passage.capture, input, ctx.nowMs);
      return capture === s.passage.capture ? s : tryDecide({ ...s, passage: { ...s.passage, capture } }, ctx);
    }
    case 'waiting':
    case 'alarm': {
      const barrierTrouble = s.verdict.reasons.filter((r) => BARRIER_CODES.includes(r.code));
      // A new vehicle on the loop, or recognised by a plate reader as another vehicle (lanes without a loop, or a
      // loop that missed it): the one being handled has gone, and nothing of its captures (its plate, its slip) may
      // carry into the next vehicle's passage. A typed plate is a person correcting this passage, never a new one.
      // A broken barrier stays in alarm for the next.
      const anotherVehicle = s.passage !== null && ((input.kind === 'plate' && input.source === 'anpr') || input.kind === 'rfid.plate') && foreignTo(s.passage, s.verdict, input);
      if (input.kind === 'vehicle.arrived' || s.passage === null || anotherVehicle) {
        if (input.kind === 'vehicle.arrived' && s.passage !== null && s.passage.capture.arrivedAtMs === null) {
          // The loop saw the vehicle already being handled (captures came before the loop).
          return recheck(s, { ...s.passage, capture: applyCapture(s.passage.capture, input, ctx.nowMs) }, ctx);
        }
        let lane = s.lane;
        if (s.phase === 'waiting') lane = emitAlarm(ctx, lane, s.passage, s.verdict, [...s.verdict.reasons, { code: 'passage_abandoned' }]);
        const capture = applyCapture(emptyCapture(), input, ctx.nowMs);
        if (barrierTrouble.length === 0) return startPassage(lane, capture, ctx);
        const passage = newPassage(ctx, capture, barrierTrouble);
        const v = toVerdict(evaluatePassage(passage, lane, ctx.cache, ctx.config, ctx.nowMs, false));
        return { phase: 'alarm', passage, verdict: v, lane };
      }
      const capture = applyCapture(s.passage.capture, input, ctx.nowMs);
      return capture === s.passage.capture ? s : recheck(s, { ...s.passage, capture }, ctx);
    }
    case 'releasing':
    case 'open': {
      if (s.queued) {
        const capture = applyCapture(s.queued.capture, input, ctx.nowMs);
        return capture === s.queued.capture ? s : { ...s, queued: { ...s.queued, capture } };
      }
      // The next vehicle's loop, slip or plate while this one goes through: start its passage aside.
      if ((input.kind === 'vehicle.arrived' && s.phase === 'open') || foreignTo(s.passage, s.verdict, input)) {
        return { ...s, queued: newPassage(ctx, applyCapture(emptyCapture(), input, ctx.nowMs)) };
      }
      if (input.kind !== 'goods.read') return s;
      // The portal reads this vehicle's goods late: anything new against the slip stops a release not yet open.
      const capture = applyCapture(s.passage.capture, input, ctx.nowMs);
      if (capture === s.passage.capture) return s;
      return lateFinding(s, { ...s.passage, capture }, [], ctx);
    }
  }
}

/** New information about a passage already released: stop it if the barrier is not up yet, else record it. */
function lateFinding(s: Extract<GateState, { phase: 'releasing' | 'open' }>, passage: GatePassage, add: GateReason[], ctx: Ctx): GateState {
  const p = { ...passage, laneReasons: [...passage.laneReasons, ...add] };
  const e = evaluatePassage(p, s.lane, ctx.cache, ctx.config, ctx.nowMs, true);
  const known = new Set(reasonStrings(s.verdict.reasons));
  const fresh = e.reasons.filter((r) => GATE_REASONS[r.code].severity === 'hard' && !known.has(reasonText(r)));
  if (fresh.length === 0) return { ...s, passage: p };
  if (s.phase === 'releasing') return abortRelease({ ...s, passage }, add, ctx, true);
  return { ...s, passage: p, lane: emitAlarm(ctx, s.lane, p, toVerdict(e), fresh) };
}

/** A problem of the lane itself (barrier forced or stuck): alarm whatever the lane is doing. */
function laneAlarm(s: GateState, reason: GateReason, ctx: Ctx): GateState {
  switch (s.phase) {
    case 'idle': {
      const v = laneVerdict(ctx, [reason]);
      return { phase: 'alarm', passage: null, verdict: v, lane: emitAlarm(ctx, s.lane, null, v, [reason]) };
    }
    case 'capturing': {
      ctx.commands.push({ kind: 'cancel-timer', id: timerId(s.passage.passageId, 'capture') });
      const passage = { ...s.passage, laneReasons: [...s.passage.laneReasons, reason] };
      const v = toVerdict(evaluatePassage(passage, s.lane, ctx.cache, ctx.config, ctx.nowMs, false));
      return { phase: 'alarm', passage, verdict: v, lane: emitAlarm(ctx, s.lane, passage, v, v.reasons) };
    }
    case 'waiting':
    case 'alarm': {
      if (s.passage === null) {
        const v = laneVerdict(ctx, [...s.verdict.reasons, reason].slice(0, 16));
        return { phase: 'alarm', passage: null, verdict: v, lane: emitAlarm(ctx, s.lane, null, v, v.reasons) };
      }
      return recheck(s, { ...s.passage, laneReasons: [...s.passage.laneReasons, reason] }, ctx);
    }
    case 'releasing':
      return abortRelease(s, [reason], ctx, false);
    case 'open':
      return { ...s, lane: emitAlarm(ctx, s.lane, s.passage, s.verdict, [reason]) };
  }
}

function sealAlarm(s: GateState, input: Extract<GateInput, { kind: 'seal.alarm' }>, ctx: Ctx): GateState {
  const sealId = clip(input.sealId.trim(), 128);
  if (sealId === '') return s;
  const why = clip(input.reason.trim() || 'opened outside the zone fence', 200);
  const lane: GateLane = { ...s.lane, brokenSeals: [...s.lane.brokenSeals.filter((b) => b.sealId !== sealId), { sealId, reason: why, atMs: ctx.nowMs }].slice(-500) };
  const passage = s.phase === 'idle' ? null : s.passage;
  const slip = passage ? lookupSlip(passage.capture, lane, ctx.cache, ctx.config) : null;
  const slipSeals = slip && (slip.kind === 'scanned' || slip.kind === 'found') ? (slip.slip?.sealIds ?? []) : [];
  const ours = passage !== null && (passage.capture.sealIds.includes(sealId) || slipSeals.map((x) => x.trim()).includes(sealId));
  const reason: GateReason = { code: 'seal_broken', detail: `${sealId} (${why})` };
  if (!ours) {
    // Not the vehicle in the lane: recorded as a lane alarm, and remembered should that seal come to this lane.
    return { ...s, lane: emitAlarm(ctx, lane, null, laneVerdict(ctx, [reason]), [reason], { sealId }) };
  }
  const t: GateState = { ...s, lane };
  switch (t.phase) {
    case 'capturing':
      return tryDecide(t, ctx);
    case 'waiting':
    case 'alarm':
      return recheck(t, t.passage!, ctx);
    case 'releasing':
    case 'open':
      return lateFinding(t, t.passage, [], ctx);
    default:
      return t;
  }
}

function cleanText(s: string, max: number): string {
  return clip(s.trim(), max);
}

function manualRelease(s: GateState, input: Extract<GateInput, { kind: 'manual.release' }>, ctx: Ctx): GateState {
  const manual = { by: cleanText(input.officerId, 128), reason: cleanText(input.reason, 500) };
  // Who and why are the record of an override: without both, nothing happens.
  if (manual.by === '' || manual.reason === '') return s;
  switch (s.phase) {
    case 'capturing': {
      ctx.commands.push({ kind: 'cancel-timer', id: timerId(s.passage.passageId, 'capture') });
      const passage = { ...s.passage, decided: true };
      return raise(s.lane, passage, toVerdict(evaluatePassage(passage, s.lane, ctx.cache, ctx.config, ctx.nowMs, true)), manual, null, ctx);
    }
    case 'waiting':
    case 'alarm':
      return s.passage === null ? s : raise(s.lane, s.passage, s.verdict, manual, null, ctx);
    default:
      return s;
  }
}

/**
 * An operator sends the vehicle back. Recorded as the lane's refusal (gate.alarmed with who and why), not as an
 * `officer.action`: the hub takes officer actions from configured inspection benches only, as findings, and refuses
 * (and alarms on) any other — a gate lane deciding nothing for customs has no reason to send one.
 */
function manualReject(s: GateState, input: Extract<GateInput, { kind: 'manual.reject' }>, ctx: Ctx): GateState {
  const by = cleanText(input.officerId, 128);
  const why = cleanText(input.reason, 500);
  if (by === '' || why === '') return s;
  const rejected: GateReason = { code: 'rejected', detail: `${by}: ${why}` };
  switch (s.phase) {
    case 'capturing':
    case 'waiting': {
      if (s.phase === 'capturing') ctx.commands.push({ kind: 'cancel-timer', id: timerId(s.passage.passageId, 'capture') });
      const v = s.phase === 'waiting' ? s.verdict : toVerdict(evaluatePassage(s.passage, s.lane, ctx.cache, ctx.config, ctx.nowMs, true));
      const lane = emitAlarm(ctx, s.lane, s.passage, { ...v, outcome: 'alarm' }, [...v.reasons, rejected]);
      return { phase: 'idle', lane: { ...lane, recent: lane.recent.map((r, i) => (i === 0 ? { ...r, outcome: 'rejected' as const } : r)) } };
    }
    case 'alarm': {
      if (s.passage === null) return { phase: 'idle', lane: s.lane };
      const lane = emitAlarm(ctx, s.lane, s.passage, s.verdict, [...s.verdict.reasons, rejected]);
      return { phase: 'idle', lane: remember(ctx, lane, { atMs: ctx.nowMs, passageId: s.passage.passageId, outcome: 'rejected', ...ids(s.verdict), reasons: [rejected] }) };
    }
    case 'releasing': {
      const t = abortRelease(s, [rejected], ctx, false);
      return t.phase === 'alarm' ? { phase: 'idle', lane: t.lane } : t;
    }
    default:
      return s;
  }
}

function barrierState(s: GateState, open: boolean, ctx: Ctx): GateState {
  const was = s.lane.barrier;
  let lane: GateLane = { ...s.lane, barrier: { ...was, position: open ? 'open' : 'closed' } };
  if (!open) {
    if (was.lowerTimerId !== null) ctx.commands.push({ kind: 'cancel-timer', id: was.lowerTimerId });
    // A raise is over once the barrier is seen down outside a release: a later opening is not commanded.
    const commanded = was.commanded === 'raise' && s.phase !== 'releasing' ? null : was.commanded;
    lane = { ...lane, barrier: { ...lane.barrier, commanded, forcedAlarm: false, lowerTimerId: null } };
    // Down on its own while the vehicle was passing (the controller's own safety close): the passage is over.
    if (s.phase === 'open') {
      ctx.commands.push({ kind: 'cancel-timer', id: timerId(s.passage.passageId, 'close') });
      return lower({ ...s, lane }, ctx, false);
    }
    if (s.phase === 'releasing' && s.awaitingClose) return commandRaise({ ...s, lane }, ctx);
    return { ...s, lane };
  }
  if (s.phase === 'releasing') return s.awaitingClose ? { ...s, lane } : opened({ ...s, lane }, ctx, true);
  if (s.phase === 'open') return { ...s, lane };
  // Closed → open with no raise commanded: someone lifted it.
  if (was.position === 'closed' && was.commanded !== 'raise' && !was.forcedAlarm) {
    return laneAlarm({ ...s, lane: { ...lane, barrier: { ...lane.barrier, forcedAlarm: true } } }, { code: 'barrier_forced' }, ctx);
  }
  return { ...s, lane };
}

function barrierForced(s: GateState, ctx: Ctx): GateState {
  if (s.lane.barrier.forcedAlarm) return s;
  return laneAlarm({ ...s, lane: { ...s.lane, barrier: { ...s.lane.barrier, forcedAlarm: true } } }, { code: 'barrier_forced' }, ctx);
}

function commandFailed(s: GateState, input: Extract<GateInput, { kind: 'command.failed' }>, ctx: Ctx): GateState {
  const cmd = input.command;
  if (cmd.kind !== 'barrier') return s; // a timer the shell could not set only delays; stale timers are ignored by id
  const detail = clip(`command failed: ${input.reason}`, 300);
  if (cmd.action === 'raise') return s.phase === 'releasing' ? laneAlarm(s, { code: 'barrier_jammed', detail }, ctx) : s;
  const timer = s.lane.barrier.lowerTimerId;
  if (timer !== null) ctx.commands.push({ kind: 'cancel-timer', id: timer });
  return laneAlarm({ ...s, lane: { ...s.lane, barrier: { ...s.lane.barrier, lowerTimerId: null } } }, { code: 'barrier_not_closed', detail }, ctx);
}

function onTimer(s: GateState, id: string, ctx: Ctx): GateState {
  if (s.phase === 'capturing' && id === timerId(s.passage.passageId, 'capture')) {
    return decide(s.lane, s.passage, evaluatePassage(s.passage, s.lane, ctx.cache, ctx.config, ctx.nowMs, true), ctx, true);
  }
  if (s.phase === 'releasing' && !s.awaitingClose && id === timerId(s.passage.passageId, 'raise')) {
    return laneAlarm(s, { code: 'barrier_jammed', detail: `not open ${ctx.config.barrierTimeoutMs} ms after the raise` }, ctx);
  }
  if (s.phase === 'open' && id === timerId(s.passage.passageId, 'close')) return lower(s, ctx, true);
  if (id === s.lane.barrier.lowerTimerId) {
    const lane = { ...s.lane, barrier: { ...s.lane.barrier, lowerTimerId: null } };
    if (lane.barrier.position === 'closed') return { ...s, lane };
    return laneAlarm({ ...s, lane }, { code: 'barrier_not_closed', detail: `not closed ${ctx.config.barrierTimeoutMs} ms after the lower` }, ctx);
  }
  return s; // a timer of a passage already decided: nothing to do
}

/**
 * The gate lane's decision: pure, deterministic, no clock but `nowMs`. The shell journals the events with the new
 * state in one transaction, then runs the commands; their results come back as inputs.
 */
export function decideGate(state: GateState, input: GateInput, nowMs: number, cache: CacheView, config: GateConfig): Decision<GateState> {
  const ctx: Ctx = { nowMs, cache, config, commands: [], events: [] };
  const lane = pruneLane(state.lane, ctx);
  const s: GateState = lane === state.lane ? state : { ...state, lane };
  let next: GateState;
  if (isCapture(input)) next = onCapture(s, input, ctx);
  else {
    switch (input.kind) {
      case 'seal.alarm':
        next = sealAlarm(s, input, ctx);
        break;
      case 'manual.release':
        next = manualRelease(s, input, ctx);
        break;
      case 'manual.reject':
        next = manualReject(s, input, ctx);
        break;
      case 'barrier.state':
        next = barrierState(s, input.open, ctx);
        break;
      case 'barrier.forced':
        next = barrierForced(s, ctx);
        break;
      case 'command.failed':
        next = commandFailed(s, input, ctx);
        break;
      case 'timer':
        next = onTimer(s, input.id, ctx);
        break;
      case 'vehicle.left':
        // Only a vehicle going through an open barrier leaves; a late loop report at any other time is ignored.
        if (s.phase === 'open') {
          ctx.commands.push({ kind: 'cancel-timer', id: timerId(s.passage.passageId, 'close') });
          next = lower(s, ctx, true);
        } else next = s;
        break;
    }
  }
  return { state: next, commands: ctx.commands, events: ctx.events };
}

// ---------------------------------------------------------------------------------------------------------------
// Console

const joinReasons = (rs: GateReason[], lang: 'en' | 'zh') => rs.map((r) => reasonText(r, lang)).join(lang === 'zh' ? '；' : '; ');

export function gateDisplay(state: GateState): StationDisplay {
  const passage = state.phase === 'idle' ? null : state.passage;
  let verdict: StationDisplay['verdict'] = null;
  switch (state.phase) {
    case 'idle':
      break;
    case 'capturing':
      verdict = { tone: 'idle', zh: '正在采集', en: 'Capturing' };
      break;
    case 'waiting':
      verdict = {
        tone: 'wait',
        zh: '等待人工确认',
        en: 'Waiting for manual confirmation',
        detail: `${joinReasons(state.verdict.reasons, 'zh')} / ${joinReasons(state.verdict.reasons, 'en')}`,
        details: { zh: joinReasons(state.verdict.reasons, 'zh'), en: joinReasons(state.verdict.reasons, 'en') },
      };
      break;
    case 'alarm':
      // The headline in both languages, the reasons in the reader's (issue 17 item 5: not the English reasons large
      // beside the Chinese small).
      verdict = { tone: 'stop', zh: '禁止通行', en: 'Alarm: no passage', detail: joinReasons(state.verdict.reasons, 'zh'), details: { zh: joinReasons(state.verdict.reasons, 'zh'), en: joinReasons(state.verdict.reasons, 'en') } };
      break;
    case 'releasing':
    case 'open':
      verdict = {
        tone: 'go',
        zh: '放行',
        en: 'Release',
        ...(state.manual ? { detail: `人工放行 Manual release: ${state.manual.by} (${state.manual.reason})` } : {}),
      };
      break;
  }
  const c = passage?.capture;
  const lastCodes = c ? [c.slipNo, c.plate?.vehicleNo ?? null, c.vehicleIcNo, ...c.containerNos, ...c.badContainerNos, ...c.sealIds].filter((x): x is string => x !== null) : [];
  const recent = state.lane.recent.map((r) => {
    const who = [r.slipNo, r.vehicleNo].filter(Boolean).join(' ');
    const tone = r.outcome === 'passed' ? ('go' as const) : ('stop' as const);
    const zhHead = r.outcome === 'passed' ? (r.manualBy ? `人工放行（${r.manualBy}）` : '放行') : r.outcome === 'rejected' ? '人工拒绝' : `禁止通行：${joinReasons(r.reasons, 'zh')}`;
    const enHead = r.outcome === 'passed' ? (r.manualBy ? `Manual release (${r.manualBy})` : 'Release') : r.outcome === 'rejected' ? 'Rejected' : `Alarm: ${joinReasons(r.reasons, 'en')}`;
    return { atMs: r.atMs, zh: who ? `${who} ${zhHead}` : zhHead, en: who ? `${who} ${enHead}` : enHead, tone };
  });
  return { verdict, lastCodes, weightKg: c?.weighbridgeKg ?? null, recent };
}
