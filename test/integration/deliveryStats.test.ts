/**
 * Delivery statistics: the rollup PostgreSQL keeps (a trigger on delivery_attempts, migration 0007)
 * classes attempts and buckets their latency exactly as src/domain/attemptOutcome.ts does;
 * GET /v1/stats/deliveries reads it per window and scope; and a delivery's detail shows the exact
 * request that was signed and sent.
 */
import { ATTEMPT_OUTCOMES, attemptOutcome, LATENCY_BOUNDS_MS, latencyBucket, latencyQuantile } from '../../src/domain/attemptOutcome';
import { newId } from '../../src/ids';
import { createWebhook, postEvent, verifySignatures, waitForDelivery } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

/** A delivery row of `webhookId` to attach attempt rows to (no workflow: nothing is sent). */
async function deliveryRow(teamId: string, webhookId: string): Promise<string> {
  const eventId = newId('evt');
  const deliveryId = newId('msg');
  await stack.db.insertInto('events').values({ id: eventId, team_id: teamId, type: 'prospect.qualified', payload: '{}' }).execute();
  await stack.db
    .insertInto('deliveries')
    .values({ id: deliveryId, team_id: teamId, event_id: eventId, webhook_id: webhookId, event_type: 'prospect.qualified', status: 'succeeded', dispatch_workflow_id: 'dispatch-test' })
    .execute();
  return deliveryId;
}

interface AttemptInput {
  statusCode: number | null;
  errorClass: string | null;
  succeeded: boolean;
  durationMs: number;
}

/** Every outcome class, with durations on and just past every latency bound. */
function sampleAttempts(): AttemptInput[] {
  const kinds: Array<Omit<AttemptInput, 'durationMs'>> = [
    { statusCode: 200, errorClass: null, succeeded: true },
    { statusCode: 204, errorClass: null, succeeded: true },
    { statusCode: 302, errorClass: 'redirect', succeeded: false },
    { statusCode: 404, errorClass: 'http_status', succeeded: false },
    { statusCode: 410, errorClass: 'http_status', succeeded: false },
    { statusCode: 503, errorClass: 'http_status', succeeded: false },
    { statusCode: 600, errorClass: 'http_status', succeeded: false },
    { statusCode: null, errorClass: 'timeout', succeeded: false },
    { statusCode: null, errorClass: 'blocked_address', succeeded: false },
    { statusCode: null, errorClass: 'dns', succeeded: false },
    { statusCode: null, errorClass: 'connection_refused', succeeded: false },
    { statusCode: null, errorClass: 'tls', succeeded: false },
    { statusCode: 200, errorClass: 'internal_error', succeeded: false },
  ];
  const durations = [0, ...LATENCY_BOUNDS_MS.flatMap((b) => [b, b + 1]), 120_000];
  return durations.map((durationMs, i) => ({ ...kinds[i % kinds.length]!, durationMs }));
}

async function insertAttempts(deliveryId: string, startedAt: Date, attempts: AttemptInput[]) {
  await stack.db
    .insertInto('delivery_attempts')
    .values(
      attempts.map((a, i) => ({
        delivery_id: deliveryId,
        series: 1,
        attempt_number: i + 1,
        started_at: startedAt,
        duration_ms: a.durationMs,
        status_code: a.statusCode,
        response_body: null,
        response_truncated: false,
        error_class: a.errorClass,
        error_message: null,
        succeeded: a.succeeded,
      })),
    )
    .execute();
}

function expected(attempts: AttemptInput[]) {
  const outcomes = Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o, 0])) as Record<string, number>;
  const histogram = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const a of attempts) {
    outcomes[attemptOutcome(a)]!++;
    histogram[latencyBucket(a.durationMs)]!++;
  }
  return { outcomes, histogram, durationSum: attempts.reduce((s, a) => s + a.durationMs, 0) };
}

/** A minute well inside the last hour, so the hour window's intervals contain it whole. */
function minuteAgo(minutes: number): Date {
  const t = new Date(Date.now() - minutes * 60_000);
  t.setUTCSeconds(7, 0);
  return t;
}

