import { beforeAll, describe, expect, it } from 'vitest';
import { isBondgateError } from '../../shared/errors.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { hashToken, LOGIN_LIMITS, login, LoginRateLimited, loginThrottle } from '../auth/sessions.ts';
import { openUsersRepo, type UsersRepo } from '../repos/users.ts';
import type { Role } from '../storage/storage.ts';
import { AdminService, passwordIssues, userActionRefusal, type UserAction } from './admin.ts';

describe('password policy', () => {
  it.each([
    ['officer-7', 'long enough pass', []],
    ['officer-7', 'short-pass', []], // exactly 10
    ['officer-7', 'short-pas', ['must be at least 10 characters']],
    ['officer-7', '', ['must be at least 10 characters']],
    ['officer-77', 'Officer-77', ['must not be the user name']], // case does not make it different
    ['abc', 'abc', ['must be at least 10 characters', 'must not be the user name']],
    ['officer-7', '密码密码密码密码密码', []], // 10 characters, 30 bytes: counted as characters
    ['officer-7', '密码密码密码密码密', ['must be at least 10 characters']],
  ] as const)('%s / %j', (username, password, messages) => {
    const issues = passwordIssues(username, password);
    expect(issues.map((i) => i.message)).toEqual(messages);
    expect(issues.every((i) => i.field === 'password')).toBe(true);
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

describe('login throttle', () => {
  const now = 10_000_000;
  const w = LOGIN_LIMITS.windowMs;
  it.each([
    ['under both limits', [{ timesMs: [now - 1, now - 2, now - 3, now - 4], limit: 5 }], { allowed: true }],
    // The 5th newest attempt keeps the key at its limit: allowed again when it leaves the window.
    ['user at its limit', [{ timesMs: [now - 10, now - 20, now - 30, now - 40, now - 60_000], limit: 5 }], { allowed: false, retryAfterMs: w - 60_000 }],
    ['more than the limit: the limit-th newest decides', [{ timesMs: [now - 1000, now - 2000, now - 3000, now - 4000, now - 5000, now - 600_000], limit: 5 }], { allowed: false, retryAfterMs: w - 5000 }],
    // The user key frees up after w − 305 s, the address only after w − 1.019 s: the address decides.
    ['both keys over: the longer wait', [{ timesMs: [1, 2, 3, 4, 5].map((i) => now - 300_000 - i * 1000), limit: 5 }, { timesMs: Array.from({ length: 20 }, (_, i) => now - 1000 - i), limit: 20 }], { allowed: false, retryAfterMs: w - 1019 }],
    ['a wait of at least a second', [{ timesMs: [now - w + 10], limit: 1 }], { allowed: false, retryAfterMs: 1000 }],
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
    await svc.createUser('root', { username: 'sam', password: 'sam-password-1', role: 'operator', displayName: 'Sam' });
    const s1 = await signIn('sam', 'sam-password-1');
    await svc.updateUser('root', 'sam', { displayName: 'Sam Lee' });
    expect(await store().getSession(s1.session.tokenHash, clock)).toBeDefined();

    await svc.updateUser('root', 'sam', { role: 'officer' });
    expect(await store().getSession(s1.session.tokenHash, clock)).toBeUndefined();
    const s2 = await signIn('sam', 'sam-password-1');
    expect(s2.session.role).toBe('officer');

    expect(await fields(svc.updateUser('root', 'sam', { password: 'Sam' }))).toEqual(['password', 'password']);
    await svc.updateUser('root', 'sam', { password: 'sam-password-2' });
    expect(await store().getSession(s2.session.tokenHash, clock)).toBeUndefined();
    expect(await code(signIn('sam', 'sam-password-1'))).toBe('UNAUTHENTICATED');
    const s3 = await signIn('sam', 'sam-password-2');

    await svc.setDisabled('root', 'sam', true);
    expect(await store().getSession(hashToken(s3.token), clock)).toBeUndefined();
    // Disabled: the right password gets the same answer as a wrong one.
    expect(await code(signIn('sam', 'sam-password-2'))).toBe('UNAUTHENTICATED');
    await svc.setDisabled('root', 'sam', false);
    expect((await signIn('sam', 'sam-password-2')).session.username).toBe('sam');

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
    await svc.createUser('u-admin', { username: 'second-admin', password: 'second-admin-pw', role: 'admin', displayName: 'Second' });
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
    await svc.createUser('root', { username: 'duel-a', password: 'duel-a-password', role: 'admin', displayName: 'A' });
    await svc.createUser('root', { username: 'duel-b', password: 'duel-b-password', role: 'admin', displayName: 'B' });
    // Leave only the duelling pair active.
    for (const u of (await svc.listUsers()).filter((x) => x.role === 'admin' && !x.username.startsWith('duel'))) await users.update(u.username, () => ({ disabled: true }));
    const results = await Promise.all([code(svc.setDisabled('duel-a', 'duel-b', true)), code(svc.setDisabled('duel-b', 'duel-a', true))]);
    expect(results.sort()).toEqual(['CONFLICT', 'ok']);
    expect((await svc.listUsers()).filter((u) => u.role === 'admin' && !u.disabled)).toHaveLength(1);
    for (const u of ['u-admin', 'second-admin', 'duel-a', 'duel-b']) await users.update(u, () => ({ disabled: false }));
  });

  it('refuses the 6th attempt for a user name even with the right password, others and later attempts pass', async () => {
    await svc.createUser('root', { username: 'target', password: 'target-password', role: 'officer', displayName: 'T' });
    await svc.createUser('root', { username: 'bystander', password: 'bystander-pw', role: 'officer', displayName: 'B' });
    // Failures from several addresses count for the user name.
    for (let i = 0; i < 5; i++) expect(await code(signIn('target', `guess-${i}`, `10.1.0.${i}`))).toBe('UNAUTHENTICATED');
    const refused = await signIn('target', 'target-password', '10.9.9.9').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LoginRateLimited);
    expect((refused as LoginRateLimited).code).toBe('RATE_LIMITED');
    expect((refused as LoginRateLimited).retryAfterMs).toBe(LOGIN_LIMITS.windowMs);
    expect((await signIn('bystander', 'bystander-pw', '10.1.0.0')).session.username).toBe('bystander');
    // Refused attempts are not counted (else a guesser could keep the account locked for ever): the window ends.
    clock += LOGIN_LIMITS.windowMs;
    expect((await signIn('target', 'target-password')).session.username).toBe('target');
    // A success clears the user's failures: 4 more wrong, then the right one, works.
    for (let i = 0; i < 4; i++) await code(signIn('target', 'nope'));
    expect(await code(signIn('target', 'target-password'))).toBe('ok');
    expect(await users.loginFailureCount('user:target', clock - LOGIN_LIMITS.windowMs)).toBe(0);
  });

  it('refuses a 21st attempt from one address across user names, counting unknown users too', async () => {
    clock += LOGIN_LIMITS.windowMs;
    const ip = '192.0.2.50';
    for (let i = 0; i < 20; i++) expect(await code(signIn(`nobody-${i}`, 'whatever-pw', ip))).toBe('UNAUTHENTICATED');
    expect(await code(signIn('bystander', 'bystander-pw', ip))).toBe('RATE_LIMITED');
    expect(await code(signIn('bystander', 'bystander-pw', '192.0.2.51'))).toBe('ok');
    // Parallel guesses cannot all slip under the limit: each is counted before its password is checked.
    clock += LOGIN_LIMITS.windowMs;
    const burst = await Promise.all(Array.from({ length: 12 }, () => code(signIn('target', 'wrong-guess', '198.51.100.1'))));
    expect(burst.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(5);
    expect(burst.filter((c) => c === 'RATE_LIMITED')).toHaveLength(7);
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
