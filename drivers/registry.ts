import { z } from 'zod';
import { CameraScannerConfig } from './barcode/camera-config.ts';
import { EvdevScannerConfig, EvdevScannerDriver } from './barcode/hid/evdev-scanner.ts';
import { HidPosScannerConfig, HidPosScannerDriver } from './barcode/hid/hid-pos-scanner.ts';
import { SerialScannerConfig, SerialScannerDriver } from './barcode/serial-scanner.ts';
import { DriverBase, type CommandResult, type Driver } from './contract.ts';
import { LockConfig, LockDriver } from './modbus/lock.ts';
import { ModbusPlcDriver, PlcConfig } from './modbus/plc.ts';
import { OpcUaConfig } from './opcua/config.ts';
import { LlrpConfig, LlrpReaderDriver } from './rfid/llrp-driver.ts';
import { ScaleConfig, ScaleDriver } from './scale/driver.ts';
import { SealMqttConfig, SealMqttDriver } from './seal/mqtt-driver.ts';
import { evdevTransport } from './transport/evdev.ts';
import { hidTransport } from './transport/hid.ts';
import { tcpTransport } from './transport/tcp.ts';
import { SerialConfig, serialTransport } from './transport/serial.ts';

/**
 * Every device a gateway drives, as one validated config union, and one factory that builds its driver with the
 * right transport. The edge agent and the installer's `bondgate devices probe` both go through here.
 */
const TcpEndpoint = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });
const ModbusTcp = TcpEndpoint.extend({ port: z.number().int().min(1).max(65535).default(502), unitId: z.number().int().min(0).max(255).default(1), timeoutMs: z.number().int().min(50).default(1000) });
/** Several devices may name the same RS-485 line: they share one port and one request queue (modbus/client.ts). */
const ModbusRtuLine = z.object({ path: z.string().min(1), baudRate: z.number().int().positive().default(9600), unitId: z.number().int().min(0).max(247).default(1), timeoutMs: z.number().int().min(50).default(1000) });
const id = z.string().min(1);

export const DeviceConfig = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scale'), id, serial: SerialConfig, scale: ScaleConfig }),
  z.object({ kind: z.literal('serial-scanner'), id, serial: SerialConfig, scanner: SerialScannerConfig.prefault({}) }),
  z.object({ kind: z.literal('keyboard-scanner'), id, scanner: EvdevScannerConfig.extend({ path: z.string().min(1).describe('the /dev/input/by-id/…-event-kbd link') }) }),
  z.object({ kind: z.literal('hid-pos-scanner'), id, scanner: HidPosScannerConfig }),
  z.object({ kind: z.literal('camera-scanner'), id, camera: CameraScannerConfig }),
  z.object({ kind: z.literal('modbus-lock'), id, tcp: ModbusTcp, lock: LockConfig }),
  z.object({ kind: z.literal('modbus-rtu-lock'), id, serial: ModbusRtuLine, lock: LockConfig }),
  z.object({ kind: z.literal('modbus-plc'), id, tcp: ModbusTcp, plc: PlcConfig }),
  z.object({ kind: z.literal('modbus-rtu-plc'), id, serial: ModbusRtuLine, plc: PlcConfig }),
  z.object({ kind: z.literal('opcua'), id, opcua: OpcUaConfig }),
  z.object({ kind: z.literal('llrp-reader'), id, tcp: TcpEndpoint.extend({ port: z.number().int().min(1).max(65535).default(5084) }), llrp: LlrpConfig.default({ rospecId: 1, antennas: [], responseTimeoutMs: 5000 }) }),
  z.object({ kind: z.literal('eseal-mqtt'), id, seals: SealMqttConfig }),
]);
export type DeviceConfig = z.output<typeof DeviceConfig>;

/** Readings carry `atMs` and say what they are in `kind` (or `type`, for readings that are already domain events). */
export type AnyReading = { atMs: number } & Record<string, unknown>;

/**
 * A driver whose module (and library) loads when it first starts: node-opcua (~100 MiB, seconds), modbus-serial,
 * and the camera's decoder (sharp, zxing-wasm) load only in a gateway that has such a device. Readings, commands
 * and health pass through to the real driver.
 */
class LazyDriver extends DriverBase<AnyReading, unknown> {
  private inner: Driver<AnyReading, unknown> | undefined;
  constructor(private readonly load: () => Promise<Driver<AnyReading, unknown>>) {
    super();
  }
  async start(signal: AbortSignal): Promise<void> {
    if (!this.inner) {
      this.inner = await this.load();
      this.inner.onReading((r) => this.emit(r));
    }
    await this.inner.start(signal);
  }
  send(cmd: unknown): Promise<CommandResult> {
    if (!this.inner) return Promise.resolve({ ok: false, code: 'DEVICE_DISCONNECTED', message: 'the driver has not started yet' });
    return this.inner.send(cmd);
  }
  override health() {
    return this.inner ? this.inner.health() : super.health();
  }
}

/** Commands are each driver's own (a lock takes 'open', a PLC `{op:'write', …}`): the caller knows which it built. */
export function createDriver(config: DeviceConfig): Driver<AnyReading, unknown> {
  switch (config.kind) {
    case 'scale':
      return new ScaleDriver(config.scale, serialTransport(config.serial)) as never;
    case 'serial-scanner':
      return new SerialScannerDriver(config.scanner, serialTransport(config.serial)) as never;
    case 'keyboard-scanner':
      return new EvdevScannerDriver(config.scanner, evdevTransport(config.scanner.path, config.scanner.grab)) as never;
    case 'hid-pos-scanner':
      return new HidPosScannerDriver(config.scanner, hidTransport(config.scanner.usb)) as never;
    case 'camera-scanner':
      return new LazyDriver(async () => new (await import('./barcode/camera-scanner.ts')).CameraScannerDriver(config.camera) as never);
    case 'modbus-plc':
      return new LazyDriver(async () => new ModbusPlcDriver(config.plc, (await import('./modbus/client.ts')).modbusTcp(config.tcp)) as never);
    case 'modbus-rtu-plc':
      return new LazyDriver(async () => new ModbusPlcDriver(config.plc, (await import('./modbus/client.ts')).modbusRtu(config.serial)) as never);
    case 'opcua':
      return new LazyDriver(async () => new (await import('./opcua/driver.ts')).OpcUaDriver(config.opcua) as never);
    case 'modbus-lock':
      return new LazyDriver(async () => new LockDriver(config.lock, (await import('./modbus/client.ts')).modbusTcp(config.tcp)) as never);
    case 'modbus-rtu-lock':
      return new LazyDriver(async () => new LockDriver(config.lock, (await import('./modbus/client.ts')).modbusRtu(config.serial)) as never);
    case 'llrp-reader':
      return new LlrpReaderDriver(config.llrp, tcpTransport(config.tcp)) as never;
    case 'eseal-mqtt':
      return new SealMqttDriver(config.seals) as never;
  }
}
