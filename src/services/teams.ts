import type { Db } from '../db/database';
import { newId } from '../ids';
import { generateApiKey } from './apiKeys';

/** Creates a team, its starting credits and its first API key, all or nothing. */
export async function createTeam(db: Db, input: { name: string; notificationEmail: string; credits?: number }) {
  const id = newId('team');
  const credits = input.credits ?? 0;
  const key = generateApiKey();
  const keyId = newId('key');
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('teams').values({ id, name: input.name, notification_email: input.notificationEmail, credit_balance: credits }).execute();
    if (credits > 0) {
      await trx.insertInto('credit_ledger').values({ team_id: id, delta: credits, reason: 'initial', delivery_id: null, balance_after: credits }).execute();
    }
    await trx.insertInto('api_keys').values({ id: keyId, team_id: id, prefix: key.prefix, secret_hash: key.secretHash, label: 'default' }).execute();
  });
  return { id, name: input.name, notificationEmail: input.notificationEmail, credits, apiKey: key.key, apiKeyId: keyId };
}
