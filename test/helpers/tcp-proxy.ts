import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxyStats {
  /** Connections proxied to the target. */
  accepted: number;
  /** Connections accepted and dropped at once while cut. */
  refused: number;
  /** Client connections open right now. */
  live: number;
  bytesToTarget: number;
  bytesFromTarget: number;
}

export interface TcpProxy {
  port: number;
  /** Drop every live connection, and drop new ones as soon as they are accepted, until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
  stats(): TcpProxyStats;
}

/**
 * Connects an accepted client to the target and tracks the pair in `pairs` until either side ends (both are then
 * destroyed). No Nagle delays the real link would not have: the edge sets TCP_NODELAY itself.
 */
export function linkPair(client: Socket, target: { host: string; port: number }, pairs: Set<[Socket, Socket]>): Socket {
  const upstream = connect(target.port, target.host);
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const pair: [Socket, Socket] = [client, upstream];
  pairs.add(pair);
  const drop = () => {
    client.destroy();
    upstream.destroy();
    pairs.delete(pair);
  };
  client.on('error', drop).on('close', drop);
  upstream.on('error', drop).on('close', drop);
  return upstream;
}

/** A loopback TCP proxy that can cut the link, standing in for a partition between a gateway and its broker. */
export function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let isCut = false;
  const counts = { accepted: 0, refused: 0, bytesToTarget: 0, bytesFromTarget: 0 };
  const server = createServer((client) => {
    if (isCut) {
      counts.refused++;
      client.destroy();
      return;
    }
    counts.accepted++;
    const upstream = linkPair(client, target, pairs);
    client.on('data', (d: Buffer) => (counts.bytesToTarget += d.length));
    upstream.on('data', (d: Buffer) => (counts.bytesFromTarget += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const destroyAll = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a ? a.port : 0,
        cut() {
          isCut = true;
          destroyAll();
        },
        restore() {
          isCut = false;
        },
        close: () =>
          new Promise<void>((r) => {
            isCut = true;
            destroyAll();
            server.close(() => r());
          }),
        stats: () => ({ ...counts, live: pairs.size }),
      });
    });
  });
}
