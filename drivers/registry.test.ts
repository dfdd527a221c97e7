import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { traceImports } from '../test/helpers/trace-imports.ts';
import { createDriver, DeviceConfig } from './registry.ts';
import { MessageType } from './rfid/llrp-codec.ts';
import { LlrpReaderSimulator } from './rfid/llrp-simulator.ts';

/** Drivers whose library is heavy (node-opcua, modbus-serial) load when they first start, and behave the same. */
describe('device registry: lazily loaded drivers', () => {
  it('an OPC UA device: config checked without the driver, commands refused before start, start loads it and reports its failure', async () => {
    expect(DeviceConfig.safeParse({ kind: 'opcua', id: 'plc-1', opcua: { endpointUrl: 'opc.tcp://127.0.0.1:1', pkiDir: '/tmp/pki', monitoredItems: [{ name: 'x', nodeId: 'not a node id' }] } }).success).toBe(false);
    const config = DeviceConfig.parse({ kind: 'opcua', id: 'plc-1', opcua: { endpointUrl: 'opc.tcp://127.0.0.1:1', pkiDir: '/tmp/bg-registry-pki', connectionStrategy: { maxRetry: 1, initialDelayMs: 10, maxDelayMs: 10 }, monitoredItems: [{ name: 'x', nodeId: 'ns=2;s=X' }] } });
    const d = createDriver(config);
    expect(await d.send({ op: 'call', method: 'divert', args: [] })).toMatchObject({ ok: false, code: 'DEVICE_DISCONNECTED' });
    expect(d.health()).toMatchObject({ connected: false, errors: 0 });
    const abort = new AbortController();
    await expect(d.start(abort.signal)).rejects.toThrow(); // nothing listens on port 1: the real driver ran and failed
    abort.abort();
    expect(d.health().connected).toBe(false);
  }, 60_000);
});

describe('device registry: the camera scanner', () => {
  it('validates its config without the decoder, and loads the driver (sharp, zxing-wasm) when it starts', async () => {
    expect(DeviceConfig.safeParse({ kind: 'camera-scanner', id: 'cam-1', camera: { file: '/tmp/x.jpg', formats: ['Snapcode'] } }).success).toBe(false);
    const config = DeviceConfig.parse({ kind: 'camera-scanner', id: 'cam-1', camera: { file: '/nonexistent/bg-registry-cam.jpg', formats: ['EAN13'] } });
    const d = createDriver(config);
    expect(await d.send('capture')).toMatchObject({ ok: false, code: 'DEVICE_DISCONNECTED' });
    const readings: unknown[] = [];
    d.onReading((r) => readings.push(r));
    const abort = new AbortController();
    await expect(d.start(abort.signal)).rejects.toThrow(/ENOENT/); // the real driver ran: its first snapshot failed
    abort.abort();
    expect(readings).toEqual([expect.objectContaining({ kind: 'device.error', reason: expect.stringMatching(/^camera: /) })]);
  }, 60_000);
});

/**
 * Every gateway validates its config against every device kind; only the kinds it has may load their driver, codecs,
 * transport and library (issue 14: a scanner-only gateway's memory). Checked in a fresh process, by what it resolved
 * (a module-resolve hook, test/helpers/trace-imports.mjs) and what it required (CommonJS: node-hid, koffi).
 */
