import { createRequire } from 'node:module';
import { createConnection } from 'node:net';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import type { StreamBuilder } from 'mqtt/lib/shared';

type TlsBuilder = (client: MqttClient, opts: IClientOptions) => ReturnType<StreamBuilder>;

/**
 * The edge's MQTT client for its one broker URL, built without `mqtt.connect`: on its first call that function loads
 * every transport MQTT.js has — WebSocket (ws, and with it http, https and zlib's streams), SOCKS (socks, ip-address)
 * and TLS — about 1.4 MiB of heap and the code pages behind it, which a scanner gateway on plain TCP carries for
 * nothing (issue 14: load only what is configured). Plain TCP is `net.createConnection`, as MQTT.js's own tcp builder
 * does; mqtts:// uses MQTT.js's own tls builder (servername, rejectUnauthorized, the authorisation check), loaded only
 * then. A gateway told to go through a SOCKS proxy (MQTT.js's MQTTJS_SOCKS_PROXY) gets `mqtt.connect` as before.
 */
export function mqttClient(url: string, options: IClientOptions): MqttClient {
  if (process.env.MQTTJS_SOCKS_PROXY) return mqtt.connect(url, options);
  const u = new URL(url);
  const secure = u.protocol === 'mqtts:';
  if (!secure && u.protocol !== 'mqtt:') throw new Error(`unsupported broker URL ${u.protocol}// (mqtt:// or mqtts://)`);
  // URL keeps an IPv6 host in brackets; sockets want it bare.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = u.port ? Number(u.port) : secure ? 8883 : 1883;
  const credentials = u.username && options.username === undefined ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {};
  const opts: IClientOptions = { ...options, ...credentials, protocol: secure ? 'mqtts' : 'mqtt', host, hostname: host, port };
  let client: MqttClient;
  if (!secure) client = new MqttClient(() => createConnection({ host, port }), opts);
  else {
    const tls = (createRequire(import.meta.url)('mqtt/lib/connect/tls') as { default: TlsBuilder }).default;
    // The builder writes its defaults into the options it is given: a fresh copy for every (re)connection.
    client = new MqttClient((c) => tls(c, { ...opts }), opts);
  }
  // As mqtt.connect does: a connection error is an event for whoever listens, never an uncaught exception.
  client.on('error', () => {});
  return client;
}
