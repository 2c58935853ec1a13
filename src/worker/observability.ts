import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import { startBacklogSampler } from '../metrics/backlog';
import { startMetricsServer, type MetricsSource } from '../metrics/endpoint';
import { startStatsRetention } from '../services/deliveryStats';

/**
 * What a worker process runs beside its Temporal worker to be watched: the backlog gauges, the
 * pruning of old delivery statistics and, with HOOKFERRY_METRICS_PORT, its metrics port.
 */
export async function startWorkerObservability(opts: { db: Db; config: Config; log: Logger; source: MetricsSource }): Promise<() => Promise<void>> {
  const { db, config, log } = opts;
  const stopSampler = startBacklogSampler(db, log, config.backlogSampleMs);
  const stopRetention = startStatsRetention(db, log);
  const server =
    config.metricsPort === undefined ? undefined : await startMetricsServer({ config, port: config.metricsPort, source: opts.source, log });
  if (server) log.info({ url: server.url }, 'metrics served');
  return async () => {
    stopSampler();
    stopRetention();
    await server?.close();
  };
}
