import { DeliveryStatusKey, healthWorkflowId } from '../../src/temporal/names';
import { healthStateQuery } from '../../src/workflows/signals';
import { createWebhook, postEvent, waitForDelivery } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait';

// A failed delivery = its whole schedule exhausted; a custom schedule with no retries
// keeps each failed delivery to one attempt.
const NO_RETRIES = { delays: [] as string[] };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ smtp: true, env: { HOOKFERRY_FAILURE_THRESHOLD: '4' } });
});
afterAll(async () => stack?.stop());

async function failOnce(key: string, webhookId: string, event = 'prospect.qualified') {
  const e = await postEvent(stack, key, event, { at: Date.now() });
  return waitForDelivery(stack, key, e.id, ['failed', 'cancelled'], { webhookId });
}

async function webhook(key: string, id: string) {
  return (await stack.call('GET', `/v1/webhooks/${id}`, { key })).body;
}

function mailsFor(address: string) {
  return stack.smtp!.mails.filter((m) => m.to.includes(address));
}

test('3 failures keep it enabled; the 4th disables it, emails once, and deliveries stop; re-enable resets and 4 more disable again', async () => {
  const email = `team-${Date.now()}@example.com`;
  const team = await stack.createTeam({ email, name: 'Acme Outreach' });
  stack.receiver.respond = (_req, res) => void res.writeHead(500).end('down');
  const wh = await createWebhook(stack, team.apiKey, { name: 'CRM Sync', url: `${stack.receiver.url}/health-a`, retrySchedule: NO_RETRIES });

  for (let i = 1; i <= 3; i++) {
    await failOnce(team.apiKey, wh.id);
    const w = await waitFor(async () => {
      const x = await webhook(team.apiKey, wh.id);
      return x.consecutiveFailures === i ? x : undefined;
    }, { what: `${i} consecutive failures recorded` });
    expect(w.enabled).toBe(true);
  }
  await failOnce(team.apiKey, wh.id);
  const disabled = await waitFor(async () => {
    const x = await webhook(team.apiKey, wh.id);
    return x.enabled === false ? x : undefined;
  }, { what: 'auto-disable' });
  expect(disabled).toMatchObject({ disabledReason: 'consecutive_failures', consecutiveFailures: 4 });
  expect(disabled.disabledAt).toEqual(expect.any(String));
  expect(disabled.recentFailures).toHaveLength(4);
  expect(disabled.recentFailures[0]).toMatchObject({ statusCode: 500 });

  const [mail] = await waitFor(() => (mailsFor(email).length ? mailsFor(email) : undefined), { what: 'disable email' });
  expect(mail!.text).toContain('CRM Sync');
  expect(mail!.text).toContain(`${stack.receiver.url}/health-a`);
  expect(mail!.text).toContain('HTTP 500');
  expect(mail!.text).toContain(`/v1/webhooks/${wh.id}/enable`);
  expect(mail!.subject).toBe('[Hookferry] Webhook "CRM Sync" was disabled');

  // Deliveries to the disabled endpoint stop: new events do not reach it.
  const before = stack.receiver.at('/health-a').length;
  await postEvent(stack, team.apiKey, 'prospect.qualified');
  await sleep(1_000);
  expect(stack.receiver.at('/health-a').length).toBe(before);
  expect(mailsFor(email)).toHaveLength(1);

  // The health workflow answers a query and is findable as disabled.
  const state = await stack.client.workflow.getHandle(healthWorkflowId(wh.id)).query(healthStateQuery);
  expect(state).toMatchObject({ disabled: true, disabledReason: 'consecutive_failures', consecutiveFailures: 4 });
  await waitFor(async () => {
    for await (const w of stack.client.workflow.list({ query: `EndpointState = 'disabled' AND WebhookId = '${wh.id}'` })) return w.workflowId === healthWorkflowId(wh.id);
    return false;
  }, { what: 'visibility query for disabled endpoints' });

  // Re-enable: resets; 4 more failures disable again with a second email.
  const enabled = await stack.call('POST', `/v1/webhooks/${wh.id}/enable`, { key: team.apiKey });
  expect(enabled.body).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null });
  for (let i = 1; i <= 3; i++) await failOnce(team.apiKey, wh.id);
  await waitFor(async () => (await webhook(team.apiKey, wh.id)).consecutiveFailures === 3, { what: '3 failures after re-enable' });
  expect((await webhook(team.apiKey, wh.id)).enabled).toBe(true);
  await failOnce(team.apiKey, wh.id);
  await waitFor(async () => (await webhook(team.apiKey, wh.id)).enabled === false, { what: 'second auto-disable' });
  await waitFor(() => mailsFor(email).length === 2, { what: 'second email' });
});

