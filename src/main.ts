// `npm start`: everything in one process for a laptop — migrations, a local Temporal dev
// server (unless temporalAddressESS is set), the worker and the API with its dashboard.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DASHBOARD_DIR } from './api/app';
import { startApi } from './api/server';
import { loadConfig } from './config';
import { hookferryDataDir } from './dataDir';
import { createDb } from './db/database';
import { describeDevSecretsKey, ensureDevSecretsKey } from './devSecretsKey';
import { DEV_ADMIN_KEY, DEV_ALLOWED_CIDRS } from './devDefaults';
import { ensureDatabaseExists, migrateToLatest } from './db/migrate';
import { logger } from './logger';
import { createCatalog } from './services/catalog';
import { createEventService } from './services/events';
import { prepareStoredSecrets, requireSecretKeys } from './services/webhookSecrets';
import { ensureTemporalCli } from './temporal/cli';
import { connectTemporal } from './temporal/client';
import { startDevServer, type DevServer } from './temporal/devServer';
import { startStrandedEventSweeper } from './worker/sweeper';
import { createWorker } from './worker/worker';


async function main() {
  process.env.HOOKFERRY_ADMIN_KEY ??= DEV_ADMIN_KEY;
  // Lets you point webhooks at receivers on this machine (http://127.0.0.1:…) while developing.
  process.env.HOOKFERRY_ALLOWED_CIDRS ??= DEV_ALLOWED_CIDRS;
  // Webhook secrets are encrypted at rest: without a key given, a development key file in the data directory.
  const devKey = process.env.HOOKFERRY_SECRETS_KEY ? undefined : ensureDevSecretsKey(hookferryDataDir());
  if (devKey) {
    process.env.HOOKFERRY_SECRETS_KEY = devKey.setting;
    if (devKey.created) logger.info({ file: devKey.file }, 'generated a development key for webhook secrets (owner-only file)');
    if (devKey.warning) logger.warn(devKey.warning);
  }
  const config = loadConfig();
  const secretKeys = requireSecretKeys(config);

  await ensureDatabaseExists(config.databaseUrl);
  const db = createDb(config.databaseUrl, 30);
  const applied = await migrateToLatest(db);
  await prepareStoredSecrets(db, secretKeys, logger);
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
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const { client, connection } = await connectTemporal(temporalAddress, config.temporalNamespace);
  const worker = await createWorker({ config, temporalAddress: temporalAddress, db, client, log: logger });
  const workerRun = worker.worker.run();
  const stopSweeper = startStrandedEventSweeper(createEventService({ db, config, temporal: client, catalog: createCatalog(db, config.presets) }), logger);
  const api = await startApi({ config, db, temporal: client, log: logger });

  const adminNote = config.adminKey === DEV_ADMIN_KEY ? ` (development default; set HOOKFERRY_ADMIN_KEY to change it)` : '';
  process.stdout.write(
    [
      '',
      'Hookferry is running.',
      `  API + dashboard:   ${api.url}`,
      `  API docs:          ${api.url}/docs`,
      `  Temporal Web UI:   ${temporalUi}`,
      `  Admin key:         ${config.adminKey}${adminNote}`,
      `  Secrets key:       ${describeDevSecretsKey(devKey)}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n') + '\n',
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping');
    stopSweeper();
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
