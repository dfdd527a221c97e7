import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../test/helpers/ports.ts';
import { socatAvailable, startPtyPair } from '../transport/pty.ts';
import { modbusRtu, modbusTcp } from './client.ts';
import { CONVEYOR_POINTS, ConveyorPlcSimulator } from './conveyor-simulator.ts';
import { decodePoint, encodePoint, ModbusPlcDriver, planBlocks, PlcConfig, PlcPoint, type PlcReading } from './plc.ts';
import { ModbusSimServer, RegisterBank } from './sim-server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const point = (p: object) => PlcPoint.parse(p);
const values = (rs: PlcReading[], name: string) => rs.filter((r): r is Extract<PlcReading, { kind: 'plc.value' }> => r.kind === 'plc.value' && r.name === name).map((r) => r.value);

describe('PLC point map (pure)', () => {
  it('reads contiguous points in one request per table, bridging small gaps only', () => {
    const ps = [point({ name: 'a', table: 'holding', address: 0 }), point({ name: 'b', table: 'holding', address: 3, type: 'float32' }), point({ name: 'c', table: 'holding', address: 40 }), point({ name: 'd', table: 'coil', address: 5 })];
    expect(planBlocks(ps, 8, 100).map(({ table, start, count, points }) => [table, start, count, points.map((p) => p.name)])).toEqual([
      ['coil', 5, 1, ['d']],
      ['holding', 0, 5, ['a', 'b']],
      ['holding', 40, 1, ['c']],
    ]);
    // The size limit splits even adjacent points.
    expect(planBlocks(ps.slice(0, 2), 8, 3)).toHaveLength(2);
  });

  it('decodes and encodes 16/32-bit integers and floats in both word orders', () => {
    const f = point({ name: 'f', table: 'holding', address: 0, type: 'float32', writable: true });
    expect(encodePoint(f, 1.5)).toEqual({ words: [0x3fc0, 0x0000] });
    expect(decodePoint(f, [0x3fc0, 0], 0)).toBe(1.5);
    const fl = point({ name: 'f', table: 'holding', address: 0, type: 'float32', wordOrder: 'low-first', writable: true });
    expect(encodePoint(fl, 1.5)).toEqual({ words: [0x0000, 0x3fc0] });
    expect(decodePoint(fl, [0, 0x3fc0], 0)).toBe(1.5);
    const i32 = point({ name: 'i', table: 'holding', address: 0, type: 'int32', writable: true });
    expect(decodePoint(i32, [0xffff, 0xfffe], 0)).toBe(-2);
    expect(encodePoint(i32, -2)).toEqual({ words: [0xffff, 0xfffe] });
    expect(decodePoint(point({ name: 'u', table: 'input', address: 0, type: 'uint32' }), [0x0001, 0x0002], 0)).toBe(65538);
    expect(decodePoint(point({ name: 's', table: 'input', address: 0, type: 'int16', scale: 0.1 }), [0xfff6], 0)).toBeCloseTo(-1);
    expect(encodePoint(point({ name: 't', table: 'holding', address: 0, scale: 0.1, writable: true }), 12.3)).toEqual({ words: [123] });
  });

  it('any value a point can hold survives encode → registers → decode, in either word order (property)', () => {
    const types = ['uint16', 'int16', 'uint32', 'int32', 'float32'] as const;
    const range = { uint16: [0, 0xffff], int16: [-0x8000, 0x7fff], uint32: [0, 0xffffffff], int32: [-0x80000000, 0x7fffffff] } as const;
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.constantFrom('high-first', 'low-first'), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), (type, wordOrder, x) => {
        const p = point({ name: 'p', table: 'holding', address: 0, type, wordOrder, writable: true });
        const v = type === 'float32' ? Math.fround(x) : Math.min(range[type][1], Math.max(range[type][0], Math.round(x))) || 0; // registers have no -0
        const enc = encodePoint(p, v);
        if (!('words' in enc)) throw new Error(JSON.stringify(enc));
        expect(enc.words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)).toBe(true);
        expect(decodePoint(p, enc.words, 0)).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses writes it cannot make, before touching the wire', () => {
    expect(encodePoint(point({ name: 'r', table: 'holding', address: 0 }), 1)).toEqual({ error: 'point r is read-only' });
    expect(encodePoint(point({ name: 'w', table: 'holding', address: 0, writable: true }), 70000)).toMatchObject({ error: expect.stringMatching(/out of range for uint16/) });
    expect(encodePoint(point({ name: 'c', table: 'coil', address: 0, writable: true }), 1)).toMatchObject({ error: expect.stringMatching(/true or false/) });
  });

  it('names the bad field of a config', () => {
    expect(() => PlcConfig.parse({ points: [{ name: 'x', table: 'coil', address: 0, type: 'uint16' }] })).toThrow(/coils and discrete inputs are bool/);
    expect(() => PlcConfig.parse({ points: [{ name: 'x', table: 'input', address: 0, writable: true }] })).toThrow(/only coils and holding registers/);
    expect(() => PlcConfig.parse({ points: [{ name: 'x', table: 'coil', address: 0 }, { name: 'x', table: 'coil', address: 1 }] })).toThrow(/unique/);
    expect(() => PlcConfig.parse({ points: [{ name: 'x', table: 'register', address: 0 }] })).toThrow(/table/);
  });
});

