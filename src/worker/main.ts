// `npm run worker`: a worker process on its own (production layout: api and worker apart).
import { loadConfig } from '../config';
import { createDb } from '../db/database';
import { ensureDatabaseExists, migrateToLatest } from '../db/migrate';
import { logger } from '../logger';
import { createReconciler } from '../services/reconciler';
import { connectTemporal } from '../temporal/client';
import { startReconcilerLoop } from './reconcilerLoop';
import { createWorker } from './worker';

async function main() {
  const config = loadConfig();
  await ensureDatabaseExists(config.databaseUrl);
  const db = createDb(config.databaseUrl, 30);
  await migrateToLatest(db);
  const { client, connection } = await connectTemporal(config.temporalAddress ?? '127.0.0.1:7233', config.temporalNamespace);
  const { worker, close } = await createWorker({ config, temporalAddress: config.temporalAddress ?? '127.0.0.1:7233', db, client, log: logger });
  const stopReconciler = startReconcilerLoop(createReconciler({ db, config, temporal: client, log: logger }), logger, config.reconcileIntervalMs);
  logger.info({ taskQueue: config.taskQueue }, 'worker started');
  await worker.run(); // returns after SIGINT/SIGTERM (the SDK installs those handlers)
  stopReconciler();
  await close();
  await connection.close();
  await db.destroy();
}

main().catch((err) => {
  logger.error({ err }, 'worker failed');
  process.exit(1);
});
