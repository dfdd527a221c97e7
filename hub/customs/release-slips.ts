import { z } from 'zod';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import { isValidContainerNo, normaliseContainerNo, normalisePlate } from '../../shared/stations/gate.ts';
import type { CaseRecord } from '../repos/cases.ts';

/**
 * Release slips (核放单, customs.md §4), the pure part: what an issue request must look like, whether its parcels may go
 * on a slip, the slip the gate gets, the slip number, and which status changes free the parcels again. No I/O here;
 * hub/services/release-slips.ts runs it against the case and slip repositories.
 */

export type SlipStatus = ReleaseSlip['status'];
export type IoType = ReleaseSlip['ioType'];

/** The feed's slip schema caps goods at 10,000 (one vehicle's load): the same cap here. */
export const MAX_SLIP_PARCELS = 10_000;

// ---------------------------------------------------------------------------------------------------------------------
// Vehicle plates

const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
/** Plate letters: I and O are never issued (GA 36), they read as 1 and 0. */
const LETTER = 'A-HJ-NP-Z';
/** 7 characters: province, authority letter, five letters/digits; trailers, coach-school, police and HK/Macau cross-border trucks end in 挂学警港澳. */
const REGULAR_PLATE = new RegExp(`^[${PROVINCES}][${LETTER}][${LETTER}0-9]{4}[${LETTER}0-9挂学警港澳]$`, 'u');
/** 8 characters (new energy): small vehicles D/F then a letter or digit and 4 digits; large vehicles 5 digits then D/F. */
const NEW_ENERGY_PLATE = new RegExp(`^[${PROVINCES}][${LETTER}](?:[DF][${LETTER}0-9]\\d{4}|\\d{5}[DF])$`, 'u');

/** A Chinese road plate, after the gate's own normalisation (粤B·12345 = 粤b 12345). */
export function isValidPlate(vehicleNo: string): boolean {
  const p = normalisePlate(vehicleNo);
  return REGULAR_PLATE.test(p) || NEW_ENERGY_PLATE.test(p);
}

// ---------------------------------------------------------------------------------------------------------------------
// The request

const duplicates = (xs: readonly string[]) => {
  const first = new Map<string, number>();
  const dup: { index: number; of: number }[] = [];
  xs.forEach((x, i) => {
    const at = first.get(x);
    if (at === undefined) first.set(x, i);
    else dup.push({ index: i, of: at });
  });
  return dup;
};

/**
 * An officer's issue request. Plates and container numbers are stored normalised the way the gate compares them, so
 * the slip says exactly what the lane will read.
 */
export const SlipIssueRequest = z
  .object({
    ioType: z.enum(['I', 'E']),
    gateMode: z.enum(['single', 'double']).default('single'),
    vehicleNo: z
      .string()
      .max(32)
      .transform(normalisePlate)
      .refine(isValidPlate, 'not a Chinese plate: province + letter + 5 (e.g. 粤B12345) or new energy 6 (粤BD12345)'),
    /** Electronic plate (RFID), when the lane reads one. */
    vehicleIcNo: z.string().trim().min(1).max(64).optional(),
    /** Tare: without it the gate cannot know what the weighbridge should read. */
    vehicleWtKg: z.number().positive().max(100_000).optional(),
    containerWtKg: z.number().positive().max(100_000).optional(),
    containerNos: z
      .array(z.string().max(32).transform(normaliseContainerNo).refine(isValidContainerNo, 'not an ISO 6346 container number (owner code, U/J/Z, 6 digits, check digit)'))
      .max(4)
      .default([]),
    sealIds: z.array(z.string().trim().min(1).max(64)).max(8).default([]),
    parcelKeys: z.array(z.string().trim().min(1).max(64)).min(1).max(MAX_SLIP_PARCELS),
  })
  .superRefine((r, ctx) => {
    for (const field of ['parcelKeys', 'containerNos', 'sealIds'] as const) {
      for (const d of duplicates(r[field])) ctx.addIssue({ code: 'custom', path: [field, d.index], message: `duplicate of ${field}[${d.of}]` });
    }
    if (r.containerWtKg !== undefined && r.containerNos.length === 0) ctx.addIssue({ code: 'custom', path: ['containerWtKg'], message: 'a container weight without a container number' });
  });
