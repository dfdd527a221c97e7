import type { FieldIssue } from '../../../shared/errors.ts';
import { quoteValue, type DocumentWarning } from '../warnings.ts';
import type { CebMessage } from './parse.ts';
import { CEB_MESSAGE_XSD, CEB_XSD_RULES } from './rules.generated.ts';
import { CEB_NS, DS_NS, type Content, type Particle, type ValueFormat, type ValueRule, type XsdRules } from './schema.ts';
import type { XmlElement } from './xml.ts';

export type CebRule =
  | 'required'
  | 'maxOccurs'
  | 'order'
  | 'length'
  | 'minLength'
  | 'maxLength'
  | 'decimal'
  | 'int'
  | 'fixed'
  | 'enumeration'
  | 'attribute';

/** A field-level issue: `field` is the path below the root (`Order[0].OrderHead.acturalPaid`), `rule` the rule kind. */
export interface CebIssue extends FieldIssue {
  rule: CebRule;
}

const NS_URI = { ceb: CEB_NS, ds: DS_NS } as const;
/** XSD Part 1 §3.2.7: xsi:type, xsi:nil, xsi:schemaLocation… are allowed on every element without a declaration. */
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Attribute keys as the tree holds them (Clark notation for a namespaced one) that no declaration is needed for. */
function implicitlyAllowed(key: string): boolean {
  return key.startsWith(`{${XSI_NS}}`);
}

function attrLabel(key: string): string {
  return key.replace(/^\{[^}]*\}/, '');
}

/**
 * A field issue that does not refuse the message: what only the XSD's documentation rules out, and what the schema
 * says nothing about (attributes on district additions, a field name in the wrong case).
 */
export type CebWarning = DocumentWarning;

const FORMAT_TEXT: Record<ValueFormat, string> = { datetime14: 'YYYYMMDDhhmmss', datetime17: 'YYYYMMDDhhmmssSSS', date8: 'YYYYMMDD' };

const quote = quoteValue;
const short = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

function validCalendar(s: string, format: ValueFormat): boolean {
  const shape = format === 'date8' ? /^\d{8}$/ : format === 'datetime14' ? /^\d{14}$/ : /^\d{17}$/;
  if (!shape.test(s)) return false;
  const [y, mo, d, h = 0, mi = 0, se = 0] = [s.slice(0, 4), s.slice(4, 6), s.slice(6, 8), s.slice(8, 10), s.slice(10, 12), s.slice(12, 14)].map((x) => Number(x || '0'));
  if (y === undefined || mo === undefined || d === undefined) return false;
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && se < 60;
}

/** xs:decimal lexical form, then totalDigits/fractionDigits counted as XSD does (no leading or trailing zeros). */
function decimalProblem(v: string, rule: ValueRule): boolean {
  const m = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(v);
  if (!m || v === '' || /^[+-]?\.?$/.test(v)) return true;
  const int = (m[1] ?? '').replace(/^0+/, '');
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (rule.fractionDigits !== undefined && frac.length > rule.fractionDigits) return true;
  return rule.totalDigits !== undefined && int.length + frac.length > rule.totalDigits;
}

function intProblem(v: string, rule: ValueRule): boolean {
  if (!/^[+-]?\d+$/.test(v)) return true;
  const n = Number(v);
  if (n < -2147483648 || n > 2147483647) return true; // xs:int is 32-bit
  return rule.totalDigits !== undefined && v.replace(/^[+-]?0*/, '').length > rule.totalDigits;
}

function describeNumber(rule: ValueRule): string {
  if (rule.base === 'decimal') return `decimal(${rule.totalDigits ?? '*'},${rule.fractionDigits ?? '*'})`;
  return rule.totalDigits === undefined ? 'integer' : `integer of at most ${rule.totalDigits} digits`;
}

