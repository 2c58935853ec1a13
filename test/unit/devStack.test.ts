import { DEV_ADMIN_KEY } from '../../src/devDefaults';
import { chooseDevDatabase } from '../../src/devStack/database';
import { assertSafeToListen, isLoopbackHost } from '../../src/devStack/listen';
import { temporalStateFile } from '../../src/devStack/temporal';
import { wantsPrettyLogs } from '../../src/logger';
import { StartupProblem } from '../../src/startupProblem';
import { CLI_COLD_BUILD } from '../../src/temporal/cli';
import { estimateText, formatDuration, progressText, type MeasuredBuild } from '../../src/temporal/goInstall';
import { SERVER_COLD_BUILD } from '../../src/temporal/server';

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

describe('Temporal build progress', () => {
  test('counts against the total and extrapolates once a twentieth is done', () => {
    expect(progressText(10, 1297, 5_000)).toBe('10/1297 packages compiled, 5s');
    expect(progressText(400, 1200, 60_000)).toBe('400/1200 packages compiled, 1m00s, about 2m00s left');
    expect(progressText(1200, 1200, 300_000)).toBe('1200/1200 packages compiled in 5m00s; linking …');
  });

  test('more packages reported than listed, or none to compile: linking', () => {
    expect(progressText(1300, 1297, 90_000)).toBe('1297/1297 packages compiled in 1m30s; linking …');
    expect(progressText(0, 0, 4_000)).toBe('0/0 packages compiled in 4s; linking …');
  });

  // Round figures, so the expected texts can be worked out by hand.
  const measured: MeasuredBuild = { packages: 1000, cpuSeconds: 440, linkCpuSeconds: 40, wallSeconds: 540, cores: 2 };

  test('every package: the measured CPU time, and that spread over this many cores as a floor', () => {
    expect(estimateText(1000, measured, 2)).toBe(
      "A cold build took 9m00s on a 2-core machine shared with other work; this one needs about 7m20s of CPU time: at least 3m40s on this machine's 2 cores, more if they are busy.",
    );
    expect(estimateText(1000, measured, 8)).toContain("at least 55s on this machine's 8 cores");
    expect(estimateText(1000, measured, 1)).toContain("at least 7m20s on this machine's 1 core,");
  });

  test('fewer packages: compiling shrinks in proportion, linking does not', () => {
    expect(estimateText(500, measured, 2)).toContain('needs about 4m00s of CPU time: at least 2m00s'); // 40 + 400/2
    expect(estimateText(0, measured, 2)).toContain('needs about 40s of CPU time: at least 20s');
    expect(estimateText(2000, measured, 2)).toContain('needs about 14m00s'); // 40 + 800
  });

  test('the measured builds of the CLI and of the server are whole and consistent', () => {
    for (const build of [CLI_COLD_BUILD, SERVER_COLD_BUILD]) {
      expect(build.packages).toBeGreaterThan(1000);
      expect(build.linkCpuSeconds).toBeGreaterThan(0);
      expect(build.linkCpuSeconds).toBeLessThan(build.cpuSeconds);
      expect(build.wallSeconds * build.cores).toBeGreaterThanOrEqual(build.cpuSeconds);
    }
    expect(estimateText(CLI_COLD_BUILD.packages, CLI_COLD_BUILD, 2)).toMatch(/^A cold build took 9m00s on a 2-core machine.*at least 3m35s on this machine's 2 cores/);
  });

  test('durations', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_400)).toBe('59s');
    expect(formatDuration(61_000)).toBe('1m01s');
  });
});