describe('device registry: a gateway loads only the drivers of the kinds it has, when they start', () => {
  const ROOT = resolve(import.meta.dirname, '..');
  const dir = mkdtempSync(join(tmpdir(), 'bg-registry-lazy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const url = (rel: string) => JSON.stringify(pathToFileURL(join(ROOT, rel)).href);

  /**
   * Runs `body` (an ES module; `mark(name)` splits the trace) in a fresh node with tsx; returns the modules resolved
   * before each mark, the CommonJS modules required by the end, and the JSON the body printed last.
   */
  async function traced(name: string, body: string) {
    const trace = join(dir, `${name}.txt`);
    const code = `
      import { appendFileSync } from 'node:fs';
      import { createRequire } from 'node:module';
      const mark = (m) => appendFileSync(process.env.TRACE_IMPORTS_FILE, '#' + m + '\\n');
      const report = (o) => console.log(JSON.stringify({ ...o, required: Object.keys(createRequire(import.meta.url).cache) }));
      ${body}
    `;
    const r = await traceImports(['--input-type=module', '-e', code], { file: trace, cwd: ROOT, tsx: true });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown> & { required: string[] };
    const lines = r.lines;
    const until = (m: string) => {
      const i = lines.indexOf(`#${m}`);
      expect(i, `mark ${m}`).toBeGreaterThan(0);
      return lines.slice(0, i).filter((l) => !l.startsWith('#'));
    };
    return { until, all: lines, result };
  }
  const matching = (urls: string[], patterns: RegExp[]) => [...new Set(urls.filter((u) => patterns.some((p) => p.test(u))))];
  const missing = (urls: string[], patterns: RegExp[]) => patterns.filter((p) => !urls.some((u) => p.test(u))).map(String);

  const KIND_MODULES = {
    scale: [/\/drivers\/scale\/(driver|mt-sics|toledo-continuous|ad-ascii|xk3190|framing|stability)\.ts$/],
    serialScanner: [/\/drivers\/barcode\/serial-scanner\.ts$/, /\/drivers\/transport\/(serial|usb-serial)\.ts$/, /\/node_modules\/@serialport\/(stream|bindings-cpp)\//],
    llrp: [/\/drivers\/rfid\/llrp-driver\.ts$/, /\/drivers\/rfid\/llrp-codec\.ts$/, /\/drivers\/transport\/tcp\.ts$/],
    seal: [/\/drivers\/seal\/(mqtt-driver|seal-monitor|messages)\.ts$/, /\/node_modules\/mqtt\//],
    modbus: [/\/drivers\/modbus\/(lock|plc|client|polled)\.ts$/, /\/node_modules\/modbus-serial\//],
    opcua: [/\/drivers\/opcua\/driver\.ts$/, /\/node_modules\/node-opcua/],
    camera: [/\/drivers\/barcode\/(camera-scanner|image-decoder)\.ts$/, /\/node_modules\/(sharp|zxing-wasm)\//],
    // The serial transport uses the stream and the binding directly: the `serialport` umbrella (and its parsers) never loads.
    serialportUmbrella: [/\/node_modules\/serialport\//, /\/node_modules\/@serialport\/parser-(byte-length|cctalk|inter-byte-timeout|packet-length|ready|regex|slip-encoder|spacepacket)\//],
    usbScanners: [/\/drivers\/barcode\/codec-scanner\.ts$/, /\/drivers\/barcode\/hid\/(evdev-scanner|hid-pos-scanner|hid-pos-codec|input-event-codec|boot-report-codec|scan-assembler|keymap)\.ts$/, /\/drivers\/transport\/(hid|evdev)\.ts$/, /\/node_modules\/(node-hid|koffi)\//],
  };
  const except = (...kinds: (keyof typeof KIND_MODULES)[]) => Object.entries(KIND_MODULES).flatMap(([k, ps]) => (kinds.includes(k as keyof typeof KIND_MODULES) ? [] : ps));

  it('a scanner-only gateway: the config is validated and the driver created without loading any driver; starting it loads the serial scanner and its transport, nothing else', async () => {
    const { until, all, result } = await traced(
      'serial-scanner',
      `
      const { EdgeConfig } = await import(${url('edge/config.ts')});
      const { createDriver } = await import(${url('drivers/registry.ts')});
      const config = EdgeConfig.parse({
        gatewayId: 'GW-LAZY', hub: { mqttUrl: 'mqtt://127.0.0.1:1', password: 'password-of-lazy' },
        devices: [{ kind: 'serial-scanner', id: 'scanner-1', serial: { path: ${JSON.stringify(join(dir, 'no-such-tty'))} } }],
      });
      const driver = createDriver(config.devices[0]);
      mark('created');
      const failed = await driver.start(new AbortController().signal).then(() => 'started', (e) => e.message);
      mark('started');
      report({ failed, command: await driver.send('trigger') });
    `,
    );
    expect(result.failed).toMatch(/no-such-tty/); // the real driver ran: its port did not open
    expect(result.command).toMatchObject({ ok: false, code: 'UNSUPPORTED' }); // and answers commands itself
    expect(until('created').some((u) => u.endsWith('/drivers/registry.ts'))).toBe(true); // the hook saw the imports
    expect(matching(until('created'), Object.values(KIND_MODULES).flat())).toEqual([]);
    expect(missing(until('started'), KIND_MODULES.serialScanner)).toEqual([]);
    expect(matching(all, except('serialScanner'))).toEqual([]);
    expect(matching(result.required, except('serialScanner'))).toEqual([]);
  }, 150_000);

  it('an LLRP reader: its driver loads when it starts; readings, health and commands pass through it', async () => {
    const sim = new LlrpReaderSimulator(30, 100);
    const port = await sim.start();
    try {
      sim.setTags([{ epcHex: '3074257BF7194E4000001A85', antennaId: 1, peakRssiDbm: -58, firstSeenUtcUs: 1700000000123456n }]);
      const { until, all, result } = await traced(
        'llrp-reader',
        `
        const { createDriver, DeviceConfig } = await import(${url('drivers/registry.ts')});
        const driver = createDriver(DeviceConfig.parse({ kind: 'llrp-reader', id: 'portal-1', tcp: { host: '127.0.0.1', port: ${port} } }));
        mark('created');
        const beforeStart = { command: await driver.send('stop'), health: driver.health() };
        const sighting = new Promise((resolve) => driver.onReading((r) => r.kind === 'rfid.sighting' && resolve(r)));
        const abort = new AbortController();
        await driver.start(abort.signal);
        const reading = await sighting;
        const health = driver.health();
        const command = await driver.send('start'); // START_ROSPEC again: the simulator answers it
        mark('started');
        abort.abort();
        report({ beforeStart, reading, health, command });
      `,
      );
      expect(result.beforeStart).toEqual({ command: expect.objectContaining({ ok: false, code: 'DEVICE_DISCONNECTED' }), health: expect.objectContaining({ connected: false, lastReadingMs: null }) });
      expect(result.reading).toMatchObject({ kind: 'rfid.sighting', epc: '3074257BF7194E4000001A85', antennaId: 1, peakRssiDbm: -58 });
      expect(result.health).toMatchObject({ connected: true, lastReadingMs: expect.any(Number) });
      expect(result.command).toEqual({ ok: true });
      expect(sim.received.filter((t) => t === MessageType.START_ROSPEC)).toHaveLength(2); // the session's, and the command
      expect(matching(until('created'), Object.values(KIND_MODULES).flat())).toEqual([]);
      expect(missing(until('started'), KIND_MODULES.llrp)).toEqual([]);
      expect(matching(all, except('llrp'))).toEqual([]);
    } finally {
      await sim.stop();
    }
  }, 150_000);
});
