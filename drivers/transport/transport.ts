/**
 * A transport opens a byte link to a device. Drivers take a factory, so a driver never imports serialport or net,
 * and tests hand it a pseudo-terminal or a TCP socket the same way.
 */
export interface Link {
  write(bytes: Uint8Array): Promise<void>;
  onData(fn: (bytes: Uint8Array) => void): void;
  /** Called once when the link closes for any reason (unplugged, peer closed, close()). */
  onClose(fn: (err?: Error) => void): void;
  close(): Promise<void>;
  /**
   * Flow control: stop reading until `resume` (the OS buffer fills and the device is held off — RTS/CTS or XON/XOFF
   * on a real line, a blocked writer on a pty or socket). Absent: the link cannot hold its peer off.
   */
  pause?(): void;
  resume?(): void;
  /** Things the driver should report once, as device.error readings: the link works, but not as configured. */
  warnings?: string[];
}

export type Transport = () => Promise<Link>;
