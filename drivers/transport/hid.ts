import { createRequire } from 'node:module';
import { HidMatch } from './config.ts';
import type { Transport } from './transport.ts';

/**
 * A USB HID device through node-hid (hidraw on Linux), found by what survives re-plugging — VID:PID, serial number,
 * usage page — never by `/dev/hidrawN`, which changes on every re-enumeration. Each input report arrives as one
 * `onData` chunk; `write` sends an output report.
 */
export { HidMatch };

export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  product?: string | undefined;
  usagePage?: number | undefined;
  interface: number;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** Pure: the one device a config means, or a reason naming what is there instead (the installer's next step). */
export function pickHidDevice(devices: HidDeviceInfo[], m: HidMatch): { device: HidDeviceInfo } | { error: string } {
  const want = `${hex4(m.vendorId)}:${m.productId === undefined ? '*' : hex4(m.productId)}${m.serialNumber ? ` serial ${m.serialNumber}` : ''} usage page 0x${m.usagePage.toString(16)}`;
  const candidates = devices.filter(
    (d) =>
      d.vendorId === m.vendorId &&
      (m.productId === undefined || d.productId === m.productId) &&
      (m.serialNumber === undefined || d.serialNumber === m.serialNumber) &&
      // hidapi reports 0 when the kernel does not say; trust the VID:PID then.
      (d.usagePage === undefined || d.usagePage === 0 || d.usagePage === m.usagePage) &&
      d.path !== undefined,
  );
  if (candidates.length === 1) return { device: candidates[0]! };
  const present = devices.map((d) => `${hex4(d.vendorId)}:${hex4(d.productId)}${d.serialNumber ? `/${d.serialNumber}` : ''} page 0x${(d.usagePage ?? 0).toString(16)}`).join(', ') || 'none';
  if (candidates.length === 0) return { error: `no HID device ${want} (present: ${present}); in keyboard mode, switch the scanner to HID POS or use an evdev config` };
  return { error: `${candidates.length} HID devices match ${want}: set serialNumber to pick one (present: ${present})` };
}

interface NodeHid {
  setDriverType(t: 'hidraw' | 'libusb'): void;
  devicesAsync(): Promise<HidDeviceInfo[]>;
  HIDAsync: { open(path: string, opts?: { nonExclusive?: boolean }): Promise<HidHandle> };
}
interface HidHandle {
  on(ev: 'data', fn: (d: Buffer) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
  write(data: number[] | Buffer): Promise<number>;
  close(): Promise<void>;
}

let nodeHid: NodeHid | undefined;
/** Loaded on first use: a gateway without HID scanners never needs libusb/libudev present. */
function loadNodeHid(): NodeHid {
  if (!nodeHid) {
    nodeHid = createRequire(import.meta.url)('node-hid') as NodeHid;
    nodeHid.setDriverType('hidraw');
  }
  return nodeHid;
}

export async function listHidDevices(): Promise<HidDeviceInfo[]> {
  return loadNodeHid().devicesAsync();
}

export function hidTransport(match: HidMatch): Transport {
  return async () => {
    const hid = loadNodeHid();
    const picked = pickHidDevice(await hid.devicesAsync(), match);
    if ('error' in picked) throw new Error(picked.error);
    const dev = await hid.HIDAsync.open(picked.device.path!);
    const closeListeners: ((e?: Error) => void)[] = [];
    let closed = false;
    const closeOnce = (e?: Error) => {
      if (closed) return;
      closed = true;
      for (const l of closeListeners) l(e);
    };
    // An unplugged device surfaces as a read error: that is the link closing.
    dev.on('error', (e) => {
      void dev.close().catch(() => undefined);
      closeOnce(e);
    });
    return {
      write: async (bytes) => void (await dev.write(Buffer.from(bytes))),
      onData: (fn) => dev.on('data', (d) => fn(d)),
      onClose: (fn) => closeListeners.push(fn),
      close: async () => {
        if (!closed) await dev.close().catch(() => undefined);
        closeOnce();
      },
    };
  };
}