test('the rollup classes attempts and buckets their latency exactly as the domain code does, per minute and per hour, across statements', async () => {
  const team = await stack.createTeam();
  const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/stats-rollup` });
  const deliveryId = await deliveryRow(team.id, wh.id);
  const attempts = sampleAttempts();
  const at = minuteAgo(10);
  // Two statements into the same buckets: the second adds to the first's rows.
  await insertAttempts(deliveryId, at, attempts.slice(0, 20));
  await insertAttempts(deliveryId, at, attempts.slice(20));

  const want = expected(attempts);
  for (const bucketSeconds of [60, 3600]) {
    const rows = await stack.db.selectFrom('delivery_attempt_stats').selectAll().where('webhook_id', '=', wh.id).where('bucket_seconds', '=', bucketSeconds).execute();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.team_id).toBe(team.id);
    expect(row.bucket_start.getTime()).toBe(Math.floor(at.getTime() / (bucketSeconds * 1000)) * bucketSeconds * 1000);
    expect(row.attempts).toBe(attempts.length);
    const outcomes = Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o, (row as unknown as Record<string, number>)[`outcome_${o}`]]));
    expect(outcomes).toEqual(want.outcomes);
    expect(row.latency_counts).toEqual(want.histogram);
    expect(Number(row.duration_ms_sum)).toBe(want.durationSum);
  }
  // The team's hourly rows (one shard here: one webhook) hold the same figures.
  const teamRows = await stack.db.selectFrom('team_delivery_attempt_stats').selectAll().where('team_id', '=', team.id).execute();
  expect(teamRows).toHaveLength(1);
  expect(teamRows[0]!.bucket_start.getTime()).toBe(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
  expect(teamRows[0]!.attempts).toBe(attempts.length);
  expect(teamRows[0]!.latency_counts).toEqual(want.histogram);
  expect(Number(teamRows[0]!.duration_ms_sum)).toBe(want.durationSum);
  // Every class occurs in the sample, so a class the SQL and the TypeScript disagree on would show.
  expect(Object.values(want.outcomes).every((n) => n > 0)).toBe(true);
});

test('GET /v1/stats/deliveries: per webhook and per team, hour/day/week intervals, only what falls in the window', async () => {
  const team = await stack.createTeam();
  const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/stats-route` });
  const other = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/stats-route-2` });
  const attempts = sampleAttempts();
  const at = minuteAgo(5);
  await insertAttempts(await deliveryRow(team.id, wh.id), at, attempts);
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  await insertAttempts(await deliveryRow(team.id, other.id), twoHoursAgo, [{ statusCode: 200, errorClass: null, succeeded: true, durationMs: 40 }]);
  const want = expected(attempts);

  const hour = await stack.call('GET', `/v1/stats/deliveries?window=hour&webhookId=${wh.id}`, { key: team.apiKey });
  expect(hour.status).toBe(200);
  expect(hour.body).toMatchObject({ window: 'hour', webhookId: wh.id, intervalSeconds: 60 });
  expect(hour.body.intervals).toHaveLength(60);
  expect(hour.body.totals.attempts).toBe(attempts.length);
  expect(hour.body.totals.outcomes).toEqual(want.outcomes);
  expect(hour.body.totals.successRate).toBeCloseTo(want.outcomes['2xx']! / attempts.length, 6);
  expect(hour.body.totals.latencyP50Ms).toBeCloseTo(latencyQuantile(want.histogram, 0.5)!, 1);
  expect(hour.body.totals.latencyP95Ms).toBeCloseTo(latencyQuantile(want.histogram, 0.95)!, 1);
  const minute = hour.body.intervals.find((i: { start: string }) => Date.parse(i.start) === Math.floor(at.getTime() / 60_000) * 60_000);
  expect(minute.attempts).toBe(attempts.length);
  expect(hour.body.intervals.filter((i: { attempts: number }) => i.attempts > 0)).toHaveLength(1);
  expect(Date.parse(hour.body.to) - Date.parse(hour.body.from)).toBe(3_600_000);

  // The team: both webhooks; the attempt two hours ago is in the day, not the hour.
  const teamHour = await stack.call('GET', '/v1/stats/deliveries?window=hour', { key: team.apiKey });
  expect(teamHour.body.totals.attempts).toBe(attempts.length);
  expect(teamHour.body.webhookId).toBeNull();
  const teamDay = await stack.call('GET', '/v1/stats/deliveries?window=day', { key: team.apiKey });
  expect(teamDay.body.intervals).toHaveLength(24);
  expect(teamDay.body.totals.attempts).toBe(attempts.length + 1);
  const week = await stack.call('GET', `/v1/stats/deliveries?window=week&webhookId=${other.id}`, { key: team.apiKey });
  expect(week.body.intervals).toHaveLength(168);
  expect(week.body.totals).toMatchObject({ attempts: 1, successRate: 1 });

  // Many webhooks (spread over the team rows' shards) add up in the team's day.
  const many = await Promise.all(Array.from({ length: 6 }, (_, i) => createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/stats-many-${i}` })));
  for (const w of many) await insertAttempts(await deliveryRow(team.id, w.id), at, [{ statusCode: 500, errorClass: 'http_status', succeeded: false, durationMs: 30 }]);
  const teamDayAll = await stack.call('GET', '/v1/stats/deliveries?window=day', { key: team.apiKey });
  expect(teamDayAll.body.totals.attempts).toBe(attempts.length + 1 + many.length);
  expect(teamDayAll.body.totals.outcomes['5xx']).toBe(want.outcomes['5xx']! + many.length);

  // Another team sees nothing of these.
  const stranger = await stack.createTeam();
  const theirs = await stack.call('GET', '/v1/stats/deliveries?window=day', { key: stranger.apiKey });
  expect(theirs.body.totals.attempts).toBe(0);
  expect(theirs.body.totals.successRate).toBeNull();
  const notTheirs = await stack.call('GET', `/v1/stats/deliveries?webhookId=${wh.id}`, { key: stranger.apiKey });
  expect(notTheirs.status).toBe(404);
  expect(notTheirs.body.error.code).toBe('not_found');

  const bad = await stack.call('GET', '/v1/stats/deliveries?window=month', { key: team.apiKey });
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('validation_error');
  expect((await stack.call('GET', '/v1/stats/deliveries')).status).toBe(401);
});

