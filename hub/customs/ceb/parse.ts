import type { FieldIssue } from '../../../shared/errors.ts';
import { CEB_MESSAGE_TYPES, type CebType } from './rules.generated.ts';
import { CEB_NS } from './schema.ts';
import { parseXml, type XmlElement, type XmlIssue, type XmlLimits } from './xml.ts';

export { CEB_NS, DS_NS } from './schema.ts';
export type { CebType } from './rules.generated.ts';
export type { XmlElement, XmlLimits } from './xml.ts';
export { DEFAULT_XML_LIMITS } from './xml.ts';

/** A parsed CEB message: the root's identity plus the whole tree, unknown (district) elements included. */
export interface CebMessage {
  type: CebType;
  guid: string;
  version: string;
  root: XmlElement;
}

export type CebParseIssueCode = XmlIssue['code'] | 'CEB_NAMESPACE' | 'CEB_UNKNOWN_MESSAGE' | 'CEB_ROOT_ATTRIBUTE';

export interface CebParseIssue extends FieldIssue {
  code: CebParseIssueCode;
  line?: number;
  column?: number;
}

/**
 * On failure `unknown` is set when the XML is a well-formed CEB message of a type no XSD edition declares
 * (`CEB999Message`): its type and tree, so the caller can still check what is checkable before refusing it.
 */
export type CebParseResult = { ok: true; message: CebMessage } | { ok: false; issues: CebParseIssue[]; unknown?: { type: string; root: XmlElement } };

export interface CebParseOptions {
  limits?: Partial<XmlLimits>;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(CEB_MESSAGE_TYPES);

function isCebType(t: string): t is CebType {
  return KNOWN_TYPES.has(t);
}

/**
 * Parse a CEB message (customs.md §2). Pure and safe on hostile input: DOCTYPEs are refused, no entity is ever
 * resolved, and size, depth, element, attribute and text limits apply (see DEFAULT_XML_LIMITS). The root is
 * matched by namespace URI, so `ceb:`, a default namespace or any other prefix bound to the CEB URI all work.
 * Field-level checks are {@link validateCeb}'s job; this only establishes which message it is.
 */
export function parseCebXml(xml: string | Uint8Array, opts: CebParseOptions = {}): CebParseResult {
  const parsed = parseXml(xml, opts.limits);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const root = parsed.root;
  const at = { line: root.line, column: root.column };
  if (root.ns !== CEB_NS) {
    const got = root.ns ? `namespace "${root.ns}"` : 'no namespace';
    return { ok: false, issues: [{ field: root.name, code: 'CEB_NAMESPACE', message: `the root element must be in namespace ${CEB_NS}, got ${got}`, ...at }] };
  }
  const type = /^(CEB\d{3})Message$/.exec(root.name)?.[1];
  if (!type || !isCebType(type)) {
    const issues: CebParseIssue[] = [{ field: root.name, code: 'CEB_UNKNOWN_MESSAGE', message: `<${root.name}> is not a message of the CEB XSDs (editions 2018 and 2022-05)`, ...at }];
    return type ? { ok: false, issues, unknown: { type, root } } : { ok: false, issues };
  }
  const issues: CebParseIssue[] = [];
  for (const name of ['guid', 'version'] as const) {
    if (root.attrs[name] === undefined) issues.push({ field: `@${name}`, code: 'CEB_ROOT_ATTRIBUTE', message: `${root.name} needs the attribute ${name}`, ...at });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, message: { type, guid: root.attrs.guid ?? '', version: root.attrs.version ?? '', root } };
}
