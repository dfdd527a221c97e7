import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { FieldIssue } from '../../../shared/errors.ts';

/**
 * A small namespace-aware XML tree and a hardened parser for it. Elements are identified by namespace URI and
 * local name only: the prefix a sender happened to use is not kept, so `ceb:Order`, a default-namespace `Order`
 * and `x:Order` (x bound to the same URI) are the same element.
 */
export interface XmlElement {
  /** Namespace URI ('' when the element is in no namespace). */
  ns: string;
  /** Local name. */
  name: string;
  /** Attributes by local name; an attribute in a namespace is keyed `{uri}local` (Clark notation). */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA); whitespace between child elements is dropped. */
  text: string;
  /** Where the start tag begins, 1-based, for issues that point into the document. */
  line?: number;
  column?: number;
  /**
   * Namespace bindings declared on this element (prefix '' is the default namespace). Only readers of
   * QName-valued content need them (XSD `ref="ceb:OrderHead"`); CEB business data never does.
   */
  declared?: Record<string, string>;
}

export interface XmlLimits {
  /** Whole input, in bytes (UTF-8 bytes for a string). Checked before any parsing. */
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  maxAttributesPerElement: number;
  /** Character data of one element, in UTF-16 code units. */
  maxTextLength: number;
  /**
   * One attribute value, in UTF-16 code units. The CEB XSDs declare attributes only on the root (guid: 36, version:
   * a few characters) and xmldsig's Algorithm/URI references: 4 KB is far above any of them.
   */
  maxAttributeLength: number;
}

/**
 * CEB311 at its XSD maximum (100 orders × 99 lines) is about 135,000 elements and 3–4 MB, so these leave room for
 * the largest legal message and nothing like a decompression-bomb sized one.
 */
export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 200_000,
  maxAttributesPerElement: 32,
  maxTextLength: 256 * 1024,
  maxAttributeLength: 4096,
});

export type XmlIssueCode =
  | 'XML_TOO_LARGE'
  | 'XML_ENCODING'
  | 'XML_DOCTYPE_REFUSED'
  | 'XML_MALFORMED'
  | 'XML_TOO_DEEP'
  | 'XML_TOO_MANY_ELEMENTS'
  | 'XML_TOO_MANY_ATTRIBUTES'
  | 'XML_ATTRIBUTE_TOO_LONG'
  | 'XML_TEXT_TOO_LONG';

/** A FieldIssue with a stable code (tests and callers match on it) and the position in the document when known. */
export interface XmlIssue extends FieldIssue {
  code: XmlIssueCode;
  line?: number;
  column?: number;
}

export type XmlParseResult = { ok: true; root: XmlElement } | { ok: false; issues: XmlIssue[] };

/** Thrown from inside saxes handlers to stop the parse at the first problem; never leaves this module. */
class Stop extends Error {
  constructor(readonly issue: XmlIssue) {
    super(issue.message);
  }
}

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
// Encodings a Chinese sender may declare. GBK/GB18030 are what older e-port clients write; anything else is refused
// rather than guessed.
const GB_ENCODINGS = new Set(['gbk', 'gb2312', 'gb18030', 'cp936']);

function issue(code: XmlIssueCode, message: string, line?: number, column?: number): XmlIssue {
  const where = line === undefined ? '' : `line ${line}, column ${column ?? 0}: `;
  return { field: 'xml', code, message: `${where}${message}`, ...(line === undefined ? {} : { line, column }) };
}

/** Bytes → text per the BOM or the encoding in the XML declaration; strict, so bad bytes are an issue, not U+FFFD. */
export function decodeXmlBytes(bytes: Uint8Array): { ok: true; text: string } | { ok: false; issue: XmlIssue } {
  let label = 'utf-8';
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) [label, start] = ['utf-16le', 2];
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [label, start] = ['utf-16be', 2];
  else {
    // The declaration is ASCII in every encoding we accept, so a latin1 view of the first bytes is enough to read it.
    const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
    const declared = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
    if (declared && declared !== 'utf-8' && declared !== 'utf8') {
      if (!GB_ENCODINGS.has(declared)) return { ok: false, issue: issue('XML_ENCODING', `encoding "${declared}" is not supported (UTF-8, UTF-16 with BOM, GBK/GB18030)`) };
      label = 'gb18030';
    }
  }
  try {
    return { ok: true, text: new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start)) };
  } catch {
    return { ok: false, issue: issue('XML_ENCODING', `the bytes are not valid ${label.toUpperCase()}`) };
  }
}

