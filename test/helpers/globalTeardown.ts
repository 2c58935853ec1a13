import { rmSync } from 'node:fs';
import { Client } from 'pg';
import type { DevServer } from '../../src/temporal/devServer';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__temporalDevServer as DevServer | undefined;
  await server?.stop();
  // What globalSetup wrote to the temp directory.
  const bundlePath = process.env.HOOKFERRY_TEST_WORKFLOW_BUNDLE;
  if (bundlePath) rmSync(bundlePath, { force: true });
  const dbName = process.env.HOOKFERRY_TEST_DATABASE;
  if (dbName && !process.env.KEEP_TEST_DATABASE) {
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`drop database if exists "${dbName}" with (force)`);
    await admin.end();
  }
}
