import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '#client';
import type { ProviderName } from '#core/provider-adapter';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useReceiver } from '#test/receiver';
import { useSandboxes } from '#test/sandbox-fixture';

/**
 * Payment links end to end (issue 17): a link is created through the API, its
 * page opened over HTTP, its form submitted for each provider, the customer
 * pays on that provider's sandbox checkout, the provider's webhook settles the
 * payment through the pipeline, the done page shows it and the merchant's
 * endpoint receives `payment.succeeded` carrying `paymentLinkId`.
 */
vi.hoisted(() => {
  process.env.WEBHOOK_RETRY_SCHEDULE = '0,1,1';
  // Every request here comes from 127.0.0.1: the per-address limit is not what is tested (the per-link one is).
  process.env.PAYMENT_LINK_SUBMITS_PER_IP_PER_MINUTE = '100000';
  process.env.PAYMENT_LINK_SUBMITS_PER_LINK_PER_MINUTE = '6';
});

const sandboxes = useSandboxes();
usePipeline();
const receiver = useReceiver();
const api = useApi();

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
});

const providers: readonly ProviderName[] = ['paystack', 'flutterwave', 'stripe', 'chapa'];

interface Link {
  id: string;
  url: string;
  qrCodeUrl: string;
  active: boolean;
  paymentsCount: number;
  maxPayments: number | null;
}

let merchant: TestMerchant;
let key: string;
const hookPath = '/merchant/links';

beforeAll(async () => {
  merchant = await registerMerchant(api.request, 'Ankara Shop');
  key = (await createKey(api.request, merchant, 'test', 'full')).key;
  for (const provider of providers) {
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
  const endpoint = await api.request('/v1/webhook-endpoints', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ url: receiver.url(hookPath), events: ['*'] }),
  });
  expect(endpoint.status).toBe(201);
});

async function createLink(body: Record<string, unknown>): Promise<Link> {
  const res = await api.request('/v1/payment-links', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ currency: 'USD', title: 'Ankara tote bag', ...body }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Link;
}

const getLink = async (id: string): Promise<Link> =>
  (await (await api.request(`/v1/payment-links/${id}`, bearer(key))).json()) as Link;

/** Opens the page as a customer: status, HTML and the form's one-time token. */
async function openPage(
  url: string,
): Promise<{ status: number; html: string; token: string; res: Response }> {
  const res = await fetch(url);
  const html = await res.text();
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return { status: res.status, html, token, res };
}

