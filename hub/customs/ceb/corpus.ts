import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../../shared/seeded-random.ts';
import { editionRules, type CebEdition } from './edition.ts';
import { placeholderSignatureXml } from './fixtures.ts';
import { CEB_MESSAGE_TYPES, CEB_MESSAGE_XSD, type CebType } from './rules.generated.ts';
import { CEB_NS, type Content, type Particle, type ValueRule, type XsdRules } from './schema.ts';
import { serializeXml, type XmlElement } from './xml.ts';

/**
 * Messages of every CEB type in either edition, generated from the XSD rule table (edition.ts `editionRules`): the
 * structure, cardinalities and facets are the table's; the values are drawn within the facets. The corpus in
 * `./corpus/<edition>/` is this generator's output with a fixed seed (regenerate: `node bin/run-ts.mjs
 * hub/customs/ceb/corpus.ts`; corpus.test.ts fails when the files and the generator disagree); `./corpus/edge/` holds
 * hand-written messages for the cases a generator would not think of.
 *
 * Where honest, values are random: free text of random length between the facets' bounds, in lower, upper and mixed
 * case, with CJK and the characters XML must escape. A field whose value the hub itself reads as a code (an HS code, a
 * 3-character JGS-20 code, a customs district, a list number, a time) gets a value of that shape instead — those
 * shapes are the hub's rules, not the XSD's, and are listed in SHAPED. Decimals stay within 15 significant digits (a
 * full-width decimal(19,5) is exact-decimal work, item 4 of issue 15). guid stays upper case (its case rule is item 1).
 */

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

export interface GenerateCorpusOptions {
  edition: CebEdition;
  seed: number;
  /** Include each optional element (default: all, for the corpus; the property test draws). */
  optional?: 'all' | 'random';
  /** Longest free text drawn (a facet's maxLength of 1000 or more is capped here; default 60). */
  maxTextLength?: number;
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const int = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const digits = (rnd: () => number, n: number): string => Array.from({ length: n }, () => String(int(rnd, 0, 9))).join('');
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

const ALPHABET = [...'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_/.#&<>"\'', '货', '物', '广', '州', '南', '沙', '清', '单'];

function freeText(rnd: () => number, min: number, max: number): string {
  const n = int(rnd, Math.max(1, min), Math.max(1, max));
  const caseOf = pick(rnd, ['lower', 'upper', 'mixed'] as const);
  let s = Array.from({ length: n }, () => pick(rnd, ALPHABET)).join('');
  if (caseOf === 'lower') s = s.toLowerCase();
  if (caseOf === 'upper') s = s.toUpperCase();
  return s;
}

function time14(rnd: () => number): string {
  return `2024${pad(int(rnd, 1, 12), 2)}${pad(int(rnd, 1, 28), 2)}${pad(int(rnd, 0, 23), 2)}${pad(int(rnd, 0, 59), 2)}${pad(int(rnd, 0, 59), 2)}`;
}

/** A positive decimal within (19,5) and 15 significant digits, in the forms senders write (trailing zeros too). */
function decimal(rnd: () => number, rule: ValueRule): string {
  const fracMax = Math.min(rule.fractionDigits ?? 5, 5);
  const frac = int(rnd, 0, fracMax);
  const intDigits = int(rnd, 1, Math.min(15 - frac, (rule.totalDigits ?? 19) - frac, 9));
  const i = `${int(rnd, 1, 9)}${digits(rnd, intDigits - 1)}`;
  return frac > 0 ? `${i}.${digits(rnd, frac)}` : i;
}

function weightKg(rnd: () => number): string {
  const frac = int(rnd, 0, 5);
  return `${int(rnd, 1, 99_999)}${frac > 0 ? `.${digits(rnd, frac)}` : ''}`;
}

interface Ctx {
  rnd: () => number;
  direction: 'I' | 'E';
  opts: GenerateCorpusOptions;
  /** The position of the line being written (gnum, gseqno). */
  line: number;
}

/**
 * Fields whose value the hub reads as a code (documents.ts): the shape it expects. Everything else is drawn from the
 * facets alone. Keyed by field name; every CEB message uses these names for the same thing.
 */
const SHAPED: Record<string, (c: Ctx, rule: ValueRule) => string> = {
  guid: (c) => [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => pick(c.rnd, [...'0123456789ABCDEF'])).join('')).join('-'),
  gcode: (c) => digits(c.rnd, 10),
  unit: () => '035',
  unit1: () => '035',
  unit2: () => '122',
  country: (c) => pick(c.rnd, ['502', '601', '116']),
  tradeCountry: () => '502',
  currency: (c) => (c.direction === 'I' ? '142' : pick(c.rnd, ['502', '142'])),
  fCurrency: () => '502',
  iCurrency: () => '502',
  customsCode: () => '5141',
  portCode: () => '5145',
  consigneeDistrict: () => '440115',
  invtNo: (c) => `51412024${c.direction}${digits(c.rnd, 9)}`,
  preNo: (c) => `B2024${digits(c.rnd, 13)}`,
  tradeMode: (c) => (c.direction === 'I' ? pick(c.rnd, ['1210', '9610']) : pick(c.rnd, ['9610', '9710'])),
  ieFlag: (c) => c.direction,
  orderType: (c) => (c.direction === 'I' ? 'I' : pick(c.rnd, ['E', 'B', 'W'])),
  trafMode: () => '4',
  wrapType: () => '2',
  POD: () => 'USLA',
  buyerIdType: () => '1',
  payerIdType: () => '1',
  returnStatus: (c) => String(pick(c.rnd, [2, 3, 100, 120, 300, 399, 500, 700, 800, 899, -621005])),
  gnum: (c) => String(c.line),
  gseqno: (c) => String(c.line),
  msgCount: () => '1',
  msgSeqNo: () => '1',
  packNo: () => '1',
  // Weights stay below 100 t: the station feed caps a declared weight at 100 000 kg (shared/stations/feed.ts), and a
  // heavier, XSD-valid waybill or list fails its decision after being stored (500) — a finding left to the case owners.
  weight: (c) => weightKg(c.rnd),
  grossWeight: (c) => weightKg(c.rnd),
  netWeight: (c) => weightKg(c.rnd),
  // A CEB505/603 logisticsNo is ≤32 and names the same waybill: keep it in the narrowest facet.
  logisticsNo: (c, rule) => `SF${digits(c.rnd, Math.min(rule.maxLength ?? 13, 13))}`,
};

