import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { buildApp } from '../app.ts';
import { hashToken } from '../auth/sessions.ts';
import { generateParcel } from '../customs/generate-docs.ts';
import { InventoryList } from '../customs/documents.ts';
import { createHubMetrics } from '../metrics.ts';
import { openTraceRepo } from '../repos/trace.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import { TraceService } from '../services/trace.ts';

const G1 = '06901234567892';
const base = generateParcel({ seed: 11 }, 0).set.inventory;
const list = InventoryList.parse({ ...base, orderNo: 'RT-O-1', logisticsNo: 'RT-PARCEL-1', copNo: 'RT-C-1', lines: [{ ...base.lines[0]!, barCode: G1.slice(1), qty: 1 }] });

eachStore('trace routes', (store) => {
  let server: Server;
  let url = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const storage = store();
    const repo = openTraceRepo(storage.sql);
    await repo.migrate();
    const trace = new TraceService({ repo });
    await trace.onDocuments([list]);
    const j = new JournalBuilder('GW-RT');
    await trace.projection.apply('GW-RT', [
      j.next({ type: 'warehouse.transaction', stationId: 'WH-1', payload: { transactionId: 'rt:recv', warehouse: 'bonded', op: 'receive', outcome: 'ok', gtin: G1, lot: 'LOT-RT', listId: 'ENTRY-RT', qty: 10 } }).event as EdgeEvent,
      j.next({ type: 'warehouse.transaction', stationId: 'WH-1', payload: { transactionId: 'rt:pick', warehouse: 'bonded', op: 'pick', outcome: 'ok', gtin: G1, lot: 'LOT-RT', orderNo: 'RT-O-1', qty: 1 } }).event as EdgeEvent,
    ]);
    const app = buildApp({ storage, metrics: createHubMetrics(), log: createLogger('test', 'silent'), sessionTtlMs: 3_600_000, gatewayOfflineAfterMs: 60_000, health: () => ({ mqttConnected: true, hubId: 'hub-test' }), trace });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Sessions made directly: sign-in is the auth routes' business, tested there.
    for (const role of ['officer', 'manager', 'admin', 'operator'] as const) {
      tokens[role] = randomBytes(24).toString('base64url');
      await storage.createSession({ tokenHash: hashToken(tokens[role]), username: `rt-${role}`, role, expiresMs: Date.now() + 3_600_000 });
    }
  });
  afterAll(async () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const get = (path: string, role?: string) => fetch(`${url}${path}`, { headers: role ? { authorization: `Bearer ${tokens[role]}` } : {} });

  it('officers, managers and admins trace a product (EAN-13 or GTIN-14) and a parcel; buyers masked for all', async () => {
    for (const role of ['officer', 'manager', 'admin']) {
      const res = await get(`/api/trace/product/${G1.slice(1)}?lot=LOT-RT`, role);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { gtin: string; parcels: { parcelKey: string; buyer: { idMasked: string } }[]; inbound: { entryListId: string }[] };
      expect(body.gtin).toBe(G1);
      expect(body.parcels.map((p) => p.parcelKey)).toEqual(['RT-PARCEL-1']);
      expect(body.inbound.map((i) => i.entryListId)).toEqual(['ENTRY-RT']);
      const text = JSON.stringify(body);
      expect(text).not.toContain(list.buyerIdNumber);
      expect(text).not.toContain(list.buyerTelephone);
      expect(text).not.toContain(list.buyerName);
    }
    const parcel = await get('/api/trace/parcel/RT-PARCEL-1', 'officer');
    expect(parcel.status).toBe(200);
    expect(await parcel.json()).toMatchObject({ parcelKey: 'RT-PARCEL-1', items: [{ gtin: G1, lot: 'LOT-RT', inbound: [{ entryListId: 'ENTRY-RT', site: 'GW-RT' }] }] });
    const audit = await store().auditRange(1, 1000);
    expect(audit.filter((e) => e.action === 'trace.product').map((e) => e.actor)).toEqual(['rt-officer', 'rt-manager', 'rt-admin']);
    expect(audit.find((e) => e.action === 'trace.parcel')).toMatchObject({ actor: 'rt-officer', subject: 'RT-PARCEL-1' });
  });

  it.each([
    ['a GTIN with a wrong check digit', '/api/trace/product/06901234567893', 'params.gtin'],
    ['not a GTIN at all', '/api/trace/product/ABC', 'params.gtin'],
    ['a lot outside the GS1 character set', `/api/trace/product/${G1}?lot=LOT%20RT`, 'query.lot'],
    ['a limit beyond 1000', `/api/trace/product/${G1}?limit=5000`, 'query.limit'],
    ['a forged cursor', `/api/trace/product/${G1}?cursor=eyJ4IjoxfQ`, 'query.cursor'],
  ])('400 for %s, naming the field', async (_name, path, field) => {
    const res = await get(path, 'officer');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; fields: { field: string }[] };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.fields.map((f) => f.field)).toContain(field);
  });

  it('404 for a parcel the hub knows nothing of; 401 without a session; 403 for an operator', async () => {
    expect((await get('/api/trace/parcel/NO-SUCH', 'officer')).status).toBe(404);
    expect((await get(`/api/trace/product/${G1}`)).status).toBe(401);
    const res = await get(`/api/trace/product/${G1}`, 'operator');
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('FORBIDDEN');
  });
});
