/**
 * What one scanner read is: a GS1 element string, a UPU S10 postal identifier or a plain waybill (logisticsNo).
 * Pure; the drivers hand every line to it, stations and the hub reuse it. References: devices.md §2–3, customs.md §7.
 */
import { parseAimPrefix, type Symbology } from './aim.ts';
import { GS, isValidGs1Key, parseGs1, type Gs1Derived, type Gs1Element, type Gs1Options } from './gs1.ts';
import { parseS10 } from './s10.ts';

interface ReadSource {
  symbology: Symbology;
  aim?: string;
}

export type ClassifiedRead =
  | ({ kind: 'gs1'; elements: Gs1Element[]; derived: Gs1Derived } & ReadSource)
  | ({ kind: 's10'; value: string; serviceIndicator: string; serial: string; checkDigit: number; country: string } & ReadSource)
  | ({ kind: 'logistics_no'; value: string } & ReadSource)
  /**
   * A GS1 read that has more than one valid reading (no GS separators): kept whole with every reading, never
   * stored as one of them. `text` is the read as received (trimmed, AIM identifier included).
   */
  | ({ kind: 'ambiguous'; reason: string; text: string; readings: Gs1Element[][]; complete: boolean } & ReadSource)
  | ({ kind: 'rejected'; reason: string } & ReadSource);

/** CEB logisticsNo: 1–32 characters of letters, digits and '-'. */
const LOGISTICS_NO = /^[A-Za-z0-9-]{1,32}$/;

/**
 * Decide what one read is: a GS1 element string, a UPU S10 postal identifier, or a plain waybill number
 * (logisticsNo). Carrier numbers without a published check digit (SF, YTO, ZTO, JD, …) are never rejected for
 * lacking one; a bare digit string without an EAN/UPC symbology identifier is a waybill, not a GTIN.
 */
export function classifyRead(raw: string, options: Gs1Options = {}): ClassifiedRead {
  const text = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  const { symbology, aim, gs1, data } = parseAimPrefix(text);
  const src: ReadSource = aim === undefined ? { symbology } : { symbology, aim };
  if (data.length === 0) return { kind: 'rejected', reason: 'empty read', ...src };

  if (gs1) {
    const r = parseGs1(data, options);
    if (r.status === 'ok') return { kind: 'gs1', elements: r.elements, derived: r.derived, ...src };
    if (r.status === 'ambiguous') return { kind: 'ambiguous', reason: `GS1 ${symbology}: ${r.reason}`, text, readings: r.readings, complete: r.complete, ...src };
    return { kind: 'rejected', reason: `GS1 ${symbology}: ${r.reason}`, ...src };
  }

  if (symbology === 'ean13' || symbology === 'ean8') {
    const digits = symbology === 'ean13' ? 13 : 8;
    if (data.length !== digits || !isValidGs1Key(data)) {
      return { kind: 'rejected', reason: `${symbology} "${data}" is not a valid GTIN-${digits}`, ...src };
    }
    const gtin = data.padStart(14, '0');
    return { kind: 'gs1', elements: [{ ai: '01', value: gtin, label: 'GTIN' }], derived: { gtin }, ...src };
  }

  // No GS1 symbology identifier: GS1 only if it is unmistakably an element string.
  if (data.includes(GS)) {
    const r = parseGs1(data, options);
    return r.status === 'ok'
      ? { kind: 'gs1', elements: r.elements, derived: r.derived, ...src }
      : { kind: 'rejected', reason: `contains GS separators but is not valid GS1: ${r.reason}`, ...src };
  }
  if (/^0[01]\d/.test(data)) {
    const r = parseGs1(data, options);
    // starts with (00) SSCC or (01) GTIN, which therefore passed the check digit, and parses to the end
    if (r.status === 'ok') return { kind: 'gs1', elements: r.elements, derived: r.derived, ...src };
    // a valid key followed by AIs that can be cut two ways: GS1 for sure, but which GS1 is not known
    if (r.status === 'ambiguous') return { kind: 'ambiguous', reason: `GS1 without AIM identifier: ${r.reason}`, text, readings: r.readings, complete: r.complete, ...src };
  }

  const upper = data.toUpperCase();
  if (/^[A-Z]{2}\d{9}[A-Z]{2}$/.test(upper)) {
    const s = parseS10(upper);
    return s.ok
      ? { kind: 's10', value: s.value, serviceIndicator: s.serviceIndicator, serial: s.serial, checkDigit: s.checkDigit, country: s.country, ...src }
      : { kind: 'rejected', reason: s.reason, ...src };
  }

  if (LOGISTICS_NO.test(data)) return { kind: 'logistics_no', value: data, ...src };
  return {
    kind: 'rejected',
    reason: data.length > 32
      ? `not a logisticsNo: ${data.length} characters (max 32)`
      : 'not a logisticsNo: only letters, digits and "-" are allowed',
    ...src,
  };
}
