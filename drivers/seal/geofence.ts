import { z } from 'zod';

/**
 * Geofence geometry for e-seal monitoring (devices.md §7). Pure functions, no I/O.
 *
 * Coordinates are WGS-84 degrees. Points and rings are `[lat, lon]` tuples, in that order, as the
 * devices and the zone plans give them (not GeoJSON's `[lon, lat]`).
 *
 * Limits, on purpose:
 * - A polygon may not straddle the antimeridian (the schema rejects a ring spanning 180° of longitude or
 *   more). Bonded zones are a few kilometres across, so this never bites in practice.
 * - Self-intersecting rings are not rejected; containment then follows the even-odd rule of ray casting.
 */

/** Mean Earth radius used by devices.md §7 (IUGG R1). */
export const EARTH_RADIUS_M = 6_371_008.8;

const DEG = Math.PI / 180;

export const Latitude = z.number().min(-90).max(90);
export const Longitude = z.number().min(-180).max(180);
export const LatLon = z.tuple([Latitude, Longitude]);
export type LatLon = z.infer<typeof LatLon>;

export const CircleFence = z.object({
  kind: z.literal('circle'),
  center: LatLon,
  // 1 000 km is far beyond any zone; a bigger number is a units mistake (km or mm for m).
  radiusM: z.number().positive().max(1_000_000),
});

/** Drops a closing vertex equal to the first one: rings may be given open or closed. */
function openRing(ring: readonly LatLon[]): LatLon[] {
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (ring.length > 1 && first && last && first[0] === last[0] && first[1] === last[1]) return ring.slice(0, -1);
  return ring.slice();
}

export const PolygonFence = z.object({
  kind: z.literal('polygon'),
  ring: z
    .array(LatLon)
    .refine((ring) => new Set(openRing(ring).map(([lat, lon]) => `${lat},${lon}`)).size >= 3, 'a ring needs at least 3 distinct points')
    .refine((ring) => {
      const lons = ring.map(([, lon]) => lon);
      return lons.length === 0 || Math.max(...lons) - Math.min(...lons) < 180;
    }, 'a ring may not span 180° of longitude or more (antimeridian-crossing fences are not supported)'),
});

export const Fence = z.discriminatedUnion('kind', [CircleFence, PolygonFence]);
export type Fence = z.infer<typeof Fence>;
export type CircleFence = z.infer<typeof CircleFence>;
export type PolygonFence = z.infer<typeof PolygonFence>;

/** Great-circle distance in metres (haversine). */
export function haversineM(a: LatLon, b: LatLon): number {
  const dLat = (b[0] - a[0]) * DEG;
  const dLon = (b[1] - a[1]) * DEG;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * DEG) * Math.cos(b[0] * DEG) * Math.sin(dLon / 2) ** 2;
  // min() guards asin against rounding just above 1 for antipodal points
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Inside or on the circle. */
export function inCircle(fence: Pick<CircleFence, 'center' | 'radiusM'>, p: LatLon): boolean {
  return haversineM(fence.center, p) <= fence.radiusM;
}

/** About 0.1 mm: far below any fix accuracy, well above float noise for degree coordinates. */
const ON_EDGE_EPSILON_DEG = 1e-9;

function onSegmentDeg(p: LatLon, a: LatLon, b: LatLon): boolean {
  const [py, px] = p;
  const [ay, ax] = a;
  const [by, bx] = b;
  const dx = bx - ax;
  const dy = by - ay;
  const len = Math.hypot(dx, dy);
  if (len === 0) return Math.hypot(px - ax, py - ay) <= ON_EDGE_EPSILON_DEG;
  const cross = (px - ax) * dy - (py - ay) * dx;
  if (Math.abs(cross) / len > ON_EDGE_EPSILON_DEG) return false;
  const t = ((px - ax) * dx + (py - ay) * dy) / (len * len);
  const slack = ON_EDGE_EPSILON_DEG / len;
  return t >= -slack && t <= 1 + slack;
}

/**
 * Ray casting (even-odd), treating lat/lon as plane coordinates, which is exact enough for containment at
 * zone scale.
 *
 * Edge rule: a point on an edge or a vertex (within ~1e-9°, about 0.1 mm) is INSIDE. The fence is a closed
 * set, so the answer does not depend on which way the ring is drawn or where the ray happens to cross a
 * vertex. For seals this is the forgiving side, and it does not matter for decisions: a fix that close to
 * the line is 'uncertain' in `insideWithConfidence` anyway.
 */
