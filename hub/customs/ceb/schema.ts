import { parseXml, type XmlElement } from './xml.ts';

/**
 * The rule model for CEB business messages and its derivation from the official XSDs (2022-05 edition, customs.md
 * §2). `gen-rules.ts` runs {@link deriveXsdRules} over the XSD files and writes `rules.generated.ts`; the test
 * suite re-derives and compares, so the table is never edited by hand.
 *
 * Structure, cardinalities and facets (length, minLength, maxLength, totalDigits, fractionDigits, whiteSpace,
 * enumeration) are read from the schema itself: breaking one refuses a message. The 2022-05 XSDs state three more kinds
 * of rule only in their xs:documentation; those are read from the text with the narrow patterns below and kept apart,
 * in `documented`, because they only ever give a warning (issue 15: a schema validator accepts a message that breaks
 * them, and customs' own receipts do — 604 statisticsFlag values beyond A/B, lower-case guids):
 * - formats: "格式:YYYYMMDDhhmmss" (and SSS/fff, YYYYMMDD) on a field whose length facet agrees;
 * - enumerations: "1-新增 2-变更 3-删除", "I-进口,E-出口", "I进口/E出口", and "限定为…“142”" (restricted to one value);
 * - upper case: "（英文字母大写）" on guids.
 * Fields that point at a customs code table (《JGS-20…》, 参数代码) are open sets and get no enumeration.
 */

export const CEB_NS = 'http://www.chinaport.gov.cn/ceb';
export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const XS_NS = 'http://www.w3.org/2001/XMLSchema';

export type CebXsdFile = 'import-business.xsd' | 'export-business.xsd';
export const CEB_XSD_FILES: readonly CebXsdFile[] = ['import-business.xsd', 'export-business.xsd'];

export type ValueFormat = 'datetime14' | 'datetime17' | 'date8';

/** Rules read from a field's xs:documentation, not its facets: a message that breaks one is kept, with a warning. */
export interface DocumentedRule {
  enumeration?: string[];
  format?: ValueFormat;
  uppercase?: true;
}

/** An xs:simpleType restriction (its facets) plus, apart, the rules its documentation states. */
export interface ValueRule {
  base: 'string' | 'decimal' | 'int';
  length?: number;
  minLength?: number;
  maxLength?: number;
  totalDigits?: number;
  fractionDigits?: number;
  whiteSpace?: 'collapse';
  /** xs:element/@fixed: a present element must hold this value (an empty one takes it). */
  fixed?: string;
  /** xs:element/@default: the value an empty element takes. */
  default?: string;
  /** xs:enumeration facets (none in the 2022-05 XSDs, but a facet refuses when there is one). */
  enumeration?: string[];
  /** What only the documentation says: warnings, never refusals. */
  documented?: DocumentedRule;
}

export type Content =
  | { kind: 'value'; rule: ValueRule }
  | { kind: 'sequence'; sequence: Particle[] }
  /** A global element of the same XSD file (`ref="ceb:OrderHead"`). */
  | { kind: 'ref'; ref: string }
  /** Not checked inside: ds:Signature (xmldsig's own schema) and ExtendMessage's free-form `Message` (xs:any). */
  | { kind: 'opaque' };

export interface Particle {
  name: string;
  ns: 'ceb' | 'ds';
  min: number;
  max: number | 'unbounded';
  content: Content;
}

export interface AttributeRule {
  name: string;
  required: boolean;
  rule: ValueRule;
}

export interface MessageRule {
  root: string;
  attributes: AttributeRule[];
  sequence: Particle[];
}

export interface XsdRules {
  /** By message type: `CEB311` for root element `CEB311Message`. */
  messages: Record<string, MessageRule>;
  /** Global elements other than message roots, by name. */
  elements: Record<string, Content>;
}

/**
 * Values the XSD documentation gives as a default but customs.md pins down. Each is a rule the derivation cannot
 * read from the text without guessing, stated once with its source; like every documented rule, a warning only.
 */
export const DOCUMENTED_ENUMERATIONS: readonly { element: string; field: string; values: string[]; source: string }[] = [
  { element: 'BaseTransfer', field: 'dxpMode', values: ['DXP'], source: 'XSD "默认为DXP；指中国电子口岸数据交换平台"; customs.md §2 "dxpMode DXP"' },
  { element: 'BaseSubscribe', field: 'dxpMode', values: ['DXP'], source: 'XSD "默认为DXP；指中国电子口岸数据交换平台"; customs.md §2 "dxpMode DXP"' },
];

