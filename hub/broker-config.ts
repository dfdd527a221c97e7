import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { GATEWAY_ID_PATTERN } from '../shared/ids.ts';
import { MAX_MQTT_PACKET_BYTES } from '../shared/sync-protocol.ts';
import { HUB_SHARE_GROUP, TOPIC_ROOT } from '../shared/topics.ts';

/**
 * Pure generators for an external Mosquitto 2.x broker that enforces what the embedded broker (hub/broker.ts)
 * enforces: every client authenticates, a gateway (MQTT user = its id) publishes only its own `up/` topics and
 * reads only its own `down/` topics, the hub user reads every `up/` (also through `$share/hub/…`) and writes every
 * `down/`, and no account can take another's client id. No I/O here: `bondgate broker config` (cli/broker-config.ts)
 * writes the files.
 *
 * Client ids. MQTT lets a new connection with a live client's id take that client's place, so a gateway's password
 * with the hub's id would take the hub off the broker. ACLs cannot stop it (they apply to publish and subscribe;
 * the takeover happens at CONNECT), and a password file cannot bind an id to a user. So:
 *  - password file: every listener has `use_username_as_clientid true`: the broker replaces whatever id a client
 *    sends with its user name, so a connection can only ever displace one signed in as the same user. The price:
 *    one live connection per user, so each hub process needs its own MQTT user (mosquittoAcl takes several);
 *  - dynamic security: each gateway's account is bound to the client id equal to its gateway id (the plugin's
 *    `clientid`), so the plugin refuses a gateway's password with any other id. The hub's account stays unbound:
 *    it is the trusted one (it can change every account through the plugin anyway), several hub processes and the
 *    hub's account-management connection share it, and their ids (`<hub user>:<hubId>:<random>`) hold a `:` no
 *    gateway id has. `use_username_as_clientid` is not used there: it would make those hub connections displace
 *    each other.
 */

const pbkdf2Async = promisify(pbkdf2);

/** What `mosquitto_passwd` (2.x, default `-H sha512-pbkdf2`) uses: 101 iterations of PBKDF2-HMAC-SHA512, 12-byte salt, 64-byte key. */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const KEY_BYTES = 64;

/**
 * `$7$<iterations>$<base64 salt>$<base64 key>`, Mosquitto's own PBKDF2-SHA512 hash format, byte for byte what
 * `mosquitto_passwd` writes (so the broker can check it; the hub's scrypt hashes are useless to Mosquitto).
 */
