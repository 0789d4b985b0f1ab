import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '#runtime/logger';
import { metricLines } from '#app/silence';
import type { ProviderName } from '#core/provider-adapter';
import { listAudit } from '#store/audit';
import type * as ReconciliationStore from '#store/reconciliation';
import { listSecurityEvents } from '#store/security-events';
import { listEvents } from '#store/webhooks';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useReceiver } from '#test/receiver';
import { useSandboxes } from '#test/sandbox-fixture';
import { useSweeper } from '#test/sweeper';

// The whole check schedule in seconds, a sweep every 500 ms, and a namespace of its own in the
// sweeper's index so no other test file's payments are swept here (they share the table).
vi.hoisted(() => {
  process.env.RECONCILE_SCHEDULE = '1,1,2';
  process.env.RECONCILE_LATE_WINDOW_SECONDS = '120';
  process.env.RECONCILE_NAMESPACE = `t${Math.random().toString(36).slice(2, 8)}-`;
  process.env.WEBHOOK_RETRY_SCHEDULE = '0,1,1';
});
const intervalMs = 500;

// What the sweepers (on the timer and by hand) found due: lets the race test hold one payment
// back from the timer until it fires every settler at once, and see that a sweeper took part.
const sweeperView = vi.hoisted(() => ({
  hidden: new Set<string>(),
  found: new Map<string, number>(),
  onFound: undefined as ((paymentId: string) => void) | undefined,
}));
vi.mock('#store/reconciliation', async (importOriginal) => {
  const actual = await importOriginal<typeof ReconciliationStore>();
  return {
    ...actual,
    duePayments: async (now: Date, limit: number) => {
      const due = (await actual.duePayments(now, limit)).filter((r) => !sweeperView.hidden.has(r.paymentId));
      for (const r of due) {
        sweeperView.found.set(r.paymentId, (sweeperView.found.get(r.paymentId) ?? 0) + 1);
        sweeperView.onFound?.(r.paymentId);
      }
      return due;
    },
  };
});

const sandboxes = useSandboxes();
const pipeline = usePipeline();
const receiver = useReceiver();
const api = useApi();
useSweeper(intervalMs);

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
});
afterEach(async () => {
  for (const provider of providers) {
    await sandboxes.control('POST', `/${provider}/knobs`, {
      holdWebhooks: false,
      webhookDelayMs: 0,
      failNext: 0,
    });
  }
});

const providers: readonly ProviderName[] = ['paystack', 'flutterwave', 'stripe', 'chapa'];
const currencyOf: Record<ProviderName, string> = {
  paystack: 'NGN',
  flutterwave: 'NGN',
  stripe: 'USD',
  chapa: 'ETB',
};

interface Shop {
  merchant: TestMerchant;
  key: string;
  provider: ProviderName;
  secretKey: string;
  hookPath: string;
  webhookUrl: string;
}

interface PaymentView {
  id: string;
  status: string;
  amount: number;
  currency: string;
  checkoutUrl: string;
  providerReference: string;
  expiresAt: string;
  lastCheckedAt: string | null;
  nextCheckAt: string | null;
  settledBy: string | null;
  lateSettlement: boolean;
  failureReason: string | null;
  amountMismatch: {
    expected: { amount: number; currency: string };
    reported: { amount: number | null; currency: string | null };
  } | null;
}

async function shop(provider: ProviderName): Promise<Shop> {
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
  const hookPath = `/merchant/${merchant.merchantId}`;
  const endpoint = await api.request('/v1/webhook-endpoints', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ url: receiver.url(hookPath), events: ['*'] }),
  });
  expect(endpoint.status).toBe(201);
  return { merchant, key, provider, secretKey: credentials.secretKey, hookPath, webhookUrl };
}

