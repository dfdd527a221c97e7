import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { isBondgateError } from '../shared/errors.ts';
import { USAGE, VERSION } from './usage.mjs';

// Each command imports its own modules when chosen (dynamic import): `bondgate edge` never loads the hub, its
// HTTP stack or the drivers a gateway does not use, and no command pays for the others' start-up.

async function hubConfigFrom(file: string | undefined) {
  const [{ applyHubEnv, HubConfig }, { loadConfigFile, parseConfig }] = await Promise.all([import('../hub/config.ts'), import('../shared/config-file.ts')]);
  const raw = file ? (loadConfigFile(HubConfig, file) as unknown as Record<string, unknown>) : {};
  return parseConfig(HubConfig, applyHubEnv(raw), file ?? 'environment');
}

/** SIGTERM/SIGINT: graceful stop (drain, ack, close), then exit; a second signal exits at once. */
function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error(`${sig}: stopping…`);
    stop().then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

/**
 * The edge's old generation grows by EDGE_HEAP_GROWING_PERCENT over what the last full GC left alive (V8 otherwise
 * lets it grow up to 4× under a fast-allocating backlog): a gateway working through a 20,000-line serial backlog
 * peaked at 165–173 MiB resident with V8's own growth, 117–122 MiB with this, for more frequent (concurrent) full GCs
 * (bench/RESULTS.md, "Edge footprint under a backlog"). Set here, in the process that runs the edge, rather than in
 * NODE_OPTIONS (which does not take this V8 flag), so systemd, Docker and the bench all run the same heap policy.
 * V8 reads it at every GC, so setting it before the edge's modules load is enough.
 */
export const EDGE_HEAP_GROWING_PERCENT = 20;
function edgeHeapPolicy(): void {
  setFlagsFromString(`--heap-growing-percent=${EDGE_HEAP_GROWING_PERCENT}`);
}

/** Commands with options of their own (--out, --from, --hub, --tls-cert …, or stdin): argv → exit code. */
const OWN_OPTIONS: { when: (argv: string[]) => boolean; run: (argv: string[]) => Promise<number> }[] = [
  { when: (a) => a[0] === 'backup' || a[0] === 'restore', run: async (a) => (await import('./backup.ts')).runBackupCli(a) },
  { when: (a) => a[0] === 'documents' && a[1] === 'import', run: async (a) => (await import('./documents.ts')).runDocumentsImport(a.slice(2)) },
  { when: (a) => a[0] === 'console' && a[1] === 'pin-hash', run: async (a) => (await import('./console-pin.ts')).runPinHash(a.slice(2)) },
  { when: (a) => a[0] === 'broker' && a[1] === 'config', run: async (a) => (await import('./broker-config.ts')).runBrokerConfig(a.slice(2)) },
];

