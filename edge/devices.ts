import type { Logger } from 'pino';
import type { CommandResult, Driver } from '../drivers/contract.ts';
import { createDriver, type AnyReading, type DeviceConfig } from '../drivers/registry.ts';
import { type DeviceState, Supervisor, type SupervisionPolicy, type SupervisorClock } from '../drivers/supervisor.ts';
import { isBondgateError } from '../shared/errors.ts';
import { EVENT_TYPES, MAX_READ_TEXT, type NewEvent } from '../shared/schemas/events.ts';
import type { EdgeJournal } from './journal.ts';

/**
 * The gateway's devices, under the one supervisor: every configured device is started, watched and restarted with
 * backoff; its health changes and its errors are journalled (telemetry), and readings that are already domain events
 * (an e-seal opened outside the fence) are journalled as they are. Every scanner read, accepted or rejected, is
 * journalled as a `scan.read` (customs class) before any station sees it, so no later step can lose it. Everything —
 * scans, weights, PLC values — is then handed to the stations through `onReading`.
 */

/** Pure: a scanner's reading (ScanReading of drivers/barcode) as the `scan.read` event that keeps it; undefined for other readings. */
export function scanReadEvent(stationId: string, deviceId: string, r: AnyReading): NewEvent | undefined {
  if (r.kind !== 'scan' && r.kind !== 'scan.rejected') return undefined;
  const raw = typeof r.raw === 'string' ? r.raw : String(r.raw ?? '');
  const text = raw.length > MAX_READ_TEXT ? raw.slice(0, MAX_READ_TEXT) : raw;
  const head = { text, ...(text.length < raw.length ? { truncated: true as const } : {}), length: raw.length };
  if (r.kind === 'scan.rejected') {
    return { type: 'scan.read', stationId, deviceId, payload: { ...head, accepted: false, reason: String(r.reason ?? 'rejected').slice(0, 500) || 'rejected' } };
  }
  const read = (r.read ?? {}) as { kind?: unknown; value?: unknown; symbology?: unknown };
  // The code a station keys the parcel by: the classified value, or the whole read (a GS1 element string).
  const value = typeof read.value === 'string' ? read.value : raw;
  const code = value.length > 0 && value.length <= 512 ? value : undefined;
  const short = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : undefined);
  const kind = short(read.kind);
  const symbology = short(read.symbology);
  return { type: 'scan.read', stationId, deviceId, payload: { ...head, accepted: true, ...(code ? { code } : {}), ...(kind ? { kind } : {}), ...(symbology ? { symbology } : {}) } };
}

/** How long each kind may be quiet before it is stale, and whether that means restart (polled) or not (event-only). */
export function policyFor(kind: DeviceConfig['kind']): SupervisionPolicy {
  const base = { backoffMinMs: 1000, backoffMaxMs: 60_000 };
  switch (kind) {
    case 'serial-scanner':
    case 'keyboard-scanner':
    case 'hid-pos-scanner':
      // A scanner speaks only when someone scans: silence is normal, only a dead link is not.
      return { ...base, staleAfterMs: 24 * 3600_000, restartWhenStale: false };
    case 'scale':
      return { ...base, staleAfterMs: 60_000, restartWhenStale: false };
    case 'eseal-mqtt':
      return { ...base, staleAfterMs: 3600_000, restartWhenStale: false };
    case 'camera-scanner':
      return { ...base, staleAfterMs: 30_000, restartWhenStale: true };
    case 'opcua':
    case 'llrp-reader':
      // Both have protocol keepalives that count as readings: quiet past them means the link is dead.
      return { ...base, staleAfterMs: 30_000, restartWhenStale: true };
    case 'modbus-lock':
    case 'modbus-rtu-lock':
    case 'modbus-plc':
    case 'modbus-rtu-plc':
      return { ...base, staleAfterMs: 10_000, restartWhenStale: true };
  }
}

const HEALTH: Record<DeviceState, 'up' | 'down' | 'degraded' | null> = { up: 'up', stale: 'degraded', down: 'down', starting: null };

/**
 * Pure: a device's errors, at most `perMinute` journalled per minute; the rest counted and summarised when the next
 * minute opens. A scale spewing garbage must not fill the journal.
 */
export class ErrorBudget {
  private windowStart = 0;
  private used = 0;
  private suppressed = 0;
  constructor(private readonly perMinute = 10) {}

  admit(nowMs: number): { journal: boolean; suppressedBefore: number } {
    let suppressedBefore = 0;
    if (nowMs - this.windowStart >= 60_000) {
      suppressedBefore = this.suppressed;
      this.windowStart = nowMs;
      this.used = 0;
      this.suppressed = 0;
    }
    if (this.used < this.perMinute) {
      this.used += 1;
      return { journal: true, suppressedBefore };
    }
    this.suppressed += 1;
    return { journal: false, suppressedBefore };
  }
}

export interface DeviceStatus {
  id: string;
  kind: DeviceConfig['kind'];
  state: DeviceState;
  reconnects: number;
  lastReadingMs: number | null;
  errors: number;
  garbage: number;
  lastError?: string;
}

