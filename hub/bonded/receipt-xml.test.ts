import { describe, expect, it } from 'vitest';
import { parseReceiptXml } from './receipt-xml.ts';

/** Receipt files in the shape of the public SAS models (element names from gx-customs-bridge sasmodels). */
const pkg = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?><Package><EnvelopInfo><message_id>${id}</message_id><message_type>X</message_type></EnvelopInfo><DataInfo><PocketInfo><pocket_id>1</pocket_id></PocketInfo><BussinessData>${body}</BussinessData></DataInfo></Package>`;

describe('parseReceiptXml', () => {
  it.each([
    [
      'INV201',
      pkg('m-1', '<INV201><HdeApprResult><etpsPreentNo>BGE261207000001</etpsPreentNo><businessId>QD440326E000000002</businessId><manageResult>1</manageResult><rmk>通过</rmk></HdeApprResult><BondInvtBsc><etpsInnerInvtNo>BGE261207000001</etpsInnerInvtNo><bondInvtNo>QD440326E000000002</bondInvtNo><invtStucd>0</invtStucd><vrfdedMarkcd>1</vrfdedMarkcd><entryStucd>1</entryStucd></BondInvtBsc></INV201>'),
      { type: 'INV201', receiptId: 'm-1', etpsInnerInvtNo: 'BGE261207000001', bondInvtNo: 'QD440326E000000002', invtStucd: '0', vrfdedMarkcd: '1', entryStucd: '1', reason: '通过' },
    ],
    ['INV202', pkg('m-2', '<INV202><InvApprResult><invPreentNo>I20261207000000001</invPreentNo><businessId>QD440326I000000001</businessId><entrySeqNo>530120261000000001</entrySeqNo><manageResult>1</manageResult></InvApprResult></INV202>'), { type: 'INV202', receiptId: 'm-2', etpsInnerInvtNo: 'QD440326I000000001', entrySeqNo: '530120261000000001', manageResult: '1' }],
    [
      'INV211',
      pkg('m-3', '<INV211><BondInvtBsc><etpsInnerInvtNo>BGE1</etpsInnerInvtNo><bondInvtNo>QD440326E000000002</bondInvtNo><vrfdedMarkcd>2</vrfdedMarkcd></BondInvtBsc><BwsDt><gdsSeqno>1</gdsSeqno><actlRedcQty>10.00000</actlRedcQty><actlIncQty>0</actlIncQty></BwsDt><BwsDt><gdsSeqno>2</gdsSeqno><actlRedcQty>0.5</actlRedcQty></BwsDt></INV211>'),
      { type: 'INV211', receiptId: 'm-3', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlRedcQty: '10.00000', actlIncQty: '0' }, { gdsSeqno: 2, actlRedcQty: '0.5', actlIncQty: '0' }] },
    ],
    ['SAS221 approved', pkg('m-4', '<SAS221><HdeApprResult><etpsPreentNo>BGSE1</etpsPreentNo><manageResult>1</manageResult></HdeApprResult><SasPassportBsc><passportNo>Z4403E261207000000000001</passportNo><stucd>1</stucd></SasPassportBsc></SAS221>'), { type: 'SAS221', etpsPreentNo: 'BGSE1', manageResult: '1', passportNo: 'Z4403E261207000000000001' }],
    ['SAS221 returned', pkg('m-5', '<SAS221><HdeApprResult><etpsPreentNo>BGSE1</etpsPreentNo><manageResult>2</manageResult><rmk>车辆重量不符</rmk></HdeApprResult><SasPassportBsc><stucd>0</stucd></SasPassportBsc></SAS221>'), { type: 'SAS221', manageResult: '2', reason: '车辆重量不符' }],
    ['SAS223', pkg('m-6', '<SAS223><HdeApprResult/><SasPassportBsc><passportNo>Z4403E261207000000000001</passportNo><stucd>2</stucd><passCollectWt>15500.5</passCollectWt><wtError>0.3</wtError></SasPassportBsc></SAS223>'), { type: 'SAS223', stucd: '2', passCollectWt: '15500.5' }],
    ['SAS224', pkg('m-7', '<SAS224><HdeApprResult><rmk>作废</rmk></HdeApprResult><SasPassportBsc><passportNo>Z4403E261207000000000001</passportNo><stucd>6</stucd></SasPassportBsc></SAS224>'), { type: 'SAS224', stucd: '6', reason: '作废' }],
  ])('%s', (_n, xml, want) => {
    const r = parseReceiptXml(xml);
    expect(r).toMatchObject({ ok: true, receipt: want });
  });
  it.each([
    ['not XML', '<Package><oops'],
    ['no guid', '<Package><DataInfo><BussinessData><SAS224/></BussinessData></DataInfo></Package>'],
    ['another message', pkg('m-8', '<CEB312Message/>')],
    ['a bad field', pkg('m-9', '<SAS223><SasPassportBsc><passportNo>Z5301E260000000000001</passportNo><stucd>2</stucd></SasPassportBsc></SAS223>')],
  ])('refuses %s with a reason', (_n, xml) => {
    const r = parseReceiptXml(xml);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem.length).toBeGreaterThan(0);
  });
});
