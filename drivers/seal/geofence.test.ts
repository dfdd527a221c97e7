import { describe, expect, it } from 'vitest';
import { fieldIssues } from '../../shared/errors.ts';
import {
  distanceToRingM,
  EARTH_RADIUS_M,
  effectiveAccuracyM,
  Fence,
  haversineM,
  inCircle,
  inFence,
  insideWithConfidence,
  inPolygon,
  type LatLon,
} from './geofence.ts';

/** devices.md §7 ✓ square 22.54–22.56 × 114.05–114.07 */
const square: LatLon[] = [
  [22.54, 114.05],
  [22.54, 114.07],
  [22.56, 114.07],
  [22.56, 114.05],
];

/** A "C" opening east: spine lon 0–1, arms lat 0–1 and 2–3, notch lat 1–2 × lon 1–3. */
const cShape: LatLon[] = [
  [0, 0],
  [0, 3],
  [1, 3],
  [1, 1],
  [2, 1],
  [2, 3],
  [3, 3],
  [3, 0],
];

/** A diamond whose left and right vertices sit on the ray from points at lat 1. */
const diamond: LatLon[] = [
  [0, 1],
  [1, 2],
  [2, 1],
  [1, 0],
];

describe('haversine', () => {
  it('matches the devices.md §7 vector: 797.0 m', () => {
    expect(EARTH_RADIUS_M).toBe(6_371_008.8);
    expect(Math.abs(haversineM([22.5431, 114.0579], [22.55, 114.06]) - 797.0)).toBeLessThanOrEqual(0.1);
  });
  it('is symmetric and zero for the same point', () => {
    expect(haversineM([22.55, 114.06], [22.5431, 114.0579])).toBeCloseTo(haversineM([22.5431, 114.0579], [22.55, 114.06]), 9);
    expect(haversineM([22.55, 114.06], [22.55, 114.06])).toBe(0);
  });
  it('gives half the circumference for antipodes', () => {
    expect(haversineM([0, 0], [0, 180])).toBeCloseTo(Math.PI * EARTH_RADIUS_M, 3);
  });
});

describe('circle', () => {
  it.each([
    [797.1, true],
    [797.0, true],
    [796.9, false],
  ])('radius %d m around the ✓ vector start contains the end: %s', (radiusM, expected) => {
    expect(inCircle({ center: [22.5431, 114.0579], radiusM }, [22.55, 114.06])).toBe(expected);
  });
});

describe('polygon (ray casting)', () => {
  it.each<[string, LatLon[], LatLon, boolean]>([
    ['✓ square contains its centre', square, [22.55, 114.06], true],
    ['✓ square excludes a point north of it', square, [22.57, 114.06], false],
    ['square excludes a point level with its top edge, to the west', square, [22.56, 114.04], false],
    ['concave: bottom arm', cShape, [0.5, 2], true],
    ['concave: the notch is outside', cShape, [1.5, 2], false],
    ['concave: spine', cShape, [1.5, 0.5], true],
    ['concave: top arm', cShape, [2.5, 2.5], true],
    ['concave: east of the arms', cShape, [0.5, 3.5], false],
    ['ray through two vertices, point inside', diamond, [1, 1], true],
    ['ray through two vertices, point west', diamond, [1, -0.5], false],
    ['ray through two vertices, point east', diamond, [1, 2.5], false],
    // edge rule: boundary counts as inside
    ['on a horizontal edge', square, [22.54, 114.06], true],
    ['on a vertical edge', square, [22.55, 114.07], true],
    ['on a vertex', square, [22.56, 114.05], true],
    ['on an inner edge of the notch', cShape, [1, 2], true],
    ['on a slanted edge', diamond, [0.5, 1.5], true],
    ['just off a slanted edge, outside', diamond, [0.5, 1.5 + 1e-6], false],
  ])('%s', (_name, ring, p, expected) => {
    expect(inPolygon(ring, p)).toBe(expected);
  });

  it('does not depend on winding or on a closing vertex', () => {
    const reversed = [...cShape].reverse();
    const closed = [...cShape, cShape[0]!];
    for (const p of [[0.5, 2], [1.5, 2], [1, 2], [3, 0]] as LatLon[]) {
      expect(inPolygon(reversed, p)).toBe(inPolygon(cShape, p));
      expect(inPolygon(closed, p)).toBe(inPolygon(cShape, p));
    }
  });
});