/** The value an XSD validator judges: whitespace-normalised as the type says, an empty element's fixed/default. */
function effectiveValue(raw: string, rule: ValueRule): string {
  // xs:decimal and xs:int always collapse whitespace; strings only when the XSD says so.
  const normalised = rule.base !== 'string' || rule.whiteSpace === 'collapse' ? raw.replace(/[\t\n\r ]+/g, ' ').trim() : raw;
  // An empty element with a fixed or default value takes that value (XSD Part 1, 3.3.4).
  return raw === '' ? (rule.fixed ?? rule.default ?? normalised) : normalised;
}

/**
 * The first facet a value breaks, or undefined. One issue per field: the most specific one. Only the schema's types
 * and facets are checked here: what the documentation alone says is {@link checkDocumented}'s, and only warns.
 */
export function checkValue(raw: string, rule: ValueRule): { rule: CebRule; message: string } | undefined {
  const v = effectiveValue(raw, rule);
  if (rule.fixed !== undefined && v !== rule.fixed) return { rule: 'fixed', message: `expected ${rule.fixed} (fixed by the XSD), got ${quote(raw)}` };
  if (rule.base === 'decimal' && decimalProblem(v, rule)) return { rule: 'decimal', message: `expected ${describeNumber(rule)}, got ${quote(raw)}` };
  if (rule.base === 'int' && intProblem(v, rule)) return { rule: 'int', message: `expected ${describeNumber(rule)}, got ${quote(raw)}` };
  // XSD lengths count characters (code points), not UTF-16 units.
  const n = [...v].length;
  if (rule.length !== undefined && n !== rule.length) return { rule: 'length', message: `expected exactly ${rule.length} characters, got ${n}` };
  if (rule.minLength !== undefined && n < rule.minLength) return { rule: 'minLength', message: `expected at least ${rule.minLength} characters, got ${n}` };
  if (rule.maxLength !== undefined && n > rule.maxLength) return { rule: 'maxLength', message: `expected at most ${rule.maxLength} characters, got ${n}` };
  if (rule.enumeration && !rule.enumeration.includes(v)) return { rule: 'enumeration', message: `expected one of ${rule.enumeration.join(', ')}, got ${quote(raw)}` };
  return undefined;
}

/**
 * What the XSD's documentation text says of a value that passed its facets (schema.ts `documented`): a warning, never
 * a refusal (issue 15 item 1). Empty optional values are not judged (an empty element is how senders leave one out).
 */
