import mqtt, { type MqttClient } from 'mqtt';
import { type CommandResult, DriverBase } from '../contract.ts';
import { decodeSealPayload, sealIdOf } from './messages.ts';
import { SealMqttConfig } from './config.ts';
import { decideSeal, initialSealState, type SealMonitorEvent, type SealMonitorState } from './seal-monitor.ts';

// The schema lives apart (config.ts), so validating a gateway's config loads neither mqtt nor the seal monitor.
export { SealMqttConfig };

export type SealReading = (SealMonitorEvent & { atMs: number }) | { type: 'device.error'; reason: string; rawHex: string; atMs: number };

/**
 * Container e-seals and GPS smart locks report over MQTT (devices.md §7). This driver subscribes, parses each
 * report, and keeps every seal's state through the pure monitor (seal-monitor.ts), so an opening outside the zone
 * fence becomes `fence.breached` the moment it is reported. A report that does not parse is a `device.error` naming
 * the field; it never stops the others.
 */
export class SealMqttDriver extends DriverBase<SealReading, never> {
  private client: MqttClient | undefined;
  private readonly seals = new Map<string, SealMonitorState>();

  constructor(private readonly config: SealMqttConfig, private readonly now: () => number = Date.now) {
    super();
  }

  async start(signal: AbortSignal): Promise<void> {
    const client = await mqtt.connectAsync(this.config.brokerUrl, {
      ...(this.config.username ? { username: this.config.username } : {}),
      ...(this.config.password ? { password: this.config.password } : {}),
      reconnectPeriod: 0, // the supervisor reconnects
    });
    this.client = client;
    this.h.connected = true;
    client.on('close', () => (this.h.connected = false));
    client.on('message', (_topic, payload) => this.onPayload(payload));
    await client.subscribeAsync(this.config.topic, { qos: 1 });
    signal.addEventListener('abort', () => void client.endAsync(), { once: true });
  }

  private onPayload(payload: Buffer): void {
    const atMs = this.now();
    const parsed = decodeSealPayload(payload);
    if (!parsed.ok) {
      this.h.garbage += 1;
      this.emit({ type: 'device.error', reason: `seal report rejected: ${parsed.fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, rawHex: payload.subarray(0, 256).toString('hex'), atMs });
      return;
    }
    this.h.lastReadingMs = atMs;
    const id = sealIdOf(parsed.value.seal);
    const { state, events } = decideSeal(this.seals.get(id) ?? initialSealState(id), parsed.value, this.config.monitor);
    this.seals.set(id, state);
    for (const e of events) this.emit({ ...e, atMs });
  }


  async send(): Promise<CommandResult> {
    return { ok: false, code: 'UNSUPPORTED', message: 'seals are commanded through their platform, not this driver' };
  }



  /** The monitor's view of every seal heard from (for the station and the dashboard). */
  states(): SealMonitorState[] {
    return [...this.seals.values()];
  }
}