export async function main(argv: string[]): Promise<void> {
  // Simulators take their own options; route them before the strict parser below.
  if (argv[0] === 'sim') {
    try {
      const { runSim } = await import('./sim.ts');
      const sim = await runSim(argv.slice(1));
      onSignals(sim.stop);
    } catch (e) {
      console.error(`bondgate: ${(e as Error).message}`);
      process.exit(1);
    }
    return;
  }
  // Commands that take their own options, routed before the strict parser below; each loads only its own module.
  const own = OWN_OPTIONS.find((c) => c.when(argv));
  if (own) {
    try {
      process.exitCode = await own.run(argv);
    } catch (e) {
      console.error(`bondgate: ${(e as Error).message}`);
      process.exitCode = 1;
    }
    return;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
  });
  const [command, ...rest] = positionals;
  if (values.version) return void console.log(`bondgate ${VERSION}`);
  if (values.help || !command) return void console.log(USAGE);
  try {
    switch (command) {
      case 'hub': {
        const config = await hubConfigFrom(values.config);
        const [{ startHub }, { createLogger }] = await Promise.all([import('../hub/server.ts'), import('../shared/log.ts')]);
        const log = createLogger('hub');
        const hub = await startHub(config, log);
        log.info({ http: hub.httpUrl, mqtt: hub.mqttUrl, storage: hub.storage.kind }, 'hub ready');
        if (hub.generatedAdminPassword) console.log(`First start: created user "admin" with password ${hub.generatedAdminPassword} (shown once; set BONDGATE_ADMIN_PASSWORD to choose it).`);
        onSignals(hub.stop);
        return;
      }
      case 'edge': {
        if (!values.config) throw new Error('bondgate edge needs --config FILE (see README.md, "Edge configuration")');
        edgeHeapPolicy();
        const [{ EdgeConfig }, { loadConfigFile }, { startEdge }, { createLogger }] = await Promise.all([
          import('../edge/config.ts'),
          import('../shared/config-file.ts'),
          import('../edge/agent.ts'),
          import('../shared/log.ts'),
        ]);
        const config = loadConfigFile(EdgeConfig, values.config);
        const edge = await startEdge(config, createLogger('edge'));
        onSignals(edge.stop);
        return;
      }
      case 'demo': {
        const { runDemo } = await import('./demo.ts');
        const demo = await runDemo();
        onSignals(demo.stop);
        return;
      }
      case 'gateway': {
        const [sub, id] = rest;
        if (sub !== 'add' || !id) throw new Error('usage: bondgate gateway add ID [--config FILE]');
        const { GatewayId } = await import('../shared/schemas/events.ts');
        const gatewayId = GatewayId.safeParse(id);
        if (!gatewayId.success) throw new Error(`gateway id "${id}": ${gatewayId.error.issues[0]?.message}`);
        const config = await hubConfigFrom(values.config && existsSync(values.config) ? values.config : undefined);
        const [{ openStorage }, { hashPassword, randomSecret }] = await Promise.all([import('../hub/storage/open.ts'), import('../hub/auth/passwords.ts')]);
        const storage = await openStorage({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), sqliteFile: `${config.dataDir}/hub.sqlite` });
        const password = randomSecret();
        await storage.upsertGateway({ id, passwordHash: await hashPassword(password) });
        await storage.close();
        console.log(`Gateway ${id} provisioned. Put this in its edge config (the password is shown only now):\n\ngatewayId: ${id}\nhub:\n  mqttUrl: mqtt://HUB-HOST:1883\n  password: ${password}\n`);
        return;
      }
      case 'audit': {
        const [sub] = rest;
        if (sub !== 'verify') throw new Error('usage: bondgate audit verify [--config FILE]');
        const config = await hubConfigFrom(values.config && existsSync(values.config) ? values.config : undefined);
        const { openStorage } = await import('../hub/storage/open.ts');
        const storage = await openStorage({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), sqliteFile: `${config.dataDir}/hub.sqlite` });
        const { verifyAuditChain } = await import('../hub/services/audit.ts');
        const { readAuditHead } = await import('../hub/audit-anchor.ts');
        const { readSigningPublicKey } = await import('../hub/signing-key.ts');
        // The signed head checkpoint is the hub's (its data dir), kept apart from the database it anchors.
        const anchor = readAuditHead(config.dataDir, readSigningPublicKey(config.dataDir));
        const v = await verifyAuditChain(storage, 5000, (n) => process.stderr.write(`\rverified ${n} entries…`), anchor);
        await storage.close();
        process.stderr.write('\n');
        if (v.ok) {
          console.log(`audit chain intact: ${v.checked} entries, head ${v.headHash}`);
          console.log(v.checkpoint ? `the head reaches the hub's signed checkpoint (entry ${v.checkpoint.seq}, ${new Date(v.checkpoint.atMs).toISOString()})` : `no signed head checkpoint in ${config.dataDir}: deleting the newest entries could not be detected`);
          return;
        }
        console.log(`audit chain BROKEN at entry ${v.firstBad.seq}: ${v.firstBad.reason} (${v.checked} entries before it verified)`);
        return process.exit(3);
      }
      case 'devices': {
        const [sub] = rest;
        const { listDevices, probeDevice } = await import('./devices.ts');
        if (sub === 'list') return await listDevices();
        if (sub === 'probe' && values.config) {
          const probe = await probeDevice(values.config);
          onSignals(async () => probe.stop());
          return;
        }
        throw new Error('usage: bondgate devices list | bondgate devices probe --config FILE');
      }
      default:
        console.error(`unknown command "${command}"\n\n${USAGE}`);
        process.exit(2);
    }
  } catch (e) {
    if (isBondgateError(e)) console.error(`bondgate: ${e.message}`);
    else console.error(`bondgate: ${(e as Error).message}`);
    process.exit(1);
  }
}
