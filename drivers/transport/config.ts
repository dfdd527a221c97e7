import { z } from 'zod';

/**
 * How a device's link is configured (a serial line, a USB serial adapter's identity, a HID device's identity),
 * apart from the transports themselves: the edge's config schema (drivers/registry.ts) validates every gateway's
 * devices, and must not load serialport or node-hid for a kind the gateway does not have. serial.ts, usb-serial.ts
 * and hid.ts import (and re-export) these.
 */

/** A USB serial adapter (FTDI, CH340, CP210x, CDC-ACM) by what it says it is, found again after a re-plug (usb-serial.ts). */
export const UsbMatch = z.object({
  vendorId: z.string().regex(/^[0-9a-fA-F]{4}$/, 'four hex digits, e.g. "0403"').transform((s) => s.toLowerCase()),
  productId: z.string().regex(/^[0-9a-fA-F]{4}$/, 'four hex digits, e.g. "6001"').transform((s) => s.toLowerCase()).optional(),
  serialNumber: z.string().min(1).optional().describe('the adapter\'s USB serial number; needed when two identical adapters are attached'),
});
export type UsbMatch = z.output<typeof UsbMatch>;

export const SerialConfig = z
  .object({
    path: z.string().min(1).optional().describe('the device path, e.g. "/dev/serial/by-id/usb-…" (stable across re-plugging)'),
    usb: UsbMatch.optional().describe('instead of a path: the adapter\'s USB identity, looked up at every (re)connect'),
    baudRate: z.number().int().positive().default(9600),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .refine((c) => (c.path === undefined) !== (c.usb === undefined), { message: 'set exactly one of path or usb', path: ['path'] });
export type SerialConfig = z.output<typeof SerialConfig>;

/** A USB HID device by what survives re-plugging (VID:PID, serial number, usage page), never `/dev/hidrawN` (hid.ts). */
export const HidMatch = z.object({
  vendorId: z.number().int().min(0).max(0xffff).describe('USB vendor id, e.g. 0x0c2e'),
  productId: z.number().int().min(0).max(0xffff).optional(),
  serialNumber: z.string().min(1).optional().describe('pick one of several identical scanners'),
  usagePage: z.number().int().min(0).max(0xffff).default(0x8c).describe('0x8C = HID POS barcode scanner'),
});
export type HidMatch = z.output<typeof HidMatch>;
