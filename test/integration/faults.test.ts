import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '#core/ids';
import { dynamoClient } from '#runtime/clients';
import { listEvents } from '#store/webhooks';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { checkMerchantLedger } from '#app/ledger-check';
import { testCredentials } from '#test/providers';
import { useSandboxes } from '#test/sandbox-fixture';

/**
 * Fault injection: DynamoDB throttling, provider hangs, merchant endpoints that
 * hang or reset the connection — and, at the end, the invariants: one state
 * change per accepted webhook, one payment per idempotency key, amounts intact,
 * every event delivered or visibly failed.
 */
vi.hoisted(() => {
  process.env.WEBHOOK_RETRY_SCHEDULE = '0,1,1,1';
  process.env.WEBHOOK_TIMEOUT_MS = '800';
  process.env.PROVIDER_TIMEOUT_MS = '1000';
  // The sweeper is run by hand here, over this file's payments only, with a check every second.
  process.env.RECONCILE_SCHEDULE = '1';
  process.env.RECONCILE_NAMESPACE = `f${Math.random().toString(36).slice(2, 8)}-`;
});

const sandboxes = useSandboxes();
usePipeline();
const api = useApi();

// Receivers that misbehave: one hangs on its first request, one resets its first connection.
let hostile: Server;
let hostileUrl = '';
const hits = new Map<string, number>();
beforeAll(async () => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
  hostile = createServer((req, res) => {
    const n = (hits.get(req.url ?? '') ?? 0) + 1;
    hits.set(req.url ?? '', n);
    req.resume();
    if (req.url === '/hang' && n === 1) return; // never answers: the deliverer's timeout must fire
    if (req.url === '/reset' && n === 1) {
      req.socket.destroy(); // connection reset mid-request
      return;
    }
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});
afterAll(() => {
  hostile.closeAllConnections();
  return new Promise<void>((resolve) => hostile.close(() => resolve()));
});

/** Throttles every `every`-th DynamoDB command once; the SDK's retries must absorb it. */
function throttleDynamo(every: number): () => void {
  let n = 0;
  const name = `inject-throttling-${newId('msg')}`;
  dynamoClient().middlewareStack.add(
    (next) => async (args) => {
      if (++n % every === 0) {
        throw new ProvisionedThroughputExceededException({ message: 'injected throttling', $metadata: {} });
      }
      return next(args);
    },
    { step: 'deserialize', name },
  );
  return () => dynamoClient().middlewareStack.remove(name);
}

/** Every merchant of this file: the ledger invariant is checked over all of them at the end. */
const merchants: string[] = [];

async function shop(
  providers: ('paystack' | 'flutterwave')[],
): Promise<{ merchant: TestMerchant; key: string }> {
  const merchant = await registerMerchant(api.request);
  merchants.push(merchant.merchantId);
  const { key } = await createKey(api.request, merchant, 'test', 'full');
  for (const provider of providers) {
    const credentials = testCredentials(provider);
    const res = await api.request(`/v1/providers/${provider}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ mode: 'test', ...credentials }),
    });
    const { webhookUrl } = (await res.json()) as { webhookUrl: string };
    await sandboxes.control('PUT', `/${provider}/accounts`, { ...credentials, webhookUrl });
  }
  return { merchant, key };
}

const create = (key: string, idempotencyKey: string, amount: number) =>
  api.request('/v1/payments', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${key}`,
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify({
      amount,
      currency: 'NGN',
      customer: { email: 'b@example.com' },
      redirectUrl: 'https://s.example/r',
    }),
  });

async function until(check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('fault injection', () => {
  it('absorbs DynamoDB throttling on every 4th command: payments, webhooks and deliveries still happen exactly once', async () => {
    const s = await shop(['paystack']);
    const endpoint = await api.request('/v1/webhook-endpoints', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` },
      body: JSON.stringify({ url: `${hostileUrl}/ok`, events: ['payment.succeeded'] }),
    });
    expect(endpoint.status).toBe(201);
    const stop = throttleDynamo(4);
    try {
      const amounts = [101, 202, 303, 404, 505].map((a) => a * 100);
      const created = [];
      for (const [i, amount] of amounts.entries()) {
        // Each key sent twice: one payment per key.
        const first = await create(s.key, `throttled-${i}`, amount);
        const again = await create(s.key, `throttled-${i}`, amount);
        expect(first.status).toBe(201);
        const body = (await first.json()) as { id: string; checkoutUrl: string; amount: number };
        expect(((await again.json()) as { id: string }).id).toBe(body.id);
        created.push(body);
      }
      for (const p of created) await sandboxes.clickOn(p.checkoutUrl, 'success');
      await until(async () => (hits.get('/ok') ?? 0) >= created.length);

      // Invariants.
      const list = (await (await api.request('/v1/payments?limit=100', bearer(s.key))).json()) as {
        data: { id: string; amount: number; status: string }[];
      };
      expect(list.data).toHaveLength(created.length);
      expect(list.data.map((p) => p.amount).sort()).toEqual([...amounts].sort());
      expect(list.data.every((p) => p.status === 'succeeded')).toBe(true);
      for (const p of created) {
        const events = await listEvents(s.merchant.merchantId, 'test', { paymentId: p.id }, 10);
        expect(events.data).toHaveLength(1);
      }
      expect(hits.get('/ok')).toBe(created.length);
    } finally {
      stop();
    }
  });

  it('fails over when the first provider hangs past the timeout', async () => {
    const s = await shop(['paystack', 'flutterwave']);
    await sandboxes.control('POST', '/paystack/knobs', { hangNext: 1 });
    const res = await create(s.key, 'hang-1', 70000);
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      provider: string;
      attempts: { provider: string; error?: { code: string } }[];
    };
    expect(body.provider).toBe('flutterwave');
    expect(body.attempts[0]).toMatchObject({ provider: 'paystack', error: { code: 'provider_timeout' } });
  });

  it('records a hanging endpoint as a timeout and a reset connection as a connection error, then delivers on retry', async () => {
    const s = await shop(['paystack']);
    for (const path of ['/hang', '/reset']) {
      const res = await api.request('/v1/webhook-endpoints', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` },
        body: JSON.stringify({ url: `${hostileUrl}${path}`, events: ['*'] }),
      });
      const { id } = (await res.json()) as { id: string };
      const sent = (await (
        await api.request(`/v1/webhook-endpoints/${id}/test`, { method: 'POST', ...bearer(s.key) })
      ).json()) as { id: string };
      let attempts: { error: string | null; status: number | null }[] = [];
      await until(async () => {
        attempts = (
          (await (await api.request(`/v1/events/${sent.id}/attempts`, bearer(s.key))).json()) as {
            data: typeof attempts;
          }
        ).data;
        return attempts.some((a) => a.status === 200);
      });
      const errors = attempts.filter((a) => a.error).map((a) => a.error?.split(':')[0]);
      expect(errors).toEqual([path === '/hang' ? 'timeout' : 'connection']);
    }
  });

  it('retries a payment on the next sweep when the provider’s verify API is down during one, and loses nothing', async () => {
    const s = await shop(['paystack']);
    // The webhook is lost: only the sweeper can settle this payment.
    await sandboxes.control('POST', '/paystack/knobs', { holdWebhooks: true });
    try {
      const res = await create(s.key, 'swept-1', 42000);
      const payment = (await res.json()) as { id: string; checkoutUrl: string };
      await sandboxes.clickOn(payment.checkoutUrl, 'success');
      const read = async () =>
        (await (await api.request(`/v1/payments/${payment.id}`, bearer(s.key))).json()) as {
          status: string;
          nextCheckAt: string;
          settledBy: string | null;
        };
      const due = async () => {
        const wait = Date.parse((await read()).nextCheckAt) - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait + 5));
      };
      const { handler } = await import('#workers/reconcile-payments');

      await due();
      // 503 to the verify call and to both of the adapter's own retries of it: this sweep fails.
      await sandboxes.control('POST', '/paystack/knobs', { failNext: 3 });
      const down = (await handler({}, {} as never)) as { due: number; errors: number; moved: number };
      expect(down).toMatchObject({ errors: 1, moved: 0 });
      const after = await read();
      expect(after.status).toBe('pending');
      expect(after.nextCheckAt).not.toBeNull(); // still in the index: the next round asks again
      expect((await listEvents(s.merchant.merchantId, 'test', { paymentId: payment.id }, 10)).data).toEqual(
        [],
      );

      await due();
      const up = (await handler({}, {} as never)) as { due: number; errors: number; moved: number };
      expect(up).toMatchObject({ errors: 0, moved: 1 });
      expect(await read()).toMatchObject({
        status: 'succeeded',
        settledBy: 'reconciliation',
        nextCheckAt: null,
      });
      const events = await listEvents(s.merchant.merchantId, 'test', { paymentId: payment.id }, 10);
      expect(events.data.map((e) => e.type)).toEqual(['payment.succeeded']);
    } finally {
      await sandboxes.control('POST', '/paystack/knobs', { holdWebhooks: false, failNext: 0 });
    }
  });

  it('looks a refund up when the provider’s answer to its create is lost (timeout), and never refunds twice', async () => {
    const s = await shop(['paystack']);
    const res = await create(s.key, 'refund-timeout-1', 60000);
    const payment = (await res.json()) as { id: string; checkoutUrl: string };
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    await until(async () => {
      const r = await api.request(`/v1/payments/${payment.id}/verify`, { method: 'POST', ...bearer(s.key) });
      return ((await r.json()) as { status: string }).status === 'succeeded';
    });
    const refundCalls = async () =>
      (
        (await sandboxes.control('GET', '/paystack/calls')).body as {
          calls: { method: string; path: string }[];
        }
      ).calls.filter((c) => c.method === 'POST' && c.path === '/refund').length;
    const before = await refundCalls();
    // Paystack takes the refund but answers after our 1 s timeout; Paystack has no idempotency key,
    // so only the lookup by our refund id (its merchant_note) stands between a retry and a double refund.
    await sandboxes.control('POST', '/paystack/knobs', { latencyMs: 1800 });
    let refundId = '';
    try {
      const r = await api.request(`/v1/payments/${payment.id}/refunds`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${s.key}`,
          'idempotency-key': 'rt-1',
        },
        body: JSON.stringify({ amount: 20000 }),
      });
      expect(r.status).toBe(201);
      const created = (await r.json()) as { id: string; status: string; providerRefundId: string | null };
      expect(created).toMatchObject({ status: 'pending', providerRefundId: null });
      refundId = created.id;
    } finally {
      await sandboxes.control('POST', '/paystack/knobs', { latencyMs: 0 });
    }
    const { handler } = await import('#workers/reconcile-payments');
    await until(async () => {
      await handler({}, {} as never);
      const r = await api.request(`/v1/refunds/${refundId}`, bearer(s.key));
      return ((await r.json()) as { status: string }).status === 'succeeded';
    });
    expect((await refundCalls()) - before).toBe(1);
    const events = await listEvents(s.merchant.merchantId, 'test', { paymentId: payment.id }, 10);
    expect(events.data.map((e) => e.type).sort()).toEqual([
      'payment.succeeded',
      'refund.created',
      'refund.succeeded',
    ]);
  });

  it('keeps the ledger whole for every merchant of this file, faults and all', async () => {
    expect(merchants.length).toBeGreaterThan(0);
    for (const merchantId of merchants)
      expect(await checkMerchantLedger(merchantId, 'test'), merchantId).toEqual([]);
  });
});
