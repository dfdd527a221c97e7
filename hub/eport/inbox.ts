import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isBondgateError, type FieldIssue } from '../../shared/errors.ts';
import type { AuditInput } from '../audit.ts';
import type { EportMessageRepo, ReceiptOutcome } from '../repos/eport-messages.ts';
import type { MapCeb } from '../services/ceb-pool.ts';
import type { CustomsService } from '../services/customs.ts';
import type { BondReceipt } from '../bonded/receipts.ts';
import { classifyInboxFile, type ExchangeReceipt } from './exchange-messages.ts';
import { answersOf, sasStatus } from './sas-messages.ts';

/**
 * Where a 金二 receipt goes (BondedService.receiveFromInbox): applied once by its receiptId. `holdEarly`: a receipt
 * that overtook the one before it (INV211 before INV201, SAS223 before SAS221) comes back `early` and stays in the
 * InBox for a later look. `ownNo` is the hub's number of the list or slip it is about (the subject of its message).
 */
export type BondedReceiver = (r: BondReceipt, o: { holdEarly: boolean }) => Promise<{ kind: 'applied' | 'duplicate' | 'unknown' | 'refused' | 'early'; ownNo: string | null }>;

/**
 * The InBox watcher: the single-window client writes transmission results (`Successed_…`/`Failed_…`), CEB900
 * format-check receipts and business receipts here.
 *
 * - Only complete files: dotfiles, `*.tmp` and `*.part` are never taken (a client that renames a finished file into
 *   place), and any other file only once its size and mtime are unchanged across two looks (one that writes in place).
 * - Each file is applied, then moved to `done/` — or to `failed/` beside `<name>.reason.json` when it is not a
 *   message we can use. A receipt about one of our messages is applied once (eport_receipts; a duplicate file, or the
 *   same file again after a crash between apply and move, changes nothing). Business receipts on declarations (CEB312,
 *   622…), and CEB712/508/510 when the intake maps them, go through the document intake, idempotent by document key.
 * - A store failure leaves the file where it is for the next look.
 */
export interface InboxOptions {
  path: string;
  repo: EportMessageRepo;
  customs: Pick<CustomsService, 'ingest'>;
  mapXml: MapCeb;
  log: Logger;
  now?: () => number;
  appendAudit?: (input: AuditInput, atMs: number) => Promise<unknown>;
  onReceipt?: (receipt: ExchangeReceipt, outcome: ReceiptOutcome) => void;
  /** The bonded book, when the hub keeps one: 金二 receipts are refused (to failed/) without it. */
  bonded?: BondedReceiver;
  /** How long a 金二 receipt that came before its predecessor waits in the InBox before it is applied as it is. */
  holdEarlyMs?: number;
}

export interface InboxWatcher {
  /** One look at the folder (files seen stable since the previous look are processed). */
  poll(): Promise<void>;
}

export const INBOX_ACTOR = 'eport-inbox';

export function isInboxCandidate(name: string): boolean {
  return !name.startsWith('.') && !/\.(tmp|part)$/i.test(name);
}

