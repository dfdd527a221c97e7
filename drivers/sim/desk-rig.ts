import type { DeviceConfig } from '../registry.ts';
import { renderFrame } from '../scale/simulator.ts';
import { startPtyPair } from '../transport/pty.ts';
import { SerialConfig, serialTransport } from '../transport/serial.ts';
import type { Link } from '../transport/transport.ts';

/**
 * A simulated warehouse desk on real transports: a handheld scanner and a bench scale, each a serial device on a
 * pseudo-terminal (socat), as `startLineRig` does for the inspection line. It returns the device configs that point a
 * gateway's warehouse station at them; `scan` and `weigh` are what the operator's hands do. Needs socat.
 */
export interface RunningDeskRig {
  devices: DeviceConfig[];
  scannerId: string;
  scaleId: string;
  /** A label read by the handheld (the scanner sends it CR-terminated, as configured). */
  scan(text: string): Promise<void>;
  /** A load settles on the scale: a stable frame of the ad-ascii protocol. */
  weigh(kg: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startDeskRig(o: { prefix: string }): Promise<RunningDeskRig> {
  const stops: (() => Promise<void>)[] = [];
  let scanner: Link | undefined;
  let scale: Link | undefined;
  try {
    const [scanPty, scalePty] = await Promise.all([startPtyPair(), startPtyPair()]);
    stops.push(scanPty.close, scalePty.close);
    scanner = await serialTransport(SerialConfig.parse({ path: scanPty.device }))();
    scale = await serialTransport(SerialConfig.parse({ path: scalePty.device }))();
    stops.push(() => scanner!.close(), () => scale!.close());
    const scannerId = `${o.prefix}-scanner`;
    const scaleId = `${o.prefix}-scale`;
    const s = scanner;
    const w = scale;
    return {
      scannerId,
      scaleId,
      devices: [
        { kind: 'serial-scanner', id: scannerId, serial: SerialConfig.parse({ path: scanPty.host }), scanner: { terminator: 'CR', idleMs: 50, maxLength: 1024, openSilenceMs: 200 } },
        { kind: 'scale', id: scaleId, serial: SerialConfig.parse({ path: scalePty.host }), scale: { protocol: 'ad-ascii', toledoChecksum: true, reversedStream: { reversed: true, sign: 'minus' }, stability: { count: 5, toleranceKg: 0.002 } } },
      ],
      scan: (text) => s.write(Buffer.from(`${text}\r`, 'latin1')),
      weigh: (kg) => w.write(renderFrame('ad-ascii', kg, true)),
      stop: async () => {
        for (const x of stops.reverse()) await x().catch(() => undefined);
      },
    };
  } catch (e) {
    for (const x of stops.reverse()) await x().catch(() => undefined);
    throw e;
  }
}
