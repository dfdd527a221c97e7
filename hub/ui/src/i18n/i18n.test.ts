import { describe, expect, it } from 'vitest';
import { DICTIONARIES } from './index.ts';

describe('dashboard dictionaries', () => {
  it.each(Object.entries(DICTIONARIES))('%s: both languages have the same keys, none empty, all under the page prefix', (name, d) => {
    expect(Object.keys(d.en).sort()).toEqual(Object.keys(d.zh).sort());
    for (const [k, v] of [...Object.entries(d.zh), ...Object.entries(d.en)]) {
      expect(v.trim(), k).not.toBe('');
      if (name !== 'common') expect(k.startsWith(`${name}.`), k).toBe(true);
    }
  });
  it('no key is defined by two dictionaries', () => {
    const seen = new Map<string, string>();
    for (const [name, d] of Object.entries(DICTIONARIES)) for (const k of Object.keys(d.zh)) {
      expect(seen.get(k), `${k} in ${name}`).toBeUndefined();
      seen.set(k, name);
    }
  });
});

describe('Chinese customs terms (issue 16 item 11)', () => {
  const zh: Record<string, string> = Object.assign({}, ...Object.values(DICTIONARIES).map((d) => d.zh));
  const en: Record<string, string> = Object.assign({}, ...Object.values(DICTIONARIES).map((d) => d.en));
  it('one word per state: held 暂停放行, seized 查扣, 500 查验, status 2 电子口岸申报中, X-ray reject 判图不通过', () => {
    for (const k of ['queue.status.held', 'queue.figure.held', 'parcels.status.held', 'stats.status.held', 'queue.action.hold', 'parcels.action.hold', 'admin.decision.hold']) expect(zh[k], k).toMatch(/^(暂停放行|挂起待处置)/);
    for (const k of ['queue.status.seized', 'parcels.status.seized', 'parcels.state.seized', 'stats.status.seized', 'queue.action.result.seize', 'parcels.action.seize', 'queue.bench.f.seize']) expect(zh[k], k).toContain('查扣');
    expect(zh['queue.customs.500']).toBe('查验');
    expect(zh['parcels.ceb.500']).toBe('查验');
    expect(zh['queue.customs.2']).toBe('电子口岸申报中');
    expect(zh['parcels.ceb.2']).toBe('电子口岸申报中');
    expect(zh['parcels.xray.reject']).toBe('判图不通过');
  });
  it('no 布控 / 拒收 / 已扣留 anywhere; watch lists are 重点关注名单; the inventory list is 申报清单', () => {
    for (const [k, v] of Object.entries(zh)) {
      expect(v, k).not.toMatch(/布控|拒收|已扣留/);
      // 扣留 survives only as customs' own detention statuses (501–599).
      if (v.includes('扣留')) expect(k, v).toMatch(/\.(501|502|503|599)$/);
    }
    for (const k of ['queue.rule.risk:watch.sender', 'queue.rule.risk:watch.consignee', 'queue.rule.risk:watch.buyer']) expect(zh[k]).toContain('重点关注名单');
    expect(zh['parcels.doc.inventory']).toBe('申报清单');
  });
  it('value-limit labels carry the configured limit, never a hard-coded figure (issue 16 item 7)', () => {
    for (const d of [zh, en]) {
      for (const [k, v] of Object.entries(d)) if (k.startsWith('queue.rule.risk:value.')) expect(v, k).not.toMatch(/5[,.]?000|26[,.]?000/);
      for (const k of ['queue.rule.risk:value.transaction-limit.n', 'queue.rule.risk:value.annual-limit.n', 'queue.rule.risk:value.full-tax.n']) expect(d[k], k).toContain('{limit}');
    }
  });
  it('supervision modes: 1239 labelled, 9610 and 1210 named as export modes too (issue 16 item 9)', () => {
    for (const d of [zh, en]) expect(d['stats.mode.1239']).toBeTruthy();
    expect(zh['stats.mode.9610']).toMatch(/进口.*出口/);
    expect(zh['stats.mode.1210']).toMatch(/进口.*出口/);
    expect(en['stats.mode.9610']).toMatch(/import.*export/);
    expect(en['stats.mode.1210']).toMatch(/import.*export/);
  });
});
