import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { buildApp } from '../app.ts';
import { hashToken } from '../auth/sessions.ts';
import { createHubMetrics } from '../metrics.ts';
import { openCaseRepo } from '../repos/cases.ts';
import { openZoneStatsRepo } from '../repos/zone-stats.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import { ZoneStatsService } from '../services/zone-stats.ts';

const log = createLogger('test', 'silent');

eachStore('overview routes', (store) => {
  let server: Server;
  let url = '';
  let zoneStats: ZoneStatsService;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const storage = store();
    const repo = openZoneStatsRepo(storage.sql);
    await repo.migrate();
    const cases = openCaseRepo(storage.sql);
    await cases.migrate();
    zoneStats = new ZoneStatsService({ repo, cases, log, minPushGapMs: 0 });
    const app = buildApp({ storage, metrics: createHubMetrics(), log, sessionTtlMs: 3_600_000, gatewayOfflineAfterMs: 60_000, health: () => ({ mqttConnected: true, hubId: 'hub-test' }), zoneStats });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const role of ['officer', 'manager', 'admin', 'operator'] as const) {
      tokens[role] = randomBytes(24).toString('base64url');
      await storage.createSession({ tokenHash: hashToken(tokens[role]), username: `ov-${role}`, role, expiresMs: Date.now() + 3_600_000 });
    }
  });
  afterAll(async () => {
    zoneStats?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  const get = (path: string, token?: string) => fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('every role reads the figures; no session is refused; a bad window names the field', async () => {
    for (const role of ['officer', 'manager', 'admin', 'operator']) {
      const res = await get('/api/overview?hours=6', tokens[role]);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { hours: number; hourly: { hourMs: number[] } };
      expect(body.hours).toBe(6);
      expect(body.hourly.hourMs).toHaveLength(6);
    }
    expect((await get('/api/overview')).status).toBe(401);
    expect((await get('/api/overview/stream')).status).toBe(401);
    for (const bad of ['0', '169', 'x', '2.5']) {
      const res = await get(`/api/overview?hours=${bad}`, tokens.manager);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { fields: { field: string }[] }).fields[0]!.field).toBe('query.hours');
    }
  });

  it('streams the figures at once and after an ingested batch, and lets go of the watcher on disconnect', async () => {
    const messages: { totals: { in: number } }[] = [];
    let buffer = '';
    const req = request(`${url}/api/overview/stream?hours=2`, { headers: { authorization: `Bearer ${tokens.operator}` } });
    const opened = new Promise<string | undefined>((resolve) => {
      req.on('response', (res) => {
        resolve(res.headers['content-type']);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (frame.startsWith('event: overview\n')) messages.push(JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as { totals: { in: number } });
          }
        });
      });
    });
    req.end();
    expect(await opened).toMatch(/^text\/event-stream/);
    await vi.waitFor(() => expect(messages.length).toBeGreaterThanOrEqual(1), { timeout: 20_000 });
    expect(zoneStats.watching).toBe(1);
    const inBefore = messages.at(-1)!.totals.in;
    const j = new JournalBuilder('GW-OV-ROUTE', Date.now());
    await zoneStats.projection.apply('GW-OV-ROUTE', [j.next({ type: 'parcel.scanned', stationId: 'S', parcelKey: `OVR-${randomBytes(4).toString('hex')}`, payload: { code: 'x', source: 'scanner' } }, Date.now()).event as EdgeEvent]);
    await vi.waitFor(() => expect(messages.at(-1)!.totals.in).toBe(inBefore + 1), { timeout: 20_000 });
    req.destroy();
    await vi.waitFor(() => expect(zoneStats.watching).toBe(0), { timeout: 20_000 });
  });
});
