import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../src/temporal/devServer';
import { clusterSettings, TEMPORAL_CONFIG_DIR } from '../../src/temporal/server';

const template = readFileSync(path.join(TEMPORAL_CONFIG_DIR, 'config.yaml'), 'utf8');

test('the script reads its defaults from the server config template itself', () => {
  const s = clusterSettings({});
  expect(s.db).toEqual({ host: '127.0.0.1', port: 5432, user: 'postgres', password: '', databases: { persistence: 'temporal', visibility: 'temporal_visibility' } });
  expect(s.frontendAddress).toBe('127.0.0.1:7233');
  expect(s.ports).toContain(7233);
});

test('the environment overrides them, and the port offset moves every port', () => {
  const s = clusterSettings({ TEMPORAL_DB_HOST: 'db', TEMPORAL_DB_NAME: 't2', TEMPORAL_PORT_OFFSET: '1000', TEMPORAL_BIND_IP: '10.0.0.5' });
  expect(s.db.host).toBe('db');
  expect(s.db.databases.persistence).toBe('t2');
  expect(s.frontendAddress).toBe('10.0.0.5:8233');
  expect(Math.min(...s.ports)).toBe(7933);
});

test('an offset that would put a port above 32767 is refused before the server dies on it', () => {
  expect(() => clusterSettings({ TEMPORAL_PORT_OFFSET: '30000' })).toThrow(/below 32768/);
  expect(clusterSettings({ TEMPORAL_PORT_OFFSET: '25524' }).ports).toContain(32_767);
});

test('every setting the template reads from the environment is listed in its header', () => {
  const used = new Set([...template.matchAll(/env "(\w+)"/g)].map((m) => m[1]!));
  const header = template.slice(0, template.indexOf('\nlog:'));
  expect(used.size).toBeGreaterThan(5);
  for (const name of used) expect(header).toContain(name);
});

test("the production server's dynamic config keeps the dev server's latency settings, except where it differs on purpose", () => {
  const text = readFileSync(path.join(TEMPORAL_CONFIG_DIR, 'dynamicconfig.yaml'), 'utf8');
  const production = new Map([...text.matchAll(/^([\w.]+):\n\s+- value: (.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
  const onlyOnTheDevServer = [
    // The CLI's own default is to refresh on every read; the real server's default is not to.
    'system.forceSearchAttributesCacheRefreshOnRead',
    // One partition per task queue suits one worker process; a cluster keeps Temporal's default (4)
    // so that a busy task queue can spread over several matching hosts. No latency difference measured.
    'matching.numTaskqueueReadPartitions',
    'matching.numTaskqueueWritePartitions',
  ];
  for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
    if (onlyOnTheDevServer.includes(key)) expect(production.has(key)).toBe(false);
    else expect([key, production.get(key)]).toEqual([key, String(value)]);
  }
});