async function tcpRig(points = CONVEYOR_POINTS) {
  const port = await freePort();
  // Eyes latched until polled: the test asserts every edge is seen, which 40 ms pulses under 20 ms polling do not
  // promise on a loaded machine.
  const sim = new ConveyorPlcSimulator({ eyeMs: 40, travelMs: 120, holdEyesUntilRead: true });
  await sim.start(port);
  cleanups.push(() => sim.stop());
  const driver = new ModbusPlcDriver(PlcConfig.parse({ points, pollMs: 20 }), modbusTcp({ host: '127.0.0.1', port, unitId: 1, timeoutMs: 300 }));
  const readings: PlcReading[] = [];
  driver.onReading((r) => readings.push(r));
  const abort = new AbortController();
  await driver.start(abort.signal);
  cleanups.push(() => abort.abort());
  return { sim, driver, readings };
}

describe('conveyor PLC over Modbus TCP', () => {
  it('starts the belt, sees parcels pass both eyes, diverts one to inspection', async () => {
    const { sim, driver, readings } = await tcpRig();
    expect(values(readings, 'running')).toEqual([false]);
    expect(await driver.send({ op: 'write', name: 'speed.setpoint', value: 800 })).toEqual({ ok: true });
    expect(await driver.send({ op: 'write', name: 'run', value: true })).toEqual({ ok: true });
    await vi.waitFor(() => expect(values(readings, 'running')).toEqual([false, true]), { timeout: 20_000 });
    await vi.waitFor(() => expect(values(readings, 'speed')).toContain(800), { timeout: 20_000 });

    expect(await sim.feedParcel()).toBe('release');
    await driver.send({ op: 'write', name: 'divert.inspection', value: true });
    expect(await sim.feedParcel()).toBe('inspection');
    await vi.waitFor(() => expect(values(readings, 'parcels').at(-1)).toBe(2), { timeout: 20_000 });
    // Each parcel is seen at both eyes (the simulator holds an eye lit until the driver has polled it).
    expect(values(readings, 'eye.entry').filter((v) => v === true).length).toBe(2);
    expect(values(readings, 'eye.exit').filter((v) => v === true).length).toBe(2);
    expect(values(readings, 'lastLane')).toEqual([0, 1]);
    expect(driver.health()).toMatchObject({ connected: true, errors: 0 });
  });

  it('reports a belt fault and refuses bad writes without sending them', async () => {
    const { sim, driver, readings } = await tcpRig();
    await driver.send({ op: 'write', name: 'run', value: true });
    await vi.waitFor(() => expect(values(readings, 'running').at(-1)).toBe(true), { timeout: 20_000 });
    sim.fault(17);
    await vi.waitFor(() => expect(values(readings, 'fault.code').at(-1)).toBe(17), { timeout: 20_000 });
    expect(values(readings, 'running').at(-1)).toBe(false);
    expect(await driver.send({ op: 'write', name: 'parcels', value: 0 })).toMatchObject({ ok: false, code: 'BAD_VALUE' });
    expect(await driver.send({ op: 'write', name: 'nope', value: 0 })).toMatchObject({ ok: false, code: 'UNKNOWN_POINT' });
  });

  it('gives a bad status to the one point the PLC refuses, and keeps polling the rest', async () => {
    const points = PlcConfig.shape.points.parse([...CONVEYOR_POINTS, { name: 'ghost', table: 'input', address: 6 }]);
    const { sim, driver, readings } = await tcpRig(points);
    await vi.waitFor(() => expect(readings).toContainEqual(expect.objectContaining({ kind: 'plc.status', name: 'ghost', ok: false, reason: expect.stringMatching(/exception 2/) })), { timeout: 20_000 });
    // 'ghost' was read together with its neighbours: they were re-read one by one and still arrive.
    expect(values(readings, 'lastLane')).toEqual([0]);
    await driver.send({ op: 'write', name: 'run', value: true });
    await sim.feedParcel();
    await vi.waitFor(() => expect(values(readings, 'parcels').at(-1)).toBe(1), { timeout: 20_000 });
    expect(readings.filter((r) => r.kind === 'plc.status')).toHaveLength(1); // reported once, not every poll
    expect(driver.health().connected).toBe(true);
  });

  it('goes down when the PLC stops answering', async () => {
    const { sim, driver, readings } = await tcpRig();
    sim.dead = true;
    await vi.waitFor(() => expect(driver.health().connected).toBe(false), { timeout: 3000 });
    expect(readings.at(-1)).toMatchObject({ kind: 'device.error', reason: expect.stringMatching(/PLC not answering.*[Tt]imed out/) });
    expect(await driver.send({ op: 'write', name: 'run', value: true })).toMatchObject({ ok: false, code: 'DEVICE_DISCONNECTED' });
  });
});

