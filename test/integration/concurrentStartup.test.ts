import { Client } from 'pg';
import { createDb } from '../../src/db/database';
import { ensureDatabaseExists, migrateToLatest } from '../../src/db/migrate';

// Every API instance and worker creates its database if missing and migrates it at start, so
// several starting at once (a deploy, docker compose up --scale) race for both.
const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `hookferry_startup_${process.pid}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;

async function dropDatabase() {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.end();
}

beforeAll(dropDatabase);
afterAll(dropDatabase);

test('instances starting at once on a database that does not exist yet all create it, migrate it and start', async () => {
  const instances = 6;
  const results = await Promise.allSettled(
    Array.from({ length: instances }, async () => {
      await ensureDatabaseExists(url.toString());
      const db = createDb(url.toString(), 2);
      try {
        await migrateToLatest(db);
      } finally {
        await db.destroy();
      }
    }),
  );
  expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);

  const db = createDb(url.toString(), 1);
  try {
    const applied = await db.selectFrom('kysely_migration' as never).select('name' as never).execute();
    expect(applied.length).toBeGreaterThanOrEqual(5);
  } finally {
    await db.destroy();
  }
});
