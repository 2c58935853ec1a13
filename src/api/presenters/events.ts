// The API's view of events, and of each item of a batch ingest.
import type { EventRow } from '../../db/schema';
import type { BatchItemResult } from '../../services/events';
import { toApiError } from '../errors';

export function presentEvent(e: EventRow) {
  return {
    id: e.id,
    event: e.type,
    test: e.test,
    createdAt: e.created_at.toISOString(),
    payload: JSON.parse(e.payload) as unknown,
  };
}

/** The 202 answer for an event, written as text: its payload is stored as the exact JSON delivered, so it is spliced in, not parsed and written again. */
export function presentEventJson(e: Pick<EventRow, 'id' | 'type' | 'test' | 'created_at' | 'payload'>): string {
  const head = JSON.stringify({ id: e.id, event: e.type, test: e.test, createdAt: e.created_at.toISOString() });
  return `${head.slice(0, -1)},"payload":${e.payload}}`;
}

/** The answer for one item of a batch, in the terms a single POST /v1/events would use. */
export function presentBatchItem(r: BatchItemResult) {
  if ('error' in r) {
    const { status, code, message, details } = toApiError(r.error);
    return { index: r.index, status, error: { code, message, ...(details !== undefined ? { details } : {}) } };
  }
  return { index: r.index, status: 202, id: r.event.id, replayed: r.replayed };
}
