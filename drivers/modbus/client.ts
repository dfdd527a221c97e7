import modbusSerial from 'modbus-serial';

// CommonJS with `module.exports.default = module.exports`: under NodeNext the default import is the module object.
const ModbusRTU = modbusSerial.default;

/**
 * The few Modbus calls our drivers make, behind an interface: drivers take a factory, so tests and the simulator
 * never depend on how the link is made (TCP here; RTU over serial uses the same calls).
 */
export interface ModbusClient {
  readCoils(address: number, count: number): Promise<boolean[]>;
  readDiscreteInputs(address: number, count: number): Promise<boolean[]>;
  readHoldingRegisters(address: number, count: number): Promise<number[]>;
  writeCoil(address: number, on: boolean): Promise<void>;
  writeRegister(address: number, value: number): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export type ModbusClientFactory = () => Promise<ModbusClient>;

export function modbusTcp(opts: { host: string; port: number; unitId: number; timeoutMs: number }): ModbusClientFactory {
  return async () => {
    const m = new ModbusRTU();
    await m.connectTCP(opts.host, { port: opts.port });
    return wrap(m, opts);
  };
}

/** Modbus RTU over a serial line (RS-485 adapters, relay boards): frames with CRC-16/MODBUS, one unit per request. */
export function modbusRtu(opts: { path: string; baudRate: number; unitId: number; timeoutMs: number }): ModbusClientFactory {
  return async () => {
    const m = new ModbusRTU();
    await m.connectRTUBuffered(opts.path, { baudRate: opts.baudRate });
    return wrap(m, opts);
  };
}

function wrap(m: InstanceType<typeof ModbusRTU>, opts: { unitId: number; timeoutMs: number }): ModbusClient {
  m.setID(opts.unitId);
  m.setTimeout(opts.timeoutMs);
  // One request on the line at a time: RTU is half-duplex, and a poll racing a command loses one of the replies.
  let queue: Promise<unknown> = Promise.resolve();
  const one = <T>(call: () => Promise<T>): Promise<T> => {
    const run = queue.then(call, call);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    readCoils: (a, n) => one(async () => (await m.readCoils(a, n)).data.slice(0, n)),
    readDiscreteInputs: (a, n) => one(async () => (await m.readDiscreteInputs(a, n)).data.slice(0, n)),
    readHoldingRegisters: (a, n) => one(async () => (await m.readHoldingRegisters(a, n)).data),
    writeCoil: (a, on) => one(async () => void (await m.writeCoil(a, on))),
    writeRegister: (a, v) => one(async () => void (await m.writeRegister(a, v))),
    close: () => new Promise<void>((resolve) => (m.isOpen ? m.close(() => resolve()) : resolve())),
    get isOpen() {
      return m.isOpen;
    },
  };
}
