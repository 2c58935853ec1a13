// `npm run api`: the REST API and dashboard on their own (production layout).
import { loadConfig } from '../config';
import { createDb } from '../db/database';
import { ensureDatabaseExists, migrateToLatest } from '../db/migrate';
import { logger } from '../logger';
import { prepareStoredSecrets, requireSecretKeys } from '../services/webhookSecrets';
import { connectTemporal } from '../temporal/client';
import { startApi } from './server';

async function main() {
  const config = loadConfig();
  const secretKeys = requireSecretKeys(config); // before anything else: no key, no start
  await ensureDatabaseExists(config.databaseUrl);
  const db = createDb(config.databaseUrl, 20);
  await migrateToLatest(db);
  await prepareStoredSecrets(db, secretKeys, logger);
  const { client, connection } = await connectTemporal(config.temporalAddress ?? '127.0.0.1:7233', config.temporalNamespace);
  const api = await startApi({ config, db, temporal: client, log: logger });
  logger.info({ url: api.url }, 'API listening');
  const stop = async () => {
    await api.close();
    await connection.close();
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  logger.error({ err }, 'API failed to start');
  process.exit(1);
});
