import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BondgateError } from '../../shared/errors.ts';
import { bindClientIdCommands, DYNSEC_RESPONSE_TOPIC, DYNSEC_TOPIC, getClientCommands, isBenignDynsecError, removeGatewayCommands, setGatewayCommands, type DynsecCommand } from '../broker-dynsec.ts';

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
  /**
   * Bind these gateways' existing accounts to their client ids (password untouched). Returns the ones that were not
   * bound and now are; accounts already bound, and gateways the broker has no account for, are left as they are.
   */
  bindGatewayClientIds(gatewayIds: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

const Response = z.object({
  responses: z.array(z.object({ command: z.string(), error: z.string().optional(), correlationData: z.string().optional(), data: z.unknown().optional() }).passthrough()),
});

interface DynsecAnswer { command: string; error?: string; data?: unknown }
/** A getClient answer's `data`, as far as binding needs it. */
const DynsecClient = z.object({ client: z.object({ username: z.string(), clientid: z.string().optional() }).passthrough() });

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
  const waiting = new Map<string, (r: DynsecAnswer) => void>();
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
        writeCache: false, // as the hub's own client (hub/broker.ts, noPacketIdTable)
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
          if (done) done({ command: r.command, ...(r.error !== undefined ? { error: r.error } : {}), ...(r.data !== undefined ? { data: r.data } : {}) });
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

  /** Every command's answer, in order; a command the broker refused throws unless `refusalsAnswer` (a query's not-found). */
  async function send(commands: DynsecCommand[], refusalsAnswer = false): Promise<DynsecAnswer[]> {
    const c = await connect();
    await subscribed;
    const ids = commands.map(() => `bondgate-${process.pid}-${nextId++}`);
    const answers = ids.map(
      (id) =>
        new Promise<DynsecAnswer>((resolve, reject) => {
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
    const failed = refusalsAnswer ? [] : results.filter((r) => r.error !== undefined && !isBenignDynsecError(r.command, r.error));
    if (failed.length > 0) throw new BondgateError('BROKER_FAILED', `the broker refused: ${failed.map((r) => `${r.command}: ${r.error}`).join('; ')}`);
    return results;
  }

  const serial = <R>(work: () => Promise<R>): Promise<R> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Which of these accounts exist unbound (a client id other than the gateway id, or none), a page at a time. */
  async function unbound(ids: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const page = ids.slice(i, i + 100);
      const answers = await send(getClientCommands(page), true);
      page.forEach((id, j) => {
        const a = answers[j]!;
        if (a.error !== undefined) {
          if (!a.error.toLowerCase().includes('not found')) throw new BondgateError('BROKER_FAILED', `the broker refused: getClient: ${a.error}`);
          return; // no account to bind: the gateway's next credential change creates it bound
        }
        const clientid = (DynsecClient.safeParse(a.data).data?.client.clientid ?? '') || undefined;
        if (clientid !== id) out.push(id);
      });
    }
    return out;
  }

  return {
    setGateway: (gatewayId, password) => serial(() => send(setGatewayCommands(gatewayId, password))).then(() => undefined),
    removeGateway: (gatewayId) => serial(() => send(removeGatewayCommands(gatewayId))).then(() => undefined),
    bindGatewayClientIds: (gatewayIds) =>
      serial(async () => {
        const ids = await unbound(gatewayIds);
        for (let i = 0; i < ids.length; i += 100) await send(ids.slice(i, i + 100).flatMap(bindClientIdCommands));
        return ids;
      }),
    async close() {
      for (const [id, done] of waiting) {
        waiting.delete(id);
        done({ command: 'close', error: 'closed' });
      }
      await client?.endAsync();
    },
  };
}