export type SlipIssueRequest = z.output<typeof SlipIssueRequest>;
export type SlipIssueRequestInput = z.input<typeof SlipIssueRequest>;

// ---------------------------------------------------------------------------------------------------------------------
// Checking the parcels

/** What the check needs of a parcel's customs case. */
export type SlipCase = Pick<CaseRecord, 'parcelKey' | 'status' | 'direction' | 'declaredWeightKg'>;
/** A parcel bound to a slip that is not void or deleted. */
export interface SlipBinding {
  parcelKey: string;
  passportNo: string;
  status: SlipStatus;
}

export type SlipProblem =
  | { parcelKey: string; problem: 'no_case' }
  | { parcelKey: string; problem: 'not_released'; status: CaseRecord['status'] }
  | { parcelKey: string; problem: 'on_slip'; passportNo: string; slipStatus: SlipStatus }
  | { parcelKey: string; problem: 'mixed_direction'; direction: CaseRecord['direction']; slipDirection: CaseRecord['direction'] }
  | { parcelKey: string; problem: 'wrong_io_type'; direction: CaseRecord['direction']; ioType: IoType }
  | { parcelKey: string; problem: 'no_weight' };

/**
 * Which slip direction a released case may travel on. Import parcels customs released (1210 bonded / 9610 direct) go
 * out to the domestic buyer across the second line: exit slips only (customs.md §5 steps 8–9). Export parcels leave for
 * the port on an exit slip (9610), or, cleared for bonded export (1210), enter the zone on an entry slip.
 */
export const IO_TYPES_FOR: Readonly<Record<CaseRecord['direction'], readonly IoType[]>> = { import: ['E'], export: ['E', 'I'] };

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The slip as the gate checks it, before it has a number. */
export type SlipDraft = Omit<ReleaseSlip, 'passportNo'>;

export type SlipPlan = { ok: true; slip: SlipDraft; direction: CaseRecord['direction'] } | { ok: false; problems: SlipProblem[] };

/**
 * Pure: may these parcels go on one slip, and with what weights? Every parcel needs a released case with a declared
 * weight, on no other slip still binding it; import and export cases do not share a slip (they clear under different
 * lists), and the direction must fit the slip's ioType. Every problem is named, parcel by parcel.
 *
 * The slip is 'approved' at once: this zone's customs approves slips locally (no SAS121 round trip to 金二), so an
 * issued slip is immediately what the gate accepts. A zone that files with the national system would issue 'applied'
 * and approve on the receipt.
 */
export function planSlip(req: SlipIssueRequest, cases: ReadonlyMap<string, SlipCase>, bindings: ReadonlyMap<string, SlipBinding>): SlipPlan {
  const problems: SlipProblem[] = [];
  // The slip's direction is the one most of its parcels have: the others are named as the odd ones out.
  const counts = { import: 0, export: 0 };
  for (const k of req.parcelKeys) {
    const c = cases.get(k);
    if (c) counts[c.direction]++;
  }
  const direction: CaseRecord['direction'] = counts.export > counts.import ? 'export' : 'import';
  let totalGrossWtKg = 0;
  for (const parcelKey of req.parcelKeys) {
    const c = cases.get(parcelKey);
    const b = bindings.get(parcelKey);
    if (!c) problems.push({ parcelKey, problem: 'no_case' });
    else {
      if (c.status !== 'released') problems.push({ parcelKey, problem: 'not_released', status: c.status });
      if (c.direction !== direction) problems.push({ parcelKey, problem: 'mixed_direction', direction: c.direction, slipDirection: direction });
      else if (!IO_TYPES_FOR[c.direction].includes(req.ioType)) problems.push({ parcelKey, problem: 'wrong_io_type', direction: c.direction, ioType: req.ioType });
      if (c.declaredWeightKg === null) problems.push({ parcelKey, problem: 'no_weight' });
      else totalGrossWtKg += c.declaredWeightKg;
    }
    if (b) problems.push({ parcelKey, problem: 'on_slip', passportNo: b.passportNo, slipStatus: b.status });
  }
  if (problems.length > 0) return { ok: false, problems };
  totalGrossWtKg = round3(totalGrossWtKg);
  const totalWtKg = req.vehicleWtKg === undefined ? undefined : round3(req.vehicleWtKg + (req.containerWtKg ?? 0) + totalGrossWtKg);
  const slip: SlipDraft = {
    ioType: req.ioType,
    status: 'approved',
    gateMode: req.gateMode,
    vehicleNo: req.vehicleNo,
    ...(req.vehicleIcNo !== undefined ? { vehicleIcNo: req.vehicleIcNo } : {}),
    containerNos: req.containerNos,
    sealIds: req.sealIds,
    ...(req.vehicleWtKg !== undefined ? { vehicleWtKg: req.vehicleWtKg } : {}),
    ...(req.containerWtKg !== undefined ? { containerWtKg: req.containerWtKg } : {}),
    totalGrossWtKg,
    ...(totalWtKg !== undefined ? { totalWtKg } : {}),
    goods: req.parcelKeys,
  };
  return { ok: true, slip, direction };
}

