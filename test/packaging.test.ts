import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EdgeConfig } from '../edge/config.ts';
import { startEdge, type RunningEdge } from '../edge/agent.ts';
import { mosquittoAcl, mosquittoConf } from '../hub/broker-config.ts';
import { HubConfig } from '../hub/config.ts';
import { createHubMetrics } from '../hub/metrics.ts';
import { parseConfig } from '../shared/config-file.ts';
import { envOf, parseDockerfile as parseDockerfileAt } from './helpers/dockerfile.ts';
import { freePort } from './helpers/ports.ts';

/**
 * No Docker engine runs here, so `docker compose config` cannot check docker/: this parses what it would and checks
 * what matters — every service healthy-checked, images non-root and multi-stage, every referenced file present,
 * the samples in step with the generators, and every metric the Grafana dashboard queries real.
 */
const ROOT = resolve(import.meta.dirname, '..');
const DOCKER = join(ROOT, 'docker');
const read = (p: string) => readFileSync(join(DOCKER, p), 'utf8');

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  healthcheck?: { test: string[] | string };
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  command?: string[];
}
const compose = parseYaml(read('compose.yaml'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const services = compose.services;

/** Files the operator creates with `bondgate broker config` before the first `up` (git-ignored secrets). */
const GENERATED = new Set(['mosquitto/certs/ca.crt']);

const parseDockerfile = (file: string) => parseDockerfileAt(join(DOCKER, file));

describe('Dockerfiles', () => {
  for (const file of ['Dockerfile.hub', 'Dockerfile.edge']) {
    describe(file, () => {
      const df = parseDockerfile(file);
      const runtime = df.stages.at(-1)!;

      it('builds in one stage (npm ci, the UI, then only production dependencies) and runs on node:20-bookworm-slim', () => {
        expect(df.stages.length).toBeGreaterThanOrEqual(2);
        const build = df.stages[0]!.lines.join('\n');
        expect(build).toMatch(/npm ci/);
        expect(build).toMatch(/npm run build:ui/);
        expect(build).toMatch(/npm prune --omit=dev/);
        expect(runtime.from).toBe('node:20-bookworm-slim');
        // No compilers in the runtime image.
        expect(runtime.lines.join('\n')).not.toMatch(/g\+\+|make |python3|npm ci|npm install/);
      });

      it('runs as a non-root user, healthchecks /healthz, and has an init as PID 1 that forwards SIGTERM', () => {
        const users = runtime.lines.filter((l) => /^USER /.test(l));
        expect(users.length).toBeGreaterThan(0);
        expect(users.at(-1)).not.toMatch(/^USER (root|0)(:|$)/);
        const hc = runtime.lines.find((l) => /^HEALTHCHECK /.test(l));
        expect(hc).toMatch(/\/healthz/);
        expect(hc).toMatch(/--interval=\d+s/);
        expect(runtime.lines.find((l) => /^ENTRYPOINT /.test(l))).toMatch(/"\/usr\/bin\/tini", "--", "node"/);
        expect(runtime.lines.join('\n')).toMatch(/apt-get install[^\n]*\btini\b/);
      });

      it('copies only paths that exist, and never tests, benches or local data', () => {
        for (const line of df.stages[0]!.lines.filter((l) => /^COPY /.test(l) && !/--from=/.test(l))) {
          const parts = line.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
          for (const src of parts.slice(0, -1)) expect(existsSync(join(ROOT, src)), `${file}: COPY ${src}`).toBe(true);
        }
        expect(df.text).not.toMatch(/COPY (\.\/)?(test|bench|data)\b/);
        // The runtime copies what the build stage made, including the built dashboard inside hub/.
        expect(runtime.lines.filter((l) => /^COPY --from=build/.test(l)).map((l) => l.split(/\s+/).at(-2))).toEqual(expect.arrayContaining(['/app/node_modules', '/app/hub', '/app/bin']));
      });
    });
  }

  it('.dockerignore keeps node_modules, local data and broker secrets out of the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'data', '.git', 'docker/mosquitto/passwd', 'docker/mosquitto/certs', 'hub/ui/dist']) expect(ignore).toContain(p);
  });
});

describe('compose.yaml', () => {
  it('has two hubs, PostgreSQL, Mosquitto, a proxy, a simulated edge, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['edge-sim', 'grafana', 'hub-1', 'hub-2', 'mosquitto', 'postgres', 'prometheus', 'proxy']);
    expect(services['hub-1']!.build?.dockerfile).toBe('docker/Dockerfile.hub');
    expect(services['hub-2']!.image).toBe(services['hub-1']!.image);
    expect(services['edge-sim']!.build?.dockerfile).toBe('docker/Dockerfile.edge');
  });

  it('healthchecks every service, in compose or in its Dockerfile', () => {
    for (const [name, s] of Object.entries(services)) {
      const fromDockerfile = s.build ? /^HEALTHCHECK /m.test(readFileSync(join(DOCKER, s.build.context, s.build.dockerfile), 'utf8')) : false;
      expect(!!s.healthcheck || fromDockerfile, `${name} has no healthcheck`).toBe(true);
    }
  });

  it('points both hubs at the one PostgreSQL and the TLS broker, each under its own hub id', () => {
    const ids = new Set<string>();
    for (const name of ['hub-1', 'hub-2']) {
      const env = services[name]!.environment!;
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(env.MQTT_URL).toBe('mqtts://mosquitto:8883');
      expect(env.NODE_EXTRA_CA_CERTS).toBeTruthy();
      ids.add(env.HUB_ID!);
      expect(services[name]!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, mosquitto: { condition: 'service_healthy' } });
    }
    expect([...ids].sort()).toEqual(['hub-1', 'hub-2']);
    // Mosquitto uses the user name as the client id: each hub process its own MQTT user, granted in the ACL.
    const mqttUsers = ['hub-1', 'hub-2'].map((name) => services[name]!.environment!.MQTT_USERNAME);
    expect(mqttUsers).toEqual(['hub-1', 'hub-2']);
    for (const u of mqttUsers) expect(read('mosquitto/acl')).toMatch(new RegExp(`^user ${u}$`, 'm'));
    const pg = services.postgres!.environment!;
    expect(services['hub-1']!.environment!.DATABASE_URL).toBe(`postgres://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`);
  });

  it('mounts only files that exist (or that `bondgate broker config` makes) and declares every named volume', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('./') || src.startsWith('../')) {
          const rel = join(src);
          expect(existsSync(join(DOCKER, rel)) || GENERATED.has(rel), `${name}: ${src}`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes), `${name}: volume ${src}`).toContain(src);
        }
      }
    }
    // The generated ones are git-ignored secrets and documented.
    expect(read('mosquitto/.gitignore')).toMatch(/^certs\/$/m);
    expect(read('mosquitto/README.md')).toMatch(/bondgate\.mjs broker config --out docker\/mosquitto /);
  });

  it('gives the hubs and the simulated edge configs that parse, with passwords that agree with each other', () => {
    const hub = parseConfig(HubConfig, parseYaml(read('compose/hub.yaml')), 'compose/hub.yaml');
    const edge = parseConfig(EdgeConfig, parseYaml(read('compose/edge-sim.yaml')), 'compose/edge-sim.yaml');
    expect(hub.gateways.find((g) => g.id === edge.gatewayId)?.password).toBe(edge.hub.password);
    expect(edge.hub.mqttUrl).toBe(services['hub-1']!.environment!.MQTT_URL);
    expect(edge.simulator).toBeDefined();
    // The broker's healthcheck logs in as the hub.
    expect(JSON.stringify(services.mosquitto!.healthcheck)).toContain(`-u ${hub.mqtt.username} -P ${hub.mqtt.password}`);
  });

  it('routes the proxy to exactly the hub services, and Prometheus to every hub and the edge with the metrics token', () => {
    const nginx = read('nginx/bondgate.conf');
    const upstreams = [...nginx.matchAll(/^\s*server ([\w-]+):8080/gm)].map((m) => m[1]);
    expect(new Set(upstreams)).toEqual(new Set(['hub-1', 'hub-2']));
    const prom = parseYaml(read('prometheus.yml')) as { scrape_configs: { job_name: string; authorization?: { credentials: string }; static_configs: { targets: string[] }[] }[] };
    const targets = (job: string) => prom.scrape_configs.find((j) => j.job_name === job)!.static_configs.flatMap((s) => s.targets);
    expect(targets('bondgate-hub').sort()).toEqual(['hub-1:8080', 'hub-2:8080']);
    expect(targets('bondgate-edge')).toEqual(['edge-sim:9464']);
    expect(prom.scrape_configs.find((j) => j.job_name === 'bondgate-hub')!.authorization!.credentials).toBe(services['hub-1']!.environment!.METRICS_TOKEN);
  });

  it('has the proxy pass the browser\'s host and port and the client address on every route, which the hubs trust from one hop', () => {
    const nginx = read('nginx/bondgate.conf');
    const locations = [...nginx.matchAll(/location [^{]+\{([^}]*)\}/g)].map((m) => m[1]!).filter((b) => b.includes('proxy_pass'));
    expect(locations.length).toBeGreaterThanOrEqual(3);
    for (const b of locations) {
      // Host with its port: the hub compares a change's Origin with it (CSRF) and answers only known names.
      expect(b).toMatch(/proxy_set_header Host \$http_host;/);
      // The client's address, overwriting what the client sent: the login backoff keys on it.
      expect(b).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
      expect(b).toMatch(/proxy_set_header X-Forwarded-Proto \$scheme;/);
    }
    const hub = parseConfig(HubConfig, parseYaml(read('compose/hub.yaml')), 'compose/hub.yaml');
    expect(hub.http.trustProxy).toBe(1);
    // Prometheus scrapes the hubs by their service names: the hubs answer to them.
    expect(hub.http.allowedHosts).toEqual(expect.arrayContaining(['hub-1', 'hub-2']));
  });
});

