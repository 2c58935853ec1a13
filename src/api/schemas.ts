import { z } from 'zod';
import { MAX_BATCH_EVENTS } from '../services/events';
import './route'; // extends zod with .openapi()
import { isValidEventTypeId } from '../domain/catalog';
import { retryScheduleProblem } from '../domain/retrySchedule';
import { findUnstorableText, isStorableText, UNSTORABLE_TEXT_MESSAGE } from './inputText';

// Request and response schemas: the same objects validate requests and build /openapi.json.

/** A string the database can store as sent (see inputText.ts). */
export const Text = (max: number) => z.string().max(max).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);

const Subscription = z
  .string()
  .min(1)
  .max(102)
  .refine((s) => s === '*' || isValidEventTypeId(s.endsWith('.*') ? s.slice(0, -2) : s), {
    message: 'must be an event type id, * or <category>.*',
  });

export const RetrySchedule = z
  .union([
    z.enum(['exponential', 'extended']),
    z.object({ delays: z.array(z.string().max(32)).max(20) }).strict(),
  ])
  .superRefine((value, ctx) => {
    const problem = retryScheduleProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi('RetrySchedule', { description: '"exponential" (1s, 2s, 4s), "extended" (1m, 5m, 30m, 2h) or { delays: ["100ms", "30s", "5m"] }' });

/** Requests per second to the webhook's URL at most; null (or absent) for no limit. */
export const EndpointRateLimit = z
  .number()
  .int()
  .min(1)
  .max(10_000)
  .nullable()
  .openapi({ description: 'At most this many requests a second to the URL (up to a second\'s worth at once); deliveries above it wait their turn, and never count as failures. null: no limit' });

const Name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters')
  .refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);

export const CreateWebhookBody = z
  .object({
    name: Name,
    url: z.string().max(2048),
    events: z.array(Subscription).min(1).max(100),
    secret: z.string().max(256).optional(),
    retrySchedule: RetrySchedule.optional(),
    rateLimit: EndpointRateLimit.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi('CreateWebhook');

export const UpdateWebhookBody = z
  .object({
    name: Name.optional(),
    url: z.string().max(2048).optional(),
    events: z.array(Subscription).min(1).max(100).optional(),
    secret: z.string().max(256).optional(),
    retrySchedule: RetrySchedule.optional(),
    rateLimit: EndpointRateLimit.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update' })
  .openapi('UpdateWebhook');

export const FailureNote = z.object({ deliveryId: z.string(), at: z.string(), statusCode: z.number().nullable(), error: z.string().nullable() });

export const Webhook = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    retrySchedule: RetrySchedule,
    rateLimit: EndpointRateLimit,
    enabled: z.boolean(),
    disabledReason: z.enum(['manual', 'consecutive_failures', 'endpoint_gone']).nullable(),
    disabledAt: z.string().nullable(),
    consecutiveFailures: z.number(),
    lastFailureAt: z.string().nullable(),
    recentFailures: z.array(FailureNote),
    lastDeliveryAt: z.string().nullable(),
    previousSecretExpiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Webhook');

export const WebhookWithSecret = Webhook.extend({ secret: z.string() }).openapi('WebhookWithSecret');
export const IdParams = z.object({ id: z.string().max(200) });

export const Pagination = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
};

export const ListWebhooksQuery = z.object({
  ...Pagination,
  enabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

export const EventData = z.record(z.string(), z.unknown());

export const IngestEventBody = z
  .object({
    event: Text(100).min(1),
    data: EventData,
    id: Text(200).min(1).optional().openapi({ description: 'Your id for the event; acts as an idempotency key' }),
  })
  .strict()
  .openapi('IngestEvent');

export const Envelope = z
  .object({
    id: z.string(),
    event: z.string(),
    teamId: z.string(),
    timestamp: z.string(),
    data: EventData,
    test: z.literal(true).optional(),
  })
  .strict()
  .openapi('Envelope', { description: 'The JSON body of every delivery' });

export const EventView = z
  .object({ id: z.string(), event: z.string(), test: z.boolean(), createdAt: z.string(), payload: Envelope })
  .openapi('Event');

export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be 1-200 printable ASCII characters');

/** One event of a batch: what POST /v1/events takes, with its own idempotency key. */
export const IngestBatchItem = IngestEventBody.extend({
  idempotencyKey: IdempotencyKey.optional().openapi({ description: 'As the Idempotency-Key header of POST /v1/events (or give `id`)' }),
})
  .strict()
  .openapi('IngestBatchItem');

const BatchEvents = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(MAX_BATCH_EVENTS);

/** Validated loosely: each item is checked on its own (IngestBatchItem), so one bad item is refused alone. */
export const IngestBatchBody = z.object({ events: BatchEvents(z.unknown()) }).strict();

/** What the OpenAPI document shows for a batch. */
export const IngestBatchDocument = z
  .object({ events: BatchEvents(IngestBatchItem).openapi({ description: `1 to ${MAX_BATCH_EVENTS} events` }) })
  .strict()
  .openapi('IngestBatch');

export const BatchItemResult = z
  .object({
    index: z.number().int().openapi({ description: 'Position of the item in the request' }),
    status: z.number().int().openapi({ description: '202 when stored (or replayed), else the status a single POST /v1/events would have answered' }),
    id: z.string().optional().openapi({ description: 'The event id (stored or replayed)' }),
    replayed: z.boolean().optional().openapi({ description: 'True when an earlier request with the same idempotency key stored it' }),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).optional(),
  })
  .openapi('BatchItemResult');

export const IngestBatchResult = z
  .object({ accepted: z.number().int(), replayed: z.number().int(), rejected: z.number().int(), results: z.array(BatchItemResult) })
  .openapi('IngestBatchResult');

export const DeliveryStatus = z.enum(['pending', 'retrying', 'held', 'succeeded', 'failed', 'cancelled']);

export const Delivery = z
  .object({
    id: z.string(),
    eventId: z.string(),
    webhookId: z.string(),
    eventType: z.string(),
    test: z.boolean(),
    status: DeliveryStatus,
    attemptCount: z.number(),
    series: z.number(),
    lastStatusCode: z.number().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    dispatchWorkflowId: z.string().openapi({ description: 'The dispatch workflow that planned the delivery (and made its first attempt, unless it has its own workflow)' }),
    dispatchWorkflowUrl: z.string().openapi({ description: 'The dispatch workflow in the Temporal Web UI' }),
    deliveryWorkflowId: z.string().nullable().openapi({ description: "The delivery's own workflow, once it has one (a retry, a hold, a re-send, a failure)" }),
    deliveryWorkflowUrl: z.string().nullable().openapi({ description: "The delivery's own workflow in the Temporal Web UI" }),
  })
  .openapi('Delivery');

export const Attempt = z.object({
  series: z.number(),
  attemptNumber: z.number(),
  startedAt: z.string(),
  durationMs: z.number(),
  statusCode: z.number().nullable(),
  responseBody: z.string().nullable(),
  responseTruncated: z.boolean(),
  errorClass: z.string().nullable(),
  errorMessage: z.string().nullable(),
  succeeded: z.boolean(),
  requestHeaders: z
    .record(z.string(), z.string())
    .nullable()
    .openapi({ description: 'The request headers exactly as sent (webhook-timestamp and the signatures differ per attempt; secrets are never sent); null for attempts logged before Hookferry stored them' }),
});

export const DeliveryWithAttempts = Delivery.extend({
  requestBody: z.string().openapi({ description: 'The exact body every attempt sent and signed (the event envelope, byte for byte)' }),
  attempts: z.array(Attempt),
}).openapi('DeliveryWithAttempts');

/** ISO-8601 date or date-time with a four-digit year: anything PostgreSQL and Date both read the same way. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const IsoDate = z
  .string()
  .max(40)
  .refine((s) => ISO_DATE.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z')
  .transform((s) => new Date(s));

export const ListDeliveriesQuery = z.object({
  ...Pagination,
  status: DeliveryStatus.optional(),
  eventType: z.string().max(100).optional(),
  since: IsoDate.optional(),
  until: IsoDate.optional(),
});

export const ListTeamDeliveriesQuery = ListDeliveriesQuery.extend({
  webhookId: z.string().min(1).max(200).optional().openapi({ description: 'Only this webhook\'s deliveries (404 when it is not one of the team\'s webhooks)' }),
});

export const RecoverBody = z.object({ since: IsoDate, until: IsoDate.optional() }).strict().openapi('Recover');

export const TestSendBody = z
  .object({ event: Text(100).min(1), data: EventData.optional(), webhookId: Text(200).optional() })
  .strict()
  .openapi('TestSend');

export const CatalogEntry = z.object({ id: z.string(), name: z.string(), description: z.string(), category: z.string() }).openapi('EventType');

export const CreateTeamBody = z
  .object({ name: Name, notificationEmail: z.email().max(320), credits: z.number().int().min(0).max(1_000_000_000).optional() })
  .strict()
  .openapi('CreateTeam');

export const GrantCreditsBody = z.object({ amount: z.number().int().min(1).max(1_000_000_000) }).strict();

export const CreateEventTypeBody = z
  .object({
    id: z.string().refine(isValidEventTypeId, 'must be lowercase segments separated by dots, e.g. order.created'),
    name: Name,
    description: Text(500),
    category: z.string().regex(/^[a-z0-9_]+$/).max(50).optional(),
    // Stored as jsonb, which refuses NUL and unpaired surrogates anywhere in the document.
    example: EventData.refine((d) => findUnstorableText(d) === undefined, UNSTORABLE_TEXT_MESSAGE).default({}),
  })
  .strict()
  .openapi('CreateEventType');

export const DeliveryStatsQuery = z.object({
  window: z.enum(['hour', 'day', 'week']).default('day').openapi({ description: 'hour: 60 one-minute intervals; day: 24 one-hour intervals; week: 168 one-hour intervals' }),
  webhookId: z.string().min(1).max(200).optional().openapi({ description: "Only this webhook's attempts (404 when it is not one of the team's webhooks); the whole team without it" }),
});

const AttemptOutcomeCounts = z
  .object({
    '2xx': z.number(),
    redirect: z.number(),
    '4xx': z.number(),
    '5xx': z.number(),
    timeout: z.number(),
    network: z.number(),
    blocked_address: z.number(),
    internal_error: z.number().openapi({ description: 'Attempts Hookferry could not record (logged as failed)' }),
  })
  .openapi('AttemptOutcomeCounts');

const StatsFigures = {
  attempts: z.number(),
  outcomes: AttemptOutcomeCounts,
  successRate: z.number().nullable().openapi({ description: 'Successful attempts / attempts; null without attempts' }),
  latencyP50Ms: z.number().nullable().openapi({ description: 'Median attempt duration, from a histogram (interpolated within its bucket)' }),
  latencyP95Ms: z.number().nullable(),
  latencyAvgMs: z.number().nullable(),
};

export const DeliveryStats = z
  .object({
    window: z.enum(['hour', 'day', 'week']),
    webhookId: z.string().nullable(),
    from: z.string(),
    to: z.string(),
    intervalSeconds: z.number(),
    totals: z.object(StatsFigures),
    intervals: z.array(z.object({ start: z.string(), ...StatsFigures })).openapi({ description: 'Oldest first; the last one is the current, partial interval' }),
  })
  .openapi('DeliveryStats');
