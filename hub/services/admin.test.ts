import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isBondgateError } from '../../shared/errors.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { backoffDelayMs, hashToken, LOGIN_BACKOFF, login, LoginRateLimited, loginThrottle } from '../auth/sessions.ts';
import { openUsersRepo, type UsersRepo } from '../repos/users.ts';
import { HubConfig } from '../config.ts';
import type { Role } from '../storage/storage.ts';
import { passwordRuleIssues } from '../auth/password-policy.ts';
import { STRENGTH_WORKER_IDLE_MS, stopStrengthWorker, strengthWorkerRunning } from '../auth/strength-pool.ts';
import { AdminService, passwordIssues, userActionRefusal, type UserAction } from './admin.ts';

describe('password policy', () => {
  afterAll(() => stopStrengthWorker());
  const short = 'must be at least 12 characters';
  const spaces = 'must not be only spaces';
  const common = 'is a commonly used password (with digits, symbols or look-alike letters added)';
  const withName = 'must not be the user name with little else added';
  const guessable = /^is too easy to guess \(strength [0-2] of 4, at least 3 needed\)/;
  it.each([
    ['officer-7', 'long enough pass', []],
    ['officer-7', 'amber-lantern', []], // 13
    ['officer-7', 'amber-lante', [short]],
    ['officer-7', '', [short, spaces]],
    // What the attack run got accepted: ten spaces, ten of one letter.
    ['officer-7', '          ', [short, spaces]],
    ['officer-7', '            ', [spaces]], // twelve
    ['officer-7', 'aaaaaaaaaaaa', [guessable]],
    ['officer-7', 'abcdefghijklm', [guessable]],
    ['officer-7', 'xo-xo-xo-xo-xo', [guessable]],
    ['officer-7', 'lkjlkjlkj2kj', [guessable]],
    // Keyboard walks: rows, columns, back and forth.
    ['officer-7', 'qwertyuiop[]', [common]],
    ['officer-7', '1q2w3e4r5t6y', [common]],
    ['officer-7', 'zxcvbnm,./asdf', [guessable]],
    ['officer-7', 'poiuytrewqasdf', [guessable]],
    ['officer-7', 'qazwsxedcrfv', [guessable]],
    ['officer-7', 'mnbvcxzlkjhgf', [guessable]],
    ['officer-7', 'zaq1xsw2cde3vfr4', [guessable]],
    ['officer-7', 'password1234', [common]],
    ['officer-7', 'P@ssw0rd2024!', [common]],
    ['officer-7', 'iloveyou-1314', [common]],
    // Only the estimator knows these words; only the list knows pinyin and the zone's words.
    ['officer-7', 'sunflower1987', [guessable]],
    ['officer-7', 'Woaini.Woaini', [common]],
    ['officer-7', 'customs2024!', [common]],
    ['officer-7', 'Bondgate2024!', [common]],
    ['officer-7', '138-1234-5678', ['needs letters, or at least 16 characters']], // a phone number: the estimator says 4
    ['officer-7', '1380013800099871', []], // 16 digits: long enough without letters
    // The user name with digits: the rule when little is added, the estimator (the name is a known word) beyond.
    ['lin.hai-77', 'Lin.Hai-77', [short, 'must not be the user name']], // case does not make it different
    ['lin.hai', 'lin.hai123456', [withName]],
    ['lin.hai', 'lin.hai-2024-0612', [withName]],
    ['wang.fang', 'wang.fang.2024', [withName]],
    ['wang.fang', 'wang.fang.19870612', [withName]], // the estimator would take it (3)
    ['wang.fang', 'Wang.Fang-password', [withName]],
    ['zhoujielun', 'zh0uj1elun2024', [guessable]], // the name in look-alike letters: the estimator knows it
    ['wang.fang', 'wang.fang:amber-lantern', []], // more than the name, and not a common word
    ['officer-7', '密码密码密码密码密码密码', [guessable]], // 12 characters, counted as characters, but one word repeated
    ['officer-7', '海关保税区夜班第三检查台', []],
    ['officer-7', '海关保税区夜班第三检', [short]],
    // Long random passphrases.
    ['officer-7', 'correct horse battery staple', []],
    ['officer-7', 'tidal-quartz-mimosa-falcon', []],
    ['officer-7', 'Ferry lights hum under the 3rd bridge', []],
    ['officer-7', 'x7#Kq2!vLp9@Wm4z', []],
    // Longer than the estimator reads: judged by its first 64 characters, so a weak start stays weak.
    ['officer-7', `${'a'.repeat(70)}tidal-quartz-mimosa-falcon`, [guessable]],
    ['officer-7', `tidal-quartz-mimosa-falcon-${'a'.repeat(200)}`, []],
  ] as const)('%s / %j', async (username, password, messages) => {
    const issues = await passwordIssues(username, password);
    expect(issues.map((i) => i.message)).toEqual(messages.map((m) => (typeof m === 'string' ? m : expect.stringMatching(m))));
    expect(issues.every((i) => i.field === 'password')).toBe(true);
  });

  it("names the estimator's warning and what to do in the message", async () => {
    const [issue] = await passwordIssues('officer-7', 'aaaaaaaaaaaa');
    expect(issue!.message).toMatch(/Repeated characters like "aaa" are easy to guess/);
    expect(issue!.message).toMatch(/Avoid repeated words and characters/);
  });

  it("knows the product's name and the user name as words a guesser tries", async () => {
    // Each alone is a strong-looking string to the estimator; as the product's or the user's name it is not.
    expect(await passwordIssues('officer-7', 'bondgate-demo')).toEqual([{ field: 'password', message: expect.stringMatching(guessable) }]);
    expect(await passwordIssues('zhoujielun', 'nuleijuohz2024')).toEqual([{ field: 'password', message: expect.stringMatching(guessable) }]); // reversed
    expect(await passwordIssues('lin.hai', 'nuleijuohz2024')).toEqual([]);
  });

  it('the rules alone (the config check) leave the estimate to the full policy', async () => {
    expect(passwordRuleIssues('admin', 'aaaaaaaaaaaa')).toEqual([]);
    expect(await passwordIssues('admin', 'aaaaaaaaaaaa')).toHaveLength(1);
    expect(passwordRuleIssues('lin.hai', 'lin.hai-24')).toEqual([{ field: 'password', message: short }, { field: 'password', message: withName }]);
  });

  it('estimates on a worker thread that ends once unused for a while, and starts again for the next check', async () => {
    await stopStrengthWorker();
    expect(passwordRuleIssues('admin', 'aaaaaaaaaaaa')).toEqual([]); // the rules alone never start it
    expect(strengthWorkerRunning()).toBe(false);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      expect(await passwordIssues('admin', 'aaaaaaaaaaaa')).toHaveLength(1);
      expect(strengthWorkerRunning()).toBe(true);
      vi.advanceTimersByTime(STRENGTH_WORKER_IDLE_MS - 1000);
      expect(await passwordIssues('lin.hai', 'nuleijuohz2024')).toEqual([]); // a check restarts the wait
      vi.advanceTimersByTime(STRENGTH_WORKER_IDLE_MS - 1000);
      expect(strengthWorkerRunning()).toBe(true);
      vi.advanceTimersByTime(1000);
      expect(strengthWorkerRunning()).toBe(false); // ended: its isolate, the dictionaries' memory, is gone
      expect(await passwordIssues('admin', 'aaaaaaaaaaaa')).toHaveLength(1); // and the same answer from a new one
      expect(strengthWorkerRunning()).toBe(true);
    } finally {
      vi.useRealTimers();
      await stopStrengthWorker();
    }
  });
});

