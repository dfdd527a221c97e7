import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { backupEdge, backupHub, restoreEdge, restoreHub, runBackupCli } from '../cli/backup.ts';
import { EdgeJournal } from '../edge/journal.ts';
import { StationCache } from '../edge/station-cache.ts';
import { manualTimeSource } from '../edge/time-source.ts';
import { loadOrCreateSigningKey } from '../hub/signing-key.ts';
import { openSqliteStorage } from '../hub/storage/sqlite.ts';
import { postgresAvailable, requireService } from './helpers/services.ts';

/**
 * Issue 13, item 10: stores and backups hold private keys, password hashes and PII. Under the usual umask (022, which
 * leaves new files world-readable) every store file, key and backup is 0600 and the data directories 0700 — new ones,
 * and ones an older version left readable.
 */
const pgUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const pgRun = requireService('PostgreSQL', await postgresAvailable(pgUrl));
const pgTools = await promisify(execFile)('pg_dump', ['--version']).then(() => true, () => false);
// Octal text, so a failure reads "644", not 420.
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const dir = mkdtempSync(join(tmpdir(), 'bg-private-'));
let umask = 0;
beforeAll(() => {
  umask = process.umask(0o022);
});
afterAll(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

/** A file as an older version (or a careless copy) left it: world-readable. */
function readableByAll(path: string, content = ''): void {
  writeFileSync(path, content);
  chmodSync(path, 0o644);
}

describe('stores are owner-only', () => {
  it('the hub store, its WAL and SHM, new or left world-readable, and the rules-signing key in a 0700 data dir', async () => {
    const fresh = join(dir, 'hub-fresh');
    const s = openSqliteStorage({ file: join(fresh, 'hub.sqlite') });
    await s.migrate();
    await s.appendAudit({ actor: 'admin', action: 'user.create', subject: 'u1' }, 1);
    for (const f of ['hub.sqlite', 'hub.sqlite-wal', 'hub.sqlite-shm']) expect([f, mode(join(fresh, f))]).toEqual([f, '600']);
    expect(mode(fresh)).toBe('700');
    await s.close();

    const old = join(dir, 'hub-old');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    readableByAll(join(old, 'rules-signing-key.pem'), loadOrCreateSigningKey(fresh).privateKeyPem);
    readableByAll(join(old, 'rules-signing-key.pub.pem'), loadOrCreateSigningKey(fresh).publicKeyPem);
    loadOrCreateSigningKey(old);
    expect(mode(join(old, 'rules-signing-key.pem'))).toBe('600');
    expect(mode(old)).toBe('700');
    expect(mode(join(fresh, 'rules-signing-key.pem'))).toBe('600');
  });

  it('an existing world-readable hub store and WAL are made 0600 when opened', async () => {
    const d = join(dir, 'hub-upgrade');
    const first = openSqliteStorage({ file: join(d, 'hub.sqlite') });
    await first.migrate();
    await first.close();
    chmodSync(join(d, 'hub.sqlite'), 0o644);
    readableByAll(join(d, 'hub.sqlite-wal'));
    const s = openSqliteStorage({ file: join(d, 'hub.sqlite') });
    await s.migrate();
    await s.appendAudit({ actor: 'admin', action: 'user.create', subject: 'u1' }, 1);
    for (const f of ['hub.sqlite', 'hub.sqlite-wal', 'hub.sqlite-shm']) expect([f, mode(join(d, f))]).toEqual([f, '600']);
    await s.close();
  });

  it("the edge journal and station cache (the gateway's events, the feed's decisions)", async () => {
    const d = join(dir, 'edge-stores');
    mkdirSync(d);
    readableByAll(join(d, 'station-cache.sqlite'));
    const j = new EdgeJournal({ file: join(d, 'journal.sqlite'), gatewayId: 'GW-1', time: manualTimeSource(), quotaBytes: 64 * 1024 * 1024, synchronous: 'NORMAL' });
    await j.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: 'P1', payload: { code: 'P1', source: 'scanner' } });
    const c = new StationCache(join(d, 'station-cache.sqlite'), undefined);
    for (const f of ['journal.sqlite', 'journal.sqlite-wal', 'journal.sqlite-shm', 'station-cache.sqlite']) expect([f, mode(join(d, f))]).toEqual([f, '600']);
    c.close();
    j.close();
  });
});

describe('backups are owner-only', () => {
  afterEach(() => vi.restoreAllMocks());

  it('edge and SQLite hub backups, and what a restore puts in place, are 0600; the CLI says so', async () => {
    const edge = join(dir, 'edge');
    mkdirSync(edge);
    const j = new EdgeJournal({ file: join(edge, 'journal.sqlite'), gatewayId: 'GW-1', time: manualTimeSource(), quotaBytes: 64 * 1024 * 1024, synchronous: 'NORMAL' });
    await j.append({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: 'P1', payload: { code: 'P1', source: 'scanner' } });
    readableByAll(join(edge, 'journal-key.pem'), 'private');
    readableByAll(join(edge, 'journal-key.pub.pem'), 'public');
    const out = join(dir, 'backups', 'edge.sqlite');
    const r = await backupEdge(edge, out);
    j.close();
    expect(r.detail.headSeq).toBe(1);
    expect(mode(out)).toBe('600');
    expect(mode(join(dir, 'backups'))).toBe('700');

    const restoredEdge = join(dir, 'edge-restored');
    restoreEdge(restoredEdge, out);
    for (const f of ['journal.sqlite', 'journal-key.pem', 'journal-key.pub.pem']) expect([f, mode(join(restoredEdge, f))]).toEqual([f, '600']);
    expect(mode(restoredEdge)).toBe('700');

    const hub = join(dir, 'hub');
    const s = openSqliteStorage({ file: join(hub, 'hub.sqlite') });
    await s.migrate();
    await s.appendAudit({ actor: 'admin', action: 'user.create', subject: 'u1' }, 1);
    loadOrCreateSigningKey(hub);
    const cfg = join(dir, 'hub.json');
    writeFileSync(cfg, JSON.stringify({ dataDir: hub, auth: { adminPassword: 'a-long-enough-admin-password' } }));
    const hubOut = join(dir, 'hub-backup.sqlite');
    readableByAll(hubOut, 'an older backup in the way');
    const logged: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logged.push(a.join(' ')));
    expect(await runBackupCli(['backup', 'hub', '--config', cfg, '--out', hubOut])).toBe(0);
    await s.close();
    expect(mode(hubOut)).toBe('600');
    expect(logged.join('\n')).toMatch(/mode 0600 \(owner only\).*rules-signing key/s);

    const restoredHub = join(dir, 'hub-restored');
    const keys = await restoreHub({ dataDir: restoredHub }, hubOut);
    expect(keys).toContain('rules-signing-key.pem');
    for (const f of ['hub.sqlite', 'rules-signing-key.pem']) expect([f, mode(join(restoredHub, f))]).toEqual([f, '600']);
    expect(existsSync(join(restoredHub, 'hub.sqlite.restoring'))).toBe(false);
  });

  it.skipIf(!pgRun || !pgTools)('a pg_dump backup is 0600', async () => {
    const out = join(dir, 'pg', 'hub.dump');
    await backupHub({ dataDir: join(dir, 'unused'), databaseUrl: pgUrl }, out);
    expect(mode(out)).toBe('600');
    expect(mode(join(dir, 'pg'))).toBe('700');
  });
});
