import { expect, it } from 'vitest';
import { eachStore } from '../../test/helpers/stores.ts';
import { parseCreditCsv } from '../services/enterprise-credit.ts';
import { openEnterpriseCreditRepo } from './enterprise-credit.ts';

eachStore('enterprise credit repository (issue 16 item 8)', (store) => {
  it('loads versions (merge and replace), keeps every change, never edits a version', async () => {
    const repo = openEnterpriseCreditRepo(store().sql);
    await repo.migrate();
    const meta = (mode: 'merge' | 'replace', nowMs: number) => ({ author: 'admin', comment: `load ${nowMs}`, mode, nowMs });
    const v1 = await repo.load([{ code: 'E1', creditClass: 'dishonest', name: '甲' }, { code: 'E2', creditClass: 'advanced' }], meta('merge', 1000));
    expect(v1.version).toMatchObject({ version: 1, changed: 2, removed: 0 });
    const v2 = await repo.load([{ code: 'E1', creditClass: 'dishonest' }, { code: 'E3', creditClass: 'general' }], meta('merge', 2000));
    expect(v2.changes).toEqual([{ code: 'E3', before: null, after: 'general' }]); // E1 unchanged (name kept)
    expect((await repo.get('E1'))).toMatchObject({ creditClass: 'dishonest', name: '甲', version: 1 });
    const v3 = await repo.load([{ code: 'E2', creditClass: 'general' }], meta('replace', 3000));
    expect(v3.version).toMatchObject({ version: 3, changed: 1, removed: 2 });
    expect((await repo.all()).map((e) => [e.code, e.creditClass])).toEqual([['E2', 'general']]);
    expect(await repo.changes(3)).toEqual([
      { code: 'E1', before: 'dishonest', after: null },
      { code: 'E2', before: 'advanced', after: 'general' },
      { code: 'E3', before: 'general', after: null },
    ]);
    const page = await repo.versions(2);
    expect(page.items.map((v) => v.version)).toEqual([3, 2]);
    expect((await repo.versions(2, page.nextBefore!)).items.map((v) => v.version)).toEqual([1]);
  });
});

it('reads a CSV of codes and classes (aliases, quoting, BOM), refusing bad lines with their numbers', () => {
  expect(parseCreditCsv('\uFEFF企业代码,信用等级,企业名称\r\n3120000001,失信企业,"某某, 有限公司"\r\n3120000002,AEO,\r\n\r\n')).toEqual([
    { code: '3120000001', creditClass: 'dishonest', name: '某某, 有限公司' },
    { code: '3120000002', creditClass: 'advanced' },
  ]);
  expect(() => parseCreditCsv('code,class\nA1,gold\nA1,general\nA1,general\n')).toThrowError(expect.objectContaining({ fields: [expect.objectContaining({ field: 'csv.line2.class' }), expect.objectContaining({ field: 'csv.line4.code' })] }));
  expect(() => parseCreditCsv('enterprise_id;rating\n')).toThrowError(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
});
