import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditAnchor, AUDIT_HEAD_FILE, readAuditHead } from '../hub/audit-anchor.ts';
import { anchorOf, checkAuditHead, sealAudit, signAuditCheckpoint } from '../hub/audit.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { verifyAuditChain } from '../hub/services/audit.ts';
import { loadOrCreateSigningKey } from '../hub/signing-key.ts';
import { run } from '../hub/storage/sql.ts';
import { parseConfig } from '../shared/config-file.ts';
import { generateJournalKeys } from '../shared/journal-chain.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';
import { spawnNode } from './helpers/processes.ts';
import { eachStore } from './helpers/stores.ts';

/**
 * Issue 13, item 16: deleting the newest audit entries leaves a valid, shorter chain. The hub signs checkpoints of
 * the head and keeps them apart from the database; verification reports a chain that ends below the checkpoint, or
 * that holds another entry where the signed one was.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-audit-head-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyOf = () => ({ ...generateJournalKeys(), keyId: 'test-key' });

describe('audit head checkpoint (pure)', () => {
  const a = sealAudit(undefined, { actor: 'o1', action: 'parcel.hold', subject: 'P1' }, 1);
  const b = sealAudit(a, { actor: 'o1', action: 'parcel.release', subject: 'P1' }, 2);
  const key = keyOf();
  const cp = signAuditCheckpoint(b, 1000, key);

  it('accepts a chain that reaches the signed head with the signed entry there, or goes beyond it', () => {
    const anchor = anchorOf(cp, key.publicKeyPem);
    expect(anchor).toEqual({ status: 'signed', checkpoint: cp });
    expect(checkAuditHead({ headSeq: 2, hashAtCheckpoint: b.hash }, anchor)).toBeUndefined();
    expect(checkAuditHead({ headSeq: 9, hashAtCheckpoint: b.hash }, anchor)).toBeUndefined();
    expect(checkAuditHead({ headSeq: 0, hashAtCheckpoint: undefined }, { status: 'none' })).toBeUndefined();
  });

  it('reports a chain below the signed head (deleted newest entries) and another entry in the signed place', () => {
    const anchor = anchorOf(cp, key.publicKeyPem);
    expect(checkAuditHead({ headSeq: 1, hashAtCheckpoint: undefined }, anchor)).toEqual({ seq: 2, reason: expect.stringMatching(/entry 2 is missing.*newest entries were deleted/) });
    expect(checkAuditHead({ headSeq: 0, hashAtCheckpoint: undefined }, anchor)).toEqual({ seq: 1, reason: expect.stringMatching(/entries 1\.\.2 are missing/) });
    const other = sealAudit(a, { actor: 'o9', action: 'parcel.release', subject: 'P1' }, 3);
    expect(checkAuditHead({ headSeq: 3, hashAtCheckpoint: other.hash }, anchor)).toEqual({ seq: 2, reason: expect.stringMatching(/not the one the hub signed/) });
  });

  it('refuses a checkpoint moved by hand, signed by another key, or not a checkpoint', () => {
    expect(anchorOf({ ...cp, seq: 1 }, key.publicKeyPem)).toMatchObject({ status: 'bad', reason: expect.stringMatching(/not signed by this hub's key/) });
    expect(anchorOf({ ...cp, hash: a.hash }, key.publicKeyPem)).toMatchObject({ status: 'bad' });
    expect(anchorOf(cp, keyOf().publicKeyPem)).toMatchObject({ status: 'bad' });
    expect(anchorOf({ seq: 2 }, key.publicKeyPem)).toMatchObject({ status: 'bad', reason: expect.stringMatching(/not a checkpoint/) });
    expect(checkAuditHead({ headSeq: 2, hashAtCheckpoint: b.hash }, { status: 'bad', reason: 'altered' })).toEqual({ seq: 2, reason: 'altered' });
  });
});

eachStore('audit head checkpoint', (store) => {
  it('finds the newest entries deleted in the database, and keeps the checkpoint when the chain grows again', async () => {
    const storage = store();
    const anchorDir = mkdtempSync(join(dir, 'anchor-'));
    const anchor = new AuditAnchor({ storage, dataDir: anchorDir, key: keyOf(), log, now: () => 5000 });
    expect(await anchor.checkpoint()).toBe('unchanged'); // nothing to anchor yet
    for (let i = 1; i <= 5; i++) await storage.appendAudit({ actor: 'officer-1', action: 'parcel.hold', subject: `P${i}` }, i);
    expect(await anchor.checkpoint()).toBe('written');
    expect(await anchor.checkpoint()).toBe('unchanged');
    expect(statSync(join(anchorDir, AUDIT_HEAD_FILE)).mode & 0o777).toBe(0o600);
    expect(await verifyAuditChain(storage, 2, undefined, anchor.read())).toMatchObject({ ok: true, checked: 5, checkpoint: { seq: 5, atMs: 5000 } });

    // Someone with database access removes the two newest entries: the chain left is valid on its own.
    await storage.sql.tx(function* () {
      return yield* run('DELETE FROM audit WHERE seq > ?', [3]);
    });
    expect(await verifyAuditChain(storage)).toMatchObject({ ok: true, checked: 3 });
    expect(await verifyAuditChain(storage, 2, undefined, anchor.read())).toMatchObject({ ok: false, checked: 3, firstBad: { seq: 4, reason: expect.stringMatching(/entries 4\.\.5 are missing/) } });
    const signed = readFileSync(join(anchorDir, AUDIT_HEAD_FILE), 'utf8');
    expect(await anchor.checkpoint()).toBe('refused');

    // The hub appends on top of the shortened chain: seq 4 and 5 exist again, but 5 is not the entry that was signed.
    for (let i = 4; i <= 6; i++) await storage.appendAudit({ actor: 'officer-1', action: 'parcel.hold', subject: `Q${i}` }, 10 + i);
    expect(await verifyAuditChain(storage, 2, undefined, anchor.read())).toMatchObject({ ok: false, firstBad: { seq: 5, reason: expect.stringMatching(/not the one the hub signed/) } });
    expect(await anchor.checkpoint()).toBe('refused');
    expect(readFileSync(join(anchorDir, AUDIT_HEAD_FILE), 'utf8')).toBe(signed); // the evidence is not overwritten
  });
});

describe('audit head checkpoint at the hub', () => {
  let hub: RunningHub | undefined;
  afterAll(async () => hub?.stop());

  it('signs the head at shutdown; after the newest row is deleted, the CLI and GET /api/audit/verify report it', async () => {
    const adminPassword = randomBytes(18).toString('base64url');
    const config = { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword } };
    hub = await startHub(parseConfig(HubConfig, config, 'test'), log);
    for (const subject of ['EA000000015CN', 'EA000000029CN', 'EA000000032CN']) await hub.storage.appendAudit({ actor: 'officer-1', action: 'parcel.hold', subject }, Date.now());
    await hub.stop(); // the last checkpoint is written at shutdown
    hub = undefined;
    const key = loadOrCreateSigningKey(join(dir, 'hub'));
    const anchor = readAuditHead(join(dir, 'hub'), key.publicKeyPem);
    expect(anchor).toMatchObject({ status: 'signed', checkpoint: { seq: 3 } });

    const db = new Database(join(dir, 'hub', 'hub.sqlite'));
    db.prepare('DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)').run();
    db.close();

    const cfg = join(dir, 'hub.json');
    writeFileSync(cfg, JSON.stringify(config));
    const cli = spawnNode([resolve(import.meta.dirname, '../bin/bondgate.mjs'), 'audit', 'verify', '--config', cfg], { name: 'audit-verify-head' });
    expect((await cli.exited).code).toBe(3);
    expect(cli.output()).toMatch(/audit chain BROKEN at entry 3: entry 3 is missing: the chain ends at entry 2, below the head the hub signed/);

    // Started again on the shortened store, the hub does not move its checkpoint back, and says what it found.
    hub = await startHub(parseConfig(HubConfig, config, 'test'), log);
    const login = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
    const { token } = (await login.json()) as { token: string };
    const res = await fetch(`${hub.httpUrl}/api/audit/verify`, { headers: { authorization: `Bearer ${token}` } });
    expect(await res.json()).toMatchObject({ ok: false, checked: 2, firstBad: { seq: 3, reason: expect.stringMatching(/deleted/) } });
    expect(readAuditHead(join(dir, 'hub'), key.publicKeyPem)).toEqual(anchor);
  }, 60_000);
});