export function checkDocumented(raw: string, rule: ValueRule): Omit<DocumentWarning, 'field'> | undefined {
  const d = rule.documented;
  if (!d) return undefined;
  const v = effectiveValue(raw, rule);
  if (v === '') return undefined;
  if (d.format && !validCalendar(v, d.format)) {
    return { code: 'CEB_DOCUMENTED_FORMAT', message: `the XSD documentation gives the format ${FORMAT_TEXT[d.format]} (a calendar time), got ${quote(v)}`, params: { expected: FORMAT_TEXT[d.format], got: short(v) } };
  }
  if (d.enumeration && !d.enumeration.includes(v)) {
    return { code: 'CEB_DOCUMENTED_ENUMERATION', message: `the XSD documentation lists ${d.enumeration.join(', ')}, got ${quote(v)}`, params: { expected: d.enumeration.join(', '), got: short(v) } };
  }
  if (d.uppercase && v !== v.toUpperCase()) {
    return { code: 'CEB_DOCUMENTED_UPPERCASE', message: `the XSD documentation asks for upper-case letters, got ${quote(v)}`, params: { got: short(v) } };
  }
  return undefined;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function isRepeatable(p: Particle): boolean {
  return p.max === 'unbounded' || p.max > 1;
}

function missing(p: Particle, count: number): string {
  return p.min === 1 ? 'required' : `required at least ${p.min} times, found ${count}`;
}

class Validator {
  readonly issues: CebIssue[] = [];
  readonly warnings: CebWarning[] = [];
  constructor(private readonly rules: XsdRules) {}

  /**
   * The CEB XSDs declare no attribute on any element but the root: an attribute on an element the XSD declares is
   * invalid by the schema (strict, as the schema is). `allowed` names the declared ones.
   */
  attributes(el: XmlElement, path: string, allowed: ReadonlySet<string> = new Set()): void {
    for (const key of Object.keys(el.attrs)) {
      if (allowed.has(key) || implicitlyAllowed(key)) continue;
      this.issues.push({ field: `${path ? `${path}.` : ''}@${attrLabel(key)}`, rule: 'attribute', message: `the XSD declares no attribute ${attrLabel(key)} on ${el.name}` });
    }
  }

  /**
   * An element the XSD does not name (a district addition, kept as customs.md §2 asks): the schema says nothing about
   * it, so its attributes refuse nothing; they are reported as warnings (their size is bounded by the parser).
   */
  extension(el: XmlElement, path: string): void {
    for (const key of Object.keys(el.attrs)) {
      if (!implicitlyAllowed(key)) this.warnings.push({ field: `${path}.@${attrLabel(key)}`, code: 'CEB_EXTENSION_ATTRIBUTE', message: `an attribute on ${el.name}, an element the XSD does not declare, was kept as received but is not used`, params: { element: el.name, attribute: attrLabel(key) } });
    }
    el.children.forEach((c) => this.extension(c, join(path, c.name)));
  }

  documented(raw: string, rule: ValueRule, path: string): void {
    const w = checkDocumented(raw, rule);
    if (w) this.warnings.push({ field: path, ...w });
  }

  /**
   * An unknown element named like a field of its sequence but for case (`payTransactionID` for payTransactionId):
   * most likely a misspelling, so the field the sender meant stays empty. XML names are case-sensitive and districts
   * add elements of their own, so it stays an extension, with a warning naming both (issue 15 item 8).
   */
  nearMiss(child: XmlElement, particles: Particle[], path: string): void {
    const lower = child.name.toLowerCase();
    const known = particles.find((p) => p.name.toLowerCase() === lower);
    if (!known) return;
    this.warnings.push({ field: path, code: 'CEB_FIELD_CASE', message: `<${child.name}> is not a field of the XSD and was kept as an extension; the XSD field ${known.name} differs from it only in case`, params: { element: child.name, field: known.name } });
  }

  content(el: XmlElement, content: Content, path: string): void {
    // Opaque content is xs:any (processContents="skip") or xmldsig: the schema allows anything inside, attributes too.
    if (content.kind !== 'opaque' && content.kind !== 'ref') this.attributes(el, path);
    switch (content.kind) {
      case 'opaque':
        return;
      case 'ref': {
        const global = this.rules.elements[content.ref];
        if (global) this.content(el, global, path);
        return;
      }
      case 'value': {
        const problem = checkValue(el.text, content.rule);
        if (problem) this.issues.push({ field: path, ...problem });
        else this.documented(el.text, content.rule, path);
        return;
      }
      case 'sequence':
        this.sequence(el, content.sequence, path);
    }
  }

  /**
   * Children against an xs:sequence. Children the sequence does not name are extensions (customs.md §2: districts
   * add their own) and are skipped without an issue. Every name appears once per sequence (the generator checks),
   * so order is judged on the particle index of each child: the longest run already in XSD order stands, and only
   * the children outside it are reported — moving one field gives one issue, not one per field it jumped over.
   */
  sequence(el: XmlElement, particles: Particle[], path: string): void {
    const all = el.children.map((child) => ({ child, index: particles.findIndex((p) => p.name === child.name && NS_URI[p.ns] === child.ns) }));
    for (const { child } of all.filter((k) => k.index < 0)) {
      this.nearMiss(child, particles, join(path, child.name));
      this.extension(child, join(path, child.name));
    }
    const known = all.filter((k) => k.index >= 0);
    const inOrder = longestNonDecreasing(known.map((k) => k.index));
    const counts = particles.map(() => 0);
    known.forEach(({ child, index }, i) => {
      const p = particles[index];
      if (!p) return;
      const count = counts[index] ?? 0;
      counts[index] = count + 1;
      const childPath = join(path, isRepeatable(p) ? `${p.name}[${count}]` : p.name);
      if (!inOrder.has(i)) {
        const after = particles[index - 1]?.name;
        const before = particles[index + 1]?.name;
        const where = [after && `after ${after}`, before && `before ${before}`].filter(Boolean).join(' and ');
        this.issues.push({ field: childPath, rule: 'order', message: `out of order: the XSD sequence puts ${p.name} ${where}` });
      }
      if (p.max !== 'unbounded' && count + 1 > p.max) {
        this.issues.push({ field: childPath, rule: 'maxOccurs', message: `at most ${p.max} ${p.name} allowed` });
      }
      this.content(child, p.content, childPath);
    });
    particles.forEach((p, index) => {
      const count = counts[index] ?? 0;
      if (count < p.min) this.issues.push({ field: join(path, p.name), rule: 'required', message: missing(p, count) });
    });
  }
}

/** Positions of one longest non-decreasing subsequence of `xs` (patience method, O(n log n)). */
function longestNonDecreasing(xs: number[]): Set<number> {
  const tails: number[] = []; // tails[k]: position of the smallest possible last value of a run of length k + 1
  const prev: number[] = [];
  xs.forEach((x, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((xs[tails[mid] ?? 0] ?? 0) <= x) lo = mid + 1;
      else hi = mid;
    }
    prev[i] = lo > 0 ? (tails[lo - 1] ?? -1) : -1;
    tails[lo] = i;
  });
  const kept = new Set<number>();
  for (let i = tails[tails.length - 1] ?? -1; i >= 0; i = prev[i] ?? -1) kept.add(i);
  return kept;
}