class XsdError extends Error {
  constructor(file: string, path: string, message: string) {
    super(`${file}: ${path}: ${message}`);
    this.name = 'XsdError';
  }
}

type Scope = Record<string, string>;

function xs(el: XmlElement, name: string): boolean {
  return el.ns === XS_NS && el.name === name;
}

function withDeclared(scope: Scope, el: XmlElement): Scope {
  return el.declared ? { ...scope, ...el.declared } : scope;
}

function resolveQName(qname: string, scope: Scope): { ns: string; local: string } | undefined {
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const ns = scope[prefix];
  return ns === undefined ? undefined : { ns, local: qname.slice(colon + 1) };
}

function documentation(el: XmlElement): string {
  return el.children
    .filter((c) => xs(c, 'annotation'))
    .flatMap((a) => a.children.filter((d) => xs(d, 'documentation')).map((d) => d.text))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function occurs(value: string | undefined, fallback: number): number | 'unbounded' {
  if (value === undefined) return fallback;
  if (value === 'unbounded') return 'unbounded';
  return Number(value);
}

const CJK = '[\\u4e00-\\u9fff]';
const CODE_LIST = new RegExp(`(?<![A-Za-z0-9])([0-9]{1,3}|[A-Z]{1,4})\\s*-\\s*(?=[A-Za-z0-9]*${CJK})`, 'g'); // "B-B2B出口订单" too
const IE_FLAG = /(?<![A-Za-z0-9])([IE])(?=进口|出口)/g;
const RESTRICTED_TO = /限定为[^“”"]*[“"]([^”"]+)[”"]/;

function fitsLength(value: string, rule: ValueRule): boolean {
  const n = [...value].length;
  if (rule.length !== undefined && n !== rule.length) return false;
  if (rule.maxLength !== undefined && n > rule.maxLength) return false;
  return rule.minLength === undefined || n >= rule.minLength;
}

/** Enumeration stated in words; undefined when the text names no closed set (or one that breaks the length facets). */
export function enumerationFromDocumentation(doc: string, rule: ValueRule): string[] | undefined {
  if (/《|参数代码/.test(doc)) return undefined;
  const restricted = RESTRICTED_TO.exec(doc)?.[1];
  const codes = restricted !== undefined ? [restricted] : [...new Set([...doc.matchAll(CODE_LIST), ...doc.matchAll(IE_FLAG)].map((m) => m[1] ?? ''))];
  if (codes.length === 0 || !codes.every((c) => c && fitsLength(c, rule))) return undefined;
  return codes;
}

export function formatFromDocumentation(doc: string, rule: ValueRule): ValueFormat | undefined {
  const d = doc.toUpperCase(); // the XSDs write both YYYYMMDDhhmmss and yyyyMMddHHmmssfff
  if (rule.length === 17 && /YYYYMMDDHHMMSS(SSS|FFF)/.test(d)) return 'datetime17';
  if (rule.length === 14 && /YYYYMMDDHHMMSS/.test(d)) return 'datetime14';
  if (rule.length === 8 && /YYYYMMDD/.test(d)) return 'date8';
  // DepartureHead.leaveTime ("离境时间") is the one length-14 time whose documentation omits the format.
  if (rule.length === 14 && /时间/.test(doc)) return 'datetime14';
  return undefined;
}

function valueRule(base: ValueRule['base'], restriction: XmlElement | undefined, doc: string, ctx: { file: string; path: string }): ValueRule {
  const rule: ValueRule = { base };
  const enumeration: string[] = [];
  for (const f of restriction?.children ?? []) {
    if (f.ns !== XS_NS || f.name === 'annotation') continue;
    const value = f.attrs.value ?? '';
    switch (f.name) {
      case 'length':
      case 'minLength':
      case 'maxLength':
      case 'totalDigits':
      case 'fractionDigits':
        rule[f.name] = Number(value);
        break;
      case 'whiteSpace':
        if (value === 'collapse') rule.whiteSpace = 'collapse';
        else if (value !== 'preserve') throw new XsdError(ctx.file, ctx.path, `whiteSpace "${value}" is not supported`);
        break;
      case 'enumeration':
        enumeration.push(value);
        break;
      default:
        // Refusing what the model cannot express keeps the table from silently under-checking (e.g. xs:pattern).
        throw new XsdError(ctx.file, ctx.path, `facet xs:${f.name} is not supported`);
    }
  }
  if (enumeration.length > 0) rule.enumeration = enumeration;
  const documented: DocumentedRule = {};
  const fromDoc = enumeration.length > 0 ? undefined : enumerationFromDocumentation(doc, rule);
  if (fromDoc) documented.enumeration = fromDoc;
  const format = formatFromDocumentation(doc, rule);
  if (format) documented.format = format;
  if (base === 'string' && /大写/.test(doc)) documented.uppercase = true;
  if (Object.keys(documented).length > 0) rule.documented = documented;
  return rule;
}

const XS_BASES: Record<string, ValueRule['base']> = { string: 'string', decimal: 'decimal', int: 'int' };

interface Ctx {
  file: string;
  path: string;
  schema: XmlElement;
  scope: Scope;
}

function simpleBase(qname: string, ctx: Ctx): ValueRule['base'] | undefined {
  const q = resolveQName(qname, ctx.scope);
  return q?.ns === XS_NS ? XS_BASES[q.local] : undefined;
}

// Every attribute the 2022-05 XSDs use on declarations. Anything else (nillable, form, substitutionGroup…) could
// carry a constraint the model would silently drop, so the derivation stops instead.
const DECLARATION_ATTRIBUTES: Record<string, ReadonlySet<string>> = {
  element: new Set(['name', 'ref', 'type', 'minOccurs', 'maxOccurs', 'fixed', 'default']),
  attribute: new Set(['name', 'type', 'use', 'fixed', 'default']),
};

function checkDeclarationAttributes(decl: XmlElement, ctx: Ctx): void {
  const allowed = DECLARATION_ATTRIBUTES[decl.name];
  const unknown = Object.keys(decl.attrs).filter((a) => !allowed?.has(a));
  if (unknown.length > 0) throw new XsdError(ctx.file, ctx.path, `xs:${decl.name} attribute(s) ${unknown.join(', ')} not supported`);
}

function contentOf(decl: XmlElement, ctx: Ctx): Content {
  checkDeclarationAttributes(decl, ctx);
  const content = typeContentOf(decl, ctx);
  for (const constraint of ['fixed', 'default'] as const) {
    const value = decl.attrs[constraint];
    if (value === undefined) continue;
    if (content.kind !== 'value') throw new XsdError(ctx.file, ctx.path, `${constraint} on an element without a simple type is not supported`);
    content.rule[constraint] = value;
  }
  return content;
}

function typeContentOf(decl: XmlElement, ctx: Ctx): Content {
  const doc = documentation(decl);
  const type = decl.attrs.type;
  if (type !== undefined) {
    const base = simpleBase(type, ctx);
    if (base) return { kind: 'value', rule: valueRule(base, undefined, doc, ctx) };
    const q = resolveQName(type, ctx.scope);
    const named = q?.ns === CEB_NS ? ctx.schema.children.find((c) => xs(c, 'complexType') && c.attrs.name === q.local) : undefined;
    // ceb:XMLElement is `<xs:any processContents="skip"/>`: free-form by design.
    if (named && named.children.some((s) => xs(s, 'sequence') && s.children.some((a) => xs(a, 'any')))) return { kind: 'opaque' };
    throw new XsdError(ctx.file, ctx.path, `type ${type} is not supported`);
  }
  const simple = decl.children.find((c) => xs(c, 'simpleType'));
  if (simple) {
    const restriction = simple.children.find((c) => xs(c, 'restriction'));
    const base = restriction?.attrs.base === undefined ? undefined : simpleBase(restriction.attrs.base, ctx);
    if (!restriction || !base) throw new XsdError(ctx.file, ctx.path, 'only restrictions of xs:string, xs:decimal and xs:int are supported');
    return { kind: 'value', rule: valueRule(base, restriction, doc, ctx) };
  }
  const complex = decl.children.find((c) => xs(c, 'complexType'));
  if (complex) return { kind: 'sequence', sequence: sequenceOf(complex, ctx) };
  throw new XsdError(ctx.file, ctx.path, 'an element without a type is not supported');
}

function sequenceOf(complex: XmlElement, ctx: Ctx): Particle[] {
  const groups = complex.children.filter((c) => c.ns === XS_NS && !['annotation', 'attribute'].includes(c.name));
  if (groups.length !== 1 || !groups[0] || !xs(groups[0], 'sequence')) {
    throw new XsdError(ctx.file, ctx.path, `content must be one xs:sequence, found ${groups.map((g) => `xs:${g.name}`).join(', ') || 'none'}`);
  }
  const seq = groups[0];
  const particles: Particle[] = [];
  for (const item of seq.children) {
    if (xs(item, 'annotation')) continue;
    if (!xs(item, 'element')) throw new XsdError(ctx.file, ctx.path, `xs:${item.name} inside a sequence is not supported`);
    particles.push(particleOf(item, { ...ctx, scope: withDeclared(ctx.scope, item) }));
  }
  const names = particles.map((p) => `${p.ns}:${p.name}`);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  // Order checking in validate.ts relies on each name appearing once per sequence, as in every CEB message.
  if (repeated) throw new XsdError(ctx.file, ctx.path, `${repeated} appears twice in one sequence`);
  return particles;
}

function particleOf(el: XmlElement, ctx: Ctx): Particle {
  checkDeclarationAttributes(el, ctx);
  const min = Number(el.attrs.minOccurs ?? '1');
  const max = occurs(el.attrs.maxOccurs, 1);
  const ref = el.attrs.ref;
  if (ref !== undefined) {
    const q = resolveQName(ref, ctx.scope);
    if (q?.ns === DS_NS) return { name: q.local, ns: 'ds', min, max, content: { kind: 'opaque' } };
    if (q?.ns === CEB_NS) return { name: q.local, ns: 'ceb', min, max, content: { kind: 'ref', ref: q.local } };
    throw new XsdError(ctx.file, ctx.path, `ref ${ref} is outside the CEB and xmldsig namespaces`);
  }
  const name = el.attrs.name;
  if (!name) throw new XsdError(ctx.file, ctx.path, 'an element needs a name or a ref');
  return { name, ns: 'ceb', min, max, content: contentOf(el, { ...ctx, path: `${ctx.path}/${name}` }) };
}

function attributesOf(complex: XmlElement, ctx: Ctx): AttributeRule[] {
  return complex.children
    .filter((c) => xs(c, 'attribute'))
    .map((a) => {
      const name = a.attrs.name ?? '';
      const content = contentOf(a, { ...ctx, path: `${ctx.path}/@${name}` });
      if (content.kind !== 'value') throw new XsdError(ctx.file, ctx.path, `attribute ${name} must have a simple type`);
      return { name, required: a.attrs.use === 'required', rule: content.rule };
    });
}

function applyDocumentedEnumerations(rules: XsdRules): void {
  for (const { element, field, values } of DOCUMENTED_ENUMERATIONS) {
    const content = rules.elements[element];
    const particle = content?.kind === 'sequence' ? content.sequence.find((p) => p.name === field) : undefined;
    if (particle?.content.kind !== 'value') throw new Error(`DOCUMENTED_ENUMERATIONS: ${element}.${field} is not a value field in the XSD`);
    const rule = particle.content.rule;
    if (!rule.enumeration && !rule.documented?.enumeration) rule.documented = { ...rule.documented, enumeration: values };
  }
}

function checkRefs(rules: XsdRules, file: string): void {
  const visit = (particles: Particle[], path: string): void => {
    for (const p of particles) {
      if (p.content.kind === 'ref' && !rules.elements[p.content.ref]) throw new XsdError(file, path, `ref ceb:${p.content.ref} is not declared`);
      if (p.content.kind === 'sequence') visit(p.content.sequence, `${path}/${p.name}`);
    }
  };
  for (const [type, m] of Object.entries(rules.messages)) visit(m.sequence, type);
  for (const [name, c] of Object.entries(rules.elements)) if (c.kind === 'sequence') visit(c.sequence, name);
}

/**
 * Read one CEB business XSD into {@link XsdRules}. Throws on any construct the model cannot express, so a new
 * edition of the XSDs fails the generator loudly instead of producing a weaker table.
 */
export function deriveXsdRules(xsd: string | Uint8Array, file: string): XsdRules {
  const parsed = parseXml(xsd, { maxBytes: 4 * 1024 * 1024 });
  if (!parsed.ok) throw new XsdError(file, '/', parsed.issues.map((i) => i.message).join('; '));
  const schema = parsed.root;
  if (!xs(schema, 'schema') || schema.attrs.targetNamespace !== CEB_NS) throw new XsdError(file, '/', `not an XSD for ${CEB_NS}`);
  const scope = withDeclared({}, schema);
  const rules: XsdRules = { messages: {}, elements: {} };
  for (const el of schema.children) {
    if (!xs(el, 'element')) continue;
    const name = el.attrs.name ?? '';
    const ctx: Ctx = { file, path: name, schema, scope: withDeclared(scope, el) };
    const message = /^(CEB\d{3})Message$/.exec(name);
    if (message?.[1]) {
      const complex = el.children.find((c) => xs(c, 'complexType'));
      if (!complex) throw new XsdError(file, name, 'a message root must have a complex type');
      rules.messages[message[1]] = { root: name, attributes: attributesOf(complex, ctx), sequence: sequenceOf(complex, ctx) };
    } else {
      rules.elements[name] = contentOf(el, ctx);
    }
  }
  checkRefs(rules, file);
  applyDocumentedEnumerations(rules);
  return rules;
}

// ---- rendering rules.generated.ts ----

function renderParticles(particles: Particle[], indent: string): string {
  return particles.map((p) => `${indent}${renderParticle(p, indent)},\n`).join('');
}

function renderParticle(p: Particle, indent: string): string {
  if (p.content.kind !== 'sequence') return JSON.stringify(p);
  const head = JSON.stringify({ name: p.name, ns: p.ns, min: p.min, max: p.max }).slice(0, -1);
  return `${head},"content":{"kind":"sequence","sequence":[\n${renderParticles(p.content.sequence, `${indent}  `)}${indent}]}}`;
}

function renderContent(c: Content, indent: string): string {
  if (c.kind !== 'sequence') return JSON.stringify(c);
  return `{"kind":"sequence","sequence":[\n${renderParticles(c.sequence, `${indent}  `)}${indent}]}`;
}

function renderRules(rules: XsdRules): string {
  let out = '{\n  messages: {\n';
  for (const [type, m] of Object.entries(rules.messages).sort(([a], [b]) => a.localeCompare(b))) {
    out += `    ${type}: {\n      root: ${JSON.stringify(m.root)},\n      attributes: ${JSON.stringify(m.attributes)},\n      sequence: [\n`;
    out += renderParticles(m.sequence, '        ');
    out += '      ],\n    },\n';
  }
  out += '  },\n  elements: {\n';
  for (const [name, c] of Object.entries(rules.elements)) out += `    ${JSON.stringify(name)}: ${renderContent(c, '    ')},\n`;
  return `${out}  },\n}`;
}

/** The text of `rules.generated.ts` for the given derived rules (deterministic, so the test can compare it byte for byte). */
export function renderRulesModule(byFile: Record<CebXsdFile, XsdRules>): string {
  const types = CEB_XSD_FILES.flatMap((f) => Object.keys(byFile[f].messages).map((t) => [t, f] as const)).sort(([a], [b]) => a.localeCompare(b));
  const seen = new Set<string>();
  for (const [t] of types) {
    if (seen.has(t)) throw new Error(`${t} is declared in more than one XSD`);
    seen.add(t);
  }
  return [
    '// GENERATED by hub/customs/ceb/gen-rules.ts from the official CEB XSDs (2022-05 edition) — do not edit.',
    '// Regenerate: node bin/run-ts.mjs hub/customs/ceb/gen-rules.ts [xsd-dir]; ceb.test.ts fails when this file and the XSDs disagree.',
    "import type { CebXsdFile, XsdRules } from './schema.ts';",
    '',
    `export const CEB_MESSAGE_TYPES = [${types.map(([t]) => `'${t}'`).join(', ')}] as const;`,
    'export type CebType = (typeof CEB_MESSAGE_TYPES)[number];',
    '',
    '/** Which XSD declares each message (the two files declare different elements under the same names). */',
    `export const CEB_MESSAGE_XSD: Record<CebType, CebXsdFile> = {\n${types.map(([t, f]) => `  ${t}: '${f}',`).join('\n')}\n};`,
    '',
    'export const CEB_XSD_RULES: Record<CebXsdFile, XsdRules> = {',
    ...CEB_XSD_FILES.map((f) => `  '${f}': ${renderRules(byFile[f]).replace(/\n/g, '\n  ')},`),
    '};',
    '',
  ].join('\n');
}
