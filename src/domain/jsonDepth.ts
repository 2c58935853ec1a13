/**
 * Whether a parsed JSON value nests objects and arrays more than `limit` levels deep. A scalar
 * has depth 0, `{}` and `[1]` depth 1, `{"a":[1]}` depth 2.
 *
 * Iterative (an explicit stack, no recursion) and it stops at the first container past the
 * limit, so it is safe on any value JSON.parse returns — JSON.parse itself is iterative and
 * happily builds values 100,000 levels deep that JSON.stringify, zod or PostgreSQL's jsonb
 * parser would overflow their stacks on. Runs in time linear in the size of the value.
 */
export function exceedsJsonDepth(value: unknown, limit: number): boolean {
  const pending: Array<{ container: object; depth: number }> = [];
  if (isContainer(value)) pending.push({ container: value, depth: 1 });
  while (pending.length > 0) {
    const { container, depth } = pending.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(container) ? container : Object.values(container);
    for (const child of children) if (isContainer(child)) pending.push({ container: child, depth: depth + 1 });
  }
  return false;
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}
