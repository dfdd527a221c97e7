import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { buildApp } from '../app.ts';
import { hashToken } from '../auth/sessions.ts';
import { documentKey, ReturnRequest } from '../customs/documents.ts';
import { generateParcel } from '../customs/generate-docs.ts';
import { createHubMetrics } from '../metrics.ts';
import { openReturnsRepo } from '../repos/returns.ts';
import { openStockRepo } from '../repos/stock.ts';
import { ReturnsService } from '../services/returns.ts';
import { StockService } from '../services/stock.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import type { Role } from '../storage/storage.ts';

const log = createLogger('test', 'silent');
const list = generateParcel({ seed: 1 }, 0).set.inventory;
const request = ReturnRequest.parse({
  kind: 'return', customsCode: list.customsCode, orderNo: list.orderNo, ebpCode: list.ebpCode, ebpName: list.ebpName, ebcCode: list.ebcCode, ebcName: list.ebcName,
  logisticsNo: list.logisticsNo, logisticsCode: list.logisticsCode, logisticsName: list.logisticsName, copNo: 'R-HTTP-1', invtNo: list.invtNo, buyerIdType: '1',
  buyerIdNumber: list.buyerIdNumber, buyerName: list.buyerName, buyerTelephone: list.buyerTelephone, agentCode: list.agentCode, agentName: list.agentName, reason: '七天无理由退货',
  lines: [{ gnum: 1, gcode: list.lines[0]!.gcode, gname: list.lines[0]!.gname, unit: list.lines[0]!.unit, qty: 1 }],
});

eachStore('returns and stock routes', (store) => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    const s = store();
    const returnsRepo = openReturnsRepo(s.sql);
    const stockRepo = openStockRepo(s.sql);
    await returnsRepo.migrate();
    await stockRepo.migrate();
    const returns = new ReturnsService({ storage: s, returns: returnsRepo, log });
    const stock = new StockService({ stock: stockRepo, returns, log });
    for (const role of ['admin', 'manager', 'officer', 'operator'] as Role[]) {
      await s.createUser({ username: `${role}-1`, passwordHash: 'x', role, displayName: role, createdMs: 0 });
      await s.createSession({ tokenHash: hashToken(`token-${role}`), username: `${role}-1`, role, expiresMs: Date.now() + 3_600_000 });
    }
    // The list (not released) and a return against it; stock at one site.
    await s.putDocument({ kind: 'inventory', key: documentKey(list), orderNo: list.orderNo, subjectKey: null, body: list as unknown as Record<string, unknown>, originalSha256: null, receivedMs: 1 });
    await s.putDocument({ kind: 'return', key: documentKey(request), orderNo: request.orderNo, subjectKey: null, body: request as unknown as Record<string, unknown>, originalSha256: null, receivedMs: 1 });
    await returns.onDocuments([list, request], 'officer-1');
    const j = new JournalBuilder('gw-http');
    const tx = (payload: Record<string, unknown>) => j.next({ type: 'warehouse.transaction', stationId: 'OVS-1', payload: { warehouse: 'overseas', outcome: 'ok', qty: 1, ...payload } as never }).event!;
    await stock.apply('gw-http', [
      tx({ transactionId: 'rcv-a', op: 'receive', sku: 'SKU-A', qty: 5 }),
      tx({ transactionId: 'put-a', op: 'putaway', sku: 'SKU-A', qty: 5, locationId: 'S-01' }),
      tx({ transactionId: 'ret-a', op: 'return', sku: 'SKU-A', qty: 1, condition: 'damaged', locationId: 'QUARANTINE', orderNo: 'W-NONE' }),
      tx({ transactionId: 'pick-b', op: 'pick', sku: 'SKU-B', qty: 2, locationId: 'S-07', listId: 'OUT-1' }),
    ]);
    const app = buildApp({ storage: s, metrics: createHubMetrics(), log, sessionTtlMs: 3_600_000, gatewayOfflineAfterMs: 60_000, health: () => ({ mqttConnected: true, hubId: 'hub-test' }), returns, stock });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });
  const get = (path: string, role: Role) => fetch(`${base}${path}`, { headers: { authorization: `Bearer token-${role}` } });

  it('lists and shows returns to officers, managers and admins, with buyer data masked', async () => {
    const res = await get(`/api/returns?status=mismatch,matched&orderNo=${list.orderNo}`, 'officer');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { copNo: string; status: string; match: { issues: { rule: string }[] }; request: { buyerIdNumber: string; buyerTelephone: string } }[] };
    expect(body.items.map((r) => [r.copNo, r.status, r.match.issues.map((i) => i.rule)])).toEqual([['R-HTTP-1', 'mismatch', ['original.not_released']]]);
    expect(body.items[0]!.request.buyerIdNumber).toMatch(/^\d{3}\*+\w{4}$/);
    expect(JSON.stringify(body)).not.toContain(list.buyerIdNumber);
    expect(JSON.stringify(body)).not.toContain(list.buyerTelephone);

    expect(((await (await get('/api/returns?status=approved', 'manager')).json()) as { items: unknown[] }).items).toEqual([]);
    const one = await get('/api/returns/R-HTTP-1', 'admin');
    expect(one.status).toBe(200);
    expect(((await one.json()) as { copNo: string }).copNo).toBe('R-HTTP-1');

    expect((await get('/api/returns/R-NONE', 'officer')).status).toBe(404);
    expect((await get('/api/returns', 'operator')).status).toBe(403);
    expect((await fetch(`${base}/api/returns`)).status).toBe(401);
    const bad = await get('/api/returns?status=lost', 'officer');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fields: { field: string }[] }).fields[0]!.field).toMatch(/^query\.status/);
  });

  it('shows stock with totals per SKU to every role, filtered, and the anomalies', async () => {
    const res = await get('/api/stock?site=gw-http&sku=SKU-A', 'operator');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { locationId: string; bucket: string; qty: number }[]; totals: unknown[] };
    expect(body.items.map((l) => [l.locationId, l.bucket, l.qty])).toEqual([['QUARANTINE', 'quarantine', 1], ['S-01', 'sellable', 5]]);
    expect(body.totals).toEqual([{ sku: 'SKU-A', qty: 6, sellable: 5, quarantine: 1 }]);
    const staged = (await (await get('/api/stock?location=STAGING%2FOUT-1&warehouse=overseas', 'manager')).json()) as typeof body;
    expect(staged.items.map((l) => l.qty)).toEqual([2]);
    expect((await get('/api/stock?warehouse=ship', 'officer')).status).toBe(400);

    const anomalies = (await (await get('/api/stock/anomalies?site=gw-http', 'admin')).json()) as { items: { kind: string; transactionId: string; wantedQty: number }[] };
    expect(anomalies.items.map((a) => [a.kind, a.transactionId, a.wantedQty])).toEqual([['below_zero', 'pick-b', 2]]);

    const exp = (await (await get('/api/export-returns?orderNo=W-NONE', 'officer')).json()) as { items: { transactionId: string; match: { issues: { rule: string }[] } }[] };
    expect(exp.items.map((r) => [r.transactionId, r.match.issues.map((i) => i.rule)])).toEqual([['ret-a', ['export.unknown']]]);
  });
});
