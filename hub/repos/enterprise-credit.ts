import { all, lock, one, run, type Sql } from '../storage/sql.ts';
import type { CreditClass } from '../customs/risk.ts';

/**
 * Enterprise credit classes (企业信用等级: advanced-certified 高级认证, general 一般信用, dishonest 失信) as the risk engine
 * reads them: the current class per enterprise code, and every change as a numbered version (who loaded what, when and
 * why, and each code's class before and after), never edited. An enterprise absent from the table is `general`.
 */
export interface CreditEntry {
  code: string;
  creditClass: CreditClass;
  name: string | null;
  /** The version that last set it. */
  version: number;
  updatedMs: number;
}

export interface CreditVersion {
  version: number;
  author: string;
  createdMs: number;
  comment: string;
  /** `merge`: the listed codes are set, others kept; `replace`: the list is the whole table (others removed). */
  mode: 'merge' | 'replace';
  /** Codes added or changed, and removed. */
  changed: number;
  removed: number;
}

export interface CreditChange {
  code: string;
  before: CreditClass | null;
  after: CreditClass | null;
}

export interface EnterpriseCreditRepo {
  migrate(): Promise<void>;
  /** Every enterprise with a class (the engine holds them in memory). */
  all(): Promise<CreditEntry[]>;
  get(code: string): Promise<CreditEntry | undefined>;
  /** Newest first. */
  versions(limit: number, beforeVersion?: number): Promise<{ items: CreditVersion[]; nextBefore: number | null }>;
  changes(version: number): Promise<CreditChange[]>;
  /**
   * Load a list as one new version, in one transaction. Entries equal to what is stored change nothing; a version is
   * written even when nothing changed (the load itself is a fact worth keeping).
   */
  load(entries: readonly { code: string; creditClass: CreditClass; name?: string | null }[], meta: { author: string; comment: string; mode: 'merge' | 'replace'; nowMs: number }): Promise<{ version: CreditVersion; changes: CreditChange[] }>;
}

const MIGRATIONS = [
  `CREATE TABLE enterprise_credit (
     code TEXT PRIMARY KEY,
     credit_class TEXT NOT NULL,
     name TEXT,
     version INTEGER NOT NULL,
     updated_ms BIGINT NOT NULL
   )`,
  `CREATE TABLE enterprise_credit_versions (
     version INTEGER PRIMARY KEY,
     author TEXT NOT NULL,
     created_ms BIGINT NOT NULL,
     comment TEXT NOT NULL,
     mode TEXT NOT NULL,
     changed INTEGER NOT NULL,
     removed INTEGER NOT NULL
   )`,
  `CREATE TABLE enterprise_credit_changes (
     version INTEGER NOT NULL,
     code TEXT NOT NULL,
     before_class TEXT,
     after_class TEXT,
     PRIMARY KEY (version, code)
   )`,
];

type EntryRow = { code: string; credit_class: CreditClass; name: string | null; version: number; updated_ms: number };
const entry = (r: EntryRow): CreditEntry => ({ code: r.code, creditClass: r.credit_class, name: r.name, version: Number(r.version), updatedMs: Number(r.updated_ms) });
type VersionRow = { version: number; author: string; created_ms: number; comment: string; mode: 'merge' | 'replace'; changed: number; removed: number };
const version = (r: VersionRow): CreditVersion => ({ version: Number(r.version), author: r.author, createdMs: Number(r.created_ms), comment: r.comment, mode: r.mode, changed: Number(r.changed), removed: Number(r.removed) });

export function openEnterpriseCreditRepo(sql: Sql): EnterpriseCreditRepo {
  return {
    migrate: () => sql.migrate('enterprise_credit', MIGRATIONS),
    async all() {
      return (await sql.all<EntryRow>('SELECT * FROM enterprise_credit ORDER BY code')).map(entry);
    },
    async get(code) {
      const r = await sql.all<EntryRow>('SELECT * FROM enterprise_credit WHERE code = ?', [code]);
      return r[0] && entry(r[0]);
    },
    async versions(limit, beforeVersion) {
      const rows = await sql.all<VersionRow>(
        `SELECT * FROM enterprise_credit_versions ${beforeVersion !== undefined ? 'WHERE version < ?' : ''} ORDER BY version DESC LIMIT ?`,
        beforeVersion !== undefined ? [beforeVersion, limit + 1] : [limit + 1],
      );
      const items = rows.slice(0, limit).map(version);
      return { items, nextBefore: rows.length > limit ? items[items.length - 1]!.version : null };
    },
    async changes(v) {
      const rows = await sql.all<{ code: string; before_class: CreditClass | null; after_class: CreditClass | null }>('SELECT code, before_class, after_class FROM enterprise_credit_changes WHERE version = ? ORDER BY code', [v]);
      return rows.map((r) => ({ code: r.code, before: r.before_class, after: r.after_class }));
    },
    load(entries, meta) {
      return sql.tx(function* () {
        yield* lock('enterprise-credit');
        const n = Number((yield* one<{ n: number | null }>('SELECT MAX(version) AS n FROM enterprise_credit_versions'))?.n ?? 0) + 1;
        const current = new Map<string, { credit_class: CreditClass; name: string | null }>();
        const rows = yield* all<{ code: string; credit_class: CreditClass; name: string | null }>('SELECT code, credit_class, name FROM enterprise_credit');
        for (const r of rows) current.set(r.code, r);
        const changes: CreditChange[] = [];
        const listed = new Set<string>();
        for (const e of entries) {
          listed.add(e.code);
          const before = current.get(e.code);
          const name = e.name ?? before?.name ?? null;
          if (before && before.credit_class === e.creditClass && before.name === name) continue;
          changes.push({ code: e.code, before: before?.credit_class ?? null, after: e.creditClass });
          yield* run(
            'INSERT INTO enterprise_credit (code, credit_class, name, version, updated_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET credit_class = excluded.credit_class, name = excluded.name, version = excluded.version, updated_ms = excluded.updated_ms',
            [e.code, e.creditClass, name, n, meta.nowMs],
          );
        }
        let removed = 0;
        if (meta.mode === 'replace') {
          for (const [code, before] of current) {
            if (listed.has(code)) continue;
            removed++;
            changes.push({ code, before: before.credit_class, after: null });
            yield* run('DELETE FROM enterprise_credit WHERE code = ?', [code]);
          }
        }
        for (const c of changes) yield* run('INSERT INTO enterprise_credit_changes (version, code, before_class, after_class) VALUES (?, ?, ?, ?)', [n, c.code, c.before, c.after]);
        const v: CreditVersion = { version: n, author: meta.author, createdMs: meta.nowMs, comment: meta.comment, mode: meta.mode, changed: changes.length - removed, removed };
        yield* run('INSERT INTO enterprise_credit_versions (version, author, created_ms, comment, mode, changed, removed) VALUES (?, ?, ?, ?, ?, ?, ?)', [n, v.author, v.createdMs, v.comment, v.mode, v.changed, v.removed]);
        return { version: v, changes };
      });
    },
  };
}
