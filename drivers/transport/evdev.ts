import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Transport } from './transport.ts';

/**
 * A Linux input event device (`/dev/input/by-id/…-event-kbd`) as a read-only link, grabbed exclusively so a
 * keyboard-wedge scanner's scans reach only this agent and never type into a console or another application.
 *
 * The grab is the EVIOCGRAB ioctl. Node has no ioctl, so it goes through koffi (a maintained FFI with prebuilt
 * binaries) into libc. `grab: 'required'` refuses to open a device it cannot grab; `'preferred'` (default) opens it
 * anyway and says why in `link.warnings`, so a test FIFO or an odd kernel still reads.
 */
export type GrabMode = 'required' | 'preferred' | 'off';

// _IOW('E', 0x90, int): direction write (1 << 30) | size 4 (<< 16) | type 'E' (0x45 << 8) | nr 0x90.
const EVIOCGRAB = 0x40044590;

type Ioctl = (fd: number, request: number, arg: number) => number;
let ioctlFn: { ioctl: Ioctl; errno: () => number } | null | undefined;

function libc(): { ioctl: Ioctl; errno: () => number } | null {
  if (ioctlFn !== undefined) return ioctlFn;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(sig: string): (...args: unknown[]) => unknown };
      errno(): number;
    };
    const lib = koffi.load('libc.so.6');
    const ioctl = lib.func('int ioctl(int fd, unsigned long request, intptr_t arg)') as Ioctl;
    ioctlFn = { ioctl, errno: () => koffi.errno() };
  } catch {
    ioctlFn = null;
  }
  return ioctlFn;
}

const ERRNO: Record<number, string> = { 16: 'EBUSY: another process holds the grab', 25: 'ENOTTY: not an input event device', 22: 'EINVAL', 9: 'EBADF' };

/** Try the exclusive grab on an open fd: null when it worked, else the reason. */
export function grabInput(fd: number): string | null {
  const c = libc();
  if (!c) return 'no FFI available (koffi did not load) to issue EVIOCGRAB';
  if (c.ioctl(fd, EVIOCGRAB, 1) === 0) return null;
  const e = c.errno();
  return `EVIOCGRAB failed: ${ERRNO[e] ?? `errno ${e}`}`;
}

export function evdevTransport(path: string, grab: GrabMode = 'preferred'): Transport {
  return async () => {
    // Asynchronous open: a FIFO (tests) blocks until a writer appears, and must not block the event loop meanwhile.
    const handle = await open(path, 'r');
    const warnings: string[] = [];
    if (grab !== 'off') {
      const failed = grabInput(handle.fd);
      if (failed && grab === 'required') {
        await handle.close();
        throw new Error(`${path}: exclusive grab required but ${failed}`);
      }
      if (failed) warnings.push(`${path}: reading without an exclusive grab (${failed}); scans may also type into a console`);
    }
    // Closing the file releases the grab: the kernel drops it with the last reference.
    const stream = handle.createReadStream({ highWaterMark: 24 * 64 });
    const closeListeners: ((e?: Error) => void)[] = [];
    let lastError: Error | undefined;
    stream.on('error', (e) => (lastError = e));
    stream.on('close', () => {
      for (const l of closeListeners) l(lastError);
    });
    return {
      warnings,
      write: () => Promise.reject(new Error(`${path} is read-only`)),
      onData: (fn) => stream.on('data', (d) => fn(d as Buffer)),
      onClose: (fn) => closeListeners.push(fn),
      close: () =>
        new Promise((res) => {
          if (stream.destroyed) return res();
          stream.once('close', () => res());
          stream.destroy();
        }),
    };
  };
}
