import { z } from 'zod';
import { BondgateError } from '../../shared/errors.ts';
import { GATEWAY_ID_PATTERN } from '../../shared/ids.ts';
import { TOPIC_ROOT, topics } from '../../shared/topics.ts';
import { passwordIssues } from '../auth/password-policy.ts';
import { hashPassword, randomSecret } from '../auth/passwords.ts';
import type { UserAccount, UserChange, UserSummary, UsersRepo } from '../repos/users.ts';
import type { Role, Storage } from '../storage/storage.ts';
import type { BrokerAccounts } from './broker-accounts.ts';

/**
 * The hub's admin surface ("Trust"): user accounts and gateway credentials. Every change goes on the audit chain,
 * never with a password or a hash in it. The rules (password policy, who may be disabled or demoted) are the pure
 * functions below; the service reads and writes through the users repository and the store.
 */

export const UserRole = z.enum(['admin', 'manager', 'officer', 'operator']);
// The store's Role and this schema must name the same roles.
const _rolesAgree: [Role, z.infer<typeof UserRole>] extends [z.infer<typeof UserRole>, Role] ? true : never = true;
void _rolesAgree;

export { MIN_PASSWORD_LENGTH, passwordIssues } from '../auth/password-policy.ts';

export const Username = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit');
// Limits only; the policy (hub/auth/password-policy.ts) is checked by passwordIssues, which needs the user name too.
const Password = z.string().max(256);
const DisplayName = z.string().trim().min(1).max(128);

export const NewUser = z.object({ username: Username, password: Password, role: UserRole, displayName: DisplayName });
export type NewUser = z.infer<typeof NewUser>;
export const UserPatch = z
  .object({ role: UserRole.optional(), displayName: DisplayName.optional(), password: Password.optional() })
  .strict()
  .refine((p) => p.role !== undefined || p.displayName !== undefined || p.password !== undefined, 'name at least one of role, displayName, password');
export type UserPatch = z.infer<typeof UserPatch>;
// `hub` is the hub's own MQTT user name on the embedded broker: a gateway by that name would collide with it.
export const GatewayRegistration = z.object({
  id: z
    .string()
    .regex(GATEWAY_ID_PATTERN, 'letters, digits, _ or -, at most 64, starting with a letter or digit')
    .refine((id) => id.toLowerCase() !== 'hub', 'reserved for the hub itself'),
});

/** What an admin asks of an existing user. */
export type UserAction = { kind: 'set-role'; role: Role } | { kind: 'disable' };

/**
 * Pure: may `actor` do this to `target`, with `activeAdmins` active admins in the store? An admin cannot disable or
 * demote themselves (they would lock themselves out mid-session), and nobody can disable or demote the last active
 * admin (nobody could then administer the hub). Returns the refusal, or undefined.
 */
export function userActionRefusal(actor: string, target: Pick<UserAccount, 'username' | 'role' | 'disabled'>, action: UserAction, activeAdmins: number): BondgateError | undefined {
  const removesAdmin = target.role === 'admin' && !target.disabled && (action.kind === 'disable' || action.role !== 'admin');
  if (!removesAdmin) return undefined;
  if (target.username === actor) return new BondgateError('FORBIDDEN', action.kind === 'disable' ? 'an admin cannot disable themselves' : 'an admin cannot demote themselves', [{ field: action.kind === 'disable' ? 'username' : 'role', message: 'not your own account' }]);
  if (activeAdmins <= 1) return new BondgateError('CONFLICT', `${target.username} is the last active admin`, [{ field: action.kind === 'disable' ? 'username' : 'role', message: 'the last active admin must stay' }]);
  return undefined;
}

/** A user as the API shows it: no hash. */
export type UserView = UserSummary;
const view = (u: UserAccount, activeSessions = 0): UserView => ({ username: u.username, role: u.role, displayName: u.displayName, createdMs: u.createdMs, disabled: u.disabled, activeSessions });

/** Shown once, when issued: the hub keeps only the scrypt hash. */
export interface GatewayCredentials {
  gatewayId: string;
  /** The MQTT user name is the gateway id: the broker ACL ties it to the gateway's own topics. */
  username: string;
  password: string;
  mqttUrl: string | null;
  topicPrefix: string;
  publishes: string;
  subscribes: string;
}

export interface AdminDeps {
  storage: Storage;
  users: UsersRepo;
  /** The broker URL gateways connect to (hub's view; null when unknown, e.g. behind NAT the edge config decides). */
  mqttUrl?: string | null;
  /**
   * Drop a gateway's live MQTT connections (the embedded broker's `disconnectGateway`). Absent with an external
   * broker: a revoked gateway is then refused at its next CONNECT only.
   */
  disconnectGateway?: (gatewayId: string) => number | Promise<number>;
  /**
   * An external broker's own accounts (Mosquitto's dynamic security plugin: broker-accounts.ts), changed with the
   * hub's so an issued password works, and a rotated or revoked one stops working, at once. Absent: the embedded
   * broker checks the hub's store itself, and a password-file broker needs `bondgate broker config` again.
   */
  brokerAccounts?: Pick<BrokerAccounts, 'setGateway' | 'removeGateway'> & Partial<Pick<BrokerAccounts, 'bindGatewayClientIds'>>;
  now?: () => number;
}

