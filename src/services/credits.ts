import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database';
import type { Database } from '../db/schema';

/**
 * Charges a successful delivery. Runs inside the transaction that marks the delivery
 * succeeded (with the delivery row locked), and the ledger allows one charge per delivery,
 * so a delivery is charged exactly once however often its activity runs.
 */
export async function chargeDelivery(trx: Transaction<Database>, teamId: string, deliveryId: string, cost: number): Promise<void> {
  if (cost <= 0) return;
  const team = await trx
    .updateTable('teams')
    .set({ credit_balance: sql`credit_balance - ${cost}` })
    .where('id', '=', teamId)
    .returning('credit_balance')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('credit_ledger')
    .values({ team_id: teamId, delta: -cost, reason: 'delivery', delivery_id: deliveryId, balance_after: team.credit_balance })
    .execute();
}

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