describe('docker/mosquitto sample', () => {
  it('is exactly what `bondgate broker config --config-dir /mosquitto/config --persistence /mosquitto/data/ --log-stdout` writes', () => {
    const dir = '/mosquitto/config';
    expect(read('mosquitto/mosquitto.conf')).toBe(
      mosquittoConf({ configDir: dir, tls: { port: 8883, caFile: `${dir}/certs/ca.crt`, certFile: `${dir}/certs/server.crt`, keyFile: `${dir}/certs/server.key` }, localPort: 1883, persistenceDir: '/mosquitto/data/', logDest: 'stdout' }),
    );
    // `--hub-user hub --hub-user hub-1 --hub-user hub-2`: the healthcheck's user and one per hub process.
    expect(read('mosquitto/acl')).toBe(mosquittoAcl(['hub', 'hub-1', 'hub-2']));
  });
});

describe('systemd units', () => {
  const unit = (f: string) => read(`systemd/${f}`);
  it('restarts the edge always, hardened, writing only its journal, with serial and HID devices allowed', () => {
    const u = unit('bondgate-edge.service');
    for (const line of ['Restart=always', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/bondgate', 'DevicePolicy=closed', 'DeviceAllow=char-ttyUSB rw', 'DeviceAllow=char-hidraw rw', 'KillSignal=SIGTERM', 'StartLimitIntervalSec=0']) {
      expect(u.split('\n'), line).toContain(line);
    }
    expect(u).toMatch(/^SupplementaryGroups=.*\bdialout\b/m);
    expect(u).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/bondgate\/bin\/bondgate\.mjs edge --config /m);
    expect(u).toMatch(/^User=bondgate$/m);
  });

  it('runs the edge with the same node options as its image and the scan-path bench (small young generation, one V8 helper thread)', () => {
    const edgeImage = envOf(parseDockerfileAt(join(DOCKER, 'Dockerfile.edge')).stages.at(-1)!.lines);
    expect(edgeImage.NODE_OPTIONS).toBe('--max-semi-space-size=1 --v8-pool-size=1');
    expect(unit('bondgate-edge.service').split('\n')).toContain(`Environment="NODE_OPTIONS=${edgeImage.NODE_OPTIONS}"`);
    expect(readFileSync(join(import.meta.dirname, '../bench/scan-path.bench.ts'), 'utf8')).toContain(`?? '${edgeImage.NODE_OPTIONS}'`);
  });

  it('runs the hub unprivileged with its secrets in an environment file', () => {
    const u = unit('bondgate-hub.service');
    for (const line of ['Restart=always', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'User=bondgate', 'EnvironmentFile=-/etc/bondgate/hub.env']) expect(u.split('\n')).toContain(line);
    expect(u).not.toMatch(/PASSWORD=|TOKEN=/);
  });

  const analyze = spawnSync('systemd-analyze', ['--version']);
  it.skipIf(analyze.status !== 0)('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(DOCKER, 'systemd/bondgate-edge.service'), join(DOCKER, 'systemd/bondgate-hub.service')], { encoding: 'utf8' });
    // It also complains about an ExecStart binary missing on this machine; only unit syntax is ours.
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/is not executable|No such file or directory|Command .* is not/.test(l));
    expect(problems).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(read('grafana/bondgate-dashboard.json')) as { uid: string; panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const queried = new Set(exprs.flatMap((e) => e.match(/\bbondgate_[a-z0-9_]+/g) ?? []));
  const dir = mkdtempSync(join(tmpdir(), 'bg-packaging-'));
  let edge: RunningEdge | undefined;
  const known = new Map<string, string>(); // metric name → type

  beforeAll(async () => {
    for (const m of await createHubMetrics().registry.getMetricsAsJSON()) known.set(m.name, String(m.type));
    // A real edge with one device (down: nothing listens), so the per-device metrics exist too.
    edge = await startEdge(
      parseConfig(EdgeConfig, {
        gatewayId: 'GW-PKG',
        dataDir: join(dir, 'edge'),
        hub: { mqttUrl: `mqtt://127.0.0.1:${await freePort()}`, password: 'password-of-pkg' },
        http: { host: '127.0.0.1', port: 0 },
        devices: [{ kind: 'modbus-plc', id: 'plc-1', tcp: { host: '127.0.0.1', port: await freePort() }, plc: { points: [{ name: 'run', table: 'coil', address: 0 }] } }],
      }, 'test'),
      pino({ level: 'silent' }),
    );
    const text = await (await fetch(`${edge.healthUrl}/metrics`)).text();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) known.set(m[1]!, m[2]!);
  }, 30_000);

  afterAll(async () => {
    await edge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queries only metric names the hub and edge registries really have', () => {
    expect(queried.size).toBeGreaterThan(20);
    const missing = [...queried].filter((name) => {
      if (known.has(name)) return false;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return !(base !== name && ['histogram', 'summary'].includes(known.get(base) ?? ''));
    });
    expect(missing).toEqual([]);
  });

  it('covers ingest rate, ack latency, backlog size and age, rejections by reason, HTTP, devices and disk', () => {
    for (const name of [
      'bondgate_hub_events_ingested_total',
      'bondgate_hub_ingest_commit_seconds_bucket',
      'bondgate_edge_last_ack_age_seconds',
      'bondgate_edge_backlog_events',
      'bondgate_edge_backlog_age_seconds',
      'bondgate_hub_messages_rejected_total',
      'bondgate_hub_http_requests_total',
      'bondgate_hub_http_request_duration_seconds_bucket',
      'bondgate_edge_device_up',
      'bondgate_edge_disk_level',
    ]) expect(queried, name).toContain(name);
    expect(exprs.some((e) => /sum by \(reason\)/.test(e))).toBe(true);
    expect(exprs.some((e) => /histogram_quantile\(0\.99, .*bondgate_hub_ingest_commit_seconds_bucket/.test(e))).toBe(true);
  });

  it('is well-formed: unique panel ids, every query panel has a target, provisioned from the path compose mounts', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels.filter((q) => q.type !== 'row')) expect(p.targets?.length, p.title).toBeGreaterThan(0);
    const provider = parseYaml(read('grafana/provisioning/dashboards/bondgate.yaml')) as { providers: { options: { path: string } }[] };
    expect(services.grafana!.volumes).toContain(`./grafana/bondgate-dashboard.json:${provider.providers[0]!.options.path}/bondgate-dashboard.json:ro`);
  });
});
