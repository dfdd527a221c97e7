import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomSecret } from '../hub/auth/passwords.ts';
import { brokerUserIssue, mosquittoAcl, mosquittoConf, mosquittoPasswordFile } from '../hub/broker-config.ts';
import { dynsecConfigFile } from '../hub/broker-dynsec.ts';
import { applyHubEnv, HubConfig } from '../hub/config.ts';
import { openUsersRepo } from '../hub/repos/users.ts';
import { AdminService } from '../hub/services/admin.ts';
import { openStorage } from '../hub/storage/open.ts';
import { loadConfigFile, parseConfig } from '../shared/config-file.ts';

/** Where the eclipse-mosquitto image keeps the plugin. */
const DEFAULT_DYNSEC_PLUGIN = '/usr/lib/mosquitto_dynamic_security.so';

export const BROKER_CONFIG_USAGE = `bondgate broker config --out DIR [options]
  Writes a Mosquitto 2.x configuration for Bondgate: DIR/mosquitto.conf, DIR/passwd (PBKDF2-SHA512, as
  mosquitto_passwd makes it), DIR/acl (each gateway only its own topics) and DIR/certs/.

  Passwords. The hub keeps only scrypt hashes, which Mosquitto cannot check, so the plaintext comes from:
    --config FILE     the hub config the installer keeps: mqtt.username / mqtt.password (or MQTT_PASSWORD) for the
                      hub, gateways[].id / .password for the gateways;
    --issue           new credentials issued through the hub's admin service (hub store from --config or
                      DATABASE_URL) for each --gateway ID, or for every gateway in the store when none is named;
                      printed once, like "bondgate gateway add". Existing gateways get a rotated password: update
                      their edge configs.
  The hub's own password is generated and printed once when neither the config nor MQTT_PASSWORD has one.

  --hub-user NAME       an MQTT user with the hub's rights and password (default: mqtt.username from --config, else
                        "hub"). Repeat it for several hub processes: with a password file the broker uses the user
                        name as the client id, so each hub process needs its own user (its mqtt.username or
                        MQTT_USERNAME), and tools such as a health check another
  --tls-cert FILE --tls-key FILE --ca FILE
                        server certificate, its key and the CA that signed it (copied into DIR/certs/)
  --no-tls              no TLS listener (lab use only: passwords cross the network in clear); then --tls-port
                        is a plain listener
  --tls-port N          TLS listener port (default 8883)     --bind ADDR   its bind address (default: all)
  --local-port N|none   plain listener on 127.0.0.1 for local tools (default 1883)
  --config-dir PATH     where the broker will read these files (default: DIR; /mosquitto/config in Docker)
  --persistence PATH|none  broker persistence directory (default /var/lib/mosquitto/)
  --log-stdout          log to stdout (containers, journald)
  --dynsec              accounts and ACLs in Mosquitto's dynamic security plugin instead of passwd and acl:
                        writes DIR/dynamic-security.json (the broker rewrites it: make it writable by the broker's
                        user). Then set mqtt.dynamicSecurity: true in the hub config, and gateway credentials issued,
                        rotated or revoked at the hub take effect at the broker at once.
  --dynsec-plugin PATH  the plugin on the broker host (default ${DEFAULT_DYNSEC_PLUGIN}, as in the eclipse-mosquitto
                        image; Debian: /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so)`;

/**
 * The `mosquitto` group's id when this runs as root and the group exists: started as root, Mosquitto drops to its
 * own user before it reads the password file and the key, which must then be group-readable but not world-readable.
 */
function mosquittoGid(): number | undefined {
  if (process.getuid?.() !== 0 || !existsSync('/etc/group')) return undefined;
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith('mosquitto:'));
  const gid = line ? Number(line.split(':')[2]) : NaN;
  return Number.isInteger(gid) ? gid : undefined;
}

interface Printer {
  out(line: string): void;
}

