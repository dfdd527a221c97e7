import { z } from 'zod';
import { CameraScannerConfig } from './barcode/camera-config.ts';
import { EvdevScannerConfig, HidPosScannerConfig } from './barcode/hid/config.ts';
import { SerialScannerConfig } from './barcode/serial-scanner-config.ts';
import { DriverBase, type CommandResult, type Driver } from './contract.ts';
import { LockConfig, PlcConfig } from './modbus/config.ts';
import { OpcUaConfig } from './opcua/config.ts';
import { LlrpConfig } from './rfid/config.ts';
import { ScaleConfig } from './scale/config.ts';
import { SealMqttConfig } from './seal/config.ts';
import { SerialConfig } from './transport/config.ts';

/**
 * Every device a gateway drives, as one validated config union, and one factory that builds its driver with the
 * right transport. The edge agent and the installer's `bondgate devices probe` both go through here.
 *
 * The union is built from the kinds' config modules only (zod, no driver, codec, transport or device library): every
 * gateway validates its config against all kinds, and a scanner-only gateway must not load and compile the scale,
 * RFID, e-seal (mqtt), Modbus, OPC UA, HID and camera code it will never run. A kind's driver loads when a device
 * of that kind first starts (LazyDriver).
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
 * the camera's decoder (sharp, zxing-wasm), mqtt, node-hid, koffi and serialport — and every kind's driver, codecs
 * and transport — load only in a gateway that has such a device. Readings, commands and health pass through to the
 * real driver. Before start() nothing is loaded: commands are refused as by a disconnected device, and health is an
 * unstarted driver's. A command sent while the module loads waits for it and gets the driver's own answer (a
 * scanner's UNSUPPORTED), as it would have had the driver been there from the start.
 */
class LazyDriver extends DriverBase<AnyReading, unknown> {
  private inner: Driver<AnyReading, unknown> | undefined;
  private loading: Promise<Driver<AnyReading, unknown>> | undefined;
  constructor(private readonly load: () => Promise<Driver<AnyReading, unknown>>) {
    super();
  }
  private loaded(): Promise<Driver<AnyReading, unknown>> {
    this.loading ??= this.load().then(
      (d) => {
        this.inner = d;
        d.onReading((r) => this.emit(r));
        return d;
      },
      (e: unknown) => {
        this.loading = undefined; // a later start() tries again
        throw e;
      },
    );
    return this.loading;
  }
  async start(signal: AbortSignal): Promise<void> {
    const inner = await this.loaded();
    // Stopped while the module loaded: the driver would add its abort listener too late and never close its link.
    if (signal.aborted) return;
    await inner.start(signal);
  }
  async send(cmd: unknown): Promise<CommandResult> {
    const inner = this.inner ?? (this.loading ? await this.loading.catch(() => undefined) : undefined);
    if (!inner) return { ok: false, code: 'DEVICE_DISCONNECTED', message: 'the driver has not started yet' };
    return inner.send(cmd);
  }
  override health() {
    return this.inner ? this.inner.health() : super.health();
  }
}

/** Modules several kinds share, imported with the kind's driver when its first device starts (cached after that). */
const serialTransport = async () => (await import('./transport/serial.ts')).serialTransport;
const modbusClient = () => import('./modbus/client.ts');

/** Commands are each driver's own (a lock takes 'open', a PLC `{op:'write', …}`): the caller knows which it built. */
export function createDriver(config: DeviceConfig): Driver<AnyReading, unknown> {
  switch (config.kind) {
    case 'scale':
      return new LazyDriver(async () => {
        const [{ ScaleDriver }, transport] = await Promise.all([import('./scale/driver.ts'), serialTransport()]);
        return new ScaleDriver(config.scale, transport(config.serial)) as never;
      });
    case 'serial-scanner':
      return new LazyDriver(async () => {
        const [{ SerialScannerDriver }, transport] = await Promise.all([import('./barcode/serial-scanner.ts'), serialTransport()]);
        return new SerialScannerDriver(config.scanner, transport(config.serial)) as never;
      });
    case 'keyboard-scanner':
      return new LazyDriver(async () => {
        const [{ EvdevScannerDriver }, { evdevTransport }] = await Promise.all([import('./barcode/hid/evdev-scanner.ts'), import('./transport/evdev.ts')]);
        return new EvdevScannerDriver(config.scanner, evdevTransport(config.scanner.path, config.scanner.grab)) as never;
      });
    case 'hid-pos-scanner':
      return new LazyDriver(async () => {
        const [{ HidPosScannerDriver }, { hidTransport }] = await Promise.all([import('./barcode/hid/hid-pos-scanner.ts'), import('./transport/hid.ts')]);
        return new HidPosScannerDriver(config.scanner, hidTransport(config.scanner.usb)) as never;
      });
    case 'camera-scanner':
      return new LazyDriver(async () => new (await import('./barcode/camera-scanner.ts')).CameraScannerDriver(config.camera) as never);
    case 'modbus-plc':
      return new LazyDriver(async () => {
        const [{ ModbusPlcDriver }, { modbusTcp }] = await Promise.all([import('./modbus/plc.ts'), modbusClient()]);
        return new ModbusPlcDriver(config.plc, modbusTcp(config.tcp)) as never;
      });
    case 'modbus-rtu-plc':
      return new LazyDriver(async () => {
        const [{ ModbusPlcDriver }, { modbusRtu }] = await Promise.all([import('./modbus/plc.ts'), modbusClient()]);
        return new ModbusPlcDriver(config.plc, modbusRtu(config.serial)) as never;
      });
    case 'opcua':
      return new LazyDriver(async () => new (await import('./opcua/driver.ts')).OpcUaDriver(config.opcua) as never);
    case 'modbus-lock':
      return new LazyDriver(async () => {
        const [{ LockDriver }, { modbusTcp }] = await Promise.all([import('./modbus/lock.ts'), modbusClient()]);
        return new LockDriver(config.lock, modbusTcp(config.tcp)) as never;
      });
    case 'modbus-rtu-lock':
      return new LazyDriver(async () => {
        const [{ LockDriver }, { modbusRtu }] = await Promise.all([import('./modbus/lock.ts'), modbusClient()]);
        return new LockDriver(config.lock, modbusRtu(config.serial)) as never;
      });
    case 'llrp-reader':
      return new LazyDriver(async () => {
        const [{ LlrpReaderDriver }, { tcpTransport }] = await Promise.all([import('./rfid/llrp-driver.ts'), import('./transport/tcp.ts')]);
        return new LlrpReaderDriver(config.llrp, tcpTransport(config.tcp)) as never;
      });
    case 'eseal-mqtt':
      return new LazyDriver(async () => new (await import('./seal/mqtt-driver.ts')).SealMqttDriver(config.seals) as never);
  }
}
