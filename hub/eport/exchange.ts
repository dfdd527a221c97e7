import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { BondgateError } from '../../shared/errors.ts';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import type { AuditInput } from '../audit.ts';
import type { Signer } from '../customs/ceb/generate.ts';
import type { HubMetrics } from '../metrics.ts';
import type { AlarmRepo } from '../repos/alarms.ts';
import { openEportMessageRepo, type MessageQuery, type OutboxRow, type ReceiptRow } from '../repos/eport-messages.ts';
import type { MapCeb } from '../services/ceb-pool.ts';
import type { CustomsService, DocumentsListener } from '../services/customs.ts';
import type { Projection } from '../services/projections.ts';
import type { Sql } from '../storage/sql.ts';
import type { EportExchangeConfig } from './config.ts';
import { createEportEmitters } from './emit.ts';
import type { MessageState } from './exchange-messages.ts';
import { Sm2FileSigner } from './file-signer.ts';
import { createInboxWatcher, type BondedReceiver } from './inbox.ts';
import { createSender } from './sender.ts';

/**
 * The e-port exchange as one capability (style.md: each capability registers itself through one function): its
 * repository, the hooks that emit messages, the sender and the InBox watcher on their timers, the no-receipt sweep,
 * metrics, and what the routes need. server.ts calls `startEportExchange` once and wires the pieces it returns.
 */
export interface EportExchangeDeps {
  config: EportExchangeConfig;
  sql: Sql;
  customs: Pick<CustomsService, 'ingest'>;
  mapXml: MapCeb;
  slip: (passportNo: string) => Promise<ReleaseSlip | undefined>;
  alarms?: AlarmRepo;
  metrics?: HubMetrics;
  appendAudit: (input: AuditInput, atMs: number) => Promise<unknown>;
  log: Logger;
  /** The card-client signer (issue 18, signing part), when the hub has one; `config.signer` is used otherwise. */
  signer?: Signer;
  /** The bonded book's receipt entry (BondedService.receiveFromInbox), when the hub keeps one. */
  bonded?: BondedReceiver;
  now?: () => number;
}

/** A key or certificate file as PEM text or DER bytes (the SM2 loaders take a string as PEM, bytes as DER). */
function pemOrDer(file: string): string | Uint8Array {
  const bytes = readFileSync(file);
  const text = bytes.toString('latin1');
  return text.includes('-----BEGIN ') ? bytes.toString('utf8') : new Uint8Array(bytes);
}

const NO_SIGNER: Signer = { sign: () => Promise.reject(new Error('no e-port signer is configured (eport.signer or the card client)')) };

