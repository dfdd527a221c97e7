import { describe, expect, it } from 'vitest';
import { parcelStanding, type StandingInput } from './parcel-standing.ts';

const none: StandingInput = { line: null, case: null, slip: null, lineException: false };
const kase = (status: NonNullable<StandingInput['case']>['status'], inspectionResult: NonNullable<StandingInput['case']>['inspectionResult'] = null) => ({ status, inspectionResult });

describe('parcelStanding: one state from the line, the case, the slip and the line exception', () => {
  it.each<[string, StandingInput, [string, string, string]]>([
    ['declared, not yet at a station', { ...none, case: kase('released') }, ['released_awaiting_slip', 'release_slip', 'officer']],
    ['diverted by the line with no declaration', { ...none, line: 'inspection', lineException: true }, ['line_exception', 'officer_handling', 'officer']],
    ['seen on the line with no declaration', { ...none, line: 'in_zone' }, ['undeclared', 'declaration', 'enterprise']],
    ['bench pass, customs pending', { ...none, line: 'released', case: kase('pending') }, ['pending_review', 'officer_review', 'officer']],
    ['inspected and passed, waiting for the 800', { ...none, line: 'released', case: kase('awaiting_release', 'pass') }, ['inspected_awaiting_release', 'customs_release', 'customs']],
    ['concluded 399, waiting for the 800', { ...none, line: 'in_zone', case: kase('awaiting_release') }, ['concluded_awaiting_release', 'customs_release', 'customs']],
    ['customs released, the line diverted it', { ...none, line: 'inspection', case: kase('released') }, ['released_diverted', 'bench_return', 'bench']],
    ['inspection ordered', { ...none, line: 'inspection', case: kase('inspection') }, ['inspection_ordered', 'inspection_result', 'bench']],
    ['released, on an approved slip', { ...none, line: 'released', case: kase('released'), slip: { passportNo: 'Z1', status: 'approved' } }, ['released_awaiting_gate', 'gate_passage', 'gate']],
    ['its slip passed the gate, no station named it', { ...none, case: kase('released'), slip: { passportNo: 'Z1', status: 'passed' } }, ['exited', 'nothing', 'none']],
    ['seized', { ...none, line: 'seized', case: kase('seized') }, ['closed', 'nothing', 'none']],
    ['held by customs', { ...none, line: 'on_hold', case: kase('held') }, ['held', 'officer_decision', 'officer']],
  ])('%s', (_name, input, [state, waitingFor, nextActor]) => {
    expect(parcelStanding(input)).toMatchObject({ state, waitingFor, nextActor });
  });

  it('after its slip passed the gate the parcel is never "not seen" on the line', () => {
    expect(parcelStanding({ ...none, case: kase('released'), slip: { passportNo: 'Z1', status: 'passed' } }).line).toBe('exited');
  });
});
