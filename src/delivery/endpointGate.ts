/**
 * How many attempts each endpoint may have in flight in this worker, and which endpoints are
 * slow. A slow endpoint — one that timed out lately, answered slower than `slowAfterMs`, or has
 * an attempt in flight for longer than that — must not hold the slots and lanes healthy
 * endpoints need: the dispatch's batched first attempts hand its deliveries to their own
 * workflows, which attempt it a few at a time (`slowConcurrency`) and wait their turn otherwise.
 * A busy endpoint that answers quickly is not slow, however long the queue for its slots: the
 * measure is its answers, never the wait. An attempt that comes back quickly clears the mark.
 *
 * A delivery that finds no slot is given a turn, not told to poll: turns are spaced by how often
 * a slot of the endpoint frees up (its typical attempt time over its share), so a thousand
 * deliveries queued behind a hanging endpoint wake about once each, at their turn, instead of
 * asking again and again and flooding Temporal and the worker that the healthy endpoints share.
 */
export interface EndpointGateOptions {
  /** Attempts in flight per endpoint in this worker. */
  concurrency: number;
  /** Attempts in flight per slow endpoint in this worker. */
  slowConcurrency: number;
  /**
   * Attempts in flight to slow endpoints in this worker, all of them together: however many
   * endpoints hang, they hold no more of the worker's activity slots than this.
   */
  slowTotal: number;
  /** An attempt taking (or in flight for) longer than this marks its endpoint slow. */
  slowAfterMs: number;
  /** How long a slow mark lasts unless a quick attempt clears it sooner. */
  slowForMs: number;
}

/** The shortest spacing of two turns of one endpoint. */
const MIN_TURN_MS = 5;
/** What an endpoint's attempts are taken to last until one has come back. */
const FIRST_TYPICAL_MS = 100;
/** Weight of the latest attempt in an endpoint's typical attempt time. */
const TYPICAL_WEIGHT = 0.3;

/** A slot of an endpoint's share: give it back once, saying how the attempt went (if one was made). */
export interface EndpointSlot {
  leave(attempt?: { timedOut: boolean; durationMs: number }): void;
}

type Outcome = EndpointSlot | 'slow';
/**
 * `inFlight`: when each slot in use was taken, by slot number. `typicalMs`: a moving average of
 * its attempts' durations. `lastTurnAt`: the latest turn given to a waiting delivery.
 */
type Entry = { inFlight: Map<number, number>; slowUntil: number; waiters: Array<(outcome: Outcome) => void>; typicalMs: number; lastTurnAt: number };

export function createEndpointGate(opts: EndpointGateOptions) {
  const endpoints = new Map<string, Entry>();
  let slots = 0;
  /** Slots taken by attempts to endpoints that were slow when they took them. */
  let slowSlotsInUse = 0;

  function entry(id: string): Entry {
    let e = endpoints.get(id);
    if (!e) {
      e = { inFlight: new Map(), slowUntil: 0, waiters: [], typicalMs: FIRST_TYPICAL_MS, lastTurnAt: 0 };
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

  function enter(webhookId: string, e: Entry, slow = false): EndpointSlot {
    const slot = ++slots;
    e.inFlight.set(slot, Date.now());
    if (slow) slowSlotsInUse++;
    let left = false;
    return {
      leave(attempt) {
        if (left) return;
        left = true;
        e.inFlight.delete(slot);
        if (slow) slowSlotsInUse--;
        if (attempt) e.typicalMs += TYPICAL_WEIGHT * (attempt.durationMs - e.typicalMs);
        if (attempt && (attempt.timedOut || attempt.durationMs > opts.slowAfterMs)) markSlow(e);
        else if (attempt) e.slowUntil = 0;
        const next = e.waiters.shift();
        if (next) next(enter(webhookId, e)); // the freed slot passes straight to the next waiter
        else if (e.inFlight.size === 0 && !isSlow(e) && e.lastTurnAt <= Date.now()) endpoints.delete(webhookId);
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

    /**
     * For a delivery that found no slot (or whose endpoint is slow): how long until its turn.
     * Each call takes the next turn: a slot frees up about every typical attempt time ÷ the
     * endpoint's share (a slow endpoint's attempts counted as lasting at least slowAfterMs).
     */
    nextTurnInMs(webhookId: string): number {
      const e = entry(webhookId);
      const slow = isSlow(e);
      const attemptMs = slow ? Math.max(e.typicalMs, opts.slowAfterMs) : e.typicalMs;
      const spacing = Math.max(MIN_TURN_MS, attemptMs / (slow ? opts.slowConcurrency : opts.concurrency));
      const now = Date.now();
      e.lastTurnAt = Math.max(now, e.lastTurnAt) + spacing;
      return Math.round(e.lastTurnAt - now);
    },

    /** For a delivery's own workflow: a slot now (a slow endpoint has fewer), or none: wait for a turn. */
    tryEnter(webhookId: string): EndpointSlot | undefined {
      const e = entry(webhookId);
      const slow = isSlow(e);
      if (e.inFlight.size >= (slow ? opts.slowConcurrency : opts.concurrency)) return undefined;
      if (slow && slowSlotsInUse >= opts.slowTotal) return undefined;
      return enter(webhookId, e, slow);
    },
  };
}

export type EndpointGate = ReturnType<typeof createEndpointGate>;
