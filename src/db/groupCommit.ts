import { isTransientDatabaseError } from './errors';

/** What a caller of a group commit learns once its item is durable. */
export interface Committed<R> {
  result: R;
  /** How many items shared the statement that wrote this one. */
  groupSize: number;
}

/**
 * Group commit: while one write is in flight, the items that arrive meanwhile wait and go
 * together in the next (at most `maxGroup`). Under load, concurrent callers share one statement
 * and one commit; alone, an item is written at once. `add` resolves once its item is durable, so
 * a caller sees the same guarantee as a statement of its own.
 *
 * `write` takes a group and answers one result per item, in order. If it fails for a reason
 * retrying cannot fix (a row the database refuses), each item is written on its own, so one bad
 * item fails only itself; a transient error (database down) fails the whole group. `onGroup`
 * hears each group's size (a metric).
 */
export function createGroupCommit<T, R>(write: (items: T[]) => Promise<R[]>, maxGroup: number, onGroup?: (size: number) => void) {
  const waiting: Array<{ item: T; resolve: (r: Committed<R>) => void; reject: (err: unknown) => void }> = [];
  let writing = false;

  async function writeGroup(items: T[]): Promise<Array<PromiseSettledResult<R>>> {
    try {
      return (await write(items)).map((value) => ({ status: 'fulfilled', value }));
    } catch (err) {
      if (items.length === 1 || isTransientDatabaseError(err)) throw err;
      const results: Array<PromiseSettledResult<R>> = [];
      for (const item of items) {
        results.push(
          await write([item]).then(
            ([value]) => ({ status: 'fulfilled', value: value! }) as const,
            (reason: unknown) => ({ status: 'rejected', reason }) as const,
          ),
        );
      }
      return results;
    }
  }

  async function flush(): Promise<void> {
    if (writing || waiting.length === 0) return;
    writing = true;
    const group = waiting.splice(0, maxGroup);
    onGroup?.(group.length);
    try {
      const results = await writeGroup(group.map((w) => w.item));
      group.forEach((w, i) => {
        const r = results[i]!;
        if (r.status === 'fulfilled') w.resolve({ result: r.value, groupSize: group.length });
        else w.reject(r.reason);
      });
    } catch (err) {
      group.forEach((w) => w.reject(err));
    } finally {
      writing = false;
      void flush();
    }
  }

  return {
    add(item: T): Promise<Committed<R>> {
      return new Promise((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        void flush();
      });
    },
  };
}
