import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { createClient } from '#client';
import { browserMissing, withBrowser } from '#test/browser';
import { screenshot, screenshotDir, seriousA11yViolations } from '#test/dashboard';
import { useApi } from '#test/http';
import { createKey, registerMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useReceiver } from '#test/receiver';
import { useSandboxes } from '#test/sandbox-fixture';

const sandboxes = useSandboxes();
usePipeline();
const receiver = useReceiver();
const api = useApi();

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
  console.log(`dashboard screenshots: ${screenshotDir}`);
});

/** Opens the dashboard and records what a merchant's browser would complain about. */
async function open(context: BrowserContext) {
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  const origin = new URL(api.url()).origin;
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.origin !== origin) problems.push(`request elsewhere: ${r.url()}`);
  });
  const response = await page.goto(`${api.url()}/`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
  return { page, problems };
}

/** The newest emailed link of `kind` to `email`, from the local outbox (`GET /_local/outbox`), and how many. */
async function outboxLink(email: string, kind: 'verify_email' | 'password_reset') {
  const res = await api.request(`/_local/outbox?to=${encodeURIComponent(email)}`);
  expect(res.status).toBe(200);
  const { data } = (await res.json()) as { data: { kind: string; link: string }[] };
  const links = data.filter((m) => m.kind === kind).map((m) => m.link);
  const link = links.at(-1);
  if (!link) throw new Error(`no ${kind} email to ${email} in the local outbox`);
  return { link, count: links.length };
}

async function signUp(page: Page, email: string, business: string) {
  await page.getByRole('button', { name: 'Create an account instead' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(`pw-${randomUUID()}`);
  await page.getByLabel('Business name').fill(business);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}

const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name, exact: true });

/** How wide the page's content is (wider than the viewport: it scrolls sideways). */
const pageWidth = (page: Page) =>
  page.evaluate(
    () =>
      // Runs in the page (this file has no DOM types).
      (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
        .documentElement.scrollWidth,
  );

async function a11yAndScreenshot(page: Page, a11y: Record<string, string[]>, name: string, file: string) {
  a11y[name] = await seriousA11yViolations(page);
  await screenshot(page, file);
}

/** Visits a page through the navigation bar, checks it with axe and saves a screenshot. */
async function visit(page: Page, name: string, heading: string, a11y: Record<string, string[]>) {
  await nav(page, name).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  await page
    .locator('[role="status"]:has-text("Loading")')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined);
  a11y[name] = await seriousA11yViolations(page);
  await screenshot(page, name.toLowerCase().replace(/\s+/g, '-'));
}

