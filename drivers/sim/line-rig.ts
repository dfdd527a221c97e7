import { join } from 'node:path';
import { xrayLineDriverConfig } from '../opcua/driver.ts';
import { XrayLineSimulator } from '../opcua/line-simulator.ts';
import type { DeviceConfig } from '../registry.ts';
import { socatAvailable, startPtyPair } from '../transport/pty.ts';
import { SerialConfig, serialTransport } from '../transport/serial.ts';
import type { Link } from '../transport/transport.ts';
import { LockSimulator } from '../modbus/lock-simulator.ts';
import { ConveyorPlcSimulator, CONVEYOR_POINTS } from '../modbus/conveyor-simulator.ts';
import { runScenario, type Scenario, type ScenarioParcel } from './scenario.ts';

/**
 * A whole simulated inspection line on real transports: scanner and scale on pseudo-terminals (when socat is
 * there), the X-ray line on OPC UA, the conveyor PLC and the exit barrier on Modbus TCP. It returns the device
 * configs that point a gateway at it, so `bondgate sim line` and the demo wire drivers exactly as an installer would.
 */
export interface LineRigOptions {
  pkiDir: string;
  opcuaPort?: number;
  modbusPort?: number;
  lockPort?: number;
  /** Where notes for the person at the console go (socat missing, ports chosen). */
  note?: (line: string) => void;
}

export interface RunningLineRig {
  devices: DeviceConfig[];
  line: XrayLineSimulator;
  conveyor: ConveyorPlcSimulator;
  lock: LockSimulator;
  play(s: Scenario, signal: AbortSignal, onParcel?: (code: string, parcel: ScenarioParcel) => void): Promise<number>;
  stop(): Promise<void>;
}

export async function startLineRig(o: LineRigOptions): Promise<RunningLineRig> {
  const note = o.note ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  const devices: DeviceConfig[] = [];
  let scanner: Link | undefined;
  let scale: Link | undefined;
  try {
    if (socatAvailable()) {
      const [scanPty, scalePty] = await Promise.all([startPtyPair(), startPtyPair()]);
      stops.push(scanPty.close, scalePty.close);
      scanner = await serialTransport(SerialConfig.parse({ path: scanPty.device }))();
      scale = await serialTransport(SerialConfig.parse({ path: scalePty.device }))();
      stops.push(() => scanner!.close(), () => scale!.close());
      devices.push(
        { kind: 'serial-scanner', id: 'scanner-top', serial: SerialConfig.parse({ path: scanPty.host }), scanner: { terminator: 'CR', idleMs: 50, maxLength: 1024, openSilenceMs: 200 } },
        {
          kind: 'scale',
          id: 'scale-1',
          serial: SerialConfig.parse({ path: scalePty.host }),
          scale: { protocol: 'ad-ascii', toledoChecksum: true, reversedStream: { reversed: true, sign: 'minus' }, stability: { count: 5, toleranceKg: 0.002 } },
        },
      );
    } else {
      note('socat is not installed: the simulated scanner and scale (serial devices on pseudo-terminals) are left out (apt-get install socat)');
    }
    // A belt of realistic length: 600 ms from one station to the next, so the edge has time to decide and divert
    // (a real line gives the diverter a second or more after the X-ray).
    const line = new XrayLineSimulator({ pkiDir: join(o.pkiDir, 'line-server'), timing: { travelMs: 600 } });
    const endpoint = await line.start({ port: o.opcuaPort ?? 0 });
    stops.push(() => line.stop());
    // Verdicts must reach the station fast: a 50 ms publishing interval, not the 250 ms default for slow values.
    devices.push({ kind: 'opcua', id: 'xray-line', opcua: xrayLineDriverConfig(endpoint, join(o.pkiDir, 'edge-client'), { publishingIntervalMs: 50 }) });

    const conveyor = new ConveyorPlcSimulator();
    const modbusPort = o.modbusPort ?? (await freeTcpPort());
    await conveyor.start(modbusPort);
    stops.push(() => conveyor.stop());
    devices.push({ kind: 'modbus-plc', id: 'conveyor-plc', tcp: { host: '127.0.0.1', port: modbusPort, unitId: 1, timeoutMs: 1000 }, plc: { points: CONVEYOR_POINTS, pollMs: 200, maxGap: 8, maxRegisters: 100 } });

    const lock = new LockSimulator({ openCoil: 0, openedInput: 0, forcedInput: 1 });
    const lockPort = o.lockPort ?? (await freeTcpPort());
    await lock.start(lockPort);
    stops.push(() => lock.stop());
    devices.push({ kind: 'modbus-lock', id: 'exit-barrier', tcp: { host: '127.0.0.1', port: lockPort, unitId: 1, timeoutMs: 1000 }, lock: { map: { openCoil: 0, openedInput: 0, forcedInput: 1 }, pollMs: 200 } });

    return {
      devices,
      line,
      conveyor,
      lock,
      play: (s, signal, onParcel) => runScenario(s, { scanner, scale, line }, signal, { onParcel }),
      stop: async () => {
        for (const s of stops.reverse()) await s().catch(() => undefined);
      },
    };
  } catch (e) {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    throw e;
  }
}

async function freeTcpPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
