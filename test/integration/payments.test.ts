import { beforeAll, describe, expect, it } from 'vitest';
import { defaultMaxAmounts } from '#core/money';
import type { ProviderName } from '#core/provider-adapter';
import { checkMerchantLedger } from '#app/ledger-check';
import { setAmountLimit } from '#store/payments';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { testCredentials } from '#test/providers';
import { fetchJson, useSandboxes } from '#test/sandbox-fixture';

const sandboxes = useSandboxes();
const api = useApi();

beforeAll(() => {
  // Point the adapters at this file's sandboxes (configuration is read at first use).
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
});

interface Shop {
  merchant: TestMerchant;
  key: string;
  credentials: Partial<Record<ProviderName, { secretKey: string; webhookSecret?: string }>>;
}

async function shopWith(providers: ProviderName[]): Promise<Shop> {
  const merchant = await registerMerchant(api.request);
  const { key } = await createKey(api.request, merchant, 'test', 'full');
  const shop: Shop = { merchant, key, credentials: {} };
  for (const provider of providers) {
    const credentials = testCredentials(provider);
    shop.credentials[provider] = credentials;
    const res = await api.request(`/v1/providers/${provider}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ mode: 'test', ...credentials }),
    });
    if (res.status !== 200) throw new Error(`configure ${provider}: ${res.status} ${await res.text()}`);
  }
  return shop;
}

type PaymentBody = {
  id: string;
  status: string;
  amount: number;
  currency: string;
  provider: string;
  checkoutUrl: string;
  providerReference: string;
  attempts: { provider: string; outcome: string }[];
};

const pay = (shop: Shop, body: Record<string, unknown>, key = `idem-${Math.random()}`) =>
  api.request('/v1/payments', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${shop.key}`,
      'idempotency-key': key,
    },
    body: JSON.stringify({
      customer: { email: 'buyer@example.com', name: 'Ada Buyer' },
      redirectUrl: 'https://shop.example/done',
      ...body,
    }),
  });

const verify = async (shop: Shop, id: string) => {
  const res = await api.request(`/v1/payments/${id}/verify`, { method: 'POST', ...bearer(shop.key) });
  expect(res.status).toBe(200);
  return (await res.json()) as PaymentBody;
};

const cases: { provider: ProviderName; amount: number; currency: string }[] = [
  { provider: 'paystack', amount: 1075050, currency: 'NGN' },
  { provider: 'flutterwave', amount: 5000, currency: 'UGX' },
  { provider: 'stripe', amount: 1999, currency: 'USD' },
  { provider: 'chapa', amount: 10025, currency: 'ETB' },
];

