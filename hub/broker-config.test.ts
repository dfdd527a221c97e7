import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, MAX_MQTT_PACKET_BYTES } from '../shared/sync-protocol.ts';
import { brokerUserIssue, mosquittoAcl, mosquittoConf, mosquittoPasswordFile, mosquittoPasswordHash, verifyMosquittoPassword } from './broker-config.ts';

/** Made by `mosquitto_passwd -c -b FILE alice secret123` (mosquitto 2.0.11). */
const REAL_MOSQUITTO_LINE = 'alice:$7$101$WbaEfavwwUVnBBpS$Out98pplasO272WDB2AZrLKtjWLXdJYbemn2SSYg+n1EWh7aUz+xWPIf6fwpfp0PUxXac3AFWYqqUfHOG63+AQ==';

describe('Mosquitto password hashes', () => {
  it('reproduces mosquitto_passwd byte for byte given its salt', async () => {
    const hash = REAL_MOSQUITTO_LINE.slice('alice:'.length);
    const salt = Buffer.from(hash.split('$')[3]!, 'base64');
    expect(await mosquittoPasswordHash('secret123', { salt })).toBe(hash);
    expect(await verifyMosquittoPassword('secret123', hash)).toBe(true);
    expect(await verifyMosquittoPassword('secret124', hash)).toBe(false);
  });

  it('makes a fresh 12-byte salt each time, in the $7$101$ format', async () => {
    const a = await mosquittoPasswordHash('same password');
    const b = await mosquittoPasswordHash('same password');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(await verifyMosquittoPassword('same password', b)).toBe(true);
  });

  it('refuses malformed or other-algorithm hashes rather than accept them', async () => {
    for (const bad of ['', 'plain', '$6$abc$def', '$7$101$$', 'scrypt$16384$8$1$c2FsdA==$a2V5']) expect(await verifyMosquittoPassword('x', bad)).toBe(false);
  });

  const bin = spawnSync('mosquitto_passwd', ['-h'], { encoding: 'utf8' });
  it.skipIf(bin.error !== undefined)('agrees with the installed mosquitto_passwd both ways', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-mpw-'));
    try {
      const file = join(dir, 'passwd');
      expect(spawnSync('mosquitto_passwd', ['-c', '-b', file, 'GW-X', 'pä55 wörd:with$igns']).status).toBe(0);
      const made = readFileSync(file, 'utf8').trim().split(':')[1]!;
      expect(await verifyMosquittoPassword('pä55 wörd:with$igns', made)).toBe(true);
      // Ours, re-made with the tool's salt, is the tool's line exactly.
      expect(await mosquittoPasswordHash('pä55 wörd:with$igns', { salt: Buffer.from(made.split('$')[3]!, 'base64') })).toBe(made);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('broker user names', () => {
  it.each([
    ['GW-ZONE1-LINE1', true],
    ['hub', true],
    ['gw_2', true],
    ['GW/1', false], // would widen %u in the ACL to another topic level
    ['GW+', false],
    ['GW#', false],
    ['a:b', false], // would break the password file's user:hash line
    ['', false],
    ['-GW', false],
    ['G'.repeat(65), false],
  ])('%s → valid %s', (name, ok) => {
    expect(brokerUserIssue(name) === undefined).toBe(ok);
  });

  it('will not write a password file with an unsafe user name', async () => {
    await expect(mosquittoPasswordFile(new Map([['GW-1', 'pw-one-1234'], ['GW/2', 'pw-two-1234']]))).rejects.toThrow(/GW\/2/);
  });

  it('writes one sorted user:hash line per account', async () => {
    const file = await mosquittoPasswordFile(new Map([['hub', 'hub-secret-1'], ['GW-B', 'b-secret-12'], ['GW-A', 'a-secret-12']]));
    const lines = file.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['GW-A', 'GW-B', 'hub']);
    expect(await verifyMosquittoPassword('b-secret-12', lines[1]!.split(':')[1]!)).toBe(true);
    expect(await verifyMosquittoPassword('a-secret-12', lines[1]!.split(':')[1]!)).toBe(false);
  });
});

describe('ACL', () => {
  it('binds gateways to their own topics by pattern and gives the hub user up (also shared) read and down write', () => {
    const rules = mosquittoAcl('hub-main')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(rules).toEqual([
      'pattern write bondgate/v1/gw/%u/up/#',
      'pattern read bondgate/v1/gw/%u/down/#',
      'user hub-main',
      'topic read bondgate/v1/gw/+/up/#',
      'topic read $share/hub/bondgate/v1/gw/+/up/#',
      'topic write bondgate/v1/gw/+/down/#',
    ]);
  });

  it('grants the hub rights to each hub user named (one per hub process), and refuses an unsafe one', () => {
    const acl = mosquittoAcl(['hub', 'hub-1', 'hub-2']);
    for (const u of ['hub', 'hub-1', 'hub-2']) {
      const at = acl.split('\n').indexOf(`user ${u}`);
      expect(at).toBeGreaterThan(0);
      expect(acl.split('\n').slice(at + 1, at + 4)).toEqual(['topic read bondgate/v1/gw/+/up/#', 'topic read $share/hub/bondgate/v1/gw/+/up/#', 'topic write bondgate/v1/gw/+/down/#']);
    }
    expect(() => mosquittoAcl(['hub', 'hub/#'])).toThrow(/not a valid broker user name/);
    expect(() => mosquittoAcl([])).toThrow(/at least one hub user/);
  });

  it('grants no readwrite and no bare wildcard anywhere', () => {
    const acl = mosquittoAcl('hub');
    expect(acl).not.toMatch(/readwrite/);
    expect(acl).not.toMatch(/^topic (read|write) #$/m);
  });
});

describe('mosquitto.conf', () => {
  const tls = { port: 8883, certFile: '/c/certs/server.crt', keyFile: '/c/certs/server.key', caFile: '/c/certs/ca.crt' };

  it('authenticates everyone, and the TLS settings follow the TLS listener (Mosquitto binds them to the listener above)', () => {
    const conf = mosquittoConf({ configDir: '/c/', tls, localPort: 1883, persistenceDir: '/data', logDest: 'stdout' });
    const lines = conf.split('\n');
    expect(lines).toContain('allow_anonymous false');
    expect(lines).toContain('password_file /c/passwd');
    expect(lines).toContain('acl_file /c/acl');
    expect(lines).toContain('persistence_location /data/');
    expect(lines).toContain('log_dest stdout');
    const tlsAt = lines.indexOf('listener 8883');
    const localAt = lines.indexOf('listener 1883 127.0.0.1');
    expect(tlsAt).toBeGreaterThan(lines.indexOf('acl_file /c/acl'));
    for (const k of ['cafile /c/certs/ca.crt', 'certfile /c/certs/server.crt', 'keyfile /c/certs/server.key']) {
      const at = lines.indexOf(k);
      expect(at).toBeGreaterThan(tlsAt);
      expect(at).toBeLessThan(localAt);
    }
    expect(conf).not.toMatch(/allow_anonymous true/);
  });

  it('binds client ids to user names on every listener (password file), and caps packets at the largest message plus its topic', () => {
    const conf = mosquittoConf({ configDir: '/c', tls, localPort: 1883, persistenceDir: null, logDest: null, plain: { port: 1884 } });
    const blocks = conf.split(/^listener /m).slice(1);
    expect(blocks).toHaveLength(3);
    for (const b of blocks) expect(b).toMatch(/^use_username_as_clientid true$/m);
    expect(conf).toMatch(new RegExp(`^max_packet_size ${MAX_MQTT_PACKET_BYTES}$`, 'm'));
    expect(MAX_MQTT_PACKET_BYTES).toBe(MAX_MESSAGE_BYTES + 65_536);
  });

  it('with the dynamic security plugin, leaves client ids to the plugin (gateways bound one by one, hub connections shared)', () => {
    const conf = mosquittoConf({ configDir: '/c', tls, localPort: 1883, persistenceDir: null, logDest: null, dynsec: { pluginPath: '/p.so', configFile: '/c/dynamic-security.json' } });
    expect(conf).not.toMatch(/use_username_as_clientid/);
    expect(conf).toMatch(new RegExp(`^max_packet_size ${MAX_MQTT_PACKET_BYTES}$`, 'm'));
  });

  it('leaves out what is switched off', () => {
    const conf = mosquittoConf({ configDir: '/c', tls: { ...tls, bind: '10.0.0.5' }, localPort: null, persistenceDir: null, logDest: null });
    expect(conf).toMatch(/^listener 8883 10\.0\.0\.5$/m);
    expect(conf).toMatch(/^persistence false$/m);
    expect(conf).not.toMatch(/127\.0\.0\.1|log_dest|persistence_location/);
    expect(conf.match(/^listener /gm)).toHaveLength(1);
  });
});
