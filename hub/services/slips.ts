import type { ReleaseSlip } from '../../shared/stations/feed.ts';

/**
 * Pure: a slip's status after a gate passage (customs.md §4: 1 approved → 2 passed, or 3 gate 1 → 4 gate 2).
 * The passage itself is applied by the 'release-slips' projection (hub/services/release-slips.ts), once per event.
 */
export function afterPassage(slip: ReleaseSlip): ReleaseSlip['status'] | null {
  if (slip.status === 'approved') return slip.gateMode === 'double' ? 'passed_gate1' : 'passed';
  if (slip.status === 'passed_gate1') return 'passed';
  return null; // already passed, void or deleted: the lane alarmed or an officer overrode it; nothing to close
}
