// Credits, in one place: a team's balance and ledger, grants (and the held deliveries they wake),
// whether a delivery can be paid for, and the check a held delivery repeats. The charge itself is
// made where a success is recorded — in the same statement that marks the delivery succeeded
// (src/delivery/successRecorder.ts), so a delivery is charged at most once; its cost is
// `config.deliveryCost` (2 credits) and failed deliveries cost nothing.
import type { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import { forEachConcurrently } from '../concurrency';
import type { Db } from '../db/database';
import type { CreditLedgerEntry, Database } from '../db/schema';
import { creditsGrantedSignal } from '../workflows/signals';

/** Whether a delivery can be attempted now: test sends are free, others need the cost in the balance. */
export function canPay(d: { test: boolean; credit_balance: number | string | bigint }, cost: number): boolean {
  return d.test || Number(d.credit_balance) >= cost;
}

/** Adds credits to a team's balance with a ledger entry; returns the new balance. */
export async function grantCredits(db: Db, teamId: string, amount: number, reason: 'grant' | 'initial' = 'grant'): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const team = await trx
      .updateTable('teams')
      .set({ credit_balance: sql`credit_balance + ${amount}` })
      .where('id', '=', teamId)
      .returning('credit_balance')
      .executeTakeFirstOrThrow();
    await trx.insertInto('credit_ledger').values({ team_id: teamId, delta: amount, reason, delivery_id: null, balance_after: team.credit_balance }).execute();
    return Number(team.credit_balance);
  });
}

/** The ledger entry of a new team's starting credits (inside the transaction that creates it). */
export async function recordInitialCredits(trx: Kysely<Database>, teamId: string, credits: number): Promise<void> {
  if (credits <= 0) return;
  await trx.insertInto('credit_ledger').values({ team_id: teamId, delta: credits, reason: 'initial', delivery_id: null, balance_after: credits }).execute();
}

/** A team's balance and its newest ledger entries. */
export async function creditAccount(db: Db, teamId: string, limit: number): Promise<{ balance: number; ledger: CreditLedgerEntry[] }> {
  const row = await db.selectFrom('teams').select('credit_balance').where('id', '=', teamId).executeTakeFirstOrThrow();
  const ledger = await db.selectFrom('credit_ledger').selectAll().where('team_id', '=', teamId).orderBy('id', 'desc').limit(limit).execute();
  return { balance: Number(row.credit_balance), ledger };
}

/** Wakes the team's held deliveries after a credit grant; returns how many were held. */
export async function releaseHeldDeliveries(db: Db, temporal: Client, teamId: string): Promise<number> {
  const held = await db.selectFrom('deliveries').select('delivery_workflow_id').where('team_id', '=', teamId).where('status', '=', 'held').execute();
  // A held delivery without its workflow yet is about to get one, which checks the balance first.
  const waiting = held.flatMap((d) => (d.delivery_workflow_id ? [d.delivery_workflow_id] : []));
  await forEachConcurrently(waiting, 16, (id) => temporal.workflow.getHandle(id).signal(creditsGrantedSignal).catch(() => undefined));
  return held.length;
}

/**
 * A held delivery's periodic re-check, cheaper than an attempt: whether its team can pay now
 * (or it is no longer held, so an attempt should look). Marks it due again at the next check,
 * which is what the reconciler watches.
 */
export async function heldDeliveryCanPay(db: Db, deliveryId: string, cost: number, recheckMs: number): Promise<boolean> {
  const row = await db
    .updateTable('deliveries as d')
    .from('teams as t')
    .set({ next_attempt_at: new Date(Date.now() + recheckMs), updated_at: new Date() })
    .whereRef('t.id', '=', 'd.team_id')
    .where('d.id', '=', deliveryId)
    .where('d.status', '=', 'held')
    .returning(['t.credit_balance', 'd.test'])
    .executeTakeFirst();
  return !row || canPay(row, cost);
}