test('a success in between resets the count', async () => {
  const team = await stack.createTeam();
  let fail = true;
  stack.receiver.respond = (_req, res) => void res.writeHead(fail ? 500 : 200).end();
  const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/health-b`, retrySchedule: NO_RETRIES });
  for (let i = 0; i < 3; i++) await failOnce(team.apiKey, wh.id);
  await waitFor(async () => (await webhook(team.apiKey, wh.id)).consecutiveFailures === 3, { what: '3 failures' });
  fail = false;
  const ok = await postEvent(stack, team.apiKey, 'prospect.qualified');
  await waitForDelivery(stack, team.apiKey, ok.id, ['succeeded']);
  await waitFor(async () => (await webhook(team.apiKey, wh.id)).consecutiveFailures === 0, { what: 'reset by success' });
  fail = true;
  for (let i = 0; i < 3; i++) await failOnce(team.apiKey, wh.id);
  await waitFor(async () => (await webhook(team.apiKey, wh.id)).consecutiveFailures === 3, { what: '3 failures again' });
  expect((await webhook(team.apiKey, wh.id)).enabled).toBe(true);
});

test('410 Gone disables at once with its own reason, and emails', async () => {
  const email = `gone-${Date.now()}@example.com`;
  const team = await stack.createTeam({ email });
  stack.receiver.respond = (_req, res) => void res.writeHead(410).end('gone');
  const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/health-gone` }); // default schedule: would retry 3 times
  const e = await postEvent(stack, team.apiKey, 'prospect.qualified');
  const d = await waitForDelivery(stack, team.apiKey, e.id, ['failed']);
  expect(d.attempts).toHaveLength(1);
  const w = await waitFor(async () => {
    const x = await webhook(team.apiKey, wh.id);
    return x.enabled === false ? x : undefined;
  }, { what: 'disable on 410' });
  expect(w.disabledReason).toBe('endpoint_gone');
  const [mail] = await waitFor(() => (mailsFor(email).length ? mailsFor(email) : undefined), { what: 'gone email' });
  expect(mail!.text).toContain('410 Gone');
});

