import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';
import { BondgateError } from '../shared/errors.ts';
import { MAX_MQTT_PACKET_BYTES } from '../shared/sync-protocol.ts';
import { clientIdBelongsTo, TOPIC_ROOT } from '../shared/topics.ts';
import { verifyPassword } from './auth/passwords.ts';
import { mqttFrameGuard } from './mqtt-frame-guard.ts';

/**
 * The embedded MQTT broker (aedes), the zero-setup default. It enforces the same rules as the Mosquitto
 * ACL in docker/: a gateway authenticates with its own credentials, publishes only under its own `up/`
 * topics and subscribes only to its own `down/` topics. The hub account alone reads every gateway's `up/`
 * and writes `down/`.
 *
 * A client id belongs to the account that authenticated (clientIdBelongsTo in shared/topics.ts): MQTT lets a new connection with a
 * live client's id take that client's place, so without this a gateway's password could take the hub (or another
 * gateway) off the broker.
 *
 * aedes speaks MQTT 3.1.1 and has no shared subscriptions: with it, one hub process consumes. Several hub
 * processes need an external MQTT v5 broker (MQTT_URL), where they share `$share/hub/…`.
 */
export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** When the port is taken, listen on a free one instead (and say so) rather than fail. */
  fallbackToFreePort: boolean;
  hubUsername: string;
  hubPassword: string;
  gatewayPasswordHash: (gatewayId: string) => Promise<string | null | undefined>;
  log: Logger;
  /** Largest MQTT packet taken (default MAX_MQTT_PACKET_BYTES); a client that sends a larger one is dropped. */
  maxPacketBytes?: number;
}

export interface EmbeddedBroker {
  port: number;
  host: string;
  url: string;
  /** True when the configured port was busy and another was chosen. */
  movedFromPort: number | null;
  /**
   * Drop every live connection authenticated as this gateway (after its credentials are revoked or rotated: aedes
   * checks a password only at CONNECT, so a connected client would otherwise keep going). Returns how many closed.
   */
  disconnectGateway(gatewayId: string): number;
  close(): Promise<void>;
}

type AuthClient = Client & { bondgateUser?: string };

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * mqtt-packet (what aedes writes packets with, and MQTT.js too) fills a table of 65,536 two-byte Buffers for packet
 * ids on its first packet: ~6 MiB of an idle hub's heap (snapshot: 65,676 Buffer objects, 0.35 KiB of data). Writing
 * the two bytes when needed costs nothing measurable. Switched off on the module aedes resolves, before the broker
 * writes anything: a gateway may connect before the hub's own client (writeCache: false, the same switch) exists.
 */
