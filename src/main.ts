// `npm start`: everything in one process for a laptop — migrations, a local Temporal dev
// server (unless TEMPORAL_ADDRESS is set), the worker and the API with its dashboard.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DASHBOARD_DIR } from './api/app';
import { startApi } from './api/server';
import { loadConfig } from './config';
import { createDb } from './db/database';
import { DEV_ADMIN_KEY, DEV_ALLOWED_CIDRS } from './devDefaults';
import { ensureDatabaseExists, migrateToLatest } from './db/migrate';
import { logger } from './logger';
import type { MetricsSource } from './metrics/endpoint';
import { temporalMetricsAddress, temporalMetricsText, temporalTelemetry } from './metrics/temporalRuntime';
import { createReconciler } from './services/reconciler';
import { ensureTemporalCli } from './temporal/cli';
import { connectTemporal } from './temporal/client';
import { startDevServer, type DevServer } from './temporal/devServer';
import { startReconcilerLoop } from './worker/reconcilerLoop';
import { startWorkerObservability } from './worker/observability';
import { createWorker } from './worker/worker';


async function main() {
  process.env.HOOKFERRY_ADMIN_KEY ??= DEV_ADMIN_KEY;
  // Lets you point webhooks at receivers on this machine (http://127.0.0.1:…) while developing.
  process.env.HOOKFERRY_ALLOWED_CIDRS ??= DEV_ALLOWED_CIDRS;
  const config = loadConfig();

  await ensureDatabaseExists(config.databaseUrl);
  const db = createDb(config.databaseUrl, 30);
  const applied = await migrateToLatest(db);
  logger.info({ applied }, 'database ready');

  let devServer: DevServer | undefined;
  let temporalAddress = config.temporalAddress;
  let temporalUi = config.temporalUiUrl;
  if (!temporalAddress) {
    const cliPath = await ensureTemporalCli((line) => logger.info(line));
    devServer = await startDevServer({ cliPath, dbFile: process.env.TEMPORAL_DB_FILE });
    temporalAddress = devServer.address;
    temporalUi = devServer.uiUrl ?? temporalUi;
  }

  buildDashboardIfMissing();
  // The Temporal SDK's metrics join the API's /metrics (worker and API share this process).
  const temporalMetrics = await temporalMetricsAddress(config.temporalMetricsAddress);
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [], telemetryOptions: temporalTelemetry(temporalMetrics) });
  const { client, connection } = await connectTemporal(temporalAddress, config.temporalNamespace);
  const worker = await createWorker({ config, temporalAddress: temporalAddress, db, client, log: logger });
  const workerRun = worker.worker.run();
  const stopReconciler = startReconcilerLoop(createReconciler({ db, config, temporal: client, log: logger }), logger, config.reconcileIntervalMs);
  const metrics: MetricsSource = { roles: ['api', 'worker'], extra: temporalMetricsText(temporalMetrics) };
  const stopObservability = await startWorkerObservability({ db, config, log: logger, source: metrics });
  const api = await startApi({ config, db, temporal: client, log: logger, metrics });

  const adminNote = config.adminKey === DEV_ADMIN_KEY ? ` (development default; set HOOKFERRY_ADMIN_KEY to change it)` : '';
  process.stdout.write(
    [
      '',
      'Hookferry is running.',
      `  API + dashboard:   ${api.url}`,
      `  API docs:          ${api.url}/docs`,
      `  Temporal Web UI:   ${temporalUi}`,
      `  Admin key:         ${config.adminKey}${adminNote}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n') + '\n',
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping');
    stopReconciler();
    await stopObservability();
    await api.close();
    worker.worker.shutdown();
    await workerRun.catch(() => undefined);
    await worker.close();
    await connection.close();
    await db.destroy();
    await devServer?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

/** `npm start` on a fresh clone: build the dashboard once (`npm run build` rebuilds it). */
function buildDashboardIfMissing(): void {
  if (existsSync(path.join(DASHBOARD_DIR, 'index.html'))) return;
  logger.info('building the dashboard (web/dist) once');
  const root = path.resolve(__dirname, '..');
  const result = spawnSync('npm', ['run', '-s', 'build', '--', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) logger.warn('dashboard build failed; the API still runs (try `npm run build`)');
}

main().catch((err) => {
  logger.error({ err }, 'Hookferry failed to start');
  process.exit(1);
});