function valueOf(name: string, rule: ValueRule, c: Ctx): string {
  if (rule.fixed !== undefined) return rule.fixed;
  // Values as customs writes them: within the facets and within what the documentation says (listed values, time
  // formats, upper case), so a generated message carries no warnings.
  const enumeration = rule.enumeration ?? rule.documented?.enumeration;
  const format = rule.documented?.format;
  const uppercase = rule.documented?.uppercase === true;
  const shaped = SHAPED[name];
  if (shaped) {
    const v = shaped(c, rule);
    const n = [...v].length;
    // A shape never breaks the facets (a list number of another length, say): then the facets decide.
    const fits = rule.base !== 'string' || ((rule.length === undefined || n === rule.length) && (rule.maxLength === undefined || n <= rule.maxLength) && (!enumeration || enumeration.includes(v)));
    if (fits) return v;
  }
  if (enumeration) return pick(c.rnd, enumeration);
  if (format === 'datetime14') return time14(c.rnd);
  if (format === 'datetime17') return `${time14(c.rnd)}${digits(c.rnd, 3)}`;
  if (format === 'date8') return time14(c.rnd).slice(0, 8);
  if (rule.base === 'decimal') return decimal(c.rnd, rule);
  if (rule.base === 'int') return String(int(c.rnd, 1, 9999));
  if (rule.length !== undefined) return uppercase ? freeText(c.rnd, rule.length, rule.length).toUpperCase() : freeText(c.rnd, rule.length, rule.length);
  const max = Math.min(rule.maxLength ?? 255, c.opts.maxTextLength ?? 60);
  const text = freeText(c.rnd, rule.minLength ?? 1, max);
  return uppercase ? text.toUpperCase() : text;
}

/** Fields the hub requires although the XSD makes them optional (documents.ts says why); always written. */
const HUB_REQUIRED = new Set<string>();

function contentOf(content: Content, rules: XsdRules): Content | undefined {
  return content.kind === 'ref' ? rules.elements[content.ref] : content;
}

