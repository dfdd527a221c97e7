import { describe, expect, it } from 'vitest';
import { Payloads } from '../schemas/events.ts';
import { benchDisplay, decideBench, initialBenchState } from './bench.ts';
import { memoryCache } from './types.ts';

const cache = memoryCache({ decisions: [{ parcelKey: 'EA000000029CN', decision: 'hold', reason: 'watch list' }] });

describe('officer bench', () => {
  it('scan, then pass: one officer.action naming the officer', () => {
    const s1 = decideBench(initialBenchState(), { kind: 'scan', code: 'EA000000029CN' }, 1, cache);
    expect(benchDisplay(s1.state).verdict).toMatchObject({ tone: 'wait', detail: 'hub: held (watch list)', details: { zh: '中心判定：暂停放行', en: 'hub: held (watch list)' } });
    const s2 = decideBench(s1.state, { kind: 'action', action: 'pass', officerId: 'officer-7' }, 2, cache);
    expect(s2.events).toEqual([{ type: 'officer.action', parcelKey: 'EA000000029CN', payload: { officerId: 'officer-7', action: 'pass', reason: 'bench.pass.no-findings' } }]);
    Payloads['officer.action'].parse(s2.events[0]!.payload);
    expect(s2.state.current).toBeNull();
  });

  it("a finding carries the signed-in officer's bench token beside the operator who pressed the button", () => {
    const s1 = decideBench(initialBenchState(), { kind: 'scan', code: 'EA000000029CN' }, 1, cache);
    const token = `${'e'.repeat(40)}.${'s'.repeat(86)}`;
    const s2 = decideBench(s1.state, { kind: 'action', action: 'seize', officerId: 'op-7', reason: 'batteries', officerToken: token }, 2, cache);
    expect(s2.events[0]!.payload).toEqual({ officerId: 'op-7', action: 'seize', reason: 'batteries', officerToken: token });
    Payloads['officer.action'].parse(s2.events[0]!.payload);
    expect(() => Payloads['officer.action'].parse({ ...s2.events[0]!.payload, officerToken: 'x'.repeat(2000) })).toThrow();
  });

  it('seize and return need a reason; an action without a scanned parcel is refused', () => {
    const scanned = decideBench(initialBenchState(), { kind: 'scan', code: 'EA000000015CN' }, 1, cache).state;
    const noReason = decideBench(scanned, { kind: 'action', action: 'seize', officerId: 'o' }, 2, cache);
    expect(noReason.events).toEqual([]);
    expect(benchDisplay(noReason.state).verdict).toMatchObject({ tone: 'stop', en: 'Seize and return need a reason' });
    const seized = decideBench(scanned, { kind: 'action', action: 'seize', officerId: 'o', reason: 'undeclared lithium batteries' }, 3, cache);
    expect(seized.events[0]!.payload).toMatchObject({ action: 'seize', reason: 'undeclared lithium batteries' });
    expect(decideBench(initialBenchState(), { kind: 'action', action: 'return', officerId: 'o', reason: 'x' }, 1, cache).events).toEqual([]);
    expect(benchDisplay(decideBench(scanned, { kind: 'scan', code: 'EA000000015CN' }, 1, cache).state).verdict).toMatchObject({ detail: 'hub: no decision for this parcel', details: { zh: '中心判定：中心无此包裹的判定' } });
  });

  it("says the hub's decision and coded reasons in the reader's language (issue 17 item 5)", () => {
    const coded = memoryCache({ decisions: [{ parcelKey: 'EA000000029CN', decision: 'hold', reason: 'risk: sender ACME is on the watch list', reasons: [{ code: 'risk.watch.sender', params: { hit: 'ACME' } }] }] });
    const v = benchDisplay(decideBench(initialBenchState(), { kind: 'scan', code: 'EA000000029CN' }, 1, coded).state).verdict;
    expect(v?.details).toEqual({ zh: '中心判定：暂停放行（发货人 ACME 在重点关注名单）', en: 'hub: held (sender ACME is on the watch list)' });
  });

  it('a second parcel scanned while one is open never drops the open inspection; set aside ends it explicitly (issue 17 item 10)', () => {
    const open = decideBench(initialBenchState(), { kind: 'scan', code: 'EA000000029CN' }, 1, cache).state;
    const second = decideBench(open, { kind: 'scan', code: 'EA000000015CN' }, 2, cache);
    expect(second.state.current?.code).toBe('EA000000029CN');
    expect(benchDisplay(second.state).verdict).toMatchObject({ tone: 'stop', en: 'Parcel EA000000029CN has no finding yet: record one, or set it aside first' });
    // The finding still lands on the first parcel.
    const passed = decideBench(second.state, { kind: 'action', action: 'pass', officerId: 'officer-7' }, 3, cache);
    expect(passed.events[0]).toMatchObject({ parcelKey: 'EA000000029CN' });
    // Set aside: no finding recorded, the bench is free, and the recent list says so.
    const aside = decideBench(second.state, { kind: 'set-aside', officerId: 'officer-7' }, 4, cache);
    expect(aside.events).toEqual([]);
    expect(aside.state.current).toBeNull();
    expect(aside.state.recent[0]).toMatchObject({ zh: 'EA000000029CN 未出结果，放回待查', en: 'EA000000029CN set aside without a finding' });
    expect(decideBench(aside.state, { kind: 'scan', code: 'EA000000015CN' }, 5, cache).state.current?.code).toBe('EA000000015CN');
  });
});
