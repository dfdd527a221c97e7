import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { BondgateError } from '../../shared/errors.ts';
import { cebToDocuments, type CebToDocumentsResult } from '../customs/ceb/to-documents.ts';
import { decodeXmlBytes } from '../customs/ceb/xml.ts';
import { TrustStore, type TrustInput } from '../eport/trust.ts';
import type { SignatureVerdict } from '../eport/verdict.ts';
import { verifyEnvelopedSignature, type AlgorithmTable } from '../eport/xmldsig.ts';
import { startWorker } from '../../shared/worker-module.ts';

/**
 * CEB XML is decoded, parsed, checked against the XSD rules and mapped in worker threads. A legal maximum-size CEB311
 * (5 MB, 100 orders × 99 lines) takes seconds of CPU; on the main thread that froze the whole hub for as long — HTTP,
 * ingest and the embedded MQTT broker, which dropped the edges. Here the main thread only posts the bytes and gets
 * plain documents back.
 *
 * Work waits in a FIFO for a free worker. A worker that dies fails its task (the caller reports it) and is replaced:
 * there is no fallback to the main thread, since that would bring the freeze back.
 */
/** `signature`: the message's ds:Signature checked (hub/eport/xmldsig.ts), for a message that mapped. */
export type CebMapped = CebToDocumentsResult & { sha256: string; signature?: SignatureVerdict };

/** What is parsed where: `mapCeb` (in a pool or on the calling thread) is what the intake paths are given. */
export type MapCeb = (xml: Uint8Array | string) => Promise<CebMapped>;

export function sha256Hex(xml: Uint8Array | string): string {
  return createHash('sha256').update(xml).digest('hex');
}

/** How signatures are checked: the configured trust (certificate bytes, so it crosses to workers) and algorithm URIs. */
export interface SignatureSettings {
  trust?: TrustInput;
  algorithms?: AlgorithmTable;
}

/**
 * Map one message and, when it mapped, check its signature — the same function in a worker and on the calling
 * thread. The signature is checked only after the hardened parser accepted the message (no DOCTYPE, within limits).
 */
export function mapAndCheck(xml: Uint8Array | string, trust: TrustStore, settings: SignatureSettings, nowMs: number): CebMapped {
  const result = cebToDocuments(xml);
  const sha256 = sha256Hex(xml);
  if (!result.ok) return { ...result, sha256 };
  const text = typeof xml === 'string' ? { ok: true as const, text: xml } : decodeXmlBytes(xml);
  if (!text.ok) return { ...result, sha256 };
  return { ...result, sha256, signature: verifyEnvelopedSignature(text.text, { trust, nowMs, ...(settings.algorithms ? { algorithms: settings.algorithms } : {}) }) };
}

/** On the calling thread (tests and tools), with these signature settings. */
export function mapCebWith(settings: SignatureSettings = {}): MapCeb {
  const trust = new TrustStore(settings.trust);
  return async (xml) => mapAndCheck(xml, trust, settings, Date.now());
}

/** On the calling thread with no trusted signer (signatures are at best `unverified`). */
export const mapCebHere: MapCeb = mapCebWith();

interface Task {
  id: number;
  xml: Uint8Array | string;
  resolve: (r: CebMapped) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
}

export class CebPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number, private readonly log: Logger, private readonly signatures: SignatureSettings = {}) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
  }

  /** Messages being parsed or waiting for a worker. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.task).length;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(new URL('./ceb-worker.ts', import.meta.url), { workerData: { signatures: this.signatures } }), task: undefined };
    slot.worker.on('message', (m: { id: number; result: CebMapped }) => {
      const t = slot.task;
      slot.task = undefined;
      if (t?.id === m.id) t.resolve(m.result);
      this.dispatch();
    });
    const lost = (why: string) => {
      if (this.closed) return;
      const t = slot.task;
      slot.task = undefined;
      this.log.error({ why }, 'a CEB XML worker died; replacing it');
      t?.reject(new BondgateError('STORAGE_FAILED', 'the XML worker failed while parsing this message; post it again'));
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
      this.dispatch();
    };
    slot.worker.on('error', (err) => lost(err.message));
    slot.worker.on('exit', (code) => lost(`exit ${code}`));
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task) continue;
      const t = this.queue.shift();
      if (!t) return;
      slot.task = t;
      slot.worker.postMessage({ id: t.id, xml: t.xml });
    }
  }

  map: MapCeb = (xml) => {
    if (this.closed) return Promise.reject(new BondgateError('CONFLICT', 'the hub is stopping'));
    return new Promise<CebMapped>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, xml, resolve, reject });
      this.dispatch();
    });
  };

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new BondgateError('CONFLICT', 'the hub is stopping'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/**
 * At most `max` uploads of CEB XML in the hub at once (read, parsed, stored): each holds up to 10 MB and seconds of a
 * worker. One more is refused at once with RATE_LIMITED and a retry delay instead of piling up in memory.
 */
export class UploadGate {
  private active = 0;
  constructor(readonly max: number, readonly retryAfterSeconds = 5) {}

  /** A release function, or a RATE_LIMITED error when `max` uploads are already in. */
  enter(): () => void {
    if (this.active >= this.max) {
      throw new BondgateError('RATE_LIMITED', `the hub is taking ${this.active} XML upload(s) already; retry in ${this.retryAfterSeconds} s`, [{ field: 'body', message: 'too many uploads at once' }]);
    }
    this.active++;
    let released = false;
    return () => {
      if (!released) this.active--;
      released = true;
    };
  }
}
