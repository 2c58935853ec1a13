/**
 * Every environment variable Hookferry reads, in one table: its type and check (zod), its
 * default, the process that reads it, and a one-line description. `loadConfig` (config.ts)
 * parses the environment with these schemas; the README's configuration table is generated
 * from this one (`npm run docs:config`; test/unit/configDocs.test.ts fails when they differ).
 *
 * A few settings are read before a Config can exist (the logger at import, npm start's data
 * directory and Temporal dev server, the admin CLI): they go through `readSetting`, which checks
 * the one variable with the same schema. Imports nothing but zod, so anything may import it.
 */
import { z } from 'zod';

/** Who reads a setting: `npm run api`, `npm run worker`, `npm start` (both plus a dev stack), the CLIs, the Temporal scripts. */
export type SettingReader = 'api' | 'worker' | 'start' | 'cli' | 'temporal';

export const SETTING_READERS: Record<SettingReader, string> = {
  api: '`npm run api`',
  worker: '`npm run worker`',
  start: '`npm start` only (it runs the API and a worker, so it reads their settings too)',
  cli: '`npm run hookferry` (admin CLI) and `npm run migrate`',
  temporal: '`npm run temporal` / `npm run temporal:cluster`',
};

export type SettingGroup = 'Server' | 'Database and Temporal' | 'Delivery' | 'Signatures and secrets' | 'Limits' | 'Throughput' | 'Worker' | 'Observability' | 'Development';

export interface Setting<S extends z.ZodType = z.ZodType> {
  schema: S;
  group: SettingGroup;
  readBy: readonly SettingReader[];
  /** One line, Markdown, for the README. */
  description: string;
  /** The default as the README shows it, when the schema's own (or "none") would not say it well. */
  defaultText?: string;
  /** The variable is read outside loadConfig (before a Config can exist): by this file. */
  readAt?: string;
}

const setting = <S extends z.ZodType>(s: Setting<S>): Setting<S> => s;

const intFrom = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const bounded = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const API = ['api'] as const;
const WORKER = ['worker'] as const;
const BOTH = ['api', 'worker'] as const;

/**
 * Named sets of signature headers sent besides the Standard Webhooks ones, for receivers built to
 * a product's documented style (the seeds): Kakiyo's docs (the `outreach` catalog) promise an
 * `X-Kakiyo-Signature` bare-hex header, KrosAI's (the `voice` catalog) `X-Webhook-Signature:
 * sha256=<hex>`. Both are sent by default (`all`), as those documents promise; a deployment whose
 * receivers verify Standard Webhooks only narrows it to `standard` (HOOKFERRY_SIGNATURE_PRESETS).
 */
export const SIGNATURE_PRESETS = {
  standard: {},
  outreach: { hexHeader: 'X-Kakiyo-Signature' },
  voice: { sha256Header: 'X-Webhook-Signature' },
} as const satisfies Record<string, { sha256Header?: string; hexHeader?: string }>;
export type SignaturePreset = keyof typeof SIGNATURE_PRESETS;

function parseSignaturePresets(value: string, ctx: z.RefinementCtx<string>): SignaturePreset[] {
  const names = Object.keys(SIGNATURE_PRESETS) as SignaturePreset[];
  const chosen = new Set<SignaturePreset>();
  for (const item of value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (item === 'all') names.forEach((n) => chosen.add(n));
    else if ((names as string[]).includes(item)) chosen.add(item as SignaturePreset);
    else {
      ctx.addIssue({ code: 'custom', message: `unknown signature preset "${item}" (expected a comma-separated list of ${names.join(', ')}, or all)` });
      return z.NEVER;
    }
  }
  return [...chosen];
}