describe.skipIf(!socatAvailable())('a shared RS-485 bus (Modbus RTU on a pty pair)', () => {
  it('keeps serving the live unit while another unit on the same bus is dead', async () => {
    const pty = await startPtyPair();
    cleanups.push(pty.close);
    const belt = new ConveyorPlcSimulator();
    const deadUnit = new RegisterBank().define('input', 0, 42);
    deadUnit.dead = true;
    const server = new ModbusSimServer(new Map([[1, belt.bank], [2, deadUnit]]));
    await server.start({ serialPath: pty.device });
    cleanups.push(() => server.stop());

    const live = new ModbusPlcDriver(PlcConfig.parse({ points: CONVEYOR_POINTS, pollMs: 50 }), modbusRtu({ path: pty.host, baudRate: 9600, unitId: 1, timeoutMs: 300 }));
    const dead = new ModbusPlcDriver(PlcConfig.parse({ points: [{ name: 'x', table: 'input', address: 0 }], pollMs: 50 }), modbusRtu({ path: pty.host, baudRate: 9600, unitId: 2, timeoutMs: 150 }));
    const liveReadings: PlcReading[] = [];
    live.onReading((r) => liveReadings.push(r));
    const abort = new AbortController();
    cleanups.push(() => abort.abort());
    await live.start(abort.signal);
    await dead.start(abort.signal);
    await vi.waitFor(() => expect(dead.health().connected).toBe(false), { timeout: 3000 });

    // While unit 2 times out on every poll, unit 1 on the same wire still answers and takes commands.
    expect(await live.send({ op: 'write', name: 'run', value: true })).toEqual({ ok: true });
    void belt.feedParcel();
    await vi.waitFor(() => expect(values(liveReadings, 'parcels').at(-1)).toBe(1), { timeout: 5000 });
    expect(live.health().connected).toBe(true);

    deadUnit.dead = false; // powered back on
    await vi.waitFor(() => expect(dead.health().connected).toBe(true), { timeout: 3000 });
  });
});
