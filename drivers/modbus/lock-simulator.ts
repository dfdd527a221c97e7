import { ModbusSimServer, RegisterBank } from './sim-server.ts';

/**
 * A barrier controller: coil `openCoil` commands the barrier; after `travelMs` the `openedInput` follows it.
 * `forceOpen()` lifts the barrier without a command (someone forcing it), which sets `forcedInput`.
 */
export class LockSimulator {
  readonly bank = new RegisterBank();
  /** Times the barrier went up on a command: a test can see an opening however briefly it lasted. */
  opens = 0;
  private server: ModbusSimServer | undefined;

  constructor(private readonly map: { openCoil: number; openedInput: number; forcedInput: number }, private readonly travelMs = 30) {
    this.bank.define('coil', map.openCoil).define('discrete', map.openedInput).define('discrete', map.forcedInput);
    this.bank.onWrite = (table, address, value) => {
      if (table !== 'coil' || address !== map.openCoil) return;
      this.bank.set('discrete', map.forcedInput, false);
      setTimeout(() => {
        if (value && this.bank.get('discrete', map.openedInput) === 0) this.opens += 1;
        this.bank.set('discrete', map.openedInput, value);
      }, this.travelMs).unref();
    };
  }

  /** Modbus TCP on 127.0.0.1:port, or Modbus RTU on a serial device path, as unit 1. */
  start(where: number | { serialPath: string; baudRate?: number }, unitId = 1): Promise<void> {
    this.server = new ModbusSimServer(new Map([[unitId, this.bank]]));
    return this.server.start(where);
  }

  forceOpen(): void {
    this.bank.set('discrete', this.map.openedInput, true);
    this.bank.set('discrete', this.map.forcedInput, true);
  }

  get isOpen(): boolean {
    return this.bank.get('discrete', this.map.openedInput) !== 0;
  }

  stop(): Promise<void> {
    return this.server?.stop() ?? Promise.resolve();
  }
}
