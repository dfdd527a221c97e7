import type { CebOutgoingType } from './exchange-messages.ts';

/**
 * One valid generate input per message the zone sends (the values of ceb.test.ts, realistic), for tests, the bench
 * and the simulator's demo traffic. JSON-shaped, as the outbox stores inputs (CEB509's leaveTime as an ISO string).
 */
const TRANSFER = { copCode: '4401630ABC', copName: '广州南沙保税港区仓储有限公司', dxpId: 'DXPENT0000067890' };
export const EPORT_SAMPLE_INPUTS: Record<CebOutgoingType, Record<string, unknown>> = {
  CEB711: {
    baseTransfer: TRANSFER,
    customsCode: '5165',
    operatorCode: '4401630ABC',
    operatorName: '广州南沙保税港区仓储有限公司',
    trafMode: '5',
    trafNo: 'CZ3041',
    voyageNo: '20240728',
    billNo: '784-12345675',
    logisticsCode: '440316T004',
    logisticsName: '广州南沙顺捷国际物流有限公司',
    list: [{ logisticsNo: 'SF1429876543210' }, { logisticsNo: 'SF1429876543227' }],
  },
  CEB507: {
    baseTransfer: TRANSFER,
    customsCode: '2924',
    copNo: 'YWDD20240728001',
    operatorCode: '3318980EMS',
    operatorName: '义乌邮政跨境监管中心',
    trafMode: '4',
    domesticTrafNo: '浙G·A1234',
    logisticsCode: '3318980EMS',
    logisticsName: '中国邮政速递物流股份有限公司义乌分公司',
    list: [{ logisticsNo: 'EA123456785CN', totalPackageNo: 'YWBAG20240728001' }],
  },
  CEB509: {
    baseTransfer: TRANSFER,
    customsCode: '2924',
    copNo: 'YWLJ20240728001',
    logisticsCode: '3318980EMS',
    logisticsName: '中国邮政速递物流股份有限公司义乌分公司',
    trafMode: '5',
    trafName: 'CA1234',
    voyageNo: '20240729',
    billNo: '999-12345675',
    leaveTime: '2024-07-29T01:00:00.000Z',
    list: [{ logisticsNo: 'EA123456785CN', totalPackageNo: 'YWBAG20240728001' }],
  },
};
