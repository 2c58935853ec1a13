/**
 * End to end: the web dashboard, driven in Debian's Chromium against the real stack
 * (PostgreSQL, Temporal dev server, worker, API serving web/dist at `/`, and a loopback
 * receiver answering 200).
 *
 * The steps share one browser page and build on each other, in order: sign in → create
 * a webhook through the form (secret shown once) → send a test event and watch it
 * succeed → delivery detail (the request sent: body and headers) → real traffic and the webhook's
 * charts → a retried delivery's attempts → the team's Deliveries page and its charts → disable/enable → edit →
 * delete with confirmation → credits → narrow (390 px) layout → sign out. No console
 * errors are allowed.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import path from 'node:path';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { buildDashboard, launchChromium, screenshot, SCREENSHOT_DIR, watchConsole, type ConsoleWatch } from './browser';

jest.setTimeout(300_000);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };

interface EventTypeInfo {
  id: string;
  name: string;
  category: string;
}

interface WebhookJson {
  id: string;
  name: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
}

describe('web dashboard', () => {
  let stack: Stack;
  let team: { id: string; apiKey: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let consoleWatch: ConsoleWatch;
  let eventType: EventTypeInfo;
  let webhookId = '';
  let secret = '';
  let deliveryId = '';
  const webhookName = `Receiver ${Date.now().toString(36)}`;
  const renamed = `${webhookName} (renamed)`;

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${team.apiKey}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** The page's main heading, once it shows `text`. */
  async function heading(text: string | RegExp): Promise<Locator> {
    const h1 = page.locator('main h1').filter({ hasText: text });
    await h1.first().waitFor({ state: 'visible' });
    return h1.first();
  }

  beforeAll(async () => {
    buildDashboard();
    stack = await startStack();
    team = await stack.createTeam();
    const events = await api<EventTypeInfo[]>('GET', '/v1/webhooks/test/events');
    expect(events.status).toBe(200);
    expect(events.body.length).toBeGreaterThan(0);
    eventType = events.body[0];
    browser = await launchChromium();
    context = await browser.newContext({ viewport: WIDE, deviceScaleFactor: 1, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    consoleWatch = watchConsole(page);
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await stack?.stop();
  });

  test('sign-in: a wrong key is refused, the team key is accepted and kept in sessionStorage only', async () => {
    await page.goto(`${stack.apiUrl}/`);
    await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor();
    await screenshot(page, '01-sign-in');

    const keyInput = page.getByLabel('API key');
    await consoleWatch.expecting(/status of 401/, async () => {
      await keyInput.fill('hf_definitely_not_a_key');
      await keyInput.press('Enter');
      await page.getByText('That API key was not accepted').waitFor();
    });

    await keyInput.fill(team.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Webhooks');
    expect(await page.evaluate(() => sessionStorage.getItem('hookferry.apiKey'))).toBe(team.apiKey);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(team.apiKey);
    await page.getByText('No webhooks yet.').waitFor();
  });

  test('create: the form creates the webhook and shows its signing secret exactly once', async () => {
    await page.getByRole('link', { name: 'Create Webhook' }).click();
    await heading('Create Webhook');
    await page.getByLabel('All events (*)').waitFor(); // the catalog has loaded
    await screenshot(page, '03-create-form');

    await page.getByLabel('Name', { exact: true }).fill(webhookName);
    await page.getByLabel('URL', { exact: true }).fill(stack.receiver.url);
    await page.locator(`input[type="checkbox"][value="${eventType.id}"]`).check();
    expect(await page.getByLabel('Retry schedule').inputValue()).toBe('exponential');
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    await heading('Webhook created');
    const secretValue = page.getByTestId('secret-value');
    secret = (await secretValue.innerText()).trim();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    await page.getByText('It will not be shown again').waitFor();
    await screenshot(page, '04-secret-panel');

    const list = await api<{ data: WebhookJson[] }>('GET', '/v1/webhooks');
    const created = list.body.data.find((w) => w.name === webhookName);
    expect(created).toBeDefined();
    expect(created!.url).toBe(stack.receiver.url);
    expect(created!.events).toEqual([eventType.id]);
    expect(created!.enabled).toBe(true);
    webhookId = created!.id;

    // Leave the panel: the secret is gone, also when coming back.
    await page.getByRole('button', { name: 'Continue to webhook' }).click();
    await heading(webhookName);
    expect(page.url()).toContain(`#/webhooks/${webhookId}`);
    expect(await page.getByTestId('secret-value').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    await page.goBack();
    await heading('Create Webhook');
    expect(await page.getByTestId('secret-value').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    await page.goForward();
    await heading(webhookName);
    expect(await page.content()).not.toContain(secret);
  });

  test('list: shows the webhook with its status and events', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await heading('Webhooks');
    const row = page.locator(`[data-testid="webhook-row"][data-id="${webhookId}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain(webhookName);
    expect(await row.innerText()).toContain(stack.receiver.url);
    expect(await row.innerText()).toContain(eventType.id);
    expect(await row.locator('[data-status="enabled"]').count()).toBe(1);
    await screenshot(page, '02-webhooks-list');

    await row.getByRole('link', { name: webhookName }).click();
    await heading(webhookName);
  });

  test('test event: the delivery succeeds and its attempt (200) is shown', async () => {
    const before = stack.receiver.requests.length;
    const select = page.getByLabel('Event type');
    expect(await select.inputValue()).toBe(eventType.id);
    await page.locator('pre').filter({ hasText: `"event": "${eventType.id}"` }).waitFor(); // example payload preview
    await page.getByRole('button', { name: 'Send test event' }).click();

    const succeeded = page.locator('[data-testid="delivery-row"][data-status="succeeded"]');
    await succeeded.first().waitFor({ timeout: 90_000 }); // the log polls every 2 s while in flight
    const row = succeeded.first();
    deliveryId = (await row.getAttribute('data-id')) ?? '';
    expect(deliveryId).not.toBe('');
    const rowText = await row.innerText();
    expect(rowText).toContain(eventType.id);
    expect(rowText).toContain('200');
    expect(await row.getByRole('link', { name: /Open in Temporal Web UI/ }).count()).toBe(1);

    const received = stack.receiver.requests.slice(before).map((r) => JSON.parse(r.body) as { event: string });
    expect(received.some((b) => b.event === eventType.id)).toBe(true);
    await screenshot(page, '05-webhook-detail-deliveries');

    await row.getByRole('link', { name: `Details of delivery ${deliveryId}` }).click();
    await heading(/Delivery/);
    const attempt = page.getByTestId('attempt').first();
    await attempt.waitFor();
    expect((await attempt.getByTestId('attempt-status').innerText()).trim()).toBe('200');
    expect(await attempt.innerText()).toContain('succeeded');
    // The request that was signed and sent: the exact body (pretty-printed) and the attempt's headers.
    const sent = stack.receiver.requests.find((r) => r.headers['webhook-id'] === deliveryId)!;
    const body = await page.getByTestId('request-body').innerText();
    expect(JSON.parse(body)).toEqual(JSON.parse(sent.body));
    expect(body).toContain(`"event": "${eventType.id}"`);
    await page.getByTestId('copy-request-body').waitFor();
    const headers = await attempt.getByTestId('request-headers').innerText();
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-webhook-signature']) expect(headers).toContain(`${name}: ${sent.headers[name]}`);
    expect(headers).not.toContain(secret);
    await screenshot(page, '06-delivery-detail');

    await page.locator('.back-link a').click();
    await heading(webhookName);
  });

  test('charts: with real traffic (some attempts fail, then succeed on retry) the webhook charts draw its attempts', async () => {
    // Every third request fails with 503: those deliveries succeed on their retry.
    let n = 0;
    stack.receiver.respond = (_req, res) => void res.writeHead(++n % 3 === 0 ? 503 : 200, { 'content-type': 'application/json' }).end('{"ok":true}');
    const events: string[] = [];
    for (let i = 0; i < 8; i++) {
      const e = await api<{ id: string }>('POST', '/v1/events', { event: eventType.id, data: { n: i } });
      expect(e.status).toBe(202);
      events.push(e.body.id);
    }
    const deliveries = await waitFor(async () => {
      const all = await Promise.all(events.map((id) => api<{ deliveries: Array<{ id: string; status: string; attemptCount: number }> }>('GET', `/v1/events/${id}`)));
      const ds = all.flatMap((r) => r.body.deliveries);
      return ds.length === events.length && ds.every((d) => d.status === 'succeeded') ? ds : undefined;
    }, { timeoutMs: 90_000, what: 'the 8 deliveries to succeed' });
    stack.receiver.respond = (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    const totals = (await api<{ totals: { attempts: number; outcomes: Record<string, number> } }>('GET', `/v1/stats/deliveries?window=hour&webhookId=${webhookId}`)).body.totals;
    expect(totals.outcomes['5xx']).toBeGreaterThan(0);

    // Open the webhook afresh (the page was left on it, showing the figures from before the traffic).
    await page.goto(`${stack.apiUrl}/#/webhooks/${webhookId}`);
    await page.reload();
    await heading(webhookName);
    const panel = page.getByTestId('delivery-stats');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="delivery-stats"]')?.getAttribute('data-attempts') ?? 0) === n, totals.attempts);
    expect(Number(await panel.getAttribute('data-attempts'))).toBe(totals.attempts);
    expect((await panel.getByTestId('stats-attempts').innerText()).trim()).toBe(String(totals.attempts));
    expect(await panel.getByTestId('stats-success-rate').innerText()).toMatch(/%$/);
    // Both charts drew something: their canvases hold painted pixels.
    for (const chart of ['chart-outcomes', 'chart-latency']) {
      const painted = await panel.getByTestId(chart).evaluate((c: HTMLCanvasElement) => {
        const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
        return count;
      });
      expect(painted).toBeGreaterThan(1000);
    }
    // The numbers behind the charts: the minute(s) with attempts, 5xx among them.
    await panel.getByText(/Show the numbers/).click();
    expect(await panel.getByTestId('stats-row').count()).toBeGreaterThan(0);
    expect(await panel.locator('thead').textContent()).toContain('5xx');
    await screenshot(page, '05b-webhook-charts');
    await panel.screenshot({ path: path.join(SCREENSHOT_DIR, '05c-webhook-charts-panel.png') });
    await panel.getByRole('button', { name: 'Last day' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="delivery-stats"] [aria-pressed="true"]')?.textContent === 'Last day');

    // A retried delivery: each attempt shows the headers it sent, next to its response.
    const retried = deliveries.find((d) => d.attemptCount > 1)!;
    await page.goto(`${stack.apiUrl}/#/deliveries/${retried.id}`);
    await heading(/Delivery/);
    const attempts = page.getByTestId('attempt');
    await attempts.nth(1).waitFor();
    expect(await attempts.count()).toBe(retried.attemptCount);
    for (let i = 0; i < retried.attemptCount; i++) {
      const headers = await attempts.nth(i).getByTestId('request-headers').innerText();
      expect(headers).toContain(`webhook-id: ${retried.id}`);
      expect(headers).toMatch(/webhook-signature: v1,/);
    }
    expect((await attempts.nth(0).getByTestId('attempt-status').innerText()).trim()).toBe('503');
    await screenshot(page, '06c-delivery-detail-retried');
    await page.goto(`${stack.apiUrl}/#/webhooks/${webhookId}`);
    await heading(webhookName);
  });

  test('deliveries page: the team\'s recent deliveries list the delivery, filter by status, link to its detail and its webhook', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deliveries' }).click();
    await heading('Deliveries');
    const row = page.locator(`[data-testid="delivery-row"][data-id="${deliveryId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('succeeded');
    const rowText = await row.innerText();
    expect(rowText).toContain(eventType.id);
    expect(rowText).toContain('200');
    // The webhook column names the webhook (names load next to the log) and links to it.
    const webhookLink = row.getByTestId('delivery-webhook');
    await webhookLink.filter({ hasText: webhookName }).waitFor();
    expect(await webhookLink.getAttribute('href')).toBe(`#/webhooks/${webhookId}`);
    // The team's statistics, across its webhooks.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="delivery-stats"]')?.getAttribute('data-attempts') ?? 0) > 0);
    await page.getByTestId('chart-outcomes').waitFor();
    await screenshot(page, '06b-deliveries-page');

    const status = page.getByLabel('Status', { exact: true });
    await status.selectOption('failed');
    await page.getByText('No failed deliveries.').waitFor();
    expect(await row.count()).toBe(0);
    await status.selectOption('');
    await row.waitFor();

    await row.getByRole('link', { name: `Details of delivery ${deliveryId}` }).click();
    await heading(/Delivery/);
    expect(page.url()).toContain(`#/deliveries/${deliveryId}`);
    await page.getByTestId('attempt').first().waitFor();

    // The "open delivery by ID" form is still there.
    await page.goBack();
    await heading('Deliveries');
    await page.getByLabel('Delivery ID', { exact: true }).fill(deliveryId);
    await page.getByRole('button', { name: 'Open delivery' }).click();
    await heading(/Delivery/);
    expect(page.url()).toContain(`#/deliveries/${deliveryId}`);

    await page.goBack();
    await heading('Deliveries');
    await row.getByRole('link', { name: webhookName }).click();
    await heading(webhookName);
  });

  test('disable then enable', async () => {
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    await page.locator('.page-subtitle [data-status="disabled"]').waitFor();
    let w = await api<WebhookJson>('GET', `/v1/webhooks/${webhookId}`);
    expect(w.body.enabled).toBe(false);
    expect(w.body.disabledReason).toBe('manual');

    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await page.locator('.page-subtitle [data-status="enabled"]').waitFor();
    w = await api<WebhookJson>('GET', `/v1/webhooks/${webhookId}`);
    expect(w.body.enabled).toBe(true);
  });

  test('edit the name', async () => {
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const name = page.getByLabel('Name', { exact: true });
    await name.fill(renamed);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await heading(renamed);
    const w = await api<WebhookJson>('GET', `/v1/webhooks/${webhookId}`);
    expect(w.body.name).toBe(renamed);
    expect(w.body.events).toEqual([eventType.id]);
  });

  test('delete asks for confirmation: cancel keeps it, confirm removes it', async () => {
    await page.getByRole('button', { name: 'Delete webhook' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await heading(renamed);
    expect((await api('GET', `/v1/webhooks/${webhookId}`)).status).toBe(200);

    await page.getByRole('button', { name: 'Delete webhook' }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await heading('Webhooks');
    await page.getByText('No webhooks yet.').waitFor();
    expect(await page.locator(`[data-testid="webhook-row"][data-id="${webhookId}"]`).count()).toBe(0);
    expect((await api('GET', `/v1/webhooks/${webhookId}`)).status).toBe(404);
  });

  test('credits page shows the balance', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Credits' }).click();
    await heading('Credits');
    const balance = page.getByTestId('credit-balance');
    await balance.waitFor();
    // The balance can still move if a charge lands while the page loads: refresh until it settles.
    let shown = NaN;
    let expected = NaN;
    for (let i = 0; i < 5; i++) {
      const credits = await api<{ balance: number }>('GET', '/v1/credits');
      expect(credits.status).toBe(200);
      expected = credits.body.balance;
      shown = Number((await balance.innerText()).replace(/[^\d-]/g, ''));
      if (shown === expected) break;
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(500);
    }
    expect(shown).toBe(expected);
    await screenshot(page, '07-credits');
  });

  test('at 390 px the sidebar becomes a top bar and nothing overflows', async () => {
    const created = await api<WebhookJson>('POST', '/v1/webhooks', {
      name: 'Narrow screen check',
      url: stack.receiver.url,
      events: [eventType.id],
    });
    expect(created.status).toBe(201);

    await page.setViewportSize(NARROW);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await heading('Webhooks');
    await page.locator(`[data-testid="webhook-row"][data-id="${created.body.id}"]`).waitFor();

    const nav = await page.getByRole('navigation', { name: 'Main' }).boundingBox();
    expect(nav).not.toBeNull();
    expect(nav!.y).toBeLessThan(150); // at the top, not a column on the left
    expect(nav!.width).toBeGreaterThan(NARROW.width / 2);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, '08-webhooks-list-390px');
    await page.setViewportSize(WIDE);
  });

  test('sign out forgets the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('hookferry.apiKey'))).toBeNull();
  });

  test('no console errors', () => {
    expect(consoleWatch.unexpected()).toEqual([]);
  });
});
