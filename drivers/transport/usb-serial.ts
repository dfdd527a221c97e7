import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsbMatch } from './config.ts';

/**
 * USB serial adapters (FTDI, CH340, CP210x, CDC-ACM) found by what the device says it is — VID:PID and serial number
 * — read from sysfs, so a scale that comes back as /dev/ttyUSB1 after a re-plug is found again. sysfs needs no udev
 * daemon (udevadm is missing in containers and minimal images, where serialport's list() fails).
 */
export { UsbMatch };

export interface UsbSerialPort {
  path: string;
  vendorId: string;
  productId: string;
  serialNumber?: string;
  product?: string;
}

const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined);

/** Every tty backed by a USB device, with its USB identity (walks up from the tty to the dir holding idVendor). */
export function listUsbSerialPorts(sysRoot = '/sys', devRoot = '/dev'): UsbSerialPort[] {
  const ttyDir = join(sysRoot, 'class', 'tty');
  if (!existsSync(ttyDir)) return [];
  const out: UsbSerialPort[] = [];
  for (const name of readdirSync(ttyDir).sort()) {
    if (!/^tty(USB|ACM)\d+$/.test(name)) continue;
    let dir: string;
    try {
      dir = realpathSync(join(ttyDir, name));
    } catch {
      continue;
    }
    for (let i = 0; i < 6 && dir !== dirname(dir); i++, dir = dirname(dir)) {
      const vendorId = read(join(dir, 'idVendor'));
      if (!vendorId) continue;
      const serialNumber = read(join(dir, 'serial'));
      const product = read(join(dir, 'product'));
      out.push({ path: join(devRoot, name), vendorId, productId: read(join(dir, 'idProduct')) ?? '', ...(serialNumber ? { serialNumber } : {}), ...(product ? { product } : {}) });
      break;
    }
  }
  return out;
}

/** Pure: the one port a match means, or a reason listing what is attached. */
export function pickUsbSerial(ports: UsbSerialPort[], m: UsbMatch): { path: string } | { error: string } {
  const hits = ports.filter((p) => p.vendorId === m.vendorId && (m.productId === undefined || p.productId === m.productId) && (m.serialNumber === undefined || p.serialNumber === m.serialNumber));
  if (hits.length === 1) return { path: hits[0]!.path };
  const want = `${m.vendorId}:${m.productId ?? '*'}${m.serialNumber ? ` serial ${m.serialNumber}` : ''}`;
  const present = ports.map((p) => `${p.path} ${p.vendorId}:${p.productId}${p.serialNumber ? ` serial ${p.serialNumber}` : ''}`).join(', ') || 'none';
  if (hits.length === 0) return { error: `no USB serial adapter ${want} attached (present: ${present})` };
  return { error: `${hits.length} USB serial adapters match ${want}: set serialNumber (present: ${present})` };
}