export const SETTINGS = {
  // --- Server -------------------------------------------------------------------------------
  PORT: setting({ schema: intFrom(3000), group: 'Server', readBy: API, description: 'the API port (it also serves the dashboard and the API\'s `/metrics`)' }),
  HOST: setting({
    schema: z.string().optional(),
    group: 'Server',
    readBy: API,
    defaultText: 'every interface (`npm start`: `127.0.0.1`)',
    description: 'the address the API listens on; `npm start` refuses a non-loopback one with the development admin key',
  }),
  HOOKFERRY_PUBLIC_URL: setting({
    schema: z.string().optional(),
    group: 'Server',
    readBy: BOTH,
    defaultText: '`http://localhost:$PORT`',
    description: 'the API\'s public address, used in emails and the OpenAPI document',
  }),
  HOOKFERRY_ADMIN_KEY: setting({
    schema: z.string().optional(),
    group: 'Server',
    readBy: ['api', 'cli'],
    defaultText: 'none (`npm start` and the CLI: `hookferry-dev-admin-key`)',
    description: 'the bearer key of the admin routes (`/admin/v1/…`); empty = admin routes disabled',
  }),
  HOOKFERRY_URL: setting({
    schema: z.string().default('http://localhost:3000'),
    group: 'Server',
    readBy: ['cli'],
    readAt: 'src/cli.ts',
    description: 'where the admin CLI (`npm run hookferry`) finds the API',
  }),
  HOOKFERRY_PRESETS: setting({
    schema: z.string().optional(),
    group: 'Server',
    readBy: API,
    defaultText: '`all`',
    description: 'event catalogs to expose, comma-separated: `outreach`, `analytics`, `voice`, or `all`',
  }),
  HOOKFERRY_RATE_LIMIT_PER_MINUTE: setting({
    schema: intFrom(6000),
    group: 'Server',
    readBy: API,
    description: 'requests per minute per API key, shared by all API instances (PostgreSQL; under load an instance takes a few tokens at a time); 429 with `Retry-After` above; each event of a batch counts; 0 = off',
  }),
  HOOKFERRY_API_KEY_CACHE_MS: setting({
    schema: intFrom(5_000),
    group: 'Server',
    readBy: API,
    description: 'a valid API key is trusted this long without a lookup; a revoked key stops working within it on every instance (at once on the one that revoked it)',
  }),

  // --- Database and Temporal -----------------------------------------------------------------
  DATABASE_URL: setting({
    schema: z.string().default('postgres://postgres@127.0.0.1:5432/hookferry'),
    group: 'Database and Temporal',
    readBy: ['api', 'worker', 'cli'],
    defaultText: '`postgres://postgres@127.0.0.1:5432/hookferry` (`npm start`: that if it answers, else the embedded PostgreSQL)',
    description: 'Hookferry\'s PostgreSQL database',
  }),
  TEMPORAL_ADDRESS: setting({
    schema: z.string().optional(),
    group: 'Database and Temporal',
    readBy: ['api', 'worker', 'temporal'],
    defaultText: '`npm run api`/`worker`: `127.0.0.1:7233`; `npm start`: a dev server it starts',
    description: 'the Temporal frontend, e.g. `temporal:7233`',
  }),
  TEMPORAL_NAMESPACE: setting({ schema: z.string().default('default'), group: 'Database and Temporal', readBy: ['api', 'worker', 'temporal'], description: 'the Temporal namespace' }),
  TEMPORAL_NAMESPACE_RETENTION_DAYS: setting({
    schema: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).default(3)),
    group: 'Database and Temporal',
    readBy: ['temporal'],
    readAt: 'scripts/temporal-cluster.ts',
    description: 'how many days closed workflows stay in the namespace `npm run temporal:cluster` registers',
  }),
  HOOKFERRY_TASK_QUEUE: setting({ schema: z.string().default('hookferry'), group: 'Database and Temporal', readBy: BOTH, description: 'the Temporal task queue the worker polls and the API starts workflows on' }),
  TEMPORAL_UI_URL: setting({
    schema: z.string().default('http://localhost:8233'),
    group: 'Database and Temporal',
    readBy: API,
    description: 'the Temporal Web UI, for links to workflows',
  }),

  // --- Delivery ------------------------------------------------------------------------------
  HOOKFERRY_ALLOWED_CIDRS: setting({
    schema: z.string().default(''),
    group: 'Delivery',
    readBy: BOTH,
    defaultText: 'empty (`npm start`: loopback)',
    description: 'private addresses webhooks may call, comma-separated CIDRs, and where plain http is accepted',
  }),
  HOOKFERRY_ATTEMPT_TIMEOUT_MS: setting({ schema: intFrom(10_000), group: 'Delivery', readBy: WORKER, description: 'each delivery attempt times out after this long' }),
  HOOKFERRY_RETRY_DELAY_SCALE: setting({
    schema: z.coerce.number().positive().default(1),
    group: 'Delivery',
    readBy: WORKER,
    description: 'multiplies every retry delay (tests, demos)',
  }),
  HOOKFERRY_MAX_RETRY_AFTER_MS: setting({ schema: intFrom(3_600_000), group: 'Delivery', readBy: WORKER, description: 'cap on a receiver\'s `Retry-After`' }),
  HOOKFERRY_FAILURE_THRESHOLD: setting({
    schema: intFrom(4),
    group: 'Delivery',
    readBy: BOTH,
    description: 'consecutive failed deliveries before a webhook is disabled (at least 1)',
  }),
  HOOKFERRY_DELIVERY_COST: setting({ schema: intFrom(2), group: 'Delivery', readBy: WORKER, description: 'credits charged per successful delivery' }),
  HOOKFERRY_HELD_RECHECK_MS: setting({ schema: intFrom(60_000), group: 'Delivery', readBy: WORKER, description: 'deliveries held for want of credits re-check the balance this often' }),

  // --- Signatures and secrets ----------------------------------------------------------------
  HOOKFERRY_SIGNATURE_PRESETS: setting({
    schema: z.string().default('all').transform(parseSignaturePresets),
    group: 'Signatures and secrets',
    readBy: WORKER,
    defaultText: '`all`',
    description:
      'signature headers besides the Standard Webhooks ones (always sent), comma-separated: `standard` (none), `outreach` (`X-Kakiyo-Signature: <hex>`), `voice` (`X-Webhook-Signature: sha256=<hex>`), or `all` (both, as the product documents promise); see *Signatures*',
  }),
  HOOKFERRY_SHA256_SIGNATURE_HEADER: setting({
    schema: z.string().optional(),
    group: 'Signatures and secrets',
    readBy: WORKER,
    defaultText: 'the preset\'s (`X-Webhook-Signature` with `voice`)',
    description: 'the name of the `sha256=<hex>` header; empty to omit it',
  }),
  HOOKFERRY_HEX_SIGNATURE_HEADER: setting({
    schema: z.string().optional(),
    group: 'Signatures and secrets',
    readBy: WORKER,
    defaultText: 'the preset\'s (`X-Kakiyo-Signature` with `outreach`)',
    description: 'the name of the bare-hex signature header; empty to omit it',
  }),
  HOOKFERRY_SECRET_ROTATION_GRACE_MS: setting({ schema: intFrom(24 * 3_600_000), group: 'Signatures and secrets', readBy: API, description: 'after a secret rotation the old secret keeps signing this long' }),
  HOOKFERRY_SECRETS_KEY: setting({
    schema: z.string().optional(),
    group: 'Signatures and secrets',
    readBy: ['api', 'worker', 'cli'],
    defaultText: 'none (`npm start`: a key file in its data directory)',
    description: '`[<id>:]<32 bytes base64 or hex>`: the key webhook secrets are encrypted under; required by `npm run api`/`worker` (see *Secrets and keys*)',
  }),
  HOOKFERRY_SECRETS_OLD_KEYS: setting({
    schema: z.string().optional(),
    group: 'Signatures and secrets',
    readBy: ['api', 'worker', 'cli'],
    description: 'older keys, comma-separated, that still decrypt during a key rotation',
  }),

  // --- Limits --------------------------------------------------------------------------------
  HOOKFERRY_MAX_PAYLOAD_BYTES: setting({ schema: intFrom(256 * 1024), group: 'Limits', readBy: API, description: 'event size limit (413 above)' }),
  // At most 1,000: JSON.stringify overflows near 4,000 levels, PostgreSQL's jsonb parser earlier.
  HOOKFERRY_MAX_JSON_DEPTH: setting({
    schema: bounded(1, 1000, 64),
    group: 'Limits',
    readBy: API,
    description: 'deepest nesting of objects and arrays in any JSON body (400 `payload_too_deep` above; at most 1000)',
  }),
  HOOKFERRY_MAX_BATCH_BYTES: setting({
    schema: intFrom(5 * 1024 * 1024),
    group: 'Limits',
    readBy: API,
    description: 'body limit of `POST /v1/events/batch` (each event still within `HOOKFERRY_MAX_PAYLOAD_BYTES`)',
  }),
  HOOKFERRY_MAX_RESPONSE_BYTES: setting({ schema: intFrom(64 * 1024), group: 'Limits', readBy: WORKER, description: 'response body stored per attempt' }),

  // --- Throughput ----------------------------------------------------------------------------
  HOOKFERRY_DISPATCH_WINDOW_MS: setting({
    schema: intFrom(100),
    group: 'Throughput',
    readBy: BOTH,
    description: 'events arriving this close together share a dispatch workflow (0 = one per event unless concurrent)',
  }),
  HOOKFERRY_DISPATCH_MAX_EVENTS: setting({ schema: bounded(1, 1000, 200), group: 'Throughput', readBy: BOTH, description: 'events per dispatch workflow at most' }),
  HOOKFERRY_DELIVERY_WORKFLOWS: setting({
    schema: z.enum(['as-needed', 'every']).default('as-needed'),
    group: 'Throughput',
    readBy: WORKER,
    description: '`as-needed`: a delivery gets its own workflow when it must wait or has failed; `every`: every delivery, from its first attempt (each visible in the Temporal UI, at a fraction of the throughput)',
  }),
  HOOKFERRY_FIRST_ATTEMPT_CONCURRENCY: setting({ schema: bounded(1, 1000, 100), group: 'Throughput', readBy: WORKER, description: 'first attempts in flight per dispatch activity' }),
  HOOKFERRY_ENDPOINT_CONCURRENCY: setting({ schema: bounded(1, 1000, 32), group: 'Throughput', readBy: WORKER, description: 'attempts in flight per endpoint in one worker' }),
  HOOKFERRY_SLOW_ENDPOINT_MS: setting({
    schema: z.coerce.number().int().min(1).default(2_000),
    group: 'Throughput',
    readBy: WORKER,
    description: 'an endpoint that times out, or keeps an attempt waiting for a slot longer, is slow: its deliveries leave the batch',
  }),
  HOOKFERRY_SLOW_ENDPOINT_CONCURRENCY: setting({ schema: bounded(1, 1000, 4), group: 'Throughput', readBy: WORKER, description: 'attempts in flight per slow endpoint in one worker' }),
  HOOKFERRY_SLOW_ENDPOINTS_TOTAL: setting({
    schema: bounded(1, 10_000, 50),
    group: 'Throughput',
    readBy: WORKER,
    description: 'attempts in flight to all slow endpoints together in one worker, however many there are (keep it well under HOOKFERRY_WORKER_MAX_ACTIVITIES); the rest wait for a turn',
  }),

  // --- Worker --------------------------------------------------------------------------------
  HOOKFERRY_WORKER_MAX_ACTIVITIES: setting({
    schema: z.coerce.number().int().min(1).default(200),
    group: 'Worker',
    readBy: WORKER,
    description: 'activities one worker runs at once (Temporal `maxConcurrentActivityTaskExecutions`); deliveries are I/O-bound, so many can wait on receivers',
  }),
  HOOKFERRY_WORKER_MAX_WORKFLOW_TASKS: setting({
    schema: z.coerce.number().int().min(1).default(100),
    group: 'Worker',
    readBy: WORKER,
    description: 'workflow tasks one worker runs at once (Temporal `maxConcurrentWorkflowTaskExecutions`)',
  }),
  HOOKFERRY_WORKER_MAX_CACHED_WORKFLOWS: setting({
    schema: intFrom(2_000),
    group: 'Worker',
    readBy: WORKER,
    description: 'workflows one worker keeps cached between their tasks (Temporal `maxCachedWorkflows`), so a slow receiver never forces a history replay; 0 = none',
  }),
  HOOKFERRY_WORKER_MAX_EAGER_ACTIVITIES: setting({
    schema: intFrom(3),
    group: 'Worker',
    readBy: WORKER,
    description: 'activities a workflow task may start on this worker without a task-queue round trip (Temporal `maxEagerActivityReservationsPerWorkflowTask`)',
  }),
  HOOKFERRY_WORKER_STICKY_TIMEOUT_MS: setting({
    schema: z.coerce.number().int().min(1).default(10_000),
    group: 'Worker',
    readBy: WORKER,
    description: 'how long a workflow task waits for the worker that has the workflow cached before any worker takes it (Temporal `stickyQueueScheduleToStartTimeout`)',
  }),
  HOOKFERRY_RECONCILE_INTERVAL_MS: setting({
    schema: z.coerce.number().int().min(100).default(15_000),
    group: 'Worker',
    readBy: WORKER,
    description: 'how often each worker\'s reconciler looks for work whose workflow is missing or closed',
  }),
  HOOKFERRY_RECONCILE_MARGIN_MS: setting({
    schema: intFrom(60_000),
    group: 'Worker',
    readBy: WORKER,
    description: 'work is looked at once overdue by this much (keep clock skew between hosts well below it)',
  }),
  SMTP_URL: setting({
    schema: z.string().optional(),
    group: 'Worker',
    readBy: WORKER,
    description: 'the SMTP server for emails (webhook disabled, …); without it, emails go to the log and the `email_outbox` table',
  }),
  SMTP_FROM: setting({ schema: z.string().default('Hookferry <hookferry@localhost>'), group: 'Worker', readBy: WORKER, description: 'the sender of those emails' }),

  // --- Observability -------------------------------------------------------------------------
  LOG_LEVEL: setting({
    schema: z.string().default('info'),
    group: 'Observability',
    readBy: ['api', 'worker', 'cli'],
    readAt: 'src/logger.ts',
    description: 'pino log level (`silent`, `error`, `warn`, `info`, `debug`, …)',
  }),
  LOG_FORMAT: setting({
    schema: z.enum(['json', 'pretty', '']).optional(),
    group: 'Observability',
    readBy: ['api', 'worker', 'cli'],
    readAt: 'src/logger.ts',
    defaultText: '`pretty` on a terminal, else `json`',
    description: 'log lines for people (`pretty`) or for machines (`json`)',
  }),
  HOOKFERRY_METRICS_PORT: setting({
    schema: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(65535).optional()),
    group: 'Observability',
    readBy: WORKER,
    description: 'a worker\'s metrics port (`GET /metrics`); the API serves `/metrics` on `PORT`',
  }),
  HOOKFERRY_METRICS_ALLOW_CIDRS: setting({
    schema: z.string().default('127.0.0.0/8,::1'),
    group: 'Observability',
    readBy: BOTH,
    description: 'clients that may read `/metrics` without a token (empty: none)',
  }),
  HOOKFERRY_METRICS_TOKEN: setting({
    schema: z.string().optional(),
    group: 'Observability',
    readBy: BOTH,
    description: 'with it, `Authorization: Bearer <token>` reads `/metrics` from anywhere',
  }),
  HOOKFERRY_TEMPORAL_METRICS_ADDRESS: setting({
    schema: z.string().optional(),
    group: 'Observability',
    readBy: WORKER,
    defaultText: 'a free loopback port',
    description: 'where a worker\'s Temporal SDK serves its metrics (appended to `/metrics`)',
  }),
  HOOKFERRY_BACKLOG_SAMPLE_MS: setting({
    schema: z.coerce.number().int().min(1000).default(15_000),
    group: 'Observability',
    readBy: WORKER,
    description: 'how often a worker samples the backlog gauges from PostgreSQL',
  }),

  // --- Development: npm start's own stack, and the Temporal scripts ---------------------------
  HOOKFERRY_DATA_DIR: setting({
    schema: z.string().optional(),
    group: 'Development',
    readBy: ['start'],
    readAt: 'src/dataDir.ts',
    defaultText: '`$XDG_DATA_HOME/hookferry`, i.e. `~/.local/share/hookferry`',
    description: 'where `npm start` keeps the embedded PostgreSQL, the dev server\'s state and the development secrets key',
  }),
  TEMPORAL_DB_FILE: setting({
    schema: z.string().optional(),
    group: 'Development',
    readBy: ['start', 'temporal'],
    readAt: 'src/devStack/temporal.ts',
    defaultText: '`npm start`: `<data dir>/temporal.db`; `npm run temporal`: in memory',
    description: 'the Temporal dev server\'s SQLite file; `:memory:` for none',
  }),
  TEMPORAL_CLI_PATH: setting({
    schema: z.string().optional(),
    group: 'Development',
    readBy: ['start', 'temporal'],
    readAt: 'src/temporal/cli.ts',
    defaultText: '`temporal` on `PATH`, else one built with Go into `~/.cache/hookferry/bin`',
    description: 'a Temporal CLI binary to run the dev server with',
  }),
  TEMPORAL_SERVER_PATH: setting({
    schema: z.string().optional(),
    group: 'Development',
    readBy: ['temporal'],
    readAt: 'src/temporal/server.ts',
    defaultText: '`temporal-server` on `PATH`, else one built with Go',
    description: 'the Temporal server binary for `npm run temporal:cluster` (see *Running in production*)',
  }),
  TEMPORAL_SQL_TOOL_PATH: setting({
    schema: z.string().optional(),
    group: 'Development',
    readBy: ['temporal'],
    readAt: 'src/temporal/server.ts',
    defaultText: '`temporal-sql-tool` on `PATH`, else one built with Go',
    description: 'the Temporal schema tool for `npm run temporal:cluster`',
  }),
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
export type SettingValue<N extends SettingName> = z.output<(typeof SETTINGS)[N]['schema']>;

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** One zod object over the whole table: `loadConfig` parses the environment with it. */
export const EnvSchema = z.object(
  Object.fromEntries(SETTING_NAMES.map((name) => [name, SETTINGS[name].schema])) as { [N in SettingName]: (typeof SETTINGS)[N]['schema'] },
);
export type Env = z.output<typeof EnvSchema>;

/**
 * One setting, checked by its schema, for code that runs before a Config can exist. An invalid
 * value throws the same kind of error loadConfig would (naming the variable).
 */
export function readSetting<N extends SettingName>(name: N, env: NodeJS.ProcessEnv = process.env): SettingValue<N> {
  const schema: z.ZodType = SETTINGS[name].schema;
  // Within an object, so that the error names the variable as loadConfig's does.
  return (z.object({ [name]: schema }).parse({ [name]: env[name] }) as Record<string, unknown>)[name] as SettingValue<N>;
}

/** The default the README shows: the table's text, else the schema's value for an unset variable. */
export function defaultText(name: SettingName): string {
  const s: Setting = SETTINGS[name];
  if (s.defaultText !== undefined) return s.defaultText;
  const value: unknown = s.schema.parse(undefined);
  if (value === undefined) return 'none';
  if (value === '') return 'empty';
  return `\`${String(value)}\``;
}
