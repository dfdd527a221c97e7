import type { FieldIssue } from '../../../shared/errors.ts';
import type { CustomsDocument } from '../documents.ts';
import { toCebTime } from '../documents.ts';
import type { Signer } from './generate.ts';
import { newCebGuid } from './generate.ts';
import { CEB_MESSAGE_XSD, CEB_XSD_RULES, type CebType } from './rules.generated.ts';
import { CEB_NS, type Content, type Particle, type XsdRules } from './schema.ts';
import { messageMapping } from './to-documents.ts';
import { validateCeb } from './validate.ts';
import type { XmlElement } from './xml.ts';
import { serializeXml } from './xml.ts';

/**
 * The hub's customs documents → the CEB XML message that carries them: the inverse of to-documents.ts, for what plays
 * the other side of the e-port (the demo's and the tests' e-port pushing declarations and customs' receipts into the
 * single-window client's InBox). Driven by the same XSD rule table, so the element order is the XSD's: every block's
 * leaves are the document's fields of the same name (a receipt's from `refersTo`, its status fields and `detail`), its
 * lines from `lines`; the envelope (each block's guid, appType/appTime/appStatus, BaseTransfer) is filled here, and the
 * signature is the signer's. The result is checked with validateCeb before it is returned: what the intake would refuse
 * is refused here, naming the element.
 */
export interface CebFromDocumentsOptions {
  /** The sender's transfer block (BaseTransfer): the declaring enterprise's code, name and DXP id. */
  transfer: { copCode: string; copName: string; dxpId: string };
  /** appTime of every head (Beijing time, CEB form). */
  nowMs?: number;
  newGuid?: () => string;
  /** Signs a message whose XSD requires ds:Signature (621, 623, 625, 711): the declaring enterprise's card. */
  signer?: Signer;
}

export type CebFromDocumentsResult = { ok: true; type: CebType; guid: string; xml: string } | { ok: false; issues: FieldIssue[] };

const ENVELOPE: Record<string, (o: Required<Pick<CebFromDocumentsOptions, 'newGuid'>> & { appTime: string }) => string> = {
  guid: (o) => o.newGuid(),
  appType: () => '1',
  appTime: (o) => o.appTime,
  appStatus: () => '2',
};

/** Fields the documents do not model because the message fixes them (to-documents.ts drops them on the way in). */
const CONSTANT: Partial<Record<CebType, Record<string, string>>> = { CEB311: { orderType: 'I' } };

function sequenceOf(content: Content | undefined, rules: XsdRules): Particle[] {
  if (!content) return [];
  if (content.kind === 'ref') return sequenceOf(rules.elements[content.ref], rules);
  return content.kind === 'sequence' ? content.sequence : [];
}

const el = (name: string, children: XmlElement[] = [], text = ''): XmlElement => ({ ns: CEB_NS, name, attrs: {}, children, text });

/** The value leaves of `particles` from `values` (and the envelope), in XSD order; absent values are left out. */
function leaves(particles: readonly Particle[], values: Record<string, unknown>, env: Parameters<(typeof ENVELOPE)['guid']>[0]): XmlElement[] {
  return particles.flatMap((p) => {
    if (p.ns !== 'ceb' || p.content.kind !== 'value') return [];
    const v = values[p.name] ?? (ENVELOPE[p.name] && p.min > 0 ? ENVELOPE[p.name]!(env) : undefined);
    return v === undefined || v === null ? [] : [el(p.name, [], String(v))];
  });
}

/** `docs` (all of the kind `type` carries: order for CEB311, a CEB622 receipt for CEB622…) as one CEB message. */
export async function documentsToCebXml(type: CebType, docs: readonly CustomsDocument[], o: CebFromDocumentsOptions): Promise<CebFromDocumentsResult> {
  const mapping = messageMapping(type);
  if (!mapping) return { ok: false, issues: [{ field: '(root)', message: `${type} carries no customs document` }] };
  const rules = CEB_XSD_RULES[CEB_MESSAGE_XSD[type]];
  const root = rules.messages[type]!;
  const env = { newGuid: o.newGuid ?? newCebGuid, appTime: toCebTime(o.nowMs ?? Date.now()) };
  const blockName = 'document' in mapping ? mapping.document.block : mapping.receipt.block;
  const blockParticles = sequenceOf(root.sequence.find((p) => p.name === blockName)?.content, rules);
  const blocks = docs.map((d) => {
    const doc = d as Record<string, unknown>;
    if ('receipt' in mapping) {
      const values = { ...((doc.detail as Record<string, unknown> | undefined) ?? {}), ...(doc.refersTo as Record<string, unknown>), returnStatus: doc.returnStatus, returnTime: doc.returnTime, returnInfo: doc.returnInfo };
      return el(blockName, leaves(blockParticles, values, env));
    }
    const spec = mapping.document;
    const children: XmlElement[] = [];
    for (const p of blockParticles) {
      if (p.name === spec.head) children.push(el(p.name, leaves(sequenceOf(p.content, rules), { ...CONSTANT[type], ...doc }, env)));
      else if (p.name === spec.list) {
        const lineParticles = sequenceOf(p.content, rules);
        for (const [i, line] of ((doc.lines as Record<string, unknown>[] | undefined) ?? []).entries()) children.push(el(p.name, leaves(lineParticles, { gnum: i + 1, ...line }, env)));
      } else if (!spec.head) children.push(...leaves([p], doc, env));
    }
    return el(blockName, children);
  });
  const transferParticle = root.sequence.find((p) => p.name === 'BaseTransfer');
  const transfer = transferParticle ? [el('BaseTransfer', leaves(sequenceOf(transferParticle.content, rules), { ...o.transfer, dxpMode: 'DXP' }, env))] : [];
  const guid = env.newGuid();
  const message: XmlElement = { ns: CEB_NS, name: `${type}Message`, attrs: { guid, version: '1.0' }, children: [...blocks, ...transfer], text: '' };
  const signed = root.sequence.some((p) => p.ns === 'ds' && p.name === 'Signature' && p.min > 0);
  const issues = validateCeb({ type, guid, version: '1.0', root: message }).filter((i) => !(signed && i.field === 'Signature'));
  if (issues.length > 0) return { ok: false, issues };
  const xml = serializeXml(message, { [CEB_NS]: 'ceb' });
  if (!signed) return { ok: true, type, guid, xml };
  if (!o.signer) return { ok: false, issues: [{ field: 'Signature', message: `${type} must be signed: give a signer` }] };
  return { ok: true, type, guid, xml: await o.signer.sign(xml) };
}
