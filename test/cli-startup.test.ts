import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/ports.ts';
import { traceImports, traceRunning } from './helpers/trace-imports.ts';

/**
 * `bondgate --help` and `--version` read the arguments before anything else loads: no TypeScript loader, no hub,
 * no edge, no driver library. Checked by what the process imported (a module-resolve hook), not by timing.
 */
const CLI = resolve(import.meta.dirname, '../bin/bondgate.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bg-cli-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runTraced(args: string[], name: string): Promise<{ code: number | null; stdout: string; stderr: string; loaded: string[] }> {
  const r = await traceImports([CLI, ...args], { file: join(dir, `${name}.txt`) });
  return { ...r, loaded: r.lines };
}

const HEAVY = [/\/node_modules\/tsx\//, /\/node_modules\/node-opcua/, /\/node_modules\/express\//, /\/node_modules\/sharp\//, /\/(hub|edge|drivers)\//, /\.ts$/];

describe('bondgate start-up', () => {
  it.each([
    ['--help', /Usage:\n {2}bondgate demo/],
    ['-h', /Usage:/],
    ['--version', /^bondgate \d+\.\d+\.\d+\n$/],
  ])('%s answers without loading the application', async (flag, expected) => {
    const r = await runTraced([flag], flag.replace(/-/g, ''));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(expected);
    expect(r.loaded.some((u) => u.endsWith('/bin/bondgate.mjs'))).toBe(true); // the hook saw the process
    expect(r.loaded.filter((u) => HEAVY.some((h) => h.test(u)))).toEqual([]);
  });

  it('no command prints the usage the same way', async () => {
    const r = await runTraced([], 'none');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage:/);
    expect(r.loaded.filter((u) => HEAVY.some((h) => h.test(u)))).toEqual([]);
  });

  it('`bondgate edge` without a config loads no hub and no edge module before saying what it needs', async () => {
    const r = await runTraced(['edge'], 'edge');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs --config FILE/);
    expect(r.loaded.some((u) => /\/cli\/main\.(ts|js)$/.test(u))).toBe(true);
    expect(r.loaded.filter((u) => /\/(hub|edge|drivers)\//.test(u))).toEqual([]);
  });

  it('an unknown command still gets the usage and exit 2', async () => {
    const r = await runTraced(['frobnicate'], 'unknown');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"[\s\S]*Usage:/);
  });
});

describe('a scanner-only gateway loads only what it is configured for', () => {
  it("runs compiled JavaScript (no TypeScript loader) without node-opcua, modbus-serial, node-hid, the other kinds' drivers, the console (express), the camera decoder (sharp, zxing-wasm) or, until scraped, prom-client", async () => {
    const file = join(dir, 'edge-trace.txt');
    const config = join(dir, 'edge.json');
    writeFileSync(
      config,
      JSON.stringify({
        gatewayId: 'GW-LAZY',
        dataDir: join(dir, 'edge'),
        hub: { mqttUrl: 'mqtt://127.0.0.1:1', password: 'password-of-lazy' }, // no hub needed to start
        http: { host: '127.0.0.1', port: 0 },
        clock: { sync: 'assume-synced' },
        devices: [{ kind: 'serial-scanner', id: 'scanner-1', serial: { path: join(dir, 'no-such-tty') } }],
        stations: [{ kind: 'inspection', id: 'LINE-1', line: { lineId: 'LINE-1' }, devices: { scanners: ['scanner-1'] } }],
      }),
    );
    // The scanner's driver loads as the device starts (drivers/registry.ts), which need not be before the ready line.
    const loaded = await traceRunning([CLI, 'edge', '--config', config], { name: 'edge-lazy', file, ready: /edge agent started/, loaded: [/\/drivers\/barcode\/serial-scanner\.js$/m] });
    // The application as bin/compile.mjs built it: every module of ours from dist/run/, none through tsx.
    expect(loaded.some((u) => /\/dist\/run\/[0-9a-f]+\/edge\/agent\.js$/.test(u))).toBe(true);
    expect(loaded.some((u) => /\/dist\/run\/[0-9a-f]+\/drivers\/barcode\/serial-scanner\.js$/.test(u))).toBe(true);
    expect(loaded.filter((u) => /\/node_modules\/tsx\/|\.ts$/.test(u))).toEqual([]);
    expect(
      loaded.filter((u) =>
        /\/node_modules\/(node-opcua|modbus-serial|node-hid|koffi|express|sharp|zxing-wasm|@zxing|prom-client)\/|\/drivers\/(opcua\/driver|modbus\/(client|lock|plc)|barcode\/(camera-scanner|image-decoder|codec-scanner|hid\/\w+-(scanner|codec))|scale\/driver|rfid\/llrp-driver|seal\/mqtt-driver|transport\/(hid|evdev|tcp))\.(ts|js)$|\/edge\/console\/server\.(ts|js)$/.test(u),
      ),
    ).toEqual([]);
  }, 150_000);
});

describe('a compiled hub runs its worker threads compiled too', () => {
  it('the events decoder, the CEB XML worker and the password-strength estimator load from the compiled tree, and no thread loads tsx', async () => {
    const file = join(dir, 'hub-trace.txt');
    const config = join(dir, 'hub.json');
    writeFileSync(
      config,
      JSON.stringify({
        hubId: 'hub-workers',
        dataDir: join(dir, 'hub'),
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
        auth: { adminPassword: 'quay-compass-4826-lantern' },
        ingest: { decodeWorkers: 1 },
      }),
    );
    const compiled = (rel: string) => new RegExp(`/dist/run/[0-9a-f]+/${rel.replace(/[.]/g, '\\.')}$`, 'm');
    const loaded = await traceRunning([CLI, 'hub', '--config', config], {
      name: 'hub-workers',
      file,
      ready: /hub ready/,
      // The first admin's password was checked on the strength estimator's thread (hub/auth/strength-pool.ts).
      loaded: [compiled('hub/services/ceb-worker.js'), compiled('hub/services/decode-worker.js'), compiled('hub/auth/strength-worker.js')],
      env: { DATABASE_URL: '', MQTT_URL: '', PORT: '', MQTT_PORT: '' },
    });
    expect(loaded.filter((u) => /\/node_modules\/tsx\/|\.ts$|\/tsx-worker\.mjs$/.test(u))).toEqual([]);
  }, 150_000);
});