export function inPolygon(ring: readonly LatLon[], p: LatLon): boolean {
  const pts = openRing(ring);
  const n = pts.length;
  if (n < 3) return false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    if (onSegmentDeg(p, pts[j]!, pts[i]!)) return true;
  }
  const [y, x] = p;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const [yi, xi] = pts[i]!;
    const [yj, xj] = pts[j]!;
    // half-open test (yi > y) !== (yj > y): a vertex on the ray is counted once, horizontal edges never
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function inFence(fence: Fence, p: LatLon): boolean {
  return fence.kind === 'circle' ? inCircle(fence, p) : inPolygon(fence.ring, p);
}

/** Distance from the origin to segment ab, all in plane metres. */
function originToSegmentM(ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
  return Math.hypot(ax + t * dx, ay + t * dy);
}

/**
 * Shortest distance in metres from p to the polygon's boundary, using a local equirectangular projection
 * centred on p (x east = Δlon·cos(lat p)·R, y north = Δlat·R). Error is well under 0.1 % at zone scale
 * (a few km); it grows with distance, which only matters for fixes far from the fence, where the
 * inside/outside answer is not in doubt.
 */
export function distanceToRingM(ring: readonly LatLon[], p: LatLon): number {
  const pts = openRing(ring);
  const k = EARTH_RADIUS_M * DEG;
  const cosLat = Math.cos(p[0] * DEG);
  const project = ([lat, lon]: LatLon): [number, number] => [(lon - p[1]) * cosLat * k, (lat - p[0]) * k];
  let best = Infinity;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [ax, ay] = project(pts[j]!);
    const [bx, by] = project(pts[i]!);
    best = Math.min(best, originToSegmentM(ax, ay, bx, by));
  }
  return best;
}

/** Whether p is inside (boundary included) and how far it is from the boundary, in metres. */
export function fenceBoundary(fence: Fence, p: LatLon): { inside: boolean; distanceM: number } {
  if (fence.kind === 'circle') {
    const fromCenterM = haversineM(fence.center, p);
    return { inside: fromCenterM <= fence.radiusM, distanceM: Math.abs(fromCenterM - fence.radiusM) };
  }
  return { inside: inPolygon(fence.ring, p), distanceM: distanceToRingM(fence.ring, p) };
}

export const FixKind = z.enum(['gps', 'lbs']);
export type FixKind = z.infer<typeof FixKind>;

export const FixAccuracyConfig = z.object({
  /** Used when a GPS fix carries no accuracy of its own. */
  gpsDefaultAccuracyM: z.number().nonnegative().default(15),
  /**
   * Floor for LBS (cell-tower) fixes, which are hundreds of metres off (devices.md §7). A device's own
   * smaller figure for an LBS fix is not believed.
   */
  lbsMinAccuracyM: z.number().nonnegative().default(500),
});
export type FixAccuracyConfig = z.infer<typeof FixAccuracyConfig>;
export const DEFAULT_FIX_ACCURACY: FixAccuracyConfig = FixAccuracyConfig.parse({});

export interface Fix {
  lat: number;
  lon: number;
  fix: FixKind;
  accuracyM?: number | undefined;
}

export type FenceVerdict = 'inside' | 'outside' | 'uncertain';

/** The accuracy radius this fix is judged with, after defaults and the LBS floor. */
export function effectiveAccuracyM(fix: Fix, config: FixAccuracyConfig = DEFAULT_FIX_ACCURACY): number {
  if (fix.fix === 'lbs') return Math.max(fix.accuracyM ?? config.lbsMinAccuracyM, config.lbsMinAccuracyM);
  return fix.accuracyM ?? config.gpsDefaultAccuracyM;
}

/**
 * 'inside' or 'outside' only when the whole accuracy circle around the fix is on that side of the boundary
 * (distance to the boundary strictly greater than the accuracy radius); otherwise 'uncertain'.
 * An LBS fix is judged with at least `lbsMinAccuracyM`, so it is only confident far from the fence.
 */
export function insideWithConfidence(fence: Fence, fix: Fix, config: FixAccuracyConfig = DEFAULT_FIX_ACCURACY): FenceVerdict {
  const { inside, distanceM } = fenceBoundary(fence, [fix.lat, fix.lon]);
  if (distanceM <= effectiveAccuracyM(fix, config)) return 'uncertain';
  return inside ? 'inside' : 'outside';
}