/**
 * A message that arrived as text (a JSON string in an NDJSON batch) as the bytes to parse and keep: UTF-8, with a BOM
 * when its declaration names another encoding (the text was decoded by whoever sent it), so that the stored bytes
 * decode back to the same text — the BOM wins over the declaration in {@link decodeXmlBytes}.
 */
export function xmlTextBytes(text: string): Uint8Array {
  const declared = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(text.slice(0, 200))?.[1]?.toLowerCase();
  const utf8 = Buffer.from(text, 'utf8');
  return declared && declared !== 'utf-8' && declared !== 'utf8' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]) : utf8;
}

/**
 * A DOCTYPE is refused before the parser reads any of it: with no DTD there are no entity declarations, so no
 * XXE (external entities), no external parameter entities and no entity-expansion bombs. Only the prolog is
 * scanned (comments and processing instructions are skipped); saxes' doctype event is the second line of defence.
 */
function findDoctype(text: string): { line: number; column: number } | undefined {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return undefined;
      i = end + 3;
    } else if (text.slice(i, i + 9).toUpperCase() === '<!DOCTYPE') {
      const before = text.slice(0, i);
      const line = before.split('\n').length;
      return { line, column: i - before.lastIndexOf('\n') };
    } else return undefined;
  }
}

function byteLengthAtLeast(xml: string | Uint8Array, max: number): number | undefined {
  if (typeof xml !== 'string') return xml.byteLength > max ? xml.byteLength : undefined;
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is refused without measuring it.
  if (xml.length > max) return xml.length;
  const bytes = Buffer.byteLength(xml, 'utf8');
  return bytes > max ? bytes : undefined;
}

/** Parse any XML document into an {@link XmlElement} tree, within `limits`. Pure: no I/O, no entity resolution. */
export function parseXml(xml: string | Uint8Array, limits: Partial<XmlLimits> = {}): XmlParseResult {
  const lim: XmlLimits = { ...DEFAULT_XML_LIMITS, ...limits };
  const tooLarge = byteLengthAtLeast(xml, lim.maxBytes);
  if (tooLarge !== undefined) return { ok: false, issues: [issue('XML_TOO_LARGE', `the document is larger than ${lim.maxBytes} bytes (at least ${tooLarge})`)] };

  let text: string;
  if (typeof xml === 'string') text = xml;
  else {
    const decoded = decodeXmlBytes(xml);
    if (!decoded.ok) return { ok: false, issues: [decoded.issue] };
    text = decoded.text;
  }
  const doctype = findDoctype(text);
  if (doctype) return { ok: false, issues: [issue('XML_DOCTYPE_REFUSED', 'a DOCTYPE is not allowed (DTDs and entity declarations are refused)', doctype.line, doctype.column)] };

  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let attributes = 0;
  let tagStart = { line: 1, column: 0 };
  const stop = (code: XmlIssueCode, message: string): never => {
    throw new Stop(issue(code, message, parser.line, parser.column));
  };

  parser.on('doctype', () => stop('XML_DOCTYPE_REFUSED', 'a DOCTYPE is not allowed (DTDs and entity declarations are refused)'));
  parser.on('error', (err) => stop('XML_MALFORMED', err.message.replace(/^\d+:\d+:\s*/, '')));
  parser.on('opentagstart', ({ name: tagName }) => {
    if (stack.length + 1 > lim.maxDepth) stop('XML_TOO_DEEP', `elements are nested deeper than ${lim.maxDepth}`);
    if (++elements > lim.maxElements) stop('XML_TOO_MANY_ELEMENTS', `more than ${lim.maxElements} elements`);
    attributes = 0;
    // saxes' column counts the characters read on the line (here '<' and the name), so this is the 1-based column of '<'.
    tagStart = { line: parser.line, column: Math.max(1, parser.column - tagName.length) };
  });
  parser.on('attribute', (a) => {
    if (a.value.length > lim.maxAttributeLength) stop('XML_ATTRIBUTE_TOO_LONG', `the attribute ${a.name} is longer than ${lim.maxAttributeLength} characters`);
    if (++attributes > lim.maxAttributesPerElement) stop('XML_TOO_MANY_ATTRIBUTES', `an element has more than ${lim.maxAttributesPerElement} attributes`);
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) {
      if (a.uri === XMLNS_NS) continue;
      attrs[a.uri ? `{${a.uri}}${a.local}` : a.local] = a.value;
    }
    const el: XmlElement = { ns: tag.uri, name: tag.local, attrs, children: [], text: '', ...tagStart };
    const declared = Object.keys(tag.ns);
    if (declared.length > 0) el.declared = { ...tag.ns };
    stack.push(el);
  });
  const addText = (chunk: string): void => {
    const top = stack[stack.length - 1];
    if (!top) return; // whitespace around the root; saxes itself rejects anything else there
    // Indentation between child elements is not data: dropping it keeps a long list from tripping the text limit.
    if (top.children.length > 0 && chunk.trim() === '') return;
    top.text += chunk;
    if (top.text.length > lim.maxTextLength) stop('XML_TEXT_TOO_LONG', `the text of <${top.name}> is longer than ${lim.maxTextLength} characters`);
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    const el = stack.pop();
    if (!el) return;
    if (el.children.length > 0 && el.text.trim() === '') el.text = '';
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
  });

  try {
    parser.write(text).close();
  } catch (e) {
    if (e instanceof Stop) return { ok: false, issues: [e.issue] };
    throw e;
  }
  if (!root) return { ok: false, issues: [issue('XML_MALFORMED', 'the document has no root element')] };
  return { ok: true, root };
}

