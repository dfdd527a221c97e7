import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import { SlipIssueRequest } from '../customs/release-slips.ts';
import { ReleaseSlipService } from './release-slips.ts';

describe('officer-issued slips once the bonded book runs', () => {
  it('refuses to issue an approved slip: approval comes only from customs by receipt', async () => {
    const touched: string[] = [];
    const spy = new Proxy({}, { get: (_t, k) => (touched.push(String(k)), () => Promise.reject(new Error(`touched ${String(k)}`))) });
    const svc = new ReleaseSlipService({ storage: spy as never, slips: spy as never, cases: spy as never, feed: spy as never, log: createLogger('test', 'silent'), district: '4403', issuing: 'bonded' });
    const req = SlipIssueRequest.parse({ ioType: 'E', vehicleNo: '粤B12345', parcelKeys: ['P1'] });
    await expect(svc.issue(req, 'officer-1')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(touched).toEqual([]);
  });
});
