// `npm start`: everything in one process for a laptop — a database (the configured one, the local
// one, or an embedded one), a local Temporal dev server (unless TEMPORAL_ADDRESS is set), the
// migrations, the worker and the API with its dashboard, on loopback.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DASHBOARD_DIR } from './api/app';
import { startApi } from './api/server';
import { loadConfig } from './config';
import { hookferryDataDir, isDefaultDataDir } from './dataDir';
import { createDb } from './db/database';
import { describeDevSecretsKey, ensureDevSecretsKey } from './devSecretsKey';
import { DEV_ADMIN_KEY, DEV_ALLOWED_CIDRS } from './devDefaults';
import { chooseDevDatabase } from './devStack/database';
import { assertSafeToListen, DEV_HOST } from './devStack/listen';
import { chooseDevTemporal } from './devStack/temporal';
import { ensureDatabaseExists, migrateToLatest } from './db/migrate';
import { logger } from './logger';
import { StartupProblem } from './startupProblem';
import type { MetricsSource } from './metrics/endpoint';
import { temporalMetricsAddress, temporalMetricsText, temporalTelemetry } from './metrics/temporalRuntime';
import { createReconciler } from './services/reconciler';
import { prepareStoredSecrets, requireSecretKeys } from './services/webhookSecrets';
import { connectTemporal } from './temporal/client';
import { startReconcilerLoop } from './worker/reconcilerLoop';
import { startWorkerObservability } from './worker/observability';
import { createWorker } from './worker/worker';

async function main() {
  process.env.HOOKFERRY_ADMIN_KEY ??= DEV_ADMIN_KEY;
  // Lets you point webhooks at receivers on this machine (http://127.0.0.1:…) while developing.
  process.env.HOOKFERRY_ALLOWED_CIDRS ??= DEV_ALLOWED_CIDRS;
  process.env.HOST ??= DEV_HOST;
  // Checked before anything starts: a refusal should not wait for a Temporal build.
  assertSafeToListen(process.env.HOST, process.env.HOOKFERRY_ADMIN_KEY);
  const dataDir = hookferryDataDir();
  const say = (line: string) => logger.info(line);

  // Started in order, stopped in reverse: the database outlives everything that writes to it.
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    if (exitCode === 0) logger.info('stopping');
    for (const stopOne of stops.reverse()) await stopOne().catch((err) => logger.warn({ err }, 'while stopping'));
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const database = await chooseDevDatabase({ env: process.env, dataDir, dataDirIsDefault: isDefaultDataDir(), log: say });
    stops.push(database.stop);
    process.env.DATABASE_URL = database.url;
    // Webhook secrets are encrypted at rest: without a key given, a development key file in the data directory.
    const devKey = process.env.HOOKFERRY_SECRETS_KEY ? undefined : ensureDevSecretsKey(dataDir);
    if (devKey) {
      process.env.HOOKFERRY_SECRETS_KEY = devKey.setting;
      if (devKey.created) logger.info({ file: devKey.file }, 'generated a development key for webhook secrets (owner-only file)');
      if (devKey.warning) logger.warn(devKey.warning);
    }
    const config = loadConfig();
    const secretKeys = requireSecretKeys(config);

    await ensureDatabaseExists(config.databaseUrl);
    const db = createDb(config.databaseUrl, 30);
    stops.push(() => db.destroy());
    const applied = await migrateToLatest(db);
    await prepareStoredSecrets(db, secretKeys, logger);
    logger.info({ applied }, 'database ready');

    const temporal = await chooseDevTemporal({ env: process.env, temporalAddress: config.temporalAddress, temporalUiUrl: config.temporalUiUrl, dataDir, log: say });
    stops.push(temporal.stop);

    buildDashboardIfMissing();
    // The Temporal SDK's metrics join the API's /metrics (worker and API share this process).
    const temporalMetrics = await temporalMetricsAddress(config.temporalMetricsAddress);
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [], telemetryOptions: temporalTelemetry(temporalMetrics) });
    const { client, connection } = await connectTemporal(temporal.address, config.temporalNamespace);
    stops.push(() => connection.close());
    const worker = await createWorker({ config, temporalAddress: temporal.address, db, client, log: logger });
    const workerRun = worker.worker.run();
    stops.push(async () => {
      worker.worker.shutdown();
      await workerRun.catch(() => undefined);
      await worker.close();
    });
    const stopReconciler = startReconcilerLoop(createReconciler({ db, config, temporal: client, log: logger }), logger, config.reconcileIntervalMs);
    stops.push(async () => stopReconciler());
    const metrics: MetricsSource = { roles: ['api', 'worker'], extra: temporalMetricsText(temporalMetrics) };
    const stopObservability = await startWorkerObservability({ db, config, log: logger, source: metrics });
    stops.push(stopObservability);
    const api = await startApi({ config, db, temporal: client, log: logger, metrics });
    stops.push(() => api.close());

    printBanner([
      ['API + dashboard', `${api.url}${config.host === DEV_HOST ? ` (listening on ${DEV_HOST} only; set HOST to change it)` : ''}`],
      ['API docs', `${api.url}/docs`],
      ['Temporal Web UI', temporal.uiUrl],
      ['Admin key', adminKeyNote(config.adminKey)],
      ['Secrets key', describeDevSecretsKey(devKey)],
      ['Database', database.description],
      ['Temporal', temporal.description],
    ]);
  } catch (err) {
    reportStartFailure(err);
    await stop(1);
  }
}

function adminKeyNote(adminKey: string | undefined): string {
  if (!adminKey) return 'none: admin routes are disabled (HOOKFERRY_ADMIN_KEY is empty)';
  return adminKey === DEV_ADMIN_KEY ? `${adminKey} (development default; set HOOKFERRY_ADMIN_KEY to change it)` : adminKey;
}

function printBanner(rows: [label: string, value: string][]): void {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`);
  process.stdout.write(['', 'Hookferry is running.', ...lines, 'Press Ctrl-C to stop.', ''].join('\n') + '\n');
}

/** `npm start` on a fresh clone: build the dashboard once (`npm run build` rebuilds it). */
function buildDashboardIfMissing(): void {
  if (existsSync(path.join(DASHBOARD_DIR, 'index.html'))) return;
  logger.info('building the dashboard (web/dist) once');
  const root = path.resolve(__dirname, '..');
  const result = spawnSync('npm', ['run', '-s', 'build', '--', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) logger.warn('dashboard build failed; the API still runs (try `npm run build`)');
}

function reportStartFailure(err: unknown): void {
  const inUse = err as NodeJS.ErrnoException & { port?: number };
  if (err instanceof StartupProblem) logger.error(`Hookferry cannot start: ${err.message}`);
  else if (inUse.code === 'EADDRINUSE') logger.error(`Hookferry cannot start: port ${inUse.port ?? ''} is already in use (set PORT to use another one for the API).`);
  else logger.error({ err }, 'Hookferry failed to start');
}

main().catch((err) => {
  reportStartFailure(err);
  process.exit(1);
});
