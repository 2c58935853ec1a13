import type { ServerResponse } from 'node:http';
import { createWebhook, postEvent } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

// Endpoints are kept from hurting each other: a hanging endpoint gets a bounded share of the
// worker and is attempted away from the dispatch's batch; a webhook's rate limit makes its
// deliveries wait their turn, never fail.

describe('a hanging endpoint beside a healthy one', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        HOOKFERRY_ENDPOINT_CONCURRENCY: '3',
        HOOKFERRY_SLOW_ENDPOINT_CONCURRENCY: '2',
        HOOKFERRY_SLOW_ENDPOINT_MS: '300',
        HOOKFERRY_ATTEMPT_TIMEOUT_MS: '1000',
        // Keep the hanging endpoint enabled: this is about isolation, not auto-disable.
        HOOKFERRY_FAILURE_THRESHOLD: '1000',
      },
    });
  });
  afterAll(async () => stack?.stop());

  test('it never has more than its share in flight, its deliveries leave the batch, and the healthy one\'s are all made in the batch', async () => {
    const team = await stack.createTeam({ credits: 1_000 });
    let inFlight = 0;
    let mostInFlight = 0;
    const hanging: ServerResponse[] = [];
    stack.receiver.respond = (req, res) => {
      if (!req.path.startsWith('/hang')) return void res.writeHead(200).end();
      // Never answers: each attempt ends by timing out.
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      res.on('close', () => inFlight--);
      hanging.push(res);
    };
    try {
      const fast = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/fast` });
      const hang = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/hang`, retrySchedule: { delays: [] } });
      const events = await Promise.all(Array.from({ length: 10 }, (_, i) => postEvent(stack, team.apiKey, 'message.sent', { i })));
      const ids = events.map((e) => e.id);

      const rows = () => stack.db.selectFrom('deliveries').selectAll().where('event_id', 'in', ids).execute();
      const done = await waitFor(async () => {
        const r = await rows();
        return r.length === 20 && r.every((d) => d.status === 'succeeded' || d.status === 'failed') ? r : undefined;
      }, { timeoutMs: 90_000, intervalMs: 200, what: 'every delivery finished' });

      const healthy = done.filter((d) => d.webhook_id === fast.id);
      expect(healthy.map((d) => [d.status, d.attempt_count, d.delivery_workflow_id])).toEqual(Array(10).fill(['succeeded', 1, null]));
      const slow = done.filter((d) => d.webhook_id === hang.id);
      expect(slow.every((d) => d.status === 'failed' && d.attempt_count === 1 && d.delivery_workflow_id !== null)).toBe(true);
      expect(mostInFlight).toBeLessThanOrEqual(3);
      // At most a share of its deliveries were attempted in a batch; the rest in their own workflows.
      let attemptedInOwnWorkflow = 0;
      for (const d of slow) {
        const history = await stack.client.workflow.getHandle(d.delivery_workflow_id!).fetchHistory();
        if (history.events?.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'attemptDelivery')) attemptedInOwnWorkflow++;
      }
      expect(attemptedInOwnWorkflow).toBeGreaterThanOrEqual(10 - 3);
      // The healthy endpoint's deliveries never counted against it, nor did the isolation.
      expect((await stack.call('GET', `/v1/webhooks/${fast.id}`, { key: team.apiKey })).body.consecutiveFailures).toBe(0);
    } finally {
      for (const res of hanging) res.destroy();
      stack.receiver.respond = (_req, res) => void res.writeHead(200).end();
    }
  });
});

describe('a webhook with a rate limit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  test('deliveries above the limit wait their turn: all succeed at their first attempt, spaced out, none counted as a failure', async () => {
    const team = await stack.createTeam({ credits: 1_000 });
    const created = await stack.call('POST', '/v1/webhooks', {
      key: team.apiKey,
      body: { name: 'limited', url: `${stack.receiver.url}/limited`, events: ['*'], rateLimit: 2 },
    });
    expect(created.status).toBe(201);
    expect(created.body.rateLimit).toBe(2);
    const events = await Promise.all(Array.from({ length: 8 }, (_, i) => postEvent(stack, team.apiKey, 'message.sent', { i })));
    const rows = await waitFor(async () => {
      const r = await stack.db.selectFrom('deliveries').selectAll().where('event_id', 'in', events.map((e) => e.id)).execute();
      return r.length === 8 && r.every((d) => d.status === 'succeeded') ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'all delivered' });
    expect(rows.every((d) => d.attempt_count === 1)).toBe(true);
    // Two at once (a second's worth), then one every half second: the eight span at least 3 s.
    const arrivals = stack.receiver.at('/limited').map((r) => r.at).sort((a, b) => a - b);
    expect(arrivals).toHaveLength(8);
    expect(arrivals[7]! - arrivals[0]!).toBeGreaterThanOrEqual(0.9 * ((8 - 2) * 500));
    const webhook = await stack.call('GET', `/v1/webhooks/${created.body.id}`, { key: team.apiKey });
    expect(webhook.body.consecutiveFailures).toBe(0);

    // The limit can be changed and removed; out-of-range values are refused.
    const changed = await stack.call('PATCH', `/v1/webhooks/${created.body.id}`, { key: team.apiKey, body: { rateLimit: null } });
    expect(changed.status).toBe(200);
    expect(changed.body.rateLimit).toBeNull();
    for (const rateLimit of [0, -1, 1.5, 10_001, 'ten']) {
      const bad = await stack.call('PATCH', `/v1/webhooks/${created.body.id}`, { key: team.apiKey, body: { rateLimit } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('validation_error');
    }
  });
});
