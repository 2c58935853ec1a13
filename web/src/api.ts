// Typed client for the Hookferry REST API (same origin, `/v1/...`).

export type RetrySchedule = 'exponential' | 'extended' | { delays: string[] };
export type DisabledReason = 'manual' | 'consecutive_failures' | 'endpoint_gone';

export interface RecentFailure {
  deliveryId: string;
  at: string;
  statusCode: number | null;
  error: string | null;
}

export interface Webhook {
  id: string;
  name: string;
  url: string;
  events: string[];
  retrySchedule: RetrySchedule;
  /** Requests per second at most; null: no limit. */
  rateLimit: number | null;
  enabled: boolean;
  disabledReason: DisabledReason | null;
  disabledAt: string | null;
  consecutiveFailures: number;
  lastFailureAt: string | null;
  recentFailures: RecentFailure[];
  lastDeliveryAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type CreatedWebhook = Webhook & { secret: string };

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface EventType {
  id: string;
  name: string;
  description: string;
  category: string;
}

export interface Envelope {
  id: string;
  event: string;
  teamId: string;
  timestamp: string;
  data: unknown;
}

export const DELIVERY_STATUSES = ['pending', 'retrying', 'held', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Delivery {
  id: string;
  eventId: string;
  webhookId: string;
  eventType: string;
  test: boolean;
  status: DeliveryStatus;
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  completedAt: string | null;
  /** The dispatch workflow that planned the delivery (and made its first attempt unless it has its own). */
  dispatchWorkflowId: string;
  dispatchWorkflowUrl: string;
  /** The delivery's own workflow, once it has one (a retry, a hold, a re-send, a failure). */
  deliveryWorkflowId: string | null;
  deliveryWorkflowUrl: string | null;
}

export interface Attempt {
  series: number;
  attemptNumber: number;
  startedAt: string;
  durationMs: number | null;
  statusCode: number | null;
  responseBody: string | null;
  responseTruncated: boolean;
  errorClass: string | null;
  errorMessage: string | null;
  succeeded: boolean;
  /** The request headers exactly as sent; null for attempts logged before Hookferry stored them. */
  requestHeaders: Record<string, string> | null;
}

/** `requestBody`: the exact bytes every attempt sent and signed. */
export type DeliveryDetail = Delivery & { requestBody: string; attempts: Attempt[] };

export const ATTEMPT_OUTCOMES = ['2xx', 'redirect', '4xx', '5xx', 'timeout', 'network', 'blocked_address', 'internal_error'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
export type StatsWindow = 'hour' | 'day' | 'week';

export interface StatsFigures {
  attempts: number;
  outcomes: Record<AttemptOutcome, number>;
  successRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyAvgMs: number | null;
}

export interface DeliveryStats {
  window: StatsWindow;
  webhookId: string | null;
  from: string;
  to: string;
  intervalSeconds: number;
  totals: StatsFigures;
  intervals: Array<StatsFigures & { start: string }>;
}

export interface TestSendResult {
  eventId: string;
  deliveries: Array<{ id: string; webhookId: string; dispatchWorkflowId: string }>;
}

export interface RetryResult {
  deliveryId: string;
  deliveryWorkflowId: string;
  series: number;
}

export interface RotateResult {
  secret: string;
  previousSecretExpiresAt: string | null;
}

export interface LedgerEntry {
  id: string;
  delta: number;
  reason: string;
  deliveryId: string | null;
  balanceAfter: number;
  createdAt: string;
}

export interface Credits {
  balance: number;
  ledger: LedgerEntry[];
}

export interface Me {
  team: { id: string; name: string; notificationEmail: string | null };
  temporalUiUrl: string | null;
}

export interface ErrorDetail {
  path: string;
  message: string;
}

/** Any failed API call: HTTP errors carry the API's `{ error }` body, network failures use status 0. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function parseDetails(value: unknown): ErrorDetail[] {
  if (!Array.isArray(value)) return [];
  const out: ErrorDetail[] = [];
  for (const item of value) {
    if (item && typeof item === 'object') {
      const rec = item as Record<string, unknown>;
      const path = Array.isArray(rec.path) ? rec.path.join('.') : typeof rec.path === 'string' ? rec.path : '';
      const message = typeof rec.message === 'string' ? rec.message : '';
      if (message) out.push({ path, message });
    }
  }
  return out;
}

type Query = Record<string, string | number | boolean | null | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

const enc = encodeURIComponent;

export class Api {
  constructor(
    private readonly apiKey: string,
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      Accept: 'application/json',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network_error', 'Could not reach the Hookferry API. Check your connection and try again.');
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!res.ok) {
      const errObj =
        json && typeof json === 'object' && 'error' in json ? ((json as { error: unknown }).error as Record<string, unknown> | null) : null;
      const code = errObj && typeof errObj.code === 'string' ? errObj.code : `http_${res.status}`;
      const message =
        errObj && typeof errObj.message === 'string' ? errObj.message : `The API answered ${res.status} ${res.statusText}`.trim();
      const error = new ApiError(res.status, code, message, parseDetails(errObj?.details));
      if (res.status === 401) this.onUnauthorized();
      throw error;
    }
    if (json === undefined) throw new ApiError(res.status, 'invalid_response', 'The API answered with something that is not JSON.');
    return json as T;
  }

  me() {
    return this.request<Me>('GET', '/v1/me');
  }

  listWebhooks(query: { limit?: number; cursor?: string | null; enabled?: 'true' | 'false' | '' } = {}) {
    return this.request<Page<Webhook>>('GET', withQuery('/v1/webhooks', query));
  }

  getWebhook(id: string) {
    return this.request<Webhook>('GET', `/v1/webhooks/${enc(id)}`);
  }

  createWebhook(body: { name: string; url: string; events: string[]; secret?: string; retrySchedule?: RetrySchedule; rateLimit?: number | null }) {
    return this.request<CreatedWebhook>('POST', '/v1/webhooks', body);
  }

  updateWebhook(id: string, body: Partial<{ name: string; url: string; events: string[]; secret: string; retrySchedule: RetrySchedule; rateLimit: number | null }>) {
    return this.request<Webhook>('PATCH', `/v1/webhooks/${enc(id)}`, body);
  }

  deleteWebhook(id: string) {
    return this.request<void>('DELETE', `/v1/webhooks/${enc(id)}`);
  }

  enableWebhook(id: string) {
    return this.request<Webhook>('POST', `/v1/webhooks/${enc(id)}/enable`);
  }

  disableWebhook(id: string) {
    return this.request<Webhook>('POST', `/v1/webhooks/${enc(id)}/disable`);
  }

  rotateSecret(id: string) {
    return this.request<RotateResult>('POST', `/v1/webhooks/${enc(id)}/secret/rotate`);
  }

  eventTypes() {
    return this.request<EventType[]>('GET', '/v1/webhooks/test/events');
  }

  examplePayload(event: string) {
    return this.request<Envelope>('GET', `/v1/webhooks/test/example/${enc(event)}`);
  }

  sendTest(body: { event: string; webhookId?: string; data?: unknown }) {
    return this.request<TestSendResult>('POST', '/v1/webhooks/test', body);
  }

  listDeliveries(webhookId: string, query: { status?: string; eventType?: string; limit?: number; cursor?: string | null } = {}) {
    return this.request<Page<Delivery>>('GET', withQuery(`/v1/webhooks/${enc(webhookId)}/deliveries`, query));
  }

  /** The team's deliveries across its webhooks, newest first (optionally one webhook's). */
  listTeamDeliveries(query: { webhookId?: string; status?: string; eventType?: string; limit?: number; cursor?: string | null } = {}) {
    return this.request<Page<Delivery>>('GET', withQuery('/v1/deliveries', query));
  }

  getDelivery(id: string) {
    return this.request<DeliveryDetail>('GET', `/v1/deliveries/${enc(id)}`);
  }

  retryDelivery(id: string) {
    return this.request<RetryResult>('POST', `/v1/deliveries/${enc(id)}/retry`);
  }

  credits() {
    return this.request<Credits>('GET', '/v1/credits');
  }

  /** Attempts over the last hour, day or week, for the team or one webhook. */
  deliveryStats(query: { window: StatsWindow; webhookId?: string }) {
    return this.request<DeliveryStats>('GET', withQuery('/v1/stats/deliveries', query));
  }
}
