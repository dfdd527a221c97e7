import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { socatAvailable, startPtyPair } from './pty.ts';
import { SerialConfig, serialTransport } from './serial.ts';
import { listUsbSerialPorts, pickUsbSerial, UsbMatch } from './usb-serial.ts';

/**
 * USB serial adapters found by VID:PID and serial number through sysfs. The sysfs tree here is built the way the
 * kernel lays it out (tty symlinks into the USB device's interface directory); the ports behind it are ptys.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function fakeSys() {
  const root = mkdtempSync(join(tmpdir(), 'bg-sysfs-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const sys = join(root, 'sys');
  const dev = join(root, 'dev');
  mkdirSync(join(sys, 'class', 'tty'), { recursive: true });
  mkdirSync(dev);
  /** Plug an adapter: the kernel names it tty<name> under a USB device with these ids; `target` is the real node. */
  const plug = (tty: string, usbPort: string, ids: { vendor: string; product: string; serial?: string }, target: string, acm = false) => {
    const usbDev = join(sys, 'devices', 'pci0000:00', 'usb1', usbPort);
    const ttyDir = acm ? join(usbDev, `${usbPort}:1.0`, 'tty', tty) : join(usbDev, `${usbPort}:1.0`, tty, 'tty', tty);
    mkdirSync(ttyDir, { recursive: true });
    writeFileSync(join(usbDev, 'idVendor'), `${ids.vendor}\n`);
    writeFileSync(join(usbDev, 'idProduct'), `${ids.product}\n`);
    if (ids.serial) writeFileSync(join(usbDev, 'serial'), `${ids.serial}\n`);
    writeFileSync(join(usbDev, 'product'), 'FT232R USB UART\n');
    symlinkSync(ttyDir, join(sys, 'class', 'tty', tty));
    symlinkSync(target, join(dev, tty));
  };
  const unplug = (tty: string) => {
    rmSync(join(sys, 'class', 'tty', tty));
    rmSync(join(dev, tty));
  };
  return { sys, dev, plug, unplug, list: () => listUsbSerialPorts(sys, dev) };
}

describe('USB serial adapters by identity', () => {
  it('lists ttyUSB and ttyACM ports with their USB ids, and picks one by VID:PID and serial', () => {
    const s = fakeSys();
    s.plug('ttyUSB0', '1-1', { vendor: '0403', product: '6001', serial: 'A10K3' }, '/dev/null');
    s.plug('ttyUSB1', '1-2', { vendor: '0403', product: '6001', serial: 'B77Q1' }, '/dev/null');
    s.plug('ttyACM0', '1-3', { vendor: '0c2e', product: '0b61' }, '/dev/null', true);
    const ports = s.list();
    expect(ports).toEqual([
      { path: join(s.dev, 'ttyACM0'), vendorId: '0c2e', productId: '0b61', product: 'FT232R USB UART' },
      { path: join(s.dev, 'ttyUSB0'), vendorId: '0403', productId: '6001', serialNumber: 'A10K3', product: 'FT232R USB UART' },
      { path: join(s.dev, 'ttyUSB1'), vendorId: '0403', productId: '6001', serialNumber: 'B77Q1', product: 'FT232R USB UART' },
    ]);
    expect(pickUsbSerial(ports, UsbMatch.parse({ vendorId: '0403', productId: '6001', serialNumber: 'B77Q1' }))).toEqual({ path: join(s.dev, 'ttyUSB1') });
    expect(pickUsbSerial(ports, UsbMatch.parse({ vendorId: '0C2E' }))).toEqual({ path: join(s.dev, 'ttyACM0') });
    expect(pickUsbSerial(ports, UsbMatch.parse({ vendorId: '0403' }))).toMatchObject({ error: expect.stringMatching(/2 USB serial adapters match 0403:\*: set serialNumber/) });
    expect(pickUsbSerial(ports, UsbMatch.parse({ vendorId: '1a86', productId: '7523' }))).toMatchObject({ error: expect.stringMatching(/no USB serial adapter 1a86:7523 attached \(present: .*ttyUSB0 0403:6001 serial A10K3/) });
    expect(listUsbSerialPorts(join(s.sys, 'nothing'))).toEqual([]);
  });

  it('refuses a config with both or neither of path and usb, and bad ids', () => {
    expect(() => SerialConfig.parse({})).toThrow(/exactly one of path or usb/);
    expect(() => SerialConfig.parse({ path: '/dev/ttyUSB0', usb: { vendorId: '0403' } })).toThrow(/exactly one/);
    expect(() => SerialConfig.parse({ usb: { vendorId: 'FTDI' } })).toThrow(/four hex digits/);
  });

  it.skipIf(!socatAvailable())('finds the adapter again after it re-enumerates under another ttyUSB number', async () => {
    const s = fakeSys();
    const [a, b] = await Promise.all([startPtyPair(), startPtyPair()]);
    cleanups.push(a.close, b.close);
    const config = SerialConfig.parse({ usb: { vendorId: '0403', productId: '6001', serialNumber: 'A10K3' } });
    s.plug('ttyUSB0', '1-1', { vendor: '0403', product: '6001', serial: 'A10K3' }, a.host);
    const open = serialTransport(config, s.list);
    const first = await open();
    const got: string[] = [];
    first.onData((d) => got.push(Buffer.from(d).toString()));
    const devA = await serialTransport(SerialConfig.parse({ path: a.device }))();
    cleanups.push(() => devA.close());
    await devA.write(Buffer.from('one'));
    await vi.waitFor(() => expect(got.join('')).toBe('one'), { timeout: 20_000 });
    await first.close();

    // Unplugged and plugged back: the kernel gives it ttyUSB1 now.
    s.unplug('ttyUSB0');
    await expect(open()).rejects.toThrow(/no USB serial adapter 0403:6001 serial A10K3 attached/);
    s.plug('ttyUSB1', '1-4', { vendor: '0403', product: '6001', serial: 'A10K3' }, b.host);
    const second = await open();
    cleanups.push(() => second.close());
    second.onData((d) => got.push(Buffer.from(d).toString()));
    const devB = await serialTransport(SerialConfig.parse({ path: b.device }))();
    cleanups.push(() => devB.close());
    await devB.write(Buffer.from('two'));
    await vi.waitFor(() => expect(got.join('')).toBe('onetwo'), { timeout: 20_000 });
  });
});
