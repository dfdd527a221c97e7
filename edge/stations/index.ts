import type { Logger } from 'pino';
import type { StationCommand } from '../../shared/stations/types.ts';
import type { EdgeDevices } from '../devices.ts';
import type { ImageStore } from '../images.ts';
import type { EdgeJournal } from '../journal.ts';
import type { StationCache } from '../station-cache.ts';
import type { StationConfig } from './config.ts';
import { StationRunner, type CommandPort, type StationDef } from './runtime.ts';

type Kind = StationConfig['kind'];

/**
 * Each kind's station, imported only when a station of that kind is configured: its decision core is most of what a
 * station weighs (the gate lane's ~55 KB of source, the warehouses' ~75 KB), and a scanner-only gateway runs one kind.
 */
const STATIONS: { [K in Kind]: () => Promise<(c: Extract<StationConfig, { kind: K }>) => unknown> } = {
  inspection: async () => (await import('./inspection-station.ts')).inspectionStation,
  bench: async () => (await import('./inspection-station.ts')).benchStation,
  gate: async () => (await import('./zone-stations.ts')).gateStation,
  warehouse: async () => (await import('./zone-stations.ts')).warehouseStation,
  overseas: async () => (await import('./zone-stations.ts')).overseasStation,
};

/** The configured stations' definitions, in order, loading the modules of their kinds (and of no other kind). */
export async function stationDefs(configs: StationConfig[]): Promise<StationDef<unknown, unknown>[]> {
  const kinds = [...new Set(configs.map((c) => c.kind))];
  const makers = new Map(await Promise.all(kinds.map(async (k) => [k, (await STATIONS[k]()) as (c: StationConfig) => StationDef<unknown, unknown>] as const)));
  return configs.map((c) => makers.get(c.kind)!(c));
}

/** Roles each configured device plays at a station: readings are routed by them, commands go to them. */
function roles(c: StationConfig): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const add = (id: string | undefined, role: string) => id && m.set(id, [...(m.get(id) ?? []), role]);
  for (const s of c.devices.scanners) add(s, 'scanner');
  if (c.kind === 'inspection') {
    add(c.devices.scale, 'scale');
    add(c.devices.xray, 'xray');
    add(c.devices.diverter, 'diverter');
    add(c.devices.camera, 'camera');
  }
  if (c.kind === 'gate') {
    add(c.devices.weighbridge, 'weighbridge');
    add(c.devices.barrier, 'barrier');
    add(c.devices.portal, 'portal');
    add(c.devices.plateReader, 'plateReader');
    add(c.devices.seals, 'seals');
  }
  if (c.kind === 'warehouse' || c.kind === 'overseas') add(c.devices.scale, 'scale');
  return m;
}

function commandPort(c: StationConfig, devices: EdgeDevices | undefined, images: ImageStore | undefined): CommandPort {
  return {
    async run(cmd: StationCommand) {
      if (!devices) return 'no devices configured';
      if (c.kind === 'gate' && cmd.kind === 'barrier') {
        if (!c.devices.barrier) return 'no barrier configured';
        const r = await devices.send(c.devices.barrier, cmd.action === 'raise' ? 'open' : 'close');
        return r.ok ? null : `${r.code}: ${r.message}`;
      }
      if (c.kind !== 'inspection') return `command ${cmd.kind} not supported at a ${c.kind} station`;
      if (cmd.kind === 'divert') {
        if (!c.devices.diverter) return 'no diverter configured';
        const r = await devices.send(c.devices.diverter, { op: 'call', method: 'divert', args: [cmd.parcelKey, cmd.lane] });
        return r.ok ? null : `${r.code}: ${r.message}`;
      }
      if (cmd.kind === 'snapshot') {
        if (!c.devices.camera) return null;
        const r = await devices.send(c.devices.camera, 'capture');
        if (!r.ok) return `${r.code}: ${r.message}`;
        if (!images || !Buffer.isBuffer(r.data)) return null;
        return { photo: await images.put(r.data) };
      }
      return `command ${cmd.kind} not supported at a ${c.kind} station`;
    },
  };
}

export interface RunningStations {
  runners: StationRunner<unknown, unknown>[];
  /** Device ids per station, for the console's device pills. */
  deviceIds: Map<string, string[]>;
  stop(): void;
}

/**
 * Start the configured stations. Asynchronous only while their kinds load: every station is made and listening to the
 * devices' readings by the time it resolves, so a caller that starts the devices after it loses no reading.
 */
export async function startStations(configs: StationConfig[], o: { journal: EdgeJournal; cache: StationCache; devices: EdgeDevices | undefined; images?: ImageStore; log: Logger }): Promise<RunningStations> {
  const defs = await stationDefs(configs);
  const runners = configs.map((c, i) => {
    const def = defs[i]!;
    const r = new StationRunner(c.id, def as never, o.journal, o.cache, commandPort(c, o.devices, o.images), o.log.child({ station: c.id })) as unknown as StationRunner<unknown, unknown>;
    const byDevice = roles(c);
    o.devices?.onReading((deviceId, reading) => {
      for (const role of byDevice.get(deviceId) ?? []) r.reading(role, reading);
    });
    return r;
  });
  return {
    runners,
    deviceIds: new Map(configs.map((c) => [c.id, [...roles(c).keys()]])),
    stop: () => runners.forEach((r) => r.stop()),
  };
}
