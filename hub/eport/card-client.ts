import { verify as nodeVerify } from 'node:crypto';
import WebSocket from 'ws';
import { BondgateError } from '../../shared/errors.ts';
import type { Signer } from '../customs/ceb/generate.ts';
import { CARD_METHOD, decodeAnswer, encodeRequest } from './card-protocol.ts';
import type { Secret } from './pin.ts';
import { sm2Verify } from './sm2.ts';
import { loadCertificate, type Certificate } from './x509.ts';
import { ALGORITHMS, EPORT_2022, prepareEnvelopedSignature, strictBase64, type EnvelopedSignatureSpec } from './xmldsig.ts';

/**
 * The hub's side of the e-port card client (shared/domain/eport.md §1): one WebSocket to the card client's local
 * service, requests correlated by `_id`, each with a deadline; the connection is re-opened with exponential backoff
 * while it is down (so the dashboard learns the client is back without waiting for a message to sign), and a call
 * made while it is down tries at once rather than waiting out the backoff.
 *
 * WebSocket library: `ws` (MIT, the Node WebSocket implementation, already in the tree through mqtt). Node 20 has
 * no WebSocket client without a flag and no server at all; the simulator needs the server side too.
 *
 * Failures are BondgateErrors the caller sees, never a message passed on unsigned: EPORT_CARD_AWAY (refused or
 * dropped connection), EPORT_CARD_TIMEOUT (no answer in time), EPORT_CARD_REFUSED (`Result: false`, e.g. the PIN),
 * EPORT_CARD_FAILED (an answer that cannot be used, including a signature that does not verify with the card's own
 * certificate: wrong card, or a card that signs other bytes), EPORT_CERTIFICATE_EXPIRED.
 */

export interface CardConnectionOptions {
  url: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Told when the connection comes up or goes down (`detail` says why). */
  onConnection?: (up: boolean, detail: string) => void;
  /** Frames that answer nothing pending (late answers after a timeout, garbage): for a debug log. */
  onStray?: (detail: string) => void;
}