describe.each(cases)('payments through $provider', ({ provider, amount, currency }) => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await shopWith([provider]);
  });

  it('creates a pending payment, completes it on the sandbox and verifies it as succeeded', async () => {
    const res = await pay(shop, {
      amount,
      currency,
      reference: `order-${provider}-1`,
      metadata: { order: '1042' },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as PaymentBody;
    expect(created).toMatchObject({
      id: expect.stringMatching(/^pay_/),
      status: 'pending',
      amount,
      currency,
      provider,
      mode: 'test',
      reference: `order-${provider}-1`,
      metadata: { order: '1042' },
      checkoutUrl: expect.stringContaining(sandboxes.sandbox().url),
    });
    expect((await fetchJson(created.checkoutUrl)).status).toBe(200); // the customer opens the page
    expect((await sandboxes.clickOn(created.checkoutUrl, 'success')).status).toBeLessThan(400);
    const verified = await verify(shop, created.id);
    expect(verified).toMatchObject({ id: created.id, status: 'succeeded', amount, currency });

    const got = await api.request(`/v1/payments/${created.id}`, bearer(shop.key));
    const read = (await got.json()) as Record<string, unknown>;
    expect(read).toMatchObject({ status: 'succeeded' });
    // One field order for every answer about a payment, `id` first, as created.
    expect(Object.keys(read)).toEqual(Object.keys(created));
    expect(Object.keys(verified)).toEqual(Object.keys(created));
    expect(Object.keys(created)[0]).toBe('id');
    const listed = await api.request(`/v1/payments?reference=order-${provider}-1`, bearer(shop.key));
    const first = ((await listed.json()) as { data: Record<string, unknown>[] }).data[0] ?? {};
    expect(Object.keys(first)).toEqual(Object.keys(created));
  });

  it('records a declined payment as failed (Stripe: an abandoned session expires)', async () => {
    const created = (await (await pay(shop, { amount, currency })).json()) as PaymentBody;
    await fetchJson(created.checkoutUrl);
    if (provider === 'stripe') {
      // Stripe keeps a declined session open for another card; it ends by expiring.
      const expire = await fetchJson(
        `${sandboxes.sandbox().baseUrls.stripe}/v1/checkout/sessions/${created.providerReference}/expire`,
        { method: 'POST', headers: { authorization: `Bearer ${shop.credentials.stripe?.secretKey}` } },
      );
      expect(expire.status).toBe(200);
      expect((await verify(shop, created.id)).status).toBe('expired');
    } else {
      await sandboxes.clickOn(created.checkoutUrl, 'decline');
      expect((await verify(shop, created.id)).status).toBe('failed');
    }
    // Terminal: verifying again changes nothing.
    const again = await verify(shop, created.id);
    expect(['failed', 'expired']).toContain(again.status);
  });

  it('posts every captured payment to the ledger, and the ledger holds', async () => {
    const balance = (await (await api.request('/v1/balance', bearer(shop.key))).json()) as {
      balances: { provider: string; currency: string; available: number }[];
    };
    // The first test's payment succeeded: its charge (less the provider's fee, where reported) is available.
    expect(
      balance.balances.find((b) => b.provider === provider && b.currency === currency)?.available,
    ).toBeGreaterThan(0);
    expect(await checkMerchantLedger(shop.merchant.merchantId, 'test')).toEqual([]);
  });
});

describe('idempotency', () => {
  it('turns 50 concurrent creates with one key into exactly one payment and one provider call', async () => {
    const shop = await shopWith(['paystack']);
    const before = (await sandboxes.control('GET', '/paystack/calls')).body.count as number;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => pay(shop, { amount: 5000, currency: 'NGN' }, 'same-key-50')),
    );
    const bodies = (await Promise.all(results.map((r) => r.json()))) as PaymentBody[];
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const ids = new Set(bodies.filter((_, i) => statuses[i] === 201).map((b) => b.id));
    expect(ids.size).toBe(1);
    const after = (await sandboxes.control('GET', '/paystack/calls')).body as {
      count: number;
      calls: { path: string }[];
    };
    const inits = after.calls.slice(before).filter((c) => c.path.endsWith('/transaction/initialize'));
    expect(inits).toHaveLength(1);
    const list = await api.request('/v1/payments?limit=100', bearer(shop.key));
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it('replays the first response for the same key and body, and refuses the same key with another body (409)', async () => {
    const shop = await shopWith(['paystack']);
    const first = await pay(shop, { amount: 100000, currency: 'NGN' }, 'order-77');
    const again = await pay(shop, { amount: 100000, currency: 'NGN' }, 'order-77');
    expect(again.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    const other = await pay(shop, { amount: 100001, currency: 'NGN' }, 'order-77');
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
  });

  it('requires an Idempotency-Key from every caller, API key and dashboard alike', async () => {
    const shop = await shopWith(['paystack']);
    for (const credential of [shop.key, shop.merchant.accessToken]) {
      const res = await api.request('/v1/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify({ amount: 100, currency: 'NGN', customer: { email: 'a@example.com' } }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 'idempotency_key_required', param: 'Idempotency-Key' },
      });
    }
  });
});