/**
 * Whether `s` can be written into an XML 1.0 document at all (escaping cannot carry these): the Char production
 * allows no C0 control except tab, LF and CR, no lone surrogate and neither U+FFFE nor U+FFFF.
 */
export function isXmlText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    if (c === 0xfffe || c === 0xffff) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

export function escapeXmlText(s: string): string {
  // '>' is escaped too so that a literal "]]>" in data can never read as the end of a CDATA section.
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

export function escapeXmlAttr(s: string): string {
  // Tabs and line breaks in attribute values would be normalised to spaces by any reader: keep them as references.
  return escapeXmlText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

/**
 * Serialise a tree with the given prefix per namespace URI; every namespace used is declared once on the root.
 * Leaves are written on one line so that no whitespace is added to their values.
 */
export function serializeXml(root: XmlElement, prefixes: Record<string, string>): string {
  const used = new Set<string>();
  const collect = (el: XmlElement): void => {
    used.add(el.ns);
    el.children.forEach(collect);
  };
  collect(root);
  const qname = (el: XmlElement): string => {
    if (!el.ns) return el.name;
    const prefix = prefixes[el.ns];
    if (prefix === undefined) throw new Error(`serializeXml: no prefix given for namespace ${el.ns}`);
    return prefix ? `${prefix}:${el.name}` : el.name;
  };
  const write = (el: XmlElement, indent: string, isRoot: boolean): string => {
    for (const s of [el.text, ...Object.values(el.attrs)]) {
      if (!isXmlText(s)) throw new Error(`serializeXml: <${el.name}> holds a character XML cannot carry`);
    }
    let attrs = Object.entries(el.attrs).map(([k, v]) => ` ${k}="${escapeXmlAttr(v)}"`).join('');
    if (isRoot) {
      for (const ns of [...used].filter(Boolean).sort()) {
        const prefix = prefixes[ns];
        attrs += prefix ? ` xmlns:${prefix}="${escapeXmlAttr(ns)}"` : ` xmlns="${escapeXmlAttr(ns)}"`;
      }
    }
    const name = qname(el);
    if (el.children.length === 0) return `${indent}<${name}${attrs}>${escapeXmlText(el.text)}</${name}>`;
    const inner = el.children.map((c) => write(c, `${indent}  `, false)).join('\n');
    return `${indent}<${name}${attrs}>\n${inner}\n${indent}</${name}>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${write(root, '', true)}\n`;
}