/**
 * Check a parsed message against the rules of its official XSD (derived in rules.generated.ts): required
 * fields, cardinalities, element order, lengths, decimal(19,5) and integer forms, fixed values. Pure. Root attributes
 * are reported as `@guid` / `@version`. What the documentation alone says (time formats, listed values, upper-case
 * guids) is in {@link checkCeb}'s warnings.
 */
export function validateCeb(message: CebMessage): CebIssue[] {
  return checkCeb(message).issues;
}

/**
 * {@link validateCeb} with its warnings: what only the XSD documentation rules out, and what the schema says nothing
 * about (attributes on district additions, field names in the wrong case), kept and reported rather than refused — a
 * real customs message is never refused for a rule the schema's types and facets do not state.
 * `rules`: another edition's rules for the message (edition.ts); the 2022-05 table by default.
 */
export function checkCeb(message: CebMessage, rules: XsdRules = CEB_XSD_RULES[CEB_MESSAGE_XSD[message.type]]): { issues: CebIssue[]; warnings: CebWarning[] } {
  const messageRule = rules.messages[message.type];
  if (!messageRule) return { issues: [{ field: '(root)', rule: 'required', message: `no rules for ${message.type}` }], warnings: [] };
  const v = new Validator(rules);
  v.attributes(message.root, '', new Set(messageRule.attributes.map((a) => a.name)));
  for (const attr of messageRule.attributes) {
    const value = message.root.attrs[attr.name];
    if (value === undefined) {
      if (attr.required) v.issues.push({ field: `@${attr.name}`, rule: 'required', message: 'required' });
      continue;
    }
    const problem = checkValue(value, attr.rule);
    if (problem) v.issues.push({ field: `@${attr.name}`, ...problem });
    else v.documented(value, attr.rule, `@${attr.name}`);
  }
  v.sequence(message.root, messageRule.sequence, '');
  return { issues: v.issues, warnings: v.warnings };
}