async function newPayment(
  s: Shop,
  extra: Record<string, unknown> = {},
  amount = s.provider === 'stripe' ? 1500 : 500000,
): Promise<PaymentView> {
  const res = await api.request('/v1/payments', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${s.key}`,
      'idempotency-key': randomUUID(),
    },
    body: JSON.stringify({
      amount,
      currency: currencyOf[s.provider],
      provider: s.provider,
      customer: { email: 'buyer@example.com' },
      redirectUrl: 'https://shop.example/r',
      ...extra,
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as PaymentView;
}

const get = async (s: Shop, id: string): Promise<PaymentView> =>
  (await (await api.request(`/v1/payments/${id}`, bearer(s.key))).json()) as PaymentView;

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

const eventsOf = async (s: Shop, paymentId: string) =>
  (await listEvents(s.merchant.merchantId, 'test', { paymentId }, 20)).data.map((e) => e.type);

const deliveredTypes = (s: Shop) =>
  receiver.received(s.hookPath).map((r) => (JSON.parse(r.body) as { type: string }).type);

/** The provider-events queue of this file is empty and nothing is in flight. */
async function providerEventsDrained(): Promise<boolean> {
  const out = await pipeline.sqs().send(
    new GetQueueAttributesCommand({
      QueueUrl: pipeline.queues().providerEvents,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    out.Attributes?.ApproximateNumberOfMessages === '0' &&
    out.Attributes.ApproximateNumberOfMessagesNotVisible === '0'
  );
}

/** Every webhook the sandbox sent for this provider reached our ingest, and the worker is done with it. */
async function webhooksSettled(provider: ProviderName): Promise<void> {
  await until(
    async () =>
      (await sandboxes.control('GET', `/${provider}/webhooks`)).body as { deliveries: { state: string }[] },
    // Held ones were never sent (a lost webhook, on purpose): nothing to wait for.
    (w) => w.deliveries.every((d) => d.state !== 'pending'),
  );
  await until(providerEventsDrained, (drained) => drained);
}

/** The customer presses Pay on the checkout page. */
const pay = (p: PaymentView) => sandboxes.clickOn(p.checkoutUrl, 'success');

/** Pays through the control API, optionally another amount or currency than asked. */
async function payAs(s: Shop, p: PaymentView, paid: { amount?: number; currency?: string } = {}) {
  const reference = encodeURIComponent(p.providerReference);
  const out = await sandboxes.control('POST', `/${s.provider}/transactions/${reference}/complete`, {
    outcome: 'success',
    secretKey: s.secretKey,
    ...paid,
  });
  expect(out.status, JSON.stringify(out.body)).toBe(200);
}

/** The EMF lines of one metric that the code under test writes meanwhile. */
function captureMetric(name: string) {
  const lines: string[] = [];
  metricLines.write = (line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (name in parsed) lines.push(line);
  };
  return {
    lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: () => {
      metricLines.write = undefined;
    },
  };
}

// First in the file: no other test's webhooks are in flight to be counted.
describe('WebhooksReceived', () => {
  it('counts a provider webhook only once its signature is accepted, so a wrong secret looks like silence', async () => {
    const metric = captureMetric('WebhooksReceived');
    try {
      const s = await shop('paystack');
      const payment = await newPayment(s);
      const forged = await fetch(s.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-paystack-signature': 'f'.repeat(128) },
        body: JSON.stringify({
          event: 'charge.success',
          data: { reference: payment.providerReference, amount: 500000, currency: 'NGN', status: 'success' },
        }),
      });
      expect(forged.status).toBe(200); // the ingest route accepts the delivery; the worker rejects it
      await until(
        async () =>
          (await listSecurityEvents(s.merchant.merchantId, 10)).data.filter(
            (e) => e.kind === 'webhook_signature_rejected',
          ).length,
        (n) => n === 1,
      );
      await until(providerEventsDrained, (drained) => drained);
      expect(metric.lines()).toEqual([]);

      await pay(payment);
      await until(
        () => get(s, payment.id),
        (p) => p.status === 'succeeded',
      );
      await webhooksSettled('paystack');
      const counted = metric.lines();
      expect(counted.length).toBeGreaterThanOrEqual(1);
      expect(counted[0]).toEqual({
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'PayBridge',
              Dimensions: [['Provider', 'Mode']],
              Metrics: [{ Name: 'WebhooksReceived', Unit: 'Count' }],
            },
          ],
        },
        Provider: 'paystack',
        Mode: 'test',
        WebhooksReceived: 1,
      });
    } finally {
      metric.stop();
    }
  });
});

describe('reconciliation sweeper', () => {
  for (const provider of providers) {
    it(`settles a ${provider} payment paid without a webhook, once; the webhook arriving afterwards changes nothing`, async () => {
      const s = await shop(provider);
      await sandboxes.control('POST', `/${provider}/knobs`, { holdWebhooks: true });
      const payment = await newPayment(s);
      expect(payment.nextCheckAt).not.toBeNull();
      expect(payment.settledBy).toBeNull();
      await pay(payment);
      const settled = await until(
        () => get(s, payment.id),
        (p) => p.status === 'succeeded',
      );
      expect(settled.settledBy).toBe('reconciliation');
      expect(settled.lastCheckedAt).not.toBeNull();
      expect(settled.nextCheckAt).toBeNull();
      await until(
        async () => deliveredTypes(s),
        (types) => types.length === 1,
      );

      // Now the lost webhook arrives after all.
      const released = await sandboxes.control('POST', `/${provider}/webhooks/release`);
      expect(released.body.released).toBeGreaterThanOrEqual(1);
      await webhooksSettled(provider);
      expect(await eventsOf(s, payment.id)).toEqual(['payment.succeeded']);
      expect((await get(s, payment.id)).settledBy).toBe('reconciliation');
      expect(deliveredTypes(s)).toEqual(['payment.succeeded']);
    });
  }

  it('finds a Paystack decline, which sends no webhook, and fails the payment with Paystack’s reason', async () => {
    const s = await shop('paystack');
    const payment = await newPayment(s);
    await sandboxes.clickOn(payment.checkoutUrl, 'decline');
    const failed = await until(
      () => get(s, payment.id),
      (p) => p.status === 'failed',
    );
    expect(failed.failureReason).toBe('Declined');
    expect(failed.settledBy).toBe('reconciliation');
    await until(
      async () => deliveredTypes(s),
      (types) => types.length === 1,
    );
    expect(deliveredTypes(s)).toEqual(['payment.failed']);
  });
});

describe('provider silence', () => {
  it('records one provider_webhooks_silent security event when a merchant’s provider settles only through the sweeper', async () => {
    const s = await shop('stripe');
    // The webhook URL at the provider is wrong: nothing ever arrives.
    await sandboxes.control('POST', '/stripe/knobs', { holdWebhooks: true });
    for (let i = 0; i < 4; i++) {
      const payment = await newPayment(s);
      await pay(payment);
      await until(
        () => get(s, payment.id),
        (p) => p.status === 'succeeded',
      );
    }
    const silent = (await listSecurityEvents(s.merchant.merchantId, 20)).data.filter(
      (e) => e.kind === 'provider_webhooks_silent',
    );
    expect(silent).toHaveLength(1);
    expect(silent[0]?.detail).toMatchObject({ provider: 'stripe', mode: 'test', settledBySweeper: '3' });
  });

  it('stays quiet while the provider’s webhooks do arrive', async () => {
    const s = await shop('paystack');
    const byWebhook = await newPayment(s);
    await pay(byWebhook);
    const settled = await until(
      () => get(s, byWebhook.id),
      (p) => p.status === 'succeeded',
    );
    expect(settled.settledBy).toBe('webhook');
    await sandboxes.control('POST', '/paystack/knobs', { holdWebhooks: true });
    for (let i = 0; i < 3; i++) {
      const payment = await newPayment(s);
      await pay(payment);
      await until(
        () => get(s, payment.id),
        (p) => p.status === 'succeeded',
      );
    }
    const page = await listSecurityEvents(s.merchant.merchantId, 20);
    expect(page.data.filter((e) => e.kind === 'provider_webhooks_silent')).toEqual([]);
  });
});

describe('expiry', () => {
  for (const provider of providers) {
    it(`expires an unpaid ${provider} payment at expiresAt and tells the merchant${provider === 'stripe' ? ', ending the Stripe session' : ''}`, async () => {
      const s = await shop(provider);
      const payment = await newPayment(s, { expiresInSeconds: 3 });
      expect(Date.parse(payment.expiresAt) - Date.now()).toBeLessThanOrEqual(3000);
      const expired = await until(
        () => get(s, payment.id),
        (p) => p.status === 'expired',
      );
      expect(expired.settledBy).toBe('reconciliation');
      // Still watched for late money until the late window closes.
      expect(expired.nextCheckAt).not.toBeNull();
      await until(
        async () => deliveredTypes(s),
        (types) => types.length === 1,
      );
      expect(deliveredTypes(s)).toEqual(['payment.expired']);
      if (provider === 'stripe') {
        const calls = (await sandboxes.control('GET', '/stripe/calls')).body as {
          calls: { method: string; path: string; status?: number }[];
        };
        expect(
          calls.calls.filter(
            (c) =>
              c.method === 'POST' && c.path === `/v1/checkout/sessions/${payment.providerReference}/expire`,
          ),
        ).toEqual([expect.objectContaining({ status: 200 })]);
        // The customer can no longer pay it.
        const late = await sandboxes.clickOn(payment.checkoutUrl, 'success');
        expect(late.status).toBe(409);
      }
    });
  }

  it('refuses an expiresInSeconds outside the bounds', async () => {
    const s = await shop('paystack');
    const res = await api.request('/v1/payments', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${s.key}`,
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        amount: 5000,
        currency: 'NGN',
        customer: { email: 'b@example.com' },
        expiresInSeconds: 86_401,
      }),
    });
    expect(res.status).toBe(400);
  });

  for (const provider of ['paystack', 'chapa'] as const) {
    it(`settles a ${provider} payment paid after it expired as succeeded with lateSettlement, and the audit log says why`, async () => {
      const s = await shop(provider);
      const payment = await newPayment(s, { expiresInSeconds: 2 });
      await until(
        () => get(s, payment.id),
        (p) => p.status === 'expired',
      );
      await payAs(s, payment);
      const late = await until(
        () => get(s, payment.id),
        (p) => p.status === 'succeeded',
      );
      expect(late.lateSettlement).toBe(true);
      expect(late.nextCheckAt).toBeNull();
      await webhooksSettled(provider);
      expect((await eventsOf(s, payment.id)).sort()).toEqual(['payment.expired', 'payment.succeeded']);
      await until(
        async () => deliveredTypes(s),
        (types) => types.length === 2,
      );
      expect(deliveredTypes(s)).toEqual(['payment.expired', 'payment.succeeded']);
      const delivered = JSON.parse(receiver.received(s.hookPath)[1]?.body ?? '{}') as {
        data: { object: PaymentView };
      };
      expect(delivered.data.object.lateSettlement).toBe(true);
      const audit = await listAudit(s.merchant.merchantId, 20);
      const entry = audit.data.find((a) => a.action === 'payment.succeeded' && a.target.id === payment.id);
      expect(entry?.reason).toMatch(/after PayBridge had marked it expired/);
      expect(entry?.actor.type).toBe('system');
    });
  }
});

