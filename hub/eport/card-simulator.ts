import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CARD_METHOD, decodeRequest, encodeAnswer, encodeGreeting } from './card-protocol.ts';
import type { Secret } from './pin.ts';
import { loadSm2PrivateKey, sm2Sign, type Sm2PrivateKey } from './sm2.ts';
import { makeTestPki, type TestPki } from './test-pki.ts';
import { loadCertificate, type Certificate } from './x509.ts';

/**
 * `bondgate sim eport-card`: an e-port card client on its local WebSocket, speaking card-protocol.ts, with a card
 * whose SM2 key and certificate it makes itself (test-pki.ts: a throw-away CA, NOT the e-port's). It signs as the
 * card does: SM2 with the standard ID over the bytes of `inData`, the value raw r‖s in base64, and gives the
 * certificate number beside it. It misbehaves on demand, as real card clients do: refuses the PIN (`Result: false`),
 * answers slowly, goes away (stops listening: connection refused) and comes back on the same port.
 * Runs as its own process (cli/sim.ts); tests run it in-process over a real socket.
 */

export interface CardBehaviour {
  /** Answer every sign with `Result: false` as a card does for a wrong PIN, whatever PIN is sent. */
  refusePin: boolean;
  /** Wait this long before each answer. */
  delayMs: number;
}

export interface CardSimulatorOptions {
  host?: string;
  /** 0 = a free port. */
  port?: number;
  /** The card's PIN; absent = any non-empty PIN is taken. */
  pin?: Secret;
  /** The certificate's validity: from a day before `nowMs` to `validDays` after it. */
  nowMs?: number;
  validDays?: number;
  pki?: TestPki;
  behaviour?: Partial<CardBehaviour>;
}

export class CardSimulator {
  readonly pki: TestPki;
  readonly certificate: Certificate;
  readonly behaviour: CardBehaviour;
  private readonly key: Sm2PrivateKey;
  private wss: WebSocketServer | undefined;
  private port: number;
  private readonly host: string;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Calls answered, by method (tests and the CLI's summary). */
  readonly calls = new Map<string, number>();

  constructor(private readonly o: CardSimulatorOptions = {}) {
    this.pki = o.pki ?? makeTestPki({ nowMs: o.nowMs ?? Date.now(), validDays: o.validDays ?? 365, signerCn: 'Bondgate Simulated E-Port Card' });
    this.key = loadSm2PrivateKey(this.pki.signer.privateKeyPem);
    this.certificate = loadCertificate(this.pki.signer.certificatePem);
    this.behaviour = { refusePin: false, delayMs: 0, ...o.behaviour };
    this.host = o.host ?? '127.0.0.1';
    this.port = o.port ?? 0;
  }

  get url(): string {
    return `ws://${this.host}:${this.port}`;
  }

  /** Listen (again, on the same port once one was chosen); resolves with the URL. */
  async start(): Promise<string> {
    if (this.wss) return this.url;
    const wss = new WebSocketServer({ host: this.host, port: this.port, perMessageDeflate: false, maxPayload: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', () => resolve());
      wss.once('error', reject);
    });
    this.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws) => this.onConnection(ws));
    this.wss = wss;
    return this.url;
  }

  /** Go away: close every connection and stop listening (callers then get "connection refused"). */
  async goAway(): Promise<void> {
    const wss = this.wss;
    this.wss = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (!wss) return;
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  stop(): Promise<void> {
    return this.goAway();
  }

  private onConnection(ws: WebSocket): void {
    ws.send(encodeGreeting());
    ws.on('message', (data, isBinary) => {
      const req = isBinary ? undefined : decodeRequest(data.toString());
      if (!req) return; // a real client ignores what it cannot read; the caller's timeout says the rest
      const answer = this.answer(req.method, req.id, req.args);
      if (this.behaviour.delayMs <= 0) return ws.send(answer);
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (ws.readyState === ws.OPEN) ws.send(answer);
      }, this.behaviour.delayMs);
      this.timers.add(t);
    });
  }

  private answer(method: string, id: string | number, args: Record<string, unknown>): string {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    switch (method) {
      case CARD_METHOD.signCertificate:
        return encodeAnswer({ id, method, result: true, data: [Buffer.from(this.certificate.der).toString('base64')] });
      case CARD_METHOD.validity:
        return encodeAnswer({ id, method, result: true, data: [new Date(this.certificate.validFromMs).toISOString(), new Date(this.certificate.validToMs).toISOString()] });
      case CARD_METHOD.sign: {
        const passwd = typeof args.passwd === 'string' ? args.passwd : '';
        const pinOk = passwd !== '' && (!this.o.pin || passwd === this.o.pin.reveal());
        if (this.behaviour.refusePin || !pinOk) return encodeAnswer({ id, method, result: false, errors: ['PIN incorrect (simulated card)', 'Err:SimPin'] });
        if (typeof args.inData !== 'string' || args.inData === '') return encodeAnswer({ id, method, result: false, errors: ['inData is empty'] });
        const value = sm2Sign(args.inData, this.key).toString('base64');
        return encodeAnswer({ id, method, result: true, data: [value, this.certificate.serialNumber.toLowerCase()] });
      }
      default:
        return encodeAnswer({ id, method, result: false, errors: [`unknown method ${method} (simulated card client)`] });
    }
  }
}
