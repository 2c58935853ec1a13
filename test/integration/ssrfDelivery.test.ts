import { createWebhook, postEvent, waitForDelivery } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';

// No allowlist: what an internet-facing deployment runs with.
let stack: Stack;
const answers = new Map<string, string[]>();
beforeAll(async () => {
  stack = await startStack({
    env: { HOOKFERRY_ALLOWED_CIDRS: '' },
    resolver: async (host) => (answers.get(host) ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
  });
});
afterAll(async () => stack?.stop());

test('the API refuses URLs that name private or loopback addresses, in every spelling', async () => {
  const team = await stack.createTeam();
  const port = stack.receiver.port;
  for (const url of [
    `http://127.0.0.1:${port}/`,
    `https://127.0.0.1:${port}/`,
    `https://2130706433:${port}/`,
    `https://0x7f.0.0.1:${port}/`,
    `https://017700000001:${port}/`,
    `https://[::1]:${port}/`,
    `https://[::ffff:127.0.0.1]:${port}/`,
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.8/',
    'https://100.64.1.1/',
    'https://[fe80::1]/',
    'https://[64:ff9b::a00:1]/',
    'http://example.com/',
  ]) {
    const res = await stack.call('POST', '/v1/webhooks', { key: team.apiKey, body: { name: `n${Math.random()}`, url, events: ['*'] } });
    expect([url, res.status, res.body.error?.code]).toEqual([url, 400, 'invalid_url']);
  }
  expect(stack.receiver.connections).toBe(0);
});

test('a hostname that resolves to a private address at delivery time is blocked: zero connections reach it', async () => {
  const team = await stack.createTeam();
  answers.set('rebind.hookferry.test', ['127.0.0.1']);
  answers.set('mapped.hookferry.test', ['::ffff:127.0.0.1']);
  answers.set('metadata.hookferry.test', ['169.254.169.254']);
  const ids = [];
  for (const host of ['rebind', 'mapped', 'metadata']) {
    ids.push((await createWebhook(stack, team.apiKey, { url: `https://${host}.hookferry.test:${stack.receiver.port}/`, retrySchedule: { delays: ['100ms'] } })).id);
  }
  const e = await postEvent(stack, team.apiKey, 'prospect.qualified');
  for (const id of ids) {
    const d = await waitForDelivery(stack, team.apiKey, e.id, ['failed'], { webhookId: id });
    expect(d.attempts).toHaveLength(2);
    expect(d.attempts.every((a: { errorClass: string }) => a.errorClass === 'blocked_address')).toBe(true);
  }
  expect(stack.receiver.connections).toBe(0);
});
