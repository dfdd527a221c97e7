import { connect } from 'node:net';
import type { Link, Transport } from './transport.ts';

export function tcpTransport(opts: { host: string; port: number; connectTimeoutMs?: number }): Transport {
  return () =>
    new Promise<Link>((resolve, reject) => {
      const socket = connect({ host: opts.host, port: opts.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${opts.host}:${opts.port} timed out`));
      }, opts.connectTimeoutMs ?? 5000);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        const closeListeners: ((e?: Error) => void)[] = [];
        let closed = false;
        let lastError: Error | undefined;
        socket.on('error', (e) => (lastError = e));
        socket.on('close', () => {
          if (closed) return;
          closed = true;
          for (const l of closeListeners) l(lastError);
        });
        resolve({
          write: (bytes) => new Promise((res, rej) => socket.write(bytes, (e) => (e ? rej(e) : res()))),
          onData: (fn) => socket.on('data', fn),
          onClose: (fn) => closeListeners.push(fn),
          pause: () => socket.pause(),
          resume: () => socket.resume(),
          close: () =>
            new Promise((res) => {
              if (socket.destroyed) return res();
              socket.once('close', () => res());
              socket.end();
              setTimeout(() => socket.destroy(), 1000).unref();
            }),
        });
      });
    });
}
