import { pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { HUB_SHARE_GROUP, TOPIC_ROOT } from '../shared/topics.ts';
import { brokerUserIssue, MOSQUITTO_PBKDF2_ITERATIONS } from './broker-config.ts';

/**
 * Mosquitto's dynamic security plugin (2.0+): accounts and ACLs the hub changes while the broker runs, by commands
 * on `$CONTROL/dynamic-security/v1`. With it, issuing, rotating and revoking a gateway's credentials at the hub take
 * effect at the broker at once (a rotated or revoked gateway's live connection is dropped by the broker itself),
 * where a password file needs regenerating and a SIGHUP. Pure: the initial config file and the commands;
 * hub/services/broker-accounts.ts sends them.
 *
 * Each gateway gets a role of its own naming its own topics (`bondgate-gw-<id>`), rather than one role with `%u`
 * patterns: explicit ACLs read the same in every Mosquitto version and in `mosquitto_ctrl dynsec getRole`.
 *
 * Each gateway's account is also bound to one client id, its gateway id (the plugin's `clientid`: it refuses the
 * account's password with any other id), so a gateway's password cannot take over the hub's or another gateway's
 * connection. Why the hub's account is not bound: hub/broker-config.ts.
 */

const pbkdf2Async = promisify(pbkdf2);

/** The control topic and the topic its answers come back on. */
export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_TOPIC}/response`;
export const HUB_ROLE = 'bondgate-hub';
export const gatewayRole = (gatewayId: string) => `bondgate-gw-${gatewayId}`;

type AclType = 'publishClientSend' | 'publishClientReceive' | 'subscribeLiteral' | 'subscribePattern' | 'unsubscribeLiteral' | 'unsubscribePattern';
export interface DynsecAcl {
  acltype: AclType;
  topic: string;
  priority: number;
  allow: boolean;
}

/** A command as the plugin takes it; `correlationData` comes back in its response. */
export type DynsecCommand = { command: string; correlationData?: string } & Record<string, unknown>;

const allow = (acltype: AclType, topic: string): DynsecAcl => ({ acltype, topic, priority: 0, allow: true });

/** What a gateway may do: publish its own up/ topics, subscribe to (and so receive) its own down/ topics. */
export function gatewayAcls(gatewayId: string): DynsecAcl[] {
  const issue = brokerUserIssue(gatewayId);
  if (issue) throw new Error(issue);
  return [allow('publishClientSend', `${TOPIC_ROOT}/${gatewayId}/up/#`), allow('subscribePattern', `${TOPIC_ROOT}/${gatewayId}/down/#`)];
}

/** The hub: every gateway's up/ topics (also as a shared subscription), every down/ topic, and the plugin's control topic. */
export function hubAcls(): DynsecAcl[] {
  return [
    allow('subscribePattern', `${TOPIC_ROOT}/+/up/#`),
    allow('subscribePattern', `$share/${HUB_SHARE_GROUP}/${TOPIC_ROOT}/+/up/#`),
    allow('publishClientSend', `${TOPIC_ROOT}/+/down/#`),
    allow('publishClientSend', DYNSEC_TOPIC),
    allow('subscribeLiteral', DYNSEC_RESPONSE_TOPIC),
    // A `$` topic is outside the default receive access: the plugin's answers need their own grant.
    allow('publishClientReceive', DYNSEC_RESPONSE_TOPIC),
  ];
}

/** A password as the plugin stores it: PBKDF2-HMAC-SHA512, the same derivation as `mosquitto_passwd`'s `$7$`. */
export async function dynsecPassword(password: string, opts: { salt?: Buffer; iterations?: number } = {}): Promise<{ password: string; salt: string; iterations: number }> {
  const salt = opts.salt ?? randomBytes(12);
  const iterations = opts.iterations ?? MOSQUITTO_PBKDF2_ITERATIONS;
  const key = await pbkdf2Async(password, salt, iterations, 64, 'sha512');
  return { password: key.toString('base64'), salt: salt.toString('base64'), iterations };
}

