import { describe, expect, it } from 'vitest';
import { hidTransport, HidMatch, pickHidDevice, type HidDeviceInfo } from '../../transport/hid.ts';
import type { Link } from '../../transport/transport.ts';
import { GS } from '../../../shared/identifiers/gs1.ts';
import type { ScanReading } from '../serial-scanner.ts';
import { HidPosScannerConfig, HidPosScannerDriver } from './hid-pos-scanner.ts';

/**
 * The HID POS scanner driver. This machine has no USB bus and no /dev/uhid to create a virtual HID device, so the
 * driver is fed recorded reports one per chunk, exactly as node-hid delivers them; node-hid itself is exercised for
 * real in enumeration (it must load and list), and the device choice is a pure function tested on recorded lists.
 */
function posReport(payload: string, more: boolean): Buffer {
  const r = Buffer.alloc(64);
  r[0] = 0x02;
  r[1] = payload.length;
  r.write(payload, 2, 'latin1');
  if (more) r[63] = 0x01;
  return r;
}

function reportLink() {
  let data: (b: Uint8Array) => void = () => undefined;
  let closed: (e?: Error) => void = () => undefined;
  const link: Link = {
    write: async () => undefined,
    onData: (fn) => (data = fn),
    onClose: (fn) => (closed = fn),
    close: async () => closed(),
  };
  return { link, report: (b: Uint8Array) => data(b), unplug: () => closed(new Error('read error')) };
}

const honeywell: HidDeviceInfo = { vendorId: 0x0c2e, productId: 0x0b8f, path: '/dev/hidraw3', serialNumber: 'A1', usagePage: 0x8c, interface: 0 };
const keyboard: HidDeviceInfo = { vendorId: 0x0c2e, productId: 0x0b8f, path: '/dev/hidraw2', serialNumber: 'A1', usagePage: 0x01, interface: 1 };

describe('HID POS scanner', () => {
  it('turns reports into classified scans, keeping GS and the AIM id', async () => {
    const { link, report, unplug } = reportLink();
    const config = HidPosScannerConfig.parse({ usb: { vendorId: 0x0c2e, productId: 0x0b8f } });
    const driver = new HidPosScannerDriver(config, async () => link);
    const readings: ScanReading[] = [];
    driver.onReading((r) => readings.push(r));
    await driver.start(new AbortController().signal);
    const label = `]C1010690123400001610LOT42${GS}21SN0001`;
    report(posReport(label.slice(0, 20), true));
    report(posReport(label.slice(20), false));
    report(posReport('EA123456785CN', false));
    report(Buffer.alloc(64, 0x07)); // wrong report id: garbage, counted
    expect(readings[0]).toMatchObject({ kind: 'scan', read: { kind: 'gs1', symbology: 'gs1-128' }, raw: label });
    expect(readings[1]).toMatchObject({ kind: 'scan', read: { kind: 's10', value: 'EA123456785CN' } });
    expect(readings[2]).toMatchObject({ kind: 'device.error', reason: expect.stringMatching(/report id 7/), rawHex: '07'.repeat(64) });
    expect(driver.health()).toMatchObject({ connected: true, garbage: 1 });
    unplug();
    expect(driver.health().connected).toBe(false);
  });

  it('finds the scanner by VID:PID and usage page, not by hidraw number', () => {
    const m = HidMatch.parse({ vendorId: 0x0c2e, productId: 0x0b8f });
    expect(pickHidDevice([keyboard, honeywell], m)).toEqual({ device: honeywell });
    const twin = { ...honeywell, path: '/dev/hidraw5', serialNumber: 'B2' };
    expect(pickHidDevice([honeywell, twin], m)).toMatchObject({ error: expect.stringMatching(/2 HID devices match .*set serialNumber/) });
    expect(pickHidDevice([honeywell, twin], HidMatch.parse({ ...m, serialNumber: 'B2' }))).toEqual({ device: twin });
    expect(pickHidDevice([keyboard], m)).toMatchObject({ error: expect.stringMatching(/no HID device 0c2e:0b8f usage page 0x8c \(present: 0c2e:0b8f\/A1 page 0x1\).*HID POS/) });
  });

  it('enumerates through the real node-hid and says clearly when the scanner is absent', async () => {
    const open = hidTransport(HidMatch.parse({ vendorId: 0xfffe, productId: 0x0001 }));
    await expect(open()).rejects.toThrow(/no HID device fffe:0001 usage page 0x8c \(present: /);
  });

  it('names the bad field of a config', () => {
    expect(() => HidPosScannerConfig.parse({ usb: { vendorId: 'honeywell' } })).toThrow(/vendorId/);
    expect(() => HidPosScannerConfig.parse({ usb: { vendorId: 1 }, reports: { bodySize: 8, moreDataFlag: { byte: 9, mask: 1 } } })).toThrow(/moreDataFlag/);
  });
});

