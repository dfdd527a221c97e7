import modbusSerial from 'modbus-serial';

// CommonJS with `module.exports.default = module.exports`: under NodeNext the default import is the module object.
const ModbusRTU = modbusSerial.default;
type Master = InstanceType<typeof ModbusRTU>;

/**
 * The few Modbus calls our drivers make, behind an interface: drivers take a factory, so tests and the simulator
 * never depend on how the link is made (TCP, or RTU over serial with the same calls).
 */
export interface ModbusClient {
  readCoils(address: number, count: number): Promise<boolean[]>;
  readDiscreteInputs(address: number, count: number): Promise<boolean[]>;
  readHoldingRegisters(address: number, count: number): Promise<number[]>;
  readInputRegisters(address: number, count: number): Promise<number[]>;
  writeCoil(address: number, on: boolean): Promise<void>;
  writeRegister(address: number, value: number): Promise<void>;
  writeRegisters(address: number, values: number[]): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export type ModbusClientFactory = () => Promise<ModbusClient>;

/** One request on a line at a time: RTU is half-duplex, and a poll racing a command loses one of the replies. */
function serialiser() {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(call: () => Promise<T>): Promise<T> => {
    const run = queue.then(call, call);
    queue = run.catch(() => undefined);
    return run;
  };
}

export function modbusTcp(opts: { host: string; port: number; unitId: number; timeoutMs: number }): ModbusClientFactory {
  return async () => {
    const m = new ModbusRTU();
    await m.connectTCP(opts.host, { port: opts.port });
    m.setTimeout(opts.timeoutMs);
    return wrap(m, serialiser(), opts, () => new Promise<void>((resolve) => (m.isOpen ? m.close(() => resolve()) : resolve())));
  };
}

/**
 * RS-485 buses carry several slaves on one port, and a port has one owner: every driver on the same path shares one
 * master and one request queue, each request addressed to its own unit. A dead unit costs its own timeout per
 * request; the queue moves on, so the other units on the bus keep being served.
 */
interface Bus {
  master: Promise<Master>;
  one: ReturnType<typeof serialiser>;
  users: number;
}
const buses = new Map<string, Bus>();

export function modbusRtu(opts: { path: string; baudRate: number; unitId: number; timeoutMs: number }): ModbusClientFactory {
  return async () => {
    let bus = buses.get(opts.path);
    if (!bus) {
      const m = new ModbusRTU();
      const master = m.connectRTUBuffered(opts.path, { baudRate: opts.baudRate }).then(() => m);
      bus = { master, one: serialiser(), users: 0 };
      buses.set(opts.path, bus);
      master.catch(() => buses.delete(opts.path));
    }
    const b = bus;
    const m = await b.master;
    b.users += 1;
    let released = false;
    return wrap(m, b.one, opts, async () => {
      if (released) return;
      released = true;
      b.users -= 1;
      if (b.users > 0) return;
      buses.delete(opts.path);
      await new Promise<void>((resolve) => (m.isOpen ? m.close(() => resolve()) : resolve()));
    });
  };
}

function wrap(m: Master, one: ReturnType<typeof serialiser>, opts: { unitId: number; timeoutMs: number }, close: () => Promise<void>): ModbusClient {
  // The unit id and timeout are set per request: on a shared bus the master is addressed to many units in turn.
  const to = <T>(call: () => Promise<T>) =>
    one(() => {
      m.setID(opts.unitId);
      m.setTimeout(opts.timeoutMs);
      return call();
    });
  return {
    readCoils: (a, n) => to(async () => (await m.readCoils(a, n)).data.slice(0, n)),
    readDiscreteInputs: (a, n) => to(async () => (await m.readDiscreteInputs(a, n)).data.slice(0, n)),
    readHoldingRegisters: (a, n) => to(async () => (await m.readHoldingRegisters(a, n)).data),
    readInputRegisters: (a, n) => to(async () => (await m.readInputRegisters(a, n)).data),
    writeCoil: (a, on) => to(async () => void (await m.writeCoil(a, on))),
    writeRegister: (a, v) => to(async () => void (await m.writeRegister(a, v))),
    writeRegisters: (a, v) => to(async () => void (await m.writeRegisters(a, v))),
    close,
    get isOpen() {
      return m.isOpen;
    },
  };
}