export async function mosquittoPasswordHash(password: string, opts: { salt?: Buffer; iterations?: number } = {}): Promise<string> {
  const salt = opts.salt ?? randomBytes(SALT_BYTES);
  const iterations = opts.iterations ?? MOSQUITTO_PBKDF2_ITERATIONS;
  const key = await pbkdf2Async(password, salt, iterations, KEY_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Checks a password against a `$7$` hash (tests, and `mosquitto_passwd`-made files read back). */
export async function verifyMosquittoPassword(password: string, hash: string): Promise<boolean> {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) return false;
  const expected = Buffer.from(m[3]!, 'base64');
  const key = await pbkdf2Async(password, Buffer.from(m[2]!, 'base64'), Number(m[1]), expected.length, 'sha512');
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A user name must be a gateway id (or the hub's name): `%u` is substituted into ACL topics, so a name holding
 * `/`, `+` or `#` could widen a gateway's reach, and `:` would break the password file's `user:hash` lines.
 */
export function brokerUserIssue(username: string): string | undefined {
  if (!GATEWAY_ID_PATTERN.test(username)) return `"${username}" is not a valid broker user name (letters, digits, _ or -, at most 64, starting with a letter or digit)`;
  return undefined;
}

/** The password file: one `user:$7$…` line per account, sorted so a regenerated file diffs cleanly. */
export async function mosquittoPasswordFile(accounts: ReadonlyMap<string, string>): Promise<string> {
  const lines: string[] = [];
  for (const user of [...accounts.keys()].sort()) {
    const issue = brokerUserIssue(user);
    if (issue) throw new Error(issue);
    lines.push(`${user}:${await mosquittoPasswordHash(accounts.get(user)!)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The ACL. `pattern` rules apply to every user with `%u` replaced by the user name, so one pair of lines covers
 * every gateway, present and future; nothing else is granted, and Mosquitto denies what no rule allows (a denied
 * publish is dropped silently, a denied subscription gets SUBACK 0x80).
 */
export function mosquittoAcl(hubUsers: string | readonly string[]): string {
  const hubs = typeof hubUsers === 'string' ? [hubUsers] : [...hubUsers];
  if (hubs.length === 0) throw new Error('at least one hub user is needed');
  for (const hubUser of hubs) {
    const issue = brokerUserIssue(hubUser);
    if (issue) throw new Error(issue);
  }
  return [
    '# Generated by `bondgate broker config`. Mosquitto denies whatever no line below allows.',
    '# A gateway (MQTT user = its gateway id) publishes only its own up/ topics and reads only its own down/ topics.',
    `pattern write ${TOPIC_ROOT}/%u/up/#`,
    `pattern read ${TOPIC_ROOT}/%u/down/#`,
    '',
    '# The hub reads every gateway\'s up/ topics (several hub processes share them through $share) and writes',
    '# every gateway\'s down/ topics (acks, station feed, image requests). One user per hub process: the broker',
    '# uses the user name as the client id (use_username_as_clientid), so two connections of one user displace each other.',
    ...hubs.flatMap((hubUser) => [
      `user ${hubUser}`,
      `topic read ${TOPIC_ROOT}/+/up/#`,
      `topic read $share/${HUB_SHARE_GROUP}/${TOPIC_ROOT}/+/up/#`,
      `topic write ${TOPIC_ROOT}/+/down/#`,
      '',
    ]),
  ].join('\n');
}

export interface MosquittoConfOptions {
  /** Where the password file, ACL and certificates sit as the broker sees them (e.g. /mosquitto/config in Docker). */
  configDir: string;
  /** TLS listener for gateways and hubs; null: none (not for production: passwords would cross the network in clear). */
  tls: { port: number; bind?: string; certFile: string; keyFile: string; caFile: string } | null;
  /** Plain listener bound to loopback only, for local tools (mosquitto_sub on the broker host); null: none. */
  localPort: number | null;
  /** A plain listener for gateways and hubs instead of TLS: lab use only (passwords cross the network in clear). */
  plain?: { port: number; bind?: string };
  /** Directory for the broker's persistence (in-flight QoS 1 messages of disconnected persistent sessions); null: off. */
  persistenceDir: string | null;
  /** stdout suits containers and systemd (journald); null leaves logging to the broker's default or an outer file. */
  logDest: 'stdout' | null;
  /**
   * Accounts and ACLs in the dynamic security plugin (broker-dynsec.ts) instead of a password file and ACL file:
   * the plugin's shared object and its JSON file, which the broker rewrites on every change (so it must be writable
   * by the broker's user). Absent: `passwd` and `acl` in configDir.
   */
  dynsec?: { pluginPath: string; configFile: string };
}

/**
 * mosquitto.conf. Limits are sized for the sync protocol: one message is a batch of journal entries or a station
 * image, a gateway keeps a window of batches in flight, and queues bound a stalled subscriber's memory.
 */
export function mosquittoConf(o: MosquittoConfOptions): string {
  const dir = o.configDir.replace(/\/+$/, '');
  // A listener setting in Mosquitto 2.0: on every listener this file opens (see the file comment for why).
  const bindIds = o.dynsec ? [] : ['# The client id is the user name: no account can take another\'s connection over.', 'use_username_as_clientid true'];
  const lines = [
    '# Generated by `bondgate broker config`. Every client authenticates; the ACL binds each gateway to its own topics.',
    'allow_anonymous false',
    ...(o.dynsec
      ? ['# Accounts and ACLs: the dynamic security plugin, changed by the hub while the broker runs.', `plugin ${o.dynsec.pluginPath}`, `plugin_opt_config_file ${o.dynsec.configFile}`]
      : [`password_file ${dir}/passwd`, `acl_file ${dir}/acl`]),
    '',
    '# A batch of journal entries or one full-size station image per message (at most 4 MiB, plus topic and header);',
    '# anything larger is refused at its header, before the broker buffers it.',
    `max_packet_size ${MAX_MQTT_PACKET_BYTES}`,
    '# Per client: the edge keeps a window of unacked batches in flight; QoS 1 messages past it queue, and a',
    '# subscriber that stalls (a hub process paused) holds at most this much before the broker drops its QoS 0 traffic.',
    'max_inflight_messages 1000',
    'max_queued_messages 10000',
    'max_queued_bytes 268435456',
    '# Acks and live events are small: send them at once rather than wait on Nagle\'s algorithm.',
    'set_tcp_nodelay true',
    o.persistenceDir ? `persistence true\npersistence_location ${o.persistenceDir.replace(/\/*$/, '/')}\nautosave_interval 60` : 'persistence false',
  ];
  if (o.logDest) lines.push(`log_dest ${o.logDest}`, 'log_type error', 'log_type warning', 'log_type notice', 'log_type information', 'connection_messages true');
  if (o.tls) {
    lines.push(
      '',
      '# Gateways and hubs: TLS only. The server certificate must name the host they connect to.',
      `listener ${o.tls.port}${o.tls.bind ? ` ${o.tls.bind}` : ''}`,
      'protocol mqtt',
      `cafile ${o.tls.caFile}`,
      `certfile ${o.tls.certFile}`,
      `keyfile ${o.tls.keyFile}`,
      'tls_version tlsv1.2',
      ...bindIds,
    );
  }
  if (o.localPort !== null) {
    lines.push(
      '',
      '# Local tools on the broker host only (loopback): still authenticated and under the same ACL.',
      ...(o.dynsec ? [] : ['# A tool signed in as a running hub process\'s user would displace it: give tools a user of their own.']),
      `listener ${o.localPort} 127.0.0.1`,
      'protocol mqtt',
      ...bindIds,
    );
  }
  if (o.plain) {
    lines.push('', '# Plain listener (--no-tls): lab use only.', `listener ${o.plain.port}${o.plain.bind ? ` ${o.plain.bind}` : ''}`, 'protocol mqtt', ...bindIds);
  }
  return lines.join('\n') + '\n';
}
