import { sql } from 'kysely';
import type { Db } from '../db/database';

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
