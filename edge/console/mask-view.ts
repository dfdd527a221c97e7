import { maskIdNumber, maskPhone } from '../../shared/mask.ts';
import type { ConsoleView } from './types.ts';

/**
 * The console never shows a buyer's resident ID number or mobile number (PIPL; customs.md keeps them on the
 * order only). Station texts are free-form, so they are scanned here, at the one place every view and result
 * leaves the edge, rather than trusting each station to remember.
 *
 * ID: 18 characters shaped as a resident ID (region, birth date 18xx–20xx, sequence, check digit or X), not part
 * of a longer digit run, so an SSCC (20 digits) or a long numeric waybill is left alone. Mobile: 1[3-9] and 9
 * more digits, optionally +86 / 86 in front, optionally split 3-4-4 by a space or a dash.
 */
const ID_NUMBER = /(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)/g;
const MOBILE = /(?<!\d)((?:\+?86[-\s]?)?)(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})(?!\d)/g;

export function maskText(text: string): string {
  return text
    .replace(ID_NUMBER, (id) => maskIdNumber(id))
    .replace(MOBILE, (_m, prefix: string, a: string, b: string, c: string) => `${prefix}${maskPhone(`${a}${b}${c}`)}`);
}

const maskOptional = (text: string | undefined) => (text === undefined ? undefined : maskText(text));

/** A copy of the view with every text an operator reads masked; ids, keys and numbers pass unchanged. */
export function maskView(view: ConsoleView): ConsoleView {
  const { display } = view;
  return {
    display: {
      verdict: display.verdict && { ...display.verdict, zh: maskText(display.verdict.zh), en: maskText(display.verdict.en), detail: maskOptional(display.verdict.detail) },
      lastCodes: display.lastCodes.map(maskText),
      weightKg: display.weightKg,
      recent: display.recent.map((r) => ({ ...r, zh: maskText(r.zh), en: maskText(r.en) })),
    },
    devices: view.devices.map((d) => ({ ...d, id: maskText(d.id) })),
    sync: { ...view.sync },
    actions: view.actions.map((a) => ({ ...a, zh: maskText(a.zh), en: maskText(a.en) })),
  };
}
