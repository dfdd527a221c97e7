import type { CommandResult } from '../contract.ts';
import type { ModbusClientFactory } from './client.ts';
import { PlcConfig, PlcPoint, PlcTable } from './config.ts';
import { PolledModbusDriver } from './polled.ts';

// The schemas live apart (config.ts), so validating a gateway's config loads no Modbus driver.
export { PlcConfig, PlcPoint };

export const width = (p: PlcPoint) => (p.type === 'uint32' || p.type === 'int32' || p.type === 'float32' ? 2 : 1);

export interface ReadBlock {
  table: PlcPoint['table'];
  start: number;
  count: number;
  points: PlcPoint[];
}

/** Pure: group points into as few reads as possible, within each table, bridging small gaps, never over the size limit. */
export function planBlocks(points: PlcPoint[], maxGap: number, maxRegisters: number): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const table of PlcTable.options) {
    const limit = table === 'coil' || table === 'discrete' ? 2000 : maxRegisters;
    const sorted = points.filter((p) => p.table === table).sort((a, b) => a.address - b.address);
    let cur: ReadBlock | undefined;
    for (const p of sorted) {
      const end = p.address + width(p);
      if (cur && p.address <= cur.start + cur.count + maxGap && end - cur.start <= limit) {
        cur.count = Math.max(cur.count, end - cur.start);
        cur.points.push(p);
      } else {
        cur = { table, start: p.address, count: width(p), points: [p] };
        blocks.push(cur);
      }
    }
  }
  return blocks;
}

/** Pure: a point's engineering value out of a block's raw words or bits. */
export function decodePoint(p: PlcPoint, raw: (number | boolean)[], offset: number): number | boolean {
  if (p.type === 'bool') return Boolean(raw[offset]);
  const w0 = Number(raw[offset] ?? 0);
  const w1 = Number(raw[offset + 1] ?? 0);
  const [hi, lo] = p.wordOrder === 'high-first' ? [w0, w1] : [w1, w0];
  const b = Buffer.alloc(4);
  b.writeUInt16BE(hi, 0);
  b.writeUInt16BE(lo, 2);
  const v = { uint16: w0, int16: (w0 << 16) >> 16, uint32: b.readUInt32BE(0), int32: b.readInt32BE(0), float32: b.readFloatBE(0) }[p.type];
  return p.scale === 1 ? v : v * p.scale;
}

/** Pure: the registers (or coil state) that write an engineering value, or why it cannot be written. */
export function encodePoint(p: PlcPoint, value: unknown): { coil: boolean } | { words: number[] } | { error: string } {
  if (!p.writable) return { error: `point ${p.name} is read-only` };
  if (p.type === 'bool') return typeof value === 'boolean' ? { coil: value } : { error: `point ${p.name} takes true or false` };
  if (typeof value !== 'number' || !Number.isFinite(value)) return { error: `point ${p.name} takes a number` };
  const raw = value / p.scale;
  const b = Buffer.alloc(4);
  const ranges = { uint16: [0, 0xffff], int16: [-0x8000, 0x7fff], uint32: [0, 0xffffffff], int32: [-0x80000000, 0x7fffffff] } as const;
  if (p.type !== 'float32') {
    const n = Math.round(raw);
    const [min, max] = ranges[p.type];
    if (n < min || n > max) return { error: `${value} is out of range for ${p.type} point ${p.name}` };
    if (p.type === 'uint16' || p.type === 'int16') return { words: [n & 0xffff] };
    if (p.type === 'uint32') b.writeUInt32BE(n, 0);
    else b.writeInt32BE(n, 0);
  } else b.writeFloatBE(raw, 0);
  const hi = b.readUInt16BE(0);
  const lo = b.readUInt16BE(2);
  return { words: p.wordOrder === 'high-first' ? [hi, lo] : [lo, hi] };
}

export type PlcReading =
  | { kind: 'plc.value'; name: string; value: number | boolean; atMs: number }
  | { kind: 'plc.status'; name: string; ok: boolean; reason?: string; atMs: number }
  | { kind: 'device.error'; reason: string; rawHex: string; atMs: number };

export type PlcCommand = { op: 'write'; name: string; value: number | boolean };

/**
 * A PLC that speaks Modbus (conveyors, sorters, X-ray lines without OPC UA): named points over its four tables,
 * polled in as few requests as the map allows, written by name. As in Kura, a point the PLC refuses gets a bad
 * status of its own while the rest of the poll carries on; only a lost link takes the device down.
 *
 * Addresses are 0-based protocol addresses ("40001" in a PLC manual is holding register 0). 32-bit values span two
 * registers whose order varies by vendor: `wordOrder`.
 */
