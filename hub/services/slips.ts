import type { Logger } from 'pino';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { ReleaseSlip } from '../../shared/stations/feed.ts';
import type { Storage } from '../storage/storage.ts';
import type { StationFeedService } from './station-feed.ts';

/** Pure: a slip's status after a gate passage (customs.md §4: 1 approved → 2 passed, or 3 gate 1 → 4 gate 2). */
export function afterPassage(slip: ReleaseSlip): ReleaseSlip['status'] | null {
  if (slip.status === 'approved') return slip.gateMode === 'double' ? 'passed_gate1' : 'passed';
  if (slip.status === 'passed_gate1') return 'passed';
  return null; // already passed, void or deleted: the lane alarmed or an officer overrode it; nothing to close
}

/**
 * The gate passage closes the slip: when a `gate.passed` naming a slip arrives, the slip's status moves on in the
 * station feed (so every other lane refuses it too) and the change goes on the audit chain. Redelivered events find
 * the slip already moved on and change nothing.
 */
export async function closeSlipsOnPassage(gatewayId: string, events: EdgeEvent[], d: { storage: Storage; feed: StationFeedService; log: Logger; now?: () => number }): Promise<void> {
  for (const e of events) {
    if (e.type !== 'gate.passed' || !e.payload.slipNo) continue;
    const current = ReleaseSlip.safeParse(await d.storage.feedGet('slip', e.payload.slipNo));
    if (!current.success) continue; // a slip the hub never issued: the lane's own alarm already says so
    const next = afterPassage(current.data);
    if (next === null) continue;
    await d.feed.put([{ kind: 'slip', key: current.data.passportNo, value: { ...current.data, status: next } }]);
    await d.storage.appendAudit({ actor: `gateway:${gatewayId}`, action: 'slip.passage', subject: current.data.passportNo, detail: { laneId: e.payload.laneId, status: next, eventId: e.id, ...(e.payload.manual ? { manualBy: e.payload.manual.by } : {}) } }, (d.now ?? Date.now)());
    d.log.info({ slipNo: current.data.passportNo, status: next, gatewayId }, 'release slip moved on by a gate passage');
  }
}