describe('routing', () => {
  it('falls back to the next provider when the first answers 503, recording both attempts', async () => {
    const shop = await shopWith(['paystack', 'flutterwave']);
    await sandboxes.control('POST', '/paystack/knobs', { failNext: 1 });
    const res = await pay(shop, { amount: 250000, currency: 'NGN' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as PaymentBody;
    expect(body.provider).toBe('flutterwave');
    expect(body.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['paystack', 'failed'],
      ['flutterwave', 'initialized'],
    ]);
  });

  it('answers 502 in our error shape when every provider fails, and the key can be retried', async () => {
    const shop = await shopWith(['paystack']);
    await sandboxes.control('POST', '/paystack/knobs', { failNext: 1 });
    const failed = await pay(shop, { amount: 5000, currency: 'NGN' }, 'retry-me');
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as { error: { type: string } }).error.type).toBe('provider');
    const retried = await pay(shop, { amount: 5000, currency: 'NGN' }, 'retry-me');
    expect(retried.status).toBe(201);
  });

  it('refuses a currency no enabled provider takes with 422, before calling any provider', async () => {
    const shop = await shopWith(['chapa']);
    const before = (await sandboxes.control('GET', '/chapa/calls')).body.count as number;
    const res = await pay(shop, { amount: 5000, currency: 'JPY' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('currency_not_supported');
    expect((await sandboxes.control('GET', '/chapa/calls')).body.count).toBe(before);
  });

  it('refuses an amount above the currency maximum with 400, before calling any provider', async () => {
    const shop = await shopWith(['paystack']);
    const calls = async () => (await sandboxes.control('GET', '/paystack/calls')).body.count as number;
    const before = await calls();
    const res = await pay(shop, { amount: defaultMaxAmounts.NGN + 1, currency: 'NGN' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'amount_too_large', param: 'amount' } });
    expect(await calls()).toBe(before);
    expect((await pay(shop, { amount: defaultMaxAmounts.NGN, currency: 'NGN' })).status).toBe(201);
  });

  it('applies a merchant’s own maximum in its mode only, and only to that merchant', async () => {
    const shop = await shopWith(['paystack']);
    const other = await shopWith(['paystack']);
    await setAmountLimit(shop.merchant.merchantId, 'test', 'NGN', 100_000);
    await setAmountLimit(shop.merchant.merchantId, 'live', 'NGN', 50);
    const over = await pay(shop, { amount: 100_001, currency: 'NGN' });
    expect(over.status).toBe(400);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('amount_too_large');
    expect((await pay(shop, { amount: 100_000, currency: 'NGN' })).status).toBe(201);
    expect((await pay(other, { amount: 100_001, currency: 'NGN' })).status).toBe(201);
    await setAmountLimit(shop.merchant.merchantId, 'test', 'NGN', null);
    expect((await pay(shop, { amount: 100_001, currency: 'NGN' })).status).toBe(201);
  });

  it('refuses bad amounts with 400: fractions, zero, negatives, strings', async () => {
    const shop = await shopWith(['paystack']);
    for (const amount of [10.5, 0, -5, '100']) {
      const res = await pay(shop, { amount, currency: 'NGN' });
      expect(res.status).toBe(400);
    }
  });
});

