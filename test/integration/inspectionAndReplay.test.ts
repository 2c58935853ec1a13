import { z } from 'zod';
import { Envelope } from '../../src/api/schemas';
import { BUILT_IN_EVENT_TYPES } from '../../src/domain/catalog';
import { newId } from '../../src/ids';
import { expectError } from '../helpers/apiAssertions';
import { createWebhook, postEvent, verifySignatures, waitForDelivery } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

describe('test endpoints', () => {
  test('the catalog lists every seed event, filterable by category', async () => {
    const { apiKey } = await stack.createTeam();
    const all = await stack.call('GET', '/v1/webhooks/test/events', { key: apiKey });
    expect(all.status).toBe(200);
    const ids = all.body.map((e: { id: string }) => e.id);
    for (const seedEvent of [
      'linkedin.message.sent', 'linkedin.message.received', 'linkedin.invitation.sent', 'linkedin.invitation.accepted',
      'prospect.qualified', 'campaign.completed', 'agent.status_changed', 'message.sent', 'connection.accepted',
      'chat', 'message', 'insight.summary', 'insight.topic', 'insight.key', 'insight.conversation', 'insight.sentiment',
      'call.started', 'call.ended', 'call.failed', 'call.recording.completed', 'transcription.completed',
    ]) expect(ids).toContain(seedEvent);
    for (const builtIn of BUILT_IN_EVENT_TYPES) expect(ids).toContain(builtIn.id);
    expect(all.body[0]).toEqual({ id: expect.any(String), name: expect.any(String), description: expect.any(String), category: expect.any(String) });
    const prospect = await stack.call('GET', '/v1/webhooks/test/events?category=prospect', { key: apiKey });
    expect(prospect.body.map((e: { id: string }) => e.id).sort()).toEqual(['prospect.disqualified', 'prospect.paused', 'prospect.qualified', 'prospect.responded', 'prospect.resumed']);
  });

  test('the example payload is the envelope a real delivery sends (one schema validates both); unknown → 404 with the valid ids', async () => {
    const { apiKey } = await stack.createTeam();
    const example = await stack.call('GET', '/v1/webhooks/test/example/call.ended', { key: apiKey });
    expect(example.status).toBe(200);
    const parsedExample = Envelope.parse(example.body);
    expect(parsedExample.data).toMatchObject({ call_id: expect.any(String), duration: expect.any(Number) });
    expect(stack.receiver.requests).toHaveLength(0); // nothing sent

    await createWebhook(stack, apiKey, { url: `${stack.receiver.url}/shape`, events: ['call.ended'] });
    await postEvent(stack, apiKey, 'call.ended', parsedExample.data);
    await waitFor(() => stack.receiver.at('/shape').length === 1, { what: 'delivery' });
    const delivered = Envelope.parse(JSON.parse(stack.receiver.at('/shape')[0]!.body));
    expect(Object.keys(delivered)).toEqual(Object.keys(parsedExample));
    expect(delivered.data).toEqual(parsedExample.data);

    const unknown = await stack.call('GET', '/v1/webhooks/test/example/nope', { key: apiKey });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.details.validEvents).toContain('call.ended');
  });

  test('a test send reaches all and only the subscribed active webhooks, is signed, marked test, and free', async () => {
    const team = await stack.createTeam({ credits: 10 });
    const a = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/t/a`, events: ['prospect.qualified'] });
    const b = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/t/b`, events: ['prospect.*'] });
    await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/t/other-event`, events: ['call.ended'] });
    await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/t/disabled`, events: ['*'], enabled: false });
    const sent = await stack.call('POST', '/v1/webhooks/test', { key: team.apiKey, body: { event: 'prospect.qualified' } });
    expect(sent.status).toBe(202);
    expect(sent.body.deliveries.map((d: { webhookId: string }) => d.webhookId).sort()).toEqual([a.id, b.id].sort());
    for (const w of [a, b]) await waitForDelivery(stack, team.apiKey, sent.body.eventId, ['succeeded'], { webhookId: w.id });
    // The dispatch workflow is done with the event: nothing more will be sent for it.
    expect(await stack.client.workflow.getHandle(sent.body.deliveries[0].dispatchWorkflowId).result()).toEqual({ deliveries: 2 });
    expect(stack.receiver.at('/t/').map((r) => r.path).sort()).toEqual(['/t/a', '/t/b']);
    const payload = verifySignatures(stack.receiver.at('/t/a')[0]!, a.secret);
    expect(payload.test).toBe(true);
    const d = await stack.call('GET', `/v1/deliveries/${sent.body.deliveries[0].id}`, { key: team.apiKey });
    expect(d.body.test).toBe(true);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(10);

    // Targeting one webhook.
    const one = await stack.call('POST', '/v1/webhooks/test', { key: team.apiKey, body: { event: 'prospect.qualified', webhookId: b.id, data: { custom: 1 } } });
    expect(one.body.deliveries).toHaveLength(1);
    await waitForDelivery(stack, team.apiKey, one.body.eventId, ['succeeded']);
    expect(JSON.parse(stack.receiver.at('/t/b').at(-1)!.body).data).toEqual({ custom: 1 });
  });
});

