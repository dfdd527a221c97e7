import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/log.ts';
import { PRIVATE_FILE_MODE } from '../shared/private-files.ts';
import { anchorOf, signAuditCheckpoint, type AuditHeadAnchor } from './audit.ts';
import type { Storage } from './storage/storage.ts';

/**
 * The audit chain's head, anchored outside the database (issue 13, item 16): a signed checkpoint of the newest entry
 * in `audit-head.json` in the hub's data directory, so someone who can change the database (a PostgreSQL login, a
 * copy of hub.sqlite) cannot delete the newest entries unnoticed — `bondgate audit verify` and GET /api/audit/verify
 * report a chain that ends below the checkpoint. The checkpoint follows the head every `intervalMs` and at shutdown;
 * entries appended since the last one are not yet anchored.
 *
 * The checkpoint only moves forward along the chain it signed: when the chain is found below it or no longer holds
 * the signed entry, it is left as it is (and logged), so the evidence stays until an operator looks.
 */
export const AUDIT_HEAD_FILE = 'audit-head.json';

export function readAuditHead(dataDir: string, publicKeyPem: string | undefined): AuditHeadAnchor {
  const file = join(dataDir, AUDIT_HEAD_FILE);
  if (!existsSync(file)) return { status: 'none' };
  if (publicKeyPem === undefined) return { status: 'bad', reason: `${AUDIT_HEAD_FILE} is there but the hub's public key (rules-signing-key.pub.pem) is not: it cannot be checked` };
  let stored: unknown;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { status: 'bad', reason: `${AUDIT_HEAD_FILE} is not JSON (altered or damaged)` };
  }
  return anchorOf(stored, publicKeyPem);
}

/** Replace the checkpoint atomically (written, synced, renamed over the old one): a crash leaves the old or the new. */
function writeAuditHead(dataDir: string, content: string): void {
  const file = join(dataDir, AUDIT_HEAD_FILE);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export type CheckpointOutcome = 'written' | 'unchanged' | 'refused';

export class AuditAnchor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CheckpointOutcome> = Promise.resolve('unchanged');
  private refusedReason: string | undefined;

  constructor(
    private readonly d: {
      storage: Storage;
      dataDir: string;
      key: { privateKeyPem: string; publicKeyPem: string; keyId: string };
      log: Logger;
      now?: () => number;
      intervalMs?: number;
    },
  ) {}

  /** What verification holds the chain against (read from disk each time: the file is the anchor, not this object). */
  read(): AuditHeadAnchor {
    return readAuditHead(this.d.dataDir, this.d.key.publicKeyPem);
  }

  /** Anchor the head now, then every `intervalMs`. */
  async start(): Promise<void> {
    await this.checkpoint();
    this.timer = setInterval(() => void this.checkpoint().catch((err: unknown) => this.d.log.error({ err }, 'audit head checkpoint failed')), this.d.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** The last checkpoint, at shutdown (before the store closes). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checkpoint();
  }

  /** Sign the current head if it moved on from the checkpoint along the same chain. One at a time. */
  checkpoint(): Promise<CheckpointOutcome> {
    const next = this.running.catch(() => 'unchanged' as const).then(() => this.advance());
    this.running = next;
    return next;
  }

  private async advance(): Promise<CheckpointOutcome> {
    const anchor = this.read();
    const head = await this.d.storage.auditHead();
    if (anchor.status === 'bad') return this.refuse(anchor.reason);
    if (anchor.status === 'signed') {
      const cp = anchor.checkpoint;
      if (!head || head.seq < cp.seq) return this.refuse(`the audit chain ends at entry ${head?.seq ?? 0}, below the signed head (entry ${cp.seq}): its newest entries were deleted`);
      const signed = head.seq === cp.seq ? head : (await this.d.storage.auditRange(cp.seq, 1))[0];
      if (signed?.seq !== cp.seq || signed.hash !== cp.hash) return this.refuse(`audit entry ${cp.seq} is not the one signed as the head: the chain was rewritten`);
      if (head.seq === cp.seq) return 'unchanged';
    }
    if (!head) return 'unchanged';
    writeAuditHead(this.d.dataDir, JSON.stringify(signAuditCheckpoint(head, (this.d.now ?? Date.now)(), this.d.key)));
    this.refusedReason = undefined;
    return 'written';
  }

  private refuse(reason: string): CheckpointOutcome {
    // Once per finding: the timer would otherwise repeat it every interval.
    if (this.refusedReason !== reason) this.d.log.error({ file: join(this.d.dataDir, AUDIT_HEAD_FILE) }, `audit head checkpoint kept, not advanced: ${reason}; run "bondgate audit verify"`);
    this.refusedReason = reason;
    return 'refused';
  }
}
