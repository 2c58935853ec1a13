import type { EventService } from '../services/events';
import type { Logger } from '../logger';

/**
 * Starts the fan-out of events that were stored while Temporal was unreachable, so an
 * accepted event is never stranded. Runs in the worker process.
 */
export function startStrandedEventSweeper(events: EventService, log: Logger, everyMs = 10_000): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const n = await events.dispatchStranded(everyMs);
      if (n > 0) log.info({ events: n }, 'dispatched stranded events');
    } catch (err) {
      log.warn({ err: String(err) }, 'stranded-event sweep failed; will retry');
    } finally {
      running = false;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
