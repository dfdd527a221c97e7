import { describe, expect, it } from 'vitest';
import { SmoothingConfig, TagSmoother, type SmoothingConfigInput, type SmoothingEvent } from './smoothing.ts';

// Defaults: cycles of 500 ms, enter on 2 of 3 cycles, leave after 4 missed cycles.
// Cycle c covers [500c, 500c + 500); closing it decides events stamped 500c + 500.

type Step =
  | { see: string; atMs: number; antennaId?: number; readerId?: string }
  | { tick: number };

const see = (epc: string, atMs: number, antennaId = 1, readerId = 'r1'): Step => ({ see: epc, atMs, antennaId, readerId });
const tick = (nowMs: number): Step => ({ tick: nowMs });

/** One line per event, so a scenario's expectation reads like the lane's log. */
function summary(e: SmoothingEvent): string {
  if (e.kind === 'tag.entered') return `entered ${e.epc} at ${e.atMs} via ${e.firstAntenna.readerId}/${e.firstAntenna.antennaId}`;
  const path = e.antennasInOrder.map((a) => `${a.readerId}/${a.antennaId}`).join(',');
  return `left ${e.epc} at ${e.atMs} ${e.direction} ${path}`;
}

function run(steps: Step[], config: SmoothingConfigInput = {}): { events: string[]; smoother: TagSmoother } {
  const smoother = new TagSmoother(config);
  const events: string[] = [];
  for (const step of steps) {
    if ('tick' in step) events.push(...smoother.tick(step.tick).map(summary));
    else smoother.sighting({ epc: step.see, atMs: step.atMs, antennaId: step.antennaId ?? 1, readerId: step.readerId ?? 'r1' });
  }
  return { events, smoother };
}

const GATE = { antennas: [1, 2] }; // antenna 1 outside the gate, 2 inside