type BrokerOutcome = { status: 'applied' } | { status: 'failed'; error: string };

export class AdminService {
  private readonly now: () => number;
  constructor(private readonly d: AdminDeps) {
    this.now = d.now ?? Date.now;
  }

  listUsers(): Promise<UserView[]> {
    return this.d.users.list(this.now());
  }

  async createUser(actor: string, input: NewUser): Promise<UserView> {
    const issues = await passwordIssues(input.username, input.password);
    if (issues.length > 0) throw new BondgateError('VALIDATION_FAILED', 'the password does not meet the policy', issues);
    const user: UserAccount = { username: input.username, passwordHash: await hashPassword(input.password), role: input.role, displayName: input.displayName, createdMs: this.now(), disabled: false };
    if (!(await this.d.users.create(user))) throw new BondgateError('CONFLICT', `user ${input.username} exists`, [{ field: 'username', message: 'already taken' }]);
    await this.audit(actor, 'user.create', user.username, { role: user.role, displayName: user.displayName });
    return view(user);
  }

  async updateUser(actor: string, username: string, patch: UserPatch): Promise<UserView> {
    if (patch.password !== undefined) {
      const issues = await passwordIssues(username, patch.password);
      if (issues.length > 0) throw new BondgateError('VALIDATION_FAILED', 'the password does not meet the policy', issues);
    }
    // Hashed before the transaction: scrypt takes tens of milliseconds and the transaction holds the users lock.
    const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
    let before: UserAccount | undefined;
    const out = await this.d.users.update(username, (current, { activeAdmins }) => {
      before = current;
      if (patch.role !== undefined) {
        const refusal = userActionRefusal(actor, current, { kind: 'set-role', role: patch.role }, activeAdmins);
        if (refusal) throw refusal;
      }
      const change: UserChange = {};
      if (patch.role !== undefined) change.role = patch.role;
      if (patch.displayName !== undefined) change.displayName = patch.displayName;
      if (passwordHash !== undefined) change.passwordHash = passwordHash;
      return change;
    });
    if (!out || !before) throw new BondgateError('NOT_FOUND', `no user ${username}`);
    const changed = Object.keys(patch).sort();
    await this.audit(actor, 'user.update', username, {
      changed,
      ...(patch.role !== undefined ? { role: patch.role, previousRole: before.role } : {}),
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      sessionsEnded: out.sessionsEnded,
    });
    return view(out.user);
  }

  async setDisabled(actor: string, username: string, disabled: boolean): Promise<UserView> {
    let wasDisabled = false;
    const out = await this.d.users.update(username, (current, { activeAdmins }) => {
      wasDisabled = current.disabled;
      if (current.disabled === disabled) return null;
      if (disabled) {
        const refusal = userActionRefusal(actor, current, { kind: 'disable' }, activeAdmins);
        if (refusal) throw refusal;
      }
      return { disabled };
    });
    if (!out) throw new BondgateError('NOT_FOUND', `no user ${username}`);
    // Repeating an enable or a disable is answered but not audited again: nothing changed.
    if (wasDisabled !== disabled) await this.audit(actor, disabled ? 'user.disable' : 'user.enable', username, disabled ? { sessionsEnded: out.sessionsEnded } : {});
    return view(out.user);
  }

  /** Register a new gateway (or provision one known without a password) and return its credentials once. */
  async registerGateway(actor: string, gatewayId: string): Promise<GatewayCredentials> {
    const password = randomSecret(24);
    if (!(await this.d.users.registerGateway(gatewayId, await hashPassword(password), this.now()))) {
      throw new BondgateError('CONFLICT', `gateway ${gatewayId} already has credentials: rotate them instead`, [{ field: 'id', message: 'already registered' }]);
    }
    const broker = await this.toBroker((b) => b.setGateway(gatewayId, password));
    await this.audit(actor, 'gateway.register', gatewayId, broker ? { broker: broker.status } : {});
    this.brokerFailure(gatewayId, broker, 'issued', "rotate the gateway's credentials to try again");
    return this.credentials(gatewayId, password);
  }

