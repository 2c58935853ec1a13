import { DEV_ADMIN_KEY } from '../../src/devDefaults';
import { chooseDevDatabase } from '../../src/devStack/database';
import { assertSafeToListen, isLoopbackHost } from '../../src/devStack/listen';
import { temporalStateFile } from '../../src/devStack/temporal';
import { wantsPrettyLogs } from '../../src/logger';
import { StartupProblem } from '../../src/startupProblem';
import { estimateText, formatDuration, progressText } from '../../src/temporal/cli';

describe('where npm start listens', () => {
  test.each(['127.0.0.1', '127.8.9.10', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  test.each(['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'fe80::1', 'example.test', 'my-laptop'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  test('beyond loopback with the development admin key: refused, saying what to set', () => {
    expect(() => assertSafeToListen('0.0.0.0', DEV_ADMIN_KEY)).toThrow(StartupProblem);
    expect(() => assertSafeToListen('0.0.0.0', DEV_ADMIN_KEY)).toThrow(/HOOKFERRY_ADMIN_KEY.*leave HOST unset/s);
  });

  test('beyond loopback with an admin key of its own, or on loopback with the development key: allowed', () => {
    expect(() => assertSafeToListen('0.0.0.0', 'a-secret-of-my-own')).not.toThrow();
    expect(() => assertSafeToListen('127.0.0.1', DEV_ADMIN_KEY)).not.toThrow();
  });
});

describe('Temporal state file', () => {
  test('TEMPORAL_DB_FILE names the file, :memory: keeps none, unset takes the caller’s default', () => {
    expect(temporalStateFile({ TEMPORAL_DB_FILE: '/tmp/t.db' }, '/data/temporal.db')).toBe('/tmp/t.db');
    expect(temporalStateFile({ TEMPORAL_DB_FILE: ':memory:' }, '/data/temporal.db')).toBeUndefined();
    expect(temporalStateFile({}, '/data/temporal.db')).toBe('/data/temporal.db');
    expect(temporalStateFile({ TEMPORAL_DB_FILE: '' }, undefined)).toBeUndefined();
  });
});

describe('database choice', () => {
  test('a configured DATABASE_URL is used as it is, and the banner hides its password', async () => {
    const log: string[] = [];
    const db = await chooseDevDatabase({ env: { DATABASE_URL: 'postgres://app:s3cret@db.internal:5432/hookferry' }, dataDir: '/nonexistent', dataDirIsDefault: true, log: (l) => log.push(l) });
    expect(db.url).toBe('postgres://app:s3cret@db.internal:5432/hookferry');
    expect(db.description).toBe('DATABASE_URL (postgres://app:***@db.internal:5432/hookferry)');
    expect(log).toEqual([]);
  });

  test('with nothing configured, the local PostgreSQL that answers on 127.0.0.1:5432 (the test machine has one)', async () => {
    const db = await chooseDevDatabase({ env: {}, dataDir: '/nonexistent', dataDirIsDefault: true, log: () => undefined });
    expect(db.url).toBe('postgres://postgres@127.0.0.1:5432/hookferry');
  });
});

describe('log format', () => {
  test('pretty on a terminal, JSON otherwise; LOG_FORMAT decides when set', () => {
    expect(wantsPrettyLogs({}, true)).toBe(true);
    expect(wantsPrettyLogs({}, false)).toBe(false);
    expect(wantsPrettyLogs({ LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(wantsPrettyLogs({ LOG_FORMAT: 'pretty' }, false)).toBe(true);
  });
});

describe('Temporal CLI build progress', () => {
  test('counts against the total and extrapolates once a twentieth is done', () => {
    expect(progressText(10, 1297, 5_000)).toBe('10/1297 packages compiled, 5s');
    expect(progressText(400, 1200, 60_000)).toBe('400/1200 packages compiled, 1m00s, about 2m00s left');
    expect(progressText(1200, 1200, 300_000)).toBe('1200/1200 packages compiled in 5m00s; linking the binary …');
  });

  test('the estimate states the measured build and a floor for this many cores', () => {
    const text = estimateText(1297, 2);
    expect(text).toMatch(/^A cold build took 9m00s on a 2-core machine/);
    expect(text).toContain("at least 3m35s on this machine's 2 cores");
    expect(estimateText(1297, 8)).toContain('at least 54s');
  });

  test('durations', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_400)).toBe('59s');
    expect(formatDuration(61_000)).toBe('1m01s');
  });
});
