import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import pino from 'pino';
import { startApi } from '../../src/api/server';
import { loadConfig } from '../../src/config';
import { createDb } from '../../src/db/database';

test('the API listens where HOST says, and on every interface without it (npm run api, as documented)', async () => {
  const db = createDb(process.env.DATABASE_URL!, 1);
  const log = pino({ level: 'silent' });
  // Starting the API makes no Temporal call: a stand-in client is enough to see where it listens.
  const temporal = {} as Client;
  try {
    const loopback = await startApi({ config: loadConfig({ ...process.env, HOST: '127.0.0.1' }), db, temporal, log, port: 0 });
    expect((loopback.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(loopback.url).toMatch(/^http:\/\/localhost:\d+$/);
    await loopback.close();

    const everywhere = await startApi({ config: loadConfig({ ...process.env, HOST: undefined }), db, temporal, log, port: 0 });
    expect(['::', '0.0.0.0']).toContain((everywhere.server.address() as AddressInfo).address);
    await everywhere.close();
  } finally {
    await db.destroy();
  }
});