describe('the merchant dashboard in Chromium', () => {
  it.skipIf(browserMissing !== undefined)(
    'signs up (a reload keeps the session), makes a key, configures Paystack, sees a sandbox payment succeed live, its timeline, refunds part of it, sees refund and balance, its delivery and a resend; live mode shows none of it',
    { timeout: 180_000 },
    async () => {
      await withBrowser(async (context) => {
        const { page, problems } = await open(context);
        const a11y: Record<string, string[]> = {};
        await page.getByRole('heading', { name: 'Sign in to your dashboard' }).waitFor();
        a11y['Sign in'] = await seriousA11yViolations(page);
        await screenshot(page, 'sign-in');
        const email = `owner-${randomUUID()}@example.com`;
        await signUp(page, email, 'Browser Shop');

        // Until the emailed link is opened the account is test mode only: a notice says so, and the
        // live switch explains (and stays on test) instead of showing the API's 403.
        const verifyNotice = page.getByRole('region', { name: 'Verify your email to use live mode' });
        await verifyNotice.waitFor();
        expect(await verifyNotice.textContent()).toContain(email);
        await a11yAndScreenshot(page, a11y, 'Unverified notice', 'verify-notice');
        await page.getByRole('switch', { name: 'Test mode' }).click();
        await verifyNotice.getByRole('alert').filter({ hasText: 'Live mode stays locked' }).waitFor();
        expect(await page.getByRole('switch', { name: 'Test mode' }).isChecked()).toBe(true);
        await page.getByRole('note').filter({ hasText: 'Test mode' }).waitFor();
        expect(await page.getByRole('main').textContent()).not.toMatch(/email_unverified|Error:/);
        await a11yAndScreenshot(page, a11y, 'Live refused', 'live-refused');

        // A link that does not work says why, and a signed-in user gets a new one from there.
        const signUpLink = await outboxLink(email, 'verify_email');
        expect(signUpLink.link).toMatch(new RegExp(`^${api.url()}/verify-email#token=pbv_[\\w-]+$`));
        await page.goto(`${api.url()}/verify-email#token=pbv_${'x'.repeat(43)}`);
        await page.getByRole('alert').filter({ hasText: 'This link is not valid.' }).waitFor();
        await page.getByRole('button', { name: 'Resend link' }).click();
        await page
          .getByRole('status')
          .filter({ hasText: `We sent a new link to ${email}.` })
          .waitFor();
        await a11yAndScreenshot(page, a11y, 'Verify email: bad link', 'verify-email-error');
        const phone = { width: 360, height: 740 };
        const wide = page.viewportSize();
        await page.setViewportSize(phone);
        await a11yAndScreenshot(page, a11y, 'Verify email: bad link at 360 px', 'verify-email-error-360');
        expect(await pageWidth(page)).toBe(360);
        if (wide) await page.setViewportSize(wide);

        // The newest emailed link, opened in the browser: verified; the token leaves the address bar.
        const resent = await outboxLink(email, 'verify_email');
        expect(resent.count).toBe(2);
        await page.goto(resent.link);
        await page.getByRole('status').filter({ hasText: 'Your email address is verified.' }).waitFor();
        expect(page.url()).toBe(`${api.url()}/verify-email`);
        await a11yAndScreenshot(page, a11y, 'Verify email: verified', 'verify-email');
        await page.setViewportSize(phone);
        await a11yAndScreenshot(page, a11y, 'Verify email: verified at 360 px', 'verify-email-360');
        expect(await pageWidth(page)).toBe(360);
        if (wide) await page.setViewportSize(wide);
        await page.getByRole('link', { name: 'Continue to the dashboard' }).click();
        await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
        await page.getByRole('banner').getByText(email).waitFor();
        expect(await verifyNotice.count()).toBe(0);

        // A reload keeps the session: the refresh token is an HttpOnly cookie the page cannot read,
        // the access token lives in memory only, and nothing sits in web storage.
        await page.reload();
        await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
        expect(
          await page.evaluate(() => [
            localStorage.length,
            sessionStorage.length,
            // Runs in the page (this file has no DOM types): the cookies a script can read.
            (globalThis as unknown as { document: { cookie: string } }).document.cookie,
          ]),
        ).toEqual([0, 0, '']);
        const cookies = await context.cookies();
        expect(cookies.map((c) => [c.name, c.path, c.httpOnly, c.secure, c.sameSite])).toEqual([
          ['__Secure-paybridge-refresh', '/v1/auth/refresh', true, true, 'Strict'],
        ]);

        // Every page is reachable from the navigation bar, passes axe, and says it is in test mode.
        const modeSwitch = page.getByRole('switch', { name: 'Test mode' });
        expect(await modeSwitch.isChecked()).toBe(true);
        for (const [name, heading] of [
          ['Overview', 'Overview'],
          ['Payments', 'Payments'],
          ['Payment links', 'Payment links'],
          ['Refunds', 'Refunds'],
          ['Balance', 'Balance'],
          ['Webhooks', 'Webhooks'],
          ['API keys', 'API keys'],
          ['Providers', 'Providers'],
          ['Security', 'Security'],
        ] as const) {
          await visit(page, name, heading, a11y);
          await page.getByRole('note').filter({ hasText: 'Test mode' }).waitFor();
        }
        await nav(page, 'Refunds').click();
        await page.getByText('No refunds yet.').waitFor();
        await nav(page, 'Balance').click();
        await page.getByText('No balance yet').waitFor();
        await page.getByText('No balance transactions yet.').waitFor();

        // An API key, shown once.
        await nav(page, 'API keys').click();
        await page.getByLabel('Key name').fill('checkout server');
        await page.getByRole('button', { name: 'Create key' }).click();
        const key = await page.getByRole('textbox', { name: 'API key checkout server' }).inputValue();
        expect(key).toMatch(/^sk_test_/);
        await page.getByRole('cell', { name: 'checkout server', exact: true }).waitFor();
        await screenshot(page, 'api-keys-created');

        // Paystack's test key; the webhook URL to paste at Paystack, which the sandbox stands in for.
        await nav(page, 'Providers').click();
        const { secretKey } = testCredentials('paystack');
        await page.getByLabel('Paystack secret key').fill(secretKey);
        await page.getByRole('button', { name: 'Save Paystack' }).click();
        const webhookUrl = await page.getByRole('textbox', { name: 'Paystack webhook URL' }).inputValue();
        expect(webhookUrl).toMatch(/\/hooks\/paystack\//);
        expect(await page.getByLabel('Paystack secret key').inputValue()).toBe('');
        expect(await page.content()).not.toContain(secretKey);
        await sandboxes.control('PUT', '/paystack/accounts', { secretKey, webhookUrl });
        await screenshot(page, 'providers-configured');

        // Where our events go.
        await nav(page, 'Webhooks').click();
        await page.getByLabel('Endpoint URL').fill(receiver.url('/dashboard-hooks'));
        await page.getByRole('button', { name: 'Add endpoint' }).click();
        expect(await page.getByRole('textbox', { name: /^Signing secret for / }).inputValue()).toMatch(
          /^whsec_/,
        );

        // A payment through the API, as the merchant's server would, seen pending in the table.
        const merchantApi = createClient({ baseUrl: api.url(), apiKey: key });
        const payment = await merchantApi.payments.create(
          {
            amount: 1075050,
            currency: 'NGN',
            customer: { email: 'ada@example.com' },
            reference: 'order-1042',
          },
          { idempotencyKey: 'order-1042' },
        );
        await nav(page, 'Payments').click();
        const row = page.locator(`tr[data-payment-id="${payment.id}"]`);
        await row.waitFor();
        expect(await row.textContent()).toContain('NGN\u00a010,750.50');
        expect(await row.textContent()).toContain('pending');

        // "Verify with provider" while it is pending: the provider call is on its timeline, with what it found.
        await row.getByRole('link', { name: payment.id }).click();
        await page.getByRole('heading', { name: `Payment ${payment.id}`, level: 1 }).waitFor();
        const pendingTimeline = page.getByRole('list', { name: 'Timeline' });
        await pendingTimeline.getByText('Payment created').waitFor();
        await page.getByRole('button', { name: 'Verify with provider' }).click();
        const verifyEntry = pendingTimeline
          .getByRole('listitem')
          .filter({ hasText: 'Verify with provider (API or dashboard): Paystack' });
        await verifyEntry.waitFor({ timeout: 15_000 });
        expect(await verifyEntry.textContent()).toContain('the payment is pending');
        await a11yAndScreenshot(page, a11y, 'Payment verified while pending', 'payment-verified-pending');
        await nav(page, 'Payments').click();
        await row.waitFor();

        // The customer pays on the sandbox checkout; the table turns to succeeded without a reload.
        const started = await page.evaluate(() => performance.timeOrigin);
        await sandboxes.clickOn(payment.checkoutUrl, 'success');
        await row.getByText('succeeded').waitFor({ timeout: 30_000 });
        expect(await page.evaluate(() => performance.timeOrigin)).toBe(started);
        await screenshot(page, 'payments-succeeded');

        // Its timeline: created, the Paystack attempt, the provider's signed webhook, the event and
        // its delivery.
        await row.getByRole('link', { name: payment.id }).click();
        await page.getByRole('heading', { name: `Payment ${payment.id}`, level: 1 }).waitFor();
        const timeline = page.getByRole('list', { name: 'Timeline' });
        await timeline.getByText('Event payment.succeeded').waitFor({ timeout: 20_000 });
        await timeline.getByText(/Delivery attempt 1 to we_/).waitFor({ timeout: 20_000 });
        expect(await timeline.textContent()).toContain('Payment created');
        expect(await timeline.textContent()).toContain('Paystack: checkout initialized');
        const webhookEntry = timeline
          .getByRole('listitem')
          .filter({ hasText: 'Paystack webhook received: signature valid' })
          .first();
        await webhookEntry.waitFor({ timeout: 20_000 });
        expect(await webhookEntry.textContent()).toContain('applied to the payment');
        // A forged webhook about this payment (wrong signature) is on the timeline as rejected.
        const forged = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-paystack-signature': 'f'.repeat(128) },
          body: JSON.stringify({
            event: 'charge.success',
            data: {
              reference: payment.providerReference,
              status: 'success',
              amount: 1075050,
              currency: 'NGN',
            },
          }),
        });
        expect(forged.status).toBeLessThan(500);
        const rejectedEntry = timeline
          .getByRole('listitem')
          .filter({ hasText: 'Paystack webhook received: signature rejected' });
        await rejectedEntry.waitFor({ timeout: 20_000 });
        expect(await rejectedEntry.textContent()).toContain('rejected, nothing applied');
        // The verify call made while it was pending is still there, before the webhook.
        expect(await timeline.textContent()).toMatch(
          /Verify with provider \(API or dashboard\): Paystack.*the payment is pending.*Paystack webhook received: signature valid/s,
        );
        await page.getByRole('button', { name: 'Verify with provider' }).click();
        await page.getByRole('button', { name: 'Verify with provider' }).waitFor();
        expect(await page.getByRole('alert').count()).toBe(0);
        a11y['Payment detail'] = await seriousA11yViolations(page);
        await screenshot(page, 'payment-detail');

        // Refund part of it: the amount defaults to what is left, a reason, a confirmation; a double
        // click on "Confirm refund" still makes one refund (one Idempotency-Key per submission).
        const amountField = page.getByLabel('Refund amount (NGN)');
        expect(await amountField.inputValue()).toBe('10750.50');
        await amountField.fill('2,000.50');
        await page.getByLabel('Reason').selectOption('requested_by_customer');
        await page.getByRole('button', { name: 'Refund', exact: true }).click();
        const confirmation = page.getByRole('group', { name: 'Confirm refund' });
        expect(await confirmation.textContent()).toContain('NGN\u00a02,000.50');
        await a11yAndScreenshot(page, a11y, 'Refund confirmation', 'refund-confirm');
        await page.getByRole('button', { name: 'Confirm refund' }).dblclick();
        const refundRows = page.getByRole('table', { name: 'Refunds of this payment' }).locator('tbody tr');
        await refundRows.first().waitFor();
        // The provider finishes it; "Verify with provider" syncs open refunds (as the sweeper would).
        await expect
          .poll(
            async () => {
              const text = (await refundRows.first().textContent()) ?? '';
              if (!text.includes('succeeded')) {
                await page.getByRole('button', { name: 'Verify with provider' }).click();
                await page.getByRole('button', { name: 'Verify with provider' }).waitFor();
              }
              return text;
            },
            { timeout: 30_000, interval: 1000 },
          )
          .toContain('succeeded');
        await page.getByRole('definition').getByText('partially refunded').waitFor({ timeout: 15_000 });
        expect(await refundRows.count()).toBe(1);
        expect(await refundRows.first().textContent()).toContain('NGN\u00a02,000.50');
        const refunds = await merchantApi.refunds.ofPayment(payment.id);
        expect(refunds.data.map((r) => [r.amount, r.status])).toEqual([[200050, 'succeeded']]);
        expect((await merchantApi.payments.get(payment.id)).status).toBe('partially_refunded');
        // The form now offers what is left.
        expect(await page.getByLabel('Refund amount (NGN)').inputValue()).toBe('8750.00');
        await a11yAndScreenshot(page, a11y, 'Payment refunded', 'payment-refunded');

        // The refund in the refunds list, and its page, linked to the payment.
        const refundId = refunds.data[0]?.id ?? '';
        await nav(page, 'Refunds').click();
        const refundRow = page.locator(`tr[data-refund-id="${refundId}"]`);
        await refundRow.waitFor();
        expect(await refundRow.textContent()).toContain(payment.id);
        a11y['Refunds with data'] = await seriousA11yViolations(page);
        await screenshot(page, 'refunds-with-data');
        await refundRow.getByRole('link', { name: refundId }).click();
        await page.getByRole('heading', { name: `Refund ${refundId}`, level: 1 }).waitFor();
        await page.getByRole('link', { name: payment.id }).waitFor();
        await a11yAndScreenshot(page, a11y, 'Refund detail', 'refund-detail');

        // The balance: Paystack NGN, the charge and the refund in the ledger, exported as CSV.
        await nav(page, 'Balance').click();
        const balanceRow = page
          .getByRole('table', { name: /Balance per provider and currency/ })
          .getByRole('row')
          .filter({ hasText: 'Paystack' });
        await balanceRow.waitFor();
        expect(await balanceRow.textContent()).toContain('NGN');
        const ledger = page.getByRole('table', { name: 'Balance transactions, newest first' });
        await ledger.getByRole('cell', { name: 'Refund', exact: true }).first().waitFor();
        await ledger.getByRole('cell', { name: 'Charge', exact: true }).first().waitFor();
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: 'Export CSV' }).click(),
        ]);
        expect(download.suggestedFilename()).toBe('paybridge-test-balance-transactions.csv');
        const csv = readFileSync((await download.path()) ?? '', 'utf8')
          .trim()
          .split('\n');
        expect(csv[0]).toMatch(/^id,created_at,kind,provider,currency,amount,/);
        expect(csv.filter((line) => line.includes(refundId))).not.toHaveLength(0);
        expect(csv.filter((line) => line.includes(payment.id)).length).toBe(csv.length - 1);
        await page
          .getByRole('status')
          .filter({ hasText: /^Exported \d+ transactions?\.$/ })
          .waitFor();
        a11y['Balance with data'] = await seriousA11yViolations(page);
        await screenshot(page, 'balance-with-data');

        // The new pages on a 360 px phone, for a reviewer's eye.
        const desktop = page.viewportSize();
        await page.setViewportSize({ width: 360, height: 740 });
        await a11yAndScreenshot(page, a11y, 'Balance at 360 px', 'balance-360');
        expect(await pageWidth(page)).toBe(360);
        await nav(page, 'Refunds').click();
        await refundRow.waitFor();
        await a11yAndScreenshot(page, a11y, 'Refunds at 360 px', 'refunds-360');
        await page.goto(`${api.url()}/#/payments/${payment.id}`);
        await page.getByRole('table', { name: 'Refunds of this payment' }).waitFor();
        await a11yAndScreenshot(page, a11y, 'Payment at 360 px', 'payment-refunded-360');
        // Nothing wider than the phone but the tables, which scroll on their own.
        expect(await pageWidth(page)).toBe(360);
        if (desktop) await page.setViewportSize(desktop);

        // The endpoint's deliveries on the webhooks page (its attempt: HTTP 200, latency, the answer's
        // first bytes), then a resend of the event to it: a second attempt, received again.
        await nav(page, 'Webhooks').click();
        const eventsList = await merchantApi.events.list({
          paymentId: payment.id,
          type: 'payment.succeeded',
        });
        const event = eventsList.data[0];
        expect(event).toBeDefined();
        const endpointUrl = receiver.url('/dashboard-hooks');
        const deliveries = page.getByRole('region', { name: `Deliveries to ${endpointUrl}` });
        const entry = deliveries.getByRole('rowgroup', {
          name: `Delivery of payment.succeeded ${event?.id}`,
        });
        const firstAttempt = entry.getByRole('row').filter({ hasText: 'HTTP 200' });
        await firstAttempt.waitFor({ timeout: 20_000 });
        expect(await firstAttempt.textContent()).toMatch(/^1.*delivered HTTP 200\d+ ms/);
        const receivedBefore = receiver.received('/dashboard-hooks').length;
        await entry.getByRole('button', { name: `Resend ${event?.id} to ${endpointUrl}` }).click();
        // A resend starts the delivery's schedule again: a second attempt row appears, delivered.
        await deliveries
          .getByRole('status')
          .filter({ hasText: `payment.succeeded ${event?.id} queued again to ${endpointUrl}.` })
          .waitFor();
        await expect
          .poll(() => entry.getByRole('row').filter({ hasText: 'HTTP 200' }).count(), { timeout: 20_000 })
          .toBe(2);
        expect(receiver.received('/dashboard-hooks').length).toBeGreaterThan(receivedBefore);
        // "Recover failed since…": nothing failed, so nothing is queued again.
        const card = page.getByRole('article', { name: `Endpoint ${endpointUrl}` });
        await card.getByLabel('Failed since').fill('2026-01-01T00:00');
        await card.getByRole('button', { name: 'Recover failed since…' }).click();
        await card.getByRole('status').filter({ hasText: '0 failed deliveries queued again.' }).waitFor();
        a11y['Webhooks with deliveries'] = await seriousA11yViolations(page);
        await screenshot(page, 'webhooks-delivered');

        // The overview counts it: volume today in NGN, Paystack's success rate, the chart's table.
        await nav(page, 'Overview').click();
        await page.getByRole('cell', { name: 'NGN\u00a010,750.50' }).first().waitFor();
        await page.getByText('Paystack: 100% (1 of 1 settled)').waitFor();
        a11y['Overview with data'] = await seriousA11yViolations(page);
        await screenshot(page, 'overview-with-data');

        // Payment links: made in the page, its QR code shown from this origin within the CSP, its
        // URL copied, its PNG downloaded, a customer's payment listed, then deactivated.
        await visit(page, 'Payment links', 'Payment links', a11y);
        await page.getByText('No payment links yet.').waitFor();
        await page.getByRole('button', { name: 'New payment link' }).click();
        await page.getByLabel('Title').fill('Ankara dress');
        await page.getByLabel('Description (optional)').fill('Size M, made to order');
        await page.getByLabel('Amount (NGN)').fill('25,000.50');
        await page.getByRole('checkbox', { name: 'Paystack', exact: true }).check();
        await page.getByLabel('Maximum payments (optional)').fill('0');
        await page.getByRole('button', { name: 'Create payment link' }).click();
        // A wrong field is marked before anything is sent.
        await page.getByRole('alert').filter({ hasText: 'Check the field marked below.' }).waitFor();
        await page.getByText('A whole number from 1 to 1,000,000, or empty for no limit.').waitFor();
        await a11yAndScreenshot(page, a11y, 'Payment link form', 'payment-link-form');
        await page.getByLabel('Maximum payments (optional)').fill('5');
        await page.getByRole('button', { name: 'Create payment link' }).click();
        await page.getByRole('heading', { name: 'Ankara dress', level: 1 }).waitFor();
        const linkUrl = await page.getByRole('textbox', { name: 'Payment link URL' }).inputValue();
        expect(linkUrl).toMatch(new RegExp(`^${api.url()}/pay/[\\w-]+$`));
        const qr = page.getByRole('img', { name: `QR code of the payment link ${linkUrl}` });
        expect(await qr.getAttribute('src')).toBe(`${new URL(linkUrl).pathname}/qr.svg`);
        await expect
          .poll(() => qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
          .toBeGreaterThan(0);
        expect(problems.filter((p) => /content security policy/i.test(p))).toEqual([]);
        const link = (await merchantApi.paymentLinks.list()).data[0];
        expect(link).toEqual(
          expect.objectContaining({
            url: linkUrl,
            title: 'Ankara dress',
            description: 'Size M, made to order',
            amount: 2500050,
            currency: 'NGN',
            providers: ['paystack'],
            maxPayments: 5,
            active: true,
          }),
        );
        const linkId = link?.id ?? '';
        // The URL to share, copied as it is; the QR code as a PNG to print.
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api.url() });
        await page.getByRole('button', { name: 'Copy Payment link URL' }).click();
        await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
        expect(
          await page.evaluate(() =>
            // Runs in the page (this file has no DOM types): what the button put on the clipboard.
            (
              globalThis as unknown as { navigator: { clipboard: { readText: () => Promise<string> } } }
            ).navigator.clipboard.readText(),
          ),
        ).toBe(linkUrl);
        const [png] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('link', { name: 'Download QR code (PNG)' }).click(),
        ]);
        expect(png.suggestedFilename()).toBe(`${linkId}-qr.png`);
        expect(
          readFileSync((await png.path()) ?? '')
            .subarray(1, 4)
            .toString(),
        ).toBe('PNG');

        // A customer pays through the hosted page (its form, posted as a browser posts it): the
        // payment is listed on the link's page, linked to its own page; the count goes up.
        const hosted = await (await fetch(linkUrl)).text();
        const token = /name="token" value="([^"]+)"/.exec(hosted)?.[1] ?? '';
        const paid = await fetch(linkUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token, email: 'bola@example.com', provider: 'paystack' }).toString(),
          redirect: 'manual',
        });
        expect(paid.status).toBe(303);
        const [linkPayment] = (await merchantApi.paymentLinks.payments(linkId)).data;
        expect(linkPayment?.amount).toBe(2500050);
        const linkPayments = page.getByRole('table', { name: 'Payments through this link, newest first' });
        const linkPaymentRow = linkPayments.locator(`tr[data-payment-id="${linkPayment?.id}"]`);
        await linkPaymentRow.waitFor({ timeout: 15_000 });
        expect(await linkPaymentRow.textContent()).toContain('NGN\u00a025,000.50');
        expect(await linkPaymentRow.textContent()).toContain('bola@example.com');
        await page.getByRole('definition').getByText('1 / 5').waitFor({ timeout: 15_000 });
        await a11yAndScreenshot(page, a11y, 'Payment link detail', 'payment-link-detail');
        await linkPaymentRow.getByRole('link', { name: linkPayment?.id ?? '' }).click();
        await page.getByRole('heading', { name: `Payment ${linkPayment?.id}`, level: 1 }).waitFor();
        await page.goBack();

        // Deactivated: the hosted page answers a clear 4xx; the list shows it off, and its switch
        // turns it back on.
        await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
        await page.getByRole('button', { name: 'Activate', exact: true }).waitFor();
        await page.getByRole('definition').getByText('inactive').waitFor();
        expect((await merchantApi.paymentLinks.get(linkId)).active).toBe(false);
        const off = await fetch(linkUrl);
        expect(off.status).toBeGreaterThanOrEqual(400);
        expect(off.status).toBeLessThan(500);
        await nav(page, 'Payment links').click();
        const linkRow = page.locator(`tr[data-link-id="${linkId}"]`);
        await linkRow.waitFor();
        expect(await linkRow.textContent()).toContain('NGN\u00a025,000.50');
        expect(await linkRow.textContent()).toContain('1 / 5');
        expect(await linkRow.textContent()).toContain('Never');
        const activeSwitch = linkRow.getByRole('switch', { name: 'Active: Ankara dress' });
        expect(await activeSwitch.isChecked()).toBe(false);
        await a11yAndScreenshot(page, a11y, 'Payment links with data', 'payment-links-with-data');
        await activeSwitch.check();
        await expect.poll(async () => (await merchantApi.paymentLinks.get(linkId)).active).toBe(true);
        expect((await fetch(linkUrl)).status).toBe(200);

        // The new page on a 360 px phone: the list and the detail with its QR.
        await page.setViewportSize({ width: 360, height: 740 });
        await a11yAndScreenshot(page, a11y, 'Payment links at 360 px', 'payment-links-360');
        await linkRow.getByRole('link', { name: 'Ankara dress' }).click();
        await page.getByRole('heading', { name: 'Ankara dress', level: 1 }).waitFor();
        await linkPaymentRow.waitFor();
        await a11yAndScreenshot(page, a11y, 'Payment link at 360 px', 'payment-link-detail-360');
        expect(await pageWidth(page)).toBe(360);
        if (desktop) await page.setViewportSize(desktop);

        // The provider's health: the sandbox's webhook was accepted; one signature refused (the
        // forged webhook sent to the payment's timeline above), with a warning in words.
        await nav(page, 'Providers').click();
        const health = page.getByRole('region', { name: 'Paystack webhook health' });
        await health.waitFor();
        const healthValues = health.getByRole('definition');
        expect(await healthValues.nth(0).textContent()).not.toBe('none yet');
        expect(await healthValues.nth(1).textContent()).toMatch(/^1 • warning check the webhook secret/);
        expect(await healthValues.nth(2).textContent()).toMatch(/settled by Paystack’s webhook/);
        a11y['Providers with health'] = await seriousA11yViolations(page);
        await screenshot(page, 'providers-health');

        // Live mode: none of the test data.
        await modeSwitch.uncheck();
        await page.getByRole('note').filter({ hasText: 'Live mode' }).waitFor();
        await nav(page, 'Payments').click();
        await page.getByText('No payments yet').waitFor();
        expect(await page.getByRole('main').textContent()).not.toContain(payment.id);
        await nav(page, 'Refunds').click();
        await page.getByText('No refunds yet.').waitFor();
        await nav(page, 'Balance').click();
        await page.getByText('No balance yet').waitFor();
        expect(await page.getByRole('main').textContent()).not.toContain(payment.id);
        await nav(page, 'Webhooks').click();
        await page.getByText('No endpoints yet').waitFor();
        await nav(page, 'Providers').click();
        await page.getByRole('heading', { name: 'Paystack' }).waitFor();
        expect(await page.getByRole('textbox', { name: 'Paystack webhook URL' }).count()).toBe(0);
        await screenshot(page, 'live-mode');

        expect(a11y).toEqual(Object.fromEntries(Object.keys(a11y).map((k) => [k, []])));
        expect(problems).toEqual([]);
      });
    },
  );

  it.skipIf(browserMissing !== undefined)(
    'resets a forgotten password: the request from the sign-in page, the emailed link, a new password, signed in with it',
    { timeout: 90_000 },
    async () => {
      const m = await registerMerchant(api.request, 'Reset Shop', { verified: false });
      await withBrowser(async (context) => {
        const { page, problems } = await open(context);
        const a11y: Record<string, string[]> = {};
        const phone = { width: 360, height: 740 };
        const wide = page.viewportSize();
        const atBothWidths = async (name: string, file: string) => {
          await a11yAndScreenshot(page, a11y, name, file);
          await page.setViewportSize(phone);
          await a11yAndScreenshot(page, a11y, `${name} at 360 px`, `${file}-360`);
          expect(await pageWidth(page)).toBe(360);
          if (wide) await page.setViewportSize(wide);
        };

        // The request: the same answer whether or not an account uses the address.
        await page.getByRole('link', { name: 'Forgot password?' }).click();
        await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
        await atBothWidths('Forgot password', 'forgot-password');
        const nobody = `nobody-${randomUUID()}@example.com`;
        await page.getByLabel('Email').fill(nobody);
        await page.getByRole('button', { name: 'Email me a reset link' }).click();
        await page
          .getByRole('status')
          .filter({ hasText: `If an account exists for ${nobody}` })
          .waitFor();
        await page.getByLabel('Email').fill(m.email);
        await page.getByRole('button', { name: 'Email me a reset link' }).click();
        await page
          .getByRole('status')
          .filter({ hasText: `If an account exists for ${m.email}` })
          .waitFor();
        await atBothWidths('Forgot password: sent', 'forgot-password-sent');
        expect(await (await api.request(`/_local/outbox?to=${encodeURIComponent(nobody)}`)).json()).toEqual({
          data: [],
        });

        // The emailed link opens the new-password form; the token leaves the address bar.
        const { link } = await outboxLink(m.email, 'password_reset');
        expect(link).toMatch(new RegExp(`^${api.url()}/reset-password#token=pbr_[\\w-]+$`));
        await page.goto(link);
        await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
        expect(page.url()).toBe(`${api.url()}/reset-password`);
        await atBothWidths('Reset password', 'reset-password');

        // The sign-up rules, checked before anything is sent; then the new password.
        await page.getByLabel('New password', { exact: true }).fill('too short');
        await page.getByLabel('Confirm new password').fill('too short!');
        await page.getByRole('button', { name: 'Set new password' }).click();
        await page.getByText('Use at least 12 characters.').waitFor();
        await page.getByText('The two passwords are not the same.').waitFor();
        await atBothWidths('Reset password: problems', 'reset-password-problems');
        const newPassword = `new-pw-${randomUUID()}`;
        await page.getByLabel('New password', { exact: true }).fill(newPassword);
        await page.getByLabel('Confirm new password').fill(newPassword);
        await page.getByRole('button', { name: 'Set new password' }).click();

        // Then the sign-in page: the old password no longer works, the new one does.
        await page.getByRole('heading', { name: 'Sign in to your dashboard' }).waitFor();
        await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
        expect(page.url()).toBe(`${api.url()}/`);
        await a11yAndScreenshot(page, a11y, 'Sign in after reset', 'sign-in-after-reset');
        await page.getByLabel('Email').fill(m.email);
        await page.getByLabel('Password').fill(m.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').filter({ hasText: 'The email or password is incorrect.' }).waitFor();
        await page.getByLabel('Password').fill(newPassword);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
        // The link proved the address too: no verification notice.
        await page.getByRole('note').filter({ hasText: 'Test mode' }).waitFor();
        expect(await page.getByRole('region', { name: 'Verify your email to use live mode' }).count()).toBe(
          0,
        );

        // The link works once.
        await page.goto(link);
        await page.getByLabel('New password', { exact: true }).fill(`other-${newPassword}`);
        await page.getByLabel('Confirm new password').fill(`other-${newPassword}`);
        await page.getByRole('button', { name: 'Set new password' }).click();
        await page.getByRole('alert').filter({ hasText: 'This link has already been used.' }).waitFor();
        await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
        await a11yAndScreenshot(page, a11y, 'Reset password: used link', 'reset-password-used');

        expect(a11y).toEqual(Object.fromEntries(Object.keys(a11y).map((k) => [k, []])));
        expect(problems).toEqual([]);
      });
    },
  );

  it.skipIf(browserMissing !== undefined)(
    'shows merchant B none of merchant A’s data after A signs out in the same tab',
    { timeout: 90_000 },
    async () => {
      const a = await registerMerchant(api.request, 'Shop A');
      const { key } = await createKey(api.request, a, 'test', 'full');
      const asA = createClient({ baseUrl: api.url(), apiKey: key });
      await asA.providers.configure('paystack', { mode: 'test', ...testCredentials('paystack') });
      const payment = await asA.payments.create(
        { amount: 4200, currency: 'NGN', customer: { email: 'a@a.example' } },
        { idempotencyKey: `tenancy-${Date.now()}` },
      );
      await asA.webhookEndpoints.create({ url: receiver.url('/a-hooks'), events: ['*'] });

      await withBrowser(async (context) => {
        const { page, problems } = await open(context);
        await page.getByLabel('Email').fill(a.email);
        await page.getByLabel('Password').fill(a.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await nav(page, 'Payments').click();
        await page.locator(`tr[data-payment-id="${payment.id}"]`).waitFor();
        await nav(page, 'Webhooks').click();
        await page.getByText(receiver.url('/a-hooks')).first().waitFor();
        const loadedBefore = await page.evaluate(() => performance.timeOrigin);

        await page.getByRole('button', { name: 'Sign out', exact: true }).click();
        await page.getByRole('heading', { name: 'Sign in to your dashboard' }).waitFor();
        // No token left behind in web storage, and the refresh cookie is gone.
        expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
        expect(await context.cookies()).toEqual([]);
        await signUp(page, `owner-${randomUUID()}@example.com`, 'Shop B');
        expect(await page.evaluate(() => performance.timeOrigin)).toBe(loadedBefore); // same app, no reload

        await nav(page, 'Payments').click();
        await page.getByText('No payments yet').waitFor();
        await nav(page, 'Webhooks').click();
        await page.getByText('No endpoints yet').waitFor();
        await nav(page, 'API keys').click();
        await page.getByText('No API keys yet.').waitFor();
        await nav(page, 'Overview').click();
        await page.getByText('No payments in the last 30 days.').waitFor();
        const text =
          (await page.content()) +
          (await page.evaluate(() => JSON.stringify([localStorage, sessionStorage])));
        expect(text).not.toContain(payment.id);
        expect(text).not.toContain('a-hooks');
        expect(text).not.toContain('Shop A');

        // "Sign out everywhere" ends B's sessions: a reload finds no session to restore.
        await page.getByRole('button', { name: 'Sign out everywhere' }).click();
        await page.getByRole('heading', { name: 'Sign in to your dashboard' }).waitFor();
        expect(await context.cookies()).toEqual([]);
        await page.reload();
        await page.getByRole('heading', { name: 'Sign in to your dashboard' }).waitFor();
        expect(problems).toEqual([]);
      });
    },
  );
});