describe('TagSmoother scenarios', () => {
  it.each<[string, Step[], string[], SmoothingConfigInput?]>([
    ['a tag read once is noise and never enters', [see('A', 100), tick(60_000)], []],
    ['two reads in one cycle still count as one cycle', [see('A', 100), see('A', 300, 2), see('A', 499), tick(60_000)], []],
    ['2 of 3 cycles enters, stamped at the end of the confirming cycle', [see('A', 100), see('A', 1100), tick(1499), tick(1500)], [
      'entered A at 1500 via r1/1',
    ]],
    ['2 reads 3 cycles apart are outside the window', [see('A', 100), see('A', 1600), tick(60_000)], []],
    ['consecutive cycles enter at once', [see('A', 100), see('A', 600), tick(1000)], ['entered A at 1000 via r1/1']],
    ['leaves after 4 missed cycles, not before', [see('A', 100), see('A', 600), tick(2999), tick(3000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 unknown r1/1',
    ]],
    ['missed for fewer than 4 cycles stays present (c2, c3 missed; seen c4)', [see('A', 100), see('A', 600), see('A', 2100), tick(60_000)], [
      'entered A at 1000 via r1/1',
      'left A at 4500 unknown r1/1',
    ]],
    ['a long idle tick still stamps the departure at its own cycle', [see('A', 100), see('A', 600), tick(86_400_000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 unknown r1/1',
    ]],
    ['comes back after leaving: a second pass', [see('A', 100), see('A', 600), tick(5000), see('A', 5100), see('A', 5600), tick(60_000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 unknown r1/1',
      'entered A at 6000 via r1/1',
      'left A at 8000 unknown r1/1',
    ]],
    ['direction in: outside antenna first', [see('A', 100, 1), see('A', 600, 2), see('A', 700, 1), tick(60_000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 in r1/1,r1/2',
    ], GATE],
    ['direction out: inside antenna first', [see('A', 100, 2), see('A', 600, 1), tick(60_000)], [
      'entered A at 1000 via r1/2',
      'left A at 3000 out r1/2,r1/1',
    ], GATE],
    ['direction by read time, not by the order reports arrived in', [see('A', 300, 2), see('A', 200, 1), see('A', 600, 2), tick(60_000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 in r1/1,r1/2',
    ], GATE],
    ['direction unknown: only one side seen', [see('A', 100, 2), see('A', 600, 2), tick(60_000)], [
      'entered A at 1000 via r1/2',
      'left A at 3000 unknown r1/2',
    ], GATE],
    ['direction unknown: both sides at the same instant', [see('A', 100, 1), see('A', 100, 2), see('A', 600, 1), tick(60_000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 unknown r1/1,r1/2',
    ], GATE],
    ['direction unknown: antenna not configured for the lane', [see('A', 100, 7), see('A', 600, 1), tick(60_000)], [
      'entered A at 1000 via r1/7',
      'left A at 3000 unknown r1/7,r1/1',
    ], GATE],
    ['direction unknown without antenna configuration', [see('A', 100, 1), see('A', 600, 2), tick(60_000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 unknown r1/1,r1/2',
    ]],
    ['two readers, same port number, told apart by readerId', [see('A', 100, 1, 'inner'), see('A', 600, 1, 'outer'), tick(60_000)], [
      'entered A at 1000 via inner/1',
      'left A at 3000 out inner/1,outer/1',
    ], { antennas: [{ readerId: 'outer', antennaId: 1 }, { readerId: 'inner', antennaId: 1 }] }],
    ['the same tag on two readers in one cycle counts once', [see('A', 100, 1, 'r1'), see('A', 150, 1, 'r2'), tick(60_000)], []],
    ['the same tag on two readers in two cycles enters once', [see('A', 100, 1, 'r1'), see('A', 150, 1, 'r2'), see('A', 600, 1, 'r2'), tick(60_000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 unknown r1/1,r2/1',
    ]],
    ['a late sighting (cycle already closed) is ignored', [see('A', 100), tick(1000), see('A', 700), tick(60_000)], []],
    ['a late sighting does not hold a present tag', [see('A', 100), see('A', 600), tick(3000), see('A', 2900), tick(60_000)], [
      'entered A at 1000 via r1/1',
      'left A at 3000 unknown r1/1',
    ]],
    ['sightings ahead of the tick wait for their cycle', [see('A', 1100), see('A', 1600), tick(1500), tick(2000)], ['entered A at 2000 via r1/1']],
    ['EPC case does not split a tag', [see('3074257bf7194e4000001a85', 100), see('3074257BF7194E4000001A85', 600), tick(1000)], [
      'entered 3074257BF7194E4000001A85 at 1000 via r1/1',
    ]],
    ['a stricter lane: 3 of 3, leave after 2', [see('A', 100), see('A', 600), see('A', 1100), tick(60_000)], [
      'entered A at 1500 via r1/1',
      'left A at 2500 unknown r1/1',
    ], { enterAfter: { sightings: 3, withinCycles: 3 }, leaveAfter: { missedCycles: 2 } }],
    ['another cycle length', [see('A', 100), see('A', 1100), tick(60_000)], [
      'entered A at 2000 via r1/1',
      'left A at 6000 unknown r1/1',
    ], { cycleMs: 1000 }],
  ])('%s', (_name, steps, expected, config) => {
    expect(run(steps, config).events).toEqual(expected);
  });
});

describe('TagSmoother', () => {
  it('handles many tags at once, events sorted by EPC within a cycle', () => {
    const epcs = Array.from({ length: 200 }, (_, i) => `E${String(i).padStart(3, '0')}`);
    const steps: Step[] = [];
    // Reversed arrival order and several antennas: neither may change the outcome.
    for (const epc of [...epcs].reverse()) steps.push(see(epc, 100, 2), see(epc, 120, 1), see(epc, 700, 2));
    steps.push(see('NOISE', 200), tick(2000));
    const { events, smoother } = run(steps, GATE);
    expect(events).toEqual(epcs.map((e) => `entered ${e} at 1000 via r1/2`));
    expect(smoother.present()).toEqual(epcs);
    expect(smoother.tick(3000)).toEqual(epcs.map((epc) => expect.objectContaining({ kind: 'tag.left', epc, direction: 'out' })));
    expect(smoother.present()).toEqual([]);
  });

  it('a tag missed for fewer than K cycles is still present', () => {
    const smoother = new TagSmoother();
    smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, atMs: 100 });
    smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, atMs: 600 });
    smoother.tick(1000);
    expect(smoother.tick(2999)).toEqual([]);
    expect(smoother.present()).toEqual(['A']);
  });

  it('returns full events, with the raw first and last sighting times', () => {
    const smoother = new TagSmoother(GATE);
    smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, rssi: -58, atMs: 120 });
    smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 2, rssi: -50, atMs: 640 });
    expect(smoother.tick(1000)).toEqual([
      { kind: 'tag.entered', epc: 'A', atMs: 1000, firstSeenMs: 120, firstAntenna: { readerId: 'r1', antennaId: 1 } },
    ]);
    expect(smoother.tick(3000)).toEqual([
      {
        kind: 'tag.left', epc: 'A', atMs: 3000, lastSeenMs: 640, direction: 'in',
        antennasInOrder: [{ readerId: 'r1', antennaId: 1 }, { readerId: 'r1', antennaId: 2 }],
      },
    ]);
  });

  it('reports late and unusable sightings instead of counting them', () => {
    const smoother = new TagSmoother();
    expect(smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, atMs: 100 })).toBe('recorded');
    smoother.tick(1000);
    expect(smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, atMs: 999 })).toBe('late');
    expect(smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, atMs: 1000 })).toBe('recorded');
    expect(smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, atMs: Number.NaN })).toBe('invalid');
    expect(smoother.sighting({ epc: '', readerId: 'r1', antennaId: 1, atMs: 1200 })).toBe('invalid');
  });

  it('time only moves forward: an earlier or repeated tick decides nothing', () => {
    const smoother = new TagSmoother();
    smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, atMs: 100 });
    smoother.sighting({ epc: 'A', readerId: 'r1', antennaId: 1, atMs: 600 });
    expect(smoother.tick(1000)).toHaveLength(1);
    expect(smoother.tick(1000)).toEqual([]);
    expect(smoother.tick(0)).toEqual([]);
  });
});

describe('SmoothingConfig', () => {
  it('defaults suit a gate lane', () => {
    expect(SmoothingConfig.parse({})).toEqual({
      cycleMs: 500, enterAfter: { sightings: 2, withinCycles: 3 }, leaveAfter: { missedCycles: 4 }, antennas: [],
    });
  });

  it.each<[string, unknown, string]>([
    ['N greater than M', { enterAfter: { sightings: 4, withinCycles: 3 } }, 'enterAfter.sightings'],
    ['zero cycle', { cycleMs: 0 }, 'cycleMs'],
    ['zero missed cycles', { leaveAfter: { missedCycles: 0 } }, 'leaveAfter.missedCycles'],
    ['fractional antenna', { antennas: [1.5] }, 'antennas.0'],
  ])('rejects %s at %s', (_name, input, field) => {
    const result = SmoothingConfig.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });
});