describe('the first admin password (auth.adminPassword)', () => {
  it.each([
    ['bondgate-demo-harbour', true], // the demo's
    ['changeme', false], // 8 characters were enough before
    ['            ', false],
    ['admin-admin-2024', false],
    ['harbour-lamp-at-dusk', true],
  ] as const)('%j accepted: %s', (adminPassword, ok) => {
    const r = HubConfig.safeParse({ auth: { adminPassword } });
    expect(r.success).toBe(ok);
    if (!r.success) expect(r.error.issues.every((i) => i.path.join('.') === 'auth.adminPassword')).toBe(true);
  });
});

describe('who may be disabled or demoted', () => {
  const admin = (username: string, disabled = false) => ({ username, role: 'admin' as Role, disabled });
  const demote: UserAction = { kind: 'set-role', role: 'manager' };
  it.each([
    ['another admin, two active', 'root', admin('ops'), { kind: 'disable' }, 2, undefined],
    ['another admin demoted, two active', 'root', admin('ops'), demote, 2, undefined],
    ['themselves, disable', 'root', admin('root'), { kind: 'disable' }, 3, 'FORBIDDEN'],
    ['themselves, demote', 'root', admin('root'), demote, 3, 'FORBIDDEN'],
    ['themselves, role stays admin', 'root', admin('root'), { kind: 'set-role', role: 'admin' }, 1, undefined],
    ['the last active admin', 'root', admin('ops'), { kind: 'disable' }, 1, 'CONFLICT'],
    ['the last active admin demoted', 'root', admin('ops'), { kind: 'set-role', role: 'operator' }, 1, 'CONFLICT'],
    ['an already disabled admin demoted', 'root', admin('ops', true), demote, 1, undefined],
    ['a non-admin', 'root', { username: 'm', role: 'manager' as Role, disabled: false }, { kind: 'disable' }, 1, undefined],
  ] as const)('%s', (_title, actor, target, action, activeAdmins, code) => {
    expect(userActionRefusal(actor, target, action as UserAction, activeAdmins)?.code).toBe(code);
  });
});

