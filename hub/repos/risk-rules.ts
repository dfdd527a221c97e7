import { lock, one, run, type Sql } from '../storage/sql.ts';

/**
 * Risk rule versions (风险规则版本): every version the full rule set as JSON, who made it, when and why, and which one
 * is active. Versions are never edited or deleted: a decision names the version it was made under, and an auditor
 * must be able to read that version years later.
 */
export interface RiskRuleVersion {
  version: number;
  /** The rule set's own `version` label, the one recorded on each decision. */
  label: string;
  /** The full rule set (RiskRules) as stored. */
  rules: unknown;
  author: string;
  createdMs: number;
  comment: string;
}
export type RiskRuleVersionSummary = Omit<RiskRuleVersion, 'rules'> & { active: boolean };

export interface RiskRulesRepo {
  migrate(): Promise<void>;
  /** Newest first. */
  list(limit: number, beforeVersion?: number): Promise<{ items: RiskRuleVersionSummary[]; nextBefore: number | null }>;
  get(version: number): Promise<RiskRuleVersion | undefined>;
  active(): Promise<RiskRuleVersion | undefined>;
  /** The number the next version will get. */
  nextVersion(): Promise<number>;
  /**
   * Store a new version and make it active, in one transaction. `make(n)` builds the rule set for number `n` (its
   * label may name the number). `onlyIfEmpty`: store only when there is no version yet (the config's seed).
   */
  add(make: (version: number) => { label: string; rules: unknown }, meta: { author: string; comment: string; nowMs: number; onlyIfEmpty?: boolean }): Promise<RiskRuleVersion | undefined>;
}

const MIGRATIONS = [
  `CREATE TABLE risk_rule_versions (
     version INTEGER PRIMARY KEY,
     label TEXT NOT NULL,
     rules TEXT NOT NULL,
     author TEXT NOT NULL,
     created_ms BIGINT NOT NULL,
     comment TEXT NOT NULL
   )`,
  // One row: the active version.
  'CREATE TABLE risk_rule_active (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)',
];

type Row = { version: number; label: string; rules: string; author: string; created_ms: number; comment: string };
const fromRow = (r: Row): RiskRuleVersion => ({ version: Number(r.version), label: r.label, rules: JSON.parse(r.rules) as unknown, author: r.author, createdMs: Number(r.created_ms), comment: r.comment });

export function openRiskRulesRepo(sql: Sql): RiskRulesRepo {
  const activeVersion = async () => Number((await sql.all<{ version: number }>('SELECT version FROM risk_rule_active WHERE id = 1'))[0]?.version ?? 0);
  return {
    migrate: () => sql.migrate('risk_rules', MIGRATIONS),
    async list(limit, beforeVersion) {
      const active = await activeVersion();
      const rows = await sql.all<Omit<Row, 'rules'>>(
        `SELECT version, label, author, created_ms, comment FROM risk_rule_versions ${beforeVersion !== undefined ? 'WHERE version < ?' : ''} ORDER BY version DESC LIMIT ?`,
        beforeVersion !== undefined ? [beforeVersion, limit + 1] : [limit + 1],
      );
      const items = rows.slice(0, limit).map((r) => ({ version: Number(r.version), label: r.label, author: r.author, createdMs: Number(r.created_ms), comment: r.comment, active: Number(r.version) === active }));
      return { items, nextBefore: rows.length > limit ? items[items.length - 1]!.version : null };
    },
    async get(version) {
      const r = await sql.all<Row>('SELECT * FROM risk_rule_versions WHERE version = ?', [version]);
      return r[0] && fromRow(r[0]);
    },
    async active() {
      const r = await sql.all<Row>('SELECT v.* FROM risk_rule_versions v JOIN risk_rule_active a ON a.version = v.version WHERE a.id = 1');
      return r[0] && fromRow(r[0]);
    },
    async nextVersion() {
      return Number((await sql.all<{ n: number | null }>('SELECT MAX(version) AS n FROM risk_rule_versions'))[0]?.n ?? 0) + 1;
    },
    add(make, meta) {
      return sql.tx(function* () {
        yield* lock('risk-rules');
        const max = Number((yield* one<{ n: number | null }>('SELECT MAX(version) AS n FROM risk_rule_versions'))?.n ?? 0);
        if (meta.onlyIfEmpty && max > 0) return undefined;
        const version = max + 1;
        const { label, rules } = make(version);
        yield* run('INSERT INTO risk_rule_versions (version, label, rules, author, created_ms, comment) VALUES (?, ?, ?, ?, ?, ?)', [version, label, JSON.stringify(rules), meta.author, meta.nowMs, meta.comment]);
        yield* run('INSERT INTO risk_rule_active (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version', [version]);
        return { version, label, rules, author: meta.author, createdMs: meta.nowMs, comment: meta.comment };
      });
    },
  };
}
