import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { openPostgresStorage } from '../../hub/storage/postgres.ts';
import { openSqliteStorage } from '../../hub/storage/sqlite.ts';
import type { Storage } from '../../hub/storage/storage.ts';
import { postgresAvailable, requireService } from './services.ts';

const pgUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
let pgChecked: boolean | undefined;

/**
 * Run one suite against both stores, each migrated and fresh: SQLite in a temporary file and PostgreSQL in a schema of
 * its own (skipped with a clear message when PostgreSQL is absent, an error under REQUIRE_SERVICES=1). The suite gets a
 * getter, valid inside its tests and hooks.
 */
export function eachStore(title: string, suite: (store: () => Storage, dialect: 'sqlite' | 'postgres') => void): void {
  describe(`${title} (SQLite)`, () => {
    let dir = '';
    let s: Storage | undefined;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'bg-repo-'));
      s = openSqliteStorage({ file: join(dir, 'hub.sqlite'), synchronous: 'NORMAL' });
      await s.migrate();
    });
    afterAll(async () => {
      await s?.close();
      rmSync(dir, { recursive: true, force: true });
    });
    suite(() => s!, 'sqlite');
  });
  pgChecked ??= requireService('PostgreSQL', available);
  describe.skipIf(!pgChecked)(`${title} (PostgreSQL)`, () => {
    const schema = `t_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    let s: Storage | undefined;
    beforeAll(async () => {
      s = await openPostgresStorage({ url: pgUrl, schema });
      await s.migrate();
    });
    afterAll(async () => {
      await s?.close();
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    });
    suite(() => s!, 'postgres');
  });
}

// Checked once per test file, at collection time (top-level await in the importing module's graph).
const available = await postgresAvailable(pgUrl);

/** A database of its own on the test PostgreSQL (for a whole hub), its URL and how to drop it. */
export async function freshPostgresDatabase(prefix: string, url = pgUrl): Promise<{ databaseUrl: string; cleanup: () => Promise<void> }> {
  const db = `${prefix}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const u = new URL(url);
  u.pathname = `/${db}`;
  return {
    databaseUrl: u.toString(),
    cleanup: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}
