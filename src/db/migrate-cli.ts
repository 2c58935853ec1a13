import { loadConfig } from '../config';
import { logger } from '../logger';
import { createDb } from './database';
import { ensureDatabaseExists, migrateToLatest } from './migrate';

async function main() {
  const config = loadConfig();
  await ensureDatabaseExists(config.databaseUrl);
  const db = createDb(config.databaseUrl, 1);
  try {
    const applied = await migrateToLatest(db);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  logger.error({ err }, 'migration failed');
  process.exit(1);
});
