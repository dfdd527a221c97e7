import { describe, expect, it } from 'vitest';
import { cursorAfterAction, cursorAfterChange } from './queue-cursor.ts';

describe('the queue cursor names a parcel, not a row (issue 17 item 8)', () => {
  const seen = ['A', 'B', 'C', 'D', 'E'];
  it('stays on its parcel when the list re-sorts', () => {
    expect(cursorAfterChange('C', seen, ['E', 'C', 'A', 'B', 'D'])).toBe('C');
  });
  it('moves to the next parcel in the order seen when its own left the list, never to whatever took its row', () => {
    // C was acted on and left the filter; a newly arrived Z now sits where C was.
    expect(cursorAfterChange('C', seen, ['A', 'B', 'Z', 'D', 'E'])).toBe('D');
    // D also left: the next still listed after C in the officer's order.
    expect(cursorAfterChange('C', seen, ['A', 'B', 'Z', 'E'])).toBe('E');
    // Nothing after it remains: the nearest before it.
    expect(cursorAfterChange('E', seen, ['Z', 'A', 'B'])).toBe('B');
    expect(cursorAfterChange('C', seen, ['Z'])).toBe('Z');
    expect(cursorAfterChange('C', seen, [])).toBeNull();
    expect(cursorAfterChange(null, [], ['Q', 'R'])).toBe('Q');
  });
  it('after an action, the next parcel below in the order seen', () => {
    expect(cursorAfterAction('B', seen)).toBe('C');
    expect(cursorAfterAction('E', seen)).toBe('D');
    expect(cursorAfterAction('A', ['A'])).toBe('A');
    expect(cursorAfterAction('X', seen)).toBeNull();
  });
});
