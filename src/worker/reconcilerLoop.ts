import type { Logger } from '../logger';
import type { Reconciler } from '../services/reconciler';

/**
 * Runs the reconciler every `everyMs` in the worker process (src/services/reconciler.ts): work
 * whose workflow went missing is started again, so an accepted event is never stranded.
 */
export function startReconcilerLoop(reconciler: Reconciler, log: Logger, everyMs: number): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await reconciler.reconcile();
    } catch (err) {
      log.warn({ err: String(err) }, 'reconciler pass failed; will retry');
    } finally {
      running = false;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
