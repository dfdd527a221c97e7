import type { ItemRef } from './lists.ts';
import { makeList } from './lists.ts';
import type { BondList } from './model.ts';
import type { Enterprise } from './messages.ts';

/** Shared test data for hub/bonded (a book of two items, an approved exit list, the zone enterprise). */
export const EMS = 'T5301W000001';
export const catalog = new Map<string, ItemRef>([
  ['SKU-A', { emsNo: EMS, gdsSeqno: 1, gdsMtno: 'SKU-A', gdecd: '3304990099', gdsNm: '面霜', dclUnitcd: '011' }],
  ['SKU-B', { emsNo: EMS, gdsSeqno: 2, gdsMtno: 'SKU-B', gdecd: '1901101000', gdsNm: '奶粉', dclUnitcd: '122' }],
]);
export const enterprise: Enterprise = { sccd: '91440300MA5XXXXX1Q', etpsno: '4403660001', name: '前海保税仓储有限公司', district: '5301', sysId: 'Z7', impexpPortcd: '5301' };

export function approvedExit(qtyA = 10, qtyB = 4): BondList {
  const m = makeList({ etpsInnerInvtNo: 'BG-E-1', emsNo: EMS, kind: 'second_line_out', lines: [{ sku: 'SKU-A', qty: qtyA }, { sku: 'SKU-B', qty: qtyB }], sources: ['O1'], nowMs: 1 }, catalog);
  if (!m.ok) throw new Error('fixture');
  return { ...m.list, listStat: 'approved', bondInvtNo: 'QD530126E000000001', vrfdedMarkcd: '1' };
}
