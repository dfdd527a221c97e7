import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * The hub's domain repositories (customs cases, release slips, returns, stock, traceability, users) are written once
 * against this port and run on SQLite and PostgreSQL alike.
 *
 * A transaction body is a generator that yields SQL requests (`yield* all(...)`, `yield* run(...)`) and gets typed
 * rows back — the same shape as the watermark check (watermark.ts). Why not an async callback: better-sqlite3 is
 * synchronous and shares one connection with the ingest path; an async body would leave the transaction open across
 * event-loop turns, and an unrelated ingest that ran inside it would be rolled back with it after being acked. A
 * generator is driven to the end synchronously inside one SQLite transaction, and asynchronously, statement by
 * statement, inside one PostgreSQL transaction.
 *
 * SQL is written once: `?` placeholders (rewritten to $1… for PostgreSQL), portable types (TEXT, BIGINT,
 * DOUBLE PRECISION, INTEGER for booleans), ON CONFLICT upserts, RETURNING. JSON goes in TEXT columns. Where the
 * dialects really differ a migration gives both texts.
 */
/** Buffer: a BLOB (SQLite) or BYTEA (PostgreSQL). */
export type SqlParam = string | number | bigint | null | Buffer;
export interface SqlReq {
  readonly mode: 'all' | 'run' | 'lock';
  readonly sql: string;
  readonly params: readonly SqlParam[];
}
export type SqlBody<R> = Generator<SqlReq, R, unknown>;

/** Rows of a query, typed by the caller (column names as written in the SQL; BIGINT and NUMERIC come back as numbers). */
export function* all<T>(sql: string, params: readonly SqlParam[] = []): Generator<SqlReq, T[], unknown> {
  return (yield { mode: 'all', sql, params }) as T[];
}
export function* one<T>(sql: string, params: readonly SqlParam[] = []): Generator<SqlReq, T | undefined, unknown> {
  return ((yield { mode: 'all', sql, params }) as T[])[0];
}
/** A write; returns the number of rows it changed. */
export function* run(sql: string, params: readonly SqlParam[] = []): Generator<SqlReq, number, unknown> {
  return (yield { mode: 'run', sql, params }) as number;
}
/**
 * Serialise transactions on a key (e.g. a parcel or slip number) until this one ends. SQLite transactions are already
 * serial (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock on the key's hash.
 */
export function* lock(key: string): Generator<SqlReq, void, unknown> {
  yield { mode: 'lock', sql: '', params: [key] };
}

/**
 * A migration step: one text for both dialects, one each, or a data step — a transaction body (rows read and rewritten
 * in code) run inside the migration's transaction, once, like any other step.
 */
export type Migration = string | { sqlite: string; postgres: string } | { data: () => SqlBody<void> };

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /** Run a body in one transaction; a throw rolls all of it back. */
  tx<R>(body: () => SqlBody<R>): Promise<R>;
  /** A read outside any transaction. */
  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /**
   * Apply a module's migrations in order, once each (tracked per module, so repositories migrate independently of
   * each other and of the ingest store). Safe when several hubs start at once.
   */
  migrate(module: string, steps: readonly Migration[]): Promise<void>;
}

const MODULE_MIGRATIONS = 'CREATE TABLE IF NOT EXISTS module_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, applied_ms BIGINT NOT NULL, PRIMARY KEY (module, version))';
const stepText = (m: Exclude<Migration, { data: unknown }>, dialect: Sql['dialect']) => (typeof m === 'string' ? m : m[dialect]);

// ---------------------------------------------------------------------------------------------------------------------
// SQLite

export function sqliteSql(db: Database.Database): Sql {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const exec = (r: SqlReq): unknown => {
    if (r.mode === 'lock') return undefined;
    const s = prepare(r.sql);
    if (r.mode === 'all') return s.all(...r.params);
    return s.run(...r.params).changes;
  };
  const drive = <R>(body: () => SqlBody<R>): R => {
    const g = body();
    let step = g.next();
    while (!step.done) step = g.next(exec(step.value));
    return step.value;
  };
  return {
    dialect: 'sqlite',
    async tx(body) {
      return db.transaction(() => drive(body)).immediate();
    },
    async all<T>(sql: string, params: readonly SqlParam[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async migrate(module, steps) {
      db.exec(MODULE_MIGRATIONS);
      db.transaction(() => {
        const applied = new Set(db.prepare('SELECT version FROM module_migrations WHERE module = ?').pluck().all(module) as number[]);
        steps.forEach((m, i) => {
          if (applied.has(i + 1)) return;
          if (typeof m === 'object' && 'data' in m) drive(m.data);
          else db.exec(stepText(m, 'sqlite'));
          db.prepare('INSERT INTO module_migrations (module, version, applied_ms) VALUES (?, ?, ?)').run(module, i + 1, Date.now());
        });
      }).immediate();
      cache.clear(); // statements prepared against the old schema must be prepared again
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// PostgreSQL

/** `?` → `$1, $2…` (our SQL never has a literal question mark). */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// BIGINT (20) and NUMERIC (1700) as numbers: ms timestamps and sums stay far below 2^53, and both dialects then agree.
const INT8 = 20;
const NUMERIC = 1700;
const numberTypes = (types: typeof pg.types) => ({
  getTypeParser: ((oid: number, format?: string) => (oid === INT8 || oid === NUMERIC ? (v: string) => (v === null ? null : Number(v)) : types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
});

/** Any two hubs migrating modules at once take turns on this advisory lock. */
const MODULE_MIGRATION_LOCK = 7_243_002;

export function postgresSql(pool: pg.Pool, types: typeof pg.types): Sql {
  const queryTypes = numberTypes(types);
  const text = new Map<string, string>();
  const pgText = (sql: string) => {
    let t = text.get(sql);
    if (t === undefined) {
      t = toPgPlaceholders(sql);
      text.set(sql, t);
    }
    return t;
  };
  const exec = async (c: pg.PoolClient | pg.Pool, r: SqlReq): Promise<unknown> => {
    if (r.mode === 'lock') {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [r.params[0]]);
      return undefined;
    }
    const res = await c.query({ text: pgText(r.sql), values: r.params as unknown[], types: queryTypes });
    return r.mode === 'all' ? res.rows : (res.rowCount ?? 0);
  };
  return {
    dialect: 'postgres',
    async tx(body) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const g = body();
        let step = g.next();
        while (!step.done) step = g.next(await exec(c, step.value));
        await c.query('COMMIT');
        return step.value;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    async all<T>(sql: string, params: readonly SqlParam[] = []) {
      return (await exec(pool, { mode: 'all', sql, params })) as T[];
    },
    async migrate(module, steps) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock($1)', [MODULE_MIGRATION_LOCK]);
        await c.query(MODULE_MIGRATIONS);
        const applied = new Set((await c.query<{ version: number }>('SELECT version FROM module_migrations WHERE module = $1', [module])).rows.map((r) => Number(r.version)));
        for (const [i, m] of steps.entries()) {
          if (applied.has(i + 1)) continue;
          if (typeof m === 'object' && 'data' in m) {
            const g = m.data();
            let step = g.next();
            while (!step.done) step = g.next(await exec(c, step.value));
          } else await c.query(stepText(m, 'postgres'));
          await c.query('INSERT INTO module_migrations (module, version, applied_ms) VALUES ($1, $2, $3)', [module, i + 1, Date.now()]);
        }
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
  };
}
