import { sql, type Insertable } from 'kysely';
import type { Db } from '../db/database';
import type { DeliveryAttemptsTable } from '../db/schema';
import { createGroupCommit } from '../db/groupCommit';
import { countCharged, countFinished, observeSuccessGroup } from '../metrics/worker';

export interface SuccessfulAttempt {
  webhookId: string;
  teamId: string;
  /** False for test sends: they are free. */
  charge: boolean;
  /** The attempt log row; the delivery's id, attempt number and status code come from it. */
  attempt: Insertable<DeliveryAttemptsTable>;
}

export interface RecordedSuccess {
  /** How many successes shared the statement that wrote this one. */
  groupSize: number;
}

/** Successes written per statement at most. */
const MAX_GROUP = 200;
const DEADLOCK_DETECTED = '40P01';

/**
 * Records successful attempts with group commit (src/db/groupCommit.ts): under load a worker's
 * concurrent attempts share one statement, one commit and one update of each team's balance (a
 * hot row). `record` resolves once its success is durable.
 */
export function createSuccessRecorder(db: Db, deliveryCost: number) {
  const group = createGroupCommit(async (successes: SuccessfulAttempt[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await write(db, deliveryCost, successes);
        return successes.map(() => undefined);
      } catch (err) {
        // Two worker processes' groups can lock the same teams' rows in different orders.
        if ((err as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= 3) throw err;
      }
    }
  }, MAX_GROUP, observeSuccessGroup);

  return {
    /** Resolves once the success is durable (with the size of the group it was written in). */
    async record(success: SuccessfulAttempt): Promise<RecordedSuccess> {
      const { groupSize } = await group.add(success);
      return { groupSize };
    },
  };
}

export type SuccessRecorder = ReturnType<typeof createSuccessRecorder>;

/**
 * One statement, atomic: logs every attempt; marks each delivery succeeded unless it already
 * is; stamps the webhooks; debits each team once for the deliveries this statement marked and
 * has not charged before (a re-send of a charged delivery is free), and writes one ledger entry
 * per charge with the balance after it. Two statements racing on one delivery serialize on its
 * row (the second re-checks `status` once the first commits), so a delivery is marked once and
 * charged at most once in its life (the ledger's unique index stands behind that).
 */
async function write(db: Db, cost: number, successes: SuccessfulAttempt[]): Promise<void> {
  const now = new Date();
  const rows = sql.join(
    successes.map((s) => {
      const a = s.attempt;
      return sql`(${a.delivery_id}::text, ${s.webhookId}::text, ${s.teamId}::text, ${s.charge}::boolean, ${a.attempt_number}::int,
        ${a.status_code ?? null}::int, ${a.series}::int, ${a.started_at}::timestamptz, ${a.duration_ms}::int, ${a.response_body ?? null}::text,
        ${a.response_truncated ?? false}::boolean, ${a.error_class ?? null}::text, ${a.error_message ?? null}::text, ${a.request_headers ?? null}::jsonb)`;
    }),
  );
  const { rows: [counts] } = await sql<{ marked: number; charged: number }>`
    with input (delivery_id, webhook_id, team_id, charge, attempt_number, status_code, series, started_at, duration_ms,
                response_body, response_truncated, error_class, error_message, request_headers) as (values ${rows}),
    logged as (
      insert into delivery_attempts (delivery_id, series, attempt_number, started_at, duration_ms, status_code,
                                     response_body, response_truncated, error_class, error_message, succeeded, request_headers)
      select delivery_id, series, attempt_number, started_at, duration_ms, status_code,
             response_body, response_truncated, error_class, error_message, true, request_headers
      from input
    ),
    -- seen: the delivery as this statement's snapshot saw it: whether it was charged already.
    done as (
      update deliveries d
      set status = 'succeeded', attempt_count = d.attempt_count + 1, series_attempts = i.attempt_number,
          last_status_code = i.status_code, last_error = null, next_attempt_at = null, updated_at = ${now}, completed_at = ${now},
          charged_at = case when i.charge and seen.charged_at is null then ${now} else d.charged_at end
      from input i
      join deliveries seen on seen.id = i.delivery_id
      where d.id = i.delivery_id and d.status <> 'succeeded'
      returning d.id, i.webhook_id, i.team_id, i.charge and seen.charged_at is null as charge
    ),
    stamped as (
      -- At most once a second per webhook: last_delivery_at is for people, and the row is hot.
      update webhooks w set last_delivery_at = ${now}
      where w.id in (select webhook_id from done)
        and (w.last_delivery_at is null or w.last_delivery_at < ${now}::timestamptz - interval '1 second')
    ),
    charges as (
      select team_id, count(*) as n from done where charge and ${cost}::int > 0 group by team_id
    ),
    debited as (
      update teams t set credit_balance = t.credit_balance - ${cost}::int * c.n
      from charges c
      where t.id = c.team_id
      returning t.id, t.credit_balance
    ),
    ledger as (
      insert into credit_ledger (team_id, delta, reason, delivery_id, balance_after)
      select d.team_id, -${cost}::int, 'delivery', d.id,
             -- the entries of one team in delivery-id order, each with the balance right after it
             t.credit_balance + ${cost}::int * (count(*) over (partition by d.team_id) - row_number() over (partition by d.team_id order by d.id))
      from done d
      join debited t on t.id = d.team_id
      where d.charge
      order by d.team_id, d.id
      returning 1
    )
    select (select count(*) from done)::int as marked, (select count(*) from ledger)::int as charged
  `.execute(db);
  // Committed: this statement finished these deliveries and made these charges.
  countFinished('succeeded', counts?.marked ?? 0);
  countCharged((counts?.charged ?? 0) * cost);
}
