import type { ParcelState } from './parcel-state.ts';

/**
 * One coherent state for a parcel (issue 17 item 3): the line's fold (shared/parcel-state.ts), its customs case
 * (hub/customs/cases.ts), its release slip and its open line exception meet here, so no screen shows "line: released"
 * beside "customs: pending" without saying what the parcel waits for and who acts next. Pure; the words are the
 * dashboard's (`parcels.standing.*`, both languages).
 */
export type CaseStatusCode = 'pending' | 'released' | 'held' | 'inspection' | 'seized' | 'returned' | 'destroyed' | 'awaiting_release' | 'cancelled';
export type SlipStatusCode = 'applied' | 'approved' | 'passed_gate1' | 'passed' | 'void' | 'deleted';

export interface StandingInput {
  /** The parcel row (null: no station has seen it). */
  line: ParcelState | null;
  case: { status: CaseStatusCode; inspectionResult: 'pass' | 'seize' | 'return' | 'destroy' | null } | null;
  /** The slip that binds it (not void or deleted). */
  slip: { passportNo: string; status: SlipStatusCode } | null;
  /** An open line exception (diverted with no declaration, not yet handled). */
  lineException: boolean;
}

export type StandingState =
  | 'exited'
  | 'closed'
  | 'line_exception'
  | 'undeclared'
  | 'pending_review'
  | 'held'
  | 'inspection_ordered'
  | 'inspected_awaiting_release'
  | 'concluded_awaiting_release'
  | 'released_diverted'
  | 'released_awaiting_slip'
  | 'released_awaiting_gate';
export type WaitingFor = 'nothing' | 'officer_handling' | 'declaration' | 'officer_review' | 'officer_decision' | 'inspection_result' | 'customs_release' | 'bench_return' | 'release_slip' | 'gate_passage';
export type NextActor = 'none' | 'officer' | 'enterprise' | 'customs' | 'bench' | 'gate';

export interface Standing {
  state: StandingState;
  waitingFor: WaitingFor;
  nextActor: NextActor;
  /** What the line did, for the qualifier beside the state ("line: diverted to inspection"). */
  line: 'not_seen' | 'in_zone' | 'diverted' | 'held' | 'released' | 'exited' | 'closed';
}

const LINE: Record<ParcelState, Standing['line']> = { in_zone: 'in_zone', inspection: 'diverted', on_hold: 'held', released: 'released', seized: 'closed', returned: 'closed', destroyed: 'closed', exited: 'exited' };

const s = (state: StandingState, waitingFor: WaitingFor, nextActor: NextActor, line: Standing['line']): Standing => ({ state, waitingFor, nextActor, line });

export function parcelStanding(i: StandingInput): Standing {
  const slipPassed = i.slip?.status === 'passed';
  // A parcel whose slip passed the gate went out with the truck, whether or not a station named it.
  const line: Standing['line'] = slipPassed && (i.line === null || i.line === 'in_zone' || i.line === 'released') ? 'exited' : i.line === null ? 'not_seen' : LINE[i.line];
  const c = i.case;
  if (line === 'exited') return s('exited', 'nothing', 'none', line);
  if (c && (c.status === 'seized' || c.status === 'returned' || c.status === 'destroyed' || c.status === 'cancelled')) return s('closed', 'nothing', 'none', line);
  if (!c) {
    if (i.lineException || line === 'diverted' || line === 'held') return s('line_exception', 'officer_handling', 'officer', line);
    return s('undeclared', 'declaration', 'enterprise', line);
  }
  switch (c.status) {
    case 'pending':
      return s('pending_review', 'officer_review', 'officer', line);
    case 'held':
      return s('held', 'officer_decision', 'officer', line);
    case 'inspection':
      return s('inspection_ordered', 'inspection_result', 'bench', line);
    case 'awaiting_release':
      return c.inspectionResult === 'pass' ? s('inspected_awaiting_release', 'customs_release', 'customs', line) : s('concluded_awaiting_release', 'customs_release', 'customs', line);
    default:
      break;
  }
  // Released by customs.
  if (line === 'diverted' || line === 'held') return s('released_diverted', 'bench_return', 'bench', line);
  if (i.slip && (i.slip.status === 'approved' || i.slip.status === 'passed_gate1' || i.slip.status === 'applied')) return s('released_awaiting_gate', 'gate_passage', 'gate', line);
  return s('released_awaiting_slip', 'release_slip', 'officer', line);
}
