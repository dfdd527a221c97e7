import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresAvailable, requireService } from '../../test/helpers/services.ts';
import { openPostgresStorage, POSTGRES_MIGRATIONS } from './postgres.ts';
import { openSqliteStorage, SQLITE_MIGRATIONS } from './sqlite.ts';
import type { Storage } from './storage.ts';

/**
 * The migration that stores originals once (issue 13 item 5): a store written by the old schema, where each document
 * carried its message's text, ends with one row per distinct message in document_originals, referenced by its SHA-256
 * from each document, and the same bytes served.
 */
const ORIGINAL = '<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">张伟</ceb:CEB311Message>\n';
const SHA = createHash('sha256').update(Buffer.from(ORIGINAL, 'utf8')).digest('hex');
const OLD_ROWS = [
  ['order', 'order:A', 'ORD-A', ORIGINAL, 5],
  ['order', 'order:B', 'ORD-B', ORIGINAL, 7],
  ['waybill', 'waybill:A', 'ORD-A', null, 9],
] as const;

async function expectMigrated(s: Storage): Promise<void> {
  const docs = [...(await s.documentsByOrder('ORD-A')), ...(await s.documentsByOrder('ORD-B'))];
  expect(docs.map((d) => [d.key, d.originalSha256]).sort()).toEqual([['order:A', SHA], ['order:B', SHA], ['waybill:A', null]]);
  const o = await s.getOriginal(SHA);
  expect(Buffer.from(o!.xml).toString('utf8')).toBe(ORIGINAL);
  expect(o!.receivedMs).toBe(5);
  expect(Number((await s.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM document_originals'))[0]!.n)).toBe(1);
}

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const run = requireService('PostgreSQL', await postgresAvailable(url));

describe('originals stored once: migration of existing data', () => {
  it('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-orig-mig-'));
    try {
      const file = join(dir, 'hub.sqlite');
      const db = new Database(file);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)');
      SQLITE_MIGRATIONS.slice(0, -1).forEach((sql, i) => {
        db.exec(sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(i + 1);
      });
      for (const [kind, key, orderNo, original, at] of OLD_ROWS) db.prepare("INSERT INTO customs_documents (kind, key, order_no, subject_key, body, original, received_ms) VALUES (?, ?, ?, NULL, '{}', ?, ?)").run(kind, key, orderNo, original, at);
      db.close();
      const s = openSqliteStorage({ file, synchronous: 'NORMAL' });
      await s.migrate();
      await expectMigrated(s);
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!run)('PostgreSQL', async () => {
    const schema = `t_orig_${process.pid}_${Date.now()}`;
    const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await c.connect();
    try {
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)');
      for (const [i, sql] of POSTGRES_MIGRATIONS.slice(0, -1).entries()) {
        await c.query(sql);
        await c.query('INSERT INTO schema_migrations VALUES ($1, 0)', [i + 1]);
      }
      for (const [kind, key, orderNo, original, at] of OLD_ROWS) await c.query("INSERT INTO customs_documents (kind, key, order_no, subject_key, body, original, received_ms) VALUES ($1, $2, $3, NULL, '{}', $4, $5)", [kind, key, orderNo, original, at]);
      const s = await openPostgresStorage({ url, schema });
      await s.migrate();
      await expectMigrated(s);
      await s.close();
    } finally {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  });
});
