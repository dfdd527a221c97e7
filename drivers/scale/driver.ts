import { type Codec, type CommandResult, DriverBase } from '../contract.ts';
import type { Link, Transport } from '../transport/transport.ts';
import { adAsciiCodec } from './ad-ascii.ts';
import { ScaleConfig } from './config.ts';
import type { ScaleFrame } from './frames.ts';
import { mtSicsCodec, mtSicsCommand } from './mt-sics.ts';
import { StabilityWindow } from './stability.ts';
import { toledoContinuousCodec } from './toledo-continuous.ts';
import { xk3190Codec, xk3190ReversedCodec } from './xk3190.ts';

// The schema lives apart (config.ts), so validating a gateway's config loads no scale driver or codec.
export { ScaleConfig };

export type ScaleReading =
  | { kind: 'weight'; weightKg: number; resolutionKg: number | null; tareKg?: number; atMs: number }
  | { kind: 'overload' | 'underload'; atMs: number }
  | { kind: 'device.error'; reason: string; rawHex: string; atMs: number };

export type ScaleCommand = 'zero' | 'tare';

function codecFor(c: ScaleConfig): Codec<ScaleFrame> {
  switch (c.protocol) {
    case 'mt-sics':
      return mtSicsCodec();
    case 'toledo-continuous':
      return toledoContinuousCodec({ checksum: c.toledoChecksum });
    case 'ad-ascii':
      return adAsciiCodec();
    case 'xk3190':
      return xk3190Codec();
    case 'xk3190-reversed':
      return xk3190ReversedCodec(c.reversedStream);
  }
}

/**
 * A weighing scale: emits a weight only when it is stable (the protocol's flag, or the stability window where the
 * protocol has none), once per settled load — a new reading when the load changes by more than one display step.
 * Garbage on the wire becomes a `device.error` reading with the bytes, never an exception.
 */
export class ScaleDriver extends DriverBase<ScaleReading, ScaleCommand> {
  private link: Link | undefined;
  private readonly codec: Codec<ScaleFrame>;
  private readonly window: StabilityWindow;
  private lastStableKg: number | null = null;

  constructor(private readonly config: ScaleConfig, private readonly transport: Transport, private readonly now: () => number = Date.now) {
    super();
    this.codec = codecFor(config);
    this.window = new StabilityWindow(config.stability.count, config.stability.toleranceKg);
  }

  async start(signal: AbortSignal): Promise<void> {
    const link = await this.transport();
    this.link = link;
    this.h.connected = true;
    this.codec.reset();
    link.onData((bytes) => this.onBytes(bytes));
    link.onClose(() => {
      this.h.connected = false;
    });
    signal.addEventListener('abort', () => void link.close(), { once: true });
    // MT-SICS is request/response: ask for a continuous stream of weights until reset.
    if (this.config.protocol === 'mt-sics') await link.write(mtSicsCommand('SIR'));
  }


  private onBytes(bytes: Uint8Array): void {
    for (const f of this.codec.push(bytes)) {
      const atMs = this.now();
      switch (f.kind) {
        case 'weight': {
          this.h.lastReadingMs = atMs;
          const verdict = f.stable === null ? this.window.push(f.weightKg) : { stable: f.stable, weightKg: f.weightKg };
          if (!verdict.stable) {
            if (f.stable !== null) this.window.reset();
            break;
          }
          const step = f.resolutionKg ?? 0;
          if (this.lastStableKg !== null && Math.abs(verdict.weightKg - this.lastStableKg) <= step) break;
          this.lastStableKg = verdict.weightKg;
          this.emit({ kind: 'weight', weightKg: verdict.weightKg, resolutionKg: f.resolutionKg, ...(f.tareKg !== undefined ? { tareKg: f.tareKg } : {}), atMs });
          break;
        }
        case 'overload':
        case 'underload':
          this.h.lastReadingMs = atMs;
          this.lastStableKg = null;
          this.emit({ kind: f.kind, atMs });
          break;
        case 'garbage':
          this.h.garbage += 1;
          this.emit({ kind: 'device.error', reason: f.reason, rawHex: f.rawHex, atMs });
          break;
        case 'error':
          this.h.errors += 1;
          this.emit({ kind: 'device.error', reason: `${f.code}: ${f.message}`, rawHex: '', atMs });
          break;
        default:
          this.h.lastReadingMs = atMs; // acks and busy replies prove the device is alive
      }
    }
  }

  async send(cmd: ScaleCommand): Promise<CommandResult> {
    if (this.config.protocol !== 'mt-sics') return { ok: false, code: 'UNSUPPORTED', message: `${this.config.protocol} has no ${cmd} command` };
    if (!this.link || !this.h.connected) return { ok: false, code: 'DEVICE_DISCONNECTED', message: 'scale not connected' };
    await this.link.write(mtSicsCommand(cmd === 'zero' ? 'Z' : 'T'));
    return { ok: true };
  }


}
