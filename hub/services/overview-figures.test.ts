import { expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import type { EdgeEvent, NewEvent } from '../../shared/schemas/events.ts';
import { lineReasons } from '../../test/helpers/line-history.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { overview as overviewWords } from '../ui/src/i18n/overview.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import { CaseStatus, openCaseRepo, QUEUE_STATUSES } from '../repos/cases.ts';
import { openStatsRepo, trackCaseStats } from '../repos/stats.ts';
import { openLineExceptionRepo } from '../repos/line-exceptions.ts';
import { openZoneStatsRepo } from '../repos/zone-stats.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import { LineExceptionService } from './line-exceptions.ts';
import { FIGURE_IDS, OVERVIEW_FIGURES } from './overview-figures.ts';
import { StatsService } from './stats.ts';
import { HOUR_MS, ZoneStatsService } from './zone-stats.ts';

/**
 * Issue 17 item 1: every overview figure computed from one generated history (edge events and customs cases), beside
 * the officers' queue (the case list by status) and the statistics page's report, and the relations that must hold.
 */
const log = createLogger('test', 'silent');
const NOW = Date.UTC(2026, 2, 2, 6, 30);
const N = 120;

/** A small deterministic generator: what the line did and what customs decided are independent, as in the demo. */
function rand(seed: number) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

const outcome = (parcelKey: string): EngineOutcome => ({
  parcelKey,
  orderNo: `O-${parcelKey}`,
  direction: 'import',
  tradeMode: '1210',
  release: { decision: 'pending', reasons: [] },
  risk: { level: 'low', reasons: [], rulesVersion: 'r1' },
  matchComplete: true,
  matchConsistent: true,
  customsStatus: null,
  buyerKey: null,
  buyerIdMasked: null,
  valueCny: '100',
  year: 2026,
  ebcCode: null,
  declaredWeightKg: 1,
});

it('every figure is defined in both languages with a hover text', () => {
  for (const id of FIGURE_IDS) {
    for (const l of ['zh', 'en'] as const) {
      const words = overviewWords[l] as Record<string, string>;
      expect(words[`overview.fig.${id}`], `${l} label of ${id}`).toBeTruthy();
      expect(words[`overview.def.${id}`], `${l} definition of ${id}`).toBeTruthy();
    }
    // A line figure never borrows customs' words and vice versa: the label says whose act it is.
    const zh = (overviewWords.zh as Record<string, string>)[`overview.fig.${id}`]!;
    const en = (overviewWords.en as Record<string, string>)[`overview.fig.${id}`]!;
    if (OVERVIEW_FIGURES[id].source === 'line') expect([zh.startsWith('现场'), en.startsWith('Line')]).toEqual([true, true]);
    else expect([zh.startsWith('海关'), en.startsWith('Customs')]).toEqual([true, true]);
  }
});

eachStore('overview figures reconcile with the queue and statistics', (store) => {
  it('computes every figure from one history and checks the relations', async () => {
    const storage = store();
    const zoneRepo = openZoneStatsRepo(storage.sql);
    await zoneRepo.migrate();
    const base = openCaseRepo(storage.sql);
    await base.migrate();
    const statsRepo = openStatsRepo(storage.sql);
    await statsRepo.migrate();
    const cases = trackCaseStats(base, statsRepo);
    const zone = new ZoneStatsService({ repo: zoneRepo, cases, stats: statsRepo, log, now: () => NOW });
    const stats = new StatsService({ stats: statsRepo, now: () => NOW });
    const lineExceptionRepo = openLineExceptionRepo(storage.sql);
    await lineExceptionRepo.migrate();
    const lineExceptions = new LineExceptionService({ repo: lineExceptionRepo, cases, storage, log, now: () => NOW });

    const r = rand(17);
    const j = new JournalBuilder('GW-REC', NOW - 5 * HOUR_MS);
    const events: EdgeEvent[] = [];
    const ev = (e: NewEvent, at: number) => events.push(j.next(e, at).event as EdgeEvent);
    const expected = { in: new Set<string>(), released: new Set<string>(), diverted: new Set<string>(), out: new Set<string>(), dwell: new Set<string>() };
    const statuses = CaseStatus.options;
    const caseStatus = new Map<string, string>();
    for (let i = 0; i < N; i++) {
      const key = `REC${String(i).padStart(4, '0')}`;
      const t0 = NOW - 5 * HOUR_MS + i * 60_000;
      const onLine = r() < 0.85;
      if (onLine) {
        const lane = r() < 0.7 ? 'release' : r() < 0.8 ? 'inspection' : 'exception';
        ev({ type: 'parcel.inspected', stationId: 'LINE-1', parcelKey: key, payload: { transactionId: `t${i}`, lineId: 'LINE-1', outcome: 'ok', codes: [key], hubDecision: 'released', lane, ...lineReasons(i, lane) } }, t0);
        expected.in.add(key);
        (lane === 'release' ? expected.released : expected.diverted).add(key);
        if (lane === 'release' && r() < 0.5) {
          ev({ type: 'gate.passed', stationId: 'GATE-1', parcelKey: key, payload: { laneId: 'OUT-1', direction: 'out' } }, t0 + 20 * 60_000);
          expected.out.add(key);
          expected.dwell.add(key);
        }
      } else if (r() < 0.3) {
        // First seen at the gate: out, with no dwell.
        ev({ type: 'gate.passed', stationId: 'GATE-1', parcelKey: key, payload: { laneId: 'OUT-1', direction: 'out' } }, t0);
        expected.in.add(key);
        expected.out.add(key);
      }
      // Most parcels are declared; customs' status has nothing to do with the lane the line chose.
      if (r() < 0.9) {
        const status = statuses[Math.floor(r() * statuses.length)]!;
        caseStatus.set(key, status);
        await cases.update(key, (c) => ({ ...applyEngine(c, outcome(key), t0), status }), t0);
      }
    }
    await zone.projection.apply('GW-REC', events);
    await lineExceptions.projection.apply('GW-REC', events);

    const o = await zone.overview(24);
    // The queue page: the case list by status.
    const queue: Record<string, number> = {};
    for (const s of QUEUE_STATUSES) queue[s] = (await cases.list({ status: [s], limit: 1000 })).items.length;
    // The statistics page, its default range, grouped by status.
    const report = await stats.report({ groupBy: 'status', lang: 'zh-CN' });
    const count = (s: string) => [...caseStatus.values()].filter((x) => x === s).length;

    // Line figures: each parcel once, exactly the history's.
    expect(o.totals).toEqual({ in: expected.in.size, released: expected.released.size, held: expected.diverted.size, out: expected.out.size });
    expect(o.dwell.parcels).toBe(expected.dwell.size);
    expect(o.totals.released).toBeLessThanOrEqual(o.totals.in);
    expect(o.totals.held).toBeLessThanOrEqual(o.totals.in);
    expect(o.totals.out).toBeLessThanOrEqual(o.totals.in);
    expect(o.dwell.parcels).toBeLessThanOrEqual(o.totals.out);
    // Customs figures: the queue's counts are the queue page's; the rest are the statistics page's.
    expect(o.queue.byStatus).toEqual(queue);
    expect(o.queue.total).toBe(queue.pending! + queue.held! + queue.inspection!);
    for (const s of QUEUE_STATUSES) expect(queue[s]).toBe(count(s));
    expect(o.customs).toMatchObject({ fromDay: report.from, toDay: report.to, declared: report.total.cases, released: report.total.byStatus.released ?? 0, awaitingRelease: report.total.byStatus.awaiting_release ?? 0 });
    expect(o.customs!.stopped).toBe((report.total.byStatus.held ?? 0) + (report.total.byStatus.inspection ?? 0));
    expect(o.customs!.declared).toBe(caseStatus.size);
    expect(o.customs!.released).toBe(count('released'));
    // Every case of the window is in the queue or out of it; the stopped ones are in the queue.
    expect(o.customs!.stopped).toBeLessThanOrEqual(o.queue.byStatus.held + o.queue.byStatus.inspection);
    // The line's diversions and customs' stops are different things: the history has diverted parcels customs released.
    const divertedButReleased = [...expected.diverted].filter((k) => caseStatus.get(k) === 'released');
    expect(divertedButReleased.length).toBeGreaterThan(0);
    // Every parcel the line diverted is in a queue someone works: with no case, the line exceptions; with one, its case
    // says what it waits for (the parcel's standing). Line exceptions + diverted with a case = the line's diversions.
    const open = new Set((await lineExceptions.list({ view: 'open', limit: 500 })).map((e) => e.parcelKey));
    expect(open).toEqual(new Set([...expected.diverted].filter((k) => !caseStatus.has(k))));
    expect(open.size + [...expected.diverted].filter((k) => caseStatus.has(k)).length).toBe(o.totals.held);
    // Their reasons are codes, or — from the history's older gateways — the text they wrote, kept as text, never lost.
    const reasons = (await lineExceptions.list({ view: 'all', limit: 500 })).flatMap((e) => e.reasons);
    expect(reasons.length).toBeGreaterThan(0);
    for (const x of reasons) expect(x.code !== undefined || x.message !== undefined).toBe(true);
    expect(reasons.some((x) => x.code) && reasons.some((x) => x.message && !x.code)).toBe(true);
  });
});
