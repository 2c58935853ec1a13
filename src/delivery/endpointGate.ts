/**
 * How many attempts each endpoint may have in flight in this worker, and which endpoints are
 * slow. A slow endpoint — one that timed out lately, answered slower than `slowAfterMs`, or has
 * an attempt in flight for longer than that — must not hold the slots and lanes healthy
 * endpoints need: the dispatch's batched first attempts hand its deliveries to their own
 * workflows, which attempt it a few at a time (`slowConcurrency`) and wait their turn otherwise.
 * A busy endpoint that answers quickly is not slow, however long the queue for its slots: the
 * measure is its answers, never the wait. An attempt that comes back quickly clears the mark.
 */
export interface EndpointGateOptions {
  /** Attempts in flight per endpoint in this worker. */
  concurrency: number;
  /** Attempts in flight per slow endpoint in this worker. */
  slowConcurrency: number;
  /** An attempt taking (or in flight for) longer than this marks its endpoint slow. */
  slowAfterMs: number;
  /** How long a slow mark lasts unless a quick attempt clears it sooner. */
  slowForMs: number;
}

/** A slot of an endpoint's share: give it back once, saying how the attempt went (if one was made). */
export interface EndpointSlot {
  leave(attempt?: { timedOut: boolean; durationMs: number }): void;
}

type Outcome = EndpointSlot | 'slow';
/** `inFlight`: when each slot in use was taken, by slot number. */
type Entry = { inFlight: Map<number, number>; slowUntil: number; waiters: Array<(outcome: Outcome) => void> };

export function createEndpointGate(opts: EndpointGateOptions) {
  const endpoints = new Map<string, Entry>();
  let slots = 0;

  function entry(id: string): Entry {
    let e = endpoints.get(id);
    if (!e) {
      e = { inFlight: new Map(), slowUntil: 0, waiters: [] };
      endpoints.set(id, e);
    }
    return e;
  }

  function markSlow(e: Entry): void {
    e.slowUntil = Date.now() + opts.slowForMs;
    // Nobody waits behind a slow endpoint: every waiter learns it at once.
    for (const wake of e.waiters.splice(0)) wake('slow');
  }

  function isSlow(e: Entry): boolean {
    if (e.slowUntil > Date.now()) return true;
    // An attempt still in flight after slowAfterMs says so before it times out.
    for (const startedAt of e.inFlight.values()) {
      if (Date.now() - startedAt > opts.slowAfterMs) {
        markSlow(e);
        return true;
      }
    }
    return false;
  }

  function enter(webhookId: string, e: Entry): EndpointSlot {
    const slot = ++slots;
    e.inFlight.set(slot, Date.now());
    let left = false;
    return {
      leave(attempt) {
        if (left) return;
        left = true;
        e.inFlight.delete(slot);
        if (attempt && (attempt.timedOut || attempt.durationMs > opts.slowAfterMs)) markSlow(e);
        else if (attempt) e.slowUntil = 0;
        const next = e.waiters.shift();
        if (next) next(enter(webhookId, e)); // the freed slot passes straight to the next waiter
        else if (e.inFlight.size === 0 && !isSlow(e)) endpoints.delete(webhookId);
      },
    };
  }

  return {
    isSlow: (webhookId: string) => isSlow(entry(webhookId)),

    /**
     * For a batch's lane: a slot for this endpoint, waiting for one while it is healthy, or
     * 'slow' at once (or as soon as it turns slow): the lane hands the delivery over instead.
     */
    acquire(webhookId: string): Promise<Outcome> {
      const e = entry(webhookId);
      if (isSlow(e)) return Promise.resolve('slow');
      if (e.inFlight.size < opts.concurrency) return Promise.resolve(enter(webhookId, e));
      return new Promise((resolve) => {
        // While it waits, look now and then whether an attempt it waits behind has been in
        // flight too long (a hanging endpoint); a long queue for a quick one is no reason.
        // (isSlow marks it, and markSlow wakes every waiter, this one included.)
        const check = setInterval(() => void isSlow(e), Math.max(10, opts.slowAfterMs / 4));
        e.waiters.push((outcome) => {
          clearInterval(check);
          resolve(outcome);
        });
      });
    },

    /** For a delivery's own workflow: a slot now (a slow endpoint has fewer), or none: wait and come back. */
    tryEnter(webhookId: string): EndpointSlot | undefined {
      const e = entry(webhookId);
      if (e.inFlight.size >= (isSlow(e) ? opts.slowConcurrency : opts.concurrency)) return undefined;
      return enter(webhookId, e);
    },
  };
}

export type EndpointGate = ReturnType<typeof createEndpointGate>;
