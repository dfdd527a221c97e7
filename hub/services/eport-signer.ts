import { readFileSync, statSync } from 'node:fs';
import { makePrivate } from '../../shared/private-files.ts';
import type { Logger } from 'pino';
import { BondgateError, isBondgateError } from '../../shared/errors.ts';
import type { AlarmSignal } from '../customs/alarms.ts';
import type { Signer } from '../customs/ceb/generate.ts';
import { CardClientSigner } from '../eport/card-client.ts';
import { Sm2FileSigner } from '../eport/file-signer.ts';
import { loadPin } from '../eport/pin.ts';
import {
  certificateCondition,
  certificateDetail,
  certificateSignals,
  conditionOf,
  conditionSignals,
  DAY_MS,
  type CertificateCondition,
  type SignerCertificateInfo,
  type SignerCondition,
  type SignerStatus,
} from '../eport/signer-state.ts';
import type { Certificate } from '../eport/x509.ts';
import { EPORT_2022, type AlgorithmTable } from '../eport/xmldsig.ts';
import type { HubConfig } from '../config.ts';
import type { AlarmRepo } from '../repos/alarms.ts';

/** What the service needs of a signer: the card client (card-client.ts) or a key file (file-signer.ts). */
export interface SignerPort extends Signer {
  readonly kind: 'card' | 'file';
  readonly target: string;
  certificate(): Promise<Certificate>;
  start?(): void;
  close?(): Promise<void>;
}

/**
 * The hub's e-port signer (issue 18): a {@link Signer} the message sender calls before a file goes to the OutBox,
 * which keeps the signer's state for the dashboard (GET /api/eport/signer) and raises and clears `eport_signer_*`
 * alarms (gateway `hub`). A failure is always thrown to the caller — a message is never passed on unsigned.
 * The certificate is checked at start, every `checkEveryMs` and on every reconnection, so an expiring certificate
 * and an away card client show even when nothing is being signed.
 */
export class EportSignerService implements Signer {
  readonly signs = true;
  private condition: SignerCondition = 'unknown';
  private detail = 'not checked yet';
  private sinceMs: number;
  private connected: boolean | null = null;
  private lastSignedMs: number | null = null;
  private lastFailedMs: number | null = null;
  private signed = 0;
  private failed = 0;
  private cert: SignerCertificateInfo | undefined;
  private certCondition: CertificateCondition = 'unknown';
  private seq = 0;
  private alarmChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly d: { port: SignerPort; alarms?: AlarmRepo; log: Logger; certExpiryWarnDays: number; checkEveryMs?: number; now?: () => number }) {
    this.now = d.now ?? Date.now;
    this.sinceMs = this.now();
  }

  /** Start the port (the card connection) and the periodic certificate check; the first check runs now. */
  start(): void {
    this.d.port.start?.();
    void this.check();
    this.timer = setInterval(() => void this.check(), this.d.checkEveryMs ?? 3600_000);
    this.timer.unref();
  }

  /** Told by the card connection when it comes up or goes down. */
  onConnection(up: boolean, detail: string): void {
    this.connected = up;
    if (up) void this.check();
    else void this.failedWith(new BondgateError('EPORT_CARD_AWAY', detail), false);
  }

  async sign(xml: string): Promise<string> {
    try {
      const cert = await this.d.port.certificate();
      await this.noteCertificate(cert);
      if (this.certCondition === 'expired') throw new BondgateError('EPORT_CERTIFICATE_EXPIRED', certificateDetail(this.cert!, 'expired', this.now()));
      const out = await this.d.port.sign(xml);
      this.signed++;
      this.lastSignedMs = this.now();
      await this.setCondition('ok', 'signing');
      return out;
    } catch (e) {
      await this.failedWith(e, true);
      throw e;
    }
  }

  /** Read the certificate (for a card: a round trip to the card client) and update the state from it. */
  async check(): Promise<SignerStatus> {
    try {
      await this.noteCertificate(await this.d.port.certificate());
      // Reaching the card says nothing about its PIN: a refusal or unusable answer stays until a signature succeeds.
      if (this.condition === 'unknown' || this.condition === 'away' || this.condition === 'slow') await this.setCondition('ok', this.d.port.kind === 'card' ? 'the card client answers' : 'the key and certificate are loaded');
    } catch (e) {
      await this.failedWith(e, false);
    }
    return this.status();
  }

  status(): SignerStatus {
    const now = this.now();
    return {
      kind: this.d.port.kind,
      target: this.d.port.target,
      condition: this.condition,
      detail: this.detail,
      sinceMs: this.sinceMs,
      connected: this.d.port.kind === 'card' ? this.connected : null,
      lastSignedMs: this.lastSignedMs,
      lastFailedMs: this.lastFailedMs,
      signed: this.signed,
      failed: this.failed,
      certificate: this.cert ? { ...this.cert, condition: certificateCondition(this.cert, now, this.d.certExpiryWarnDays), daysLeft: Math.floor((this.cert.validToMs - now) / DAY_MS) } : null,
      certExpiryWarnDays: this.d.certExpiryWarnDays,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.d.port.close?.();
    await this.alarmChain;
  }

  private async noteCertificate(cert: Certificate): Promise<void> {
    this.cert = { subject: cert.subject, serialNumber: cert.serialNumber, validFromMs: cert.validFromMs, validToMs: cert.validToMs, fingerprint256: cert.fingerprint256 };
    const now = this.now();
    const next = certificateCondition(cert, now, this.d.certExpiryWarnDays);
    const prev = this.certCondition;
    this.certCondition = next;
    if (next !== prev && next !== 'valid') this.d.log.warn({ serialNumber: cert.serialNumber, validToMs: cert.validToMs, condition: next }, 'e-port signing certificate');
    await this.signal(certificateSignals(prev, next, certificateDetail(this.cert, next, now)));
  }

  private async failedWith(e: unknown, counts: boolean): Promise<void> {
    const code = isBondgateError(e) ? e.code : undefined;
    const message = (e as Error).message;
    if (counts) {
      this.failed++;
      this.lastFailedMs = this.now();
    }
    // An expired certificate has its own alarm (noteCertificate); it is not a card failure.
    if (code === 'EPORT_CERTIFICATE_EXPIRED') return void this.d.log.error({ code }, `e-port signing refused: ${message}`);
    this.d.log.warn({ code: code ?? 'UNEXPECTED', condition: conditionOf(code) }, `e-port signer: ${message}`);
    await this.setCondition(conditionOf(code), message);
  }

  private async setCondition(next: SignerCondition, detail: string): Promise<void> {
    const prev = this.condition;
    if (prev !== next) {
      this.sinceMs = this.now();
      if (next === 'ok' && prev !== 'unknown') this.d.log.info({ was: prev }, 'e-port signer recovered');
    }
    this.condition = next;
    this.detail = detail.slice(0, 500);
    await this.signal(conditionSignals(prev, next, this.detail));
  }

  /** Applied in order, one at a time; seq strictly increasing (the repo ignores a replay at or below an alarm's last). */
  private signal(signals: AlarmSignal[]): Promise<void> {
    const alarms = this.d.alarms;
    if (!alarms || signals.length === 0) return this.alarmChain;
    this.alarmChain = this.alarmChain.then(async () => {
      for (const s of signals) {
        const at = this.now();
        this.seq = Math.max(at, this.seq + 1);
        try {
          const a = await alarms.signal('hub', s, at, this.seq);
          if (a && s.op === 'raise' && a.count === 1) this.d.log.warn({ kind: a.kind, severity: a.severity }, 'alarm raised');
        } catch (err) {
          this.d.log.error({ err: (err as Error).message, kind: s.kind }, 'could not record an e-port signer alarm');
        }
      }
    });
    return this.alarmChain;
  }
}