test('a delivery shows the exact body that was signed and sent, and each attempt the headers it sent (no secret)', async () => {
  const team = await stack.createTeam();
  let calls = 0;
  stack.receiver.respond = (req, res) => {
    if (req.path.startsWith('/stats-request') && ++calls === 1) return void res.writeHead(503).end('busy');
    res.writeHead(200).end('{}');
  };
  const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/stats-request` });
  const e = await postEvent(stack, team.apiKey, 'prospect.qualified', { prospectId: 'p_1', note: 'ünïcode ✓' });
  const d = await waitForDelivery(stack, team.apiKey, e.id, ['succeeded']);
  const received = stack.receiver.at('/stats-request');
  expect(received).toHaveLength(2);
  expect(d.attempts).toHaveLength(2);

  expect(d.requestBody).toBe(received[1]!.body); // byte for byte
  d.attempts.forEach((a: { requestHeaders: Record<string, string>; startedAt: string }, i: number) => {
    const sent = Object.fromEntries(Object.entries(a.requestHeaders).map(([k, v]) => [k.toLowerCase(), v]));
    for (const [name, v] of Object.entries(sent)) expect(received[i]!.headers[name]).toBe(v);
    expect(Object.keys(sent).sort()).toEqual(['content-type', 'user-agent', 'webhook-id', 'webhook-signature', 'webhook-timestamp', 'x-kakiyo-signature', 'x-webhook-signature']);
    expect(Number(sent['webhook-timestamp'])).toBe(Math.floor(Date.parse(a.startedAt) / 1000));
    // What is shown verifies as the receiver would verify it.
    verifySignatures({ ...received[i]!, body: d.requestBody, headers: sent }, wh.secret);
    expect(JSON.stringify(a.requestHeaders)).not.toContain(wh.secret);
  });
  stack.receiver.respond = (_req, res) => void res.writeHead(200).end('{}');
});