/**
 * The plugin's config file (`plugin_opt_config_file`), read when the broker starts and rewritten by the plugin on
 * every change: the hub's account and role, and one account and role per gateway known now. Whatever no ACL allows
 * is refused: publishing and subscribing default to deny.
 */
export async function dynsecConfigFile(hubAccounts: { username: string; password: string } | readonly { username: string; password: string }[], gateways: ReadonlyMap<string, string>): Promise<string> {
  const hubs = Array.isArray(hubAccounts) ? hubAccounts : [hubAccounts as { username: string; password: string }];
  for (const user of [...hubs.map((h) => h.username), ...gateways.keys()]) {
    const issue = brokerUserIssue(user);
    if (issue) throw new Error(issue);
  }
  const ids = [...gateways.keys()].sort();
  const doc = {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
    clients: [
      ...(await Promise.all(hubs.map(async (hub) => ({ username: hub.username, textname: 'Bondgate hub', ...(await dynsecPassword(hub.password)), roles: [{ rolename: HUB_ROLE }] })))),
      ...(await Promise.all(ids.map(async (id) => ({ username: id, clientid: id, textname: `Bondgate gateway ${id}`, ...(await dynsecPassword(gateways.get(id)!)), roles: [{ rolename: gatewayRole(id) }] })))),
    ],
    groups: [],
    roles: [{ rolename: HUB_ROLE, acls: hubAcls() }, ...ids.map((id) => ({ rolename: gatewayRole(id), acls: gatewayAcls(id) }))],
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/**
 * Give a gateway this password, creating its account and role when missing. Sent as one message, run in order;
 * `createRole`/`createClient` fail harmlessly when they exist, and the rest makes an existing account right: its
 * password (the broker drops connections made with the old one), its client id (an account made before ids were
 * bound gets bound here), its role, enabled.
 */
export function setGatewayCommands(gatewayId: string, password: string): DynsecCommand[] {
  const rolename = gatewayRole(gatewayId);
  return [
    { command: 'createRole', rolename, acls: gatewayAcls(gatewayId) },
    { command: 'createClient', username: gatewayId, password, clientid: gatewayId, textname: `Bondgate gateway ${gatewayId}`, roles: [{ rolename }] },
    { command: 'setClientPassword', username: gatewayId, password },
    { command: 'setClientId', username: gatewayId, clientid: gatewayId },
    // Re-granted rather than added: the plugin (2.0) answers "Internal error" to adding a role the client has.
    { command: 'removeClientRole', username: gatewayId, rolename },
    { command: 'addClientRole', username: gatewayId, rolename },
    { command: 'enableClient', username: gatewayId },
  ];
}

/** What the broker holds for these gateways' accounts (their client ids among it). */
export function getClientCommands(gatewayIds: readonly string[]): DynsecCommand[] {
  return gatewayIds.map((username) => ({ command: 'getClient', username }));
}

/**
 * Bind an existing gateway account to its client id, its password untouched: for accounts made before ids were bound,
 * which would otherwise stay unbound until the gateway's next credential change.
 */
export function bindClientIdCommands(gatewayId: string): DynsecCommand[] {
  const issue = brokerUserIssue(gatewayId);
  if (issue) throw new Error(issue);
  return [{ command: 'setClientId', username: gatewayId, clientid: gatewayId }];
}

/** Revoke a gateway at the broker: its account goes (live connections dropped), then its role. */
export function removeGatewayCommands(gatewayId: string): DynsecCommand[] {
  const issue = brokerUserIssue(gatewayId);
  if (issue) throw new Error(issue);
  return [
    { command: 'deleteClient', username: gatewayId },
    { command: 'deleteRole', rolename: gatewayRole(gatewayId) },
  ];
}

/**
 * Errors that mean the command's aim already holds, so a retried or repeated change succeeds. Anything else
 * (not authorised, a malformed command) is a real failure.
 */
export function isBenignDynsecError(command: string, error: string): boolean {
  const e = error.toLowerCase();
  if (command === 'createRole' || command === 'createClient') return e.includes('already exists');
  if (command === 'deleteClient' || command === 'deleteRole' || command === 'removeClientRole') return e.includes('not found');
  return false;
}
