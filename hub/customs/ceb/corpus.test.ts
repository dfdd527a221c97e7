import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../test/helpers/services.ts';
import { RECEIPT_TYPES, type CustomsDocument } from '../documents.ts';
import { APPLIED_RECEIPT_TYPES, documentRefs, normalizedReceipts } from '../receipts.ts';
import { CORPUS_DIR, corpusMessages, edgeCorpus, generateCorpusMessage } from './corpus.ts';
import { CEB_EDITIONS, detectEdition, EDITION_2018_DIFFERENCES, editionRules, type CebEdition } from './edition.ts';
import { cebXsdDir } from './gen-rules.ts';
import { CEB_NS, parseCebXml } from './parse.ts';
import { CEB_MESSAGE_TYPES, CEB_MESSAGE_XSD, type CebType } from './rules.generated.ts';
import { deriveXsdRules, type Particle } from './schema.ts';
import { cebToDocuments, messageMapping } from './to-documents.ts';
import type { XmlElement } from './xml.ts';

/**
 * Issue 15 items 2 and 9, and the corpus proof: every message type of both XSDs in both editions is read, each corpus
 * message is valid by xmllint against its edition's XSD and accepted by the intake, and a message generated from the
 * rule table round-trips every field value.
 */

const run = promisify(execFile);
const ENVELOPE = new Set(['guid', 'appType', 'appTime', 'appStatus']);
const RECEIPT_FIELDS = new Set(['returnStatus', 'returnTime', 'returnInfo']);

/** Decimal text compared as XSD does: `+007.50` = `7.5`. */
function canonicalNumber(v: string): string | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(v.trim());
  if (!m || v.trim() === '') return undefined;
  const int = (m[2] ?? '').replace(/^0+/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1] === '-' && (int !== '0' || frac) ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

function sameValue(stored: unknown, text: string): boolean {
  if (stored === text) return true;
  const a = canonicalNumber(String(stored));
  return (typeof stored === 'number' || typeof stored === 'string') && a !== undefined && a === canonicalNumber(text);
}

const values = (el: XmlElement) => el.children.filter((c) => c.ns === CEB_NS && c.children.length === 0);
const named = (el: XmlElement, name: string) => el.children.filter((c) => c.ns === CEB_NS && c.name === name);

/**
 * Every leaf of every business block against the document made of it. Types added with the full map must keep every
 * field; the types mapped before keep theirs only where their schema models the field (documents.ts says which it
 * drops), and those it keeps must be exact.
 */
function roundTripProblems(type: CebType, xml: string, docs: readonly CustomsDocument[]): string[] {
  const parsed = parseCebXml(xml);
  if (!parsed.ok) return ['unparsed'];
  const mapping = messageMapping(type);
  if (!mapping) return [`${type} unmapped`];
  const problems: string[] = [];
  const check = (holder: Record<string, unknown> | undefined, el: XmlElement, path: string, strict: boolean) => {
    for (const leaf of values(el)) {
      if (ENVELOPE.has(leaf.name)) continue;
      const stored = holder?.[leaf.name];
      if (stored === undefined) {
        if (strict && leaf.text !== '') problems.push(`${path}.${leaf.name} dropped`);
      } else if (!sameValue(stored, leaf.text)) problems.push(`${path}.${leaf.name}: ${JSON.stringify(stored)} ≠ ${JSON.stringify(leaf.text)}`);
    }
  };
  if ('document' in mapping) {
    const spec = mapping.document;
    const strict = !['order', 'payment', 'waybill', 'inventory', 'return', 'exportOrder', 'exportWaybill', 'exportInventory'].includes(spec.kind);
    named(parsed.message.root, spec.block).forEach((block, i) => {
      const doc = docs[i] as unknown as Record<string, unknown> | undefined;
      if (doc?.kind !== spec.kind) problems.push(`${spec.block}[${i}] is ${String(doc?.kind)}`);
      check(doc, block, `${spec.block}[${i}]`, strict);
      if (spec.head) for (const head of named(block, spec.head)) check(doc, head, `${spec.block}[${i}].${spec.head}`, strict);
      if (spec.list) named(block, spec.list).forEach((line, j) => check((doc?.lines as Record<string, unknown>[] | undefined)?.[j], line, `${spec.block}[${i}].${spec.list}[${j}]`, strict));
    });
  } else {
    const r = mapping.receipt;
    named(parsed.message.root, r.block).forEach((block, i) => {
      const doc = docs[i] as unknown as { kind: string; refersTo: Record<string, unknown>; detail?: Record<string, unknown> } & Record<string, unknown>;
      if (doc.kind !== 'receipt' || doc.refersTo.kind !== r.refersTo) problems.push(`${r.block}[${i}] is not a receipt for ${r.refersTo}`);
      for (const leaf of values(block)) {
        if (ENVELOPE.has(leaf.name)) continue;
        const stored = r.refKeys.includes(leaf.name) ? doc.refersTo[leaf.name] : RECEIPT_FIELDS.has(leaf.name) ? doc[leaf.name] : doc.detail?.[leaf.name];
        if (stored === undefined) {
          if (r.detail || r.refKeys.includes(leaf.name) || RECEIPT_FIELDS.has(leaf.name)) problems.push(`${r.block}[${i}].${leaf.name} dropped`);
        } else if (!sameValue(stored, leaf.text)) problems.push(`${r.block}[${i}].${leaf.name}: ${JSON.stringify(stored)} ≠ ${JSON.stringify(leaf.text)}`);
      }
    });
  }
  return problems;
}

