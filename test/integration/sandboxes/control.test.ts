import { createHmac, randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchJson, useSandboxes } from '#test/sandbox-fixture';
import { carrying } from '#test/sandbox-receiver';

const secretKey = 'sk_test_controlPlaneMerchant';

describe('Sandbox control API and knobs', () => {
  const { sandbox, hooks, control, clickOn } = useSandboxes();

  const configure = () =>
    control('PUT', '/paystack/accounts', { secretKey, webhookUrl: `${hooks().url}/hooks/control` });

  beforeAll(async () => {
    expect((await configure()).status).toBe(200);
  });

  beforeEach(async () => {
    await control('POST', '/paystack/knobs', { latencyMs: 0, failNext: 0, hangNext: 0, declineAll: false });
  });

  const initialize = (reference: string, signal?: AbortSignal) =>
    fetchJson(`${sandbox().baseUrls.paystack}/transaction/initialize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com', amount: 10000, reference }),
      ...(signal ? { signal } : {}),
    });

  const newReference = () => `ctl-${randomUUID()}`;

  const callsTo = async (path: string) => {
    const { body } = await control('GET', '/paystack/calls');
    return (body.calls as { method: string; path: string; status?: number }[]).filter((c) => c.path === path);
  };

  it('answers 503 in the provider shape to the next failNext calls, then serves normally', async () => {
    const before = (await callsTo('/transaction/initialize')).length;
    expect((await control('POST', '/paystack/knobs', { failNext: 1 })).body.knobs.failNext).toBe(1);
    const failed = await initialize(newReference());
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ status: false });
    const served = await initialize(newReference());
    expect(served.status).toBe(200);
    const calls = (await callsTo('/transaction/initialize')).slice(before);
    expect(calls.map((c) => c.status)).toEqual([503, 200]);
  });

  it('counts API calls without recording secrets, and leaves checkout pages out of the count', async () => {
    const reference = newReference();
    const { body } = await initialize(reference);
    await fetch(body.data.authorization_url);
    await clickOn(body.data.authorization_url, 'success');
    const log = await control('GET', '/paystack/calls');
    expect(log.body.count).toBe(log.body.calls.length);
    expect(JSON.stringify(log.body)).not.toContain(secretKey);
    expect(log.body.calls.some((c: { path: string }) => c.path.includes('/checkout/'))).toBe(false);
    expect(log.body.calls.at(-1)).toMatchObject({
      method: 'POST',
      path: '/transaction/initialize',
      status: 200,
    });
  });

  it('leaves hangNext calls unanswered until the client gives up', async () => {
    await control('POST', '/paystack/knobs', { hangNext: 1 });
    const reference = newReference();
    await expect(initialize(reference, AbortSignal.timeout(300))).rejects.toThrow();
    // The hung call never reached the face: the reference is still free.
    expect((await initialize(reference)).status).toBe(200);
  });

  it('delays answers by latencyMs', async () => {
    await control('POST', '/paystack/knobs', { latencyMs: 250 });
    const started = Date.now();
    expect((await initialize(newReference())).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('declines every payment while declineAll is on', async () => {
    await control('POST', '/paystack/knobs', { declineAll: true });
    const { body } = await initialize(newReference());
    expect((await clickOn(body.data.authorization_url, 'success')).body.status).toBe('failed');
  });

  it('retries a webhook the receiver answers 500 to, with the same signed bytes, until it gets 200', async () => {
    const reference = newReference();
    const { body } = await initialize(reference);
    hooks().failNext(2, 500);
    await clickOn(body.data.authorization_url, 'success');
    await hooks().waitFor((r) => carrying('reference', reference)(r) && r.answered === 200, 5000);
    const attempts = hooks().received.filter(carrying('reference', reference));
    expect(attempts.map((a) => a.answered)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((a) => a.raw.toString('hex'))).size).toBe(1);
    for (const attempt of attempts) {
      expect(attempt.headers['x-paystack-signature']).toBe(
        createHmac('sha512', secretKey).update(attempt.raw).digest('hex'),
      );
    }
    const { body: log } = await control('GET', '/paystack/webhooks');
    const delivery = log.deliveries.at(-1);
    expect(delivery).toMatchObject({ event: 'charge.success', state: 'delivered' });
    expect(delivery.attempts.map((a: { status: number }) => a.status)).toEqual([500, 500, 200]);
  });

  it('holds webhooks while holdWebhooks is on and sends them on release; pays another amount when told', async () => {
    const reference = newReference();
    const { body } = await initialize(reference);
    await control('POST', '/paystack/knobs', { holdWebhooks: true });
    try {
      const paid = await control('POST', `/paystack/transactions/${reference}/complete`, {
        outcome: 'success',
        amount: 9000,
      });
      expect(paid.status).toBe(200);
      const { body: log } = await control('GET', '/paystack/webhooks');
      expect(log.deliveries.at(-1)).toMatchObject({ event: 'charge.success', state: 'held', attempts: [] });
      expect(hooks().received.filter(carrying('reference', reference))).toEqual([]);
      // The verify API already says paid, with the amount actually paid.
      const verified = await fetchJson(`${sandbox().baseUrls.paystack}/transaction/verify/${reference}`, {
        headers: { authorization: `Bearer ${secretKey}` },
      });
      expect(verified.body.data).toMatchObject({ status: 'success', amount: 9000 });
      expect(body.data.reference).toBe(reference);
      const released = await control('POST', '/paystack/webhooks/release');
      expect(released.body.released).toBe(1);
      const hook = await hooks().waitFor(carrying('reference', reference), 5000);
      expect(JSON.parse(hook.raw.toString('utf8')).data.amount).toBe(9000);
    } finally {
      await control('POST', '/paystack/knobs', { holdWebhooks: false });
    }
  });

  it('sends each webhook webhookDelayMs after the payment, not at once', async () => {
    const reference = newReference();
    const { body } = await initialize(reference);
    await control('POST', '/paystack/knobs', { webhookDelayMs: 3000 });
    try {
      await clickOn(body.data.authorization_url, 'success');
      const { body: log } = await control('GET', '/paystack/webhooks');
      expect(log.deliveries.at(-1)).toMatchObject({ state: 'pending', attempts: [] });
      await hooks().waitFor(carrying('reference', reference), 5000);
    } finally {
      await control('POST', '/paystack/knobs', { webhookDelayMs: 0 });
    }
  });

  it('lets a Stripe session lapse as at its expires_at, and refuses it for providers without a lifetime', async () => {
    const stripeKey = 'sk_test_controlLapse';
    await control('PUT', '/stripe/accounts', { secretKey: stripeKey });
    const form = new URLSearchParams({
      mode: 'payment',
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '1500',
      'line_items[0][price_data][product_data][name]': 'Lapse',
      'line_items[0][quantity]': '1',
    });
    const session = await fetchJson(`${sandbox().baseUrls.stripe}/v1/checkout/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stripeKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const lapsed = await control('POST', `/stripe/transactions/${session.body.id}/expire`);
    expect(lapsed.body).toMatchObject({ status: 'expired' });
    const read = await fetchJson(`${sandbox().baseUrls.stripe}/v1/checkout/sessions/${session.body.id}`, {
      headers: { authorization: `Bearer ${stripeKey}` },
    });
    expect(read.body).toMatchObject({ status: 'expired', url: null });
    expect((await control('POST', `/paystack/transactions/${newReference()}/expire`)).status).toBe(404);
  });

  it('gives up after the retry schedule when the receiver keeps failing', async () => {
    await control('POST', '/paystack/knobs', { webhookRetryDelaysMs: [50, 50] });
    const reference = newReference();
    const { body } = await initialize(reference);
    hooks().failNext(3, 503); // the first attempt and both retries
    await clickOn(body.data.authorization_url, 'success');
    await expect
      .poll(async () => (await control('GET', '/paystack/webhooks')).body.deliveries.at(-1)?.state, {
        timeout: 3000,
      })
      .toBe('failed');
    expect(hooks().received.filter(carrying('reference', reference))).toHaveLength(3);
    await control('POST', '/paystack/knobs', { webhookRetryDelaysMs: [100, 200, 400] });
  });

  it('redirects a browser to the callback URL after the Pay button is clicked', async () => {
    const reference = `ctl-browser-${Date.now()}`;
    const created = await fetchJson(`${sandbox().baseUrls.paystack}/transaction/initialize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'ada@example.com',
        amount: 10000,
        reference,
        callback_url: 'https://merchant.example/back',
      }),
    });
    const response = await fetch(`${created.body.data.authorization_url}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=success',
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(
      `https://merchant.example/back?trxref=${reference}&reference=${reference}`,
    );
  });

  it('completes a transaction by reference through the control API', async () => {
    const reference = newReference();
    await initialize(reference);
    const completed = await control('POST', `/paystack/transactions/${reference}/complete`, {
      outcome: 'success',
    });
    expect(completed.body).toMatchObject({ provider: 'paystack', reference, status: 'success' });
    await hooks().waitFor(carrying('reference', reference));
    const unknown = await control('POST', '/paystack/transactions/nope/complete', { outcome: 'success' });
    expect(unknown.status).toBe(404);
  });

  it("refuses account settings the provider's dashboard would not take", async () => {
    const paystackSecret = await control('PUT', '/paystack/accounts', {
      secretKey,
      webhookUrl: 'https://merchant.example/hooks',
      webhookSecret: 'not-a-paystack-thing',
    });
    expect(paystackSecret.status).toBe(400);
    const stripeSecret = await control('PUT', '/stripe/accounts', {
      secretKey: 'sk_test_abc',
      webhookUrl: 'https://merchant.example/hooks',
      webhookSecret: 'not-whsec',
    });
    expect(stripeSecret.status).toBe(400);
    const flutterwaveNoHash = await control('PUT', '/flutterwave/accounts', {
      secretKey: 'FLWSECK_TEST-abc-X',
      webhookUrl: 'https://merchant.example/hooks',
    });
    expect(flutterwaveNoHash.status).toBe(400);
    const badKey = await control('PUT', '/chapa/accounts', { secretKey: 'sk_test_abc' });
    expect(badKey.status).toBe(400);
    const badKnob = await control('POST', '/stripe/knobs', { failNext: -1 });
    expect(badKnob.status).toBe(400);
  });

  it('forgets transactions, accounts, knobs and logs on reset', async () => {
    const reference = newReference();
    await initialize(reference);
    await control('POST', '/paystack/knobs', { failNext: 3 });
    expect((await control('POST', '/reset')).status).toBe(200);
    const verified = await fetchJson(`${sandbox().baseUrls.paystack}/transaction/verify/${reference}`, {
      headers: { authorization: `Bearer ${secretKey}` },
    });
    expect(verified.status).toBe(400);
    const calls = await control('GET', '/paystack/calls');
    expect(calls.body.count).toBe(1);
    expect((await control('GET', '/paystack/webhooks')).body.count).toBe(0);
    expect((await configure()).status).toBe(200);
  });
});