describe('Fence schema', () => {
  const issues = (input: unknown) => {
    const r = Fence.safeParse(input);
    return r.success ? [] : fieldIssues(r.error).map((f) => f.field);
  };

  it('accepts a circle and a polygon (open or closed ring)', () => {
    expect(issues({ kind: 'circle', center: [22.5431, 114.0579], radiusM: 800 })).toEqual([]);
    expect(issues({ kind: 'polygon', ring: square })).toEqual([]);
    expect(issues({ kind: 'polygon', ring: [...square, square[0]] })).toEqual([]);
  });
  it.each<[string, unknown, string]>([
    ['ring of 2 points', { kind: 'polygon', ring: square.slice(0, 2) }, 'ring'],
    ['ring of 3 entries closing back on itself', { kind: 'polygon', ring: [square[0], square[1], square[0]] }, 'ring'],
    ['latitude out of range', { kind: 'polygon', ring: [[91, 114], ...square] }, 'ring.0.0'],
    ['longitude out of range', { kind: 'polygon', ring: [...square, [22.5, 181]] }, 'ring.4.1'],
    ['antimeridian-crossing ring', { kind: 'polygon', ring: [[0, 179], [1, 179], [1, -179]] }, 'ring'],
    ['zero radius', { kind: 'circle', center: [22.5, 114], radiusM: 0 }, 'radiusM'],
    ['circle centre out of range', { kind: 'circle', center: [-95, 114], radiusM: 10 }, 'center.0'],
    ['unknown kind', { kind: 'hexagon', ring: square }, 'kind'],
  ])('rejects %s, naming %s', (_name, input, field) => {
    expect(issues(input)).toContain(field);
  });
});

describe('distance to the boundary', () => {
  it('polygon: from the square centre to the nearest (east/west) edge', () => {
    // east edge is 0.01° of longitude away; the north/south edges are further (0.01° of latitude)
    const expected = haversineM([22.55, 114.06], [22.55, 114.07]);
    expect(distanceToRingM(square, [22.55, 114.06])).toBeCloseTo(expected, 0);
  });
  it('polygon: from outside, to the nearest edge, not the nearest vertex', () => {
    expect(distanceToRingM(square, [22.57, 114.06])).toBeCloseTo(haversineM([22.57, 114.06], [22.56, 114.06]), 0);
  });
  it('is zero on the boundary', () => {
    expect(distanceToRingM(square, [22.54, 114.06])).toBeCloseTo(0, 6);
  });
});

describe('insideWithConfidence', () => {
  const circle = Fence.parse({ kind: 'circle', center: [22.5431, 114.0579], radiusM: 1000 });
  const poly = Fence.parse({ kind: 'polygon', ring: square });

  it.each<[string, Fence, Parameters<typeof insideWithConfidence>[1], string]>([
    // the ✓ end point is 797 m from the centre: 203 m inside the 1 000 m boundary
    ['GPS 203 m inside the circle', circle, { lat: 22.55, lon: 114.06, fix: 'gps' }, 'inside'],
    ['GPS with a 250 m accuracy there', circle, { lat: 22.55, lon: 114.06, fix: 'gps', accuracyM: 250 }, 'uncertain'],
    ['LBS there (floor 500 m)', circle, { lat: 22.55, lon: 114.06, fix: 'lbs' }, 'uncertain'],
    ['LBS claiming 50 m is not believed', circle, { lat: 22.55, lon: 114.06, fix: 'lbs', accuracyM: 50 }, 'uncertain'],
    ['GPS at the centre', circle, { lat: 22.5431, lon: 114.0579, fix: 'gps' }, 'inside'],
    ['LBS 5 km away', circle, { lat: 22.59, lon: 114.0579, fix: 'lbs' }, 'outside'],
    ['GPS in the square centre', poly, { lat: 22.55, lon: 114.06, fix: 'gps' }, 'inside'],
    ['LBS in the square centre (1 027 m from the edge)', poly, { lat: 22.55, lon: 114.06, fix: 'lbs' }, 'inside'],
    ['GPS 56 m north of the square', poly, { lat: 22.5605, lon: 114.06, fix: 'gps' }, 'outside'],
    ['LBS 56 m north of the square', poly, { lat: 22.5605, lon: 114.06, fix: 'lbs' }, 'uncertain'],
    ['GPS 11 m inside the north edge', poly, { lat: 22.5599, lon: 114.06, fix: 'gps' }, 'uncertain'],
    ['GPS on the edge', poly, { lat: 22.56, lon: 114.06, fix: 'gps', accuracyM: 0 }, 'uncertain'],
  ])('%s → %s', (_name, fence, fix, expected) => {
    expect(insideWithConfidence(fence, fix)).toBe(expected);
  });

  it('takes the GPS default accuracy from config', () => {
    const fix = { lat: 22.5605, lon: 114.06, fix: 'gps' as const };
    expect(insideWithConfidence(poly, fix, { gpsDefaultAccuracyM: 100, lbsMinAccuracyM: 500 })).toBe('uncertain');
    expect(effectiveAccuracyM(fix, { gpsDefaultAccuracyM: 100, lbsMinAccuracyM: 500 })).toBe(100);
  });
  it('inFence agrees with the shape functions', () => {
    expect(inFence(poly, [22.55, 114.06])).toBe(true);
    expect(inFence(circle, [22.57, 114.06])).toBe(false);
  });
});
