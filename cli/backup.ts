import { execFile } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import Database from 'better-sqlite3';
import { EdgeConfig } from '../edge/config.ts';
import { applyHubEnv, HubConfig } from '../hub/config.ts';
import { AUDIT_HEAD_FILE } from '../hub/audit-anchor.ts';
import { loadConfigFile, parseConfig } from '../shared/config-file.ts';
import { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writePrivateFile } from '../shared/private-files.ts';

/**
 * Backups and restore (README, "Backups and restore").
 *
 * SQLite files (the edge's journal, a SQLite hub's store) are copied with SQLite's online backup API
 * (better-sqlite3 `db.backup`): it copies a consistent snapshot page by page while the edge or hub keeps writing
 * through its own connection (WAL), so nothing has to stop. The key files beside the database go INTO the backup
 * (a `bondgate_backup_files` table): a journal restored without its signing key would be continued under a new key
 * (a key_changed alert at the hub), and a hub without its rules-signing key would sign rules no gateway accepts.
 *
 * A PostgreSQL hub is backed up with pg_dump (custom format, one consistent snapshot of the database while hubs keep
 * ingesting) and restored with pg_restore into an empty database.
 *
 * A backup holds private keys, password hashes and PII (issue 13, item 10): it is created 0600 (a new directory for it
 * 0700) before anything is written into it, whatever the umask, and so is everything a restore puts in place.
 */
const run = promisify(execFile);
const FILES_TABLE = 'bondgate_backup_files';
const EDGE_KEYS = ['journal-key.pem', 'journal-key.pub.pem'];
// The audit head checkpoint goes with the store it anchors (hub/audit-anchor.ts).
const HUB_KEYS = ['rules-signing-key.pem', 'rules-signing-key.pub.pem', AUDIT_HEAD_FILE];

export interface BackupReport { kind: 'sqlite' | 'postgres'; out: string; bytes?: number; detail: Record<string, number | string> }

/** Online copy of a live SQLite database into `out`, with the named files of `dataDir` carried inside it. */
async function backupSqlite(file: string, dataDir: string, keyFiles: readonly string[], out: string): Promise<void> {
  if (!existsSync(file)) throw new Error(`no database at ${file} (is dataDir right?)`);
  createPrivateOut(out);
  // The files are read before the snapshot: the audit head checkpoint names an entry already committed, so the
  // snapshot taken after it holds that entry (a checkpoint newer than the snapshot would read as a truncation).
  const files = keyFiles.filter((name) => existsSync(join(dataDir, name))).map((name) => ({ name, content: readFileSync(join(dataDir, name)) }));
  // A second connection to the live file: readers never block the writer in WAL mode, so what lands in `out` is
  // one consistent snapshot while the owner keeps writing.
  const src = new Database(file, { fileMustExist: true });
  try {
    src.pragma('busy_timeout = 10000');
    // All pages in one step: a step-wise backup restarts whenever another connection writes between steps, so under
    // steady ingest it would never finish. One step reads inside one read transaction (WAL: writers go on meanwhile).
    await src.backup(out, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
  } finally {
    src.close();
  }
  const db = new Database(out);
  try {
    const ok = db.pragma('integrity_check', { simple: true });
    if (ok !== 'ok') throw new Error(`backup of ${file} failed its integrity check: ${String(ok)}`);
    db.exec(`CREATE TABLE ${FILES_TABLE} (name TEXT PRIMARY KEY, content BLOB NOT NULL)`);
    const put = db.prepare(`INSERT INTO ${FILES_TABLE} (name, content) VALUES (?, ?)`);
    for (const f of files) put.run(f.name, f.content);
    db.pragma('journal_mode = DELETE'); // one self-contained file
  } finally {
    db.close();
  }
  chmodSync(out, PRIVATE_FILE_MODE);
}

/** An empty 0600 file at `out` (its directory made 0700 if new), so the backup is never readable by others, not even while it is written. */
function createPrivateOut(out: string): void {
  mkdirSync(dirname(out), { recursive: true, mode: PRIVATE_DIR_MODE });
  rmSync(out, { force: true });
  closeSync(openSync(out, 'wx', PRIVATE_FILE_MODE));
  chmodSync(out, PRIVATE_FILE_MODE); // the umask may have narrowed it further, never widened; this states it
}

/** Put a SQLite backup in place of `file` (the process using it must be stopped) and restore the files it carries. */
function restoreSqlite(from: string, file: string, dataDir: string): string[] {
  if (!existsSync(from)) throw new Error(`no backup at ${from}`);
  ensurePrivateDir(dataDir);
  const tmp = `${file}.restoring`;
  copyFileSync(from, tmp); // copies the backup's mode: made private before it holds anything readable for long
  chmodSync(tmp, PRIVATE_FILE_MODE);
  const db = new Database(tmp);
  const restored: string[] = [];
  try {
    if (db.pragma('integrity_check', { simple: true }) !== 'ok') throw new Error(`${from} is damaged (integrity check failed)`);
    const hasFiles = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(FILES_TABLE);
    if (hasFiles) {
      for (const f of db.prepare(`SELECT name, content FROM ${FILES_TABLE}`).all() as { name: string; content: Buffer }[]) {
        writePrivateFile(join(dataDir, basename(f.name)), f.content);
        restored.push(basename(f.name));
      }
      db.exec(`DROP TABLE ${FILES_TABLE}`);
    }
  } finally {
    db.close();
  }
  // A stale WAL beside the old file would be replayed into the restored one: remove it with the file.
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  renameSync(tmp, file); // keeps the 0600 of tmp
  return restored;
}

const count = (file: string, sql: string): number => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return Number(db.prepare(sql).pluck().get() ?? 0);
  } finally {
    db.close();
  }
};

