/**
 * How many attempts each endpoint may have in flight in this worker, and which endpoints are
 * slow. A slow endpoint — one that timed out lately, or kept an attempt waiting for a slot
 * longer than `slowAfterMs` — must not hold the slots and lanes healthy endpoints need: the
 * dispatch's batched first attempts hand its deliveries to their own workflows, which attempt it
 * a few at a time (`slowConcurrency`) and wait their turn otherwise. An attempt that comes back
 * quickly clears the mark.
 */
export interface EndpointGateOptions {
  /** Attempts in flight per endpoint in this worker. */
  concurrency: number;
  /** Attempts in flight per slow endpoint in this worker. */
  slowConcurrency: number;
  /** Waiting longer than this for a slot, or an attempt taking longer, marks an endpoint slow. */
  slowAfterMs: number;
  /** How long a slow mark lasts unless a quick attempt clears it sooner. */
  slowForMs: number;
}

type Entry = { inFlight: number; slowUntil: number; waiters: Array<(outcome: 'entered' | 'slow') => void> };

export function createEndpointGate(opts: EndpointGateOptions) {
  const endpoints = new Map<string, Entry>();

  function entry(id: string): Entry {
    let e = endpoints.get(id);
    if (!e) {
      e = { inFlight: 0, slowUntil: 0, waiters: [] };
      endpoints.set(id, e);
    }
    return e;
  }

  function markSlow(e: Entry): void {
    e.slowUntil = Date.now() + opts.slowForMs;
    // Nobody waits behind a slow endpoint: every waiter learns it at once.
    for (const wake of e.waiters.splice(0)) wake('slow');
  }

  const isSlow = (e: Entry) => e.slowUntil > Date.now();

  return {
    isSlow: (webhookId: string) => isSlow(entry(webhookId)),

    /**
     * For a batch's lane: a slot for this endpoint, waiting for one while it is healthy, or
     * 'slow' at once (or as soon as it turns slow): the lane hands the delivery over instead.
     */
    acquire(webhookId: string): Promise<'entered' | 'slow'> {
      const e = entry(webhookId);
      if (isSlow(e)) return Promise.resolve('slow');
      if (e.inFlight < opts.concurrency) {
        e.inFlight++;
        return Promise.resolve('entered');
      }
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          // Its attempts hold every slot for longer than a healthy endpoint answers.
          e.waiters.splice(e.waiters.indexOf(wake), 1);
          markSlow(e);
          resolve('slow');
        }, opts.slowAfterMs);
        const wake = (outcome: 'entered' | 'slow') => {
          clearTimeout(timer);
          resolve(outcome);
        };
        e.waiters.push(wake);
      });
    },

    /** For a delivery's own workflow: a slot now (a slow endpoint has fewer), or none: wait and come back. */
    tryEnter(webhookId: string): boolean {
      const e = entry(webhookId);
      if (e.inFlight >= (isSlow(e) ? opts.slowConcurrency : opts.concurrency)) return false;
      e.inFlight++;
      return true;
    },

    /** Gives the slot back, learning from how the attempt went (if one was made). */
    leave(webhookId: string, attempt?: { timedOut: boolean; durationMs: number }): void {
      const e = entry(webhookId);
      if (attempt && (attempt.timedOut || attempt.durationMs > opts.slowAfterMs)) markSlow(e);
      else if (attempt) e.slowUntil = 0;
      const next = e.waiters.shift();
      if (next) next('entered'); // the slot passes straight to the next waiter
      else e.inFlight--;
      if (e.inFlight === 0 && e.waiters.length === 0 && !isSlow(e)) endpoints.delete(webhookId);
    },
  };
}

export type EndpointGate = ReturnType<typeof createEndpointGate>;
