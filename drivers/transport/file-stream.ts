import { createReadStream } from 'node:fs';
import type { Link, Transport } from './transport.ts';

/**
 * A read-only byte link from a character device or FIFO: Linux input event devices (`/dev/input/event*`,
 * `/dev/hidraw*`). Writes are refused: these devices take no commands through this path.
 */
export function fileStreamTransport(path: string): Transport {
  return () =>
    new Promise<Link>((resolve, reject) => {
      const stream = createReadStream(path, { highWaterMark: 24 * 64 });
      const closeListeners: ((e?: Error) => void)[] = [];
      let lastError: Error | undefined;
      let opened = false;
      stream.once('error', (e) => {
        lastError = e;
        if (!opened) reject(e);
      });
      stream.on('close', () => {
        for (const l of closeListeners) l(lastError);
      });
      stream.once('open', () => {
        opened = true;
        resolve({
          write: () => Promise.reject(new Error(`${path} is read-only`)),
          onData: (fn) => stream.on('data', (d) => fn(d as Buffer)),
          onClose: (fn) => closeListeners.push(fn),
          close: () =>
            new Promise((res) => {
              if (stream.destroyed) return res();
              stream.once('close', () => res());
              stream.destroy();
            }),
        });
      });
    });
}
