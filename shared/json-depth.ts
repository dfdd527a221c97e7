/**
 * How deep a parsed JSON value nests, walked without recursion: a 100,000-deep body parses (V8's JSON.parse is
 * iterative) but overflows the stack of anything that recurses over it later (JSON.stringify, canonical JSON, a
 * schema walk). Routes that take free-form values check this before anything else touches them.
 */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
