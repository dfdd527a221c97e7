import { z } from 'zod';
import { BenchConfig, GateConfig, InspectionConfig, OverseasConfig, WarehouseConfig } from '../../shared/stations/config.ts';

/**
 * Each station kind's edge configuration: its decision core's settings and which configured devices play which part.
 * Schemas only (zod and shared/stations/config.ts): edge/config.ts parses a gateway's `stations:` with them, and only
 * the kinds configured then load their stations (index.ts), so a scanner-only gateway never compiles the gate lane's
 * or the warehouses' cores.
 */
const id = z.string().min(1).max(64);
const deviceId = z.string().min(1);

/** Which configured devices play which part on an inspection line. */
export const InspectionDevices = z.object({
  scanners: z.array(deviceId).default([]),
  scale: deviceId.optional(),
  /** The OPC UA line controller reporting X-ray verdicts and faults. */
  xray: deviceId.optional(),
  /** The device that takes `divert` (often the same line controller). */
  diverter: deviceId.optional(),
  camera: deviceId.optional(),
});

export const InspectionStationConfig = z.object({
  kind: z.literal('inspection'),
  id,
  line: InspectionConfig,
  devices: InspectionDevices.prefault({}),
});
export type InspectionStationConfig = z.output<typeof InspectionStationConfig>;

export const BenchStationConfig = z.object({
  kind: z.literal('bench'),
  id,
  bench: BenchConfig,
  devices: z.object({ scanners: z.array(deviceId).default([]) }).prefault({}),
});
export type BenchStationConfig = z.output<typeof BenchStationConfig>;

export const GateStationConfig = z.object({
  kind: z.literal('gate'),
  id,
  gate: GateConfig,
  devices: z
    .object({
      /** The operator's QR scanner for release slips. */
      scanners: z.array(deviceId).default([]),
      weighbridge: deviceId.optional(),
      barrier: deviceId.optional(),
      /** RFID portal reading the tagged goods on the vehicle. */
      portal: deviceId.optional(),
      /** Electronic plate reader. */
      plateReader: deviceId.optional(),
      /** The e-seal platform (seal alarms). */
      seals: deviceId.optional(),
    })
    .prefault({}),
});
export type GateStationConfig = z.output<typeof GateStationConfig>;

const deskDevices = z.object({ scanners: z.array(deviceId).default([]), scale: deviceId.optional() }).prefault({});

export const WarehouseStationConfig = z.object({ kind: z.literal('warehouse'), id, desk: WarehouseConfig.prefault({}), devices: deskDevices });
export const OverseasStationConfig = z.object({ kind: z.literal('overseas'), id, desk: OverseasConfig.prefault({}), devices: deskDevices });
export type WarehouseStationConfig = z.output<typeof WarehouseStationConfig>;
export type OverseasStationConfig = z.output<typeof OverseasStationConfig>;

/** Every station a gateway can run, as one config union (edge config `stations:`). */
export const StationConfig = z.discriminatedUnion('kind', [InspectionStationConfig, BenchStationConfig, GateStationConfig, WarehouseStationConfig, OverseasStationConfig]);
export type StationConfig = z.output<typeof StationConfig>;
