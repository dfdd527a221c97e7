import { isUtf8 } from 'node:buffer';
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
  | 'XML_ENCODING_INVALID'
  | 'XML_ENCODING_MISMATCH'
  | 'XML_ENCODING_UNSUPPORTED'
  | 'XML_REPLACEMENT_CHARACTER'
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

function issue(code: XmlIssueCode, message: string, line?: number, column?: number): XmlIssue {
  const where = line === undefined ? '' : `line ${line}, column ${column ?? 0}: `;
  return { field: 'xml', code, message: `${where}${message}`, ...(line === undefined ? {} : { line, column }) };
}

/**
 * The encodings a CEB sender may use, by the labels a declaration may give. GBK/GB18030 are what older e-port clients
 * write; GB18030 is a superset of GBK and GB2312 and decodes all three (WHATWG Encoding: one decoder). Anything else is
 * refused rather than guessed.
 */
type Family = 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be';
const DECLARED: Record<string, Family | 'utf-16' | 'us-ascii'> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'us-ascii': 'us-ascii',
  ascii: 'us-ascii',
  gbk: 'gb18030',
  gb2312: 'gb18030',
  gb18030: 'gb18030',
  cp936: 'gb18030',
  'windows-936': 'gb18030',
  'x-gbk': 'gb18030',
  'utf-16': 'utf-16',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
};
const NAMES: Record<Family, string> = { 'utf-8': 'UTF-8', gb18030: 'GBK/GB18030', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE' };

/** The encoding label of an XML declaration at the start of `head` (no BOM), or undefined when there is none. */
function declaredLabel(head: string): string | undefined {
  return /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
}

function asciiOnly(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return false;
  return true;
}

function validIn(label: Family, bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Where U+FFFD first is, as a parse position. */
function replacementIssue(text: string): XmlIssue | undefined {
  const at = text.indexOf('\uFFFD');
  if (at < 0) return undefined;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return issue('XML_REPLACEMENT_CHARACTER', 'the text holds U+FFFD (the replacement character): it was already corrupted by an earlier decode; send the original bytes', line, at - before.lastIndexOf('\n'));
}

/** Whether a declaration (or its absence) agrees with the encoding the BOM or the UTF-16 bytes show. */
function agrees(family: Family, declared: Family | 'utf-16' | 'us-ascii' | undefined, bom: boolean): boolean {
  const utf16 = family === 'utf-16le' || family === 'utf-16be';
  // No declaration: a BOM is enough; UTF-16 found only by its bytes must be declared (XML 1.0 §4.3.3).
  if (declared === undefined) return bom || !utf16;
  if (declared === 'utf-16') return utf16;
  if (declared === 'us-ascii') return family === 'utf-8';
  return declared === family;
}

export type DecodeResult = { ok: true; text: string; encoding: Family } | { ok: false; issue: XmlIssue };

/**
 * Bytes → text, the one way every intake path takes (HTTP with or without a charset, the CLI's import, the drop folder):
 * the BOM, else the XML declaration, else UTF-8 (XML 1.0 §4.3.3, Appendix F). Strict, with Node's built-in decoders
 * (full ICU: gbk/gb18030 and utf-16 with `fatal`, so no dependency is needed):
 * - XML_ENCODING_INVALID: the bytes are not valid in that encoding (never decoded to U+FFFD);
 * - XML_ENCODING_MISMATCH: the declaration contradicts the bytes — a UTF-16 BOM under a GBK or UTF-8 declaration, a
 *   UTF-16 declaration on bytes that are not UTF-16, a GBK declaration on bytes that are UTF-8 (below);
 * - XML_ENCODING_UNSUPPORTED: an encoding other than UTF-8, UTF-16, GBK/GB2312/GB18030 (US-ASCII: UTF-8's subset);
 * - XML_REPLACEMENT_CHARACTER: the text decodes but holds U+FFFD — someone's earlier decode already lost characters.
 */
export function decodeXmlBytes(bytes: Uint8Array): DecodeResult {
  let family: Family | undefined;
  let bom = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) [family, bom] = ['utf-8', 3];
  else if ((bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) || (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff)) {
    return { ok: false, issue: issue('XML_ENCODING_UNSUPPORTED', 'UTF-32 is not supported (UTF-8, UTF-16, GBK/GB18030)') };
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) [family, bom] = ['utf-16le', 2];
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [family, bom] = ['utf-16be', 2];
  // No BOM, but "<" in UTF-16 (Appendix F; a NUL is never XML text): read as UTF-16; its declaration must say so.
  else if (bytes[0] === 0x3c && bytes[1] === 0) family = 'utf-16le';
  else if (bytes[0] === 0 && bytes[1] === 0x3c) family = 'utf-16be';

  const body = bytes.subarray(bom);
  let label: string | undefined;
  if (family === 'utf-16le' || family === 'utf-16be') {
    const text = validIn(family, body);
    if (text === undefined) return { ok: false, issue: issue('XML_ENCODING_INVALID', `the bytes are not valid ${NAMES[family]} (as their ${bom ? 'byte order mark' : 'first characters'} say)`) };
    label = declaredLabel(text);
  } else {
    // Every other accepted encoding is ASCII-compatible, so a latin1 view of the first bytes reads the declaration.
    label = declaredLabel(Buffer.from(body.subarray(0, 200)).toString('latin1'));
  }
  const declared = label === undefined ? undefined : DECLARED[label.toLowerCase()];
  if (label !== undefined && declared === undefined) return { ok: false, issue: issue('XML_ENCODING_UNSUPPORTED', `encoding "${label}" is not supported (UTF-8, UTF-16, GBK/GB18030)`) };

  if (family !== undefined) {
    // A BOM (or UTF-16 bytes) decides; a declaration, when there is one, must agree with it.
    if (!agrees(family, declared, bom > 0)) {
      const what = bom > 0 ? `the byte order mark says ${NAMES[family]}` : `the bytes are ${NAMES[family]} without a byte order mark`;
      return { ok: false, issue: issue('XML_ENCODING_MISMATCH', label === undefined ? `${what}, which needs a declaration saying so` : `${what} but the declaration says "${label}"`) };
    }
  } else if (declared === 'utf-16' || declared === 'utf-16le' || declared === 'utf-16be') {
    return { ok: false, issue: issue('XML_ENCODING_MISMATCH', `the declaration says "${label}" but the bytes are not UTF-16 (no byte order mark, one byte per character)`) };
  } else if (declared === 'us-ascii') {
    if (!asciiOnly(body)) return { ok: false, issue: issue('XML_ENCODING_INVALID', `the declaration says "${label}" but the bytes are not ASCII`) };
    family = 'utf-8';
  } else {
    family = declared ?? 'utf-8';
  }

  // A GBK declaration on bytes that are valid UTF-8 with non-ASCII characters: text that was converted to UTF-8 (a JSON
  // string, an editor's "save as") kept its old declaration, and decoding it as GBK would store mojibake without a single
  // invalid byte. Real GBK text is practically never valid UTF-8 (a GBK character is a lead byte 81–FE and a trail byte
  // that is rarely the 80–BF continuation UTF-8 then needs; a few characters in a row break UTF-8): refused, not guessed.
  if (family === 'gb18030' && !asciiOnly(body) && isUtf8(body)) {
    return { ok: false, issue: issue('XML_ENCODING_MISMATCH', `the declaration says "${label}" but the bytes are UTF-8: declare encoding="UTF-8", or send the GBK bytes themselves`) };
  }
  const text = validIn(family, body);
  if (text === undefined) {
    // Say what the bytes look like when they read as another accepted encoding: the usual fix is the declaration.
    const gbkHint = family === 'utf-8' && validIn('gb18030', body) !== undefined ? `; they read as GBK/GB18030: declare encoding="GBK"` : '';
    return { ok: false, issue: issue('XML_ENCODING_INVALID', `the bytes are not valid ${NAMES[family]}${label === undefined && family === 'utf-8' ? ' (no BOM or declaration: UTF-8 by default)' : ''}${gbkHint}`) };
  }
  const replaced = replacementIssue(text);
  if (replaced) return { ok: false, issue: replaced };
  return { ok: true, text, encoding: family };
}

/**
 * A stored original back to text (search.ts shows it to officers). Originals are the bytes as received, so
 * {@link decodeXmlBytes} reads them; before issue 15 a message sent as NDJSON text was stored as UTF-8 with a BOM under
 * its old declaration (GBK), which the strict decoder now calls a mismatch: the hub wrote that BOM itself, so it wins.
 */
export function decodeStoredOriginal(bytes: Uint8Array): DecodeResult {
  const r = decodeXmlBytes(bytes);
  if (r.ok || r.issue.code !== 'XML_ENCODING_MISMATCH' || !(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)) return r;
  const text = validIn('utf-8', bytes.subarray(3));
  return text === undefined ? r : { ok: true, text, encoding: 'utf-8' };
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
  if (typeof xml === 'string') {
    // Text someone else decoded: no encoding left to judge, but a U+FFFD in it is a character already lost.
    const replaced = replacementIssue(xml);
    if (replaced) return { ok: false, issues: [replaced] };
    text = xml;
  } else {
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