describe('listing and tenancy', () => {
  it('lists newest first with filters, and never shows another merchant’s or the other mode’s payments', async () => {
    const a = await shopWith(['paystack']);
    const b = await shopWith(['paystack']);
    const p1 = (await (
      await pay(a, { amount: 1000, currency: 'NGN', reference: 'r-1' })
    ).json()) as PaymentBody;
    const p2 = (await (
      await pay(a, { amount: 2000, currency: 'NGN', reference: 'r-2' })
    ).json()) as PaymentBody;
    const list = (await (await api.request('/v1/payments', bearer(a.key))).json()) as { data: PaymentBody[] };
    expect(list.data.map((p) => p.id)).toEqual([p2.id, p1.id]);
    const byRef = (await (await api.request('/v1/payments?reference=r-1', bearer(a.key))).json()) as {
      data: PaymentBody[];
    };
    expect(byRef.data.map((p) => p.id)).toEqual([p1.id]);
    const paged = (await (await api.request('/v1/payments?limit=1', bearer(a.key))).json()) as {
      data: PaymentBody[];
      hasMore: boolean;
      nextCursor: string;
    };
    expect(paged).toMatchObject({ hasMore: true, data: [{ id: p2.id }] });
    const next = (await (
      await api.request(`/v1/payments?limit=1&cursor=${encodeURIComponent(paged.nextCursor)}`, bearer(a.key))
    ).json()) as { data: PaymentBody[] };
    expect(next.data.map((p) => p.id)).toEqual([p1.id]);

    expect((await api.request(`/v1/payments/${p1.id}`, bearer(b.key))).status).toBe(404);
    expect(
      (await api.request(`/v1/payments/${p1.id}/verify`, { method: 'POST', ...bearer(b.key) })).status,
    ).toBe(404);
    const bList = await (await api.request('/v1/payments', bearer(b.key))).text();
    expect(bList).not.toContain(p1.id);

    const live = await createKey(api.request, a.merchant, 'live', 'full');
    expect((await api.request(`/v1/payments/${p1.id}`, bearer(live.key))).status).toBe(404);
  });

  it('filters by currency and by customer email (exact, case-insensitive) on the server', async () => {
    const shop = await shopWith(['paystack', 'stripe']);
    const ngn = (await (
      await pay(shop, { amount: 1000, currency: 'NGN', customer: { email: 'Ada.Buyer@Example.com' } })
    ).json()) as PaymentBody;
    const usd = (await (
      await pay(shop, { amount: 500, currency: 'USD', customer: { email: 'bola@example.com' } })
    ).json()) as PaymentBody;
    const ngnOther = (await (
      await pay(shop, { amount: 3000, currency: 'NGN', customer: { email: 'ada.buyer@example.com.ng' } })
    ).json()) as PaymentBody;
    expect([ngn.currency, usd.currency, ngnOther.currency]).toEqual(['NGN', 'USD', 'NGN']);
    const ids = async (query: string) => {
      const res = await api.request(`/v1/payments${query}`, bearer(shop.key));
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: PaymentBody[] }).data.map((p) => p.id);
    };
    expect(await ids('?currency=NGN')).toEqual([ngnOther.id, ngn.id]);
    expect(await ids('?currency=USD')).toEqual([usd.id]);
    expect(await ids('?currency=KES')).toEqual([]);
    // Exact match but for case: another address that merely starts the same is not found.
    expect(await ids('?email=ada.buyer%40example.com')).toEqual([ngn.id]);
    expect(await ids('?email=ADA.BUYER%40EXAMPLE.COM&currency=NGN')).toEqual([ngn.id]);
    expect(await ids('?email=ada.buyer%40example.com&currency=USD')).toEqual([]);
    expect(await ids('?email=nobody%40example.com')).toEqual([]);
    // Another merchant's customer with the same email stays invisible.
    const other = await shopWith(['paystack']);
    await pay(other, { amount: 1000, currency: 'NGN', customer: { email: 'ada.buyer@example.com' } });
    expect(await ids('?email=ada.buyer%40example.com')).toEqual([ngn.id]);

    for (const bad of ['ngn', 'NAIRA', 'N1', '']) {
      const res = await api.request(`/v1/payments?currency=${bad}`, bearer(shop.key));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 'invalid_field', param: 'currency', requestId: expect.any(String) },
      });
    }
    const badEmail = await api.request('/v1/payments?email=not-an-email', bearer(shop.key));
    expect(badEmail.status).toBe(400);
    expect(await badEmail.json()).toMatchObject({ error: { code: 'invalid_field', param: 'email' } });
  });

  it('never returns a provider secret in any payment response', async () => {
    const shop = await shopWith(['stripe']);
    const res = await pay(shop, { amount: 500, currency: 'USD' });
    const text = await res.text();
    expect(text).not.toContain(shop.credentials.stripe?.secretKey as string);
    expect(text).not.toContain(shop.credentials.stripe?.webhookSecret as string);
  });
});