interface DeliveryJson {
  id: string;
  webhookId: string;
  eventType: string;
  status: string;
  createdAt: string;
}

/** Follows nextCursor from `path` (which carries its own query, limit included) to the end. */
async function pageThrough(apiKey: string, path: string): Promise<{ rows: DeliveryJson[]; pages: number }> {
  const rows: DeliveryJson[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { data: DeliveryJson[]; nextCursor: string | null } } = await stack.call(
      'GET', `${path}${cursor ? `&cursor=${cursor}` : ''}`, { key: apiKey },
    );
    expect(res.status).toBe(200);
    rows.push(...res.body.data);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { rows, pages };
}

describe('inspection', () => {
  test('pages through 1,000 deliveries with cursors: each once, newest first, filters applied', async () => {
    const team = await stack.createTeam();
    const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/many`, enabled: false });
    const eventRows = [];
    const deliveryRows = [];
    const base = Date.now() - 1_000_000;
    for (let i = 0; i < 1000; i++) {
      const eventId = newId('evt');
      const createdAt = new Date(base + Math.floor(i / 3) * 1000); // ties on created_at exercise the id tiebreak
      eventRows.push({ id: eventId, team_id: team.id, type: i % 2 ? 'message.sent' : 'prospect.qualified', payload: '{}', created_at: createdAt });
      deliveryRows.push({
        id: newId('msg'), team_id: team.id, event_id: eventId, webhook_id: wh.id, event_type: i % 2 ? 'message.sent' : 'prospect.qualified',
        status: (i % 5 === 0 ? 'failed' : 'succeeded') as 'failed' | 'succeeded', dispatch_workflow_id: `dispatch-wf-${i}`, created_at: createdAt,
      });
    }
    await stack.db.insertInto('events').values(eventRows).execute();
    await stack.db.insertInto('deliveries').values(deliveryRows).execute();

    const { rows, pages } = await pageThrough(team.apiKey, `/v1/webhooks/${wh.id}/deliveries?limit=37`);
    const seen = rows.map((d) => d.id);
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    expect(pages).toBe(Math.ceil(1000 / 37));
    const expectedOrder = [...deliveryRows].sort((x, y) => y.created_at.getTime() - x.created_at.getTime() || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0)).map((d) => d.id);
    expect(seen).toEqual(expectedOrder);

    const failed = await stack.call('GET', `/v1/webhooks/${wh.id}/deliveries?status=failed&eventType=prospect.qualified&limit=200`, { key: team.apiKey });
    expect(failed.body.data).toHaveLength(100); // i % 10 === 0
    expect(failed.body.data.every((d: { status: string; eventType: string }) => d.status === 'failed' && d.eventType === 'prospect.qualified')).toBe(true);
    const windowed = await stack.call('GET', `/v1/webhooks/${wh.id}/deliveries?since=${new Date(base + 300_000).toISOString()}&until=${new Date(base + 301_000).toISOString()}`, { key: team.apiKey });
    expect(windowed.body.data).toHaveLength(3);
    expect(failed.body.data[0].dispatchWorkflowUrl).toMatch(/\/namespaces\/default\/workflows\/dispatch-wf-/);
    expect(failed.body.data[0].deliveryWorkflowUrl).toBeNull();
    const bad = await stack.call('GET', `/v1/webhooks/${wh.id}/deliveries?cursor=garbage`, { key: team.apiKey });
    expect(bad.status).toBe(400);

    // The team-wide list pages the same way (this team has only this webhook): ties on created_at included.
    const teamWide = await pageThrough(team.apiKey, '/v1/deliveries?limit=37');
    expect(teamWide.rows.map((d) => d.id)).toEqual(expectedOrder);
    expect(teamWide.pages).toBe(Math.ceil(1000 / 37));
  });

  test('GET /v1/deliveries: exactly the team\'s deliveries across its webhooks, newest first; webhookId/status/eventType filters; cursor; bad input → 400', async () => {
    const team = await stack.createTeam({ credits: 100 });
    const other = await stack.createTeam({ credits: 100 });
    const previous = stack.receiver.respond;
    stack.receiver.respond = (req, res) => void res.writeHead(req.path.startsWith('/team-list/failing') ? 500 : 200).end();
    try {
      const a = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/team-list/a`, events: ['*'] });
      const b = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/team-list/failing`, events: ['prospect.qualified'], retrySchedule: { delays: [] } });
      const c = await createWebhook(stack, other.apiKey, { url: `${stack.receiver.url}/team-list/other`, events: ['*'] });

      // Team: a gets all four events, b only prospect.qualified (and fails). The other team's
      // event lands in the middle of the same time range.
      const m1 = await postEvent(stack, team.apiKey, 'message.sent', { n: 1 });
      await waitForDelivery(stack, team.apiKey, m1.id, ['succeeded']);
      const p1 = await postEvent(stack, team.apiKey, 'prospect.qualified', { n: 2 });
      await waitForDelivery(stack, team.apiKey, p1.id, ['succeeded'], { webhookId: a.id });
      await waitForDelivery(stack, team.apiKey, p1.id, ['failed'], { webhookId: b.id });
      const o1 = await postEvent(stack, other.apiKey, 'message.sent', { other: true });
      await waitForDelivery(stack, other.apiKey, o1.id, ['succeeded']);
      for (const n of [3, 4]) {
        const m = await postEvent(stack, team.apiKey, 'message.sent', { n });
        await waitForDelivery(stack, team.apiKey, m.id, ['succeeded']);
      }

      const truth = await stack.db.selectFrom('deliveries').select(['id', 'webhook_id', 'status', 'event_type']).where('team_id', '=', team.id)
        .orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      expect(truth).toHaveLength(5);
      const ids = (rows: Array<{ id: string }>) => rows.map((d) => d.id);

      // Everything, newest first, nothing of the other team.
      const all = await stack.call('GET', '/v1/deliveries', { key: team.apiKey });
      expect(all.status).toBe(200);
      expect(ids(all.body.data)).toEqual(ids(truth));
      expect(all.body.nextCursor).toBeNull();
      const times = all.body.data.map((d: DeliveryJson) => Date.parse(d.createdAt));
      expect(times).toEqual([...times].sort((x, y) => y - x));
      expect(new Set(all.body.data.map((d: DeliveryJson) => d.webhookId))).toEqual(new Set([a.id, b.id]));
      expect(all.body.data[0]).toMatchObject({ eventType: 'message.sent', status: 'succeeded', webhookId: a.id, dispatchWorkflowUrl: expect.any(String), deliveryWorkflowId: null });

      // The other team sees only its own delivery.
      const theirs = await stack.call('GET', '/v1/deliveries', { key: other.apiKey });
      expect(theirs.status).toBe(200);
      expect(theirs.body.data.map((d: DeliveryJson) => d.webhookId)).toEqual([c.id]);

      // Filters, alone and together.
      const byA = await stack.call('GET', `/v1/deliveries?webhookId=${a.id}`, { key: team.apiKey });
      expect(ids(byA.body.data)).toEqual(ids(truth.filter((d) => d.webhook_id === a.id)));
      expect(byA.body.data).toHaveLength(4);
      // the per-webhook route answers the same page
      expect((await stack.call('GET', `/v1/webhooks/${a.id}/deliveries`, { key: team.apiKey })).body).toEqual(byA.body);
      const byB = await stack.call('GET', `/v1/deliveries?webhookId=${b.id}`, { key: team.apiKey });
      expect(byB.body.data.map((d: DeliveryJson) => [d.webhookId, d.eventType, d.status])).toEqual([[b.id, 'prospect.qualified', 'failed']]);
      const failed = await stack.call('GET', '/v1/deliveries?status=failed', { key: team.apiKey });
      expect(ids(failed.body.data)).toEqual(ids(byB.body.data));
      const succeeded = await stack.call('GET', '/v1/deliveries?status=succeeded', { key: team.apiKey });
      expect(ids(succeeded.body.data)).toEqual(ids(byA.body.data));
      const prospect = await stack.call('GET', '/v1/deliveries?eventType=prospect.qualified', { key: team.apiKey });
      expect(ids(prospect.body.data)).toEqual(ids(truth.filter((d) => d.event_type === 'prospect.qualified')));
      expect(prospect.body.data).toHaveLength(2);
      const none = await stack.call('GET', `/v1/deliveries?webhookId=${a.id}&status=failed`, { key: team.apiKey });
      expect(none.body).toEqual({ data: [], nextCursor: null });
      const newest = all.body.data[0].createdAt;
      const windowed = await stack.call('GET', `/v1/deliveries?until=${encodeURIComponent(newest)}`, { key: team.apiKey });
      expect(ids(windowed.body.data)).toEqual(ids(truth).slice(1));

      // The cursor pages through every delivery once, in order, filters kept.
      const paged = await pageThrough(team.apiKey, '/v1/deliveries?limit=2');
      expect(paged.pages).toBe(3);
      expect(ids(paged.rows)).toEqual(ids(truth));
      expect(new Set(ids(paged.rows)).size).toBe(5);
      const pagedA = await pageThrough(team.apiKey, `/v1/deliveries?limit=1&webhookId=${a.id}&status=succeeded`);
      expect(pagedA.pages).toBe(4);
      expect(ids(pagedA.rows)).toEqual(ids(byA.body.data));

      // A deleted webhook's deliveries stay in the team's list (their details stay readable too),
      // but, like another team's webhook and an unknown one, it is 404 as a filter, on both routes.
      expect((await stack.call('DELETE', `/v1/webhooks/${b.id}`, { key: team.apiKey })).status).toBe(204);
      expect(ids((await stack.call('GET', '/v1/deliveries', { key: team.apiKey })).body.data)).toEqual(ids(truth));
      for (const id of [b.id, c.id, 'wh_nope']) {
        expectError(await stack.call('GET', `/v1/deliveries?webhookId=${id}`, { key: team.apiKey }), 404, 'not_found');
        expectError(await stack.call('GET', `/v1/webhooks/${id}/deliveries`, { key: team.apiKey }), 404, 'not_found');
      }

      // Bad input: the validation error shape; a foreign cursor: invalid_cursor; no key: 401.
      for (const q of ['status=bogus', 'limit=0', 'limit=201', 'limit=ten', 'since=yesterday', 'until=2025-13-45', 'webhookId=', `webhookId=${'x'.repeat(201)}`, `eventType=${'x'.repeat(101)}`, 'status=failed&status=succeeded']) {
        const res = await stack.call('GET', `/v1/deliveries?${q}`, { key: team.apiKey });
        expectError(res, 400, 'validation_error');
      }
      expectError(await stack.call('GET', '/v1/deliveries?cursor=garbage', { key: team.apiKey }), 400, 'invalid_cursor');
      expect((await stack.call('GET', '/v1/deliveries')).status).toBe(401);
    } finally {
      stack.receiver.respond = previous;
    }
  });
});

describe('replay', () => {
  test('retry re-sends one failed delivery with the same webhook-id; recover re-sends exactly the failed ones once each', async () => {
    const team = await stack.createTeam({ credits: 100 });
    let failing = true;
    stack.receiver.respond = (_req, res) => void res.writeHead(failing ? 500 : 200).end();
    const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/replay`, retrySchedule: { delays: [] } });
    const since = new Date(Date.now() - 1000).toISOString();
    const failedEvents = [];
    for (let i = 0; i < 3; i++) {
      const e = await postEvent(stack, team.apiKey, 'message.sent', { i });
      await waitForDelivery(stack, team.apiKey, e.id, ['failed']);
      failedEvents.push(e.id);
    }
    failing = false;
    const good = await postEvent(stack, team.apiKey, 'message.sent', { good: true });
    const goodDelivery = await waitForDelivery(stack, team.apiKey, good.id, ['succeeded']);

    // One delivery by hand, with a double click guarded by Idempotency-Key.
    const first = await waitForDelivery(stack, team.apiKey, failedEvents[0]!, ['failed']);
    const [r1, r2] = await Promise.all([1, 2].map(() => stack.call('POST', `/v1/deliveries/${first.id}/retry`, { key: team.apiKey, headers: { 'idempotency-key': 'click-1' } })));
    expect([r1!.status, r2!.status].sort()).toEqual([202, 202].sort());
    const retried = await waitForDelivery(stack, team.apiKey, failedEvents[0]!, ['succeeded']);
    expect(retried.attempts.map((a: { series: number; statusCode: number }) => [a.series, a.statusCode])).toEqual([[1, 500], [2, 200]]);
    const sentForFirst = stack.receiver.at('/replay').filter((r) => r.headers['webhook-id'] === first.id);
    expect(sentForFirst).toHaveLength(2); // original + one replay, despite the double click

    // Recover the rest of the window: exactly the two still failed.
    const rec = await stack.call('POST', `/v1/webhooks/${wh.id}/recover`, { key: team.apiKey, body: { since }, headers: { 'idempotency-key': 'recover-1' } });
    expect(rec.status).toBe(202);
    expect(rec.body.started).toBe(2);
    const again = await stack.call('POST', `/v1/webhooks/${wh.id}/recover`, { key: team.apiKey, body: { since }, headers: { 'idempotency-key': 'recover-1' } });
    expect(again.body).toEqual(rec.body);
    for (const id of failedEvents.slice(1)) {
      const d = await waitForDelivery(stack, team.apiKey, id, ['succeeded']);
      // Its re-send's workflow has finished: nothing more will be sent for it.
      expect(await stack.client.workflow.getHandle(d.deliveryWorkflowId).result()).toEqual({ status: 'succeeded' });
    }
    const perDelivery = new Map<string, number>();
    for (const r of stack.receiver.at('/replay')) perDelivery.set(r.headers['webhook-id']!, (perDelivery.get(r.headers['webhook-id']!) ?? 0) + 1);
    expect(perDelivery.get(goodDelivery.id)).toBe(1);
    expect([...perDelivery.values()].sort()).toEqual([1, 2, 2, 2]);
    // Each replay success charged once: 4 successful deliveries.
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(92);

    // A delivery still in progress cannot be re-sent.
    await stack.db.updateTable('deliveries').set({ status: 'retrying' }).where('id', '=', goodDelivery.id).execute();
    const clash = await stack.call('POST', `/v1/deliveries/${goodDelivery.id}/retry`, { key: team.apiKey });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('delivery_in_progress');
  });

  test('a re-send of a succeeded delivery is delivered once more and charged nothing, while deliveries made meanwhile are charged once', async () => {
    const team = await stack.createTeam({ credits: 100 });
    await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/resend-ok` });
    const original = await postEvent(stack, team.apiKey, 'message.sent', { original: true });
    const done = await waitForDelivery(stack, team.apiKey, original.id, ['succeeded']);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(98);

    // The re-send and five new events at once: their successes meet in the same recorder.
    const [resend, ...others] = await Promise.all([
      stack.call('POST', `/v1/deliveries/${done.id}/retry`, { key: team.apiKey }),
      ...Array.from({ length: 5 }, (_, i) => postEvent(stack, team.apiKey, 'message.sent', { i })),
    ]);
    expect(resend!.status).toBe(202);
    expect(resend!.body).toEqual({ deliveryId: done.id, deliveryWorkflowId: `deliver-${done.id}-2`, series: 2 });
    expect(await stack.client.workflow.getHandle(resend!.body.deliveryWorkflowId).result()).toEqual({ status: 'succeeded' });
    for (const e of others as Array<{ id: string }>) await waitForDelivery(stack, team.apiKey, e.id, ['succeeded']);

    const again = await stack.call('GET', `/v1/deliveries/${done.id}`, { key: team.apiKey });
    expect(again.body).toMatchObject({ status: 'succeeded', series: 2, deliveryWorkflowId: `deliver-${done.id}-2` });
    expect(again.body.attempts.map((a: { series: number; statusCode: number }) => [a.series, a.statusCode])).toEqual([[1, 200], [2, 200]]);
    expect(stack.receiver.at('/resend-ok').filter((r) => r.headers['webhook-id'] === done.id)).toHaveLength(2);
    // Six deliveries charged once each; the re-send was free.
    const ledger = await stack.db.selectFrom('credit_ledger').select('delivery_id').where('team_id', '=', team.id).where('reason', '=', 'delivery').execute();
    expect(ledger).toHaveLength(6);
    expect(new Set(ledger.map((l) => l.delivery_id)).size).toBe(6);
    expect((await stack.call('GET', '/v1/credits', { key: team.apiKey })).body.balance).toBe(100 - 2 * 6);
  });

  test('Temporal visibility finds failed deliveries by TeamId, WebhookId, EventType and DeliveryStatus; successes link their dispatch', async () => {
    const team = await stack.createTeam();
    stack.receiver.respond = (req, res) => void res.writeHead(req.path.includes('bad') ? 500 : 200).end();
    const bad = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/vis/bad`, retrySchedule: { delays: [] } });
    const good = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/vis/good` });
    const e1 = await postEvent(stack, team.apiKey, 'campaign.started');
    const e2 = await postEvent(stack, team.apiKey, 'campaign.paused');
    const failed: string[] = [];
    for (const e of [e1, e2]) {
      const f = await waitForDelivery(stack, team.apiKey, e.id, ['failed'], { webhookId: bad.id });
      expect(f.deliveryWorkflowId).toBe(`deliver-${f.id}-1`);
      failed.push(f.deliveryWorkflowId);
      const s = await waitForDelivery(stack, team.apiKey, e.id, ['succeeded'], { webhookId: good.id });
      // Succeeded at the first attempt: an attempt inside its dispatch workflow, no workflow of its own.
      expect(s.deliveryWorkflowId).toBeNull();
      expect(s.dispatchWorkflowId).toMatch(/^dispatch-dsp_/);
      expect(s.dispatchWorkflowUrl).toContain(encodeURIComponent(s.dispatchWorkflowId));
    }
    const list = async (query: string) => {
      const ids: string[] = [];
      for await (const w of stack.client.workflow.list({ query })) ids.push(w.workflowId);
      return ids.sort();
    };
    const byWebhook = `WorkflowType = 'deliverToEndpoint' AND WebhookId = '${bad.id}' AND DeliveryStatus = 'failed'`;
    await waitFor(async () => (await list(byWebhook)).length === 2, { what: 'failed deliveries by webhook' });
    expect(await list(byWebhook)).toEqual(failed.sort());
    await waitFor(async () => (await list(`TeamId = '${team.id}' AND EventType = 'campaign.paused' AND WorkflowType = 'deliverToEndpoint'`)).length === 1, { what: 'by team and event type' });
  });
});
