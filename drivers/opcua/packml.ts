/**
 * The PackML base state machine (ISA-TR88.00.02, as OPC 30050 numbers it; devices.md §5), as pure functions: the
 * simulator runs it, tests check it as a table. Only the transitions a conveyor needs; Suspend/Complete are left out
 * because an inspection belt never waits on upstream material in the way PackML's Suspended models.
 */
export const PackMLState = {
  Undefined: 0,
  Clearing: 1,
  Stopped: 2,
  Starting: 3,
  Idle: 4,
  Suspended: 5,
  Execute: 6,
  Stopping: 7,
  Aborting: 8,
  Aborted: 9,
  Holding: 10,
  Held: 11,
  Unholding: 12,
  Suspending: 13,
  Unsuspending: 14,
  Resetting: 15,
  Completing: 16,
  Complete: 17,
} as const;
export type PackMLState = (typeof PackMLState)[keyof typeof PackMLState];

export const PackMLCommand = {
  Reset: 1,
  Start: 2,
  Stop: 3,
  Hold: 4,
  Unhold: 5,
  Suspend: 6,
  Unsuspend: 7,
  Abort: 8,
  Clear: 9,
  Complete: 10,
} as const;
export type PackMLCommandName = keyof typeof PackMLCommand;

export const packMLStateName = (state: number): string => Object.entries(PackMLState).find(([, n]) => n === state)?.[0] ?? `Unknown(${state})`;

/** A command accepted in a state goes through an acting state (…ing) and settles in a wait state. */
export interface PackMLTransition {
  acting: PackMLState;
  settled: PackMLState;
}

const S = PackMLState;
// Stop is accepted from every state that is neither stopping nor in the abort branch; Abort from every state but the
// abort branch itself (PackML: Abort is the emergency path, Clear is its only way out).
const STOPPABLE: readonly number[] = [S.Idle, S.Starting, S.Execute, S.Holding, S.Held, S.Unholding, S.Suspended, S.Suspending, S.Unsuspending, S.Resetting, S.Completing, S.Complete];
const ABORT_BRANCH: readonly number[] = [S.Aborting, S.Aborted, S.Clearing];

/** What a command does in a state, or null when PackML ignores it there (the device answers Bad_InvalidState). */
export function packMLTransition(state: number, command: number): PackMLTransition | null {
  switch (command) {
    case PackMLCommand.Reset:
      return state === S.Stopped || state === S.Complete ? { acting: S.Resetting, settled: S.Idle } : null;
    case PackMLCommand.Start:
      return state === S.Idle ? { acting: S.Starting, settled: S.Execute } : null;
    case PackMLCommand.Stop:
      return STOPPABLE.includes(state) ? { acting: S.Stopping, settled: S.Stopped } : null;
    case PackMLCommand.Hold:
      return state === S.Execute ? { acting: S.Holding, settled: S.Held } : null;
    case PackMLCommand.Unhold:
      return state === S.Held ? { acting: S.Unholding, settled: S.Execute } : null;
    case PackMLCommand.Abort:
      return ABORT_BRANCH.includes(state) ? null : { acting: S.Aborting, settled: S.Aborted };
    case PackMLCommand.Clear:
      return state === S.Aborted ? { acting: S.Clearing, settled: S.Stopped } : null;
    default:
      return null;
  }
}
