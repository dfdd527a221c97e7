import { describe, expect, it } from 'vitest';
import { stagedList, stockState, type ExitParcel } from './stock-state.ts';

const released = (slipStatus: ExitParcel['slipStatus'] = null): ExitParcel => ({ caseStatus: 'released', slipStatus });

describe('customs state of a stock row', () => {
  it.each([
    ['overseas stock is non-bonded whatever its location', { warehouse: 'overseas', locationId: 'STAGING/O1' }, [released('passed')], 'non_bonded', 'overseas'],
    ['bonded goods on the dock: entry list applied, not yet tallied', { warehouse: 'bonded', locationId: 'DOCK' }, [], 'list_applied', 'entry_dock'],
    ['bonded goods on a shelf are bonded', { warehouse: 'bonded', locationId: 'A-01-02' }, [], 'bonded', 'in_bond'],
    ['quarantine stays bonded (not written off)', { warehouse: 'bonded', locationId: 'QUARANTINE' }, [], 'bonded', 'in_bond'],
    ['returns location is bonded', { warehouse: 'bonded', locationId: 'RETURNS' }, [], 'bonded', 'in_bond'],
    ['staged for an order the hub knows nothing of: bonded', { warehouse: 'bonded', locationId: 'STAGING/O9' }, [], 'bonded', 'staged_unknown'],
    ['staged with a declared list and no slip: exit list applied', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [released(), { caseStatus: 'pending', slipStatus: null }], 'list_applied', 'exit_list'],
    ['all parcels on an approved slip: slip applied', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [released('approved'), released('applied')], 'slip_applied', 'exit_slip'],
    ['past the first of two gates is still a slip applied', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [released('passed_gate1')], 'slip_applied', 'exit_slip'],
    ['only some parcels on a slip: still the list', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [released('approved'), released()], 'list_applied', 'exit_list'],
    ['slip passed the gate: written off before the warehouse ships', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [released('passed'), released('passed')], 'written_off', 'exit_passed'],
    ['seized and destroyed parcels are out of the account', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [{ caseStatus: 'seized', slipStatus: null }, { caseStatus: 'destroyed', slipStatus: null }], 'written_off', 'exit_passed'],
    ['one passed, the rest on a live slip: slip applied', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [released('passed'), released('approved')], 'slip_applied', 'exit_slip'],
    ['a cancelled list (624 399) puts its goods back under bond', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [{ caseStatus: 'cancelled', slipStatus: null }], 'bonded', 'list_cancelled'],
    ['cancelled parcels are left out of the others', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [{ caseStatus: 'cancelled', slipStatus: null }, released('approved')], 'slip_applied', 'exit_slip'],
    ['a voided slip binds nothing: the list', { warehouse: 'bonded', locationId: 'STAGING/O1' }, [released('void')], 'list_applied', 'exit_list'],
  ] as const)('%s', (_name, row, exit, state, rule) => {
    expect(stockState(row, exit)).toEqual({ state, rule });
  });

  it('reads the staged list from the location, and only from a staging one', () => {
    expect(stagedList('STAGING/ORDER-1')).toBe('ORDER-1');
    expect(stagedList('STAGING/')).toBeNull();
    expect(stagedList('A-STAGING/1')).toBeNull();
    expect(stagedList('OUT/7', { dockLocationId: 'D', returnsLocationId: 'R', quarantineLocationId: 'Q', stagingPrefix: 'OUT/' })).toBe('7');
  });
});
