import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** pg returns bigint as string; we only ever store credit counts that fit in a JS number. */
type BigIntColumn = ColumnType<string, number | string | bigint, number | string | bigint>;
type Json<T> = ColumnType<T, string, string>;

export type DeliveryStatus = 'pending' | 'retrying' | 'held' | 'succeeded' | 'failed' | 'cancelled';
export type DisabledReason = 'manual' | 'consecutive_failures' | 'endpoint_gone';

export interface TeamsTable {
  id: string;
  name: string;
  notification_email: string;
  credit_balance: BigIntColumn;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  team_id: string;
  prefix: string;
  secret_hash: string;
  label: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface EventTypesTable {
  id: string;
  name: string;
  description: string;
  category: string;
  example: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface LastFailure {
  at: string;
  statusCode: number | null;
  error: string | null;
  deliveryId: string;
}

export interface WebhooksTable {
  id: string;
  team_id: string;
  name: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: NullableTimestamp;
  events: string[];
  retry_schedule: Json<import('../domain/retrySchedule').RetryScheduleSetting>;
  /** Requests per second to the URL at most (null: no limit). */
  rate_limit: ColumnType<number | null, number | null | undefined, number | null>;
  enabled: Generated<boolean>;
  disabled_reason: DisabledReason | null;
  disabled_at: NullableTimestamp;
  consecutive_failures: Generated<number>;
  last_failure_at: NullableTimestamp;
  last_failure: Json<LastFailure[] | null> | null;
  last_delivery_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface EventsTable {
  id: string;
  team_id: string;
  type: string;
  payload: string;
  test: Generated<boolean>;
  target_webhook_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  dispatched_at: NullableTimestamp;
  /** The dispatch workflow that claimed this event (plans and makes its first attempts). */
  dispatch_workflow_id: string | null;
  /** Set once every delivery of the event is planned; the reconciler re-dispatches events left unplanned. */
  planned_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface DeliveriesTable {
  id: string;
  team_id: string;
  event_id: string;
  webhook_id: string;
  event_type: string;
  test: Generated<boolean>;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  /** The dispatch workflow that planned this delivery (and, unless it has its own, attempts it). */
  dispatch_workflow_id: string;
  /** The delivery's own deliverToEndpoint workflow, once it has one (retry, hold, re-send, failure). */
  delivery_workflow_id: string | null;
  series: Generated<number>;
  attempt_count: Generated<number>;
  series_attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  /** When an unfinished delivery is due (its next attempt, or its next check while held); null once finished. */
  next_attempt_at: NullableTimestamp;
  /** When the delivery was charged; a delivery is charged at most once in its life. */
  charged_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: NullableTimestamp;
}

export interface DeliveryAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  series: number;
  attempt_number: number;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  response_body: string | null;
  response_truncated: boolean;
  error_class: string | null;
  error_message: string | null;
  succeeded: boolean;
  /** The request headers exactly as sent (null on attempts logged before they were stored). */
  request_headers: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
}

/** Attempts rolled up per team and hour, in shards by webhook, kept by the same trigger. */
export interface TeamDeliveryAttemptStatsTable {
  team_id: string;
  bucket_start: Timestamp;
  shard: number;
  attempts: number;
  duration_ms_sum: BigIntColumn;
  latency_counts: number[];
}

/** Attempts rolled up per webhook and minute or hour, kept by a trigger (migration 0007). */
export interface DeliveryAttemptStatsTable {
  webhook_id: string;
  team_id: string;
  bucket_seconds: number;
  bucket_start: Timestamp;
  attempts: number;
  outcome_2xx: number;
  outcome_redirect: number;
  outcome_4xx: number;
  outcome_5xx: number;
  outcome_timeout: number;
  outcome_network: number;
  outcome_blocked_address: number;
  outcome_internal_error: number;
  duration_ms_sum: BigIntColumn;
  latency_counts: number[];
}

export interface CreditLedgerTable {
  id: Generated<string>;
  team_id: string;
  delta: BigIntColumn;
  reason: 'delivery' | 'grant' | 'initial';
  delivery_id: string | null;
  balance_after: BigIntColumn;
  created_at: Timestamp;
}

export interface EmailOutboxTable {
  id: Generated<string>;
  team_id: string;
  dedupe_key: string;
  to_address: string;
  subject: string;
  body: string;
  status: ColumnType<'pending' | 'sent' | 'logged' | 'failed', 'pending' | 'sent' | 'logged' | 'failed' | undefined>;
  error: string | null;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
}

export interface RequestIdempotencyTable {
  team_id: string;
  key: string;
  scope: string;
  response: Json<unknown> | null;
  created_at: Timestamp;
}

export interface Database {
  teams: TeamsTable;
  api_keys: ApiKeysTable;
  event_types: EventTypesTable;
  webhooks: WebhooksTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  delivery_attempt_stats: DeliveryAttemptStatsTable;
  team_delivery_attempt_stats: TeamDeliveryAttemptStatsTable;
  credit_ledger: CreditLedgerTable;
  email_outbox: EmailOutboxTable;
  request_idempotency: RequestIdempotencyTable;
}

export type Team = Selectable<TeamsTable>;
export type Webhook = Selectable<WebhooksTable>;
export type EventRow = Selectable<EventsTable>;
export type Delivery = Selectable<DeliveriesTable>;
export type DeliveryAttempt = Selectable<DeliveryAttemptsTable>;
export type NewDelivery = Insertable<DeliveriesTable>;
export type CreditLedgerEntry = Selectable<CreditLedgerTable>;