describe('amount and currency mismatch', () => {
  const cases = [
    { provider: 'paystack', label: 'a lower amount', paid: { amount: 400000 } },
    { provider: 'flutterwave', label: 'a higher amount', paid: { amount: 600000 } },
    { provider: 'stripe', label: 'a lower amount', paid: { amount: 1000 } },
    { provider: 'chapa', label: 'another currency', paid: { currency: 'USD', amount: 500000 } },
  ] as const;
  for (const c of cases) {
    it(`never makes a ${c.provider} payment paid with ${c.label} succeeded: requires_review and payment.amount_mismatch with both amounts`, async () => {
      const s = await shop(c.provider);
      await sandboxes.control('POST', `/${c.provider}/knobs`, { holdWebhooks: true });
      const payment = await newPayment(s);
      await payAs(s, payment, c.paid);
      const flagged = await until(
        () => get(s, payment.id),
        (p) => p.status !== 'pending',
      );
      expect(flagged.status).toBe('requires_review');
      expect(flagged.failureReason).toBe('amount_mismatch');
      expect(flagged.amountMismatch).toEqual({
        expected: { amount: payment.amount, currency: payment.currency },
        reported: {
          amount: c.paid.amount ?? payment.amount,
          currency: 'currency' in c.paid ? c.paid.currency : payment.currency,
        },
      });
      await sandboxes.control('POST', `/${c.provider}/webhooks/release`);
      await webhooksSettled(c.provider);
      expect(await eventsOf(s, payment.id)).toEqual(['payment.amount_mismatch']);
      await until(
        async () => deliveredTypes(s),
        (types) => types.length === 1,
      );
      const body = JSON.parse(receiver.received(s.hookPath)[0]?.body ?? '{}') as {
        type: string;
        data: { object: PaymentView };
      };
      expect(body.type).toBe('payment.amount_mismatch');
      expect(body.data.object.amountMismatch?.expected.amount).toBe(payment.amount);
    });
  }

  it('lets a webhook endpoint subscribe to payment.amount_mismatch alone', async () => {
    const s = await shop('paystack');
    const path = `/merchant/${s.merchant.merchantId}/mismatch-only`;
    const res = await api.request('/v1/webhook-endpoints', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` },
      body: JSON.stringify({ url: receiver.url(path), events: ['payment.amount_mismatch'] }),
    });
    expect(res.status).toBe(201);
    await sandboxes.control('POST', '/paystack/knobs', { holdWebhooks: true });
    const matching = await newPayment(s);
    await payAs(s, matching, { amount: 1000 });
    await until(
      async () => receiver.received(path),
      (got) => got.length === 1,
    );
    expect((JSON.parse(receiver.received(path)[0]?.body ?? '{}') as { type: string }).type).toBe(
      'payment.amount_mismatch',
    );
  });

  it('counts an overpayment as paid only when the merchant opted in, and still reports it', async () => {
    const s = await shop('paystack');
    await sandboxes.control('POST', '/paystack/knobs', { holdWebhooks: true });
    const payment = await newPayment(s, { acceptOverpayment: true });
    await payAs(s, payment, { amount: 510000 });
    const paid = await until(
      () => get(s, payment.id),
      (p) => p.status !== 'pending',
    );
    expect(paid.status).toBe('succeeded');
    expect(paid.amountMismatch?.reported.amount).toBe(510000);
  });
});

describe('racing settlers', () => {
  it('turns the sweeper, the webhook and POST /verify racing on one payment into one transition and one event per endpoint', async () => {
    const s = await shop('paystack');
    const second = `/merchant/${s.merchant.merchantId}/second`;
    await api.request('/v1/webhook-endpoints', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` },
      body: JSON.stringify({ url: receiver.url(second), events: ['payment.succeeded'] }),
    });
    await sandboxes.control('POST', '/paystack/knobs', { holdWebhooks: true });
    const { handler } = await import('#workers/reconcile-payments');
    const payment = await newPayment(s);
    // Held back from the timer's sweeps until its first check is due, so the sweeper is in the race
    // rather than settling it alone first (or not yet due, finding nothing).
    sweeperView.hidden.add(payment.id);
    const wait = Date.parse(payment.nextCheckAt ?? '') - Date.now();
    expect(wait).toBeGreaterThan(-1); // a date
    await new Promise((r) => setTimeout(r, wait + 20));
    await payAs(s, payment);
    expect((await get(s, payment.id)).status).toBe('pending');

    // The sweeper (by hand, and the timer's once it is visible again) picks the payment up; the moment
    // one has it in hand, the held webhook and five verify calls go too.
    const inHand = new Promise<void>((resolve) => {
      sweeperView.onFound = (id) => {
        if (id === payment.id) resolve();
      };
    });
    sweeperView.hidden.delete(payment.id);
    const swept = handler({}, {} as never);
    await inHand;
    const answers = await Promise.all([
      sandboxes.control('POST', '/paystack/webhooks/release'),
      ...Array.from({ length: 5 }, () =>
        api.request(`/v1/payments/${payment.id}/verify`, {
          method: 'POST',
          headers: { authorization: `Bearer ${s.key}` },
        }),
      ),
    ]);
    sweeperView.onFound = undefined;
    for (const answer of answers.slice(1)) expect((answer as Response).status).toBe(200);
    await swept;
    // The sweeper took part: a sweep found the payment due while it was still pending, and settled
    // it or found it settled by the webhook or a verify call (each due payment goes to settlePayment).
    expect(sweeperView.found.get(payment.id)).toBeGreaterThanOrEqual(1);
    const settled = await until(
      () => get(s, payment.id),
      (p) => p.status === 'succeeded',
    );
    expect(['webhook', 'verify', 'reconciliation']).toContain(settled.settledBy);
    await webhooksSettled('paystack');
    expect(await eventsOf(s, payment.id)).toEqual(['payment.succeeded']);
    await until(
      async () => [deliveredTypes(s).length, receiver.received(second).length],
      ([a, b]) => a === 1 && b === 1,
    );
    expect(deliveredTypes(s)).toEqual(['payment.succeeded']);
    expect(receiver.received(second)).toHaveLength(1);
  });
});

