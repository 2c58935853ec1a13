import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import { backlogGauges } from './worker';

/**
 * Samples the backlog from PostgreSQL every `everyMs` (not per scrape: any number of scrapers
 * cost one query per interval). Overdue counts pending and retrying deliveries only: a held one
 * waits for credits, which is the team's business, not a lagging engine.
 */
export function startBacklogSampler(db: Db, log: Logger, everyMs: number): () => void {
  let running = false;
  const sample = async () => {
    if (running) return;
    running = true;
    try {
      const row = await sql<{ pending: string; retrying: string; held: string; overdue_seconds: number | null }>`
        select count(*) filter (where status = 'pending') as pending,
               count(*) filter (where status = 'retrying') as retrying,
               count(*) filter (where status = 'held') as held,
               extract(epoch from now() - min(next_attempt_at) filter (where status <> 'held' and next_attempt_at < now()))::float8 as overdue_seconds
        from deliveries
        where status in ('pending', 'retrying', 'held')
      `.execute(db);
      const r = row.rows[0]!;
      backlogGauges.deliveries.labels('pending').set(Number(r.pending));
      backlogGauges.deliveries.labels('retrying').set(Number(r.retrying));
      backlogGauges.deliveries.labels('held').set(Number(r.held));
      backlogGauges.oldestOverdue.set(r.overdue_seconds ?? 0);
      backlogGauges.sampledAt.set(Date.now() / 1000);
    } catch (err) {
      log.warn({ err: String(err) }, 'backlog sample failed; will retry');
    } finally {
      running = false;
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
