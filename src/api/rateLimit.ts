import { sql } from 'kysely';
import type { Db } from '../db/database';

/** Unused tokens of a lease are given up after this long, so an idle instance holds none back. */
const LEASE_MS = 1_000;
/** A lease holds at most this many tokens (and at most a tenth of a second of the quota). */
const MAX_LEASE = 50;

export interface Taken {
  /** Tokens granted now (at most the number asked for). */
  granted: number;
  /** When not all were granted: milliseconds until the next token is available. */
  waitMs: number;
}

/**
 * A token bucket per key, kept in PostgreSQL (`rate_limit_buckets`, migration 0005) so that every
 * API instance shares it: `perMinute` requests a minute, bursts up to the same. 0 disables it.
 *
 * Under load an instance takes a few tokens at a time (a lease of at most a tenth of a second of
 * the quota, given up after LEASE_MS), so a busy key costs one query per lease rather than per
 * request. The quota still holds across instances: N instances can run ahead of it by at most N
 * leases. With a small quota the lease is one token, and every request asks the database.
 */
export class RateLimiter {
  private readonly leases = new Map<string, { tokens: number; expiresAt: number }>();
  private readonly leaseSize: number;

  /**
   * @param now only for tests: the time to use instead of the database's clock.
   */
  constructor(
    private readonly db: Db,
    private readonly perMinute: number,
    private readonly now?: () => number,
  ) {
    this.leaseSize = Math.max(1, Math.min(MAX_LEASE, Math.floor(perMinute / 600)));
  }

  /** 0 when the request may go ahead, else the milliseconds until a token is available. */
  async take(key: string): Promise<number> {
    const taken = await this.takeUpTo(key, 1);
    return taken.granted === 1 ? 0 : taken.waitMs;
  }

  /** Takes up to `wanted` tokens (a batch of events takes one per event). */
  async takeUpTo(key: string, wanted: number): Promise<Taken> {
    if (this.perMinute <= 0) return { granted: wanted, waitMs: 0 };
    const lease = this.leases.get(key);
    const leased = lease && lease.expiresAt > Date.now() ? lease.tokens : 0;
    if (leased >= wanted) {
      lease!.tokens -= wanted;
      return { granted: wanted, waitMs: 0 };
    }
    const at = this.now ? new Date(this.now()).toISOString() : null;
    const { rows } = await sql<{ granted: number; tokens: number }>`
      select granted, tokens from rate_limit_take(${key}, ${this.perMinute}, ${this.perMinute / 60}, ${Math.max(wanted - leased, this.leaseSize)}::integer, ${at}::timestamptz)
    `.execute(this.db);
    const bucket = rows[0]!;
    const available = leased + bucket.granted;
    const granted = Math.min(wanted, available);
    const rest = available - granted;
    if (rest > 0) this.leases.set(key, { tokens: rest, expiresAt: Date.now() + LEASE_MS });
    else this.leases.delete(key);
    if (granted === wanted) return { granted, waitMs: 0 };
    // Until the next whole token: what is missing of it, at perMinute / 60 000 per ms.
    return { granted, waitMs: Math.max(1, Math.ceil(((1 - bucket.tokens) * 60_000) / this.perMinute)) };
  }
}
