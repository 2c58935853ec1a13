import { z } from 'zod';
import { countBatchItems } from '../../metrics/api';
import { AppError } from '../../domain/errors';
import { MAX_BATCH_EVENTS } from '../../services/events';
import { zodDetails } from '../errors';
import { idempotencyKey } from '../idempotencyKey';
import { presentDelivery } from '../presenters/deliveries';
import { presentBatchItem, presentEvent, presentEventJson } from '../presenters/events';
import { ErrorSchema, type RouteTable } from '../route';
import { Delivery, EventView, IdParams, IngestBatchBody, IngestBatchDocument, IngestBatchItem, IngestBatchResult, IngestEventBody } from '../schemas';

export function registerEventRoutes(t: RouteTable): void {
  t.add({
    method: 'post', path: '/v1/events/batch', tag: 'Events', auth: 'team',
    summary: `Ingest up to ${MAX_BATCH_EVENTS} events in one transaction; each item is answered on its own (one bad item does not refuse the others) and counts against the rate limit as one request`,
    body: IngestBatchBody,
    documentedBody: IngestBatchDocument,
    responses: {
      202: { description: 'Every item stored or replayed', schema: IngestBatchResult },
      207: { description: 'Some items refused (see each result\'s status and error); the others stored', schema: IngestBatchResult },
      413: { description: 'Body too large', schema: ErrorSchema },
    },
    handler: async ({ deps, team, body }) => {
      // The request took one token on its way in; each further event takes one more.
      const extra = await deps.rateLimiter.takeUpTo(team.keyId, body.events.length - 1);
      const allowed = 1 + extra.granted;
      const retryAfter = String(Math.ceil(extra.waitMs / 1000));
      const items = body.events.map((raw, index) => {
        if (index >= allowed) return new AppError('rate_limited', 'rate_limited', `too many events for this API key; retry after ${retryAfter} s`, { retryAfterSeconds: Number(retryAfter) });
        const parsed = IngestBatchItem.safeParse(raw);
        if (!parsed.success) return new AppError('invalid', 'validation_error', `events[${index}] is not valid`, zodDetails(parsed.error));
        const { event, data, id, idempotencyKey } = parsed.data;
        return { event, data, idempotencyKey: idempotencyKey ?? id };
      });
      const results = (await deps.events.ingestBatch(team.id, items)).map(presentBatchItem);
      countBatchItems(results);
      const count = (f: (r: (typeof results)[number]) => boolean) => results.filter(f).length;
      const rejected = count((r) => r.status !== 202);
      return {
        status: rejected > 0 ? 207 : 202,
        body: { accepted: count((r) => r.status === 202 && r.replayed === false), replayed: count((r) => r.replayed === true), rejected, results },
        headers: allowed < body.events.length ? { 'retry-after': retryAfter } : undefined,
      };
    },
  });
  t.add({
    method: 'post', path: '/v1/events', tag: 'Events', auth: 'team', summary: 'Ingest an event: 202 means it is stored, and it will be delivered to every matching webhook (dispatch follows the answer)',
    body: IngestEventBody,
    responses: {
      202: { description: 'Accepted (also for a repeated idempotency key, with Idempotent-Replayed: true)', schema: EventView },
      413: { description: 'Payload too large', schema: ErrorSchema },
      422: { description: 'Idempotency key reused with another body', schema: ErrorSchema },
    },
    handler: async ({ deps, team, body, req }) => {
      const key = idempotencyKey(req.get('idempotency-key')) ?? body.id;
      const { event, replayed } = await deps.events.ingest(team.id, { event: body.event, data: body.data, idempotencyKey: key });
      return { status: 202, json: presentEventJson(event), headers: replayed ? { 'idempotent-replayed': 'true' } : undefined };
    },
  });
  t.add({
    method: 'get', path: '/v1/events/:id', tag: 'Events', auth: 'team', summary: 'An event with its deliveries',
    params: IdParams,
    responses: { 200: { description: 'The event', schema: EventView.extend({ deliveries: z.array(Delivery) }) }, 404: { description: 'Not found', schema: ErrorSchema } },
    handler: async ({ deps, team, params }) => {
      const e = await deps.events.get(team.id, params.id);
      const deliveries = await deps.deliveries.listForEvent(e.id);
      return { status: 200, body: { ...presentEvent(e), deliveries: deliveries.map((d) => presentDelivery(deps.config, d)) } };
    },
  });
}
