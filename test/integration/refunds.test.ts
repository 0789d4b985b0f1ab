import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProviderName } from '#core/provider-adapter';
import { lambdaContext, loadHandler } from '#local/lambda';
import { checkMerchantLedger } from '#app/ledger-check';
import { listEvents } from '#store/webhooks';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useSandboxes } from '#test/sandbox-fixture';

// Checks of open refunds every second, in a sweeper-index namespace of this file's own; the sweeper
// is run by hand here (so a test can tell a webhook from a sync apart).
vi.hoisted(() => {
  process.env.RECONCILE_SCHEDULE = '1,1,1';
  // Short provider timeouts, so a refund whose answer is late times out within a test.
  process.env.PROVIDER_TIMEOUT_MS = '1500';
  process.env.RECONCILE_NAMESPACE = `r${Math.random().toString(36).slice(2, 8)}-`;
});

const sandboxes = useSandboxes();
usePipeline();
const api = useApi();

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
});

const providers: readonly ProviderName[] = ['paystack', 'flutterwave', 'stripe', 'chapa'];
afterEach(async () => {
  for (const provider of providers) {
    await sandboxes.control('POST', `/${provider}/knobs`, {
      holdWebhooks: false,
      refundOutcome: 'succeed',
      refundDelayMs: 50,
      failNext: 0,
      hangNext: 0,
      latencyMs: 0,
    });
  }
});

/** Amounts that divide by three, in each provider's usual currency. */
const cases: { provider: ProviderName; currency: string; amount: number }[] = [
  { provider: 'paystack', currency: 'NGN', amount: 300000 },
  { provider: 'flutterwave', currency: 'NGN', amount: 300000 },
  { provider: 'stripe', currency: 'USD', amount: 3000 },
  { provider: 'chapa', currency: 'ETB', amount: 30000 },
];

interface Shop {
  merchant: TestMerchant;
  key: string;
  provider: ProviderName;
  currency: string;
}
interface PaymentView {
  id: string;
  status: string;
  amount: number;
  checkoutUrl: string;
}
interface RefundView {
  id: string;
  paymentId: string;
  amount: number;
  currency: string;
  status: string;
  providerRefundId: string | null;
  failureReason: string | null;
  nextAction: string | null;
}

async function shop(provider: ProviderName, currency: string): Promise<Shop> {
  const merchant = await registerMerchant(api.request);
  const { key } = await createKey(api.request, merchant, 'test', 'full');
  const credentials = testCredentials(provider);
  const res = await api.request(`/v1/providers/${provider}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ mode: 'test', ...credentials }),
  });
  expect(res.status).toBe(200);
  const { webhookUrl } = (await res.json()) as { webhookUrl: string };
  await sandboxes.control('PUT', `/${provider}/accounts`, { ...credentials, webhookUrl });
  return { merchant, key, provider, currency };
}

const post = (s: Shop, path: string, body: unknown, key: string | undefined = randomUUID()) =>
  api.request(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${s.key}`,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify(body),
  });

