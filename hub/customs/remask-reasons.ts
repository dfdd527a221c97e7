import { maskField, maskName } from '../../shared/mask.ts';

/**
 * Case reasons written before names and addresses were masked in them (mismatch texts from hub/customs/matching.ts
 * and the watch-list rule in risk.ts) still quote buyer and payer names, consignees and addresses in full. Both texts
 * have fixed shapes, and a masked value depends only on the value, so the same maskers applied to the quoted values
 * give what the matcher and the rule write today; no document has to be read again. Texts already masked come out as
 * they went in (every masker gives back a masked value unchanged: its length decides what it keeps).
 */
export interface Reason { rule: string; message: string }

// matching.ts Recorder.add: `${a}.${field} ${show(l)} ≠ ${b}.${rightField ?? field} ${show(r)}` (+ a note when masked
// values look the same), show() quoting strings. Values are quoted without escaping: the pattern takes the shape
// whole, so a value quoting the separator only ever makes it not match (left as it is).
const MISMATCH = /^(\S+)\.(\w+) ("(?:[^"]*)"|absent|\S+) ≠ (\S+)\.(\w+) ("(?:[^"]*)"|absent|\S+)( \(they differ in the masked part\))?$/su;
// risk.ts watch.consignee, as case reasons keep it (`${severity}: ${message}`).
const WATCH_CONSIGNEE = /^(\w+: consignee )(.*) (\([^()]*\) is on the watch list)$/su;

/** Pure: this reason as the code that wrote it would write it today. */
export function remaskReason(reason: Reason): Reason {
  if (reason.rule.startsWith('match:')) {
    const m = MISMATCH.exec(reason.message);
    if (!m) return reason;
    const [, a, field, left, b, rightField, right] = m as unknown as [string, string, string, string, string, string, string];
    const side = (f: string, v: string) => {
      if (!v.startsWith('"')) return { text: v, masked: false };
      const raw = v.slice(1, -1);
      const masked = maskField(f, raw);
      return masked === undefined ? { text: v, masked: false } : { text: `"${masked}"`, masked: masked !== raw, raw };
    };
    const l = side(field, left);
    const r = side(rightField, right);
    if (!l.masked && !r.masked) return reason;
    const note = l.text === r.text ? ' (they differ in the masked part)' : '';
    return { ...reason, message: `${a}.${field} ${l.text} ≠ ${b}.${rightField} ${r.text}${note}` };
  }
  if (reason.rule === 'risk:watch.consignee') {
    const m = WATCH_CONSIGNEE.exec(reason.message);
    if (!m) return reason;
    const masked = `${m[1]}${maskName(m[2]!)} ${m[3]}`;
    return masked === reason.message ? reason : { ...reason, message: masked };
  }
  return reason;
}