function noPacketIdTable(): void {
  const aedesRequire = createRequire(createRequire(import.meta.url).resolve('aedes'));
  const packet = aedesRequire('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
  packet.writeToStream.cacheNumbers = false;
}

export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  noPacketIdTable();
  const broker = await Aedes.createBroker({
    authenticate: (client: AuthClient, username: string | undefined, password: Buffer | undefined, done: (error: AuthenticateError | null, success: boolean | null) => void) => {
      const pw = password?.toString('utf8') ?? '';
      const deny = () => {
        const err = new Error('bad user name or password') as AuthenticateError;
        err.returnCode = 4;
        o.log.warn({ clientId: client.id, username }, 'broker refused a connection: bad credentials');
        done(err, false);
      };
      // Checked after the password (a wrong password says only that), before aedes registers the client: it is
      // registering that closes a live client with the same id.
      const admit = (user: string) => {
        if (!clientIdBelongsTo(client.id, user)) {
          const err = new Error('client id not allowed for this user') as AuthenticateError;
          err.returnCode = 5;
          o.log.warn({ clientId: client.id, username: user }, `broker refused a connection: client id must be "${user}" or start with "${user}:"`);
          return done(err, false);
        }
        client.bondgateUser = user;
        done(null, true);
      };
      if (!username) return deny();
      if (username === o.hubUsername) return pw === o.hubPassword ? admit(username) : deny();
      o.gatewayPasswordHash(username)
        .then((hash) => verifyPassword(pw, hash))
        .then((ok) => (ok ? admit(username) : deny()))
        .catch(() => deny());
    },
    authorizePublish: (client: AuthClient | null, packet, done) => {
      const user = client?.bondgateUser;
      const topic = packet.topic;
      const ok = user === o.hubUsername ? /^bondgate\/v1\/gw\/[^/]+\/down\//.test(topic) : !!user && topic.startsWith(`${TOPIC_ROOT}/${user}/up/`);
      if (!ok) {
        o.log.warn({ user, topic }, 'broker refused a publish outside the client\'s own topics');
        return done(new Error('not authorised for this topic'));
      }
      done(null);
    },
    authorizeSubscribe: (client: AuthClient | null, sub, done) => {
      const user = client?.bondgateUser;
      const t = sub.topic;
      const ok = user === o.hubUsername ? t === `${TOPIC_ROOT}/+/up/#` || t.startsWith(`${TOPIC_ROOT}/`) && t.includes('/up/') : !!user && (t === `${TOPIC_ROOT}/${user}/down/#` || t.startsWith(`${TOPIC_ROOT}/${user}/down/`));
      if (!ok) {
        o.log.warn({ user, topic: t }, 'broker refused a subscription outside the client\'s own topics');
        return done(new Error('not authorised for this subscription'), null);
      }
      done(null, sub);
    },
  });
  // Live clients by MQTT user name, for disconnectGateway. aedes keeps its own map by client id only, untyped.
  const live = new Map<string, Set<AuthClient>>();
  broker.on('client', (c: AuthClient) => {
    if (!c.bondgateUser) return;
    let set = live.get(c.bondgateUser);
    if (!set) live.set(c.bondgateUser, (set = new Set()));
    set.add(c);
  });
  broker.on('clientDisconnect', (c: AuthClient) => {
    const set = c.bondgateUser ? live.get(c.bondgateUser) : undefined;
    set?.delete(c);
    if (set?.size === 0) live.delete(c.bondgateUser!);
  });
  const maxPacketBytes = o.maxPacketBytes ?? MAX_MQTT_PACKET_BYTES;
  // Small acks and live batches must not wait on Nagle's algorithm.
  const server = createServer({ noDelay: true }, (socket) => {
    broker.handle(socket);
    // aedes reads the socket on 'readable'; with a 'readable' listener present, 'data' fires for each chunk it reads
    // (Node stream docs) without changing the flow. So the guard sees every chunk as aedes takes it, and a packet
    // declared over the limit ends the connection at its header, before aedes buffers the body.
    const guard = mqttFrameGuard(maxPacketBytes);
    const onData = (chunk: Buffer) => {
      const verdict = guard(chunk);
      if (!verdict) return;
      socket.off('data', onData);
      o.log.warn({ declaredBytes: verdict.declaredBytes, maxPacketBytes, remote: socket.remoteAddress }, verdict.declaredBytes === null ? 'broker dropped a client: malformed packet length' : 'broker dropped a client: packet larger than the limit');
      socket.destroy();
    };
    socket.on('data', onData);
  });
  let port: number;
  let movedFromPort: number | null = null;
  try {
    port = await listen(server, o.host, o.port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (!o.fallbackToFreePort) {
      broker.close();
      throw new BondgateError(
        'PORT_IN_USE',
        `MQTT port ${o.host}:${o.port} is already in use (another broker, such as Mosquitto, is probably running). ` +
          `Choose another port with MQTT_PORT=18830, or use the running broker with MQTT_URL=mqtt://${o.host}:${o.port} (its ACL must allow the gateways).`,
      );
    }
    port = await listen(server, o.host, 0);
    movedFromPort = o.port;
  }
  return {
    port,
    host: o.host,
    url: `mqtt://${o.host}:${port}`,
    movedFromPort,
    disconnectGateway(gatewayId) {
      // Never the hub's own account, whatever a gateway happens to be called.
      if (gatewayId === o.hubUsername) return 0;
      const clients = [...(live.get(gatewayId) ?? [])];
      live.delete(gatewayId);
      for (const c of clients) c.close();
      if (clients.length > 0) o.log.info({ gatewayId, clients: clients.length }, 'broker dropped a gateway whose credentials changed');
      return clients.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
        // Connected clients keep the server open; aedes closes them, and this caps the wait.
        setTimeout(resolve, 2000).unref();
      }),
  };
}
