import modbusSerial from 'modbus-serial';

const { ServerTCP, ServerSerial } = modbusSerial;

/**
 * A Modbus device simulator: one server (TCP, or RTU on a serial line) hosting one or more units, each a bank of
 * coils, discrete inputs, holding and input registers. Addresses a unit has not defined answer exception 2 (illegal
 * data address), as a real PLC does; a unit marked `dead` never answers, as a powered-off slave on a shared RS-485
 * bus does — the master must time out on it and carry on with the others.
 */
export type Table = 'coil' | 'discrete' | 'holding' | 'input';

export class RegisterBank {
  private readonly tables: Record<Table, Map<number, number>> = { coil: new Map(), discrete: new Map(), holding: new Map(), input: new Map() };
  /** Called after the master writes a coil or holding register: the unit's logic reacts here. */
  onWrite: (table: 'coil' | 'holding', address: number, value: number) => void = () => undefined;
  /** Called after the master read a point (a simulator can hold a pulse until the master has seen it). */
  onRead: (table: Table, address: number, value: number) => void = () => undefined;
  dead = false;

  define(table: Table, address: number, value: number | boolean = 0): this {
    this.tables[table].set(address, Number(value));
    return this;
  }

  get(table: Table, address: number): number {
    const v = this.tables[table].get(address);
    if (v === undefined) throw Object.assign(new Error(`illegal data address ${table} ${address}`), { modbusErrorCode: 2 });
    return v;
  }

  set(table: Table, address: number, value: number | boolean): void {
    this.get(table, address); // must exist
    this.tables[table].set(address, Number(value));
  }
}

const never = new Promise<never>(() => undefined);

export class ModbusSimServer {
  private server: InstanceType<typeof ServerTCP> | InstanceType<typeof ServerSerial> | undefined;

  constructor(readonly units: Map<number, RegisterBank>) {}

  private unit(id: number): RegisterBank | undefined {
    const u = this.units.get(id);
    return u && !u.dead ? u : undefined;
  }

  /** Modbus TCP on 127.0.0.1:port, or Modbus RTU on a serial device path (one end of a pty pair in tests). */
  start(where: number | { serialPath: string; baudRate?: number }): Promise<void> {
    // Every accessor may return a promise: a unit that is absent or dead returns one that never settles (no reply).
    const read = (table: Table) => (addr: number, unitId: number) => {
      const u = this.unit(unitId);
      if (!u) return never;
      const v = u.get(table, addr);
      u.onRead(table, addr, v);
      return table === 'coil' || table === 'discrete' ? v !== 0 : v;
    };
    const vector = {
      getCoil: read('coil'),
      getDiscreteInput: read('discrete'),
      getHoldingRegister: read('holding'),
      getInputRegister: read('input'),
      setCoil: (addr: number, value: boolean, unitId: number) => {
        const u = this.unit(unitId);
        if (!u) return never;
        u.set('coil', addr, value);
        u.onWrite('coil', addr, Number(value));
        return undefined;
      },
      setRegister: (addr: number, value: number, unitId: number) => {
        const u = this.unit(unitId);
        if (!u) return never;
        u.set('holding', addr, value);
        u.onWrite('holding', addr, value);
        return undefined;
      },
    };
    if (typeof where === 'object') {
      return new Promise((resolve, reject) => {
        // unitID 255: answer every unit id and let the vector route by it (one bus, several slaves).
        this.server = new ServerSerial(vector as never, { path: where.serialPath, baudRate: where.baudRate ?? 9600, unitID: 255, openCallback: (err) => (err ? reject(err) : resolve()) });
        this.server.on('error', () => undefined);
      });
    }
    return new Promise((resolve) => {
      const server = new ServerTCP(vector as never, { host: '127.0.0.1', port: where, unitID: 255 });
      this.server = server;
      server.on('socketError', () => undefined);
      server.on('initialized', () => resolve());
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
