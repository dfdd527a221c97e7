import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { EportClientSim } from '../cli/sim-eport.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { HubConfig } from '../hub/config.ts';
import { makeTestPki } from '../hub/eport/test-pki.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { JournalBuilder } from '../hub/storage/fixtures.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import type { EdgeEvent, NewEvent } from '../shared/schemas/events.ts';
import { freePort } from './helpers/ports.ts';

/**
 * The exchange inside a real hub: an export slip's vehicle admitted and departing at the gate (gate.passed in the
 * journal, through the projections) makes a CEB507 and a CEB509; they reach the simulated client through the OutBox
 * and their receipts come back through the InBox; the dashboard API lists them, and only an admin may resend.
 */
let dir: string;
let hub: RunningHub;
const ADMIN_PW = 'harbour-lantern-7391';
const OFFICER_PW = 'quay-compass-4826';
const SLIP = 'HP5165260000000000000009';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bg-eport-hub-'));
  const pki = makeTestPki({ nowMs: Date.now() });
  writeFileSync(join(dir, 'key.pem'), pki.signer.privateKeyPem);
  writeFileSync(join(dir, 'cert.pem'), pki.signer.certificatePem);
  hub = await startHub(
    parseConfig(
      HubConfig,
      {
        dataDir: join(dir, 'hub'),
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
        auth: { adminPassword: ADMIN_PW },
        eport: {
          exchange: {
          outbox: join(dir, 'OutBox'),
          inbox: join(dir, 'InBox'),
          pollMs: 100,
          signer: { privateKeyFile: join(dir, 'key.pem'), certificateFile: join(dir, 'cert.pem') },
          zone: { copCode: '4401630ABC', copName: '南沙仓储', dxpId: 'DXPENT0000067890', customsCode: '5165', operatorCode: '4401630ABC', operatorName: '南沙仓储', logisticsCode: '440316T004', logisticsName: '顺捷物流' },
          },
        },
      },
      'test',
    ),
    createLogger('test', 'silent'),
  );
  await hub.storage.createUser({ username: 'officer-1', passwordHash: await hashPassword(OFFICER_PW), role: 'officer', displayName: 'o', createdMs: Date.now() });
}, 60_000);
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const token = async (username: string, password: string) => ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })).json()) as { token: string }).token;

it('gate passages of an export slip become CEB507/509, answered through the client; listed with their receipts; resend is admin-only (403 for an officer) and refused for a message with its receipt', async () => {
  await hub.feed.put([{ kind: 'slip', key: SLIP, value: { passportNo: SLIP, ioType: 'E', status: 'approved', vehicleNo: '粤B12345', totalGrossWtKg: 30, goods: ['EA123456785CN', 'EE000000014CN'] } }]);
  const j = new JournalBuilder('GW-1', Date.now() - 60_000);
  const events: NewEvent[] = [
    { type: 'gate.passed', stationId: 'GATE-1', payload: { laneId: 'IN-1', direction: 'in', slipNo: SLIP, vehicleNo: '粤B12345' } },
    { type: 'gate.passed', stationId: 'GATE-1', payload: { laneId: 'OUT-1', direction: 'out', slipNo: SLIP, vehicleNo: '粤B12345' } },
  ];
  const entries = events.map((e) => j.next(e));
  await hub.storage.ingest('GW-1', entries, { receivedMs: Date.now() });
  hub.projections.onEvents('GW-1', entries.map((e) => e.event as EdgeEvent));
  await hub.projections.drained();

  const sim = new EportClientSim({ outbox: join(dir, 'OutBox'), inbox: join(dir, 'InBox'), work: join(dir, 'client-sent') });
  const officer = await token('officer-1', OFFICER_PW);
  const get = async (t: string, path: string) => (await fetch(`${hub.httpUrl}${path}`, { headers: { authorization: `Bearer ${t}` } })).json() as Promise<{ items: { guid: string; messageType: string; state: string; receiptStatus: string | null }[]; counts: Record<string, number> }>;
  await vi.waitFor(
    async () => {
      await sim.step();
      const list = await get(officer, '/api/eport/messages');
      expect(list.items.map((m) => `${m.messageType}:${m.state}:${m.receiptStatus}`).sort()).toEqual(['CEB507:receipt:2', 'CEB509:receipt:2']);
    },
    { timeout: 30_000, interval: 100 },
  );
  const list = await get(officer, '/api/eport/messages?type=CEB509');
  expect(list.items).toHaveLength(1);
  const guid = list.items[0]!.guid;
  // The InBox is read in name order, so the business receipt (CEB510_…) may be recorded before the transmission result
  // (Successed_…) of the same poll: the state says receipt while the transmission result is still being stored.
  await vi.waitFor(async () => {
    const detail = (await (await fetch(`${hub.httpUrl}/api/eport/messages/${guid}`, { headers: { authorization: `Bearer ${officer}` } })).json()) as { receipts: { kind: string }[] };
    expect(detail.receipts.map((r) => r.kind).sort()).toEqual(['business', 'transmission']);
  }, { timeout: 30_000, interval: 100 });

  const resend = (t: string) => fetch(`${hub.httpUrl}/api/eport/messages/${guid}/resend`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'customs asked for it again' }) });
  expect((await resend(officer)).status).toBe(403);
  const admin = await token('admin', ADMIN_PW);
  // A message with its receipt is not sent again.
  const r = await resend(admin);
  expect(r.status).toBe(409);
  expect(((await r.json()) as { code: string }).code).toBe('CONFLICT');
}, 60_000);
