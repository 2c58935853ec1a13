import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { createDb } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { generateKeySetting } from '../../src/domain/secretBox';
import { ensureTemporalCli } from '../../src/temporal/cli';
import { startDevServer } from '../../src/temporal/devServer';
import { WORKFLOWS_PATH } from '../../src/worker/worker';
import { freePort } from '../../scripts/lib/freePort';

// Re-exported: several helpers and tests import freePort from here.
export { freePort };

/**
 * Once per `npm test`: a real Temporal dev server (unless TEMPORAL_ADDRESS names one), a fresh
 * PostgreSQL database with the migrations applied, and the workflow bundle built once.
 */
export default async function globalSetup(): Promise<void> {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  // One database per run, so concurrent runs on one machine never share (or drop) each other's.
  const dbName = `hookferry_test_${process.pid}`;
  process.env.HOOKFERRY_TEST_DATABASE = dbName;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${dbName}" with (force)`);
  await admin.query(`create database "${dbName}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  process.env.DATABASE_URL = url.toString();
  const db = createDb(process.env.DATABASE_URL, 1);
  await migrateToLatest(db);
  await db.destroy();

  // Webhook secrets are encrypted at rest: every stack and spawned process of this run shares one key.
  process.env.HOOKFERRY_SECRETS_KEY ||= generateKeySetting(new Date(), 'test-run');

  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  const bundlePath = path.join(os.tmpdir(), `hookferry-workflows-${process.pid}.js`);
  writeFileSync(bundlePath, bundle.code);
  process.env.HOOKFERRY_TEST_WORKFLOW_BUNDLE = bundlePath;

  if (!process.env.TEMPORAL_ADDRESS) {
    const cliPath = await ensureTemporalCli();
    const server = await startDevServer({ cliPath, port: await freePort(), headless: true });
    (globalThis as Record<string, unknown>).__temporalDevServer = server;
    process.env.TEMPORAL_ADDRESS = server.address;
  }
}
