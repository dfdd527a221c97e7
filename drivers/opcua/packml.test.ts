import { describe, expect, it } from 'vitest';
import { PackMLCommand as C, PackMLState as S, packMLStateName, packMLTransition } from './packml.ts';

describe('PackML base state machine', () => {
  it.each([
    [S.Stopped, C.Reset, { acting: S.Resetting, settled: S.Idle }],
    [S.Idle, C.Start, { acting: S.Starting, settled: S.Execute }],
    [S.Execute, C.Hold, { acting: S.Holding, settled: S.Held }],
    [S.Held, C.Unhold, { acting: S.Unholding, settled: S.Execute }],
    [S.Execute, C.Stop, { acting: S.Stopping, settled: S.Stopped }],
    [S.Held, C.Stop, { acting: S.Stopping, settled: S.Stopped }],
    [S.Execute, C.Abort, { acting: S.Aborting, settled: S.Aborted }],
    [S.Stopped, C.Abort, { acting: S.Aborting, settled: S.Aborted }],
    [S.Aborted, C.Clear, { acting: S.Clearing, settled: S.Stopped }],
  ])('state %i, command %i → %o', (state, command, expected) => {
    expect(packMLTransition(state, command)).toEqual(expected);
  });

  it.each([
    [S.Stopped, C.Start, 'Start needs Reset first'],
    [S.Execute, C.Reset, 'Reset only from Stopped or Complete'],
    [S.Aborted, C.Reset, 'Aborted leaves only by Clear'],
    [S.Aborted, C.Stop, 'Stop does not apply in the abort branch'],
    [S.Aborting, C.Abort, 'already aborting'],
    [S.Idle, C.Hold, 'Hold only from Execute'],
    [S.Stopped, C.Stop, 'already stopped'],
    [S.Execute, 99, 'unknown command'],
  ])('state %i ignores command %i (%s)', (state, command, _why) => {
    expect(packMLTransition(state, command)).toBeNull();
  });

  it('names states for logs', () => {
    expect(packMLStateName(6)).toBe('Execute');
    expect(packMLStateName(42)).toBe('Unknown(42)');
  });
});
