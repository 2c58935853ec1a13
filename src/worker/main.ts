// `npm run worker`: a worker process on its own (production layout: api and worker apart).
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { createDb } from '../db/database';
import { ensureDatabaseExists, migrateToLatest } from '../db/migrate';
import { logger } from '../logger';
import { prepareStoredSecrets, requireSecretKeys } from '../services/webhookSecrets';
import { temporalMetricsAddress, temporalMetricsText, temporalTelemetry } from '../metrics/temporalRuntime';
import { createReconciler } from '../services/reconciler';
import { connectTemporal } from '../temporal/client';
import { startReconcilerLoop } from './reconcilerLoop';
import { startWorkerObservability } from './observability';
import { createWorker } from './worker';

async function main() {
  const config = loadConfig();
  const secretKeys = requireSecretKeys(config); // before anything else: no key, no start
  // Before anything connects to Temporal: the SDK's runtime then serves its metrics, which the
  // worker's metrics port appends to its own (src/metrics/temporalRuntime.ts).
  const temporalMetrics = config.metricsPort === undefined ? undefined : await temporalMetricsAddress(config.temporalMetricsAddress);
  if (temporalMetrics) Runtime.install({ telemetryOptions: temporalTelemetry(temporalMetrics) });
  await ensureDatabaseExists(config.databaseUrl);
  const db = createDb(config.databaseUrl, 30);
  await migrateToLatest(db);
  await prepareStoredSecrets(db, secretKeys, logger);
  const { client, connection } = await connectTemporal(config.temporalAddress ?? '127.0.0.1:7233', config.temporalNamespace);
  const { worker, close } = await createWorker({ config, temporalAddress: config.temporalAddress ?? '127.0.0.1:7233', db, client, log: logger });
  const stopReconciler = startReconcilerLoop(createReconciler({ db, config, temporal: client, log: logger }), logger, config.reconcileIntervalMs);
  const stopObservability = await startWorkerObservability({
    db, config, log: logger, source: { roles: ['worker'], extra: temporalMetrics ? temporalMetricsText(temporalMetrics) : undefined },
  });
  logger.info({ taskQueue: config.taskQueue }, 'worker started');
  await worker.run(); // returns after SIGINT/SIGTERM (the SDK installs those handlers)
  stopReconciler();
  await stopObservability();
  await close();
  await connection.close();
  await db.destroy();
}

main().catch((err) => {
  logger.error({ err }, 'worker failed');
  process.exit(1);
});
