import { z } from 'zod';
import type { Payloads } from '../../shared/schemas/events.ts';
import { SealMonitorConfig, type SealMonitorConfigInput } from './config.ts';
import { insideWithConfidence, type FenceVerdict } from './geofence.ts';
import { SealId, SealPosition, sealIdOf, TAMPER_EVENTS, type SealIdentity, type SealReport } from './messages.ts';

/**
 * Per-seal decision logic: `decideSeal(state, report, config) → { state, events }`. Pure: no clock (time
 * comes only from the report's `ts`), no I/O. The shell persists the returned state with the events in one
 * transaction, as for the station machines (style.md).
 *
 * Rules:
 * - The seal's condition is 'sealed' | 'opened' | 'tampered'. A report carrying a physical attack (rope cut,
 *   shell tamper, shackle opened while sealed) makes it 'tampered', whatever its status field says.
 * - 'tampered' is sticky: later 'unsealed' or plain 'sealed' reports do not clear it. Only a report with
 *   status 'sealed' and a `locked` event (a deliberate re-seal) returns it to 'sealed'.
 * - Events are raised only on a change of condition, so a device re-sending the same status (they do, on
 *   every heartbeat and after reconnecting) raises nothing; its position is still taken.
 * - A report older than the newest one seen (store-and-forward replay) may not roll the status back, but a
 *   tamper in it still counts: a buffered attack must not be lost.
 * - When the seal opens or is tampered, its position is judged against the zone fence. 'inside' raises only
 *   `seal.state_changed`; 'outside' also raises `fence.breached` (confidence 'high'); 'uncertain' (an LBS
 *   fix or an accuracy circle over the boundary, a position older than `maxPositionAgeMs`, or no position
 *   at all) raises `fence.breached` with confidence 'low', for an officer to look at.
 * - `insideFence` in `seal.state_changed` is true only for a confident 'inside': customs asks whether the
 *   seal was opened in the allowed area, and "probably" is not a yes (customs.md §4).
 * - Device-side `geofence_enter/exit` and `unseal_refused_outside_area` are advisory: the monitor judges
 *   positions against its own configured zone fence and does not change state on them.
 */

// The schema lives apart (config.ts), so validating a gateway's config loads no monitor.
export { SealMonitorConfig, type SealMonitorConfigInput };

export const SealPhase = z.enum(['unknown', 'sealed', 'opened', 'tampered']);
export type SealPhase = z.infer<typeof SealPhase>;
export type SealCondition = Exclude<SealPhase, 'unknown'>;

/** A schema, so the shell can check the state it reads back from storage. */
export const SealMonitorState = z.object({
  sealId: SealId,
  phase: SealPhase,
  /** Newest report time seen (ms since the epoch, from the report's ts); null before the first. */
  lastReportMs: z.number().int().nullable(),
  lastPosition: SealPosition.nullable(),
});
export type SealMonitorState = z.infer<typeof SealMonitorState>;

export type SealStateChanged = { type: 'seal.state_changed' } & z.infer<(typeof Payloads)['seal.state_changed']>;

/** The shared `fence.breached` payload plus how sure the position is. */
export type FenceBreached = { type: 'fence.breached' } & z.infer<(typeof Payloads)['fence.breached']> & {
  sealId: string;
  confidence: 'high' | 'low';
};

export type SealMonitorEvent = SealStateChanged | FenceBreached;

export interface SealDecision {
  state: SealMonitorState;
  events: SealMonitorEvent[];
  /** Set when the report was not applied; the state is returned unchanged. */
  ignored?: 'other_seal';
}

export function initialSealState(seal: SealId | SealIdentity): SealMonitorState {
  return { sealId: typeof seal === 'string' ? seal : sealIdOf(seal), phase: 'unknown', lastReportMs: null, lastPosition: null };
}

const isTamper = (type: string) => (TAMPER_EVENTS as readonly string[]).includes(type);

function nextPhase(prev: SealPhase, report: SealReport, stale: boolean): SealPhase {
  if (report.events.some((e) => isTamper(e.type))) return 'tampered';
  if (stale) return prev;
  const observed: SealCondition = report.status === 'sealed' ? 'sealed' : 'opened';
  if (prev === 'tampered') {
    const resealed = observed === 'sealed' && report.events.some((e) => e.type === 'locked');
    return resealed ? 'sealed' : 'tampered';
  }
  return observed;
}

function newerPosition(known: SealPosition | null, reported: SealPosition | undefined): SealPosition | null {
  if (!reported) return known;
  if (!known) return reported;
  return Date.parse(reported.ts) >= Date.parse(known.ts) ? reported : known;
}

function locate(position: SealPosition | null, reportMs: number, config: SealMonitorConfig): FenceVerdict {
  if (!position) return 'uncertain';
  if (reportMs - Date.parse(position.ts) > config.maxPositionAgeMs) return 'uncertain';
  return insideWithConfidence(config.zone.fence, position, config);
}

export function decideSeal(state: SealMonitorState, report: SealReport, config: SealMonitorConfig): SealDecision {
  const sealId = sealIdOf(report.seal);
  if (sealId !== state.sealId) return { state, events: [], ignored: 'other_seal' };

  const reportMs = Date.parse(report.ts);
  const stale = state.lastReportMs !== null && reportMs < state.lastReportMs;
  const phase = nextPhase(state.phase, report, stale);
  const lastPosition = newerPosition(state.lastPosition, report.position);
  const next: SealMonitorState = {
    sealId: state.sealId,
    phase,
    lastReportMs: state.lastReportMs === null ? reportMs : Math.max(state.lastReportMs, reportMs),
    lastPosition,
  };
  if (phase === state.phase || phase === 'unknown') return { state: next, events: [] };

  // where the change happened: a replayed report's own fix beats a newer one taken elsewhere
  const where = stale && report.position ? report.position : lastPosition;
  const verdict = locate(where, reportMs, config);
  const events: SealMonitorEvent[] = [{ type: 'seal.state_changed', sealId, state: phase, insideFence: verdict === 'inside' }];
  if (phase !== 'sealed' && verdict !== 'inside') {
    events.push({
      type: 'fence.breached',
      fenceId: config.zone.fenceId,
      sealId,
      ...(where ? { lat: where.lat, lon: where.lon } : {}),
      confidence: verdict === 'outside' ? 'high' : 'low',
    });
  }
  return { state: next, events };
}
