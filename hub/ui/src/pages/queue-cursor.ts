/**
 * Where the queue's cursor goes when the list changes under it (issue 17 item 8). The cursor names a parcel, not a
 * row number: the list re-sorts and shrinks as cases change (an action moves a case out of the filter, a reload
 * brings others in), and a one-key action must never land on a parcel the officer did not put the cursor on. Pure.
 */

/**
 * The parcel the cursor should name in `keys` (the list as it is now), given the parcel it named (`current`) in the
 * order the officer last saw (`seen`): the same parcel if it is still listed; else the next one after it in the order
 * seen that is still listed (the officer's "next"); else the nearest before it; else the first row.
 */
export function cursorAfterChange(current: string | null, seen: readonly string[], keys: readonly string[]): string | null {
  if (keys.length === 0) return null;
  if (current === null) return keys[0]!;
  const listed = new Set(keys);
  if (listed.has(current)) return current;
  const at = seen.indexOf(current);
  if (at >= 0) {
    for (let i = at + 1; i < seen.length; i++) if (listed.has(seen[i]!)) return seen[i]!;
    for (let i = at - 1; i >= 0; i--) if (listed.has(seen[i]!)) return seen[i]!;
  }
  return keys[0]!;
}

/** After an action on `acted`: the next parcel in the order seen (the one below it), else the one above, else none. */
export function cursorAfterAction(acted: string, seen: readonly string[]): string | null {
  const at = seen.indexOf(acted);
  if (at < 0) return null;
  return seen[at + 1] ?? seen[at - 1] ?? acted;
}
