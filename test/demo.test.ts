import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawnNode } from './helpers/processes.ts';

/**
 * The README's first quick-start command, as a process: hub, embedded broker, a demo gateway whose devices are the
 * simulators on their real transports. All devices come up under the supervisor, events reach the hub, and Ctrl+C
 * (SIGTERM) stops everything cleanly.
 */
const CLI = resolve(import.meta.dirname, '../bin/bondgate.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bg-demo-'));
// Retries: after a failure the demo may still be writing while it stops.
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));

describe('bondgate demo', () => {
  it('starts the whole system on embedded defaults with simulated devices, and stops cleanly', async () => {
    const p = spawnNode([CLI, 'demo'], { name: 'demo', env: { BONDGATE_DATA_DIR: dir, PORT: '0', MQTT_PORT: '0' } });
    try {
      const banner = await p.waitForOutput(/health (http:\/\/127\.0\.0\.1:\d+)\/healthz/, 120_000);
      const healthUrl = /health (http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(banner)![1]!;
      expect(p.output()).toMatch(/Devices: +.*xray-line \(opcua\).*conveyor-plc \(modbus-plc\).*exit-barrier \(modbus-lock\)/);
      await vi.waitFor(
        async () => {
          const h = (await (await fetch(`${healthUrl}/healthz`)).json()) as { devices: { id: string; state: string }[]; ackedSeq: number };
          expect(h.devices.length).toBeGreaterThanOrEqual(3);
          expect(h.devices.filter((d) => d.state !== 'up')).toEqual([]);
          expect(h.ackedSeq).toBeGreaterThan(0);
        },
        { timeout: 30_000, interval: 500 },
      );
      const consoleUrl = /Station pages: (http:\/\/127\.0\.0\.1:\d+)/.exec(p.output())![1]!;
      const stations = (await (await fetch(`${consoleUrl}/api/stations`)).json()) as { items: { id: string }[] };
      expect(stations.items.map((s) => s.id)).toEqual(['BENCH-1', 'GATE-OUT-1', 'INSPECTION-LINE-1', 'WMS-DESK-1']);
      // The operator and PIN the banner and the README give sign in (the PIN meets the console's minimum length).
      const [, operatorId, pin] = /operator (\S+), PIN (\S+);/.exec(p.output())!;
      expect(readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8')).toContain(`(operator \`${operatorId}\`, PIN \`${pin}\`)`);
      const login = await fetch(`${consoleUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operatorId, pin }) });
      expect([login.status, await login.json()]).toEqual([200, { operatorId }]);
      // Issue 17 item 4: the slip the banner (and the README) gives exists at the hub, made by the slip service; and the
      // scenario's parcels are declared through the customs intake, so the line's decisions come from cases.
      const [, hubUrl, password] = /Dashboard: +(http:\/\/127\.0\.0\.1:\d+)\/.*password (\S+)\)/.exec(p.output())!;
      const [, slipNo, plate] = /Exit gate: +slip (\S+), plate (\S+)/.exec(p.output())!;
      expect(readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8')).toContain(`\`${slipNo}\``);
      const loginRes = await fetch(`${hubUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer1', password }) });
      expect(loginRes.status, await loginRes.clone().text()).toBe(200);
      const hubLogin = (await loginRes.json()) as { token: string };
      const auth = { authorization: `Bearer ${hubLogin.token}` };
      const slip = await fetch(`${hubUrl}/api/slips/${slipNo}`, { headers: auth });
      expect(slip.status).toBe(200);
      expect(((await slip.json()) as { slip: { vehicleNo: string; status: string; goods: string[] } }).slip).toMatchObject({ vehicleNo: plate, status: 'approved', goods: expect.arrayContaining([expect.any(String)]) });
      await vi.waitFor(
        async () => {
          const c = await fetch(`${hubUrl}/api/cases/RR000000005CN`, { headers: auth });
          expect(c.status).toBe(200);
        },
        { timeout: 60_000, interval: 1000 },
      );
      // Issue 17 item 10: the zone stock page has stock, put there by the demo's warehouse desk (its scanner and scale):
      // received, put away at two locations, an order picked to staging.
      await vi.waitFor(
        async () => {
          const stock = (await (await fetch(`${hubUrl}/api/stock?warehouse=bonded`, { headers: auth })).json()) as { items: { sku: string; locationId: string; qty: number }[] };
          expect(stock.items.map((i) => [i.sku, i.locationId, i.qty])).toEqual([
            ['4006381333931', 'B-02-01', 7],
            ['4006381333931', 'STAGING/SO-DEMO-0001', 1],
            ['6901234567892', 'A-01-03', 10],
            ['6901234567892', 'STAGING/SO-DEMO-0001', 2],
          ]);
        },
        { timeout: 60_000, interval: 1000 },
      );
      const metrics = await (await fetch(`${healthUrl}/metrics`)).text();
      expect(metrics).toMatch(/bondgate_edge_device_up\{device="xray-line",kind="opcua"\} 1/);
    } finally {
      p.kill('SIGTERM');
    }
    expect((await p.exited).code).toBe(0);
  }, 300_000);
});