function accepted(xml: string) {
  const r = cebToDocuments(xml);
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.issues).slice(0, 600)}`);
  return r;
}

describe('every CEB message type is read (issue 15 item 2)', () => {
  it('maps each type of import-business.xsd and export-business.xsd to a document or a receipt', () => {
    expect(CEB_MESSAGE_TYPES.filter((t) => messageMapping(t) === undefined)).toEqual([]);
    expect(CEB_MESSAGE_TYPES).toHaveLength(42);
  });

  it('reads the requests whose receipts it already read (623, 605, 513), once refused as "not mapped"', () => {
    for (const type of ['CEB623', 'CEB605', 'CEB513'] as const) {
      const r = accepted(generateCorpusMessage(type, { edition: '2022-05', seed: 7 }));
      expect(r.documents.map((d) => d.kind)).toEqual([{ CEB623: 'inventoryCancel', CEB605: 'exportInventoryCancel', CEB513: 'waybillStatus' }[type]]);
    }
  });

  it('normalises every receipt type: the eleven read before are applied as before, the others recorded for the case machine', () => {
    const receiptTypes = CEB_MESSAGE_TYPES.filter((t) => { const m = messageMapping(t); return m !== undefined && 'receipt' in m; });
    expect(receiptTypes).toHaveLength(20);
    for (const type of receiptTypes) {
      const [n] = normalizedReceipts(accepted(generateCorpusMessage(type, { edition: '2022-05', seed: 11 })).documents);
      expect(n?.messageType).toBe(type);
      expect((RECEIPT_TYPES[n!.subject.kind] as readonly string[]).includes(type)).toBe(true);
      expect(n?.effect).toBe(APPLIED_RECEIPT_TYPES.has(n!.messageType) ? 'applied' : 'recorded');
    }
    const [arrival] = normalizedReceipts(accepted(generateCorpusMessage('CEB508', { edition: '2022-05', seed: 3 })).documents);
    expect(arrival).toMatchObject({ subject: { kind: 'arrival', key: expect.stringMatching(/^arrival:/) }, keys: { copNo: expect.any(String), msgSeqNo: 1, preNo: expect.any(String) }, detail: {} });
  });

  it('the e-port\'s CEB900 becomes a receipt naming the original message, its 5000-character returnInfo and oriBizMessage kept', async () => {
    const xml = (await edgeCorpus())['CEB900-format-check.xml']!;
    const [receipt] = accepted(xml).documents;
    expect(receipt).toMatchObject({ kind: 'receipt', messageType: 'CEB900', refersTo: { kind: 'message', oriMessageType: 'CEB621Message', oriCopMsgId: 'DXPENT0000012345_20240728101530_000123' }, returnStatus: -1, detail: { oriBizMessage: 'PGNlYjpDRUI2MjFNZXNzYWdlIC8+' } });
    const long = xml.replace(/<returnInfo>[^<]*</, `<returnInfo>${'校验失败;'.repeat(900)}<`);
    expect(accepted(long).documents).toHaveLength(1);
  });

  it('indexes what the supplementary kinds name (every parcel of a consolidation), and nothing for the decided kinds', () => {
    const [wayBill] = accepted(generateCorpusMessage('CEB607', { edition: '2022-05', seed: 5 })).documents;
    const lines = (wayBill as { lines: { logisticsNo: string }[] }).lines;
    expect(documentRefs(wayBill!).filter((r) => r.ref === 'logisticsNo').map((r) => r.value).sort()).toEqual([...new Set(lines.map((l) => l.logisticsNo))].sort());
    expect(documentRefs(accepted(generateCorpusMessage('CEB621', { edition: '2022-05', seed: 5 })).documents[0]!)).toEqual([]);
  });
});

describe('editions (issue 15 item 9)', () => {
  it('detects the 2018 CEB792 by its list without gseqno and applies that edition\'s facets', async () => {
    const xml = (await edgeCorpus())['CEB792-2018-gnum-only.xml']!;
    const parsed = parseCebXml(xml);
    expect(parsed.ok && detectEdition(parsed.message)).toMatchObject({ edition: '2018' });
    const r = accepted(xml);
    expect(r.edition).toBe('2018');
    expect(r.documents[0]).toMatchObject({ kind: 'summaryResult', lines: [{ gnum: 1, invtNo: '51412018E000000101' }, { gnum: 2 }] });
    // The same list read by the 2022-05 rules is refused: gseqno missing and logisticsNo too long.
    const as2022 = xml.replace('<ceb:gnum>1</ceb:gnum>', '<ceb:gseqno>1</ceb:gseqno><ceb:gnum>1</ceb:gnum>');
    const refused = cebToDocuments(as2022);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.issues.map((i) => i.field)).toEqual(expect.arrayContaining(['SummaryResult[0].SummaryResultList[0].logisticsNo', 'SummaryResult[0].SummaryResultList[1].gseqno']));
    // A 2018 list with a 2022-only invtNo of 20 characters is wrong in 2018.
    const long2018 = cebToDocuments(xml.replaceAll('51412018E000000101', '51412018E00000000101'));
    expect(!long2018.ok && long2018.issues.map((i) => i.field)).toContain('SummaryResult[0].SummaryResultList[0].invtNo');
  });

  it('reads a type the editions agree on by the 2022-05 rules, saying why', () => {
    const parsed = parseCebXml(generateCorpusMessage('CEB311', { edition: '2018', seed: 1 }));
    expect(parsed.ok && detectEdition(parsed.message)).toEqual({ edition: '2022-05', basis: 'CEB311 is the same in both editions' });
  });

  it('the 2018 rules are exactly what the 2018-shaped XSD used with xmllint derives to', async () => {
    const derived = deriveXsdRules(xsd2018(await readFile(join(cebXsdDir(), 'export-business.xsd'), 'utf8')), 'export-business.xsd');
    for (const d of EDITION_2018_DIFFERENCES) expect(derived.elements[d.element]).toEqual(editionRules('2018', d.type).elements[d.element]);
  });
});

describe('the corpus (hub/customs/ceb/corpus)', () => {
  it('is what the generator writes (node bin/run-ts.mjs hub/customs/ceb/corpus.ts)', async () => {
    for (const m of corpusMessages()) expect(await readFile(join(CORPUS_DIR, m.file), 'utf8'), m.file).toBe(m.xml);
  });

  it('every message of every type in both editions, and every edge case, is accepted and round-trips its values', async () => {
    for (const m of corpusMessages()) {
      const r = accepted(m.xml);
      expect(r.messageType).toBe(m.type);
      expect(r.edition).toBe(m.type === 'CEB792' ? m.edition : '2022-05');
      expect(roundTripProblems(m.type, m.xml, r.documents), m.file).toEqual([]);
    }
    for (const [name, xml] of Object.entries(await edgeCorpus())) {
      const r = accepted(xml);
      expect(roundTripProblems(r.messageType, xml, r.documents), name).toEqual([]);
    }
  });

  it('property: a message generated from the rule table (random lengths within the facets, any case, optional fields or not) is accepted and round-trips exactly', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...CEB_MESSAGE_TYPES), fc.constantFrom(...CEB_EDITIONS), (seed, type, edition: CebEdition) => {
        const xml = generateCorpusMessage(type, { edition, seed, optional: 'random', maxTextLength: 1000 });
        const r = cebToDocuments(xml);
        if (!r.ok) throw new Error(`${type} ${edition} ${seed}: ${JSON.stringify(r.issues).slice(0, 400)}`);
        expect(roundTripProblems(type, xml, r.documents)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });
});

// ---- xmllint: 2022-05 messages against the official XSDs, 2018 ones against the same with the 2018 differences ----

/** The official export XSD with each known 2018 difference written in (edition.ts): what a 2018 message is linted by. */
function xsd2018(exportXsd: string): string {
  let text = exportXsd;
  for (const d of EDITION_2018_DIFFERENCES) {
    if (CEB_MESSAGE_XSD[d.type] !== 'export-business.xsd') throw new Error(`${d.type}: only export differences are known`);
    const start = text.indexOf(`\n\t<xs:element name="${d.element}">`);
    const end = text.indexOf('\n\t<xs:element ', start + 1);
    if (start < 0 || end < 0) throw new Error(`${d.element} not found in the XSD`);
    text = `${text.slice(0, start)}\n\t<xs:element name="${d.element}"><xs:complexType><xs:sequence>${d.sequence2018.map(particleXsd).join('')}</xs:sequence></xs:complexType></xs:element>${text.slice(end)}`;
  }
  return text;
}

function particleXsd(p: Particle): string {
  if (p.content.kind !== 'value') throw new Error('only value particles');
  const r = p.content.rule;
  const facets = (['length', 'minLength', 'maxLength', 'totalDigits', 'fractionDigits'] as const).filter((f) => r[f] !== undefined).map((f) => `<xs:${f} value="${r[f]}"/>`).join('');
  return `<xs:element name="${p.name}"${p.min === 0 ? ' minOccurs="0"' : ''}><xs:simpleType><xs:restriction base="xs:${r.base}">${facets}</xs:restriction></xs:simpleType></xs:element>`;
}

async function xmllintAvailable(): Promise<boolean> {
  try {
    await run('xmllint', ['--version']);
    return true;
  } catch {
    return false;
  }
}

const xsdDir = cebXsdDir();
const canLint = (await xmllintAvailable()) && existsSync(join(xsdDir, 'import-business.xsd'));
describe.skipIf(!requireService('xmllint with the official CEB XSDs (apt-get install libxml2-utils)', canLint))('the corpus by xmllint --schema', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ceb-corpus-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function lint(xsdPath: string, docs: Record<string, string>): Promise<string[]> {
    const files = await Promise.all(Object.entries(docs).map(async ([name, xml]) => {
      const file = join(dir, name.replaceAll('/', '_'));
      await writeFile(file, xml);
      return [name, file] as const;
    }));
    const out = await run('xmllint', ['--noout', '--nonet', '--schema', xsdPath, ...files.map(([, f]) => f)], { maxBuffer: 16 * 1024 * 1024 }).then(
      (r) => r.stderr,
      (e: { stderr?: string }) => e.stderr ?? '',
    );
    return files.filter(([, file]) => !out.includes(`${file} validates`)).map(([name]) => `${name}: ${out.split('\n').filter((l) => l.includes(name.replaceAll('/', '_'))).slice(0, 3).join(' | ')}`);
  }

  it('validates every 2022-05 message against the official XSD, and every 2018 one against the 2018-shaped XSD', async () => {
    const xsd2018Path = join(dir, 'export-business-2018.xsd');
    await writeFile(xsd2018Path, xsd2018(await readFile(join(xsdDir, 'export-business.xsd'), 'utf8')));
    // The 2018-shaped XSD imports xmldsig by a relative path: keep it beside.
    await writeFile(join(dir, 'xmldsig-core-schema.xsd'), await readFile(join(xsdDir, 'xmldsig-core-schema.xsd')));
    const edge = await edgeCorpus();
    const edgeEdition = (xml: string): CebEdition => { const p = parseCebXml(xml); return p.ok ? detectEdition(p.message).edition : '2022-05'; };
    const groups = new Map<string, Record<string, string>>();
    const add = (xsdPath: string, name: string, xml: string) => groups.set(xsdPath, { ...groups.get(xsdPath), [name]: xml });
    const xsdFor = (type: CebType, edition: CebEdition) => (edition === '2018' && CEB_MESSAGE_XSD[type] === 'export-business.xsd' ? xsd2018Path : join(xsdDir, CEB_MESSAGE_XSD[type]));
    for (const m of corpusMessages()) add(xsdFor(m.type, m.edition), m.file, m.xml);
    for (const [name, xml] of Object.entries(edge)) {
      const type = /^CEB\d{3}/.exec(name)![0] as CebType;
      add(xsdFor(type, edgeEdition(xml)), `edge/${name}`, xml);
    }
    const failures: string[] = [];
    for (const [xsdPath, docs] of groups) failures.push(...(await lint(xsdPath, docs)));
    expect(failures).toEqual([]);
    expect([...groups.values()].reduce((n, g) => n + Object.keys(g).length, 0)).toBe(84 + Object.keys(edge).length);
  });

  it('the 2018 CEB792 is invalid by the official 2022-05 XSD (the editions really differ)', async () => {
    const failures = await lint(join(xsdDir, 'export-business.xsd'), { '792-2018.xml': (await edgeCorpus())['CEB792-2018-gnum-only.xml']! });
    expect(failures).toHaveLength(1);
  });
});
