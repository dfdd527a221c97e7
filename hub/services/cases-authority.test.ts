import { expect, it } from 'vitest';
import { eachStore } from '../../test/helpers/stores.ts';
import { createLogger } from '../../shared/log.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import { NO_LIST_STATE } from '../customs/receipt-status.ts';
import { openAlarmRepo } from '../repos/alarms.ts';
import { openCaseRepo } from '../repos/cases.ts';
import { CaseService } from './cases.ts';
import type { StationFeedService } from './station-feed.ts';

/**
 * `customs.releaseAuthority: officer`: an officer's release stands, recorded with who and why; when customs' 800 does
 * not follow within the configured time, the hub raises one `release_unconfirmed` alarm and the case shows it.
 */
const log = createLogger('test', 'silent');
const HOUR = 3600_000;
const outcome = (parcelKey: string): EngineOutcome => ({
  parcelKey,
  orderNo: `O-${parcelKey}`,
  direction: 'import',
  tradeMode: '1210',
  release: { decision: 'pending', reasons: [{ rule: 'customs.no-receipt', message: 'no receipt' }] },
  risk: { level: 'low', reasons: [], rulesVersion: 'r1' },
  listState: NO_LIST_STATE,
  matchComplete: true,
  matchConsistent: true,
  customsStatus: null,
  buyerKey: null,
  buyerIdMasked: null,
  valueCny: '10',
  year: 2026,
  ebcCode: null,
  declaredWeightKg: 1,
});

eachStore('officer release authority', (store) => {
  it('records the release, and alarms once when no 800 follows in time', async () => {
    const sql = store().sql;
    const cases = openCaseRepo(sql);
    const alarms = openAlarmRepo(sql);
    await cases.migrate();
    await alarms.migrate();
    let now = 1_790_000_000_000;
    const pushed: unknown[] = [];
    const feed = { put: async (changes: unknown[]) => (pushed.push(...changes), 1) } as unknown as StationFeedService;
    const make = (releaseAuthority: 'receipt' | 'officer') => new CaseService({ storage: store(), cases, feed, log, alarms, now: () => now, policy: { releaseAuthority }, releaseConfirmWithinMs: 2 * HOUR });
    await cases.update('AUTH-1', (c) => applyEngine(c, outcome('AUTH-1'), now), now);

    await expect(make('receipt').act('AUTH-1', { action: 'release', reason: 'bench says fine' }, 'officer-9')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('only customs releases') });
    const officer = make('officer');
    const released = await officer.act('AUTH-1', { action: 'release', reason: 'bench says fine' }, 'officer-9');
    expect(released).toMatchObject({ status: 'released', officerRelease: { by: 'officer-9', reason: 'bench says fine', atMs: now, alarmedMs: null } });
    expect(pushed.at(-1)).toMatchObject({ kind: 'decision', key: 'AUTH-1', value: { decision: 'released' } });

    now += HOUR;
    expect(await officer.sweepUnconfirmedReleases()).toEqual([]);
    now += HOUR + 1;
    expect(await officer.sweepUnconfirmedReleases()).toEqual(['AUTH-1']);
    expect((await cases.get('AUTH-1'))?.officerRelease?.alarmedMs).toBe(now);
    const raised = (await alarms.list({ limit: 10 })).items.filter((a) => a.kind === 'release_unconfirmed');
    expect(raised).toMatchObject([{ gatewayId: 'hub', subject: 'AUTH-1', severity: 'critical' }]);
    now += 10 * HOUR;
    expect(await officer.sweepUnconfirmedReleases()).toEqual([]);
  });
});
