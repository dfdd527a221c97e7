import { type CommandResult, DriverBase } from '../contract.ts';
import type { Link, Transport } from '../transport/transport.ts';
import { decodeEpc } from '../../shared/identifiers/epc.ts';
import { LlrpConfig } from './config.ts';
import { addRospec, encodeMessage, keepaliveAck, llrpCodec, MessageType, parseRoAccessReport, parseStatus, rospecCommand, type LlrpFrame } from './llrp-codec.ts';

// The schema lives apart (config.ts), so validating a gateway's config loads no LLRP driver or codec.
export { LlrpConfig };

export type RfidReading =
  | {
      kind: 'rfid.sighting';
      epc: string;
      /** The GS1 key the EPC encodes (SGTIN-96 → (01)…(21)…, SSCC-96 → (00)…), when it is one. */
      gs1: string | null;
      antennaId: number | null;
      peakRssiDbm: number | null;
      firstSeenMs: number | null;
      atMs: number;
    }
  | { kind: 'device.error'; reason: string; rawHex: string; atMs: number };

/**
 * An LLRP reader (Impinj, Zebra and others; the reader is the TCP server on 5084). The session follows devices.md
 * §4: wait for the reader's connection event, delete all ROSpecs, add ours, enable, start; then tag reports flow.
 * Keepalives are answered and count as liveness, so a quiet portal with no tags is still healthy.
 */
export class LlrpReaderDriver extends DriverBase<RfidReading, 'stop'> {
  private link: Link | undefined;
  private nextId = 1000;
  private readonly pending = new Map<number, { resolve: (f: Extract<LlrpFrame, { kind: 'message' }>) => void; reject: (e: Error) => void }>();
  private connected: ((ok: boolean) => void) | undefined;

  constructor(private readonly config: LlrpConfig, private readonly transport: Transport, private readonly now: () => number = Date.now) {
    super();
  }

  async start(signal: AbortSignal): Promise<void> {
    const link = await this.transport();
    this.link = link;
    const codec = llrpCodec();
    const eventSeen = new Promise<boolean>((resolve) => (this.connected = resolve));
    link.onData((bytes) => {
      for (const f of codec.push(bytes)) this.onFrame(f);
    });
    link.onClose(() => {
      this.h.connected = false;
      for (const p of this.pending.values()) p.reject(new Error('reader connection closed'));
      this.pending.clear();
      this.connected?.(false);
    });
    signal.addEventListener('abort', () => void this.close(), { once: true });
    const ok = await Promise.race([eventSeen, new Promise<boolean>((r) => setTimeout(() => r(false), this.config.responseTimeoutMs).unref())]);
    if (!ok) {
      await link.close();
      throw new Error('reader sent no connection event');
    }
    const id = this.config.rospecId;
    await this.request(rospecCommand(MessageType.DELETE_ROSPEC, this.nextId++, 0), false); // 0 = all; failing is fine
    await this.request(addRospec(this.nextId++, id, { antennas: this.config.antennas }));
    await this.request(rospecCommand(MessageType.ENABLE_ROSPEC, this.nextId++, id));
    await this.request(rospecCommand(MessageType.START_ROSPEC, this.nextId++, id));
    this.h.connected = true;
    this.h.lastReadingMs = this.now();
  }

  private request(message: Buffer, mustSucceed = true): Promise<void> {
    const id = message.readUInt32BE(6);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`reader did not answer message ${message.readUInt16BE(0) & 0x3ff} in time`));
      }, this.config.responseTimeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (f) => {
          clearTimeout(timer);
          const status = parseStatus(f.body);
          if (mustSucceed && status && status.code !== 0) reject(new Error(`reader refused message ${f.type}: status ${status.code} ${status.description}`));
          else resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      void this.link!.write(message).catch(reject);
    });
  }

  private onFrame(f: LlrpFrame): void {
    const atMs = this.now();
    if (f.kind === 'garbage') {
      this.h.garbage += 1;
      this.emit({ kind: 'device.error', reason: f.reason, rawHex: f.rawHex, atMs });
      void this.link?.close(); // the stream is unframed: reconnect (the supervisor does)
      return;
    }
    const waiting = this.pending.get(f.id);
    if (waiting && f.type !== MessageType.KEEPALIVE && f.type !== MessageType.RO_ACCESS_REPORT && f.type !== MessageType.READER_EVENT_NOTIFICATION) {
      this.pending.delete(f.id);
      waiting.resolve(f);
      return;
    }
    switch (f.type) {
      case MessageType.READER_EVENT_NOTIFICATION:
        this.connected?.(true);
        break;
      case MessageType.KEEPALIVE:
        this.h.lastReadingMs = atMs;
        // A keepalive answered on a link that is closing is lost with it; the close handler reconnects (an unhandled
        // rejection here was a "write after end" when a reader stopped mid-keepalive).
        this.link?.write(keepaliveAck(f.id)).catch(() => undefined);
        break;
      case MessageType.RO_ACCESS_REPORT: {
        const { tags, error } = parseRoAccessReport(f.body);
        this.h.lastReadingMs = atMs;
        for (const t of tags) {
          const id = decodeEpc(t.epcHex);
          const gs1 = id.scheme === 'sgtin-96' || id.scheme === 'sscc-96' ? id.elementString : null;
          this.emit({ kind: 'rfid.sighting', epc: t.epcHex, gs1, antennaId: t.antennaId ?? null, peakRssiDbm: t.peakRssiDbm ?? null, firstSeenMs: t.firstSeenUtcUs !== undefined ? Number(t.firstSeenUtcUs / 1000n) : null, atMs });
        }
        if (error) {
          this.h.errors += 1;
          this.emit({ kind: 'device.error', reason: `malformed tag report: ${error}`, rawHex: f.body.subarray(0, 64).toString('hex'), atMs });
        }
        break;
      }
      case MessageType.ERROR_MESSAGE:
        this.h.errors += 1;
        this.emit({ kind: 'device.error', reason: `reader error: ${parseStatus(f.body)?.description ?? 'unknown'}`, rawHex: f.body.toString('hex'), atMs });
        break;
      default:
        break;
    }
  }


  private async close(): Promise<void> {
    const link = this.link;
    if (!link) return;
    await link.write(encodeMessage(MessageType.CLOSE_CONNECTION, this.nextId++)).catch(() => undefined);
    await link.close();
  }

  async send(cmd: 'stop'): Promise<CommandResult> {
    if (!this.link || !this.h.connected) return { ok: false, code: 'DEVICE_DISCONNECTED', message: 'reader not connected' };
    await this.request(rospecCommand(cmd === 'stop' ? MessageType.STOP_ROSPEC : MessageType.START_ROSPEC, this.nextId++, this.config.rospecId));
    return { ok: true };
  }


}
