import { GENESIS_HASH } from '../../shared/canonical.ts';
import { all, lock, one, run, type Migration, type Sql } from '../storage/sql.ts';
import type { Role } from '../storage/storage.ts';

/**
 * Accounts and credentials for the hub's admin surface ("Trust"): people (users, their sessions, login failures) and
 * gateways (their MQTT password). The `users`, `sessions` and `gateways` tables belong to the ingest store
 * (hub/storage); this module adds only the columns and the table admin needs, under its own migration key.
 *
 * Everything that must take effect at once happens in the same transaction as the change: disabling a user, changing
 * their role or their password ends their sessions (a session row carries the role it was issued with, so an old
 * session would otherwise keep the old rights until it expires).
 */
const MIGRATIONS: readonly Migration[] = [
  'ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0',
  'ALTER TABLE gateways ADD COLUMN revoked_ms BIGINT',
  // One row per counted login attempt and key (`pair:<address> <name>`, `user:<name>`, `ip:<address>`); the attempt id lets a success take
  // back the row it reserved under the IP key without touching other attempts from that address.
  'CREATE TABLE login_failures (attempt_id TEXT NOT NULL, key TEXT NOT NULL, at_ms BIGINT NOT NULL, PRIMARY KEY (attempt_id, key))',
  'CREATE INDEX login_failures_key ON login_failures (key, at_ms)',
  'CREATE INDEX login_failures_at ON login_failures (at_ms)',
];

export interface UserAccount {
  username: string;
  /** scrypt hash (hub/auth/passwords.ts); never leaves the hub. */
  passwordHash: string;
  role: Role;
  displayName: string;
  createdMs: number;
  disabled: boolean;
}

/** What an admin screen lists: no hash, plus how many unexpired sessions the user holds. */
export type UserSummary = Omit<UserAccount, 'passwordHash'> & { activeSessions: number };

export type UserChange = Partial<Pick<UserAccount, 'role' | 'displayName' | 'passwordHash' | 'disabled'>>;

export interface GatewayCredential {
  id: string;
  /** A password hash is stored: the broker accepts the gateway. */
  provisioned: boolean;
  /** When its credentials were last revoked; null when never, or when issued again since. */
  revokedMs: number | null;
}

export interface UsersRepo {
  migrate(): Promise<void>;
  get(username: string): Promise<UserAccount | undefined>;
  list(nowMs: number): Promise<UserSummary[]>;
  /** False when the user name is taken. */
  create(u: UserAccount): Promise<boolean>;
  /**
   * Read-modify-write one user, serialised with every other user change so "the last active admin" is counted
   * against committed state. `change` sees the user and the number of active (not disabled) admins and returns the
   * change, or null to leave it; a throw rolls back. A change of role, password or to disabled ends the user's
   * sessions in the same transaction. Undefined when the user does not exist.
   */
  update(username: string, change: (current: UserAccount, ctx: { activeAdmins: number }) => UserChange | null): Promise<{ user: UserAccount; sessionsEnded: number } | undefined>;

  /**
   * Count this login attempt before the password is checked, so parallel guesses cannot all slip under the limit:
   * under a lock on each key, read the attempts after `windowStartMs` (exclusive, newest first) and ask `decide`; when
   * allowed, store one row per key for `attemptId`. Rows at or before `windowStartMs` are pruned on the way.
   */
  reserveLoginAttempt<T extends { allowed: boolean }>(a: { attemptId: string; keys: readonly string[]; windowStartMs: number; atMs: number }, decide: (recentMs: ReadonlyMap<string, readonly number[]>) => T): Promise<T>;
  /** A successful login: take back the attempt's rows and clear every failure under `clearKeys`. */
  loginSucceeded(attemptId: string, clearKeys: readonly string[]): Promise<void>;
  /** Attempts counted under a key after a time (admin views, tests). */
  loginFailureCount(key: string, windowStartMs: number): Promise<number>;

  gatewayCredential(id: string): Promise<GatewayCredential | undefined>;
  /** Create the gateway with this password hash, or provision an existing one that has none. False when it has one. */
  registerGateway(id: string, passwordHash: string, nowMs: number): Promise<boolean>;
  /** Replace an existing gateway's password hash (and lift a revocation). False when the gateway is unknown. */
  setGatewayPassword(id: string, passwordHash: string): Promise<boolean>;
  /** Clear the hash and stamp the revocation (kept when already revoked). Undefined when the gateway is unknown. */
  revokeGateway(id: string, nowMs: number): Promise<{ revokedMs: number; wasProvisioned: boolean } | undefined>;
  /** Gateways whose credentials are revoked now (not issued again since). */
  revokedGateways(): Promise<string[]>;
}

interface UserRow {
  username: string;
  password_hash: string;
  role: string;
  display_name: string;
  created_ms: number;
  disabled: number;
}
const fromRow = (r: UserRow): UserAccount => ({ username: r.username, passwordHash: r.password_hash, role: r.role as Role, displayName: r.display_name, createdMs: Number(r.created_ms), disabled: Number(r.disabled) !== 0 });
const USER_COLUMNS = 'username, password_hash, role, display_name, created_ms, disabled';

/** Every user change takes this lock, so two admins demoting each other cannot both see two admins left. */
const USERS_LOCK = 'users:accounts';