describe('faults', () => {
  it('retries a sweep whose provider verify API is down on the next round, and loses nothing', async () => {
    const s = await shop('flutterwave');
    await sandboxes.control('POST', '/flutterwave/knobs', { holdWebhooks: true });
    const payment = await newPayment(s);
    await payAs(s, payment);
    // The next verify calls fail with 503: sweeps error, the payment stays due.
    await sandboxes.control('POST', '/flutterwave/knobs', { failNext: 3 });
    const settled = await until(
      () => get(s, payment.id),
      (p) => p.status === 'succeeded',
    );
    expect(settled.settledBy).toBe('reconciliation');
    const calls = (await sandboxes.control('GET', '/flutterwave/calls')).body as {
      calls: { path: string; status?: number }[];
    };
    const verifies = calls.calls.filter((c) => c.path.startsWith('/v3/transactions/verify_by_reference'));
    expect(verifies.filter((c) => c.status === 503)).toHaveLength(3);
    expect(verifies.at(-1)?.status).toBe(200);
    await until(
      async () => deliveredTypes(s),
      (types) => types.length === 1,
    );
    expect(await eventsOf(s, payment.id)).toEqual(['payment.succeeded']);
  });

  it('expires a payment whose provider stays unreachable past expiresAt, reports the failed checks, and still settles it late when the provider pays', async () => {
    const s = await shop('paystack');
    const warn = vi.spyOn(logger, 'warn');
    const metric = captureMetric('SweepErrors');
    try {
      const payment = await newPayment(s, { expiresInSeconds: 2 });
      // Down for good, as far as the sweeper can tell (a deleted configuration or revoked keys look alike).
      await sandboxes.control('POST', '/paystack/knobs', { failNext: 100_000 });
      const expired = await until(
        () => get(s, payment.id),
        (p) => p.status !== 'pending',
      );
      expect(expired.status).toBe('expired');
      expect(expired.settledBy).toBe('reconciliation');
      // Not before expiresAt plus the schedule's last step (2 s here), and still watched for late money.
      expect(Date.parse(expired.lastCheckedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(payment.expiresAt) + 2000,
      );
      expect(expired.nextCheckAt).not.toBeNull();
      await until(
        async () => deliveredTypes(s),
        (types) => types.length === 1,
      );
      expect(deliveredTypes(s)).toEqual(['payment.expired']);

      // The failed checks were not swallowed: logged at WARN with why, and counted for the alarm.
      const warned = warn.mock.calls.filter(([message]) => message === 'reconciliation sweep: checks failed');
      expect(warned.length).toBeGreaterThanOrEqual(1);
      expect(warned[0]?.[1]).toMatchObject({ errors: expect.any(Number), errorReasons: expect.any(Object) });
      expect(Object.keys((warned[0]?.[1] as { errorReasons: object }).errorReasons).length).toBeGreaterThan(
        0,
      );
      expect(metric.lines().length).toBeGreaterThanOrEqual(1);
      expect(metric.lines()[0]).toMatchObject({
        Worker: 'reconcile-payments',
        SweepErrors: expect.any(Number),
      });

      // The provider comes back and the customer had paid: the money is not lost.
      await sandboxes.control('POST', '/paystack/knobs', { failNext: 0 });
      await payAs(s, payment);
      const late = await until(
        () => get(s, payment.id),
        (p) => p.status === 'succeeded',
      );
      expect(late.lateSettlement).toBe(true);
      await webhooksSettled('paystack');
      expect((await eventsOf(s, payment.id)).sort()).toEqual(['payment.expired', 'payment.succeeded']);
    } finally {
      metric.stop();
      warn.mockRestore();
      await sandboxes.control('POST', '/paystack/knobs', { failNext: 0 });
    }
  });
});
