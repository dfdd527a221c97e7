import { describe, expect, it } from 'vitest';
import { cebToDocuments } from './ceb/to-documents.ts';
import { fixtureBody, fixtureXml, type FixtureNode } from './ceb/fixtures.ts';
import { conflictingDuplicates } from './duplicates.ts';
import { generateParcel } from './generate-docs.ts';

/** Issue 15 item 5: one message, two blocks of one identity with different content — refused, never "last one wins". */
const { order, waybill, inventory } = generateParcel({ seed: 15 }, 5).set;

const blocks = (v: FixtureNode[string] | undefined): FixtureNode[] => {
  if (!Array.isArray(v)) throw new Error('not a repeated block');
  return v;
};

describe('conflictingDuplicates', () => {
  it('identical repeats and different documents are not conflicts', () => {
    expect(conflictingDuplicates([waybill, { ...waybill }, order, inventory])).toEqual([]);
  });

  it('one waybill number given to two orders: the key and the field', () => {
    const [c] = conflictingDuplicates([waybill, order, { ...waybill, orderNo: `${waybill.orderNo}B` as typeof waybill.orderNo }]);
    expect(c).toEqual({ key: `waybill:${waybill.logisticsCode}:${waybill.logisticsNo}`, first: 0, second: 2, fields: ['orderNo'], values: { orderNo: [waybill.orderNo, `${waybill.orderNo}B`] } });
  });

  it('every differing field is named, personal data masked, lines as one field', () => {
    const other = { ...order, goodsValue: '1', buyerIdNumber: '110105194912310021', lines: order.lines.map((l) => ({ ...l, qty: '9' })) };
    const [c] = conflictingDuplicates([order, other]);
    expect(c!.fields).toEqual(['buyerIdNumber', 'goodsValue', 'lines']);
    expect(JSON.stringify(c)).not.toContain('110105194912310021');
    expect(c!.values.goodsValue).toEqual([order.goodsValue, '1']);
  });

  it('two lists (two copNos) naming one parcel for two orders', () => {
    const second = { ...inventory, copNo: `${inventory.copNo}X`, orderNo: `${inventory.orderNo}B` as typeof inventory.orderNo };
    expect(conflictingDuplicates([inventory, second])).toEqual([expect.objectContaining({ key: `parcel:inventory:${inventory.logisticsCode}:${inventory.logisticsNo}`, fields: ['orderNo'] })]);
  });
});

describe('a CEB message with conflicting blocks is refused at the element', () => {
  it('CEB511: two Logistics blocks give one logisticsNo to two orders', () => {
    const body = fixtureBody('CEB511');
    const [first] = blocks(body.Logistics);
    const head = first!.LogisticsHead as FixtureNode;
    blocks(body.Logistics).push({ LogisticsHead: { ...head, guid: head.guid === undefined ? 'x' : String(head.guid).replace(/.$/, 'F'), orderNo: 'ANOTHER-ORDER-1' } });
    const r = cebToDocuments(fixtureXml('CEB511', { body }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([{ field: 'Logistics[1].LogisticsHead.orderNo', message: expect.stringMatching(/^Logistics\[0\] and Logistics\[1\] both give waybill:.*orderNo ".+" ≠ "ANOTHER-ORDER-1"$/) }]);
  });

  it('an identical repeated block is still accepted', () => {
    const body = fixtureBody('CEB511');
    blocks(body.Logistics).push(structuredClone(blocks(body.Logistics)[0]!));
    expect(cebToDocuments(fixtureXml('CEB511', { body })).ok).toBe(true);
  });
});