export function createInboxWatcher(o: InboxOptions): InboxWatcher {
  const now = o.now ?? Date.now;
  const done = join(o.path, 'done');
  const failed = join(o.path, 'failed');
  const seen = new Map<string, string>();
  /** When each held (early) 金二 receipt file was first looked at. */
  const heldSince = new Map<string, number>();
  let chain: Promise<void> = Promise.resolve();
  const ready = Promise.all([mkdir(done, { recursive: true }), mkdir(failed, { recursive: true })]);

  async function moveTo(dir: string, name: string): Promise<string> {
    // The client may reuse a name (a second Successed_ for a resent message): keep both.
    let target = name;
    for (let i = 1; await stat(join(dir, target)).then(() => true, () => false); i++) target = `${name}.${i}`;
    await rename(join(o.path, name), join(dir, target));
    return target;
  }

  async function refuse(name: string, reason: string, issues: readonly FieldIssue[]): Promise<void> {
    const target = await moveTo(failed, name);
    await writeFile(join(failed, `${target}.reason.json`), `${JSON.stringify({ file: name, reason, issues: issues.slice(0, 100), atMs: now() }, null, 2)}\n`);
    o.log.warn({ file: name, reason }, 'e-port InBox: file refused (see failed/)');
    await o.appendAudit?.({ actor: INBOX_ACTOR, action: 'eport.inbox-refused', subject: name, detail: { reason } }, now());
  }

  /** Through the intake. `required`: a message that must map (refused otherwise); else a receipt the intake may not know yet. */
  async function intake(bytes: Uint8Array, required: boolean): Promise<{ ok: true } | { ok: false; issues: FieldIssue[] }> {
    const mapped = await o.mapXml(bytes);
    if (!mapped.ok) return required ? { ok: false, issues: mapped.issues } : { ok: true };
    await o.customs.ingest(mapped.documents, INBOX_ACTOR, { xml: bytes, sha256: mapped.sha256, ...(mapped.signature ? { signature: mapped.signature } : {}) }, { warnings: mapped.documentWarnings });
    return { ok: true };
  }

  /** Record what a receipt says about one of our messages (once by id) and tell the exchange. */
  async function recordReceipt(name: string, receipt: ExchangeReceipt): Promise<void> {
    const outcome = await o.repo.applyReceipt(receipt, now());
    o.onReceipt?.(receipt, outcome);
    if (outcome.kind === 'applied') {
      const m = outcome.message;
      o.log.info({ file: name, guid: m?.guid ?? receipt.guid, kind: receipt.kind, status: receipt.status, state: m?.state ?? null }, m ? 'e-port receipt applied' : 'e-port receipt for no message of this hub');
      await o.appendAudit?.({ actor: INBOX_ACTOR, action: 'eport.receipt', subject: m?.guid ?? receipt.guid ?? name, detail: { kind: receipt.kind, messageType: receipt.messageType, status: receipt.status, before: outcome.before, after: m?.state ?? null } }, now());
    }
  }

  /**
   * A 金二 receipt: the book first (once by receiptId; a crash before the file moves repeats it harmlessly), then the
   * exchange's record of the message it answers, correlated by the hub's own number of the list or slip.
   */
  async function bonded(name: string, r: BondReceipt): Promise<void> {
    if (!o.bonded) return refuse(name, `a ${r.type} receipt, but this hub keeps no bonded account book`, [{ field: 'bonded', message: 'not configured' }]);
    const first = heldSince.get(name) ?? now();
    const out = await o.bonded(r, { holdEarly: now() - first < (o.holdEarlyMs ?? 3_600_000) });
    if (out.kind === 'early') {
      if (!heldSince.has(name)) o.log.info({ file: name, type: r.type }, 'e-port InBox: 金二 receipt before the one it follows; held for a later look');
      heldSince.set(name, first);
      return;
    }
    heldSince.delete(name);
    const st = sasStatus(r);
    await recordReceipt(name, { id: `${r.type}:${r.receiptId}`, kind: 'business', guid: null, subject: out.ownNo, answers: answersOf(r), messageType: r.type, status: st.status, info: st.info, returnTime: null, refused: st.refused, fileName: name });
    await moveTo(done, name);
  }

  async function processFile(name: string): Promise<void> {
    const bytes = new Uint8Array(await readFile(join(o.path, name)));
    const file = classifyInboxFile(name, bytes);
    if (file.kind === 'refused') return refuse(name, file.reason, file.issues);
    try {
      // The intake first: it is idempotent by document key, so a crash before the receipt is recorded repeats it harmlessly.
      if (file.kind === 'bonded') return await bonded(name, file.receipt);
      if (file.kind === 'intake' || file.intake) {
        const r = await intake(bytes, file.kind === 'intake');
        if (!r.ok) return refuse(name, `the intake refused the ${file.type}`, r.issues);
      }
      if (file.kind === 'receipt') await recordReceipt(name, file.receipt);
    } catch (e) {
      if (isBondgateError(e) && e.status < 500) return refuse(name, `${e.code}: ${e.message}`, e.fields);
      o.log.error({ file: name, err: (e as Error).message }, 'e-port InBox: processing failed; the file stays for a later look');
      return;
    }
    await moveTo(done, name);
  }

  async function look(): Promise<void> {
    await ready;
    const entries = await readdir(o.path, { withFileTypes: true });
    const current = new Map<string, string>();
    for (const e of entries) {
      if (!e.isFile() || !isInboxCandidate(e.name)) continue;
      const s = await stat(join(o.path, e.name)).catch(() => undefined);
      if (s) current.set(e.name, `${s.size}:${s.mtimeMs}`);
    }
    const stable = [...current].filter(([n, v]) => seen.get(n) === v).map(([n]) => n);
    seen.clear();
    for (const [n, v] of current) seen.set(n, v);
    // Name order: the client's own order as far as it has one; out-of-order receipts are harmless anyway.
    for (const name of stable.sort()) {
      await processFile(name);
      seen.delete(name);
    }
  }

  return {
    poll() {
      chain = chain.then(look).catch((e: Error) => o.log.error({ err: e.message, path: o.path }, 'e-port InBox: look failed'));
      return chain;
    },
  };
}
