import type { Db } from '../db/database';
import type { Team } from '../db/schema';
import { notFound } from '../domain/errors';
import { newId } from '../ids';
import { generateApiKey } from './apiKeys';
import { recordInitialCredits } from './credits';

/** Creates a team, its starting credits and its first API key, all or nothing. */
export async function createTeam(db: Db, input: { name: string; notificationEmail: string; credits?: number }) {
  const id = newId('team');
  const credits = input.credits ?? 0;
  const key = generateApiKey();
  const keyId = newId('key');
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('teams').values({ id, name: input.name, notification_email: input.notificationEmail, credit_balance: credits }).execute();
    await recordInitialCredits(trx, id, credits);
    await trx.insertInto('api_keys').values({ id: keyId, team_id: id, prefix: key.prefix, secret_hash: key.secretHash, label: 'default' }).execute();
  });
  return { id, name: input.name, notificationEmail: input.notificationEmail, credits, apiKey: key.key, apiKeyId: keyId };
}

/** A team by id; not found is an error. */
export async function getTeam(db: Db, id: string): Promise<Team> {
  const team = await db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
  if (!team) throw notFound('team');
  return team;
}