/** One line per problem, for the officer (and the 409's field list). */
export function problemText(p: SlipProblem): string {
  switch (p.problem) {
    case 'no_case':
      return 'no customs case';
    case 'not_released':
      return `case is ${p.status}, not released`;
    case 'on_slip':
      return `already on slip ${p.passportNo} (${p.slipStatus})`;
    case 'mixed_direction':
      return `an ${p.direction} parcel among ${p.slipDirection} parcels`;
    case 'wrong_io_type':
      return `an ${p.direction} parcel cannot travel on an ${p.ioType === 'I' ? 'entry (I)' : 'exit (E)'} slip`;
    case 'no_weight':
      return 'no declared weight: the gate could not check the load';
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Slip numbers

/**
 * passportNo: `Z` + 4-digit customs district + I/E + 2-digit year + 13-digit serial, 21 characters — the form of the
 * demo's Z5301E260000000000001 (district 5301, exit, 2026, serial 1). customs.md's Z3111I24072800… puts a date after
 * the year; a locally approved slip needs no date, and a serial per (district, direction, year) keeps numbers unique
 * and sortable. The gate only needs it unique: it reads the number back from the QR.
 */
export const PASSPORT_NO = /^Z(\d{4})([IE])(\d{2})(\d{13})$/;
export const MAX_SERIAL = 9_999_999_999_999;

export interface PassportNoParts {
  district: string;
  ioType: IoType;
  /** Full year (2026). */
  year: number;
  serial: number;
}

export function formatPassportNo(p: PassportNoParts): string {
  if (!/^\d{4}$/.test(p.district)) throw new RangeError(`customs district must be 4 digits: ${p.district}`);
  if (!Number.isSafeInteger(p.serial) || p.serial < 1 || p.serial > MAX_SERIAL) throw new RangeError(`slip serial out of range: ${p.serial}`);
  return `Z${p.district}${p.ioType}${String(p.year % 100).padStart(2, '0')}${String(p.serial).padStart(13, '0')}`;
}

/** The parts of a slip number in this format; null for anything else (hand-made slips may use other forms). */
export function parsePassportNo(no: string): PassportNoParts | null {
  const m = PASSPORT_NO.exec(no);
  if (!m) return null;
  return { district: m[1]!, ioType: m[2] as IoType, year: 2000 + Number(m[3]), serial: Number(m[4]) };
}

// ---------------------------------------------------------------------------------------------------------------------
// Status changes

/**
 * Does a slip in this status still hold its parcels? Void and deleted slips free them for another slip. A passed exit
 * slip keeps them: they left the zone on it. A passed entry slip frees them: the goods are inside now and leave later
 * on an exit slip of their own.
 */
export function bindsParcels(status: SlipStatus, ioType: IoType): boolean {
  if (status === 'void' || status === 'deleted') return false;
  return !(status === 'passed' && ioType === 'I');
}

/** Why a slip may not be voided (null: it may). Only before any gate passage: after one, the goods have moved. */
export function voidRefusal(status: SlipStatus): string | null {
  switch (status) {
    case 'applied':
    case 'approved':
      return null;
    case 'passed_gate1':
      return 'the slip has passed gate 1';
    case 'passed':
      return 'the slip has passed the gate';
    case 'void':
      return 'the slip is already void';
    case 'deleted':
      return 'the slip was deleted';
  }
}
