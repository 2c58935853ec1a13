import { z } from 'zod';
import { Envelope } from '../../src/api/schemas';
import { BUILT_IN_EVENT_TYPES } from '../../src/domain/catalog';
import { newId } from '../../src/ids';
import { createWebhook, postEvent, verifySignatures, waitForDelivery } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait';

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
    await sleep(300);
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
        status: (i % 5 === 0 ? 'failed' : 'succeeded') as 'failed' | 'succeeded', workflow_id: `wf-${i}`, created_at: createdAt,
      });
    }
    await stack.db.insertInto('events').values(eventRows).execute();
    await stack.db.insertInto('deliveries').values(deliveryRows).execute();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { data: Array<{ id: string; createdAt: string; workflowUrl: string }>; nextCursor: string | null } } = await stack.call(
        'GET', `/v1/webhooks/${wh.id}/deliveries?limit=37${cursor ? `&cursor=${cursor}` : ''}`, { key: team.apiKey },
      );
      seen.push(...res.body.data.map((d) => d.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
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
    expect(failed.body.data[0].workflowUrl).toMatch(/\/namespaces\/default\/workflows\/wf-/);
    const bad = await stack.call('GET', `/v1/webhooks/${wh.id}/deliveries?cursor=garbage`, { key: team.apiKey });
    expect(bad.status).toBe(400);
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
    for (const id of failedEvents.slice(1)) await waitForDelivery(stack, team.apiKey, id, ['succeeded']);
    await sleep(500);
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

  test('Temporal visibility finds delivery workflows by TeamId, WebhookId, EventType and DeliveryStatus', async () => {
    const team = await stack.createTeam();
    stack.receiver.respond = (req, res) => void res.writeHead(req.path.includes('bad') ? 500 : 200).end();
    const bad = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/vis/bad`, retrySchedule: { delays: [] } });
    const good = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/vis/good` });
    const e1 = await postEvent(stack, team.apiKey, 'campaign.started');
    const e2 = await postEvent(stack, team.apiKey, 'campaign.paused');
    for (const e of [e1, e2]) {
      await waitForDelivery(stack, team.apiKey, e.id, ['failed'], { webhookId: bad.id });
      await waitForDelivery(stack, team.apiKey, e.id, ['succeeded'], { webhookId: good.id });
    }
    const list = async (query: string) => {
      const ids: string[] = [];
      for await (const w of stack.client.workflow.list({ query })) ids.push(w.workflowId);
      return ids.sort();
    };
    await waitFor(async () => (await list(`WebhookId = '${bad.id}' AND DeliveryStatus = 'failed'`)).length === 2, { what: 'failed deliveries by webhook' });
    expect(await list(`WebhookId = '${bad.id}' AND DeliveryStatus = 'failed'`)).toEqual([`deliver-${e1.id}-${bad.id}`, `deliver-${e2.id}-${bad.id}`].sort());
    await waitFor(async () => (await list(`TeamId = '${team.id}' AND EventType = 'campaign.paused' AND WorkflowType = 'deliverToEndpoint'`)).length === 2, { what: 'by team and event type' });
    await waitFor(async () => (await list(`WebhookId = '${good.id}' AND DeliveryStatus = 'succeeded'`)).length === 2, { what: 'succeeded deliveries by webhook' });
  });
});
