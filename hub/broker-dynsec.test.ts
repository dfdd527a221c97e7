import { describe, expect, it } from 'vitest';
import { verifyMosquittoPassword } from './broker-config.ts';
import { dynsecConfigFile, dynsecPassword, gatewayAcls, gatewayRole, hubAcls, isBenignDynsecError, removeGatewayCommands, setGatewayCommands } from './broker-dynsec.ts';

describe('dynamic security config and commands (pure)', () => {
  it('stores a password as the PBKDF2-SHA512 mosquitto_passwd makes', async () => {
    const p = await dynsecPassword('gateway-secret-1', { salt: Buffer.from('0123456789ab') });
    expect(p).toMatchObject({ salt: Buffer.from('0123456789ab').toString('base64'), iterations: 101 });
    expect(await verifyMosquittoPassword('gateway-secret-1', `$7$${p.iterations}$${p.salt}$${p.password}`)).toBe(true);
    expect(await verifyMosquittoPassword('gateway-secret-2', `$7$${p.iterations}$${p.salt}$${p.password}`)).toBe(false);
  });

  it('grants a gateway its own up/ and down/ topics and nothing else; refuses an id that would widen them', () => {
    expect(gatewayAcls('GW-7')).toEqual([
      { acltype: 'publishClientSend', topic: 'bondgate/v1/gw/GW-7/up/#', priority: 0, allow: true },
      { acltype: 'subscribePattern', topic: 'bondgate/v1/gw/GW-7/down/#', priority: 0, allow: true },
    ]);
    for (const bad of ['GW/7', 'GW+', '#', '']) expect(() => gatewayAcls(bad)).toThrow(/not a valid broker user name/);
    expect(() => removeGatewayCommands('a/b')).toThrow(/not a valid broker user name/);
    expect(hubAcls().map((a) => `${a.acltype} ${a.topic}`)).toContain('publishClientReceive $CONTROL/dynamic-security/v1/response');
  });

  it('writes one account and one role per gateway, publish and subscribe denied by default', async () => {
    const doc = JSON.parse(await dynsecConfigFile({ username: 'hub', password: 'hub-secret-0001' }, new Map([['GW-B', 'b-secret-0001'], ['GW-A', 'a-secret-0001']]))) as {
      defaultACLAccess: Record<string, boolean>;
      clients: { username: string; clientid?: string; roles: { rolename: string }[]; password: string; salt: string; iterations: number }[];
      roles: { rolename: string }[];
    };
    expect(doc.defaultACLAccess).toEqual({ publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true });
    expect(doc.clients.map((c) => [c.username, c.roles.map((r) => r.rolename)])).toEqual([['hub', ['bondgate-hub']], ['GW-A', ['bondgate-gw-GW-A']], ['GW-B', ['bondgate-gw-GW-B']]]);
    expect(doc.roles.map((r) => r.rolename)).toEqual(['bondgate-hub', gatewayRole('GW-A'), gatewayRole('GW-B')]);
    // Each gateway bound to the client id equal to its id; the hub's account is not (several connections share it).
    expect(doc.clients.map((c) => c.clientid)).toEqual([undefined, 'GW-A', 'GW-B']);
    const a = doc.clients[1]!;
    expect(await verifyMosquittoPassword('a-secret-0001', `$7$${a.iterations}$${a.salt}$${a.password}`)).toBe(true);
    await expect(dynsecConfigFile({ username: 'hub', password: 'x' }, new Map([['GW/1', 'p']]))).rejects.toThrow(/not a valid broker user name/);
  });

  it('sets a password idempotently and counts only "already so" answers as success', () => {
    expect(setGatewayCommands('GW-7', 'pw').map((c) => c.command)).toEqual(['createRole', 'createClient', 'setClientPassword', 'setClientId', 'removeClientRole', 'addClientRole', 'enableClient']);
    // Bound to its own client id when made, and again on every change (an account made before ids were bound).
    expect(setGatewayCommands('GW-7', 'pw').find((c) => c.command === 'createClient')).toMatchObject({ username: 'GW-7', clientid: 'GW-7' });
    expect(setGatewayCommands('GW-7', 'pw').find((c) => c.command === 'setClientId')).toEqual({ command: 'setClientId', username: 'GW-7', clientid: 'GW-7' });
    expect(removeGatewayCommands('GW-7')).toEqual([{ command: 'deleteClient', username: 'GW-7' }, { command: 'deleteRole', rolename: 'bondgate-gw-GW-7' }]);
    expect(isBenignDynsecError('createClient', 'Client already exists')).toBe(true);
    expect(isBenignDynsecError('deleteClient', 'Client not found')).toBe(true);
    expect(isBenignDynsecError('setClientPassword', 'Client not found')).toBe(false);
    expect(isBenignDynsecError('createClient', 'Not authorised')).toBe(false);
  });
});
