import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BondgateError } from '../../shared/errors.ts';
import { DYNSEC_RESPONSE_TOPIC, DYNSEC_TOPIC, isBenignDynsecError, removeGatewayCommands, setGatewayCommands, type DynsecCommand } from '../broker-dynsec.ts';

/**
 * The broker's own record of who may connect, kept in step with the hub's: the admin service calls it when it
 * issues, rotates or revokes a gateway's credentials. The embedded broker needs none (it checks the hub's store);
 * an external Mosquitto with the dynamic security plugin gets `dynsecBrokerAccounts`.
 */
export interface BrokerAccounts {
  /** Create the gateway's account or give it this password; the broker drops connections made with another. */
  setGateway(gatewayId: string, password: string): Promise<void>;
  /** Remove the gateway's account: refused from now on, live connections dropped. */
  removeGateway(gatewayId: string): Promise<void>;
  close(): Promise<void>;
}

const Response = z.object({
  responses: z.array(z.object({ command: z.string(), error: z.string().optional(), correlationData: z.string().optional() }).passthrough()),
});

export interface DynsecOptions {
  url: string;
  username: string;
  password?: string;
  /** Its own client id: the hub's ingest connection is another. */
  clientId: string;
  /** TLS: a CA to trust beyond the system's (NODE_EXTRA_CA_CERTS works too). */
  ca?: Buffer;
  /** A command the broker has not answered by then fails (the plugin answers at once when it runs). */
  timeoutMs?: number;
  log: Logger;
}

/**
 * Commands to the dynamic security plugin over a connection of its own, opened on first use and kept (the client
 * reconnects by itself). Each call sends its commands as one message and waits for every answer, matched by
 * correlation data; a command whose aim already holds (creating what exists, deleting what is gone) counts as done,
 * so a change can be repeated safely. Changes are serialised: two admins rotating one gateway cannot interleave.
 */
export function dynsecBrokerAccounts(o: DynsecOptions): BrokerAccounts {
  const timeoutMs = o.timeoutMs ?? 5000;
  let client: MqttClient | undefined;
  let ready: Promise<MqttClient> | undefined;
  let nextId = 0;
  const waiting = new Map<string, (r: { command: string; error?: string }) => void>();
  let queue: Promise<unknown> = Promise.resolve();
  /** The response subscription of the current connection: commands wait for it, or their answers would be lost. */
  let subscribed: Promise<unknown> = Promise.resolve();

  const connect = (): Promise<MqttClient> =>
    (ready ??= (async () => {
      const c = mqtt.connect(o.url, {
        clientId: o.clientId,
        username: o.username,
        ...(o.password ? { password: o.password } : {}),
        ...(o.ca ? { ca: o.ca } : {}),
        protocolVersion: 5,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: timeoutMs,
      });
      client = c;
      c.on('error', (e) => o.log.warn({ err: e.message }, 'broker accounts connection error'));
      c.on('message', (_topic, payload) => {
        let parsed: z.infer<typeof Response>;
        try {
          parsed = Response.parse(JSON.parse(payload.toString('utf8')));
        } catch {
          return o.log.warn('unreadable dynamic security response');
        }
        for (const r of parsed.responses) {
          const done = r.correlationData === undefined ? undefined : waiting.get(r.correlationData);
          if (done) done({ command: r.command, ...(r.error !== undefined ? { error: r.error } : {}) });
        }
      });
      // Subscribed on every (re)connect: the session is clean.
      c.on('connect', () => {
        subscribed = c.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 }).catch((e: Error) => o.log.warn({ err: e.message }, 'subscribing to dynamic security responses failed'));
      });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new BondgateError('BROKER_FAILED', `the broker at ${o.url} did not accept the hub's account connection within ${timeoutMs} ms`)), timeoutMs);
        c.once('connect', () => {
          clearTimeout(t);
          resolve();
        });
      });
      return c;
    })().catch((e: unknown) => {
      ready = undefined;
      client?.end(true);
      client = undefined;
      throw e;
    }));

  async function send(commands: DynsecCommand[]): Promise<void> {
    const c = await connect();
    await subscribed;
    const ids = commands.map(() => `bondgate-${process.pid}-${nextId++}`);
    const answers = ids.map(
      (id) =>
        new Promise<{ command: string; error?: string }>((resolve, reject) => {
          const t = setTimeout(() => {
            waiting.delete(id);
            reject(new BondgateError('BROKER_FAILED', `the broker did not answer a dynamic security command within ${timeoutMs} ms (is the plugin loaded, and may the hub's user publish to ${DYNSEC_TOPIC}?)`));
          }, timeoutMs);
          waiting.set(id, (r) => {
            clearTimeout(t);
            waiting.delete(id);
            resolve(r);
          });
        }),
    );
    await c.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands: commands.map((cmd, i) => ({ ...cmd, correlationData: ids[i] })) }), { qos: 1 });
    const results = await Promise.all(answers);
    const failed = results.filter((r) => r.error !== undefined && !isBenignDynsecError(r.command, r.error));
    if (failed.length > 0) throw new BondgateError('BROKER_FAILED', `the broker refused: ${failed.map((r) => `${r.command}: ${r.error}`).join('; ')}`);
  }

  const serial = (commands: DynsecCommand[]): Promise<void> => {
    const run = queue.then(() => send(commands));
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    setGateway: (gatewayId, password) => serial(setGatewayCommands(gatewayId, password)),
    removeGateway: (gatewayId) => serial(removeGatewayCommands(gatewayId)),
    async close() {
      for (const [id, done] of waiting) {
        waiting.delete(id);
        done({ command: 'close', error: 'closed' });
      }
      await client?.endAsync();
    },
  };
}
