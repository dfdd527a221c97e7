import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryCache, type Decision, type StationCommand, type StationEvent } from '../../shared/stations/types.ts';
import { EdgeJournal } from '../journal.ts';
import { manualTimeSource } from '../time-source.ts';
import { checkedEvent, readsOf, StationRunner, TIMER_CHUNK, type StationDef } from './runtime.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) c();
});

function journal(): EdgeJournal {
  const dir = mkdtempSync(join(tmpdir(), 'bg-runner-'));
  const j = new EdgeJournal({ file: join(dir, 'j.sqlite'), gatewayId: 'GW-1', time: manualTimeSource(), quotaBytes: 1e8, synchronous: 'NORMAL' });
  cleanups.push(() => (j.close(), rmSync(dir, { recursive: true, force: true })));
  return j;
}
const rows = (j: EdgeJournal) => j.readFrom(1, 10_000).map((r) => JSON.parse(r.json) as { type: string; stationId: string; payload: Record<string, unknown> });
const quiet = pino({ level: 'silent' });
const noCommands = { run: async () => null };

/** A station that emits what its input says, as a table row would: events, timers, or a throw. */
type ToyInput = { events?: StationEvent[]; commands?: StationCommand[]; fail?: string; code?: string };
const toy = (fired: string[] = []): StationDef<{ n: number }, ToyInput> => ({
  kind: 'toy',
  initial: () => ({ n: 0 }),
  decide: (s, i): Decision<{ n: number }> => {
    if (i.fail) throw new Error(i.fail);
    return { state: { n: s.n + 1 }, events: i.events ?? [], commands: i.commands ?? [] };
  },
  display: () => ({ verdict: null, lastCodes: [], weightKg: null, recent: [] }),
  fromReading: () => undefined,
  timer: (id) => (fired.push(id), {}),
  commandFailed: () => undefined,
});

const inspected = (codes: string[]): StationEvent =>
  ({ type: 'parcel.inspected', payload: { transactionId: 'T-1', revision: 1, lineId: 'LINE-1', outcome: 'multi_read', codes, hubDecision: 'unknown', lane: 'exception', reasons: ['multiple labels read'] } }) as StationEvent;