async function paidPayment(s: Shop, amount: number): Promise<PaymentView> {
  const res = await post(s, '/v1/payments', {
    amount,
    currency: s.currency,
    provider: s.provider,
    customer: { email: 'buyer@example.com' },
    redirectUrl: 'https://shop.example/r',
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const payment = (await res.json()) as PaymentView;
  expect((await sandboxes.clickOn(payment.checkoutUrl, 'success')).status).toBeLessThan(400);
  const verified = await until(
    () => verify(s, payment.id),
    (p) => p.status === 'succeeded',
  );
  return verified;
}

const verify = async (s: Shop, id: string): Promise<PaymentView> => {
  const res = await api.request(`/v1/payments/${id}/verify`, { method: 'POST', ...bearer(s.key) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as PaymentView;
};
const getPayment = async (s: Shop, id: string): Promise<PaymentView> =>
  (await (await api.request(`/v1/payments/${id}`, bearer(s.key))).json()) as PaymentView;
const getRefund = async (s: Shop, id: string): Promise<RefundView> =>
  (await (await api.request(`/v1/refunds/${id}`, bearer(s.key))).json()) as RefundView;

async function refund(s: Shop, paymentId: string, body: Record<string, unknown> = {}, key?: string) {
  const res = await post(s, `/v1/payments/${paymentId}/refunds`, body, key);
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as RefundView & { error?: { code: string; message: string } },
  };
}

/** Waits (bounded) for an outcome; never asserts on how long it took. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The provider's refund-create calls the sandbox received. */
async function refundCalls(provider: ProviderName): Promise<number> {
  const { body } = await sandboxes.control('GET', `/${provider}/calls`);
  return (body as { calls: { method: string; path: string }[] }).calls.filter(
    (c) => c.method === 'POST' && /refund/.test(c.path) && !/retry|cancel/.test(c.path),
  ).length;
}

const refundEvents = async (s: Shop, paymentId: string, refundId: string) =>
  (await listEvents(s.merchant.merchantId, 'test', { paymentId }, 100)).data
    .filter((e) => (e.data.object as { id?: string }).id === refundId)
    .map((e) => e.type)
    .sort();

/** One run of the reconciliation sweeper's handler (its refund schedule included). */
async function sweepOnce(): Promise<void> {
  const handler = (await loadHandler('workers/reconcile-payments.ts')) as (
    e: unknown,
    c: Context,
  ) => Promise<unknown>;
  await handler({}, lambdaContext('workers/reconcile-payments.ts'));
}

describe.each(cases)('refunds through $provider', ({ provider, currency, amount }) => {
  let s: Shop;
  beforeAll(async () => {
    s = await shop(provider, currency);
  });

  it('refunds a payment in full (no amount = the whole remainder): the payment becomes refunded, one refund.succeeded', async () => {
    const payment = await paidPayment(s, amount);
    const created = await refund(s, payment.id, {
      reason: 'requested_by_customer',
      metadata: { ticket: 'T-1' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^re_/),
      paymentId: payment.id,
      amount,
      currency,
      reason: 'requested_by_customer',
    });
    expect(Object.keys(created.body)[0]).toBe('id');
    const done = await until(
      async () => {
        await verify(s, payment.id);
        return getRefund(s, created.body.id);
      },
      (r) => r.status === 'succeeded',
    );
    expect(done.providerRefundId).not.toBeNull();
    expect((await getPayment(s, payment.id)).status).toBe('refunded');
    expect(await refundEvents(s, payment.id, created.body.id)).toEqual([
      'refund.created',
      'refund.succeeded',
    ]);
    const again = await refund(s, payment.id, { amount: 1 });
    expect(again.status).toBe(422);
    expect(again.body.error?.code).toBe('payment_not_refundable');
  });

  it('takes two partial refunds, refuses a third that would exceed with the remainder in words, and replays an idempotent retry', async () => {
    const payment = await paidPayment(s, amount);
    const third = amount / 3;
    const key = randomUUID();
    const first = await refund(s, payment.id, { amount: third }, key);
    expect(first.status).toBe(201);
    const replay = await refund(s, payment.id, { amount: third }, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    const reused = await refund(s, payment.id, { amount: third + 1 }, key);
    expect(reused.status).toBe(409);
    expect((await refund(s, payment.id, { amount: third })).status).toBe(201);
    const over = await refund(s, payment.id, { amount: third + 1 });
    expect(over.status).toBe(422);
    expect(over.body.error?.code).toBe('amount_exceeds_refundable');
    expect(over.body.error?.message).toContain(`(${third} in minor units)`);
    await until(
      async () => {
        await verify(s, payment.id);
        return getPayment(s, payment.id);
      },
      (p) => p.status === 'partially_refunded',
    );
    const list = await api.request(`/v1/payments/${payment.id}/refunds`, bearer(s.key));
    expect(((await list.json()) as { data: RefundView[] }).data).toHaveLength(2);
  });

  it('creates exactly three of ten concurrent refunds of a third each, with exactly three provider calls', async () => {
    const payment = await paidPayment(s, amount);
    const before = await refundCalls(provider);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => refund(s, payment.id, { amount: amount / 3 })),
    );
    const statuses = answers.map((a) => a.status).sort();
    const seen = JSON.stringify(answers.map((a) => [a.status, a.body.error?.code ?? a.body.status]));
    expect(
      statuses.filter((c) => c === 201),
      seen,
    ).toHaveLength(3);
    expect(
      statuses.filter((c) => c === 422),
      seen,
    ).toHaveLength(7);
    for (const a of answers.filter((x) => x.status === 422)) {
      expect(a.body.error?.code).toBe('amount_exceeds_refundable');
    }
    expect((await refundCalls(provider)) - before, seen).toBe(3);
  });

  it('gives the amount back when the provider fails a refund (refund.failed), so it can be refunded again', async () => {
    const payment = await paidPayment(s, amount);
    await sandboxes.control('POST', `/${provider}/knobs`, { refundOutcome: 'fail' });
    const created = await refund(s, payment.id);
    expect(created.status).toBe(201);
    const failed = await until(
      async () => {
        await verify(s, payment.id);
        return getRefund(s, created.body.id);
      },
      (r) => r.status === 'failed',
    );
    expect(failed.failureReason).toBeTruthy();
    expect((await getPayment(s, payment.id)).status).toBe('succeeded');
    expect(await refundEvents(s, payment.id, created.body.id)).toEqual(['refund.created', 'refund.failed']);
    await sandboxes.control('POST', `/${provider}/knobs`, { refundOutcome: 'succeed' });
    expect((await refund(s, payment.id)).status).toBe(201);
  });

  it('completes a refund the provider held, by the sync alone (the sweeper), once', async () => {
    const payment = await paidPayment(s, amount);
    await sandboxes.control('POST', `/${provider}/knobs`, { refundOutcome: 'hold', holdWebhooks: true });
    const created = await refund(s, payment.id);
    expect(created.status).toBe(201);
    const pending = await getRefund(s, created.body.id);
    expect(pending.status).toBe('pending');
    expect(pending.providerRefundId).not.toBeNull();
    const settled = await sandboxes.control(
      'POST',
      `/${provider}/refunds/${encodeURIComponent(pending.providerRefundId ?? '')}/complete`,
      {
        outcome: 'succeeded',
      },
    );
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    const done = await until(
      async () => {
        await sweepOnce();
        return getRefund(s, created.body.id);
      },
      (r) => r.status === 'succeeded',
    );
    expect(done.status).toBe('succeeded');
    // The held webhook arriving late, and more syncs, change nothing.
    await sandboxes.control('POST', `/${provider}/webhooks/release`);
    await verify(s, payment.id);
    await sweepOnce();
    expect(await refundEvents(s, payment.id, created.body.id)).toEqual([
      'refund.created',
      'refund.succeeded',
    ]);
  });

  it(
    provider === 'flutterwave'
      ? 'sends no refund webhook (Flutterwave v3 has none): its refund is completed by its own answer and polled'
      : 'completes a refund by the provider’s webhook alone (no verify, no sweep)',
    async () => {
      const payment = await paidPayment(s, amount);
      await sandboxes.control('POST', `/${provider}/knobs`, { refundOutcome: 'succeed', refundDelayMs: 200 });
      const sent = async () =>
        (
          (await sandboxes.control('GET', `/${provider}/webhooks`)).body as {
            deliveries: { event: string }[];
          }
        ).deliveries.length;
      const webhooksBefore = await sent();
      const created = await refund(s, payment.id);
      expect(created.status).toBe(201);
      // No verify, no sweep: only the provider's webhook → ingest → verify worker → refund lookup
      // (Flutterwave: its create answer says `completed`, and nothing else ever arrives).
      const done = await until(
        () => getRefund(s, created.body.id),
        (r) => r.status === 'succeeded',
      );
      expect(done.status).toBe('succeeded');
      if (provider === 'flutterwave') expect(await sent()).toBe(webhooksBefore);
      else expect(await sent()).toBeGreaterThan(webhooksBefore);
      expect(await refundEvents(s, payment.id, created.body.id)).toEqual([
        'refund.created',
        'refund.succeeded',
      ]);
    },
  );

  it('looks a refund up after a provider timeout on create, and never creates it twice', async () => {
    const payment = await paidPayment(s, amount);
    const before = await refundCalls(provider);
    // The provider takes the refund but answers after our timeout: the outcome is unknown to us.
    await sandboxes.control('POST', `/${provider}/knobs`, { latencyMs: 2500 });
    const created = await refund(s, payment.id);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', providerRefundId: null });
    await sandboxes.control('POST', `/${provider}/knobs`, { latencyMs: 0 });
    const done = await until(
      async () => {
        await sweepOnce();
        await verify(s, payment.id);
        return getRefund(s, created.body.id);
      },
      (r) => r.status === 'succeeded',
      30_000,
    );
    expect(done.providerRefundId).not.toBeNull();
    expect((await getPayment(s, payment.id)).status).toBe('refunded');
    // Chapa's lookup without its id is the create again with our unique reference (idempotent there).
    const calls = (await refundCalls(provider)) - before;
    if (provider === 'chapa') expect(calls).toBeLessThanOrEqual(2);
    else expect(calls).toBe(1);
    expect(await refundEvents(s, payment.id, created.body.id)).toEqual([
      'refund.created',
      'refund.succeeded',
    ]);
  });

  it('refuses to refund a payment that has not succeeded (422)', async () => {
    const res = await post(s, '/v1/payments', {
      amount,
      currency,
      provider,
      customer: { email: 'buyer@example.com' },
      redirectUrl: 'https://shop.example/r',
    });
    expect(res.status).toBe(201);
    const pending = (await res.json()) as PaymentView;
    const attempt = await refund(s, pending.id);
    expect(attempt.status).toBe(422);
    expect(attempt.body.error).toMatchObject({ code: 'payment_not_refundable' });
    expect(attempt.body.error?.message).toContain('pending');
  });

  it('walls refunds off by merchant and mode: another merchant gets 404 for both the payment and the refund', async () => {
    const payment = await paidPayment(s, amount);
    const mine = await refund(s, payment.id, { amount: 1 });
    expect(mine.status).toBe(201);
    const other = await shop(provider, currency);
    expect((await api.request(`/v1/refunds/${mine.body.id}`, bearer(other.key))).status).toBe(404);
    expect((await refund(other, payment.id)).status).toBe(404);
    const list = await api.request('/v1/refunds', bearer(other.key));
    expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
  });

  it('keeps the ledger whole: postings balance, accounts sum to zero, each payment and the balance agree', async () => {
    // Let every refund this file left open finish, then prove the invariant over all of them.
    await until(
      async () => {
        await sweepOnce();
        const open = await api.request('/v1/refunds?status=pending', bearer(s.key));
        return ((await open.json()) as { data: unknown[] }).data.length;
      },
      (n) => n === 0,
    );
    expect(await checkMerchantLedger(s.merchant.merchantId, 'test')).toEqual([]);
    const balance = (await (await api.request('/v1/balance', bearer(s.key))).json()) as {
      balances: { provider: string; currency: string; available: number; pendingRefunds: number }[];
    };
    const row = balance.balances.find((b) => b.provider === provider && b.currency === currency);
    expect(row?.pendingRefunds).toBe(0);
    expect(row?.available).toBeGreaterThan(0);
    const csv = await api.request('/v1/balance-transactions?format=csv&limit=100', bearer(s.key));
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const text = await csv.text();
    expect(text.split('\n')[0]).toContain('id,created_at,kind');
    expect(text).toContain(',refund,');
  });
});