interface Pending {
  method: string;
  resolve: (data: string[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class CardConnection {
  private ws: WebSocket | undefined;
  private opening: Promise<WebSocket> | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Last state told to onConnection (undefined: nothing told yet). */
  private up: boolean | undefined;
  /** Redacts secrets that a card's error text might echo. */
  private readonly secrets: Secret[] = [];

  constructor(private readonly o: CardConnectionOptions) {
    this.backoffMs = o.backoff?.initialMs ?? 1000;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Connect in the background and keep reconnecting until close(). */
  start(): void {
    void this.open().catch(() => undefined);
  }

  redact(secret: Secret): void {
    this.secrets.push(secret);
  }

  async call(method: string, args: Record<string, string>): Promise<string[]> {
    const ws = await this.open();
    const id = this.nextId++;
    const timeoutMs = this.o.requestTimeoutMs ?? 10_000;
    return new Promise<string[]>((resolve, reject) => {
      const key = String(id);
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new BondgateError('EPORT_CARD_TIMEOUT', `the e-port card client at ${this.o.url} did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, { method, resolve, reject, timer });
      ws.send(encodeRequest({ _method: method, _id: id, args }), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(key);
        reject(new BondgateError('EPORT_CARD_AWAY', `could not send ${method} to the e-port card client at ${this.o.url}: ${err.message}`));
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    this.failAll('the hub is closing the card client connection');
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
        setTimeout(() => (ws.terminate(), resolve()), 1000).unref();
      });
    }
  }

  private open(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(new BondgateError('EPORT_CARD_AWAY', 'the card client connection is closed'));
    if (this.ws?.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    this.opening ??= new Promise<WebSocket>((resolve, reject) => {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      const ws = new WebSocket(this.o.url, { handshakeTimeout: this.o.connectTimeoutMs ?? 5000, perMessageDeflate: false });
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.ws = ws;
        this.opening = undefined;
        this.backoffMs = this.o.backoff?.initialMs ?? 1000;
        this.setUp(true, `connected to ${this.o.url}`);
        resolve(ws);
      });
      ws.on('message', (data, isBinary) => this.onFrame(isBinary ? '' : data.toString()));
      ws.on('error', (err: NodeJS.ErrnoException) => {
        if (opened) return; // 'close' follows and says the rest
        this.opening = undefined;
        const why = err.code === 'ECONNREFUSED' ? 'connection refused: the card client is not running there' : err.message;
        const e = new BondgateError('EPORT_CARD_AWAY', `the e-port card client at ${this.o.url} cannot be reached (${why})`);
        this.setUp(false, e.message);
        this.scheduleReconnect();
        reject(e);
      });
      ws.on('close', (code) => {
        if (!opened) return;
        if (this.ws === ws) this.ws = undefined;
        if (this.closed) return; // our own close(): not the card client going away
        this.failAll(`the e-port card client at ${this.o.url} closed the connection (${code})`);
        this.setUp(false, `the e-port card client at ${this.o.url} closed the connection (${code})`);
        this.scheduleReconnect();
      });
    });
    return this.opening;
  }

  private setUp(up: boolean, detail: string): void {
    if (up === this.up) return;
    this.up = up;
    this.o.onConnection?.(up, detail);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.backoff?.maxMs ?? 30_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.open().catch(() => undefined);
    }, wait);
    this.reconnectTimer.unref();
  }

  private failAll(detail: string): void {
    for (const [key, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(key);
      p.reject(new BondgateError('EPORT_CARD_AWAY', `${detail} while waiting for ${p.method}`));
    }
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (s.reveal() !== '') out = out.split(s.reveal()).join('[redacted]');
    return out.slice(0, 300);
  }

  private onFrame(text: string): void {
    const f = decodeAnswer(text);
    if (f.kind === 'greeting') return;
    if (f.kind === 'garbage') return this.o.onStray?.(this.scrub(f.reason));
    const p = this.pending.get(f.id);
    if (!p) return this.o.onStray?.(`an answer to ${f.method} (_id ${f.id}) nothing waits for (after its timeout?)`);
    clearTimeout(p.timer);
    this.pending.delete(f.id);
    if (!f.result || (f.status !== undefined && f.status !== '00')) {
      const errors = this.scrub(f.errors.join('; ') || '(no error text)');
      p.reject(new BondgateError('EPORT_CARD_REFUSED', `the e-port card client refused ${p.method}${f.status && f.status !== '00' ? ` (status ${f.status})` : ''}: ${errors}`));
    } else p.resolve(f.data);
  }
}

/** Whether `value` is a signature of `data` by the certificate's key under the signature method of `spec`. */
function verifiesWith(data: string, value: Uint8Array, cert: Certificate, spec: EnvelopedSignatureSpec): boolean {
  const alg = (spec.algorithms ?? ALGORITHMS).signature[spec.signatureMethod];
  if (alg === 'sm2-sm3') return cert.publicKey.kind === 'sm2' && sm2Verify(data, value, cert.publicKey);
  if (!alg || cert.publicKey.kind !== 'rsa') return false;
  try {
    return nodeVerify(alg === 'rsa-sha1' ? 'sha1' : 'sha256', Buffer.from(data, 'utf8'), cert.publicKey.key, value);
  } catch {
    return false;
  }
}

export interface CardClientSignerOptions extends CardConnectionOptions {
  pin: Secret;
  /** Signature and digest method URIs (and their algorithm table): per edition; default the 2022-05 edition's. */
  spec?: EnvelopedSignatureSpec;
  now?: () => number;
}

/**
 * A {@link Signer} that signs with the enterprise's e-port card through its card client: the canonical SignedInfo
 * (xmldsig.ts prepares it) goes to `cus-sec_SpcSignDataAsPEM` with the PIN; the answer is checked against the card's
 * certificate before the enveloped ds:Signature is completed with KeyName (the certificate number the card gives, or
 * the certificate's serial) and the certificate.
 */
export class CardClientSigner implements Signer {
  readonly signs = true;
  readonly kind = 'card';
  readonly connection: CardConnection;
  private readonly spec: EnvelopedSignatureSpec;
  private cert: Certificate | undefined;
  private readonly now: () => number;

  constructor(private readonly o: CardClientSignerOptions) {
    this.spec = o.spec ?? EPORT_2022;
    this.now = o.now ?? Date.now;
    this.connection = new CardConnection({
      ...o,
      onConnection: (up, detail) => {
        this.cert = undefined; // a card may have been swapped while the client was away
        o.onConnection?.(up, detail);
      },
    });
    this.connection.redact(o.pin);
  }

  get target(): string {
    return this.o.url;
  }

  start(): void {
    this.connection.start();
  }

  /** The card's signing certificate (asked once per connection). */
  async certificate(): Promise<Certificate> {
    if (this.cert) return this.cert;
    const data = await this.connection.call(CARD_METHOD.signCertificate, {});
    const b64 = data[0];
    const der = b64 === undefined ? undefined : strictBase64(b64.replace(/-----[^-]+-----/g, ''));
    if (!der) throw new BondgateError('EPORT_CARD_FAILED', `the e-port card client answered ${CARD_METHOD.signCertificate} without a base64 certificate`);
    try {
      this.cert = loadCertificate(der);
    } catch (e) {
      throw new BondgateError('EPORT_CARD_FAILED', `the certificate the e-port card client gave cannot be read: ${(e as Error).message}`);
    }
    return this.cert;
  }

  async sign(xml: string): Promise<string> {
    const cert = await this.certificate();
    const now = this.now();
    if (now > cert.validToMs || now < cert.validFromMs) {
      throw new BondgateError('EPORT_CERTIFICATE_EXPIRED', `the e-port card's certificate ${cert.serialNumber} is valid ${new Date(cert.validFromMs).toISOString()} – ${new Date(cert.validToMs).toISOString()}, not now: customs refuses what it signs`);
    }
    const prepared = prepareEnvelopedSignature(xml, this.spec);
    const data = await this.connection.call(CARD_METHOD.sign, { inData: prepared.signedInfo, passwd: this.o.pin.reveal() });
    const value = (data[0] ?? '').replace(/\s+/g, '');
    const bytes = strictBase64(value);
    if (!bytes) throw new BondgateError('EPORT_CARD_FAILED', `the e-port card client answered ${CARD_METHOD.sign} without a base64 signature value`);
    if (!verifiesWith(prepared.signedInfo, bytes, cert, this.spec)) {
      throw new BondgateError('EPORT_CARD_FAILED', `the signature the e-port card made does not verify with its certificate ${cert.serialNumber} (${this.spec.signatureMethod}): wrong card, or the card signs other bytes; nothing was sent`);
    }
    const keyName = data[1]?.trim() || cert.serialNumber.toLowerCase();
    return prepared.complete(value, { keyName, certificate: cert.der });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
