import type { CaseStatus } from '../repos/cases.ts';
import type { StatsRow } from '../repos/stats.ts';

/**
 * Every figure the overview shows, defined once (issue 17 item 1): what is counted, from which events or states, over
 * which window. Two families that must never share a word:
 * - `line.*`: what the stations did to parcels (edge events, folded by zone-stats.ts) — a line "diversion to
 *   inspection" is the conveyor's act, not a customs decision;
 * - `customs.*`: customs cases (hub/customs/cases.ts) — what customs and the officers decided.
 * The dashboard labels and hover texts (hub/ui/src/i18n/overview.ts, `overview.def.<id>`) say the same in both
 * languages; a test checks every id here has both.
 */
export interface FigureDefinition {
  source: 'line' | 'customs';
  /** What one unit is. */
  counts: string;
  /** The events or states it is computed from. */
  from: string;
  window: string;
}

/** The statistics page's default range (hub/services/stats.ts): the customs figures use the same, so they match it. */
export const CUSTOMS_WINDOW_DAYS = 30;

export const OVERVIEW_FIGURES = {
  'line.in': { source: 'line', counts: 'parcels, each once', from: "the parcel's first event at any station (scan, weight, X-ray, line pass, divert, bench, gate)", window: 'the hour of that first event, within the selected hours' },
  'line.released': { source: 'line', counts: 'parcels, each once', from: 'the line sent it down the release lane (parcel.inspected / parcel.diverted lane release, parcel.released), or the bench passed it', window: 'the hour it first happened, within the selected hours' },
  'line.diverted': { source: 'line', counts: 'parcels, each once', from: 'the line diverted it to the inspection or exception lane (parcel.inspected / parcel.diverted), parcel.held, or the bench held it — a line act, not a customs decision', window: 'the hour it first happened, within the selected hours' },
  'line.out': { source: 'line', counts: 'parcels, each once', from: 'gate.passed outward naming it or the release slip that carries it', window: 'the hour it first went out, within the selected hours' },
  'line.dwell': { source: 'line', counts: 'parcels that went out and were seen inside earlier', from: 'first event → first outward gate passage; a parcel first seen at the gate has no dwell', window: 'the hour it went out, within the selected hours' },
  'customs.queue': { source: 'customs', counts: 'customs cases', from: 'cases whose status is now pending, held or in inspection (the officers\' queue)', window: 'now, whatever the declaration day' },
  'customs.released': { source: 'customs', counts: 'customs cases', from: 'cases whose status is now released (customs\' 800, or an officer\'s release where officers are the authority)', window: `declared in the last ${CUSTOMS_WINDOW_DAYS} China-time days (the statistics page's default)` },
  'customs.awaitingRelease': { source: 'customs', counts: 'customs cases', from: 'cases whose status is now awaiting release (concluded 399, or inspected and passed, without customs\' 800)', window: `declared in the last ${CUSTOMS_WINDOW_DAYS} China-time days (the statistics page's default)` },
  'customs.stopped': { source: 'customs', counts: 'customs cases', from: 'cases whose status is now held or in inspection', window: `declared in the last ${CUSTOMS_WINDOW_DAYS} China-time days (the statistics page's default)` },
  'customs.declared': { source: 'customs', counts: 'customs cases', from: 'every case, whatever its status', window: `declared in the last ${CUSTOMS_WINDOW_DAYS} China-time days (the statistics page's default)` },
} as const satisfies Record<string, FigureDefinition>;
export type FigureId = keyof typeof OVERVIEW_FIGURES;
export const FIGURE_IDS = Object.keys(OVERVIEW_FIGURES) as FigureId[];

/** The customs figures, from the statistics rollup grouped by status over `CUSTOMS_WINDOW_DAYS`: the same rows the statistics page totals. */
export interface CustomsFigures {
  fromDay: string;
  toDay: string;
  declared: number;
  released: number;
  awaitingRelease: number;
  stopped: number;
  byStatus: Partial<Record<CaseStatus, number>>;
}

/** Pure: the customs figures from the statistics rows (any grouping: the per-status counts are summed). */
export function customsFigures(rows: readonly StatsRow[], fromDay: string, toDay: string): CustomsFigures {
  const byStatus: Partial<Record<CaseStatus, number>> = {};
  let declared = 0;
  for (const r of rows) {
    declared += r.cases;
    for (const [s, n] of Object.entries(r.byStatus)) byStatus[s as CaseStatus] = (byStatus[s as CaseStatus] ?? 0) + n;
  }
  const n = (s: CaseStatus) => byStatus[s] ?? 0;
  return { fromDay, toDay, declared, released: n('released'), awaitingRelease: n('awaiting_release'), stopped: n('held') + n('inspection'), byStatus };
}