function occurrences(p: Particle, c: Ctx, isLine: boolean): number {
  if (p.min === 0 && p.content.kind !== 'value' && p.ns === 'ceb' && ['BaseSubscribe', 'ExtendMessage'].includes(p.name)) return 0;
  if (p.ns === 'ds') return p.min; // the placeholder signature is added as text where required
  const max = p.max === 'unbounded' ? 3 : Math.min(p.max, 3);
  if (isLine) return int(c.rnd, Math.max(1, p.min), Math.max(1, max));
  if (p.min === 0) return c.opts.optional === 'random' && !HUB_REQUIRED.has(p.name) ? int(c.rnd, 0, 1) : 1;
  return p.min;
}

function elementsFor(particles: readonly Particle[], rules: XsdRules, c: Ctx): XmlElement[] {
  const out: XmlElement[] = [];
  for (const p of particles) {
    const content = contentOf(p.content, rules);
    if (!content || content.kind === 'opaque') continue;
    const isLine = content.kind === 'sequence' && p.max !== 1 && /List|Rd$/.test(p.name);
    const n = occurrences(p, c, isLine);
    for (let i = 0; i < n; i++) {
      if (content.kind === 'value') {
        out.push({ ns: CEB_NS, name: p.name, attrs: {}, children: [], text: valueOf(p.name, content.rule, c) });
      } else if (content.kind === 'sequence') {
        if (isLine) c.line = i + 1;
        out.push({ ns: CEB_NS, name: p.name, attrs: {}, children: elementsFor(content.sequence, rules, c), text: '' });
      }
    }
  }
  return out;
}

/** Does the message require ds:Signature (621, 623, 625, 711)? */
function needsSignature(type: CebType, rules: XsdRules): boolean {
  return (rules.messages[type]?.sequence ?? []).some((p) => p.ns === 'ds' && p.name === 'Signature' && p.min > 0);
}

/** One message of `type` in `edition`, as UTF-8 XML text. Deterministic for a seed. */
export function generateCorpusMessage(type: CebType, opts: GenerateCorpusOptions): string {
  const rules = editionRules(opts.edition, type);
  const message = rules.messages[type];
  if (!message) throw new Error(`no rules for ${type}`);
  const c: Ctx = { rnd: seededRandom(opts.seed) /* reproducible corpus; fast-check passes its own seeds */, direction: CEB_MESSAGE_XSD[type] === 'import-business.xsd' ? 'I' : 'E', opts, line: 1 };
  const guid = SHAPED.guid!(c, { base: 'string' });
  const root: XmlElement = { ns: CEB_NS, name: `${type}Message`, attrs: { guid, version: '1.0' }, children: elementsFor(message.sequence, rules, c), text: '' };
  const xml = `${serializeXml(root, { [CEB_NS]: 'ceb' })}\n`;
  if (!needsSignature(type, rules)) return xml;
  // NOT a signature (fixtures.ts): shaped like one so the XSD, which requires it, accepts the message.
  const close = xml.lastIndexOf('</');
  return `${xml.slice(0, close)}${placeholderSignatureXml()}\n${xml.slice(close)}`;
}

/** The corpus: one message per type and edition, seeds fixed by position so a regenerated corpus is identical. */
export function corpusMessages(): { edition: CebEdition; type: CebType; file: string; xml: string }[] {
  return (['2022-05', '2018'] as const).flatMap((edition, e) =>
    CEB_MESSAGE_TYPES.map((type, i) => ({ edition, type, file: join(edition, `${type}.xml`), xml: generateCorpusMessage(type, { edition, seed: 1000 * (e + 1) + i }) })),
  );
}

/** The hand-written edge cases in corpus/edge (name → XML). */
export async function edgeCorpus(): Promise<Record<string, string>> {
  const dir = join(CORPUS_DIR, 'edge');
  const names = (await readdir(dir)).filter((f) => f.endsWith('.xml')).sort();
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), 'utf8')] as const)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const m of corpusMessages()) {
    await mkdir(join(CORPUS_DIR, m.edition), { recursive: true });
    await writeFile(join(CORPUS_DIR, m.file), m.xml);
  }
  console.log(`wrote ${corpusMessages().length} messages to ${CORPUS_DIR}`);
}
