import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { traceImports } from '../../test/helpers/trace-imports.ts';

/**
 * A gateway loads the decision cores of the station kinds it is configured with, and no other (issue 14: the gate,
 * bonded and overseas warehouse cores are ~0.5 MiB of heap and code a scanner-only gateway has no use for). Checked
 * in a fresh node process by what it resolved (test/helpers/trace-imports.mjs), not by memory or timing: this
 * process has long since loaded every station.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'bg-lazy-stations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const url = (rel: string) => pathToFileURL(resolve(ROOT, rel)).href;

/** Parse an edge config the way `bondgate edge` does, then start its stations on stand-ins for the journal and cache. */
const child = (stations: unknown[]) => `
const { EdgeConfig } = await import(${JSON.stringify(url('edge/config.ts'))});
const { startStations } = await import(${JSON.stringify(url('edge/stations/index.ts'))});
const config = EdgeConfig.parse({
  gatewayId: 'GW-LAZY',
  hub: { mqttUrl: 'mqtt://127.0.0.1:1', password: 'password-of-lazy' },
  devices: [{ kind: 'serial-scanner', id: 'scanner-1', serial: { path: '/dev/null' } }],
  stations: ${JSON.stringify(stations)},
});
const log = { child: () => log, info() {}, warn() {}, error() {}, debug() {} };
const stations = await startStations(config.stations, { journal: { getMeta: () => undefined }, cache: {}, devices: undefined, log });
console.log(JSON.stringify(stations.runners.map((r) => ({ id: r.id, kind: r.def.kind, display: r.display() }))));
stations.stop();
`;

/** The stations' runners (id, kind) and every module URL the process resolved. */
async function run(name: string, stations: unknown[]): Promise<{ runners: [string, string][]; loaded: string[] }> {
  const r = await traceImports(['--input-type=module', '-e', child(stations)], { file: join(dir, `${name}.txt`), cwd: ROOT, tsx: true });
  expect(r.code, r.stderr).toBe(0);
  const runners = JSON.parse(r.stdout) as { id: string; kind: string; display: unknown }[];
  for (const x of runners) expect(x.display).toBeTypeOf('object');
  return { runners: runners.map((x) => [x.id, x.kind]), loaded: r.lines };
}

const cores = (loaded: string[]) => loaded.filter((u) => /\/shared\/stations\/(inspection|bench|gate|warehouse|overseas)\.ts$|\/edge\/stations\/(inspection|zone)-stations?\.ts$/.test(u)).map((u) => u.slice(url('').length + 1));

describe('station kinds load on demand', () => {
  it('an inspection-only gateway loads the inspection core, not the gate, bonded warehouse or overseas cores', async () => {
    const { runners, loaded } = await run('inspection', [{ kind: 'inspection', id: 'LINE-1', line: { lineId: 'LINE-1' }, devices: { scanners: ['scanner-1'] } }]);
    expect(runners).toEqual([['LINE-1', 'inspection']]);
    expect(loaded).toContain(url('edge/config.ts'));
    // The bench shares the inspection station's module (and the console's scan reading) with the line.
    expect(new Set(cores(loaded))).toEqual(new Set(['edge/stations/inspection-station.ts', 'shared/stations/inspection.ts', 'shared/stations/bench.ts']));
  }, 150_000);

  it('a gate and a bonded warehouse desk load their cores, not the inspection line\'s', async () => {
    const { runners, loaded } = await run('zone', [
      { kind: 'gate', id: 'GATE-1', gate: { laneId: 'GATE-1', direction: 'in' }, devices: { scanners: ['scanner-1'] } },
      { kind: 'warehouse', id: 'DESK-1' },
    ]);
    expect(runners).toEqual([['GATE-1', 'gate'], ['DESK-1', 'warehouse']]);
    // overseas.ts shares zone-stations.ts with the bonded desk.
    expect(new Set(cores(loaded))).toEqual(new Set(['edge/stations/zone-stations.ts', 'shared/stations/gate.ts', 'shared/stations/warehouse.ts', 'shared/stations/overseas.ts']));
  }, 150_000);
});
