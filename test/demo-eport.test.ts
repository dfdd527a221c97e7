import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runDemo, type RunningDemo } from '../cli/demo.ts';
import { DEMO_SLIP_VEHICLE } from '../cli/demo-documents.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Issue 18: the demo runs on its e-port channel. Its declarations and customs' receipts come in as CEB XML files through
 * the InBox (taken, mapped by the intake, moved to done/; none refused), the lists' signatures verify against the demo's
 * trust anchors, customs' CEB622 releases what it releases, and the demo truck's passage at the exit gate sends a CEB507
 * and a CEB509 through the OutBox, signed by the simulated card, that the simulated single-window client answers.
 */
const dir = mkdtempSync(join(tmpdir(), 'bg-demo-eport-'));
const PASSWORD = 'bondgate-demo-harbour';
let demo: RunningDemo;

beforeAll(async () => {
  demo = await runDemo(dir, { httpPort: 0, mqttPort: await freePort(), consolePort: 0 });
}, 180_000);
afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const files = (d: string) => readdirSync(d).filter((n) => n.endsWith('.xml') || /^(Successed|Failed)_/.test(n));

it('declarations and CEB622s arrive through the InBox, and the exit gate passage makes a CEB507 and a CEB509 that the client answers', async () => {
  const inbox = demo.eport.inbox;
  // Every pushed message is taken through the intake; none refused.
  await vi.waitFor(
    () => {
      const done = files(join(inbox, 'done'));
      for (const type of ['CEB311', 'CEB411', 'CEB511', 'CEB621', 'CEB622']) expect(done.filter((n) => n.startsWith(`${type}_`)).length, type).toBeGreaterThanOrEqual(12);
      expect(files(inbox)).toEqual([]);
    },
    { timeout: 120_000, interval: 500 },
  );
  expect(readdirSync(join(inbox, 'failed'))).toEqual([]);

  const login = (await (await fetch(`${demo.hubUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer1', password: PASSWORD }) })).json()) as { token: string };
  const auth = { authorization: `Bearer ${login.token}` };
  // The slip's parcels were released by customs' CEB622 (800), read from XML: the case's list came in a signed CEB621.
  expect(demo.slipNo).toMatch(/^Z5301E\d{2}0{12}1$/);
  const slip = (await (await fetch(`${demo.hubUrl}/api/slips/${demo.slipNo}`, { headers: auth })).json()) as { slip: { goods: string[] } };
  expect(slip.slip.goods.length).toBeGreaterThan(0);
  const detail = (await (await fetch(`${demo.hubUrl}/api/cases/${slip.slip.goods[0]}`, { headers: auth })).json()) as { documents: { kind: string; signature: { status: string } | null }[]; receipts: { messageType: string; returnStatus: number }[] };
  expect(detail.receipts).toContainEqual(expect.objectContaining({ messageType: 'CEB622', returnStatus: 800 }));
  expect(detail.documents.find((d) => d.kind === 'inventory')?.signature?.status).toBe('verified');

  // The demo truck at the exit lane: the operator types the slip and the plate, the simulated barrier rises.
  const consoleLogin = await fetch(`${demo.consoleUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operatorId: 'op1', pin: '123456' }) });
  expect(consoleLogin.status).toBe(200);
  const cookie = consoleLogin.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const scan = (text: string) => fetch(`${demo.consoleUrl}/station/GATE-OUT-1/submit`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ kind: 'scan', text }) });
  // The gateway has the slip once its station cache has caught up with the hub's feed as it was after the slip.
  const { headVersion } = (await (await fetch(`${demo.hubUrl}/api/feed?since=0`, { headers: auth })).json()) as { headVersion: number };
  await vi.waitFor(
    async () => {
      const h = (await (await fetch(`${demo.edgeHealthUrl}/healthz`)).json()) as { stationCache: { version: number } };
      expect(h.stationCache.version).toBeGreaterThanOrEqual(headVersion);
    },
    { timeout: 60_000, interval: 500 },
  );
  expect((await scan(demo.slipNo!)).status).toBe(200);
  expect((await scan(DEMO_SLIP_VEHICLE.vehicleNo)).status).toBe(200);
  type Msg = { messageType: string; state: string; receiptStatus: string | null; subject: string };
  await vi.waitFor(
    async () => {
      const list = (await (await fetch(`${demo.hubUrl}/api/eport/messages?limit=50`, { headers: auth })).json()) as { items: Msg[] };
      const mine = list.items.filter((m) => m.subject === demo.slipNo);
      expect(mine.map((m) => `${m.messageType}:${m.state}:${m.receiptStatus}`).sort()).toEqual(['CEB507:receipt:2', 'CEB509:receipt:2']);
    },
    { timeout: 90_000, interval: 1000 },
  );
  // Through the folders: the client took both (signed; its format check refuses an unsigned one) and answered both.
  const sent = readdirSync(demo.eport.sent);
  expect(sent.filter((n) => /CEB50[79]_/.test(n)).length).toBeGreaterThanOrEqual(2);
  const done = files(join(inbox, 'done'));
  for (const answer of ['CEB508_', 'CEB510_', 'Successed_CEB507_', 'Successed_CEB509_']) expect(done.some((n) => n.startsWith(answer)), answer).toBe(true);
}, 300_000);