export class ModbusPlcDriver extends PolledModbusDriver<PlcReading, PlcCommand> {
  private readonly blocks: ReadBlock[];
  private readonly last = new Map<string, number | boolean>();
  private readonly bad = new Map<string, string>();

  constructor(private readonly config: PlcConfig, connect: ModbusClientFactory, now: () => number = Date.now) {
    super(connect, config.pollMs, now);
    this.blocks = planBlocks(config.points, config.maxGap, config.maxRegisters);
  }

  private read(b: ReadBlock): Promise<(number | boolean)[]> {
    const c = this.client!;
    return { coil: () => c.readCoils(b.start, b.count), discrete: () => c.readDiscreteInputs(b.start, b.count), holding: () => c.readHoldingRegisters(b.start, b.count), input: () => c.readInputRegisters(b.start, b.count) }[b.table]();
  }

  protected async pollOnce(): Promise<void> {
    let answered = 0;
    let lastFailure = '';
    for (const b of this.blocks) {
      try {
        const raw = await this.read(b);
        answered += 1;
        const atMs = this.now();
        for (const p of b.points) {
          if (this.bad.delete(p.name)) this.emit({ kind: 'plc.status', name: p.name, ok: true, atMs });
          const value = decodePoint(p, raw, p.address - b.start);
          if (this.last.get(p.name) !== value) {
            this.last.set(p.name, value);
            this.emit({ kind: 'plc.value', name: p.name, value, atMs });
          }
        }
      } catch (e) {
        lastFailure = this.describe(e);
        // Only an exception reply means "this address": a timeout or a dead link means the PLC, and every other
        // block would wait out the same timeout, so the poll ends here.
        if ((e as { modbusCode?: number }).modbusCode === undefined) break;
        answered += 1;
        await this.markBad(b, lastFailure);
      }
    }
    if (answered > 0) {
      this.h.lastReadingMs = this.now();
      this.h.connected = true;
    } else {
      // Nothing answered: the link or the unit is gone. Down, so the supervisor restarts it with backoff.
      this.h.errors += 1;
      this.h.connected = false;
      this.emit({ kind: 'device.error', reason: `PLC not answering: ${lastFailure}`, rawHex: '', atMs: this.now() });
    }
  }

  /** A block the PLC refused: read its points one by one, so one bad address does not blind the whole block. */
  private async markBad(b: ReadBlock, reason: string): Promise<void> {
    for (const p of b.points) {
      let why = reason;
      if (b.points.length > 1) {
        try {
          const raw = await this.read({ table: p.table, start: p.address, count: width(p), points: [p] });
          const value = decodePoint(p, raw, 0);
          if (this.bad.delete(p.name)) this.emit({ kind: 'plc.status', name: p.name, ok: true, atMs: this.now() });
          if (this.last.get(p.name) !== value) {
            this.last.set(p.name, value);
            this.emit({ kind: 'plc.value', name: p.name, value, atMs: this.now() });
          }
          continue;
        } catch (e) {
          why = this.describe(e);
        }
      }
      if (this.bad.get(p.name) !== why) {
        this.h.errors += 1;
        this.bad.set(p.name, why);
        this.emit({ kind: 'plc.status', name: p.name, ok: false, reason: why, atMs: this.now() });
      }
    }
  }

  private describe(e: unknown): string {
    const err = e as { message?: string; modbusCode?: number };
    return err.modbusCode !== undefined ? `Modbus exception ${err.modbusCode}: ${err.message ?? ''}` : (err.message ?? String(e));
  }

  async send(cmd: PlcCommand): Promise<CommandResult> {
    const p = this.config.points.find((x) => x.name === cmd.name);
    if (!p) return { ok: false, code: 'UNKNOWN_POINT', message: `no point named ${cmd.name}` };
    const enc = encodePoint(p, cmd.value);
    if ('error' in enc) return { ok: false, code: 'BAD_VALUE', message: enc.error };
    if (!this.client || !this.h.connected) return { ok: false, code: 'DEVICE_DISCONNECTED', message: 'PLC not connected' };
    try {
      if ('coil' in enc) await this.client.writeCoil(p.address, enc.coil);
      else if (enc.words.length === 1) await this.client.writeRegister(p.address, enc.words[0]!);
      else await this.client.writeRegisters(p.address, enc.words);
      return { ok: true };
    } catch (e) {
      this.h.errors += 1;
      return { ok: false, code: 'COMMAND_FAILED', message: this.describe(e) };
    }
  }
}
