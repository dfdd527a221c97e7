import modbusSerial from 'modbus-serial';

const { ServerTCP } = modbusSerial;

/**
 * A barrier controller on Modbus TCP: coil `openCoil` commands the barrier; after `travelMs` the `openedInput`
 * follows it. `forceOpen()` lifts the barrier without a command (someone forcing it), which sets `forcedInput`.
 * Addresses outside the map answer with exception 2 (illegal data address), as a real PLC does.
 */
export class LockSimulator {
  private coil = false;
  private opened = false;
  private forced = false;
  private server: InstanceType<typeof ServerTCP> | undefined;

  constructor(private readonly map: { openCoil: number; openedInput: number; forcedInput: number }, private readonly travelMs = 30) {}

  start(port: number): Promise<void> {
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
    return new Promise((resolve) => {
      this.server = new ServerTCP(vector, { host: '127.0.0.1', port, unitID: 1 });
      this.server.on('socketError', () => undefined);
      this.server.on('initialized', () => resolve());
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
