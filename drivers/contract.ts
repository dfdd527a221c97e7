/**
 * The one driver contract (issue 3). A codec turns bytes into frames and nothing else; a driver owns a
 * transport and a codec and publishes typed readings; a supervisor (to come) owns reconnects, backoff and
 * health for every driver. See ../shared/style.md, "A driver".
 */

/** Pure decoder: keeps partial bytes between calls, returns zero or more whole frames. No timers, no I/O. */
export interface Codec<F> {
  push(bytes: Uint8Array): F[];
  reset(): void;
}

/** Garbage never throws out of a codec: it becomes a frame with the bytes (hex) and the reason. */
export interface GarbageFrame {
  kind: 'garbage';
  reason: string;
  rawHex: string;
}

export const toHex = (bytes: Uint8Array | number[]) => Buffer.from(bytes).toString('hex');

export interface DriverHealth {
  connected: boolean;
  /** Wall time of the last good reading; health is judged by its age, never by the link alone. */
  lastReadingMs: number | null;
  errors: number;
  garbage: number;
  reconnects: number;
}

/** `data` carries what a command returns (a camera's captured frame), when it returns anything. */
export type CommandResult = { ok: true; data?: unknown } | { ok: false; code: string; message: string };

export interface Driver<R, C> {
  start(signal: AbortSignal): Promise<void>;
  send(cmd: C): Promise<CommandResult>;
  onReading(fn: (r: R) => void): () => void;
  health(): DriverHealth;
}

/**
 * What every driver shares: its reading listeners and its health counters. A driver extends this and implements
 * `start` and `send`; `emit` is how it publishes, `h` is the health it keeps up to date.
 */
export abstract class DriverBase<R, C> implements Driver<R, C> {
  private readonly listeners = new Set<(r: R) => void>();
  protected readonly h: DriverHealth = { connected: false, lastReadingMs: null, errors: 0, garbage: 0, reconnects: 0 };

  abstract start(signal: AbortSignal): Promise<void>;
  abstract send(cmd: C): Promise<CommandResult>;

  protected emit(r: R): void {
    for (const l of this.listeners) l(r);
  }

  onReading(fn: (r: R) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  health(): DriverHealth {
    return { ...this.h };
  }
}
