import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkerOptions as TemporalWorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import type { Config } from '../config';
import type { Db } from '../db/database';
import { parseAllowedCidrs } from '../http/addressPolicy';
import type { Resolver } from '../http/sendWebhook';
import type { Logger } from '../logger';
import { createMailer } from '../mail/mailer';

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
  const connection = await NativeConnection.connect({ address: opts.temporalAddress });
  const mailer = createMailer(config.smtpUrl, config.smtpFrom, opts.log);
  const activities = createActivities({
    db: opts.db,
    config,
    temporal: opts.client,
    mailer,
    send: { policy: parseAllowedCidrs(config.allowedCidrs), resolver: opts.resolver },
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    // Deliveries are I/O-bound: many attempts can wait on receivers at once.
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxCachedWorkflows: 2_000,
    stickyQueueScheduleToStartTimeout: '10s',
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
