import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Signer } from '../customs/ceb/generate.ts';
import type { EportMessageRepo, OutboxRow } from '../repos/eport-messages.ts';
import { buildSignedMessage, outboxFileName } from './exchange-messages.ts';

/**
 * The outbox sender: queued rows → signed, checked XML → the single-window client's OutBox, atomically (a dotted temp
 * file written and fsynced, renamed into place, the directory fsynced), then marked sent.
 *
 * "Sent once in effect": the file name is the message's type and guid, so a hub killed between the rename and the
 * update writes the same file again on its next pass (an overwrite while the client has not taken it yet; a second
 * copy with the same guid after it has, which the e-port deduplicates by guid, and whose receipts this hub applies
 * once). A row whose signing or check fails stays queued with its error and the next attempt backs off; it never
 * leaves unsigned (checkOutgoing refuses a message without a ds:Signature whatever the signer did).
 *
 * Signing runs where the Signer runs: the card client is a separate process over a WebSocket, and the file signer's
 * SM2 signature is one scalar multiplication per message, so this stays on the main thread, one message at a time.
 */
export interface SenderOptions {
  repo: EportMessageRepo;
  signer: Signer;
  outbox: string;
  log: Logger;
  now?: () => number;
  /** First retry after this, doubling per attempt up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  batch?: number;
  /** The zone's e-port id (dxpId): the sender_id in a 金二 message's envelope. */
  senderId?: string;
  /** A message could not be signed or checked: the hub raises an alarm. */
  onProblem?: (row: OutboxRow, stage: 'generate' | 'sign' | 'validate' | 'write', detail: string) => Promise<void> | void;
  onSent?: (row: OutboxRow) => void;
}

export interface Sender {
  /** Send what is due now (one pass at a time; a call during a pass waits for it and runs another). */
  pass(): Promise<number>;
}

export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 20));
}

/** Write `bytes` as `dir/name` so that a reader never sees a part of it: temp file, fsync, rename, fsync of the directory. */
export async function writeAtomically(dir: string, name: string, bytes: string | Uint8Array): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w', 0o640);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, join(dir, name));
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } catch {
    // Some filesystems (and Windows shares) refuse fsync on a directory; the rename itself is what is atomic.
  } finally {
    await d.close();
  }
}

export function createSender(o: SenderOptions): Sender {
  const now = o.now ?? Date.now;
  const base = o.baseBackoffMs ?? 5_000;
  const max = o.maxBackoffMs ?? 15 * 60_000;
  let chain: Promise<number> = Promise.resolve(0);
  const ready = mkdir(o.outbox, { recursive: true });
  // Stale temp files of a writer killed mid-write: nobody will rename them, and the row is still queued.
  const cleaned = ready.then(async () => {
    for (const n of await readdir(o.outbox)) if (n.startsWith('.') && n.endsWith('.tmp')) await unlink(join(o.outbox, n)).catch(() => undefined);
  });

  async function sendOne(row: OutboxRow): Promise<boolean> {
    const built = await buildSignedMessage(row, o.signer, o.senderId !== undefined ? { senderId: o.senderId } : {});
    if (!built.ok) {
      const detail = built.issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      await o.repo.markAttemptFailed(row.guid, `${built.stage}: ${detail}`, now() + backoffMs(row.attempts, base, max), now());
      o.log.error({ guid: row.guid, type: row.messageType, stage: built.stage, issues: built.issues.length }, 'e-port message not sent');
      await o.onProblem?.(row, built.stage, detail);
      return false;
    }
    const name = outboxFileName(row.messageType, row.guid);
    try {
      await writeAtomically(o.outbox, name, built.xml);
    } catch (e) {
      const msg = (e as Error).message;
      await o.repo.markAttemptFailed(row.guid, `write: ${msg}`, now() + backoffMs(row.attempts, base, max), now());
      o.log.warn({ guid: row.guid, err: msg }, 'e-port OutBox not writable; will retry');
      await o.onProblem?.(row, 'write', msg);
      return false;
    }
    await o.repo.markSent(row.guid, name, now());
    o.onSent?.(row);
    o.log.info({ guid: row.guid, type: row.messageType, subject: row.subject }, 'e-port message written to the OutBox');
    return true;
  }

  async function run(): Promise<number> {
    await cleaned;
    let sent = 0;
    for (;;) {
      const rows = await o.repo.due(now(), o.batch ?? 50);
      let progressed = false;
      for (const row of rows) {
        if (!(await sendOne(row))) continue;
        sent++;
        progressed = true;
      }
      if (rows.length < (o.batch ?? 50) || !progressed) return sent;
    }
  }

  return {
    pass() {
      chain = chain.catch(() => 0).then(run);
      return chain;
    },
  };
}

/** Whether a file is present in a directory (the OutBox) — for tests and the simulator. */
export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