test('disabling by hand is recorded as manual and sends no email', async () => {
  const email = `manual-${Date.now()}@example.com`;
  const team = await stack.createTeam({ email });
  const wh = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/health-manual` });
  const res = await stack.call('POST', `/v1/webhooks/${wh.id}/disable`, { key: team.apiKey });
  expect(res.body).toMatchObject({ enabled: false, disabledReason: 'manual' });
  await waitFor(async () => {
    const s = await stack.client.workflow.getHandle(healthWorkflowId(wh.id)).query(healthStateQuery);
    return s.disabledReason === 'manual';
  }, { what: 'health workflow knows' });
  await sleep(300);
  expect(mailsFor(email)).toHaveLength(0);
});

test('a failing SMTP server does not stop the disable; the email waits in the outbox', async () => {
  const failing = await startStack({ smtp: { failWith: () => 'mailbox unavailable' }, env: { HOOKFERRY_FAILURE_THRESHOLD: '1' } });
  try {
    const team = await failing.createTeam();
    failing.receiver.respond = (_req, res) => void res.writeHead(500).end();
    const wh = await createWebhook(failing, team.apiKey, { url: `${failing.receiver.url}/x`, retrySchedule: NO_RETRIES });
    await postEvent(failing, team.apiKey, 'prospect.qualified');
    await waitFor(async () => (await failing.call('GET', `/v1/webhooks/${wh.id}`, { key: team.apiKey })).body.enabled === false, { what: 'disable despite SMTP' });
    const outbox = await waitFor(async () => {
      const row = await failing.db.selectFrom('email_outbox').selectAll().where('team_id', '=', team.id).executeTakeFirst();
      return row?.status === 'failed' ? row : undefined;
    }, { what: 'outbox row marked failed' });
    expect(outbox.error).toContain('mailbox unavailable');
  } finally {
    await failing.stop();
  }
});

test('with no SMTP configured the notice is logged and kept in the outbox, not lost', async () => {
  const noSmtp = await startStack({ env: { HOOKFERRY_FAILURE_THRESHOLD: '1', SMTP_URL: '' } });
  try {
    const team = await noSmtp.createTeam({ email: 'nosmtp@example.com' });
    noSmtp.receiver.respond = (_req, res) => void res.writeHead(503).end();
    const wh = await createWebhook(noSmtp, team.apiKey, { url: `${noSmtp.receiver.url}/y`, retrySchedule: NO_RETRIES });
    await postEvent(noSmtp, team.apiKey, 'prospect.qualified');
    const outbox = await waitFor(async () => {
      const row = await noSmtp.db.selectFrom('email_outbox').selectAll().where('team_id', '=', team.id).executeTakeFirst();
      return row?.status === 'logged' ? row : undefined;
    }, { what: 'outbox row logged' });
    expect(outbox.to_address).toBe('nosmtp@example.com');
    expect(outbox.body).toContain(wh.id);
  } finally {
    await noSmtp.stop();
  }
});

test.each(['disable', 'delete'] as const)('%s cancels delivery workflows waiting for a retry: they end now, Canceled, not at the next attempt', async (action) => {
  const team = await stack.createTeam();
  stack.receiver.respond = (_req, res) => void res.writeHead(500).end();
  // One retry, an hour away (three minutes at the tests' delay scale): the workflow would linger.
  const hook = await createWebhook(stack, team.apiKey, { url: `${stack.receiver.url}/cancel-${action}`, retrySchedule: { delays: ['1h'] } });
  const e = await postEvent(stack, team.apiKey, 'message.sent');
  const d = await waitForDelivery(stack, team.apiKey, e.id, ['retrying']);
  // The dispatch made the first attempt and hands the retry to the delivery's own workflow.
  const handle = await waitFor(async () => {
    const row = await stack.call('GET', `/v1/deliveries/${d.id}`, { key: team.apiKey });
    if (!row.body.deliveryWorkflowId) return undefined;
    const h = stack.client.workflow.getHandle(row.body.deliveryWorkflowId as string);
    return (await h.describe().then((x) => x.status.name, () => undefined)) === 'RUNNING' ? h : undefined;
  }, { what: 'the delivery waiting in its own workflow' });

  const res = action === 'disable'
    ? await stack.call('POST', `/v1/webhooks/${hook.id}/disable`, { key: team.apiKey })
    : await stack.call('DELETE', `/v1/webhooks/${hook.id}`, { key: team.apiKey });
  expect(res.status).toBeLessThan(300);

  const described = await waitFor(async () => {
    const x = await handle.describe();
    return x.status.name === 'CANCELLED' ? x : undefined;
  }, { what: 'the delivery workflow cancelled' });
  expect(described.typedSearchAttributes.get(DeliveryStatusKey)).toBe('cancelled');
  const row = await stack.db.selectFrom('deliveries').select('status').where('id', '=', d.id).executeTakeFirstOrThrow();
  expect(row.status).toBe('cancelled');
  expect(stack.receiver.at(`/cancel-${action}`)).toHaveLength(1);
});
