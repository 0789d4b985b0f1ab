import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserMissing, withBrowser } from '#test/browser';
import { useApi } from '#test/http';

const api = useApi();

describe('GET /docs in a browser', () => {
  // Without Chromium this skips, and test/support/browser.ts prints why; CI installs it.
  it.skipIf(browserMissing !== undefined)(
    'renders the API reference from our own assets, with no console errors and no request to another host',
    { timeout: 90_000 },
    async () => {
      const origin = new URL(api.url()).origin;
      await withBrowser(async (context) => {
        const page = context.pages()[0] ?? (await context.newPage());
        const consoleErrors: string[] = [];
        const elsewhere: string[] = [];
        const failed: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') consoleErrors.push(message.text());
        });
        page.on('pageerror', (error) => consoleErrors.push(error.message));
        page.on('request', (request) => {
          const url = new URL(request.url());
          if (url.protocol !== 'data:' && url.origin !== origin) elsewhere.push(request.url());
        });
        page.on('requestfailed', (request) =>
          failed.push(`${request.url()}: ${request.failure()?.errorText}`),
        );
        page.on('response', (response) => {
          if (response.status() >= 400) failed.push(`${response.url()}: HTTP ${response.status()}`);
        });

        const response = await page.goto(`${api.url()}/docs`);
        expect(response?.status()).toBe(200);
        expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);

        // Swagger UI lists each operation by its path once it has fetched and rendered /openapi.json.
        await page.locator('[data-path="/v1/payments"]').first().waitFor({ timeout: 30_000 });
        await page.getByText('payment.succeeded', { exact: true }).first().waitFor({ timeout: 10_000 });
        expect(await page.locator('[data-path="/v1/webhook-endpoints/{id}"]').count()).toBeGreaterThan(0);
        await page.screenshot({ path: join(tmpdir(), 'paybridge-docs.png') });

        expect(consoleErrors).toEqual([]);
        expect(elsewhere).toEqual([]);
        expect(failed).toEqual([]);
      });
    },
  );
});
