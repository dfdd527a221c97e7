import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMosquitto, type MosquittoInstance } from '../test/helpers/mosquitto.ts';
import { mosquittoBinary, requireService } from '../test/helpers/services.ts';
import { haveOpenssl, makeTestCerts } from '../test/helpers/test-certs.ts';
import { mqttClient } from './mqtt-link.ts';

const run = requireService('Mosquitto', !!(await mosquittoBinary()));
if (run && !haveOpenssl) console.warn('SKIPPED: the mqtts:// check needs the openssl binary to make a throwaway CA.');

/** Connected, then a message through the broker and back: the link really carries MQTT. */
async function roundTrip(client: MqttClient): Promise<string> {
  await new Promise<void>((res, rej) => {
    client.once('connect', () => res());
    client.once('error', rej);
  });
  await client.subscribeAsync('link/test', { qos: 1 });
  const got = new Promise<string>((res) => client.once('message', (_t, p) => res(p.toString())));
  await client.publishAsync('link/test', 'hello', { qos: 1 });
  return got;
}

describe.skipIf(!run)('the edge MQTT link (mqtt:// and mqtts:// without mqtt.connect)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-mqtt-link-'));
  let plain: MosquittoInstance;
  let tls: MosquittoInstance | undefined;
  const clients: MqttClient[] = [];
  const track = (c: MqttClient) => (clients.push(c), c);

  beforeAll(async () => {
    plain = await startMosquitto({});
    if (haveOpenssl) {
      // The broker drops to the mosquitto user: it must be able to read its certificate and key.
      chmodSync(dir, 0o755);
      makeTestCerts(dir);
      for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
      tls = await startMosquitto({ config: `certfile ${join(dir, 'server.crt')}\nkeyfile ${join(dir, 'server.key')}\n` });
    }
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await plain?.stop();
    await tls?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries messages over plain TCP', async () => {
    expect(await roundTrip(track(mqttClient(plain.url, { clientId: 'link-plain', reconnectPeriod: 0 })))).toBe('hello');
  });

  it('takes a host name and the port from the URL', async () => {
    const url = `mqtt://localhost:${plain.port}`;
    expect(await roundTrip(track(mqttClient(url, { clientId: 'link-name', reconnectPeriod: 0 })))).toBe('hello');
  });

  it.skipIf(!haveOpenssl)('speaks TLS to an mqtts:// broker it trusts, and refuses one it does not', async () => {
    const url = `mqtts://127.0.0.1:${tls!.port}`;
    const ca = readFileSync(join(dir, 'ca.crt'));
    expect(await roundTrip(track(mqttClient(url, { clientId: 'link-tls', reconnectPeriod: 0, ca })))).toBe('hello');
    const untrusted = track(mqttClient(url, { clientId: 'link-untrusted', reconnectPeriod: 0 }));
    const errors: Error[] = [];
    untrusted.on('error', (e) => errors.push(e));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 20_000 });
    expect(errors[0]!.message).toMatch(/certificate/i);
    expect(untrusted.connected).toBe(false);
  });

  it('refuses a URL that is not mqtt:// or mqtts://', () => {
    expect(() => mqttClient('ws://127.0.0.1:1', {})).toThrow(/mqtt:\/\/ or mqtts:\/\//);
  });

  it('loads neither the WebSocket, SOCKS nor TLS stacks for an mqtt:// broker', async () => {
    // A fresh process: this one has loaded whatever the other tests needed.
    const code = `
      const { mqttClient } = await import(${JSON.stringify(resolve(import.meta.dirname, 'mqtt-link.ts'))});
      const c = mqttClient(${JSON.stringify(plain.url)}, { clientId: 'link-modules', reconnectPeriod: 0 });
      await new Promise((r) => c.once('connect', r));
      await c.endAsync(true);
      const { createRequire } = await import('node:module');
      const req = createRequire(import.meta.url);
      const loaded = Object.keys(req.cache ?? {}).filter((f) => /node_modules\\/(ws|socks|ip-address)\\//.test(f)).length;
      console.log(JSON.stringify({ builtins: process.moduleLoadList.filter((m) => /^NativeModule (tls|https|_http_client)$/.test(m)), loaded }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', cwd: resolve(import.meta.dirname, '..'), timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ builtins: [], loaded: 0 });
  });
});
