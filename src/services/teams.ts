import type { Db } from '../db/database';
import { newId } from '../ids';
import { issueApiKey } from './apiKeys';
import { grantCredits } from './credits';

export async function createTeam(db: Db, input: { name: string; notificationEmail: string; credits?: number }) {
  const id = newId('team');
  await db.insertInto('teams').values({ id, name: input.name, notification_email: input.notificationEmail, credit_balance: 0 }).execute();
  if (input.credits) await grantCredits(db, id, input.credits, 'initial');
  const key = await issueApiKey(db, id, 'default');
  return { id, name: input.name, notificationEmail: input.notificationEmail, credits: input.credits ?? 0, apiKey: key.key, apiKeyId: key.id };
}