/** The CLI command. Returns the exit code; throws on a usage or config error (main prints it). */
export async function runBrokerConfig(argv: string[], io: Printer = { out: (l) => console.log(l) }): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      config: { type: 'string', short: 'c' },
      'hub-user': { type: 'string', multiple: true },
      issue: { type: 'boolean' },
      gateway: { type: 'string', multiple: true },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      ca: { type: 'string' },
      'no-tls': { type: 'boolean' },
      'tls-port': { type: 'string', default: '8883' },
      bind: { type: 'string' },
      'local-port': { type: 'string', default: '1883' },
      'config-dir': { type: 'string' },
      persistence: { type: 'string', default: '/var/lib/mosquitto/' },
      'log-stdout': { type: 'boolean' },
      dynsec: { type: 'boolean' },
      'dynsec-plugin': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(BROKER_CONFIG_USAGE);
    return 0;
  }
  if (!values.out) throw new Error(`--out DIR is required\n\n${BROKER_CONFIG_USAGE}`);
  const tlsFiles = [values['tls-cert'], values['tls-key'], values.ca];
  const tls = !values['no-tls'];
  if (tls && tlsFiles.some((f) => !f)) throw new Error('TLS needs --tls-cert, --tls-key and --ca (or --no-tls, for a lab broker only)');
  const port = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${name}: "${v}" is not a port number`);
    return n;
  };
  const tlsPort = port('tls-port', values['tls-port']);
  const localPort = values['local-port'] === 'none' || (!tls && Number(values['local-port']) === tlsPort) ? null : port('local-port', values['local-port']);

  const config = parseConfig(HubConfig, applyHubEnv(values.config ? (loadConfigFile(HubConfig, values.config) as unknown as Record<string, unknown>) : {}), values.config ?? 'environment');
  const hubUsers = [...new Set(values['hub-user']?.length ? values['hub-user'] : [config.mqtt.username])];
  const accounts = new Map<string, string>();
  for (const g of config.gateways) accounts.set(g.id, g.password);

  const shown: string[] = [];
  if (values.issue) {
    const storage = await openStorage({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), sqliteFile: `${config.dataDir}/hub.sqlite` });
    try {
      const users = openUsersRepo(storage.sql);
      await users.migrate();
      const admin = new AdminService({ storage, users });
      const ids = values.gateway?.length ? values.gateway : (await storage.listGateways()).map((g) => g.id);
      if (ids.length === 0) throw new Error('--issue: no gateway named with --gateway ID and none in the hub store');
      for (const id of ids) {
        const issue = brokerUserIssue(id);
        if (issue || hubUsers.includes(id)) throw new Error(`--gateway: ${issue ?? `"${id}" is the hub's own user name`}`);
        // Through the admin service, so the hub's store and audit chain agree with the broker's password file.
        const known = await users.gatewayCredential(id);
        const creds = known ? await admin.rotateGatewayCredentials('cli:broker-config', id) : await admin.registerGateway('cli:broker-config', id);
        accounts.set(id, creds.password);
        shown.push(`  ${id}: ${creds.password}${known ? '   (rotated: update this gateway\'s edge config)' : ''}`);
      }
    } finally {
      await storage.close();
    }
  }
  for (const h of hubUsers) if (accounts.has(h)) throw new Error(`"${h}" is both a hub user and a gateway id`);
  let hubPassword = config.mqtt.password;
  if (!hubPassword) {
    hubPassword = randomSecret(24);
    shown.unshift(`  ${hubUsers.join(', ')} (hub): ${hubPassword}   (set MQTT_PASSWORD or mqtt.password in the hub config)`);
  }
  for (const h of hubUsers) accounts.set(h, hubPassword);

  const outDir = resolve(values.out);
  const configDir = values['config-dir'] ?? outDir;
  mkdirSync(outDir, { recursive: true });
  if (tls) {
    mkdirSync(join(outDir, 'certs'), { recursive: true });
    copyFileSync(values.ca!, join(outDir, 'certs', 'ca.crt'));
    copyFileSync(values['tls-cert']!, join(outDir, 'certs', 'server.crt'));
    copyFileSync(values['tls-key']!, join(outDir, 'certs', 'server.key'));
  }
  const conf = mosquittoConf({
    configDir,
    tls: tls ? { port: tlsPort, ...(values.bind ? { bind: values.bind } : {}), caFile: `${configDir}/certs/ca.crt`, certFile: `${configDir}/certs/server.crt`, keyFile: `${configDir}/certs/server.key` } : null,
    localPort,
    persistenceDir: values.persistence === 'none' ? null : values.persistence,
    logDest: values['log-stdout'] ? 'stdout' : null,
    // --no-tls: the "TLS" port becomes a plain listener so gateways can still reach the broker in a lab.
    ...(tls ? {} : { plain: { port: tlsPort, ...(values.bind ? { bind: values.bind } : {}) } }),
    ...(values.dynsec ? { dynsec: { pluginPath: values['dynsec-plugin'] ?? DEFAULT_DYNSEC_PLUGIN, configFile: `${configDir}/dynamic-security.json` } } : {}),
  });
  writeFileSync(join(outDir, 'mosquitto.conf'), conf);
  const gateways = new Map([...accounts].filter(([user]) => !hubUsers.includes(user)));
  // The secrets file: passwd, or the plugin's JSON (which the broker also writes: group-writable).
  const secrets = values.dynsec ? join(outDir, 'dynamic-security.json') : join(outDir, 'passwd');
  if (values.dynsec) writeFileSync(secrets, await dynsecConfigFile(hubUsers.map((username) => ({ username, password: hubPassword })), gateways), { mode: 0o660 });
  else {
    writeFileSync(join(outDir, 'acl'), mosquittoAcl(hubUsers));
    writeFileSync(secrets, await mosquittoPasswordFile(accounts), { mode: 0o640 });
  }
  // Secrets: group-readable for the broker's group, never world-readable.
  const gid = mosquittoGid();
  for (const f of [secrets, ...(tls ? [join(outDir, 'certs', 'server.key')] : [])]) {
    chmodSync(f, f === secrets && values.dynsec ? 0o660 : 0o640);
    if (gid !== undefined) chownSync(f, 0, gid);
  }

  const secretsName = basename(secrets);
  io.out(`Mosquitto config written to ${outDir}: mosquitto.conf, ${values.dynsec ? 'dynamic-security.json' : 'acl, passwd'} (${gateways.size} gateway(s) + ${hubUsers.join(', ')})${tls ? ', certs/' : ''}.`);
  io.out(`Run: mosquitto -c ${configDir}/mosquitto.conf${gid === undefined ? `   (first let the broker's user read the secrets: chgrp mosquitto ${configDir}/${secretsName}${tls ? ` ${configDir}/certs/server.key` : ''})` : ''}`);
  if (values.dynsec) io.out('Set mqtt.dynamicSecurity: true in the hub config: credentials issued, rotated or revoked at the hub then apply at the broker at once.');
  if (shown.length > 0) io.out(`\nCredentials (shown only now; the broker keeps only PBKDF2 hashes, the hub only scrypt hashes):\n${shown.join('\n')}`);
  return 0;
}