describe('login backoff', () => {
  const now = 10_000_000;
  const { pair, user } = LOGIN_BACKOFF;
  it.each([
    [0, 0], [2, 0], [3, 1000], [4, 2000], [5, 4000], [12, 512_000], [13, 900_000], [500, 900_000],
  ] as const)('%i attempts from one address ask a wait of %i ms', (n, ms) => {
    expect(backoffDelayMs(n, pair)).toBe(ms);
  });
  it('the per-user wait never exceeds its cap: the account is slowed, never locked', () => {
    expect([9, 10, 11, 12, 13, 10_000].map((n) => backoffDelayMs(n, user))).toEqual([0, 1000, 2000, 4000, 5000, 5000]);
  });
  it.each([
    ['nothing counted', [{ timesMs: [], rule: pair }], { allowed: true }],
    ['free attempts', [{ timesMs: [now - 1, now - 2], rule: pair }], { allowed: true }],
    // 3 failures: 1 s after the newest.
    ['waiting', [{ timesMs: [now - 200, now - 300, now - 400], rule: pair }], { allowed: false, retryAfterMs: 800 }],
    ['waited long enough', [{ timesMs: [now - 1000, now - 1100, now - 1200], rule: pair }], { allowed: true }],
    // The pair asks 2 s after now − 500, the user 5 s after now − 4000: the longer wait.
    ['two keys: the longer wait', [{ timesMs: [now - 500, now - 600, now - 700, now - 800], rule: pair }, { timesMs: Array.from({ length: 20 }, (_, i) => now - 4000 - i), rule: user }], { allowed: false, retryAfterMs: 1500 }],
    ['no keys', [], { allowed: true }],
  ] as const)('%s', (_t, recent, expected) => {
    expect(loginThrottle(recent, now)).toEqual(expected);
  });
});

