import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

/**
 * Where the edge's notion of time comes from. Every event carries the wall clock, a per-boot monotonic
 * clock (CLOCK_BOOTTIME via /proc/uptime) and whether the wall clock is synchronised, so the hub can order
 * and judge events from a gateway that booted without NTP or whose clock was set by hand.
 */
export interface TimeSource {
  wallMs(): number;
  /** Milliseconds since boot; comparable only within one `bootId`. */
  uptimeMs(): number;
  readonly bootId: string;
  clockSynced(): boolean;
}

export type ClockSyncPolicy = 'detect' | 'assume-synced' | 'assume-unsynced';

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // Not Linux: one id per process start, so uptime values are never compared across restarts.
    return `proc-${randomUUID()}`;
  }
}

function readUptimeMs(): number | undefined {
  try {
    const s = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Number.isFinite(s) ? Math.round(s * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * systemd-timesyncd touches /run/systemd/timesync/synchronized once synchronised; otherwise ask timedatectl
 * (covers chrony and ntpd under systemd). Anything else: unknown, reported as not synchronised.
 */
function probeSynced(cb: (synced: boolean) => void): void {
  if (existsSync('/run/systemd/timesync/synchronized')) return cb(true);
  execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 2000 }, (err, stdout) => {
    cb(!err && stdout.trim() === 'yes');
  });
}

export function systemTimeSource(policy: ClockSyncPolicy = 'detect', recheckMs = 60_000): TimeSource & { stop(): void } {
  const bootId = readBootId();
  const uptimeAtStart = readUptimeMs() ?? 0;
  const perfAtStart = performance.now();
  let synced = policy === 'assume-synced';
  let timer: NodeJS.Timeout | undefined;
  if (policy === 'detect') {
    const check = () => probeSynced((s) => (synced = s));
    check();
    timer = setInterval(check, recheckMs);
    timer.unref();
  }
  return {
    bootId,
    wallMs: () => Date.now(),
    uptimeMs: () => Math.round(uptimeAtStart + (performance.now() - perfAtStart)),
    clockSynced: () => synced,
    stop: () => clearInterval(timer),
  };
}

/** A hand-driven clock for tests. */
export function manualTimeSource(start = 1_700_000_000_000, bootId = 'test-boot'): TimeSource & { advance(ms: number): void; setWall(ms: number): void; synced: boolean } {
  let wall = start;
  let up = 10_000;
  const src = {
    bootId,
    synced: true,
    wallMs: () => wall,
    uptimeMs: () => up,
    clockSynced: () => src.synced,
    advance(ms: number) {
      wall += ms;
      up += ms;
    },
    setWall(ms: number) {
      wall = ms;
    },
  };
  return src;
}