  /**
   * New password for a known gateway (also re-issues a revoked one). The old password stops working, and so does a
   * connection made with it: it is dropped, and the gateway reconnects once its edge config has the new password.
   */
  async rotateGatewayCredentials(actor: string, gatewayId: string): Promise<GatewayCredentials & { disconnected: number | null }> {
    const password = randomSecret(24);
    if (!(await this.d.users.setGatewayPassword(gatewayId, await hashPassword(password)))) throw new BondgateError('NOT_FOUND', `no gateway ${gatewayId}`);
    const broker = await this.toBroker((b) => b.setGateway(gatewayId, password));
    const disconnected = await this.disconnect(gatewayId);
    await this.audit(actor, 'gateway.credentials.rotate', gatewayId, { disconnected, ...(broker ? { broker: broker.status } : {}) });
    this.brokerFailure(gatewayId, broker, 'rotated', 'repeat the request');
    return { ...this.credentials(gatewayId, password), disconnected };
  }

  /** The broker refuses the gateway from now on and its live connection is dropped; its journal stays. */
  async revokeGatewayCredentials(actor: string, gatewayId: string): Promise<{ gatewayId: string; revokedMs: number; disconnected: number | null }> {
    const r = await this.d.users.revokeGateway(gatewayId, this.now());
    if (!r) throw new BondgateError('NOT_FOUND', `no gateway ${gatewayId}`);
    // Even when already revoked: a connection made just before the revocation may still be open (and a broker
    // change that failed last time is tried again).
    const broker = await this.toBroker((b) => b.removeGateway(gatewayId));
    const disconnected = await this.disconnect(gatewayId);
    if (r.wasProvisioned || (disconnected ?? 0) > 0 || broker?.status === 'failed') await this.audit(actor, 'gateway.credentials.revoke', gatewayId, { disconnected, ...(broker ? { broker: broker.status } : {}) });
    this.brokerFailure(gatewayId, broker, 'revoked', 'repeat the request');
    return { gatewayId, revokedMs: r.revokedMs, disconnected };
  }

  /**
   * Revoked at the hub but perhaps not at the broker (it was unreachable when revoked, or restored from an older
   * config file): removed again at start-up. Returns the gateways it removed.
   */
  async reconcileRevoked(): Promise<string[]> {
    if (!this.d.brokerAccounts) return [];
    const revoked = await this.d.users.revokedGateways();
    for (const id of revoked) await this.d.brokerAccounts.removeGateway(id);
    return revoked;
  }

  /**
   * Gateway accounts made at the broker before client ids were bound stay unbound until the gateway's next credential
   * change: bound at start-up instead, every gateway with credentials at the hub. Repeating it binds nothing new, so
   * each gateway is audited once, when it is bound. Returns the gateways it bound.
   */
  async reconcileClientIds(): Promise<string[]> {
    if (!this.d.brokerAccounts?.bindGatewayClientIds) return [];
    const active = (await this.d.storage.listGateways()).filter((g) => g.passwordHash !== null).map((g) => g.id);
    const bound = await this.d.brokerAccounts.bindGatewayClientIds(active);
    for (const id of bound) await this.audit('system', 'gateway.broker.client-id-bound', id, { clientId: id });
    return bound;
  }

  /** The broker side of a credential change; undefined without a broker to tell. Never throws: see brokerFailure. */
  private async toBroker(change: (b: NonNullable<AdminDeps['brokerAccounts']>) => Promise<void>): Promise<BrokerOutcome | undefined> {
    if (!this.d.brokerAccounts) return undefined;
    try {
      await change(this.d.brokerAccounts);
      return { status: 'applied' };
    } catch (e) {
      return { status: 'failed', error: (e as Error).message };
    }
  }

  /**
   * The hub's store has changed (and the audit chain says so) but the broker did not follow: say so plainly, so the
   * admin repeats the change (every broker change can be repeated safely; a registration is repeated as a rotation)
   * rather than hand out a password that does not work yet, or believe a revoked gateway is shut out.
   */
  private brokerFailure(gatewayId: string, broker: BrokerOutcome | undefined, what: string, retry: string): void {
    if (broker?.status !== 'failed') return;
    throw new BondgateError('BROKER_FAILED', `gateway ${gatewayId}'s credentials were ${what} at the hub, but the broker did not apply it (${broker.error}): ${retry}`);
  }

  private async disconnect(gatewayId: string): Promise<number | null> {
    return this.d.disconnectGateway ? await this.d.disconnectGateway(gatewayId) : null;
  }

  private credentials(gatewayId: string, password: string): GatewayCredentials {
    return { gatewayId, username: gatewayId, password, mqttUrl: this.d.mqttUrl ?? null, topicPrefix: `${TOPIC_ROOT}/${gatewayId}/`, publishes: `${TOPIC_ROOT}/${gatewayId}/up/#`, subscribes: topics.down(gatewayId) };
  }

  private async audit(actor: string, action: string, subject: string, detail: Record<string, unknown>): Promise<void> {
    await this.d.storage.appendAudit({ actor, action, subject, detail }, this.now());
  }
}
