import { expect, it } from 'vitest';
import { toReceiptTime } from '../documents.ts';
import { generateDocumentSets } from '../generate-docs.ts';
import { SchemaShapedPlaceholderSigner } from './fixtures.ts';
import { documentsToCebXml } from './from-documents.ts';
import { cebToDocuments } from './to-documents.ts';
import type { CebType } from './parse.ts';
import type { CustomsDocument } from '../documents.ts';

const transfer = { copCode: '3301980L31', copName: '杭州关通报关有限公司', dxpId: 'DXPENT0000033019' };

it('documents → CEB XML → the intake mapping gives the same documents back, 20 blocks a message, receipts included', async () => {
  const sets = generateDocumentSets({ seed: 7, baseTimeMs: Date.parse('2026-03-01T02:00:00Z'), intervalMs: 60_000 }, 20);
  const byType: [CebType, CustomsDocument[]][] = [
    ['CEB311', sets.map((p) => ({ ...p.set.order }) as CustomsDocument)],
    ['CEB411', sets.map((p) => ({ ...p.set.payment }) as CustomsDocument)],
    ['CEB511', sets.map((p) => ({ ...p.set.waybill }) as CustomsDocument)],
    ['CEB621', sets.map((p) => ({ ...p.set.inventory }) as CustomsDocument)],
    ['CEB622', sets.map((p) => { const i = p.set.inventory; return { kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: i.copNo, preNo: i.preNo, invtNo: i.invtNo, ebpCode: i.ebpCode, ebcCode: i.ebcCode, agentCode: i.agentCode }, returnStatus: 800, returnTime: toReceiptTime(Date.parse('2026-03-01T03:00:00Z')), returnInfo: '放行' } as CustomsDocument; })],
  ];
  for (const [type, docs] of byType) {
    const r = await documentsToCebXml(type, docs, { transfer, signer: new SchemaShapedPlaceholderSigner() });
    expect(r.ok, JSON.stringify(!r.ok && r.issues.slice(0, 3))).toBe(true);
    const back = cebToDocuments(r.ok ? r.xml : '');
    expect(back.ok && back.messageType).toBe(type);
    expect(back.ok && back.documents).toEqual(docs);
  }
});

it('refuses what the intake would refuse, naming the element, and a message that must be signed without a signer', async () => {
  const [p] = generateDocumentSets({ seed: 7, baseTimeMs: Date.now() }, 1);
  const bad = await documentsToCebXml('CEB511', [{ ...p!.set.waybill, logisticsNo: 'X'.repeat(80) } as CustomsDocument], { transfer });
  expect(bad.ok === false && bad.issues.map((i) => i.field)).toEqual(['Logistics[0].LogisticsHead.logisticsNo']);
  const unsigned = await documentsToCebXml('CEB621', [p!.set.inventory as CustomsDocument], { transfer });
  expect(unsigned.ok === false && unsigned.issues[0]!.field).toBe('Signature');
});
