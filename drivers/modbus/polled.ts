import { DriverBase } from '../contract.ts';
import type { ModbusClient, ModbusClientFactory } from './client.ts';

/**
 * What every polled Modbus driver shares (a barrier controller, a PLC point map): connect, poll on an interval, one
 * poll at a time so a slow PLC never piles requests up, close on abort. Subclasses implement `pollOnce`.
 */
export abstract class PolledModbusDriver<R, C> extends DriverBase<R, C> {
  protected client: ModbusClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(protected readonly connect: ModbusClientFactory, private readonly pollMs: number, protected readonly now: () => number = Date.now) {
    super();
  }

  protected abstract pollOnce(client: ModbusClient): Promise<void>;

  async start(signal: AbortSignal): Promise<void> {
    this.client = await this.connect();
    this.h.connected = true;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(this.timer);
        void this.client?.close();
        this.h.connected = false;
      },
      { once: true },
    );
    await this.poll();
  }

  protected async poll(): Promise<void> {
    if (this.polling || !this.client) return;
    this.polling = true;
    try {
      await this.pollOnce(this.client);
    } finally {
      this.polling = false;
    }
  }
}
