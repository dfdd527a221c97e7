import { expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import type { EdgeEvent, NewEvent } from '../../shared/schemas/events.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import { openCaseRepo } from '../repos/cases.ts';
import { openLineExceptionRepo } from '../repos/line-exceptions.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import { run } from '../storage/sql.ts';
import { LineExceptionService, sightingOf } from './line-exceptions.ts';

const log = createLogger('test', 'silent');
const T0 = Date.UTC(2026, 2, 2, 2);
const j = new JournalBuilder('GW-LX', T0);
const ev = (e: NewEvent, at: number) => j.next(e, at).event as EdgeEvent;
const inspected = (parcelKey: string, lane: 'release' | 'inspection' | 'exception', at: number) =>
  ev({ type: 'parcel.inspected', stationId: 'LINE-1', parcelKey, payload: { transactionId: `t-${parcelKey}-${at}`, lineId: 'LINE-1', outcome: 'ok', codes: [parcelKey], hubDecision: 'unknown', lane, reasonCodes: [{ code: 'line.unknown-parcel', params: { code: parcelKey } }] } }, at);

const outcome = (parcelKey: string): EngineOutcome => ({
  parcelKey,
  orderNo: `O-${parcelKey}`,
  direction: 'import',
  tradeMode: '1210',
  release: { decision: 'released', reasons: [] },
  risk: { level: 'low', reasons: [], rulesVersion: 'r1' },
  matchComplete: true,
  matchConsistent: true,
  customsStatus: 800,
  buyerKey: null,
  buyerIdMasked: null,
  valueCny: '100',
  year: 2026,
  ebcCode: null,
  declaredWeightKg: 1,
});

it('sightingOf: diversions to inspection or exception and refused events are sightings; the release lane is not', () => {
  expect(sightingOf('GW', inspected('A', 'inspection', T0))).toMatchObject({ parcelKey: 'A', lane: 'inspection', reasons: [{ code: 'line.unknown-parcel', params: { code: 'A' } }] });
  expect(sightingOf('GW', inspected('A', 'exception', T0))).toMatchObject({ lane: 'exception' });
  expect(sightingOf('GW', inspected('A', 'release', T0))).toBeNull();
  expect(sightingOf('GW', ev({ type: 'station.exception', stationId: 'LINE-1', payload: { eventType: 'parcel.inspected', error: 'refused', reads: ['B'], payloadJson: '{}' } }, T0))).toMatchObject({ parcelKey: 'B', lane: 'refused', reasons: [{ code: 'line.station-refused', params: { error: 'refused' } }] });
});

it('sightingOf: an event an older gateway journalled with English text only keeps it as text, never as a code (issue 17 item 5)', () => {
  const old = ev({ type: 'parcel.inspected', stationId: 'LINE-1', parcelKey: 'C', payload: { transactionId: 't-old', lineId: 'LINE-1', outcome: 'ok', codes: ['C'], hubDecision: 'hold', lane: 'inspection', reasons: ['customs hold: risk: watch-listed consignee'] } }, T0);
  expect(sightingOf('GW', old)).toMatchObject({ reasons: [{ message: 'customs hold: risk: watch-listed consignee' }] });
  const diverted = ev({ type: 'parcel.diverted', stationId: 'LINE-1', parcelKey: 'D', payload: { lane: 'inspection', reason: 'random sampling' } }, T0);
  expect(sightingOf('GW', diverted)).toMatchObject({ reasons: [{ message: 'random sampling' }] });
  const coded = ev({ type: 'parcel.diverted', stationId: 'LINE-1', parcelKey: 'D', payload: { lane: 'inspection', reasonCode: { code: 'risk.xray.suspect' } } }, T0);
  expect(sightingOf('GW', coded)).toMatchObject({ reasons: [{ code: 'risk.xray.suspect' }] });
});

eachStore('line exceptions', (store) => {
  it('every diverted parcel with no declaration is queued until an officer handles it (audited); a later diversion reopens it', async () => {
    const storage = store();
    const repo = openLineExceptionRepo(storage.sql);
    await repo.migrate();
    const cases = openCaseRepo(storage.sql);
    await cases.migrate();
    let now = T0 + 3_600_000;
    const svc = new LineExceptionService({ repo, cases, storage, log, now: () => now });
    await cases.update('LX-DECLARED', (c) => applyEngine(c, outcome('LX-DECLARED'), T0), T0);
    const batch = [inspected('LX-NODECL', 'inspection', T0), inspected('LX-EXC', 'exception', T0 + 1000), inspected('LX-DECLARED', 'inspection', T0 + 2000), inspected('LX-PASS', 'release', T0 + 3000)];
    await svc.projection.apply('GW-LX', batch);
    await svc.projection.apply('GW-LX', batch); // redelivered: nothing twice
    expect((await svc.list({ view: 'open', limit: 50 })).map((e) => e.parcelKey)).toEqual(['LX-NODECL', 'LX-EXC']);
    expect((await svc.list({ view: 'all', limit: 50 })).find((e) => e.parcelKey === 'LX-DECLARED')).toMatchObject({ declared: true });

    const handled = await svc.handle('LX-NODECL', 'label damaged: enterprise re-labels and declares', 'officer-7');
    expect(handled).toMatchObject({ status: 'handled', handledBy: 'officer-7', declared: false });
    await expect(svc.handle('LX-NODECL', 'again', 'officer-7')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(svc.handle('NOPE', 'x', 'officer-7')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await storage.auditRange(1, 100)).map((a) => [a.actor, a.action, a.subject])).toContainEqual(['officer-7', 'line-exception.handle', 'LX-NODECL']);
    expect((await svc.list({ view: 'open', limit: 50 })).map((e) => e.parcelKey)).toEqual(['LX-EXC']);

    now += 1000;
    await svc.projection.apply('GW-LX', [inspected('LX-NODECL', 'inspection', now + 5000)]);
    expect((await svc.list({ view: 'open', limit: 50 })).map((e) => e.parcelKey)).toEqual(['LX-EXC', 'LX-NODECL']);
  });

  it('a row stored before codes (its reasons as strings) reads as text, not as codes', async () => {
    const storage = store();
    const repo = openLineExceptionRepo(storage.sql);
    await repo.migrate();
    await storage.sql.tx(function* () {
      yield* run('INSERT INTO line_exceptions (parcel_key, gateway_id, station_id, lane, reasons, first_ms, last_ms, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', ['LX-OLD', 'GW-LX', 'LINE-1', 'inspection', JSON.stringify(['customs hold: risk: watch-listed consignee']), T0, T0, 'open']);
    });
    expect((await repo.get('LX-OLD'))?.reasons).toEqual([{ message: 'customs hold: risk: watch-listed consignee' }]);
  });
});
