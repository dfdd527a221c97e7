import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drop every live connection and refuse new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
  stats(): { accepted: number; refused: number; live: number };
}

/** A loopback TCP proxy that can cut the link, standing in for a partition between a gateway and its broker. */
export function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let isCut = false;
  let accepted = 0;
  let refused = 0;
  const server = createServer((client) => {
    if (isCut) {
      refused++;
      client.destroy();
      return;
    }
    accepted++;
    const upstream = connect(target.port, target.host);
    live.add(client);
    live.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a ? a.port : 0,
        cut() {
          isCut = true;
          for (const s of live) s.destroy();
          live.clear();
        },
        restore() {
          isCut = false;
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of live) s.destroy();
            server.close(() => r());
          }),
        stats: () => ({ accepted, refused, live: live.size / 2 }),
      });
    });
  });
}
