import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { envOf, execForm, parseDockerfile, type Dockerfile } from './helpers/dockerfile.ts';
import { freePort } from './helpers/ports.ts';

/**
 * No Docker engine runs here and no registry serves base images, so `docker build` cannot run. This rehearses what
 * the images' /app will hold and how they start, from the Dockerfiles themselves: the build stage's COPY lines taken
 * from this tree and its npm RUN steps run (the UI build, the production prune; the installed node_modules stand in
 * for `npm ci`), then only what the runtime stage copies from the build stage, owned by root, started as an
 * unprivileged user with the image's ENV, ENTRYPOINT and CMD (without tini). The hub and a simulated edge run from
 * those trees, the edge's events reach the hub, each HEALTHCHECK command passes, and SIGTERM ends both with 0.
 * What stays unproven: the base image and its apt-get layers.
 */
const ROOT = resolve(import.meta.dirname, '..');
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

interface Image {
  df: Dockerfile;
  app: string;
  env: Record<string, string>;
  command: string[];
  healthcheck: string[];
}

/**
 * A command run without blocking this worker: the UI build and the production prune take minutes on a loaded machine,
 * and a worker blocked that long misses Vitest's 60 s RPC deadline ("Timeout calling onTaskUpdate", issue 13).
 */
const sh = promisify(execFile);

/**
 * `cp -a` of a file or a directory's contents to `target` (created, or merged into). Not fs.cp: its JavaScript walk
 * takes ~25 s for node_modules' 19,000 files where cp takes 4, and the rehearsal copies it four times.
 */
async function copy(src: string, target: string): Promise<void> {
  if (statSync(src).isDirectory()) {
    mkdirSync(target, { recursive: true });
    await sh('cp', ['-a', `${src}/.`, target]);
  } else {
    mkdirSync(dirname(target), { recursive: true });
    await sh('cp', ['-a', src, target]);
  }
}

/**
 * Build stages already rehearsed, by their steps less the base image's apt-get: the hub's and the edge's differ only
 * there, so both images' /app come from one rehearsed stage (its UI build and production prune take a minute each on
 * a loaded machine).
 */
const rehearsedStages = new Map<string, string>();

