import { createHmac } from 'node:crypto';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '#runtime/clients';
import { inboundFaults } from '#app/inbound';
import { keys } from '#store/keys';
import { tableName } from '#store/table-name';
import { listSecurityEvents } from '#store/security-events';
import { listEvents } from '#store/webhooks';
import { useApi } from '#test/http';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { usePipeline } from '#test/pipeline';
import { testCredentials } from '#test/providers';
import { useSandboxes } from '#test/sandbox-fixture';

const sandboxes = useSandboxes();
const pipeline = usePipeline();
const api = useApi();

beforeAll(() => {
  for (const [name, url] of Object.entries(sandboxes.sandbox().baseUrls)) {
    process.env[`${name.toUpperCase()}_BASE_URL`] = url;
  }
});
afterEach(() => {
  inboundFaults.afterReconcile = undefined;
});

interface Shop {
  merchant: TestMerchant;
  key: string;
  secretKey: string;
  webhookSecret?: string;
  webhookUrl: string;
}

async function shop(provider: 'paystack' | 'stripe' | 'flutterwave'): Promise<Shop> {
  const merchant = await registerMerchant(api.request);
  const { key } = await createKey(api.request, merchant, 'test', 'full');
  const credentials = testCredentials(provider);
  const res = await api.request(`/v1/providers/${provider}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ mode: 'test', ...credentials }),
  });
  const { webhookUrl } = (await res.json()) as { webhookUrl: string };
  // What the merchant pastes into the provider's dashboard.
  await sandboxes.control('PUT', `/${provider}/accounts`, { ...credentials, webhookUrl });
  return { merchant, key, ...credentials, webhookUrl };
}

async function newPayment(s: Shop, currency = 'NGN', amount = 500000) {
  const res = await api.request('/v1/payments', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${s.key}`,
      'idempotency-key': `k-${Math.random()}`,
    },
    body: JSON.stringify({
      amount,
      currency,
      customer: { email: 'buyer@example.com' },
      redirectUrl: 'https://shop.example/r',
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; checkoutUrl: string; providerReference: string };
}

async function statusOf(s: Shop, id: string): Promise<string> {
  return ((await (await api.request(`/v1/payments/${id}`, bearer(s.key))).json()) as { status: string })
    .status;
}

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const paystackHook = (s: Shop, reference: string, amount: number) => {
  const body = JSON.stringify({
    event: 'charge.success',
    data: {
      id: 42,
      reference,
      amount,
      currency: 'NGN',
      status: 'success',
      paid_at: new Date().toISOString(),
    },
  });
  return { body, signature: createHmac('sha512', s.secretKey).update(body).digest('hex') };
};

const postHook = (s: Shop, body: string, headers: Record<string, string>) =>
  fetch(s.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** Flutterwave's `flutterwave-signature`: base64 HMAC-SHA256 of the body, keyed by the merchant's secret hash. */
const flutterwaveSignature = (s: Shop, body: string) =>
  createHmac('sha256', s.webhookSecret as string)
    .update(body)
    .digest('base64');

/** Flutterwave's numeric transaction id for one of our references, as its verify API reports it. */
async function flutterwaveTransactionId(s: Shop, reference: string): Promise<number> {
  const url = `${sandboxes.sandbox().baseUrls.flutterwave}/v3/transactions/verify_by_reference?tx_ref=${reference}`;
  const answer = await fetch(url, { headers: { authorization: `Bearer ${s.secretKey}` } });
  return ((await answer.json()) as { data: { id: number } }).data.id;
}

/** Waits until the verify worker has taken and finished every provider-events message. */
async function providerEventsDrained(): Promise<void> {
  await until(async () => {
    const out = await pipeline.sqs().send(
      new GetQueueAttributesCommand({
        QueueUrl: pipeline.queues().providerEvents,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const a = out.Attributes ?? {};
    return a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0';
  });
}

describe('provider webhooks in', () => {
  it('settles a payment from the sandbox’s own signed webhook, through ingest, SQS and the verify worker', async () => {
    const s = await shop('paystack');
    const payment = await newPayment(s);
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    await until(async () => (await statusOf(s, payment.id)) === 'succeeded');
    const events = await listEvents(s.merchant.merchantId, 'test', { paymentId: payment.id }, 10);
    expect(events.data.map((e) => e.type)).toEqual(['payment.succeeded']);
  });

  it('turns one webhook sent 10 times plus an SQS redelivery into exactly one state change and one event', async () => {
    const s = await shop('paystack');
    const payment = await newPayment(s);
    // Settle it at the provider without its webhook reaching us: the sandbox has no URL for this key now.
    await sandboxes.control('PUT', '/paystack/accounts', { secretKey: s.secretKey });
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    const hook = paystackHook(s, payment.providerReference, 500000);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => postHook(s, hook.body, { 'x-paystack-signature': hook.signature })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    // And the queue delivering one of them twice.
    const token = s.webhookUrl.split('/').pop() as string;
    await pipeline.sqs().send(
      new SendMessageCommand({
        QueueUrl: pipeline.queues().providerEvents,
        MessageBody: JSON.stringify({
          provider: 'paystack',
          token,
          headers: { 'x-paystack-signature': hook.signature, 'content-type': 'application/json' },
          body: Buffer.from(hook.body).toString('base64'),
          sourceIp: '127.0.0.1',
          receivedAt: new Date().toISOString(),
        }),
      }),
    );
    await until(async () => (await statusOf(s, payment.id)) === 'succeeded');
    await new Promise((r) => setTimeout(r, 2500)); // let every copy be processed
    const events = await listEvents(s.merchant.merchantId, 'test', { paymentId: payment.id }, 10);
    expect(events.data).toHaveLength(1);
    const audit = await api.request('/v1/payments?limit=100', bearer(s.key));
    expect(((await audit.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it('keeps provider-event dedupe per merchant: another merchant cannot pre-claim a Flutterwave transaction id', async () => {
    const attacker = await shop('flutterwave');
    const victim = await shop('flutterwave');
    // The attacker settles one payment of its own and learns Flutterwave's (global, increasing) id.
    const own = await newPayment(attacker);
    await sandboxes.clickOn(own.checkoutUrl, 'success');
    await until(async () => (await statusOf(attacker, own.id)) === 'succeeded');
    const n = await flutterwaveTransactionId(attacker, own.providerReference);
    // Then signs, with the secret hash it chose, charge.completed bodies for the next ten ids.
    for (let id = n + 1; id <= n + 10; id++) {
      const body = JSON.stringify({
        event: 'charge.completed',
        data: { id, tx_ref: own.providerReference, status: 'successful', amount: 5000, currency: 'NGN' },
      });
      const answer = await postHook(attacker, body, {
        'flutterwave-signature': flutterwaveSignature(attacker, body),
      });
      expect(answer.status).toBe(200);
    }
    await providerEventsDrained();
    // Another merchant's customer pays: Flutterwave's genuine webhook carries one of those ids.
    const payment = await newPayment(victim);
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    const victimId = await flutterwaveTransactionId(victim, payment.providerReference);
    expect(victimId).toBeGreaterThan(n);
    expect(victimId).toBeLessThanOrEqual(n + 10);
    await until(async () => (await statusOf(victim, payment.id)) === 'succeeded');
    const events = await listEvents(victim.merchant.merchantId, 'test', { paymentId: payment.id }, 10);
    expect(events.data.map((e) => e.type)).toEqual(['payment.succeeded']);
  });

  it('refuses a Flutterwave verif-hash-only delivery once the endpoint has sent flutterwave-signature', async () => {
    const s = await shop('flutterwave');
    const account = { secretKey: s.secretKey, webhookSecret: s.webhookSecret };
    const settleQuietly = async () => {
      const p = await newPayment(s);
      await sandboxes.control('PUT', '/flutterwave/accounts', account); // no webhook URL: nothing sent
      await sandboxes.clickOn(p.checkoutUrl, 'success');
      await sandboxes.control('PUT', '/flutterwave/accounts', { ...account, webhookUrl: s.webhookUrl });
      const id = await flutterwaveTransactionId(s, p.providerReference);
      const body = JSON.stringify({
        event: 'charge.completed',
        data: { id, tx_ref: p.providerReference, status: 'successful', amount: 5000, currency: 'NGN' },
      });
      return { ...p, body };
    };
    // An account that has only ever sent the legacy header keeps working.
    const first = await settleQuietly();
    await postHook(s, first.body, { 'verif-hash': s.webhookSecret as string });
    await until(async () => (await statusOf(s, first.id)) === 'succeeded');
    // Flutterwave's own delivery carries flutterwave-signature (and verif-hash).
    const second = await newPayment(s);
    await sandboxes.clickOn(second.checkoutUrl, 'success');
    await until(async () => (await statusOf(s, second.id)) === 'succeeded');
    // From now on the static secret alone is a downgrade: refused and recorded.
    const third = await settleQuietly();
    await postHook(s, third.body, { 'verif-hash': s.webhookSecret as string });
    await until(async () => {
      const page = await listSecurityEvents(s.merchant.merchantId, 10);
      return page.data.some((e) => e.detail.reason === 'legacy_signature_refused');
    });
    await providerEventsDrained();
    expect(await statusOf(s, third.id)).toBe('pending');
    // The same body with its HMAC is accepted: it was the header, not the payment.
    await postHook(s, third.body, { 'flutterwave-signature': flutterwaveSignature(s, third.body) });
    await until(async () => (await statusOf(s, third.id)) === 'succeeded');
  });

  it('remembers a processed provider event for 30 days, then lets DynamoDB expire it', async () => {
    const s = await shop('flutterwave');
    const payment = await newPayment(s);
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    await until(async () => (await statusOf(s, payment.id)) === 'succeeded');
    const id = await flutterwaveTransactionId(s, payment.providerReference);
    const identity = `${payment.providerReference}#${id}:successful`;
    const out = await dynamoClient().send(
      new GetCommand({
        TableName: tableName(),
        Key: keys.providerEvent(s.merchant.merchantId, 'test', 'flutterwave', identity),
      }),
    );
    expect(out.Item?.outcome).toBe('applied');
    const days = (Number(out.Item?.ttl) - Date.now() / 1000) / 86400;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('rejects a tampered body, a wrong secret and a missing signature: recorded, never applied', async () => {
    const s = await shop('paystack');
    const payment = await newPayment(s);
    await sandboxes.control('PUT', '/paystack/accounts', { secretKey: s.secretKey });
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    const hook = paystackHook(s, payment.providerReference, 500000);
    const tampered = hook.body.replace('500000', '500001');
    const wrong = createHmac('sha512', 'sk_test_not_the_key').update(hook.body).digest('hex');
    expect((await postHook(s, tampered, { 'x-paystack-signature': hook.signature })).status).toBe(200);
    expect((await postHook(s, hook.body, { 'x-paystack-signature': wrong })).status).toBe(200);
    expect((await postHook(s, hook.body, {})).status).toBe(200);
    await until(async () => {
      const page = await listSecurityEvents(s.merchant.merchantId, 10);
      return page.data.filter((e) => e.kind === 'webhook_signature_rejected').length === 3;
    });
    expect(await statusOf(s, payment.id)).toBe('pending');
  });

  it('shows the provider’s health in GET /v1/providers: a refused signature counts, an accepted webhook sets lastWebhookAt', async () => {
    const s = await shop('paystack');
    type Health = {
      lastWebhookAt: string | null;
      signatureFailures24h: number;
      settledByWebhook: number;
      settledByReconciliation: number;
    };
    const health = async (): Promise<Health> => {
      const res = await api.request('/v1/providers', bearer(s.key));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { provider: string; health: Health }[] };
      return body.data.find((c) => c.provider === 'paystack')?.health as Health;
    };
    expect(await health()).toEqual({
      lastWebhookAt: null,
      signatureFailures24h: 0,
      settledByWebhook: 0,
      settledByReconciliation: 0,
    });

    const payment = await newPayment(s);
    await sandboxes.control('PUT', '/paystack/accounts', { secretKey: s.secretKey });
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    const hook = paystackHook(s, payment.providerReference, 500000);
    const wrong = createHmac('sha512', 'sk_test_not_the_key').update(hook.body).digest('hex');
    expect((await postHook(s, hook.body, { 'x-paystack-signature': wrong })).status).toBe(200);
    await until(async () => (await health()).signatureFailures24h === 1);
    expect((await health()).lastWebhookAt).toBeNull();

    const before = new Date().toISOString();
    expect((await postHook(s, hook.body, { 'x-paystack-signature': hook.signature })).status).toBe(200);
    await until(async () => (await statusOf(s, payment.id)) === 'succeeded');
    const after = await health();
    expect(after.lastWebhookAt).not.toBeNull();
    expect((after.lastWebhookAt ?? '') >= before).toBe(true);
    expect(after).toMatchObject({ signatureFailures24h: 1, settledByWebhook: 1, settledByReconciliation: 0 });

    // Another merchant's refused webhooks are not counted here, nor this one's in its health.
    const other = await shop('paystack');
    expect((await postHook(other, hook.body, { 'x-paystack-signature': wrong })).status).toBe(200);
    await until(async () => {
      const page = await listSecurityEvents(other.merchant.merchantId, 10);
      return page.data.some((e) => e.kind === 'webhook_signature_rejected');
    });
    expect((await health()).signatureFailures24h).toBe(1);
  });

  it('rejects a Stripe webhook whose timestamp is outside the 300 s tolerance', async () => {
    const s = await shop('stripe');
    const payment = await newPayment(s, 'USD', 1500);
    const body = JSON.stringify({
      id: 'evt_stale',
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: { id: payment.providerReference, object: 'checkout.session', payment_status: 'paid' } },
    });
    const t = Math.floor(Date.now() / 1000) - 301;
    const v1 = createHmac('sha256', s.webhookSecret as string)
      .update(`${t}.${body}`)
      .digest('hex');
    expect((await postHook(s, body, { 'stripe-signature': `t=${t},v1=${v1}` })).status).toBe(200);
    await until(async () => {
      const page = await listSecurityEvents(s.merchant.merchantId, 10);
      return page.data.some(
        (e) => e.kind === 'webhook_signature_rejected' && e.detail.reason === 'stale_timestamp',
      );
    });
    expect(await statusOf(s, payment.id)).toBe('pending');
  });

  it('answers 404 for an unknown token and 413 for an oversized body', async () => {
    const s = await shop('paystack');
    const unknown = s.webhookUrl.replace(/[^/]+$/, 'A'.repeat(43));
    expect((await fetch(unknown, { method: 'POST', body: '{}' })).status).toBe(404);
    expect(
      (await fetch(s.webhookUrl.replace('/paystack/', '/stripe/'), { method: 'POST', body: '{}' })).status,
    ).toBe(404);
    const big = await fetch(s.webhookUrl, { method: 'POST', body: 'x'.repeat(256 * 1024 + 1) });
    expect(big.status).toBe(413);
  });

  it('gives new configurations a signed webhook URL, refuses a forged one, and keeps URLs of the first (random) form working', async () => {
    const s = await shop('paystack');
    const token = s.webhookUrl.slice(s.webhookUrl.lastIndexOf('/') + 1);
    // Version 1 of the server key (`B`), test mode (`t`), the same length as a random token.
    expect(token).toMatch(/^Bt[A-Za-z0-9_-]{41}$/);
    // Another merchant in a token signed for this one: the MAC refuses it (and no token item has it).
    const other = token[5] === 'A' ? 'B' : 'A';
    const forged = s.webhookUrl.replace(/[^/]+$/, token.slice(0, 5) + other + token.slice(6));
    expect((await fetch(forged, { method: 'POST', body: '{}' })).status).toBe(404);

    // A configuration from before signed tokens: a random token and its lookup item, as they were written.
    const legacy =
      'L'.repeat(11) + createHmac('sha256', String(Math.random())).digest('base64url').slice(0, 32);
    const { merchantId } = s.merchant;
    await dynamoClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.provider(merchantId, 'test', 'paystack'),
        UpdateExpression: 'SET webhookToken = :t',
        ExpressionAttributeValues: { ':t': legacy },
      }),
    );
    await dynamoClient().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.webhookToken(legacy),
          type: 'webhook_token',
          merchantId,
          mode: 'test',
          provider: 'paystack',
        },
      }),
    );
    const legacyUrl = s.webhookUrl.replace(/[^/]+$/, legacy);
    await sandboxes.control('PUT', '/paystack/accounts', { secretKey: s.secretKey, webhookUrl: legacyUrl });
    const payment = await newPayment(s);
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    await until(async () => (await statusOf(s, payment.id)) === 'succeeded');
    const events = await listEvents(merchantId, 'test', { paymentId: payment.id }, 10);
    expect(events.data.map((e) => e.type)).toEqual(['payment.succeeded']);
    // The signed URL is no longer this configuration's: the worker refuses what ingest let through.
    expect((await fetch(s.webhookUrl, { method: 'POST', body: '{}' })).status).toBe(200);
  });

  it('loses nothing when the worker crashes between reconciliation and the write', async () => {
    const s = await shop('paystack');
    const payment = await newPayment(s);
    let crashes = 0;
    inboundFaults.afterReconcile = () => {
      if (crashes++ === 0) throw new Error('injected crash');
    };
    await sandboxes.clickOn(payment.checkoutUrl, 'success');
    await until(async () => (await statusOf(s, payment.id)) === 'succeeded');
    expect(crashes).toBeGreaterThanOrEqual(2);
    const events = await listEvents(s.merchant.merchantId, 'test', { paymentId: payment.id }, 10);
    expect(events.data).toHaveLength(1);
  });
});
