import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BondgateError, type FieldIssue } from '../../shared/errors.ts';
import { createLogger } from '../../shared/log.ts';
import { fixtureXml } from '../customs/ceb/fixtures.ts';
import { safeParseDocument, type CustomsDocument } from '../customs/documents.ts';
import { generateDocumentSets } from '../customs/generate-docs.ts';
import type { AuditInput } from '../audit.ts';
import type { OrderOutcome, OriginalMessage } from './customs.ts';
import { DROP_ACTOR, isDropCandidate, startDropFolder, type DropFolder } from './drop-folder.ts';

/**
 * The drop folder against a stand-in for CustomsService.ingest that keeps its contract: the call is validated whole
 * (field paths `documents.<i>.<kind>.<field>`, nothing kept when one is bad), documents are stored, one outcome per
 * order. The real service behind the hub is exercised in test/document-intake.test.ts.
 */
const log = createLogger('test', 'silent');

class FakeCustoms {
  /** `original`: the message as text (the fixtures are UTF-8), to compare with what was dropped. */
  readonly calls: { actor: string; original: string | null; documents: CustomsDocument[] }[] = [];
  failWith: Error | null = null;

  async ingest(inputs: unknown[], actor: string, message: OriginalMessage | null = null): Promise<OrderOutcome[]> {
    const original = message && Buffer.from(message.xml).toString('utf8');
    if (this.failWith) throw this.failWith;
    const docs: CustomsDocument[] = [];
    const issues: FieldIssue[] = [];
    inputs.forEach((input, i) => {
      const r = safeParseDocument(input);
      if (r.ok) docs.push(r.value);
      else issues.push(...r.fields.map((f) => ({ field: `documents.${i}.${f.field}`, message: f.message })));
    });
    if (issues.length > 0) throw new BondgateError('VALIDATION_FAILED', 'nothing was stored', issues);
    this.calls.push({ actor, original, documents: docs });
    const orders = [...new Set(docs.flatMap((d) => ('orderNo' in d ? [d.orderNo as string] : [])))];
    return orders.map((orderNo) => ({ orderNo, parcelKey: null, match: { complete: false, consistent: true, missing: ['payment'], mismatches: [] }, risk: {} as OrderOutcome['risk'], release: { decision: 'pending', reasons: [] } }));
  }

  stored(): CustomsDocument[] {
    return this.calls.flatMap((c) => c.documents);
  }
}

const set = (seed: number) => {
  const p = generateDocumentSets({ seed }, 1)[0]!;
  return Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
};

let dir: string;
let customs: FakeCustoms;
let folder: DropFolder | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bg-drop-'));
  customs = new FakeCustoms();
  audit = [];
});
afterEach(async () => {
  await folder?.stop();
  folder = undefined;
  rmSync(dir, { recursive: true, force: true });
});
/** A timer that never fires during a test: the test looks at the folder itself with poll(). */
let audit: AuditInput[] = [];
const start = () => (folder = startDropFolder({ path: dir, pollMs: 3_600_000, customs, log, appendAudit: async (e) => audit.push(e) }));
const inRoot = () => readdirSync(dir).filter((n) => n !== 'done' && n !== 'failed').sort();
const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