export interface EportExchange {
  projections: Projection[];
  onDocuments: DocumentsListener;
  list(q: MessageQuery): Promise<{ items: OutboxRow[]; counts: Record<MessageState, number> }>;
  detail(guid: string): Promise<{ message: OutboxRow; receipts: ReceiptRow[] }>;
  resend(guid: string, actor: string, reason: string): Promise<OutboxRow>;
  /** One round now: send what is due, look at the InBox, sweep for missing receipts (the timers do this every pollMs). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEportExchange(d: EportExchangeDeps): Promise<EportExchange> {
  const now = d.now ?? Date.now;
  const repo = openEportMessageRepo(d.sql);
  await repo.migrate();
  const signer = d.signer ?? (d.config.signer ? new Sm2FileSigner({ privateKey: pemOrDer(d.config.signer.privateKeyFile), certificate: pemOrDer(d.config.signer.certificateFile) }) : NO_SIGNER);
  const raise = async (kind: 'eport_not_sent' | 'eport_no_receipt', subject: string, detail: string) => {
    const t = now();
    await d.alarms?.signal('hub', { op: 'raise', kind, subject, stationId: null, deviceId: null, severity: kind === 'eport_not_sent' ? 'critical' : 'warning', detail }, t, t);
  };
  const sender = createSender({
    repo,
    signer,
    outbox: d.config.outbox,
    senderId: d.config.zone.dxpId,
    log: d.log,
    now,
    baseBackoffMs: d.config.retryBaseMs,
    maxBackoffMs: d.config.retryMaxMs,
    onProblem: (row, stage, detail) => raise('eport_not_sent', row.guid, `${row.messageType} ${row.subject} not sent (${stage}): ${detail}`.slice(0, 1000)),
  });
  const inbox = createInboxWatcher({
    path: d.config.inbox,
    repo,
    customs: d.customs,
    mapXml: d.mapXml,
    log: d.log,
    now,
    appendAudit: d.appendAudit,
    ...(d.bonded ? { bonded: d.bonded } : {}),
    holdEarlyMs: d.config.holdEarlyMinutes * 60_000,
    onReceipt: (receipt, outcome) => {
      if (outcome.kind !== 'applied' || !outcome.message) return;
      const m = outcome.message;
      d.metrics?.eportReceipts.inc({ kind: receipt.kind, refused: String(receipt.refused) });
      if (receipt.kind === 'business' && outcome.before !== 'receipt' && m.sentMs !== null) d.metrics?.eportReceiptSeconds.observe({ type: m.messageType }, Math.max(0, now() - m.sentMs) / 1000);
    },
  });
  let counts: Record<MessageState, number> = { queued: 0, sent: 0, receipt: 0, failed: 0 };
  d.metrics?.watchEport(() => counts);

  async function sweep(): Promise<void> {
    for (const m of await repo.takeOverdue(now() - d.config.receiptWithinMinutes * 60_000, now())) {
      d.log.warn({ guid: m.guid, type: m.messageType, subject: m.subject }, 'e-port message: no receipt in time');
      await raise('eport_no_receipt', m.guid, `${m.messageType} ${m.subject} sent ${new Date(m.sentMs ?? 0).toISOString()}: no business receipt after ${d.config.receiptWithinMinutes} min`);
    }
    counts = await repo.countsByState();
  }

  let chain: Promise<void> = Promise.resolve();
  const tick = () => {
    chain = chain
      .then(async () => {
        await sender.pass();
        await inbox.poll();
        await sweep();
      })
      .catch((e: Error) => d.log.error({ err: e.message }, 'e-port exchange round failed'));
    return chain;
  };
  const timer = setInterval(() => void tick(), d.config.pollMs);
  timer.unref();
  const emit = createEportEmitters({ sql: d.sql, zone: d.config.zone, slip: d.slip, log: d.log, now, onEnqueued: () => void tick() });
  d.log.info({ outbox: d.config.outbox, inbox: d.config.inbox, signer: signer === NO_SIGNER ? 'none' : 'configured' }, 'e-port exchange started');

  return {
    projections: [emit.tally, emit.gate],
    onDocuments: (docs) => emit.onDocuments(docs),
    async list(q) {
      return { items: await repo.list(q), counts: await repo.countsByState() };
    },
    async detail(guid) {
      const message = await repo.get(guid);
      if (!message) throw new BondgateError('NOT_FOUND', `no e-port message ${guid}`);
      return { message, receipts: await repo.receipts(guid) };
    },
    async resend(guid, actor, reason) {
      const before = await repo.get(guid);
      if (!before) throw new BondgateError('NOT_FOUND', `no e-port message ${guid}`);
      const row = await repo.requeue(guid, now());
      if (!row) throw new BondgateError('CONFLICT', `the message is ${before.state}: only a failed or sent message is sent again`, [{ field: 'state', message: before.state }]);
      await d.appendAudit({ actor, action: 'eport.resend', subject: guid, detail: { messageType: row.messageType, subject: row.subject, from: before.state, reason } }, now());
      void tick();
      return row;
    },
    tick,
    async stop() {
      clearInterval(timer);
      await chain;
    },
  };
}
