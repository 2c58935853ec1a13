/**
 * Text that PostgreSQL cannot store. `text` and `jsonb` refuse NUL (U+0000), and `jsonb`
 * refuses unpaired UTF-16 surrogates (which JSON.stringify writes as `\udXXX` escapes); in
 * `text` columns the driver silently turns them into U+FFFD. Either way such input must be
 * refused up front with a 400, not fail later as a 500 or come back changed.
 */
const UNSTORABLE = /\u0000|\p{Cs}/u; // with the u flag, \p{Cs} matches only unpaired surrogates

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

export function isStorableText(s: string): boolean {
  return !UNSTORABLE.test(s);
}

/**
 * The path (dot-separated, like zod's) of the first string or object key under `value` that
 * cannot be stored, or undefined. Iterative, so deeply nested input cannot overflow the stack.
 */
export function findUnstorableText(value: unknown): string | undefined {
  interface Item {
    value: unknown;
    key?: string;
    parent?: Item;
  }
  const pathOf = (item: Item): string => {
    const keys: string[] = [];
    for (let at: Item | undefined = item; at?.key !== undefined; at = at.parent) keys.push(at.key);
    return keys.reverse().join('.');
  };
  const stack: Item[] = [{ value }];
  while (stack.length) {
    const item = stack.pop()!;
    const v = item.value;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return pathOf(item);
    } else if (Array.isArray(v)) {
      v.forEach((child, i) => stack.push({ value: child, key: String(i), parent: item }));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        const next = { value: child, key, parent: item };
        if (!isStorableText(key)) return pathOf(next);
        stack.push(next);
      }
    }
  }
  return undefined;
}
