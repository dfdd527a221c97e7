import { expect, it } from 'vitest';
import { eachStore } from '../../test/helpers/stores.ts';
import { createLogger } from '../../shared/log.ts';
import { generateCorpusMessage } from '../customs/ceb/corpus.ts';
import { cebToDocuments } from '../customs/ceb/to-documents.ts';
import { documentKey, type CustomsDocument } from '../customs/documents.ts';
import type { NormalizedReceipt } from '../customs/receipts.ts';
import { openCaseRepo } from '../repos/cases.ts';
import { documentsByKind, documentsByRef } from '../repos/documents.ts';
import { CustomsService } from './customs.ts';
import type { StationFeedService } from './station-feed.ts';

/**
 * The supplementary kinds and receipt types through CustomsService.ingest on both stores: stored, indexed by what they
 * name (document_refs, an additive migration), handed to the `onReceipts` listeners normalised — and deciding nothing
 * by themselves (the case machine gives them their effect).
 */
const docsOf = (xml: string): CustomsDocument[] => {
  const r = cebToDocuments(xml);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.documents;
};

eachStore('supplementary CEB documents and receipts', (store) => {
  const heard: NormalizedReceipt[][] = [];
  const service = () => {
    const storage = store();
    const feed = { put: async () => undefined } as unknown as StationFeedService;
    return new CustomsService({ storage, cases: openCaseRepo(storage.sql), feed, log: createLogger('test', 'silent'), onReceipts: [async (r) => heard.push([...r])] });
  };

  it('migrates additively and idempotently', async () => {
    const s = service();
    await openCaseRepo(store().sql).migrate();
    await s.migrate();
    await s.migrate();
  });

  it('stores a consolidation, finds it by every parcel it names, and replaces those refs when it is resent', async () => {
    const s = service();
    const [wayBill] = docsOf(generateCorpusMessage('CEB607', { edition: '2022-05', seed: 21 })) as [Extract<CustomsDocument, { kind: 'consolidation' }>];
    expect(await s.ingest([wayBill], 'officer')).toEqual([]);
    for (const line of wayBill.lines) expect((await documentsByRef(store().sql, 'logisticsNo', line.logisticsNo, 10)).map((d) => d.key)).toEqual([documentKey(wayBill)]);
    const resent = { ...wayBill, lines: [{ ...wayBill.lines[0]!, logisticsNo: 'SF0000000000099' }] };
    await s.ingest([resent], 'officer');
    expect(await documentsByRef(store().sql, 'logisticsNo', wayBill.lines[0]!.logisticsNo, 10)).toEqual([]);
    expect((await documentsByRef(store().sql, 'logisticsNo', 'SF0000000000099', 10)).map((d) => d.body.lines)).toEqual([resent.lines]);
    expect((await documentsByKind(store().sql, 'consolidation', 10)).map((d) => d.key)).toEqual([documentKey(wayBill)]);
  });

  it('hands a new receipt type to onReceipts, recorded and keyed to its document, and decides nothing for it', async () => {
    const s = service();
    heard.length = 0;
    const [receipt] = docsOf(generateCorpusMessage('CEB608', { edition: '2022-05', seed: 22 }));
    expect(await s.ingest([receipt], 'officer')).toEqual([]);
    expect(heard).toEqual([[expect.objectContaining({ messageType: 'CEB608', effect: 'recorded', subject: { kind: 'consolidation', key: expect.stringMatching(/^consolidation:/) } })]]);
    expect((await store().receiptsFor([heard[0]![0]!.subject.key])).map((r) => r.body.messageType)).toEqual(['CEB608']);
  });

  it('a cancellation request (623) is stored under its order (alone it names no parcel: no case is made); its 624 receipt is applied as before', async () => {
    const s = service();
    heard.length = 0;
    const [cancel] = docsOf(generateCorpusMessage('CEB623', { edition: '2022-05', seed: 23 })) as [Extract<CustomsDocument, { kind: 'inventoryCancel' }>];
    // The request moves its order's case (issue 16 item 3); an order with no other documents has none to move.
    expect((await s.ingest([cancel], 'officer')).every((o) => o.parcelKey === null && !('case' in o))).toBe(true);
    expect((await store().documentsByOrder(cancel.orderNo)).map((d) => d.kind)).toEqual(['inventoryCancel']);
    const [cancelled] = docsOf(generateCorpusMessage('CEB624', { edition: '2022-05', seed: 24 }));
    await s.ingest([cancelled], 'officer');
    expect(heard.at(-1)).toEqual([expect.objectContaining({ messageType: 'CEB624', effect: 'applied' })]);
  });
});