export type EportSignerConfig = NonNullable<HubConfig['eport']>['signer'];

/**
 * The configured signer, or undefined when none is configured (messages then cannot be sent: the caller decides).
 * Reads the PIN, key and certificate files now, so a missing or readable-by-others file stops the start with its
 * name (never its content).
 */
export function createEportSigner(
  c: EportSignerConfig | undefined,
  deps: { log: Logger; alarms?: AlarmRepo; algorithms?: AlgorithmTable; env?: NodeJS.ProcessEnv; now?: () => number },
): EportSignerService | undefined {
  if (!c) return undefined;
  const spec = { signatureMethod: c.signatureMethod ?? EPORT_2022.signatureMethod, digestMethod: c.digestMethod ?? EPORT_2022.digestMethod, ...(deps.algorithms ? { algorithms: deps.algorithms } : {}) };
  const log = deps.log;
  let port: SignerPort;
  if (c.kind === 'card') {
    const pin = loadPin(c.pinFile ? { pinFile: c.pinFile } : { pinEnv: c.pinEnv! }, deps.env);
    const card = new CardClientSigner({
      url: c.url,
      pin,
      spec,
      requestTimeoutMs: c.requestTimeoutMs,
      connectTimeoutMs: c.connectTimeoutMs,
      backoff: { initialMs: c.reconnectInitialMs, maxMs: c.reconnectMaxMs },
      onConnection: (up, detail) => service.onConnection(up, detail), // called once the connection starts, after `service` exists
      onStray: (detail) => log.debug({ detail }, 'e-port card client: a frame nothing waits for'),
      ...(deps.now ? { now: deps.now } : {}),
    });
    port = { kind: 'card', target: c.url, sign: (xml) => card.sign(xml), certificate: () => card.certificate(), start: () => card.start(), close: () => card.close() };
  } else {
    const read = (f: string, what: string) => {
      try {
        return readFileSync(f);
      } catch (e) {
        throw new Error(`eport.signer: cannot read the ${what} file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    };
    // The private key, like the PIN, is readable by its owner only (shared/private-files.ts), when this process owns it.
    const key = read(c.keyFile, 'key');
    if (statSync(c.keyFile).uid === process.getuid?.()) makePrivate(c.keyFile);
    const file = new Sm2FileSigner({ privateKey: key.toString('utf8'), certificate: read(c.certFile, 'certificate'), spec });
    port = { kind: 'file', target: c.keyFile, sign: (xml) => file.sign(xml), certificate: async () => file.certificate };
  }
  const service = new EportSignerService({ port, log, certExpiryWarnDays: c.certExpiryWarnDays, ...(deps.alarms ? { alarms: deps.alarms } : {}), ...(deps.now ? { now: deps.now } : {}) });
  return service;
}
