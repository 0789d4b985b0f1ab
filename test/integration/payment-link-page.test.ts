import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProviderName } from '#core/provider-adapter';
import { browserMissing, withBrowser } from '#test/browser';
import { seriousA11yViolations } from '#test/dashboard';
import { useApi } from '#test/http';
import { createKey, registerMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useSandboxes } from '#test/sandbox-fixture';

/**
 * The hosted payment page in Chromium at phone width (360 px): it fits, passes
 * axe-core, names its fields and buttons as customers need, makes no request
 * beyond this API, and pays through one provider's (sandbox) checkout back to a
 * done page that refreshes itself until the payment has succeeded.
 */
vi.hoisted(() => {
  process.env.PAYMENT_LINK_SUBMITS_PER_IP_PER_MINUTE = '100000';
});

const sandboxes = useSandboxes();
usePipeline();
const api = useApi();
const shots = process.env.PAYMENT_LINK_SCREENSHOTS ?? join(tmpdir(), 'paybridge-payment-link-screenshots');

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
});

describe('the hosted payment page in a browser', () => {
  it.skipIf(browserMissing !== undefined)(
    'at 360 px: fits, passes axe, names its controls, stays on this origin, and pays through Stripe',
    { timeout: 90_000 },
    async () => {
      const merchant = await registerMerchant(api.request, 'Mama Nkechi’s Fabrics');
      const { key } = await createKey(api.request, merchant, 'test', 'full');
      for (const provider of ['paystack', 'flutterwave', 'stripe', 'chapa'] as ProviderName[]) {
        const credentials = testCredentials(provider);
        const res = await api.request(`/v1/providers/${provider}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ mode: 'test', ...credentials }),
        });
        expect(res.status).toBe(200);
        const { webhookUrl } = (await res.json()) as { webhookUrl: string };
        await sandboxes.control('PUT', `/${provider}/accounts`, { ...credentials, webhookUrl });
      }
      const created = await api.request('/v1/payment-links', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          currency: 'USD',
          title: 'Ankara fabric, 6 yards',
          description: 'Pick-up at the stall, Balogun market, or delivery in Lagos within 3 days.',
          allowCustomerAmount: { min: 1000, max: 50000 },
          redirectUrl: 'https://shop.example/thanks',
        }),
      });
      expect(created.status).toBe(201);
      const link = (await created.json()) as { url: string };
      const origin = new URL(api.url()).origin;

      await withBrowser(async (context) => {
        const page = await context.newPage();
        await page.setViewportSize({ width: 360, height: 780 });
        const requests: string[] = [];
        const cspErrors: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        page.on('console', (m) => {
          if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text());
        });

        const res = await page.goto(link.url);
        expect(res?.status()).toBe(200);
        await page.screenshot({ path: join(shots, 'payment-link-360.png'), fullPage: true });
        console.log(`payment link screenshots: ${shots}`);

        // Fits a 360 px phone: nothing scrolls sideways.
        const overflow = await page.evaluate(
          () =>
            (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
              .documentElement.scrollWidth,
        );
        expect(overflow).toBeLessThanOrEqual(360);
        expect(await seriousA11yViolations(page)).toEqual([]);

        // What customers (and their screen readers) are told.
        await expect(page.getByRole('heading', { name: 'Ankara fabric, 6 yards' }).count()).resolves.toBe(1);
        await expect(page.getByLabel('Email').count()).resolves.toBe(1);
        await expect(page.getByLabel('Amount').count()).resolves.toBe(1);
        for (const name of [
          /^Pay with card via Stripe$/,
          /^Pay with Paystack$/,
          /^Mobile money via Flutterwave$/,
          /^telebirr \/ CBE Birr via Chapa$/,
        ]) {
          await expect(page.getByRole('button', { name }).count(), String(name)).resolves.toBe(1);
        }

        // An amount out of bounds: the browser's own check stops it (min/max on the field)…
        await page.getByLabel('Email').fill('ada@example.com');
        await page.getByLabel('Amount').fill('5');
        await page.getByRole('button', { name: /Pay with card/ }).click();
        expect(page.url()).toBe(link.url);
        // …and without it (an old browser), the server answers the same page, saying why, still accessible.
        await page.evaluate(() => {
          const doc = (globalThis as unknown as { document: { forms: { noValidate: boolean }[] } }).document;
          (doc.forms[0] as { noValidate: boolean }).noValidate = true;
        });
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 422),
          page.getByRole('button', { name: /Pay with card/ }).click(),
        ]);
        expect(await page.getByRole('alert').innerText()).toMatch(/from \$10\.00 to \$500\.00/);
        expect(await seriousA11yViolations(page)).toEqual([]);
        await page.screenshot({ path: join(shots, 'payment-link-360-error.png'), fullPage: true });

        // Every request so far went to this API alone: no font, script or pixel from anyone else.
        expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);

        // Pay 25.00 by card: the sandbox's Stripe checkout, its Pay button, back to the done page.
        await page.getByLabel('Amount').fill('25');
        await Promise.all([
          page.waitForURL((u) => u.href.startsWith(sandboxes.sandbox().url)),
          page.getByRole('button', { name: /Pay with card/ }).click(),
        ]);
        expect(page.url()).toContain('/stripe/');
        await Promise.all([
          page.waitForURL((u) => u.href.includes('/done?payment=pay_')),
          page.getByRole('button', { name: 'Pay', exact: true }).click(),
        ]);
        // Pending pages refresh themselves until the webhook has settled the payment.
        await page.getByText('Payment succeeded').waitFor({ timeout: 30_000 });
        expect(await page.getByText('$25.00 paid to Mama Nkechi’s Fabrics').count()).toBe(1);
        expect(await page.getByRole('link', { name: /Continue to Mama Nkechi/ }).getAttribute('href')).toBe(
          'https://shop.example/thanks',
        );
        expect(await seriousA11yViolations(page)).toEqual([]);
        await page.screenshot({ path: join(shots, 'payment-link-360-done.png'), fullPage: true });
        expect(cspErrors).toEqual([]);
      });
    },
  );
});