/** Submits the form as a browser does (urlencoded), without following the redirect. */
const submit = (url: string, fields: Record<string, string>): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out; last value: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('a link through each provider', () => {
  it.each(providers)(
    'create → page → %s → its sandbox checkout → paid → done page succeeded → payment.succeeded with paymentLinkId',
    async (provider) => {
      const link = await createLink({ amount: 2500, redirectUrl: 'https://shop.example/thanks' });
      expect(link.id).toMatch(/^plink_[0-9A-Z]{26}$/);
      expect(link.url).toMatch(new RegExp(`^${api.url()}/pay/[A-Za-z0-9_-]{22}$`));
      expect(link.qrCodeUrl).toBe(`${link.url}/qr.svg`);
      expect(link).toMatchObject({ active: true, paymentsCount: 0 });

      const page = await openPage(link.url);
      expect(page.status).toBe(200);
      expect(page.res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(page.html).toContain('Ankara Shop');
      expect(page.html).toContain('$25.00');
      // One button per provider enabled for USD, labelled for customers.
      for (const label of ['Pay with card', 'Pay with Paystack', 'Mobile money', 'telebirr / CBE Birr']) {
        expect(page.html).toContain(label);
      }
      expect(page.token).toMatch(/^[A-Za-z0-9_-]{22}$/);

      const res = await submit(link.url, { token: page.token, email: 'ada@example.com', provider });
      expect(res.status, await res.clone().text()).toBe(303);
      const checkout = res.headers.get('location') as string;
      expect(checkout.startsWith(`${sandboxes.sandbox().url}/${provider}/`)).toBe(true);

      // The customer pays on the provider's page, which sends them back to our done page.
      const paid = await sandboxes.clickOn(checkout, 'success');
      expect(paid.status, JSON.stringify(paid.body)).toBe(200);
      const back = paid.body.redirectUrl as string;
      expect(back.startsWith(`${link.url}/done?session=${page.token}`)).toBe(true);
      const found = await fetch(back, { redirect: 'manual' });
      expect(found.status).toBe(303);
      const done = new URL(found.headers.get('location') as string, link.url).href;
      expect(done).toMatch(/\/done\?payment=pay_[0-9A-Z]{26}$/);
      const paymentId = new URL(done).searchParams.get('payment') as string;

      const first = await (await fetch(done)).text();
      expect(first).toMatch(/Waiting for confirmation|Payment succeeded/);
      const settled = await until(
        async () => (await fetch(done)).text(),
        (html) => html.includes('Payment succeeded'),
      );
      expect(settled).toContain('href="https://shop.example/thanks"');
      expect(settled).not.toContain('http-equiv="refresh"');

      const event = await until(
        async () =>
          receiver
            .received(hookPath)
            .map((r) => JSON.parse(r.body) as { type: string; data: { object: Record<string, unknown> } })
            .find((e) => e.type === 'payment.succeeded' && e.data.object.id === paymentId),
        (e) => e !== undefined,
      );
      expect(event?.data.object).toMatchObject({
        id: paymentId,
        provider,
        amount: 2500,
        currency: 'USD',
        paymentLinkId: link.id,
        status: 'succeeded',
        customer: { email: 'ada@example.com' },
      });

      // The payment appears wherever payments do, and under its link.
      const viaLink = await api.request(`/v1/payment-links/${link.id}/payments`, bearer(key));
      expect(((await viaLink.json()) as { data: { id: string }[] }).data.map((p) => p.id)).toEqual([
        paymentId,
      ]);
      const filtered = await api.request(`/v1/payments?paymentLink=${link.id}`, bearer(key));
      expect(((await filtered.json()) as { data: { id: string }[] }).data.map((p) => p.id)).toEqual([
        paymentId,
      ]);
      expect((await getLink(link.id)).paymentsCount).toBe(1);
    },
  );
});

describe('one form, one payment', () => {
  it('a double submit (two taps at once, then a third) starts one payment and one checkout', async () => {
    const link = await createLink({ amount: 1000, maxPayments: 5 });
    const { token } = await openPage(link.url);
    const fields = { token, email: 'double@example.com', provider: 'stripe' };
    const [a, b] = await Promise.all([submit(link.url, fields), submit(link.url, fields)]);
    const c = await submit(link.url, fields);
    expect([a.status, b.status, c.status]).toEqual([303, 303, 303]);
    const locations = new Set([a, b, c].map((r) => r.headers.get('location')));
    expect(locations.size).toBe(1);
    const listed = await api.request(`/v1/payment-links/${link.id}/payments`, bearer(key));
    expect(((await listed.json()) as { data: unknown[] }).data).toHaveLength(1);
    expect((await getLink(link.id)).paymentsCount).toBe(1);
    // The same token with another choice is refused with a page, not a second payment.
    const other = await submit(link.url, { ...fields, provider: 'paystack' });
    expect(other.status).toBe(409);
    expect(await other.text()).toContain('already sent');
  });
});

describe('refusals are clear pages', () => {
  it('a customer amount outside the bounds, malformed or missing answers 422 with the form and why', async () => {
    const link = await createLink({ allowCustomerAmount: { min: 1000, max: 5000 } });
    const page = await openPage(link.url);
    expect(page.html).toMatch(/<label for="amount">Amount/);
    expect(page.html).toMatch(/<label for="email">Email/);
    for (const amount of ['5', '50.01', 'abc', '']) {
      const res = await submit(link.url, { token: page.token, email: 'a@b.co', provider: 'stripe', amount });
      expect(res.status, amount).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toMatch(/role="alert"[^>]*>[^<]*(from \$10\.00 to \$50\.00)/);
      expect(html).toContain(`value="${page.token}"`);
    }
    const bad = await submit(link.url, {
      token: page.token,
      email: 'not-an-email',
      provider: 'stripe',
      amount: '20',
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Enter your email address');
    const ok = await submit(link.url, {
      token: page.token,
      email: 'a@b.co',
      provider: 'stripe',
      amount: '20',
    });
    expect(ok.status).toBe(303);
    const payments = await api.request(`/v1/payments?paymentLink=${link.id}`, bearer(key));
    expect(((await payments.json()) as { data: { amount: number }[] }).data.map((p) => p.amount)).toEqual([
      2000,
    ]);
  });

  it('an inactive link answers 410 for the page and the form; active again, it takes payments', async () => {
    const link = await createLink({ amount: 1000 });
    const { token } = await openPage(link.url);
    const off = await api.request(`/v1/payment-links/${link.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ active: false }),
    });
    expect(off.status).toBe(200);
    expect(((await off.json()) as Link).active).toBe(false);
    const page = await openPage(link.url);
    expect(page.status).toBe(410);
    expect(page.html).toContain('turned off');
    const res = await submit(link.url, { token, email: 'a@b.co', provider: 'paystack' });
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('turned off');
    expect((await getLink(link.id)).paymentsCount).toBe(0);
    await api.request(`/v1/payment-links/${link.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ active: true }),
    });
    expect((await submit(link.url, { token, email: 'a@b.co', provider: 'paystack' })).status).toBe(303);
  });

  it('maxPayments reached answers 410 (sold out), enforced by the counter even for a page opened before', async () => {
    const link = await createLink({ amount: 1000, maxPayments: 1 });
    const [first, second] = [await openPage(link.url), await openPage(link.url)];
    expect(
      (await submit(link.url, { token: first.token, email: 'a@b.co', provider: 'paystack' })).status,
    ).toBe(303);
    const late = await submit(link.url, { token: second.token, email: 'c@d.co', provider: 'paystack' });
    expect(late.status).toBe(410);
    expect(await late.text()).toContain('sold out');
    const page = await openPage(link.url);
    expect(page.status).toBe(410);
    expect((await getLink(link.id)).paymentsCount).toBe(1);
  });

  it('concurrent customers on the last payments: the counter lets exactly maxPayments through', async () => {
    const link = await createLink({ amount: 1000, maxPayments: 2, redirectUrl: 'https://shop.example/r' });
    const pages = await Promise.all(Array.from({ length: 5 }, () => openPage(link.url)));
    const answers = await Promise.all(
      pages.map((p, i) => submit(link.url, { token: p.token, email: `c${i}@d.co`, provider: 'paystack' })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(2);
    // The rest were refused: sold out, or (over the per-link limit) too many attempts.
    expect(statuses.filter((s) => s !== 303).every((s) => s === 410 || s === 429)).toBe(true);
    const listed = await api.request(`/v1/payment-links/${link.id}/payments`, bearer(key));
    expect(((await listed.json()) as { data: unknown[] }).data).toHaveLength(2);
  });

  it('an expired link answers 410 (expired)', async () => {
    const link = await createLink({ amount: 1000, expiresAt: new Date(Date.now() + 1500).toISOString() });
    const { token, status } = await openPage(link.url);
    expect(status).toBe(200);
    await new Promise((r) => setTimeout(r, 1700));
    const page = await openPage(link.url);
    expect(page.status).toBe(410);
    expect(page.html).toContain('expired');
    const res = await submit(link.url, { token, email: 'a@b.co', provider: 'paystack' });
    expect(res.status).toBe(410);
  });

  it('an unknown link, a form without its token, and a JSON body answer pages, not error dumps', async () => {
    const link = await createLink({ amount: 1000 });
    const missing = await fetch(`${api.url()}/pay/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Payment page not found');
    const noToken = await submit(link.url, { email: 'a@b.co', provider: 'paystack' });
    expect(noToken.status).toBe(400);
    expect(await noToken.text()).toContain('Reload the payment page');
    const json = await fetch(link.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'x' }),
    });
    expect(json.status).toBe(415);
    expect(json.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('limits submissions per link: past the limit in a minute, 429 with Retry-After', async () => {
    const link = await createLink({ amount: 1000 });
    const { token } = await openPage(link.url);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    // 14 attempts at a limit of 6 a minute: however the minute's window falls, one half is over it.
    for (let i = 0; i < 14; i++) {
      const res = await submit(link.url, { token, email: 'bad', provider: 'paystack' });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 429).every((s) => s === 422)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});

describe('the QR code and the API', () => {
  it('serves the QR code as SVG and PNG, cacheable', async () => {
    const link = await createLink({ amount: 1000 });
    const svg = await fetch(link.qrCodeUrl);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(await svg.text()).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const png = await fetch(link.qrCodeUrl.replace(/\.svg$/, '.png'));
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  });

  it('is in the typed client: create, get, update, list, payments', async () => {
    const paybridge = createClient({ baseUrl: api.url(), apiKey: key });
    const link = await paybridge.paymentLinks.create({ amount: 700, currency: 'USD', title: 'Client tote' });
    expect(link.url).toMatch(/\/pay\//);
    expect((await paybridge.paymentLinks.get(link.id)).title).toBe('Client tote');
    expect((await paybridge.paymentLinks.update(link.id, { title: 'Renamed' })).title).toBe('Renamed');
    expect((await paybridge.paymentLinks.list({ limit: 5 })).data.map((l) => l.id)).toContain(link.id);
    expect((await paybridge.paymentLinks.payments(link.id)).data).toEqual([]);
  });

  it('lists links newest first and refuses a link with both amount kinds (422) or a provider that cannot take the currency', async () => {
    const newer = await createLink({ amount: 1234 });
    const list = await api.request('/v1/payment-links?limit=2', bearer(key));
    const page = (await list.json()) as { data: Link[]; hasMore: boolean };
    expect(page.data[0]?.id).toBe(newer.id);
    expect(page.hasMore).toBe(true);
    const both = await api.request('/v1/payment-links', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        currency: 'USD',
        title: 't',
        amount: 1,
        allowCustomerAmount: { min: 1, max: 2 },
      }),
    });
    expect(both.status).toBe(400);
    const chapaNgn = await api.request('/v1/payment-links', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ currency: 'NGN', title: 't', amount: 100, providers: ['chapa'] }),
    });
    expect(chapaNgn.status).toBe(422);
  });
});
