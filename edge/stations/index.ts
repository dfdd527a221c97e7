import type { Logger } from 'pino';
import { z } from 'zod';
import type { StationCommand } from '../../shared/stations/types.ts';
import type { EdgeDevices } from '../devices.ts';
import type { ImageStore } from '../images.ts';
import type { EdgeJournal } from '../journal.ts';
import type { StationCache } from '../station-cache.ts';
import { benchStation, BenchStationConfig, inspectionStation, InspectionStationConfig } from './inspection-station.ts';
import { StationRunner, type CommandPort, type StationDef } from './runtime.ts';
import { gateStation, GateStationConfig, overseasStation, OverseasStationConfig, warehouseStation, WarehouseStationConfig } from './zone-stations.ts';

/** Every station a gateway can run, as one config union (edge config `stations:`). */
export const StationConfig = z.discriminatedUnion('kind', [InspectionStationConfig, BenchStationConfig, GateStationConfig, WarehouseStationConfig, OverseasStationConfig]);
export type StationConfig = z.output<typeof StationConfig>;

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

export function startStations(configs: StationConfig[], o: { journal: EdgeJournal; cache: StationCache; devices: EdgeDevices | undefined; images?: ImageStore; log: Logger }): RunningStations {
  const runners = configs.map((c) => {
    const def: StationDef<unknown, unknown> = (c.kind === 'inspection' ? inspectionStation(c) : c.kind === 'bench' ? benchStation(c) : c.kind === 'gate' ? gateStation(c) : c.kind === 'warehouse' ? warehouseStation(c) : overseasStation(c)) as never;
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
