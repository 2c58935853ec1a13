import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (update: T | ((prev: T | undefined) => T)) => void;
}

/**
 * Loads data when the dependencies change. Responses that arrive after the
 * dependencies changed (or after unmount) are ignored.
 */
export function useLoader<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(async (reset: boolean) => {
    const gen = ++generation.current;
    if (reset) {
      setDataState(undefined);
      setError(undefined);
    }
    setLoading(true);
    try {
      const value = await loadRef.current();
      if (gen !== generation.current) return;
      setDataState(value);
      setError(undefined);
    } catch (err) {
      if (gen !== generation.current) return;
      setError(err);
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void run(true);
    return () => {
      generation.current++;
    };
  }, deps);

  const reload = useCallback(() => run(false), [run]);
  const setData = useCallback((update: T | ((prev: T | undefined) => T)) => {
    setDataState((prev) => (typeof update === 'function' ? (update as (p: T | undefined) => T)(prev) : update));
  }, []);

  return { data, error, loading, reload, setData };
}

/** Calls `fn` every `ms` milliseconds while `active`; pauses while the tab is hidden. */
export function useInterval(fn: () => void | Promise<void>, ms: number, active: boolean): void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (stopped) return;
      if (document.visibilityState !== 'hidden') {
        try {
          await fnRef.current();
        } catch {
          // the callback reports its own errors
        }
      }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    timer = setTimeout(tick, ms);
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [ms, active]);
}

/** Re-renders every `ms` so relative times stay fresh. */
export function useNow(ms = 30000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