export async function backupEdge(dataDir: string, out: string): Promise<BackupReport> {
  await backupSqlite(join(dataDir, 'journal.sqlite'), dataDir, EDGE_KEYS, out);
  return {
    kind: 'sqlite',
    out,
    detail: {
      headSeq: count(out, 'SELECT COALESCE(MAX(seq), 0) FROM events'),
      ackedSeq: count(out, "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'acked_seq'), 0)"),
    },
  };
}

/**
 * Restoring an older journal is safe by design: the edge resumes from the restored head and re-sends what the backup
 * had not seen acked; the hub stores by (gateway, seq) and answers duplicates with its acked watermark. Events
 * journalled after the backup are lost to the hub unless it already had them (then it keeps them, and the edge's
 * next event under the same seq is refused as a chain break: restore an edge only when its own disk failed).
 */
export function restoreEdge(dataDir: string, from: string): string[] {
  return restoreSqlite(from, join(dataDir, 'journal.sqlite'), dataDir);
}

export async function backupHub(opts: { dataDir: string; databaseUrl?: string | undefined }, out: string): Promise<BackupReport> {
  if (opts.databaseUrl) {
    createPrivateOut(out); // pg_dump writes into it and keeps its mode
    // --format=custom: compressed, restorable table by table with pg_restore; one snapshot (repeatable read).
    await run('pg_dump', ['--format=custom', '--no-owner', '--file', out, '--dbname', opts.databaseUrl], { maxBuffer: 16 << 20 }).catch((e: NodeJS.ErrnoException) => {
      throw new Error(e.code === 'ENOENT' ? 'pg_dump not found: install the PostgreSQL client tools (same or newer major version as the server)' : `pg_dump failed: ${(e as { stderr?: string }).stderr ?? e.message}`);
    });
    chmodSync(out, PRIVATE_FILE_MODE);
    return { kind: 'postgres', out, detail: {} };
  }
  await backupSqlite(join(opts.dataDir, 'hub.sqlite'), opts.dataDir, HUB_KEYS, out);
  return { kind: 'sqlite', out, detail: { events: count(out, 'SELECT COUNT(*) FROM events'), auditEntries: count(out, 'SELECT COUNT(*) FROM audit') } };
}

