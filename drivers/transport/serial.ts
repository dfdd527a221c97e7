import { existsSync } from 'node:fs';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';
import { SerialConfig } from './config.ts';
import type { Link, Transport } from './transport.ts';
import { listUsbSerialPorts, pickUsbSerial } from './usb-serial.ts';

// The schema lives apart (config.ts), so validating a gateway's config loads no serialport.
export { SerialConfig };

/** Where the device is now: its configured path, or wherever its USB identity shows up after re-enumeration. */
export function resolveSerialPath(config: SerialConfig, list = listUsbSerialPorts): string {
  if (config.path) return config.path;
  const picked = pickUsbSerial(list(), config.usb!);
  if ('error' in picked) throw new Error(picked.error);
  return picked.path;
}

/** The most one read from a serial port takes (serialport's default is 64 KiB); 9600 baud is ~1 KB/s. */
export const READ_CHUNK_BYTES = 16 * 1024;

/**
 * The platform's port binding, found once. The stream and the binding directly rather than the `serialport` umbrella
 * (which is only these two plus its dozen parsers, ~0.5 MiB of heap a gateway does not use: each driver frames its own
 * bytes). Both are direct dependencies at the umbrella's version.
 */
let detected: ReturnType<typeof autoDetect> | undefined;
const binding = () => (detected ??= autoDetect());

export function serialTransport(config: SerialConfig, list = listUsbSerialPorts): Transport {
  return () =>
    new Promise<Link>((resolve, reject) => {
      let path: string;
      try {
        path = resolveSerialPath(config, list);
      } catch (e) {
        return reject(e as Error);
      }
      // Reads of at most READ_CHUNK_BYTES: a device's backlog (a pty, a buffered USB adapter) comes in pieces the
      // driver's flow control can hold off between, instead of 64 KiB (4,000 scanner lines) taken in at once.
      const port = new SerialPortStream({ binding: binding(), path, baudRate: config.baudRate, dataBits: config.dataBits, parity: config.parity, stopBits: config.stopBits, autoOpen: false, highWaterMark: READ_CHUNK_BYTES });
      port.open((err) => {
        if (err) return reject(err);
        let closed = false;
        const closeListeners: ((err?: Error) => void)[] = [];
        const fireClose = (e?: Error) => {
          if (closed) return;
          closed = true;
          for (const l of closeListeners) l(e);
        };
        port.on('close', (e: Error | null) => fireClose(e ?? undefined));
        port.on('error', (e: Error) => fireClose(e));
        // An unplugged USB adapter removes its device node, but the open descriptor does not always error at once
        // (seen with ptys under load): watch the path too, so a gone device never looks connected.
        const watch = setInterval(() => {
          if (existsSync(path)) return;
          clearInterval(watch);
          fireClose(new Error(`${path} disappeared (device unplugged)`));
          if (port.isOpen) port.close(() => undefined);
        }, 250);
        watch.unref();
        closeListeners.push(() => clearInterval(watch));
        resolve({
          write: (bytes) => new Promise((res, rej) => port.write(Buffer.from(bytes), (e) => (e ? rej(e) : port.drain(() => res())))),
          onData: (fn) => port.on('data', (d: Buffer) => fn(d)),
          onClose: (fn) => closeListeners.push(fn),
          close: () => new Promise((res) => (port.isOpen ? port.close(() => res()) : res())),
          pause: () => port.pause(),
          resume: () => port.resume(),
        });
      });
    });
}
