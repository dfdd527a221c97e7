import { z } from 'zod';
import { SerialScannerConfig, SerialScannerDriver } from './barcode/serial-scanner.ts';
import type { Driver } from './contract.ts';
import { modbusRtu, modbusTcp } from './modbus/client.ts';
import { LockConfig, LockDriver } from './modbus/lock.ts';
import { LlrpConfig, LlrpReaderDriver } from './rfid/llrp-driver.ts';
import { ScaleConfig, ScaleDriver } from './scale/driver.ts';
import { SealMqttConfig, SealMqttDriver } from './seal/mqtt-driver.ts';
import { tcpTransport } from './transport/tcp.ts';
import { SerialConfig, serialTransport } from './transport/serial.ts';

/**
 * Every device a gateway drives, as one validated config union, and one factory that builds its driver with the
 * right transport. The edge agent and the installer's `bondgate devices probe` both go through here.
 */
const TcpEndpoint = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });

export const DeviceConfig = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scale'), id: z.string().min(1), serial: SerialConfig, scale: ScaleConfig }),
  z.object({ kind: z.literal('serial-scanner'), id: z.string().min(1), serial: SerialConfig, scanner: SerialScannerConfig.default({ terminator: 'CR', idleMs: 50, maxLength: 1024 }) }),
  z.object({
    kind: z.literal('modbus-lock'),
    id: z.string().min(1),
    tcp: TcpEndpoint.extend({ port: z.number().int().min(1).max(65535).default(502), unitId: z.number().int().min(0).max(255).default(1), timeoutMs: z.number().int().min(50).default(1000) }),
    lock: LockConfig,
  }),
  z.object({
    kind: z.literal('modbus-rtu-lock'),
    id: z.string().min(1),
    serial: z.object({ path: z.string().min(1), baudRate: z.number().int().positive().default(9600), unitId: z.number().int().min(0).max(247).default(1), timeoutMs: z.number().int().min(50).default(1000) }),
    lock: LockConfig,
  }),
  z.object({ kind: z.literal('llrp-reader'), id: z.string().min(1), tcp: TcpEndpoint.extend({ port: z.number().int().min(1).max(65535).default(5084) }), llrp: LlrpConfig.default({ rospecId: 1, antennas: [], responseTimeoutMs: 5000 }) }),
  z.object({ kind: z.literal('eseal-mqtt'), id: z.string().min(1), seals: SealMqttConfig }),
]);
export type DeviceConfig = z.output<typeof DeviceConfig>;

/** Readings carry `atMs` and say what they are in `kind` (or `type`, for readings that are already domain events). */
export type AnyReading = { atMs: number } & Record<string, unknown>;

export function createDriver(config: DeviceConfig): Driver<AnyReading, string> {
  switch (config.kind) {
    case 'scale':
      return new ScaleDriver(config.scale, serialTransport(config.serial)) as never;
    case 'serial-scanner':
      return new SerialScannerDriver(config.scanner, serialTransport(config.serial)) as never;
    case 'modbus-lock':
      return new LockDriver(config.lock, modbusTcp(config.tcp)) as never;
    case 'modbus-rtu-lock':
      return new LockDriver(config.lock, modbusRtu(config.serial)) as never;
    case 'llrp-reader':
      return new LlrpReaderDriver(config.llrp, tcpTransport(config.tcp)) as never;
    case 'eseal-mqtt':
      return new SealMqttDriver(config.seals) as never;
  }
}
