import modbusSerial from 'modbus-serial';

const { ServerTCP, ServerSerial } = modbusSerial;

/**
 * A barrier controller on Modbus TCP: coil `openCoil` commands the barrier; after `travelMs` the `openedInput`
 * follows it. `forceOpen()` lifts the barrier without a command (someone forcing it), which sets `forcedInput`.
 * Addresses outside the map answer with exception 2 (illegal data address), as a real PLC does.
 */
export class LockSimulator {
  private coil = false;
  private opened = false;
  private forced = false;
  private server: InstanceType<typeof ServerTCP> | InstanceType<typeof ServerSerial> | undefined;

  constructor(private readonly map: { openCoil: number; openedInput: number; forcedInput: number }, private readonly travelMs = 30) {}

  /** Modbus TCP on 127.0.0.1:port, or Modbus RTU on a serial device path (one end of a pty pair in tests). */
  start(port: number | { serialPath: string; baudRate?: number }): Promise<void> {
    const illegal = () => Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 });
    const vector = {
      getCoil: (addr: number) => {
        if (addr !== this.map.openCoil) throw illegal();
        return this.coil;
      },
      setCoil: (addr: number, value: boolean) => {
        if (addr !== this.map.openCoil) throw illegal();
        this.coil = value;
        this.forced = false;
        setTimeout(() => (this.opened = this.coil), this.travelMs).unref();
      },
      getDiscreteInput: (addr: number) => {
        if (addr === this.map.openedInput) return this.opened;
        if (addr === this.map.forcedInput) return this.forced;
        throw illegal();
      },
      getInputRegister: () => {
        throw illegal();
      },
      getHoldingRegister: () => {
        throw illegal();
      },
      setRegister: () => {
        throw illegal();
      },
    };
    if (typeof port === 'object') {
      return new Promise((resolve, reject) => {
        this.server = new ServerSerial(vector, { path: port.serialPath, baudRate: port.baudRate ?? 9600, unitID: 1, openCallback: (err) => (err ? reject(err) : resolve()) });
        this.server.on('error', () => undefined);
      });
    }
    return new Promise((resolve) => {
      const server = new ServerTCP(vector, { host: '127.0.0.1', port, unitID: 1 });
      this.server = server;
      server.on('socketError', () => undefined);
      server.on('initialized', () => resolve());
    });
  }

  forceOpen(): void {
    this.opened = true;
    this.forced = true;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
