import mqtt, { type MqttClient } from 'mqtt';
import type { LatLon } from './geofence.ts';
import type { SealEvent, SealIdentity, SealReportInput } from './messages.ts';

/**
 * A container e-seal on a transit trip, publishing its reports to MQTT the way GPS smart locks do (devices.md §7):
 * sealed at the origin, positions along a route, unsealed at the end — or, on demand, opened en route (outside the
 * zone fence), tampered, or sending a malformed report. Topic: `<prefix>/<serial>/report`.
 */
export interface SealSimOptions {
  brokerUrl: string;
  seal: SealIdentity;
  topicPrefix?: string;
  username?: string;
  password?: string;
  now?: () => number;
}

export class SealSimulator {
  private client: MqttClient | undefined;
  private sealed = false;
  private position: LatLon | undefined;
  private readonly now: () => number;

  constructor(private readonly o: SealSimOptions) {
    this.now = o.now ?? Date.now;
  }

  get topic(): string {
    return `${this.o.topicPrefix ?? 'seals'}/${this.o.seal.serial}/report`;
  }

  async start(): Promise<void> {
    this.client = await mqtt.connectAsync(this.o.brokerUrl, { ...(this.o.username ? { username: this.o.username, password: this.o.password } : {}), reconnectPeriod: 1000 });
  }

  private async report(events: SealEvent[], fix: 'gps' | 'lbs' = 'gps'): Promise<SealReportInput> {
    const ts = new Date(this.now()).toISOString();
    const r: SealReportInput = {
      seal: this.o.seal,
      status: this.sealed ? 'sealed' : 'unsealed',
      ts,
      events,
      batteryPct: 87,
      ...(this.position ? { position: { lat: this.position[0], lon: this.position[1], fix, ...(fix === 'lbs' ? { accuracyM: 800 } : {}), ts } } : {}),
    };
    await this.client!.publishAsync(this.topic, JSON.stringify(r), { qos: 1 });
    return r;
  }

  seal(at: LatLon): Promise<SealReportInput> {
    this.sealed = true;
    this.position = at;
    return this.report([{ type: 'locked', method: 'platform' }]);
  }

  moveTo(at: LatLon, fix: 'gps' | 'lbs' = 'gps'): Promise<SealReportInput> {
    this.position = at;
    return this.report([], fix);
  }

  unseal(at: LatLon, method: 'card' | 'ble' | 'platform' = 'card'): Promise<SealReportInput> {
    this.sealed = false;
    this.position = at;
    return this.report([{ type: 'unlocked', method }]);
  }

  tamper(kind: 'shackle_opened_while_sealed' | 'rope_cut' | 'shell_tamper' = 'rope_cut'): Promise<SealReportInput> {
    return this.report([{ type: kind }]);
  }

  /** Misbehaviour: a report a broken firmware might send (latitude out of range, no timestamp). */
  async malformed(): Promise<void> {
    await this.client!.publishAsync(this.topic, JSON.stringify({ seal: this.o.seal, status: 'sealed', position: { lat: 123.4, lon: 114, fix: 'gps' } }), { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
  }
}
