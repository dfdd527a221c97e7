import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SerialPort } from 'serialport';
import { createInterface } from 'node:readline';
import { createDriver, DeviceConfig } from '../drivers/registry.ts';
import { listHidDevices } from '../drivers/transport/hid.ts';
import { listUsbSerialPorts } from '../drivers/transport/usb-serial.ts';
import { loadConfigFile } from '../shared/config-file.ts';

/**
 * What an installer at a new gate needs: which devices are there (`devices list`), and what one of them says
 * (`devices probe --config FILE`: open it and print decoded readings live).
 */
function byIdLinks(dir: string): { name: string; target: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((name) => ({ name: join(dir, name), target: resolve(dir, readlinkSync(join(dir, name))) }));
}

export async function listDevices(print: (line: string) => void = console.log): Promise<void> {
  print('Serial ports (configure by the /dev/serial/by-id path or by usb: {vendorId, productId, serialNumber}; /dev/ttyUSBn changes on re-plugging):');
  const stable = byIdLinks('/dev/serial/by-id');
  try {
    const ports = await SerialPort.list();
    if (ports.length === 0) print('  (none)');
    for (const p of ports) {
      const link = stable.find((l) => l.target === p.path)?.name;
      print(`  ${p.path}${link ? `  ${link}` : ''}  ${[p.manufacturer, p.vendorId && `VID:PID ${p.vendorId}:${p.productId}`, p.serialNumber && `serial ${p.serialNumber}`].filter(Boolean).join(', ')}`);
    }
  } catch (e) {
    // SerialPort.list() asks udev; without it (containers, minimal images) read the USB identities from sysfs.
    print(`  (udev unavailable: ${(e as Error).message}; reading sysfs)`);
    const usb = listUsbSerialPorts();
    for (const p of usb) {
      const link = stable.find((l) => l.target === p.path)?.name;
      print(`  ${p.path}${link ? `  ${link}` : ''}  VID:PID ${p.vendorId}:${p.productId}${p.serialNumber ? `, serial ${p.serialNumber}` : ''}${p.product ? `, ${p.product}` : ''}`);
    }
    const other = existsSync('/dev') ? readdirSync('/dev').filter((n) => /^tty(AMA|S[0-3])\d*$/.test(n)) : [];
    for (const n of other) print(`  /dev/${n}`);
    if (usb.length + other.length === 0) print('  (none)');
  }
  print('HID devices (HID POS scanners have usage page 0x8c; match them by VID:PID and serial, not /dev/hidrawN):');
  try {
    const hid = await listHidDevices();
    for (const d of hid) {
      const hex = (n: number) => n.toString(16).padStart(4, '0');
      print(`  ${d.path ?? '?'}  VID:PID ${hex(d.vendorId)}:${hex(d.productId)}  usage page 0x${(d.usagePage ?? 0).toString(16)}${d.usagePage === 0x8c ? ' (HID POS scanner)' : ''}${d.product ? `  ${d.product}` : ''}${d.serialNumber ? `  serial ${d.serialNumber}` : ''}`);
    }
    if (hid.length === 0) print('  (none)');
  } catch (e) {
    print(`  (cannot enumerate HID: ${(e as Error).message}; install libusb-1.0-0 and libudev1)`);
  }
  print('Keyboard-wedge scanners (input devices, grabbed exclusively by the agent):');
  const kbd = byIdLinks('/dev/input/by-id').filter((l) => l.name.endsWith('-event-kbd'));
  for (const l of kbd) print(`  ${l.name} -> ${l.target}`);
  if (kbd.length === 0) print('  (none)');
}

/**
 * Commands typed while probing: a bare word (`open`, `snapshot`, `zero`) or a JSON command
 * (`{"op":"write","name":"run","value":true}`); each result is printed.
 */
export function parseProbeCommand(line: string): unknown {
  const t = line.trim();
  if (t.startsWith('{')) return JSON.parse(t) as unknown;
  return t;
}

export async function probeDevice(file: string, print: (line: string) => void = console.log, input: NodeJS.ReadableStream | null = process.stdin): Promise<{ stop(): void }> {
  const config = loadConfigFile(DeviceConfig, file);
  const driver = createDriver(config);
  const abort = new AbortController();
  const ts = (ms: number) => new Date(ms).toISOString().slice(11, 23);
  driver.onReading((r) => {
    const { kind, type, atMs, ...rest } = r;
    print(`${ts(atMs)}  ${config.id}  ${String(kind ?? type)}  ${JSON.stringify(rest)}`);
  });
  await driver.start(abort.signal);
  print(`probing ${config.kind} "${config.id}" — type a command (a word or JSON) and Enter to send it; Ctrl+C to stop`);
  const rl = input ? createInterface({ input, terminal: false }) : undefined;
  rl?.on('line', (line) => {
    if (!line.trim()) return;
    let cmd: unknown;
    try {
      cmd = parseProbeCommand(line);
    } catch (e) {
      return print(`${ts(Date.now())}  ${config.id}  command not understood: ${(e as Error).message}`);
    }
    void driver.send(cmd).then((r) => print(`${ts(Date.now())}  ${config.id}  command ${JSON.stringify(cmd)} -> ${JSON.stringify(r)}`));
  });
  const health = setInterval(() => print(`${ts(Date.now())}  ${config.id}  health  ${JSON.stringify(driver.health())}`), 5000);
  health.unref();
  return {
    stop: () => {
      rl?.close();
      clearInterval(health);
      abort.abort();
    },
  };
}
