import type { PgPoolOptions } from './postgres.ts';
import type { Storage } from './storage.ts';

/** PostgreSQL when a postgres:// URL is given, else SQLite in a file; migrated and ready. */
export async function openStorage(opts: { databaseUrl?: string; sqliteFile: string; postgres?: PgPoolOptions }): Promise<Storage> {
  let storage: Storage;
  if (opts.databaseUrl && /^postgres(ql)?:\/\//.test(opts.databaseUrl)) {
    const { openPostgresStorage } = await import('./postgres.ts');
    storage = await openPostgresStorage({ url: opts.databaseUrl, ...opts.postgres });
  } else {
    const { openSqliteStorage } = await import('./sqlite.ts');
    storage = openSqliteStorage({ file: opts.sqliteFile });
  }
  await storage.migrate();
  return storage;
}
