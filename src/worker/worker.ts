import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkerOptions as TemporalWorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import type { Config } from '../config';
import type { Db } from '../db/database';
import { parseAllowedCidrs } from '../domain/addressPolicy';
import type { Resolver } from '../delivery/sendWebhook';
import type { Logger } from '../logger';
import { createMailer } from '../mail/mailer';
import { requireSecretKeys } from '../services/webhookSecrets';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface WorkerOptions {
  config: Config;
  temporalAddress: string;
  db: Db;
  client: Client;
  log: Logger;
  /** Pre-built bundle (tests build it once); otherwise built from WORKFLOWS_PATH. */
  workflowBundle?: TemporalWorkerOptions['workflowBundle'];
  /** DNS resolver override (tests of the SSRF guard). */
  resolver?: Resolver;
}

/** Builds a worker that runs Hookferry's workflows and activities on the configured task queue. */
export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection; close: () => Promise<void> }> {
  const { config } = opts;
  const secretKeys = requireSecretKeys(config);
  const connection = await NativeConnection.connect({ address: opts.temporalAddress });
  const mailer = createMailer(config.smtpUrl, config.smtpFrom, opts.log);
  const activities = createActivities({
    db: opts.db,
    config,
    temporal: opts.client,
    mailer,
    send: { policy: parseAllowedCidrs(config.allowedCidrs), resolver: opts.resolver },
    secretKeys,
    log: opts.log,
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    // The limits are settings (HOOKFERRY_WORKER_*, src/settings.ts; defaults measured in bench/README.md).
    // Deliveries are I/O-bound: many attempts can wait on receivers at once.
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTaskExecutions,
    // Delivery workflows stay cached between their two workflow tasks, so a slow receiver
    // never forces a history replay; completed ones leave the cache at once.
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    // One V8 context for every workflow (the SDK default, stated because it matters): the
    // per-workflow context alternative costs several times the CPU per delivery.
    reuseV8Context: true,
    // The dev server hands a workflow task's first activity straight back (eager execution):
    // attemptDelivery starts without a task-queue round trip.
    maxEagerActivityReservationsPerWorkflowTask: config.worker.maxEagerActivityReservationsPerWorkflowTask,
    stickyQueueScheduleToStartTimeout: config.worker.stickyQueueScheduleToStartTimeoutMs,
    // Poller counts stay at the SDK defaults (10 workflow, 10 activity): fewer pollers did not
    // lower CPU per delivery measurably (bench/README.md).
  });
  return {
    worker,
    connection,
    close: async () => {
      mailer.close();
      await connection.close();
    },
  };
}

export function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined });
}