const realClock: SupervisorClock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return { stop: () => clearInterval(t) };
  },
};

export class EdgeDevices {
  private readonly supervisor: Supervisor;
  private readonly drivers = new Map<string, Driver<AnyReading, unknown>>();
  private readonly listeners = new Set<(deviceId: string, r: AnyReading) => void>();
  private readonly budgets = new Map<string, ErrorBudget>();
  private readonly lastHealth = new Map<string, string>();
  private healthTimer: { stop(): void } | undefined;

  constructor(
    private readonly configs: DeviceConfig[],
    private readonly journal: EdgeJournal,
    private readonly stationId: string,
    private readonly log: Logger,
    private readonly clock: SupervisorClock = realClock,
    private readonly make: (c: DeviceConfig) => Driver<AnyReading, unknown> = createDriver,
  ) {
    this.supervisor = new Supervisor(clock, 1000);
    for (const c of configs) {
      this.budgets.set(c.id, new ErrorBudget());
      this.supervisor.add(
        c.id,
        () => {
          // A fresh driver per (re)start; its readings are forwarded under the device id, whichever instance it is.
          const d = this.make(c);
          this.drivers.set(c.id, d);
          d.onReading((r) => this.reading(c.id, r));
          return d;
        },
        policyFor(c.kind),
      );
    }
  }

  start(): void {
    this.supervisor.start();
    this.healthTimer = this.clock.setInterval(() => this.journalHealth(), 1000);
  }

  onReading(fn: (deviceId: string, r: AnyReading) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async send(deviceId: string, cmd: unknown): Promise<CommandResult> {
    const d = this.drivers.get(deviceId);
    if (!d) return { ok: false, code: 'UNKNOWN_DEVICE', message: `no device ${deviceId}` };
    return d.send(cmd);
  }

  status(): DeviceStatus[] {
    return this.supervisor.status().map((s) => {
      const kind = this.configs.find((c) => c.id === s.name)!.kind;
      return {
        id: s.name,
        kind,
        state: s.state,
        reconnects: s.reconnects,
        lastReadingMs: s.health?.lastReadingMs ?? null,
        errors: s.health?.errors ?? 0,
        garbage: s.health?.garbage ?? 0,
        ...(s.lastError ? { lastError: s.lastError } : {}),
      };
    });
  }

  stop(): void {
    this.healthTimer?.stop();
    this.supervisor.stop();
  }

  private append(e: NewEvent): void {
    this.journal.append(e).catch((err: unknown) => {
      // A full journal refuses telemetry first: that is the policy, not a failure of this device.
      if (!isBondgateError(err, 'EDGE_JOURNAL_FULL')) this.log.error({ err: (err as Error).message, type: e.type }, 'device event not journalled');
    });
  }

  private reading(deviceId: string, r: AnyReading): void {
    const type = (r as { type?: string }).type;
    const read = scanReadEvent(this.stationId, deviceId, r);
    if (read) this.append(read);
    else if (r.kind === 'device.error' || type === 'device.error') {
      const { journal, suppressedBefore } = this.budgets.get(deviceId)!.admit(this.clock.now());
      const reason = String((r as { reason?: unknown }).reason ?? 'device error');
      if (suppressedBefore > 0) this.append({ type: 'device.error', stationId: this.stationId, deviceId, payload: { reason: `${suppressedBefore} more errors in the last minute were not journalled` } });
      if (journal) {
        const rawHex = String((r as { rawHex?: unknown }).rawHex ?? '').slice(0, 8192);
        this.append({ type: 'device.error', stationId: this.stationId, deviceId, payload: { reason: reason.slice(0, 1000), ...(rawHex ? { rawHex } : {}) } });
      }
      this.log.debug({ deviceId, reason }, 'device error');
    } else if (type && (EVENT_TYPES as string[]).includes(type)) {
      // Already a domain event (seal monitor): the journal validates its payload against the event schema.
      const { atMs: _atMs, type: _type, ...payload } = r as unknown as Record<string, unknown>;
      const candidate = { type, stationId: this.stationId, deviceId, payload } as NewEvent;
      this.append(candidate);
    }
    for (const l of this.listeners) l(deviceId, r);
  }

  /** Health changes only, not every tick: up, degraded (stale), down — each one journalled once. */
  private journalHealth(): void {
    for (const s of this.status()) {
      const h = HEALTH[s.state];
      if (!h || this.lastHealth.get(s.id) === h) continue;
      this.lastHealth.set(s.id, h);
      const detail = h === 'down' ? (s.lastError ?? 'disconnected') : h === 'degraded' ? `no reading for ${Math.round((this.clock.now() - (s.lastReadingMs ?? 0)) / 1000)} s` : undefined;
      this.append({ type: 'device.health', stationId: this.stationId, deviceId: s.id, payload: { status: h, ...(detail ? { detail: detail.slice(0, 1000) } : {}) } });
    }
  }
}