/** /app of the image's runtime stage, rehearsed under `dir`. */
async function rehearse(file: string, dir: string): Promise<Image> {
  const df = parseDockerfile(join(ROOT, 'docker', file));
  const [build, runtime] = [df.stages[0]!, df.stages.at(-1)!];
  const key = JSON.stringify(build.lines.filter((l) => !(/^RUN /.test(l) && /apt-get/.test(l))));
  let stage = rehearsedStages.get(key);
  if (!stage) {
    stage = join(dir, 'build');
    await buildStage(file, build.lines, stage);
    rehearsedStages.set(key, stage);
  }
  const app = join(dir, 'app');
  mkdirSync(app, { recursive: true });
  for (const line of runtime.lines.filter((l) => /^COPY --from=build /.test(l))) {
    const [src, dest] = line.split(/\s+/).slice(-2) as [string, string];
    const rel = src.replace(/^\/app\//, '');
    await copy(join(stage, rel), join(app, dest.endsWith('/') ? basename(rel) : dest));
  }
  const entry = runtime.lines.find((l) => /^ENTRYPOINT /.test(l))!;
  const cmd = runtime.lines.find((l) => /^CMD /.test(l))!;
  // tini is the base image's; node runs the same arguments.
  const command = [...execForm(entry, 'ENTRYPOINT'), ...execForm(cmd, 'CMD')].filter((a, i, all) => !(a === '/usr/bin/tini' || (a === '--' && all[i - 1] === '/usr/bin/tini'))).map((a) => a.replace(/^\/app\//, `${app}/`));
  const healthcheck = execForm(runtime.lines.find((l) => /^HEALTHCHECK /.test(l))!, 'CMD');
  return { df, app, env: envOf(runtime.lines), command, healthcheck };
}

/** The build stage's COPY and RUN steps, run in `stage` (the installed node_modules stand in for `npm ci`). */
async function buildStage(file: string, lines: readonly string[], stage: string): Promise<void> {
  mkdirSync(stage, { recursive: true });
  for (const line of lines) {
    if (/^COPY /.test(line)) {
      const parts = line.split(/\s+/).slice(1);
      const dest = parts.pop()!;
      for (const src of parts) await copy(join(ROOT, src), join(stage, dest.endsWith('/') ? src : dest));
    } else if (/^RUN /.test(line)) {
      const cmd = line.slice(4);
      if (/apt-get/.test(cmd)) continue; // the base image's packages: not rehearsable here
      if (/^npm ci\b/.test(cmd)) {
        // The real directory: in a git worktree `node_modules` is a symlink to a shared install, and copying the link
        // would let the production prune below act on that install.
        await copy(realpathSync(join(ROOT, 'node_modules')), join(stage, 'node_modules'));
        continue;
      }
      await sh('sh', ['-c', cmd], { cwd: stage, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true' }, maxBuffer: 64 << 20 }).catch((e: { stdout?: string; stderr?: string }) => {
        throw new Error(`${file}: RUN ${cmd} failed: ${e.stdout ?? ''}${e.stderr ?? ''}`);
      });
    }
  }
}

/** Readable by everyone, writable by nobody but root: what `--chown=root:root` and `USER node` give the process. */
async function lockDown(dir: string): Promise<void> {
  if (!asRoot) return;
  await sh('chown', ['-R', '0:0', dir]);
  await sh('chmod', ['-R', 'go-w,a+rX', dir]);
}

function start(img: Image, args: string[], env: Record<string, string>): ChildProcess & { output: () => string } {
  const [bin, ...rest] = img.command;
  const child = spawn(bin === 'node' ? process.execPath : bin!, [...rest.slice(0, 1), ...args], {
    cwd: img.app,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...img.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out.slice(-3000) });
}

const healthy = (img: Image, env: Record<string, string>) => {
  const [bin, ...args] = img.healthcheck;
  return spawnSync(bin === 'node' ? process.execPath : bin!, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 3000 }).status === 0;
};
const exitCode = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

describe('the images, rehearsed without Docker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-image-'));
  let hub: Image;
  let edge: Image;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    hub = await rehearse('Dockerfile.hub', join(dir, 'hub'));
    edge = await rehearse('Dockerfile.edge', join(dir, 'edge'));
    await lockDown(join(dir, 'hub'));
    await lockDown(join(dir, 'edge'));
  }, 240_000);

  afterAll(() => {
    for (const c of running) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the production dependencies and the built dashboard, and drops the dev tools', () => {
    for (const img of [hub, edge]) {
      for (const dep of ['tsx', 'better-sqlite3', 'express', 'mqtt', 'pg']) expect(existsSync(join(img.app, 'node_modules', dep)), dep).toBe(true);
      for (const dev of ['vitest', 'vite', 'typescript', 'eslint', 'playwright-core']) expect(existsSync(join(img.app, 'node_modules', dev)), dev).toBe(false);
      expect(existsSync(join(img.app, 'hub', 'ui', 'dist', 'index.html'))).toBe(true);
      expect(existsSync(join(img.app, 'test'))).toBe(false);
      expect(img.env.NODE_ENV).toBe('production');
    }
  });

  it('runs the hub and a simulated edge as an unprivileged user; the edge\'s events reach the hub; healthchecks pass; SIGTERM ends both with 0', async () => {
    const data = (name: string) => {
      const d = join(dir, 'data', name);
      mkdirSync(d, { recursive: true });
      if (asRoot) chownSync(d, NOBODY, NOBODY);
      return d;
    };
    const etc = join(dir, 'etc');
    mkdirSync(etc, { recursive: true });
    chmodSync(etc, 0o755);
    // The compose file's hub config and simulated edge, pointed at this machine's free ports.
    writeFileSync(join(etc, 'hub.yaml'), 'gateways:\n  - { id: GW-SIM-01, password: change-me-gw-sim-01 }\n');
    /**
     * Started on free ports; a port another test took between the pick and the bind ("already in use") means new
     * ports and another start, not a failed rehearsal.
     */
    const startUp = async (img: Image, args: string[], envFor: () => Promise<Record<string, string>>) => {
      for (let attempt = 1; ; attempt++) {
        const env = await envFor();
        const c = start(img, args, env);
        running.push(c);
        const up = await vi.waitFor(
          () => {
            if (/already in use/.test(c.output()) && attempt < 3) return false;
            expect(healthy(img, env), c.output()).toBe(true);
            return true;
          },
          { timeout: 60_000, interval: 500 },
        );
        if (up) return { c, env };
        c.kill('SIGKILL');
        await exitCode(c);
      }
    };
    let [httpPort, mqttPort] = [0, 0];
    const hubUp = await startUp(hub, ['hub', '--config', join(etc, 'hub.yaml')], async () => {
      [httpPort, mqttPort] = [await freePort(), await freePort()];
      return { BONDGATE_DATA_DIR: data('hub'), PORT: String(httpPort), HTTP_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), METRICS_TOKEN: 'rehearsal-metrics-token-01', BONDGATE_ADMIN_PASSWORD: 'rehearsal-admin-1' };
    });
    const h = hubUp.c;
    // The dashboard is served from the image's built UI.
    expect(await (await fetch(`http://127.0.0.1:${httpPort}/`)).text()).toMatch(/<script[^>]+src="[^"]*assets\//);

    const edgeHealthPort = await freePort();
    const edgeYaml = readFileSync(join(ROOT, 'docker', 'compose', 'edge-sim.yaml'), 'utf8')
      .replace(/mqttUrl: "[^"]+"/, `mqttUrl: "mqtt://127.0.0.1:${mqttPort}"`)
      .replace(/http: \{[^}]*\}/, `http: { host: 127.0.0.1, port: ${edgeHealthPort} }`)
      .replace(/dataDir: .*/, `dataDir: ${data('edge')}`);
    writeFileSync(join(etc, 'edge.yaml'), edgeYaml);
    const edgeEnv = { EDGE_HEALTH_PORT: String(edgeHealthPort) };
    const e = start(edge, ['edge', '--config', join(etc, 'edge.yaml')], edgeEnv);
    running.push(e);
    await vi.waitFor(() => expect(healthy(edge, edgeEnv), e.output()).toBe(true), { timeout: 60_000, interval: 500 });
    await vi.waitFor(
      async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: 'Bearer rehearsal-metrics-token-01' } })).text();
        expect(Number(/bondgate_hub_events_ingested_total\{gateway="GW-SIM-01"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 500 },
    );

    // Written only where the image lets it write: its data directory.
    if (asRoot) expect(spawnSync('find', [hub.app, edge.app, '-user', String(NOBODY)], { encoding: 'utf8' }).stdout.trim()).toBe('');
    e.kill('SIGTERM');
    expect(await exitCode(e)).toBe(0);
    h.kill('SIGTERM');
    expect(await exitCode(h)).toBe(0);
  }, 180_000);
});
