import { sql } from 'kysely';
import type { Db } from '../db/database';

/**
 * A token bucket per key, kept in PostgreSQL (`rate_limit_buckets`, migration 0004) so that every
 * API instance shares it: `perMinute` requests a minute, bursts up to the same. 0 disables it.
 * One call of `rate_limit_take` per request: a single atomic upsert (see the migration).
 */
export class RateLimiter {
  /**
   * @param now only for tests: the time to use instead of the database's clock.
   */
  constructor(
    private readonly db: Db,
    private readonly perMinute: number,
    private readonly now?: () => number,
  ) {}

  /** 0 when the request may go ahead, else the milliseconds until a token is available. */
  async take(key: string): Promise<number> {
    if (this.perMinute <= 0) return 0;
    const at = this.now ? new Date(this.now()).toISOString() : null;
    const { rows } = await sql<{ granted: boolean; tokens: number }>`
      select granted, tokens from rate_limit_take(${key}, ${this.perMinute}, ${this.perMinute / 60}, ${at}::timestamptz)
    `.execute(this.db);
    const bucket = rows[0]!;
    if (bucket.granted) return 0;
    return Math.ceil(((1 - bucket.tokens) * 60_000) / this.perMinute);
  }
}