describe('station runner: nothing a station was given is lost to its own failure', () => {
  const refused: { name: string; input: ToyInput; eventType: string; error: RegExp; reads: string[] }[] = [
    {
      name: 'a transaction with 17 codes (over the event limit)',
      input: { events: [inspected(Array.from({ length: 17 }, (_, i) => `JDX${i}`))] },
      eventType: 'parcel.inspected',
      error: /codes/,
      reads: Array.from({ length: 17 }, (_, i) => `JDX${i}`),
    },
    { name: 'a station that throws on an input', input: { fail: 'boom', code: 'EA000000015CN' }, eventType: 'decide', error: /boom/, reads: ['EA000000015CN'] },
  ];
  for (const row of refused) {
    it(`${row.name}: journalled as a station.exception carrying the reads, with an alarm`, async () => {
      const j = journal();
      const r = new StationRunner('LINE-1', toy(), j, memoryCache(), noCommands, quiet);
      await r.input(row.input);
      await vi.waitFor(() => expect(rows(j).map((e) => e.type).sort()).toEqual(['edge.alarm', 'station.exception']), { timeout: 20_000 });
      const ex = rows(j).find((e) => e.type === 'station.exception')!;
      expect(ex).toMatchObject({ stationId: 'LINE-1', payload: { eventType: row.eventType, reads: row.reads } });
      expect(ex.payload.error).toMatch(row.error);
      expect(JSON.parse(String(ex.payload.payloadJson))).toBeTruthy();
      expect(rows(j).find((e) => e.type === 'edge.alarm')).toMatchObject({ payload: { alarm: 'station_event_refused' } });
    });
  }

  it('a valid event is journalled as it is, with the state', async () => {
    const j = journal();
    const r = new StationRunner('LINE-1', toy(), j, memoryCache(), noCommands, quiet);
    await r.input({ events: [inspected(['EA000000015CN'])] });
    expect(rows(j).map((e) => e.type)).toEqual(['parcel.inspected']);
    expect(JSON.parse(j.getMeta('station:LINE-1')!)).toEqual({ n: 1 });
  });

  it('a burst of decisions serialises the state once per commit, and the state committed is the one after the last event', async () => {
    // The state counts its own serialisations (JSON.stringify calls toJSON): cost is visible without timing anything.
    let serialised = 0;
    type Counted = { n: number; toJSON(): unknown };
    const counted = (n: number): Counted => ({ n, toJSON: () => (serialised++, { n }) });
    const def: StationDef<Counted, ToyInput> = { ...(toy() as unknown as StationDef<Counted, ToyInput>), initial: () => counted(0), decide: (s, i) => ({ state: counted(s.n + 1), events: i.events ?? [], commands: [] }) };
    const j = journal();
    const r = new StationRunner('LINE-1', def, j, memoryCache(), noCommands, quiet);
    const burst = Array.from({ length: 200 }, (_, k) => r.input({ events: [{ ...inspected([`EA${String(k).padStart(9, '0')}CN`]), parcelKey: `P${k}` } as StationEvent] }));
    await Promise.all(burst);
    expect(rows(j)).toHaveLength(200);
    expect(JSON.parse(j.getMeta('station:LINE-1')!)).toEqual({ n: 200 });
    expect(serialised).toBeLessThanOrEqual(2); // one group commit (old code: 200, one per decision)
  });

  it('a decision without events after one with events: the state is written with the events, not again on its own', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const j = journal();
    const writes: string[] = [];
    const setMeta = j.setMeta.bind(j);
    j.setMeta = (k, v) => (writes.push(k), setMeta(k, v));
    const r = new StationRunner('LINE-1', toy(), j, memoryCache(), noCommands, quiet);
    const a = r.input({}); // no events: its state is saved a moment later …
    const b = r.input({ events: [inspected(['EA000000015CN'])] }); // … unless events commit it first
    await Promise.all([a, b]);
    vi.advanceTimersByTime(1000);
    expect(JSON.parse(j.getMeta('station:LINE-1')!)).toEqual({ n: 2 });
    expect(writes).toEqual([]); // old code: a second write of the same state, an fsync of its own
    r.input({}); // a later decision without events is still saved
    vi.advanceTimersByTime(1000);
    expect(writes).toEqual(['station:LINE-1']);
    expect(JSON.parse(j.getMeta('station:LINE-1')!)).toEqual({ n: 3 });
  });

  it('a backlog of due timers is decided in chunks, yielding to the event loop between them, in order', async () => {
    const j = journal();
    const fired: string[] = [];
    const seenByOthers: number[] = [];
    const def = toy(fired);
    const timer = def.timer;
    // Whatever else the process has to do (an HTTP request, a serial chunk) runs once the station yields: record how
    // many timers had fired by then.
    def.timer = (id) => {
      if (fired.length === 0) setImmediate(() => seenByOthers.push(fired.length));
      return timer(id);
    };
    const r = new StationRunner('LINE-1', def, j, memoryCache(), noCommands, quiet, () => 1_000);
    const n = TIMER_CHUNK * 3 + 7;
    await r.input({ commands: Array.from({ length: n }, (_, k) => ({ kind: 'timer' as const, id: `t${k}`, atMs: 500 + (k % 3) })) });
    await vi.waitFor(() => expect(fired).toHaveLength(n), { timeout: 20_000 });
    expect(seenByOthers).toEqual([TIMER_CHUNK]); // old code: every timer decided before anything else ran
    const expected = Array.from({ length: n }, (_, k) => ({ id: `t${k}`, at: 500 + (k % 3), k })).sort((a, b) => a.at - b.at || a.k - b.k).map((t) => t.id);
    expect(fired).toEqual(expected);
    r.stop();
  });

  it('pure helpers: readsOf and checkedEvent', () => {
    expect(readsOf({ codes: ['A', 'B'], rejectedReads: [{ text: 'X', reason: 'r' }, 'Y'], code: 'C' })).toEqual(['A', 'B', 'X', 'Y', 'C']);
    expect(readsOf(null)).toEqual([]);
    const ok = { ...inspected(['A']), stationId: 'S' } as Parameters<typeof checkedEvent>[0];
    expect(checkedEvent(ok)).toEqual({ event: ok, parsed: true });
    expect(checkedEvent({ ...ok, parcelKey: 'x'.repeat(65) } as typeof ok).refused).toMatch(/parcelKey/);
  });

  it('timers due together fire in deadline order, ties in creation order, however the clock moved while they were set', async () => {
    vi.useFakeTimers();
    const j = journal();
    let now = 0;
    const fired: string[] = [];
    const r = new StationRunner('LINE-1', toy(fired), j, memoryCache(), noCommands, quiet, () => now);
    await r.input({ commands: [{ kind: 'timer', id: 'first', atMs: 100 }] });
    // The process was busy: its clock moved on before the next parcel's timer was set (same deadline).
    now = 60;
    await r.input({ commands: [{ kind: 'timer', id: 'second', atMs: 100 }] });
    await r.input({ commands: [{ kind: 'timer', id: 'third', atMs: 120 }, { kind: 'timer', id: 'cancelled', atMs: 90 }, { kind: 'cancel-timer', id: 'cancelled' }] });
    await vi.advanceTimersByTimeAsync(45);
    expect(fired).toEqual([]); // nothing is due before its deadline
    now = 130;
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toEqual(['first', 'second', 'third']);
    r.stop();
  });
});
