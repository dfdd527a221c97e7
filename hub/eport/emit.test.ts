import { expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import type { CustomsDocument } from '../customs/documents.ts';
import { openEportMessageRepo } from '../repos/eport-messages.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { buildSignedMessage } from './exchange-messages.ts';
import { createEportEmitters, type ZoneParty } from './emit.ts';
import { Sm2FileSigner } from './file-signer.ts';
import { makeTestPki } from './test-pki.ts';

const log = createLogger('test', 'silent');
const ZONE: ZoneParty = { copCode: '4401630ABC', copName: '广州南沙保税港区仓储有限公司', dxpId: 'DXPENT0000067890', customsCode: '5165', operatorCode: '4401630ABC', operatorName: '南沙仓储', logisticsCode: '440316T004', logisticsName: '顺捷物流', gateTrafMode: '4' };
const pki = makeTestPki({ nowMs: Date.now() });
const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
const SLIP: ReleaseSlip = { passportNo: 'HP5165260000000000000001', ioType: 'E', status: 'approved', gateMode: 'single', vehicleNo: '粤A12345', containerNos: [], sealIds: [], totalGrossWtKg: 10, goods: ['EA123456785CN', 'EE000000014CN'] };
const SLIP2: ReleaseSlip = { ...SLIP, passportNo: 'HP5165260000000000000002' };
const inv = (billNo: string, logisticsNo: string, tradeMode = '9610') => ({ kind: 'inventory', tradeMode, billNo, logisticsNo, logisticsCode: '440316T004', trafMode: '5', trafNo: 'CZ3041', voyageNo: '20261207', customsCode: '5165' }) as unknown as CustomsDocument;
const ev = (type: string, payload: Record<string, unknown>, parcelKey?: string) => ({ id: crypto.randomUUID(), type, stationId: 'S1', ...(parcelKey ? { parcelKey } : {}), time: { wallMs: Date.parse('2026-12-07T02:00:00Z') }, payload }) as unknown as EdgeEvent;

eachStore('e-port emit hooks', (store) => {
  const setup = async () => {
    const repo = openEportMessageRepo(store().sql);
    await repo.migrate();
    const queued: string[] = [];
    const emit = createEportEmitters({ sql: store().sql, zone: ZONE, slip: async (no) => [SLIP, SLIP2].find((s) => s.passportNo === no), log, onEnqueued: (t) => void queued.push(t) });
    return { repo, emit, queued };
  };

  it('CEB711 once a 9610 bill is tallied: not before its last parcel, once on replay, never for 1210', async () => {
    const { repo, emit, queued } = await setup();
    await emit.onDocuments([inv('784-1', 'SF1'), inv('784-1', 'SF2'), inv('784-2', 'SF9', '1210')]);
    await emit.tally.apply('gw', [ev('parcel.inspected', {}, 'SF1'), ev('parcel.inspected', {}, 'SF9')]);
    expect(queued).toEqual([]);
    await emit.tally.apply('gw', [ev('parcel.inspected', {}, 'SF2')]);
    await emit.tally.apply('gw', [ev('parcel.inspected', {}, 'SF2'), ev('parcel.inspected', {}, 'SF1')]);
    await emit.onDocuments([inv('784-1', 'SF2')]);
    expect(queued).toEqual(['CEB711']);
    const [m] = await repo.list({ messageType: 'CEB711', limit: 10 });
    expect(m).toMatchObject({ state: 'queued', subject: '784-1', cause: 'CEB711:784-1' });
    expect((m!.input.list as unknown[]).length).toBe(2);
    expect((await buildSignedMessage(m!, signer)).ok).toBe(true);
  });

  it('CEB507 on the export slip vehicle admitted, CEB509 on departure, each once however often the passage is replayed', async () => {
    const { repo, emit } = await setup();
    const passIn = ev('gate.passed', { laneId: 'L1', direction: 'in', slipNo: SLIP.passportNo, vehicleNo: '粤A12345' });
    const passOut = ev('gate.passed', { laneId: 'L1', direction: 'out', slipNo: SLIP.passportNo });
    const other = ev('gate.passed', { laneId: 'L1', direction: 'in', slipNo: 'UNKNOWN' });
    await emit.gate.apply('gw', [passIn, other]);
    await emit.gate.apply('gw', [passIn, passOut, passOut]);
    const rows = (await repo.list({ limit: 10 })).filter((r) => r.messageType !== 'CEB711');
    expect(rows.map((r) => r.messageType).sort()).toEqual(['CEB507', 'CEB509']);
    for (const r of rows) {
      expect(r.subject).toBe(SLIP.passportNo);
      expect(await buildSignedMessage(r, signer)).toMatchObject({ ok: true });
    }
  });

  it('an exit slip seen only leaving (the gate refuses it at an entry lane) declares its arrival with the departure: CEB507 then CEB509, once', async () => {
    const { repo, emit, queued } = await setup();
    const passOut = ev('gate.passed', { laneId: 'OUT-1', direction: 'out', slipNo: SLIP2.passportNo, vehicleNo: '粤A12345' });
    await emit.gate.apply('gw', [passOut]);
    await emit.gate.apply('gw', [passOut]);
    expect(queued).toEqual(['CEB507', 'CEB509']);
    const rows = (await repo.list({ limit: 10 })).filter((r) => r.subject === SLIP2.passportNo);
    expect(rows.map((r) => [r.messageType, r.cause]).sort()).toEqual([['CEB507', `CEB507:${SLIP2.passportNo}`], ['CEB509', `CEB509:${SLIP2.passportNo}`]]);
    for (const r of rows) expect(await buildSignedMessage(r, signer)).toMatchObject({ ok: true });
  });
});
