import { useCallback, useEffect, useState } from 'react';
import type { Api, EventType } from './api';

// The event catalog rarely changes: load it once per signed-in session.
const cache = new WeakMap<Api, Promise<EventType[]>>();

export function useCatalog(api: Api): { catalog: EventType[] | undefined; error: unknown; reload: () => void } {
  const [catalog, setCatalog] = useState<EventType[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    let promise = cache.get(api);
    if (!promise) {
      promise = api.eventTypes();
      cache.set(api, promise);
      promise.catch(() => cache.delete(api));
    }
    setError(undefined);
    promise.then(
      (list) => {
        if (live) setCatalog(list);
      },
      (err: unknown) => {
        if (live) setError(err);
      },
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { catalog, error, reload };
}
