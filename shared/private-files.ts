import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';

/**
 * Stores and backups hold private keys (the hub's rules-signing key, a gateway's journal key), password hashes and
 * PII (issue 13, item 10): they are made readable by their owner only, whatever the umask. A mode given at creation
 * is only narrowed by the umask, but a file made by an older version (or by SQLite, which uses 0644 & ~umask) keeps
 * its mode, so each is also chmod'ed when it is opened.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Create `dir` (and parents) and make it 0700 if this process owns it (a shared parent such as /var/lib is left alone). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (ownedByMe(dir)) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Write a file readable by its owner only (replacing what was there). */
export function writePrivateFile(path: string, content: string | Uint8Array): void {
  writeFileSync(path, content, { mode: PRIVATE_FILE_MODE });
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** chmod 0600 a file that exists (a key made by an older version, a restored copy). */
export function makePrivate(path: string): void {
  if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE);
}

/**
 * Before SQLite opens `file`: create it 0600 if missing (an empty file is an empty database) and fix the mode of an
 * existing one and of its -wal, -shm and -journal files. SQLite creates the WAL and SHM with the mode of the database
 * file (os_unix.c findCreateFileMode), so they follow it from then on. ":memory:" and "" are not files.
 */
export function preparePrivateSqliteFile(file: string): void {
  if (file === ':memory:' || file === '' || file.startsWith('file:')) return;
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const suffix of ['', '-wal', '-shm', '-journal']) makePrivate(`${file}${suffix}`);
}

function ownedByMe(path: string): boolean {
  return typeof process.getuid !== 'function' || statSync(path).uid === process.getuid();
}