eachStore('admin service', (store) => {
  let users: UsersRepo;
  let clock = 1_800_000_000_000;
  const disconnected: string[] = [];
  let svc: AdminService;
  beforeAll(async () => {
    users = openUsersRepo(store().sql);
    await users.migrate();
    await users.migrate(); // idempotent: a second hub starting on the same database
    svc = new AdminService({ storage: store(), users, mqttUrl: 'mqtt://hub.zone:1883', disconnectGateway: (id) => (disconnected.push(id), 1), now: () => clock });
  });
  const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isBondgateError(e) ? e.code : String(e)));
  const fields = async (p: Promise<unknown>) => p.then(() => [], (e: unknown) => (isBondgateError(e) ? e.fields.map((f) => f.field) : []));
  const signIn = (u: string, p: string, ip = '10.0.0.1') => login(store(), u, p, 3600_000, clock, { ip });

  it('creates users of every role, refuses a taken name and a weak password, and lists them without hashes', async () => {
    for (const role of ['admin', 'manager', 'officer', 'operator'] as const) await svc.createUser('root', { username: `u-${role}`, password: `${role}-password-1`, role, displayName: `The ${role}` });
    expect(await code(svc.createUser('root', { username: 'u-officer', password: 'another-password', role: 'operator', displayName: 'x' }))).toBe('CONFLICT');
    expect(await fields(svc.createUser('root', { username: 'weak', password: 'short', role: 'operator', displayName: 'x' }))).toEqual(['password']);
    expect(await users.get('weak')).toBeUndefined();

    const stored = await users.get('u-officer');
    expect(stored).toMatchObject({ role: 'officer', displayName: 'The officer', disabled: false, createdMs: clock });
    expect(await verifyPassword('officer-password-1', stored!.passwordHash)).toBe(true);

    await signIn('u-officer', 'officer-password-1');
    const listed = await svc.listUsers();
    expect(listed.find((u) => u.username === 'u-officer')).toEqual({ username: 'u-officer', role: 'officer', displayName: 'The officer', createdMs: clock, disabled: false, activeSessions: 1 });
    expect(JSON.stringify(listed)).not.toMatch(/scrypt|password/);
  });

  it('ends the sessions of a user whose role or password changes or who is disabled; a name change keeps them', async () => {
    await svc.createUser('root', { username: 'sam', password: 'sam-harbour-lamp-1', role: 'operator', displayName: 'Sam' });
    const s1 = await signIn('sam', 'sam-harbour-lamp-1');
    await svc.updateUser('root', 'sam', { displayName: 'Sam Lee' });
    expect(await store().getSession(s1.session.tokenHash, clock)).toBeDefined();

    await svc.updateUser('root', 'sam', { role: 'officer' });
    expect(await store().getSession(s1.session.tokenHash, clock)).toBeUndefined();
    const s2 = await signIn('sam', 'sam-harbour-lamp-1');
    expect(s2.session.role).toBe('officer');

    expect(new Set(await fields(svc.updateUser('root', 'sam', { password: 'Sam' })))).toEqual(new Set(['password']));
    await svc.updateUser('root', 'sam', { password: 'sam-harbour-lamp-2' });
    expect(await store().getSession(s2.session.tokenHash, clock)).toBeUndefined();
    expect(await code(signIn('sam', 'sam-harbour-lamp-1'))).toBe('UNAUTHENTICATED');
    const s3 = await signIn('sam', 'sam-harbour-lamp-2');

    await svc.setDisabled('root', 'sam', true);
    expect(await store().getSession(hashToken(s3.token), clock)).toBeUndefined();
    // Disabled: the right password gets the same answer as a wrong one.
    expect(await code(signIn('sam', 'sam-harbour-lamp-2'))).toBe('UNAUTHENTICATED');
    await svc.setDisabled('root', 'sam', false);
    expect((await signIn('sam', 'sam-harbour-lamp-2')).session.username).toBe('sam');

    expect(await code(svc.updateUser('root', 'nobody', { displayName: 'x' }))).toBe('NOT_FOUND');
    expect(await code(svc.setDisabled('root', 'nobody', true))).toBe('NOT_FOUND');
    const audit = (await store().auditRange(1, 1000)).filter((e) => e.subject === 'sam');
    expect(audit.map((e) => e.action)).toEqual(['user.create', 'user.update', 'user.update', 'user.update', 'user.disable', 'user.enable']);
    expect(audit[2]!.detail).toMatchObject({ changed: ['role'], role: 'officer', previousRole: 'operator', sessionsEnded: 1 });
    expect(audit[3]!.detail).toMatchObject({ changed: ['password'], sessionsEnded: 1 });
    expect(audit.every((e) => e.actor === 'root')).toBe(true);
    expect(JSON.stringify(audit)).not.toMatch(/sam-password|scrypt/);
  });

  it('keeps the last active admin and refuses an admin disabling or demoting themselves', async () => {
    await svc.createUser('u-admin', { username: 'second-admin', password: 'second-admin-harbour-lamp', role: 'admin', displayName: 'Second' });
    // Two active admins (u-admin, second-admin): each may not act on themselves, may on the other.
    expect(await code(svc.setDisabled('u-admin', 'u-admin', true))).toBe('FORBIDDEN');
    expect(await code(svc.updateUser('u-admin', 'u-admin', { role: 'manager' }))).toBe('FORBIDDEN');
    expect(await code(svc.setDisabled('u-admin', 'second-admin', true))).toBe('ok');
    // Now u-admin is the only active admin: nobody (not even a service acting as someone else) removes it.
    expect(await code(svc.setDisabled('second-admin', 'u-admin', true))).toBe('CONFLICT');
    expect(await code(svc.updateUser('cli', 'u-admin', { role: 'officer' }))).toBe('CONFLICT');
    expect((await users.get('u-admin'))!).toMatchObject({ role: 'admin', disabled: false });
    // Its own password and name may change.
    expect(await code(svc.updateUser('u-admin', 'u-admin', { displayName: 'Chief' }))).toBe('ok');
    await svc.setDisabled('u-admin', 'second-admin', false);
  });

  it('two admins demoting each other at once leave one admin', async () => {
    await svc.createUser('root', { username: 'duel-a', password: 'duel-a-harbour-lamp', role: 'admin', displayName: 'A' });
    await svc.createUser('root', { username: 'duel-b', password: 'duel-b-harbour-lamp', role: 'admin', displayName: 'B' });
    // Leave only the duelling pair active.
    for (const u of (await svc.listUsers()).filter((x) => x.role === 'admin' && !x.username.startsWith('duel'))) await users.update(u.username, () => ({ disabled: true }));
    const results = await Promise.all([code(svc.setDisabled('duel-a', 'duel-b', true)), code(svc.setDisabled('duel-b', 'duel-a', true))]);
    expect(results.sort()).toEqual(['CONFLICT', 'ok']);
    expect((await svc.listUsers()).filter((u) => u.role === 'admin' && !u.disabled)).toHaveLength(1);
    for (const u of ['u-admin', 'second-admin', 'duel-a', 'duel-b']) await users.update(u, () => ({ disabled: false }));
  });

  it('slows a guesser from one address without locking the user out: their own address signs in at once, the guesser\'s after the wait', async () => {
    await svc.createUser('root', { username: 'target', password: 'target-harbour-lamp', role: 'officer', displayName: 'T' });
    await svc.createUser('root', { username: 'bystander', password: 'bystander-harbour-lamp', role: 'officer', displayName: 'B' });
    const guesser = '10.66.0.1';
    for (let i = 0; i < 3; i++) expect(await code(signIn('target', `guess-${i}-lamp`, guesser))).toBe('UNAUTHENTICATED');
    // The 4th guess from that address waits 1 s, the right password included (the guesser learns nothing from it).
    const refused = await signIn('target', 'target-harbour-lamp', guesser).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LoginRateLimited);
    expect((refused as LoginRateLimited).code).toBe('RATE_LIMITED');
    expect((refused as LoginRateLimited).retryAfterMs).toBe(1000);
    // The real user, from their own address, is not held up at all; others are not either.
    expect((await signIn('target', 'target-harbour-lamp', '10.1.0.7')).session.username).toBe('target');
    expect((await signIn('bystander', 'bystander-harbour-lamp', guesser)).session.username).toBe('bystander');
    // The guesser's waits double: 1 s, 2 s, 4 s, … (a refused attempt is not counted, so each wait ends).
    const waits: number[] = [];
    for (let i = 3; i < 8; i++) {
      const e = await signIn('target', `guess-${i}-lamp`, guesser).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LoginRateLimited);
      waits.push((e as LoginRateLimited).retryAfterMs);
      clock += (e as LoginRateLimited).retryAfterMs;
      expect(await code(signIn('target', `guess-${i}-lamp`, guesser))).toBe('UNAUTHENTICATED');
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000]);
    // After the wait, the right password from the guesser's address (a user sharing it behind NAT) works, and clears it.
    clock += 32_000;
    expect(await code(signIn('target', 'target-harbour-lamp', guesser))).toBe('ok');
    expect(await users.loginFailureCount(`pair:${guesser} target`, clock - LOGIN_BACKOFF.windowMs)).toBe(0);
    clock += LOGIN_BACKOFF.windowMs;
  });

  it('many addresses guessing one account slow it to the per-user cap, never more; one address spraying is slowed, not locked', async () => {
    // 30 addresses, one guess each: the account's wait grows to 5 s and stays there.
    const waits: number[] = [];
    for (let i = 0; i < 30; i++) {
      let r = await signIn('target', 'spray-guess-lamp', `10.77.0.${i}`).catch((e: unknown) => e);
      if (r instanceof LoginRateLimited) {
        waits.push(r.retryAfterMs);
        clock += r.retryAfterMs;
        r = await signIn('target', 'spray-guess-lamp', `10.77.0.${i}`).catch((e: unknown) => e);
      }
      expect(isBondgateError(r) && r.code).toBe('UNAUTHENTICATED');
    }
    expect(Math.max(...waits)).toBe(LOGIN_BACKOFF.user.capMs);
    // The user, mid-attack, waits at most those 5 s.
    const held = await signIn('target', 'target-harbour-lamp', '10.1.0.7').catch((e: unknown) => e);
    expect(held instanceof LoginRateLimited ? held.retryAfterMs : 0).toBeLessThanOrEqual(LOGIN_BACKOFF.user.capMs);
    clock += LOGIN_BACKOFF.user.capMs;
    expect(await code(signIn('target', 'target-harbour-lamp', '10.1.0.7'))).toBe('ok');

    // One address over many user names (or every client behind one untrusted proxy): slowed to 5 s at most.
    clock += LOGIN_BACKOFF.windowMs;
    const ip = '192.0.2.50';
    for (let i = 0; i < 20; i++) expect(await code(signIn(`nobody-${i}`, 'whatever-lamp', ip))).toBe('UNAUTHENTICATED');
    const slowed = await signIn('bystander', 'bystander-harbour-lamp', ip).catch((e: unknown) => e);
    expect((slowed as LoginRateLimited).retryAfterMs).toBeLessThanOrEqual(LOGIN_BACKOFF.ip.capMs);
    clock += (slowed as LoginRateLimited).retryAfterMs;
    expect(await code(signIn('bystander', 'bystander-harbour-lamp', ip))).toBe('ok');

    // Parallel guesses cannot all slip under: each is counted before its password is checked.
    clock += LOGIN_BACKOFF.windowMs;
    const burst = await Promise.all(Array.from({ length: 12 }, () => code(signIn('target', 'wrong-guess', '198.51.100.1'))));
    expect(burst.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(LOGIN_BACKOFF.pair.free);
    expect(burst.filter((c) => c === 'RATE_LIMITED')).toHaveLength(12 - LOGIN_BACKOFF.pair.free);
  });

  it('issues gateway credentials once, rotates and revokes them, disconnecting the live client', async () => {
    disconnected.length = 0;
    const issued = await svc.registerGateway('root', 'GW-ADMIN-1');
    expect(issued).toMatchObject({ gatewayId: 'GW-ADMIN-1', username: 'GW-ADMIN-1', mqttUrl: 'mqtt://hub.zone:1883', topicPrefix: 'bondgate/v1/gw/GW-ADMIN-1/', publishes: 'bondgate/v1/gw/GW-ADMIN-1/up/#', subscribes: 'bondgate/v1/gw/GW-ADMIN-1/down/#' });
    expect(issued.password.length).toBeGreaterThanOrEqual(24);
    const hash = (await store().getGateway('GW-ADMIN-1'))!.passwordHash;
    expect(await verifyPassword(issued.password, hash)).toBe(true);
    expect(await code(svc.registerGateway('root', 'GW-ADMIN-1'))).toBe('CONFLICT');

    const rotated = await svc.rotateGatewayCredentials('root', 'GW-ADMIN-1');
    expect(rotated.password).not.toBe(issued.password);
    const hash2 = (await store().getGateway('GW-ADMIN-1'))!.passwordHash;
    expect(await verifyPassword(issued.password, hash2)).toBe(false);
    expect(await verifyPassword(rotated.password, hash2)).toBe(true);
    expect(rotated.disconnected).toBe(1);

    clock += 1000;
    const revoked = await svc.revokeGatewayCredentials('root', 'GW-ADMIN-1');
    expect(revoked).toEqual({ gatewayId: 'GW-ADMIN-1', revokedMs: clock, disconnected: 1 });
    expect((await store().getGateway('GW-ADMIN-1'))!.passwordHash).toBeNull();
    expect(await users.gatewayCredential('GW-ADMIN-1')).toEqual({ id: 'GW-ADMIN-1', provisioned: false, revokedMs: clock });
    // Revoking again keeps the first time; registering again re-issues and lifts the revocation.
    expect((await svc.revokeGatewayCredentials('root', 'GW-ADMIN-1')).revokedMs).toBe(clock - 0);
    const again = await svc.registerGateway('root', 'GW-ADMIN-1');
    expect(await users.gatewayCredential('GW-ADMIN-1')).toEqual({ id: 'GW-ADMIN-1', provisioned: true, revokedMs: null });
    expect(disconnected).toEqual(['GW-ADMIN-1', 'GW-ADMIN-1', 'GW-ADMIN-1']);

    expect(await code(svc.rotateGatewayCredentials('root', 'GW-NOPE'))).toBe('NOT_FOUND');
    expect(await code(svc.revokeGatewayCredentials('root', 'GW-NOPE'))).toBe('NOT_FOUND');
    const audit = (await store().auditRange(1, 1000)).filter((e) => e.subject === 'GW-ADMIN-1');
    expect(audit.map((e) => e.action)).toEqual(['gateway.register', 'gateway.credentials.rotate', 'gateway.credentials.revoke', 'gateway.credentials.revoke', 'gateway.register']);
    const text = JSON.stringify(audit);
    for (const p of [issued.password, rotated.password, again.password]) expect(text).not.toContain(p);
    expect(text).not.toMatch(/scrypt/);
  });
});