/** Restore into a stopped hub's SQLite data dir, or into an EMPTY PostgreSQL database with pg_restore. */
export async function restoreHub(opts: { dataDir: string; databaseUrl?: string | undefined }, from: string): Promise<string[]> {
  if (opts.databaseUrl) {
    await run('pg_restore', ['--no-owner', '--exit-on-error', '--single-transaction', '--dbname', opts.databaseUrl, from], { maxBuffer: 16 << 20 }).catch((e: NodeJS.ErrnoException) => {
      throw new Error(e.code === 'ENOENT' ? 'pg_restore not found: install the PostgreSQL client tools' : `pg_restore failed: ${(e as { stderr?: string }).stderr ?? e.message}`);
    });
    return [];
  }
  const restored = restoreSqlite(from, join(opts.dataDir, 'hub.sqlite'), opts.dataDir);
  const head = join(opts.dataDir, AUDIT_HEAD_FILE);
  if (!restored.includes(AUDIT_HEAD_FILE) && existsSync(head)) {
    // A backup from before head checkpoints: the data dir's checkpoint is of the store being replaced, and would
    // report the restored chain as truncated. Kept aside, not deleted: it still says how far the old chain went.
    renameSync(head, join(opts.dataDir, AUDIT_HEAD_ASIDE));
    restored.push(`${AUDIT_HEAD_FILE} of the replaced store moved to ${AUDIT_HEAD_ASIDE}`);
  }
  return restored;
}
const AUDIT_HEAD_ASIDE = 'audit-head.before-restore.json';

const BACKUP_USAGE = `usage:
  bondgate backup edge --config EDGE.yaml --out FILE    online backup of the edge journal (and its key) while it runs
  bondgate backup hub [--config HUB.yaml] --out FILE    online backup of the hub store: SQLite file, or pg_dump of PostgreSQL
  bondgate restore edge --config EDGE.yaml --from FILE  put a backup in place (stop the edge first)
  bondgate restore hub [--config HUB.yaml] --from FILE  SQLite: replace the store (stop the hub first); PostgreSQL: pg_restore into an empty database`;

const PRIVATE_NOTE = 'The backup file is mode 0600 (owner only): keep it that way wherever you copy it, because';

/** `bondgate backup …` / `bondgate restore …`; returns the exit code. */
export async function runBackupCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string', short: 'c' }, out: { type: 'string' }, from: { type: 'string' } } });
  const [command, target] = positionals;
  const file = command === 'backup' ? values.out : values.from;
  if ((command !== 'backup' && command !== 'restore') || (target !== 'edge' && target !== 'hub') || !file || (target === 'edge' && !values.config)) {
    console.error(BACKUP_USAGE);
    return 2;
  }
  if (target === 'edge') {
    const { dataDir } = loadConfigFile(EdgeConfig, values.config!);
    if (command === 'backup') {
      const r = await backupEdge(dataDir, file);
      console.log(`edge journal backed up to ${file}: head seq ${r.detail.headSeq}, acked ${r.detail.ackedSeq}`);
      console.log(`${PRIVATE_NOTE} it holds the gateway's journal signing key.`);
    } else {
      const keys = restoreEdge(dataDir, file);
      console.log(`edge journal restored from ${file} into ${dataDir}${keys.length ? ` (with ${keys.join(', ')})` : ''}; the journal and keys are mode 0600 (owner only)`);
    }
    return 0;
  }
  const raw = values.config && existsSync(values.config) ? (loadConfigFile(HubConfig, values.config) as unknown as Record<string, unknown>) : {};
  const config = parseConfig(HubConfig, applyHubEnv(raw), values.config ?? 'environment');
  const where = { dataDir: config.dataDir, databaseUrl: config.databaseUrl };
  if (command === 'backup') {
    const r = await backupHub(where, file);
    console.log(`hub ${r.kind} store backed up to ${file}${Object.keys(r.detail).length ? `: ${Object.entries(r.detail).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`);
    console.log(`${PRIVATE_NOTE} it holds password hashes and personal data${r.kind === 'sqlite' ? ', and the rules-signing key' : ''}.`);
  } else {
    const keys = await restoreHub(where, file);
    console.log(`hub store restored from ${file}${keys.length ? ` (with ${keys.join(', ')})` : ''}${where.databaseUrl ? '' : '; the store and keys are mode 0600 (owner only)'}; run "bondgate audit verify" before starting it`);
  }
  return 0;
}
