import type { CommandResult } from '../contract.ts';
import type { ModbusClient, ModbusClientFactory } from './client.ts';
import { LockConfig } from './config.ts';
import { PolledModbusDriver } from './polled.ts';

// The schema lives apart (config.ts), so validating a gateway's config loads no Modbus driver.
export { LockConfig };

export type LockReading =
  | { kind: 'lock.state'; open: boolean; atMs: number }
  | { kind: 'lock.forced_open'; atMs: number }
  | { kind: 'device.error'; reason: string; rawHex: string; atMs: number };

export type LockCommand = 'open' | 'close';

/**
 * A gate barrier or fence lock on a PLC or relay board over Modbus (devices.md §6): a coil to command it, discrete
 * inputs for its position and for a forced-open alarm. "40001"-style numbers in PLC manuals are 1-based: this map
 * takes 0-based protocol addresses.
 */
export class LockDriver extends PolledModbusDriver<LockReading, LockCommand> {
  private lastOpen: boolean | null = null;
  private lastForced = false;

  constructor(private readonly config: LockConfig, connect: ModbusClientFactory, now: () => number = Date.now) {
    super(connect, config.pollMs, now);
  }

  private fail(e: unknown): void {
    this.h.errors += 1;
    const err = e as { message?: string; modbusCode?: number };
    if (!this.client?.isOpen) this.h.connected = false;
    this.emit({ kind: 'device.error', reason: err.modbusCode !== undefined ? `Modbus exception ${err.modbusCode}: ${err.message ?? ''}` : (err.message ?? String(e)), rawHex: '', atMs: this.now() });
  }

  protected async pollOnce(client: ModbusClient): Promise<void> {
    try {
      const { openedInput, forcedInput } = this.config.map;
      const [open] = await client.readDiscreteInputs(openedInput, 1);
      const forced = forcedInput !== undefined ? ((await client.readDiscreteInputs(forcedInput, 1))[0] ?? false) : false;
      const atMs = this.now();
      this.h.lastReadingMs = atMs;
      this.h.connected = true;
      if (open !== undefined && open !== this.lastOpen) {
        this.lastOpen = open;
        this.emit({ kind: 'lock.state', open, atMs });
      }
      if (forced && !this.lastForced) this.emit({ kind: 'lock.forced_open', atMs });
      this.lastForced = forced;
    } catch (e) {
      this.fail(e);
    }
  }

  async send(cmd: LockCommand): Promise<CommandResult> {
    if (!this.client || !this.h.connected) return { ok: false, code: 'DEVICE_DISCONNECTED', message: 'lock controller not connected' };
    try {
      await this.client.writeCoil(this.config.map.openCoil, cmd === 'open');
      return { ok: true };
    } catch (e) {
      this.fail(e);
      return { ok: false, code: 'COMMAND_FAILED', message: (e as Error).message };
    }
  }


}
