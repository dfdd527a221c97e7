import { expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { documentKey, parseDocument, ReturnRequest, type CustomsDocument, type InventoryList } from '../customs/documents.ts';
import { generateParcel } from '../customs/generate-docs.ts';
import { openReturnsRepo } from '../repos/returns.ts';
import type { Storage } from '../storage/storage.ts';
import { ReturnsService } from './returns.ts';

const log = createLogger('test', 'silent');

/** Store documents as CustomsService does (it stores first, then hands the batch on). */
async function store(s: Storage, docs: readonly CustomsDocument[]): Promise<void> {
  for (const doc of docs) {
    const orderNo = 'orderNo' in doc && typeof doc.orderNo === 'string' ? doc.orderNo : null;
    const subjectKey = doc.kind === 'receipt' ? documentKey(doc.refersTo) : null;
    await s.putDocument({ kind: doc.kind, key: documentKey(doc), orderNo, subjectKey, body: doc as unknown as Record<string, unknown>, originalSha256: null, receivedMs: 1 });
  }
}

const returnOf = (list: InventoryList, copNo: string, lines: { gnum: number; qty: number }[], patch: Record<string, unknown> = {}): ReturnRequest =>
  ReturnRequest.parse({
    kind: 'return', customsCode: list.customsCode, orderNo: list.orderNo, ebpCode: list.ebpCode, ebpName: list.ebpName, ebcCode: list.ebcCode, ebcName: list.ebcName,
    logisticsNo: list.logisticsNo, logisticsCode: list.logisticsCode, logisticsName: list.logisticsName, copNo, invtNo: list.invtNo, buyerIdType: '1',
    buyerIdNumber: list.buyerIdNumber, buyerName: list.buyerName, buyerTelephone: list.buyerTelephone, agentCode: list.agentCode, agentName: list.agentName, reason: '七天无理由退货',
    lines: lines.map((l) => {
      const o = list.lines.find((x) => x.gnum === l.gnum)!;
      return { gnum: l.gnum, gcode: o.gcode, gname: o.gname, unit: o.unit, qty: l.qty };
    }),
    ...patch,
  });

const receipt = (messageType: 'CEB622' | 'CEB626', refersTo: Record<string, unknown>, returnStatus: number, returnTime: string): CustomsDocument =>
  parseDocument({ kind: 'receipt', messageType, refersTo, returnStatus, returnTime, returnInfo: String(returnStatus) });

eachStore('returns service', (store_) => {
  const setup = async () => {
    const s = store_();
    const repo = openReturnsRepo(s.sql);
    await repo.migrate();
    let t = 1_800_000_000_000;
    return { s, repo, service: new ReturnsService({ storage: s, returns: repo, log, now: () => (t += 1000) }) };
  };
  const ingest = async (s: Storage, service: ReturnsService, docs: CustomsDocument[]) => {
    await store(s, docs);
    return service.onDocuments(docs, 'officer-1');
  };

  it('a return waits for the list\'s release, takes quantity from it, and follows customs\' answer', async () => {
    const { s, repo, service } = await setup();
    const list = generateParcel({ seed: 1 }, 0).set.inventory; // gnum 2 declares 3
    await ingest(s, service, [list]);

    // Before the list is released: recorded as a mismatch naming why.
    const r1 = returnOf(list, 'R-A1', [{ gnum: 2, qty: 2 }]);
    let [rec] = await ingest(s, service, [r1]);
    expect(rec).toMatchObject({ copNo: 'R-A1', status: 'mismatch', originalCopNo: list.copNo, match: { ok: false, issues: [expect.objectContaining({ rule: 'original.not_released' })] } });

    // The list's release receipt re-decides the waiting return.
    [rec] = await ingest(s, service, [receipt('CEB622', { kind: 'inventory', copNo: list.copNo, invtNo: list.invtNo }, 800, '20250301120000000')]);
    expect(rec).toMatchObject({ copNo: 'R-A1', status: 'matched', match: { ok: true } });

    // A second return of the same line: 3 declared, 2 already returned.
    const r2 = returnOf(list, 'R-A2', [{ gnum: 2, qty: 2 }]);
    [rec] = await ingest(s, service, [r2]);
    expect(rec!.match.issues).toEqual([expect.objectContaining({ rule: 'line.qty', expected: '1', actual: '2' })]);
    expect(rec!.status).toBe('mismatch');

    // Customs: accepted (120) → in review; then concluded (399) → approved; an older receipt arriving late changes nothing.
    const refR1 = { kind: 'return', copNo: 'R-A1', invtNo: list.invtNo };
    [rec] = await ingest(s, service, [receipt('CEB626', refR1, 120, '20250302090000000')]);
    expect(rec).toMatchObject({ status: 'in_review', customs: { returnStatus: 120 } });
    [rec] = await ingest(s, service, [receipt('CEB626', refR1, 399, '20250302100000000')]);
    expect(rec).toMatchObject({ status: 'approved', customs: { returnStatus: 399 } });
    [rec] = await ingest(s, service, [receipt('CEB626', refR1, 120, '20250302080000000')]);
    expect(rec!.status).toBe('approved');

    // Customs rejects a return (100): rejected, and its quantity no longer counts against the list.
    const r3 = returnOf(list, 'R-A3', [{ gnum: 1, qty: 1 }]);
    await ingest(s, service, [r3]);
    [rec] = await ingest(s, service, [receipt('CEB626', { kind: 'return', copNo: 'R-A3' }, 100, '20250302110000000')]);
    expect(rec!.status).toBe('rejected');
    const r4 = returnOf(list, 'R-A4', [{ gnum: 1, qty: 1 }]);
    [rec] = await ingest(s, service, [r4]);
    expect(rec!.status).toBe('matched');

    // One audit entry per change of decision; a redelivered batch adds none.
    const audits = async () => (await s.auditRange(1, 1000)).filter((e) => e.action === 'return.decide' && e.subject === 'R-A1').map((e) => e.detail.status);
    expect(await audits()).toEqual(['mismatch', 'matched', 'in_review', 'approved']);
    await ingest(s, service, [r1, receipt('CEB626', refR1, 399, '20250302100000000')]);
    expect(await audits()).toEqual(['mismatch', 'matched', 'in_review', 'approved']);

    expect((await repo.list({ orderNo: list.orderNo, limit: 10 })).map((r) => r.copNo).sort()).toEqual(['R-A1', 'R-A2', 'R-A3', 'R-A4']);
    expect((await service.list({ status: ['mismatch', 'rejected'], limit: 10 })).map((r) => r.copNo).sort()).toEqual(['R-A2', 'R-A3']);
  });

  it('finds the list by the invtNo customs gave it in a receipt, even when the return names another order', async () => {
    const { s, service } = await setup();
    const parcel = generateParcel({ seed: 4 }, 1).set.inventory;
    const { invtNo, ...withoutInvtNo } = parcel;
    const list = parseDocument(withoutInvtNo) as InventoryList;
    await ingest(s, service, [list, receipt('CEB622', { kind: 'inventory', copNo: list.copNo, invtNo }, 800, '20250301120000000')]);
    const wrongOrder = returnOf({ ...list, invtNo }, 'R-B1', [{ gnum: 1, qty: 1 }], { orderNo: 'YP-NOT-THIS' });
    const [rec] = await ingest(s, service, [wrongOrder]);
    expect(rec!.originalCopNo).toBe(list.copNo);
    expect(rec!.match.issues).toEqual([expect.objectContaining({ rule: 'header.differs', field: 'orderNo', expected: list.orderNo, actual: 'YP-NOT-THIS' })]);

    // A list the hub never saw.
    const [unknown] = await ingest(s, service, [returnOf({ ...list, invtNo: '53492025I999999999' as InventoryList['invtNo'], orderNo: 'YP-GHOST' as InventoryList['orderNo'] }, 'R-B2', [{ gnum: 1, qty: 1 }])]);
    expect(unknown!.match.issues.map((i) => i.rule)).toEqual(['original.unknown']);

    // A 626 for a return the hub has no request for is stored by the customs service, and ignored here.
    expect(await ingest(s, service, [receipt('CEB626', { kind: 'return', copNo: 'R-NONE' }, 120, '20250302090000000')])).toEqual([]);
  });
});
