import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { readSetting, SETTINGS } from '../../src/settings';

test('the defaults are the documented ones (the table feeds loadConfig)', () => {
  const c = loadConfig({});
  expect(c).toMatchObject({
    port: 3000,
    host: undefined,
    databaseUrl: 'postgres://postgres@127.0.0.1:5432/hookferry',
    taskQueue: 'hookferry',
    publicUrl: 'http://localhost:3000',
    failureThreshold: 4,
    attemptTimeoutMs: 10_000,
    maxPayloadBytes: 262_144,
    deliveryWorkflows: 'as-needed',
    logLevel: 'info',
    presets: ['outreach', 'analytics', 'voice'],
  });
});

test("the Temporal worker's limits are settings, today's values by default", () => {
  expect(loadConfig({}).worker).toEqual({
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxCachedWorkflows: 2_000,
    maxEagerActivityReservationsPerWorkflowTask: 3,
    stickyQueueScheduleToStartTimeoutMs: 10_000,
  });
  const tuned = loadConfig({
    HOOKFERRY_WORKER_MAX_ACTIVITIES: '50',
    HOOKFERRY_WORKER_MAX_WORKFLOW_TASKS: '20',
    HOOKFERRY_WORKER_MAX_CACHED_WORKFLOWS: '0',
    HOOKFERRY_WORKER_MAX_EAGER_ACTIVITIES: '0',
    HOOKFERRY_WORKER_STICKY_TIMEOUT_MS: '2500',
  }).worker;
  expect(tuned).toEqual({
    maxConcurrentActivityTaskExecutions: 50,
    maxConcurrentWorkflowTaskExecutions: 20,
    maxCachedWorkflows: 0,
    maxEagerActivityReservationsPerWorkflowTask: 0,
    stickyQueueScheduleToStartTimeoutMs: 2500,
  });
  expect(() => loadConfig({ HOOKFERRY_WORKER_MAX_ACTIVITIES: '0' })).toThrow(/HOOKFERRY_WORKER_MAX_ACTIVITIES/);
});

describe('signature headers', () => {
  const headers = (env: Record<string, string>) => {
    const c = loadConfig(env);
    return { sha256: c.sha256SignatureHeader, hex: c.hexSignatureHeader };
  };

  test('by default every header the product documents promise; `standard` sends the Standard Webhooks ones only', () => {
    expect(headers({})).toEqual({ sha256: 'X-Webhook-Signature', hex: 'X-Kakiyo-Signature' });
    expect(headers({ HOOKFERRY_SIGNATURE_PRESETS: 'standard' })).toEqual({ sha256: undefined, hex: undefined });
  });

  test("the seeds' headers are presets: outreach (X-Kakiyo-Signature), voice (X-Webhook-Signature), all", () => {
    expect(headers({ HOOKFERRY_SIGNATURE_PRESETS: 'outreach' })).toEqual({ sha256: undefined, hex: 'X-Kakiyo-Signature' });
    expect(headers({ HOOKFERRY_SIGNATURE_PRESETS: 'voice' })).toEqual({ sha256: 'X-Webhook-Signature', hex: undefined });
    expect(headers({ HOOKFERRY_SIGNATURE_PRESETS: 'all' })).toEqual({ sha256: 'X-Webhook-Signature', hex: 'X-Kakiyo-Signature' });
    expect(headers({ HOOKFERRY_SIGNATURE_PRESETS: ' Outreach , voice ' })).toEqual({ sha256: 'X-Webhook-Signature', hex: 'X-Kakiyo-Signature' });
  });

  test('the header variables rename a header, or omit it when empty, whatever the preset', () => {
    expect(headers({ HOOKFERRY_SIGNATURE_PRESETS: 'all', HOOKFERRY_HEX_SIGNATURE_HEADER: '' })).toEqual({ sha256: 'X-Webhook-Signature', hex: undefined });
    expect(headers({ HOOKFERRY_SIGNATURE_PRESETS: 'standard', HOOKFERRY_HEX_SIGNATURE_HEADER: 'X-Acme-Signature' })).toEqual({ sha256: undefined, hex: 'X-Acme-Signature' });
    expect(headers({ HOOKFERRY_SIGNATURE_PRESETS: 'outreach', HOOKFERRY_SHA256_SIGNATURE_HEADER: 'X-Sig' })).toEqual({ sha256: 'X-Sig', hex: 'X-Kakiyo-Signature' });
  });

  test('an unknown preset stops startup, naming the variable and the choices', () => {
    expect(() => loadConfig({ HOOKFERRY_SIGNATURE_PRESETS: 'kakiyo' })).toThrow(/unknown signature preset .*kakiyo.* \(expected a comma-separated list of standard, outreach, voice, or all\)[\s\S]*HOOKFERRY_SIGNATURE_PRESETS/);
  });
});

test('readSetting: one variable, checked by its schema, with the same defaults as loadConfig', () => {
  expect(readSetting('LOG_LEVEL', {})).toBe('info');
  expect(readSetting('HOOKFERRY_URL', {})).toBe('http://localhost:3000');
  expect(readSetting('TEMPORAL_DB_FILE', { TEMPORAL_DB_FILE: '/tmp/t.db' })).toBe('/tmp/t.db');
  expect(readSetting('TEMPORAL_NAMESPACE_RETENTION_DAYS', { TEMPORAL_NAMESPACE_RETENTION_DAYS: '' })).toBe(3);
  expect(() => readSetting('TEMPORAL_NAMESPACE_RETENTION_DAYS', { TEMPORAL_NAMESPACE_RETENTION_DAYS: 'x' })).toThrow(/TEMPORAL_NAMESPACE_RETENTION_DAYS/);
  expect(() => readSetting('LOG_FORMAT', { LOG_FORMAT: 'text' })).toThrow(/LOG_FORMAT/);
});

test('invalid values still stop loadConfig with the variable named', () => {
  expect(() => loadConfig({ PORT: 'x' })).toThrow(/PORT/);
  expect(() => loadConfig({ LOG_FORMAT: 'text' })).toThrow(/LOG_FORMAT/);
  expect(() => loadConfig({ HOOKFERRY_DELIVERY_WORKFLOWS: 'some' })).toThrow(/HOOKFERRY_DELIVERY_WORKFLOWS/);
  expect(Object.keys(SETTINGS)).toContain('HOOKFERRY_WORKER_MAX_ACTIVITIES');
});

describe('the table and the code agree', () => {
  const root = path.resolve(__dirname, '../..');
  const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
  const sources = (dir: string): string[] =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));

  test('every setting is used: by loadConfig, or by the file its readAt names', () => {
    const config = read('src/config.ts');
    for (const [name, s] of Object.entries(SETTINGS) as [string, { readAt?: string }][]) {
      const where = s.readAt ?? 'src/config.ts';
      const text = s.readAt ? read(s.readAt) : config;
      expect({ name, where, used: s.readAt ? text.includes(name) : text.includes(`e.${name}`) }).toEqual({ name, where, used: true });
    }
  });

  test('src reads no environment variable the table does not describe (only system ones besides)', () => {
    const system = new Set(['XDG_DATA_HOME', 'XDG_CACHE_HOME', 'GOFLAGS']);
    const unknown: string[] = [];
    for (const file of sources('src')) {
      if (file === path.join('src', 'settings.ts')) continue;
      for (const m of read(file).matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) {
        const name = m[1] ?? m[2]!;
        if (!(name in SETTINGS) && !system.has(name)) unknown.push(`${file}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});