export function openUsersRepo(sql: Sql): UsersRepo {
  return {
    migrate: () => sql.migrate('users', MIGRATIONS),

    async get(username) {
      const [r] = await sql.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username]);
      return r && fromRow(r);
    },

    async list(nowMs) {
      const rows = await sql.all<UserRow & { active_sessions: number }>(
        `SELECT u.username, u.password_hash, u.role, u.display_name, u.created_ms, u.disabled,
                (SELECT COUNT(*) FROM sessions s WHERE s.username = u.username AND s.expires_ms > ?) AS active_sessions
           FROM users u ORDER BY u.username`,
        [nowMs],
      );
      return rows.map((r) => {
        const { passwordHash: _hash, ...rest } = fromRow(r);
        return { ...rest, activeSessions: Number(r.active_sessions) };
      });
    },

    create(u) {
      return sql.tx(function* () {
        yield* lock(USERS_LOCK);
        const n = yield* run(`INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`, [u.username, u.passwordHash, u.role, u.displayName, u.createdMs, u.disabled ? 1 : 0]);
        return n === 1;
      });
    },

    update(username, change) {
      return sql.tx(function* () {
        yield* lock(USERS_LOCK);
        const row = yield* one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username]);
        if (!row) return undefined;
        const current = fromRow(row);
        const admins = yield* one<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0");
        const c = change(current, { activeAdmins: Number(admins?.n ?? 0) });
        if (!c) return { user: current, sessionsEnded: 0 };
        const next: UserAccount = { ...current, ...c };
        yield* run('UPDATE users SET role = ?, display_name = ?, password_hash = ?, disabled = ? WHERE username = ?', [next.role, next.displayName, next.passwordHash, next.disabled ? 1 : 0, username]);
        const endsSessions = next.role !== current.role || next.passwordHash !== current.passwordHash || (next.disabled && !current.disabled);
        const sessionsEnded = endsSessions ? yield* run('DELETE FROM sessions WHERE username = ?', [username]) : 0;
        return { user: next, sessionsEnded };
      });
    },

    reserveLoginAttempt(a, decide) {
      // Locks in a fixed order (sorted), so two attempts sharing both keys cannot wait on each other.
      const keys = [...new Set(a.keys)].sort();
      return sql.tx(function* () {
        for (const k of keys) yield* lock(`login:${k}`);
        yield* run('DELETE FROM login_failures WHERE at_ms <= ?', [a.windowStartMs]);
        const recent = new Map<string, number[]>();
        for (const k of keys) {
          const rows = yield* all<{ at_ms: number }>('SELECT at_ms FROM login_failures WHERE key = ? AND at_ms > ? ORDER BY at_ms DESC', [k, a.windowStartMs]);
          recent.set(k, rows.map((r) => Number(r.at_ms)));
        }
        const verdict = decide(recent);
        if (verdict.allowed) for (const k of keys) yield* run('INSERT INTO login_failures (attempt_id, key, at_ms) VALUES (?, ?, ?)', [a.attemptId, k, a.atMs]);
        return verdict;
      });
    },

    loginSucceeded(attemptId, clearKeys) {
      return sql.tx(function* () {
        yield* run('DELETE FROM login_failures WHERE attempt_id = ?', [attemptId]);
        for (const k of clearKeys) yield* run('DELETE FROM login_failures WHERE key = ?', [k]);
      });
    },

    async loginFailureCount(key, windowStartMs) {
      const [r] = await sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM login_failures WHERE key = ? AND at_ms > ?', [key, windowStartMs]);
      return Number(r?.n ?? 0);
    },

    async gatewayCredential(id) {
      const [r] = await sql.all<{ id: string; password_hash: string | null; revoked_ms: number | null }>('SELECT id, password_hash, revoked_ms FROM gateways WHERE id = ?', [id]);
      return r && { id: r.id, provisioned: r.password_hash !== null, revokedMs: r.revoked_ms === null ? null : Number(r.revoked_ms) };
    },

    registerGateway(id, passwordHash, nowMs) {
      return sql.tx(function* () {
        yield* lock(`gateway:${id}`);
        const r = yield* one<{ password_hash: string | null }>('SELECT password_hash FROM gateways WHERE id = ?', [id]);
        if (r?.password_hash) return false;
        if (r) yield* run('UPDATE gateways SET password_hash = ?, revoked_ms = NULL WHERE id = ?', [passwordHash, id]);
        else yield* run('INSERT INTO gateways (id, password_hash, head_hash, created_ms) VALUES (?, ?, ?, ?)', [id, passwordHash, GENESIS_HASH, nowMs]);
        return true;
      });
    },

    setGatewayPassword(id, passwordHash) {
      return sql.tx(function* () {
        yield* lock(`gateway:${id}`);
        return (yield* run('UPDATE gateways SET password_hash = ?, revoked_ms = NULL WHERE id = ?', [passwordHash, id])) === 1;
      });
    },

    revokeGateway(id, nowMs) {
      return sql.tx(function* () {
        yield* lock(`gateway:${id}`);
        const r = yield* one<{ password_hash: string | null; revoked_ms: number | null }>('SELECT password_hash, revoked_ms FROM gateways WHERE id = ?', [id]);
        if (!r) return undefined;
        const revokedMs = r.password_hash === null && r.revoked_ms !== null ? Number(r.revoked_ms) : nowMs;
        yield* run('UPDATE gateways SET password_hash = NULL, revoked_ms = ? WHERE id = ?', [revokedMs, id]);
        return { revokedMs, wasProvisioned: r.password_hash !== null };
      });
    },

    async revokedGateways() {
      return (await sql.all<{ id: string }>('SELECT id FROM gateways WHERE revoked_ms IS NOT NULL AND password_hash IS NULL ORDER BY id')).map((r) => r.id);
    },
  };
}