describe('drop folder', () => {
  it('takes XML, JSON and NDJSON files to done/, a hostile XML to failed/ with the reason', async () => {
    const xml = fixtureXml('CEB311');
    writeFileSync(join(dir, 'a-order.xml'), xml);
    writeFileSync(join(dir, 'b-set.json'), JSON.stringify({ documents: set(1) }));
    writeFileSync(join(dir, 'c-hostile.xml'), '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
    writeFileSync(join(dir, 'd-lines.ndjson'), `${set(2).map((d) => JSON.stringify(d)).join('\n')}\n\n${JSON.stringify(fixtureXml('CEB411'))}`);
    const f = start();

    await f.poll(); // first look: seen, not yet known to be complete
    expect(customs.calls).toEqual([]);
    await f.poll();
    expect(inRoot()).toEqual([]);
    expect(readdirSync(join(dir, 'done')).sort()).toEqual(['a-order.xml', 'a-order.xml.result.json', 'b-set.json', 'b-set.json.result.json', 'd-lines.ndjson', 'd-lines.ndjson.result.json']);
    expect(readdirSync(join(dir, 'failed')).sort()).toEqual(['c-hostile.xml', 'c-hostile.xml.errors.json']);

    // The XML message is kept beside its documents; everything came in as the drop-folder actor.
    expect(customs.calls[0]).toMatchObject({ actor: DROP_ACTOR, original: xml });
    expect(customs.calls.every((c) => c.actor === DROP_ACTOR)).toBe(true);
    const orderNo = customs.calls[0]!.documents[0]!.kind === 'order' ? customs.calls[0]!.documents[0]!.orderNo : '';
    const result = json(join(dir, 'done', 'a-order.xml.result.json'));
    expect(result).toMatchObject({ file: 'a-order.xml', total: 1, stored: 1, rejected: 0, documentsStored: 1, orders: [{ orderNo, decision: 'pending', complete: false, missing: ['payment'] }] });
    // The NDJSON file: 4 documents of one set (one chunk) and a CEB411 message (its own call, kept as received).
    expect(json(join(dir, 'done', 'd-lines.ndjson.result.json'))).toMatchObject({ total: 5, stored: 5, rejected: 0 });
    expect(customs.calls.find((c) => c.original === fixtureXml('CEB411'))?.documents.map((d) => d.kind)).toEqual(['payment']);

    const errors = json(join(dir, 'failed', 'c-hostile.xml.errors.json')) as { rejected: number; errors: { field: string; message: string }[] };
    expect(errors.rejected).toBe(1);
    expect(errors.errors).toEqual([expect.objectContaining({ field: 'documents.0.xml', message: expect.stringMatching(/DOCTYPE/) })]);
    expect(readFileSync(join(dir, 'failed', 'c-hostile.xml'), 'utf8')).toMatch(/DOCTYPE/);

    // Every file is on the audit chain, the refused one and those that decided no parcel included.
    expect(audit.map((e) => [e.actor, e.action, e.subject, e.detail?.status])).toEqual([
      [DROP_ACTOR, 'documents.drop', 'a-order.xml', 'done'],
      [DROP_ACTOR, 'documents.drop', 'b-set.json', 'done'],
      [DROP_ACTOR, 'documents.drop', 'c-hostile.xml', 'failed'],
      [DROP_ACTOR, 'documents.drop', 'd-lines.ndjson', 'done'],
    ]);
    expect(audit[2]!.detail).toMatchObject({ rejected: 1, errorsTotal: 1, errorFields: ['documents.0.xml'] });
    expect(audit[0]!.detail).toMatchObject({ stored: 1, documentsStored: 1, outcomes: { pending: 1 } });
  });

  it('a file still being written is not taken until its size holds across two looks', async () => {
    const docs = set(3).map((d) => JSON.stringify(d));
    const file = join(dir, 'growing.ndjson');
    writeFileSync(file, `${docs[0]}\n${docs[1]!.slice(0, 40)}`);
    const f = start();
    await f.poll();
    appendFileSync(file, `${docs[1]!.slice(40)}\n`);
    await f.poll(); // grew since the last look: not complete
    appendFileSync(file, `${docs[2]}\n${docs[3]}\n`);
    await f.poll(); // grew again
    expect(customs.calls).toEqual([]);
    expect(inRoot()).toEqual(['growing.ndjson']);
    await f.poll(); // unchanged since the last look: taken whole
    expect(customs.stored().map((d) => d.kind)).toEqual(['order', 'payment', 'waybill', 'inventory']);
    expect(existsSync(join(dir, 'done', 'growing.ndjson'))).toBe(true);
  });

  it('ignores dotfiles and temp names; a temp file renamed into place is taken', async () => {
    const body = JSON.stringify(set(4));
    writeFileSync(join(dir, 'batch.json.part'), body);
    writeFileSync(join(dir, 'batch.tmp'), body);
    writeFileSync(join(dir, '.hidden.json'), body);
    writeFileSync(join(dir, 'notes.txt'), 'not a document');
    const f = start();
    await f.poll();
    await f.poll();
    expect(customs.calls).toEqual([]);
    renameSync(join(dir, 'batch.json.part'), join(dir, 'batch.json'));
    await f.poll();
    await f.poll();
    expect(customs.stored()).toHaveLength(4);
    expect(inRoot()).toEqual(['.hidden.json', 'batch.tmp', 'notes.txt']);
    expect(['a.xml', 'a.JSON', 'b.ndjson'].map(isDropCandidate)).toEqual([true, true, true]);
    expect(['.a.xml', 'a.xml.part', 'a.tmp', 'a.json~'].map(isDropCandidate)).toEqual([false, false, false, false]);
  });

  it('processes in name order, a bad document sends its file to failed/ with field paths', async () => {
    const bad = set(5).map((d) => (d.kind === 'inventory' ? { ...d, grossWeight: 'heavy' } : d));
    writeFileSync(join(dir, 'z-last.json'), JSON.stringify(set(6)));
    writeFileSync(join(dir, 'm-bad.json'), JSON.stringify(bad));
    writeFileSync(join(dir, 'a-first.json'), JSON.stringify(set(7)[0]));
    writeFileSync(join(dir, 'n-not-json.json'), '{"documents": [');
    const f = start();
    await f.poll();
    await f.poll();
    expect(customs.calls.map((c) => c.documents.length)).toEqual([1, 4]); // a-first (one document), then z-last
    expect(readdirSync(join(dir, 'failed')).sort()).toEqual(['m-bad.json', 'm-bad.json.errors.json', 'n-not-json.json', 'n-not-json.json.errors.json']);
    const errors = json(join(dir, 'failed', 'm-bad.json.errors.json')) as { stored: number; rejected: number; errors: { field: string; item: number }[] };
    expect(errors).toMatchObject({ stored: 0, rejected: 4 });
    expect(errors.errors).toEqual([expect.objectContaining({ item: 3, field: 'documents.3.inventory.grossWeight' })]);
    expect(json(join(dir, 'failed', 'n-not-json.json.errors.json'))).toMatchObject({ failure: { code: 'VALIDATION_FAILED' }, errors: [{ field: 'body' }] });
  });

  it('a store failure leaves the file in place; after a restart it is simply processed again', async () => {
    writeFileSync(join(dir, 'set.json'), JSON.stringify(set(8)));
    customs.failWith = new Error('connection refused');
    const f = start();
    await f.poll();
    await f.poll();
    expect(inRoot()).toEqual(['set.json']);
    expect(readdirSync(join(dir, 'failed'))).toEqual([]);
    await f.stop();

    customs.failWith = null;
    const again = start();
    await again.poll();
    await again.poll();
    expect(customs.stored()).toHaveLength(4);
    expect(readdirSync(join(dir, 'done')).sort()).toEqual(['set.json', 'set.json.result.json']);
  });
});
