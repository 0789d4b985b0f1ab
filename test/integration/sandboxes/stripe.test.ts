import { createHmac, randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stripe, stripeApiVersion } from '#providers/stripe';
import { fetchJson, useSandboxes } from '#test/sandbox-fixture';
import { carrying, type ReceivedRequest } from '#test/sandbox-receiver';

const secretKey = 'sk_test_51StripeMerchantOne';
const otherKey = 'sk_test_51StripeMerchantTwo';
const signingSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Checks a Stripe-Signature header the way stripe-node's Webhooks.ts does. */
function expectValidStripeSignature(webhook: ReceivedRequest): void {
  const header = String(webhook.headers['stripe-signature']);
  const parts = header.split(',').map((part) => part.split('=') as [string, string]);
  const t = parts.find(([name]) => name === 't')?.[1];
  const v1 = parts.filter(([name]) => name === 'v1').map(([, value]) => value);
  expect(t).toMatch(/^\d+$/);
  const expected = createHmac('sha256', signingSecret)
    .update(`${t}.${webhook.raw.toString('utf8')}`)
    .digest('hex');
  expect(v1).toContain(expected);
  expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(300);
}

describe('Stripe sandbox', () => {
  const { sandbox, hooks, control, clickOn } = useSandboxes();

  beforeAll(async () => {
    const configured = await control('PUT', '/stripe/accounts', {
      secretKey,
      webhookUrl: `${hooks().url}/hooks/stripe`,
      webhookSecret: signingSecret,
    });
    expect(configured.status).toBe(200);
  });

  const api = (path: string, init: RequestInit & { key?: string | null } = {}) => {
    const { key = secretKey, ...rest } = init;
    return fetchJson(`${sandbox().baseUrls.stripe}${path}`, {
      ...rest,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(rest.headers as Record<string, string> | undefined),
      },
    });
  };

  const sessionForm = (reference: string, overrides: Record<string, string> = {}) =>
    new URLSearchParams({
      mode: 'payment',
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '1500',
      'line_items[0][price_data][product_data][name]': 'T-shirt',
      'line_items[0][quantity]': '2',
      client_reference_id: reference,
      success_url: 'https://merchant.example/success?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://merchant.example/cancel',
      'metadata[orderId]': 'o_42',
      ...overrides,
    }).toString();

  const createSession = (
    reference: string,
    overrides?: Record<string, string>,
    key: string | null = secretKey,
  ) => api('/v1/checkout/sessions', { method: 'POST', body: sessionForm(reference, overrides), key });

  const newReference = () => `ref_${randomUUID()}`;

  it('refuses an API version it does not implement, as Stripe refuses unknown ones', async () => {
    const answer = await api('/v1/checkout/sessions', {
      method: 'POST',
      body: sessionForm(newReference()),
      headers: { 'stripe-version': '2099-01-01' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: { type: 'invalid_request_error', message: 'Invalid Stripe API version: 2099-01-01' },
    });
    const pinned = await api('/v1/checkout/sessions', {
      method: 'POST',
      body: sessionForm(newReference()),
      headers: { 'stripe-version': stripeApiVersion },
    });
    expect(pinned.status).toBe(200);
  });

  it('creates a Checkout Session object from a bracket-notation form', async () => {
    const reference = newReference();
    const answer = await createSession(reference);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('request-id')).toMatch(/^req_/);
    expect(answer.body).toMatchObject({
      object: 'checkout.session',
      amount_total: 3000,
      currency: 'usd',
      payment_status: 'unpaid',
      status: 'open',
      mode: 'payment',
      livemode: false,
      client_reference_id: reference,
      metadata: { orderId: 'o_42' },
    });
    expect(answer.body.id).toMatch(/^cs_test_[A-Za-z0-9]+$/);
    expect(answer.body.url).toBe(`${sandbox().baseUrls.stripe}/checkout/${answer.body.id}`);
  });

  it('keeps zero-decimal currencies in whole units', async () => {
    const answer = await createSession(newReference(), {
      'line_items[0][price_data][currency]': 'JPY',
      'line_items[0][price_data][unit_amount]': '500',
      'line_items[0][quantity]': '3',
    });
    expect(answer.body).toMatchObject({ amount_total: 1500, currency: 'jpy' });
    const html = await (await fetch(answer.body.url)).text();
    expect(html).toContain('JPY 1500');
  });

  it('serves a checkout page with Pay and Decline buttons', async () => {
    const { body } = await createSession(newReference());
    const page = await fetch(body.url);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('USD 30.00');
    expect(html).toMatch(/<button[^>]*value="success"[^>]*>Pay<\/button>/);
    expect(html).toMatch(/<button[^>]*value="decline"[^>]*>Decline<\/button>/);
  });

  it('sends checkout.session.completed with a valid Stripe-Signature, and the session reads paid', async () => {
    const reference = newReference();
    const { body: session } = await createSession(reference);
    const clicked = await clickOn(session.url, 'success');
    expect(clicked.body).toMatchObject({
      status: 'complete',
      redirectUrl: `https://merchant.example/success?session=${session.id}`,
    });

    const webhook = await hooks().waitFor(carrying('client_reference_id', reference));
    expect(webhook.url).toBe('/hooks/stripe');
    expectValidStripeSignature(webhook);
    const event = JSON.parse(webhook.raw.toString('utf8'));
    expect(event).toMatchObject({
      object: 'event',
      type: 'checkout.session.completed',
      livemode: false,
      data: {
        object: {
          id: session.id,
          payment_status: 'paid',
          status: 'complete',
          amount_total: 3000,
          currency: 'usd',
          client_reference_id: reference,
        },
      },
    });
    expect(event.id).toMatch(/^evt_/);
    // Stripe sends pretty-printed JSON: re-serialising the parsed body would not match the signature.
    expect(webhook.raw.toString('utf8')).not.toBe(JSON.stringify(event));

    const retrieved = await api(`/v1/checkout/sessions/${session.id}`);
    expect(retrieved.body).toMatchObject({
      payment_status: 'paid',
      status: 'complete',
      amount_total: 3000,
      url: null,
    });
    expect(retrieved.body.payment_intent).toMatch(/^pi_/);
  });

  it('leaves a declined session open and silent, and sends checkout.session.expired only on expire', async () => {
    const reference = newReference();
    const { body: session } = await createSession(reference);
    const clicked = await clickOn(session.url, 'decline');
    expect(clicked.body).toMatchObject({ status: 'open' });
    const afterDecline = await api(`/v1/checkout/sessions/${session.id}`);
    expect(afterDecline.body).toMatchObject({ status: 'open', payment_status: 'unpaid' });
    expect(await (await fetch(session.url)).text()).toContain('Your card was declined.');

    const expired = await api(`/v1/checkout/sessions/${session.id}/expire`, { method: 'POST' });
    expect(expired.body).toMatchObject({ status: 'expired', payment_status: 'unpaid', url: null });
    const webhook = await hooks().waitFor(carrying('client_reference_id', reference));
    expectValidStripeSignature(webhook);
    expect(JSON.parse(webhook.raw.toString('utf8')).type).toBe('checkout.session.expired');
    expect(hooks().received.filter(carrying('client_reference_id', reference))).toHaveLength(1);
    expect((await clickOn(session.url, 'success')).status).toBe(409);
  });

  it('answers errors in Stripe shape: missing param, unknown session, JSON body', async () => {
    const missing = await api('/v1/checkout/sessions', {
      method: 'POST',
      body: 'line_items[0][quantity]=1',
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'parameter_missing',
        param: 'mode',
        message: 'Missing required param: mode.',
      },
    });

    const unknown = await api('/v1/checkout/sessions/cs_test_nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });

    const json = await api('/v1/checkout/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'payment' }),
    });
    expect(json.status).toBe(400);
    expect(json.body.error.message).toMatch(/application\/x-www-form-urlencoded/);
  });

  it('answers 401 in Stripe shape to a missing or malformed key', async () => {
    const missing = await createSession(newReference(), {}, null);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ type: 'invalid_request_error' });
    expect(missing.body.error.message).toMatch(/^You did not provide an API key/);
    for (const key of ['sk_live_realMoney', 'rk_test_restricted', 'pk_test_public']) {
      const wrong = await createSession(newReference(), {}, key);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toMatchObject({
        type: 'invalid_request_error',
        message: 'Invalid API Key provided.',
      });
    }
  });

  it("never shows one secret key's sessions to another key", async () => {
    const { body: session } = await createSession(newReference());
    const other = await api(`/v1/checkout/sessions/${session.id}`, { key: otherKey });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('resource_missing');
  });

  it('replays the first answer for a repeated Idempotency-Key, and refuses it with other parameters', async () => {
    const reference = newReference();
    const headers = { 'idempotency-key': `idem-${randomUUID()}` };
    const body = sessionForm(reference);
    const first = await api('/v1/checkout/sessions', { method: 'POST', body, headers });
    const second = await api('/v1/checkout/sessions', { method: 'POST', body, headers });
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const changed = await api('/v1/checkout/sessions', {
      method: 'POST',
      body: sessionForm(newReference()),
      headers,
    });
    expect(changed.status).toBe(400);
    expect(changed.body.error.type).toBe('idempotency_error');
  });
});

describe('Stripe sandbox refunds', () => {
  const { sandbox, hooks, control, clickOn } = useSandboxes();

  beforeAll(async () => {
    const configured = await control('PUT', '/stripe/accounts', {
      secretKey,
      webhookUrl: `${hooks().url}/hooks/stripe`,
      webhookSecret: signingSecret,
    });
    expect(configured.status).toBe(200);
  });

  beforeEach(async () => {
    const knobs = await control('POST', '/stripe/knobs', {
      refundOutcome: 'succeed',
      refundDelayMs: 0,
      holdWebhooks: false,
    });
    expect(knobs.status).toBe(200);
  });

  const api = (path: string, init: RequestInit & { key?: string } = {}) => {
    const { key = secretKey, ...rest } = init;
    return fetchJson(`${sandbox().baseUrls.stripe}${path}`, {
      ...rest,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Bearer ${key}`,
        ...(rest.headers as Record<string, string> | undefined),
      },
    });
  };

  /** A paid Checkout Session of USD 30.00 (or `amount` JPY when asked), with our reference on its PaymentIntent. */
  async function paidSession(currency = 'usd', unitAmount = '3000') {
    const reference = `ref_${randomUUID()}`;
    const created = await api('/v1/checkout/sessions', {
      method: 'POST',
      body: new URLSearchParams({
        mode: 'payment',
        'line_items[0][price_data][currency]': currency,
        'line_items[0][price_data][unit_amount]': unitAmount,
        'line_items[0][price_data][product_data][name]': 'Order',
        'line_items[0][quantity]': '1',
        client_reference_id: reference,
        customer_email: 'ada@example.com',
        success_url: 'https://merchant.example/success',
        'payment_intent_data[metadata][paybridge_reference]': reference,
      }).toString(),
    });
    expect(created.status).toBe(200);
    expect((await clickOn(created.body.url, 'success')).body).toMatchObject({ status: 'complete' });
    const session = await api(`/v1/checkout/sessions/${created.body.id}`);
    const paymentIntent = session.body.payment_intent as string;
    expect(paymentIntent).toMatch(/^pi_/);
    return { reference, sessionId: created.body.id as string, paymentIntent };
  }

  const createRefund = (fields: Record<string, string>, idempotencyKey = `re_${randomUUID()}`) =>
    api('/v1/refunds', {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'idempotency-key': idempotencyKey },
    });

  /** The webhook of `type` whose data.object has `id`. */
  const eventFor = (type: string, id: string) => (request: ReceivedRequest) => {
    try {
      const event = JSON.parse(request.raw.toString('utf8')) as {
        type?: string;
        data?: { object?: { id?: string } };
      };
      return event.type === type && event.data?.object?.id === id;
    } catch {
      return false;
    }
  };
  const eventsFor = (id: string) =>
    hooks()
      .received.map(
        (request) =>
          JSON.parse(request.raw.toString('utf8')) as { type: string; data: { object: { id: string } } },
      )
      .filter((event) => event.data.object.id === id)
      .map((event) => event.type);

  it('verify with expand[]=payment_intent shows the PaymentIntent, our metadata, the charge and a 1.5% fee', async () => {
    const { reference, sessionId, paymentIntent } = await paidSession();
    const expanded = await api(
      `/v1/checkout/sessions/${sessionId}?expand[]=payment_intent.latest_charge.balance_transaction`,
    );
    expect(expanded.status).toBe(200);
    expect(expanded.body.payment_intent).toMatchObject({
      id: paymentIntent,
      object: 'payment_intent',
      status: 'succeeded',
      amount: 3000,
      amount_received: 3000,
      currency: 'usd',
      metadata: { paybridge_reference: reference },
      latest_charge: {
        object: 'charge',
        payment_intent: paymentIntent,
        metadata: { paybridge_reference: reference },
        amount_refunded: 0,
        balance_transaction: { object: 'balance_transaction', amount: 3000, fee: 45, net: 2955 },
      },
    });
    const plain = await api(`/v1/checkout/sessions/${sessionId}?expand[]=payment_intent`);
    expect(typeof plain.body.payment_intent.latest_charge).toBe('string');
  });

  it('refunds in full at once (succeed, no delay) and sends refund.created and charge.refunded, signed', async () => {
    const { reference, paymentIntent } = await paidSession();
    const answer = await createRefund({
      payment_intent: paymentIntent,
      amount: '3000',
      reason: 'requested_by_customer',
      'metadata[paybridge_refund_id]': 're_full',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      object: 'refund',
      amount: 3000,
      currency: 'usd',
      payment_intent: paymentIntent,
      status: 'succeeded',
      reason: 'requested_by_customer',
      metadata: { paybridge_refund_id: 're_full' },
    });
    expect(answer.body.id).toMatch(/^re_/);
    expect(answer.body.charge).toMatch(/^ch_/);

    const created = await hooks().waitFor(eventFor('refund.created', answer.body.id));
    expectValidStripeSignature(created);
    const charge = await hooks().waitFor(eventFor('charge.refunded', answer.body.charge));
    expectValidStripeSignature(charge);
    expect(JSON.parse(charge.raw.toString('utf8')).data.object).toMatchObject({
      amount: 3000,
      amount_refunded: 3000,
      refunded: true,
      payment_intent: paymentIntent,
      metadata: { paybridge_reference: reference },
    });
    // The adapter reads what the sandbox sends.
    expect(stripe.parseWebhook(created.raw)).toMatchObject({
      kind: 'refund',
      type: 'refund.created',
      providerReference: paymentIntent,
      providerRefundId: answer.body.id,
      refundId: 're_full',
    });
    expect(stripe.parseWebhook(charge.raw)).toMatchObject({ kind: 'refund', reference });
  });

  it('refunds in parts, counts them cumulatively, and refuses an over-refund in Stripe’s words', async () => {
    const { paymentIntent } = await paidSession();
    const first = await createRefund({ payment_intent: paymentIntent, amount: '1000' });
    expect(first.body).toMatchObject({ amount: 1000, status: 'succeeded' });
    const firstCharge = await hooks().waitFor(eventFor('charge.refunded', first.body.charge));
    expect(JSON.parse(firstCharge.raw.toString('utf8')).data.object).toMatchObject({
      amount_refunded: 1000,
      refunded: false,
    });

    const over = await createRefund({ payment_intent: paymentIntent, amount: '2500' });
    expect(over.status).toBe(400);
    expect(over.body.error).toEqual({
      type: 'invalid_request_error',
      code: 'amount_too_large',
      param: 'amount',
      message: 'Refund amount (USD 25.00) is greater than unrefunded amount on charge (USD 20.00)',
    });

    const rest = await createRefund({ payment_intent: paymentIntent }); // no amount: the remainder
    expect(rest.body).toMatchObject({ amount: 2000, status: 'succeeded' });
    await hooks().waitFor(
      (request) =>
        eventFor('charge.refunded', first.body.charge)(request) &&
        JSON.parse(request.raw.toString('utf8')).data.object.amount_refunded === 3000,
    );

    const again = await createRefund({ payment_intent: paymentIntent, amount: '1' });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'charge_already_refunded' });
    const listed = await api(`/v1/refunds?payment_intent=${paymentIntent}`);
    expect(listed.body).toMatchObject({ object: 'list', has_more: false, url: '/v1/refunds' });
    expect(listed.body.data.map((r: { amount: number }) => r.amount)).toEqual([2000, 1000]);
  });

  it('refuses a refund on an unpaid, unknown or missing PaymentIntent, and another key’s', async () => {
    const created = await api('/v1/checkout/sessions', {
      method: 'POST',
      body: new URLSearchParams({
        mode: 'payment',
        'line_items[0][price_data][currency]': 'usd',
        'line_items[0][price_data][unit_amount]': '500',
        'line_items[0][price_data][product_data][name]': 'Order',
        'line_items[0][quantity]': '1',
        client_reference_id: `ref_${randomUUID()}`,
        success_url: 'https://merchant.example/success',
      }).toString(),
    });
    await clickOn(created.body.url, 'decline');
    const declined = await api(`/v1/checkout/sessions/${created.body.id}?expand[]=payment_intent`);
    expect(declined.body.payment_intent).toMatchObject({ status: 'requires_payment_method' });
    const unpaid = await createRefund({ payment_intent: declined.body.payment_intent.id, amount: '500' });
    expect(unpaid.status).toBe(400);
    expect(unpaid.body.error.message).toMatch(/does not have a successful charge to refund/);

    const unknown = await createRefund({ payment_intent: 'pi_doesNotExist', amount: '500' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'resource_missing', param: 'payment_intent' });

    const missing = await createRefund({ amount: '500' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: 'parameter_missing',
      message: 'Missing required param: charge.',
    });

    const { paymentIntent } = await paidSession();
    const otherKey = await api('/v1/refunds', {
      method: 'POST',
      key: 'sk_test_51StripeMerchantTwo',
      body: new URLSearchParams({ payment_intent: paymentIntent }).toString(),
    });
    expect(otherKey.status).toBe(400);
    expect(otherKey.body.error.code).toBe('resource_missing');
  });

  it('answers the first refund to a repeated Idempotency-Key, and refuses the key with other parameters', async () => {
    const { paymentIntent } = await paidSession();
    const callsBefore = (await control('GET', '/stripe/calls')).body.count as number;
    const key = `re_${randomUUID()}`;
    const fields = { payment_intent: paymentIntent, amount: '1200', 'metadata[paybridge_refund_id]': key };
    const first = await createRefund(fields, key);
    const second = await createRefund(fields, key);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const calls = (await control('GET', '/stripe/calls')).body;
    expect(calls.count - callsBefore).toBe(2);
    expect(
      calls.calls
        .slice(callsBefore)
        .filter((c: { method: string; path: string }) => c.method === 'POST' && c.path === '/v1/refunds'),
    ).toHaveLength(2);
    const listed = await api(`/v1/refunds?payment_intent=${paymentIntent}`);
    expect(listed.body.data).toHaveLength(1);

    const changed = await createRefund({ ...fields, amount: '1300' }, key);
    expect(changed.status).toBe(400);
    expect(changed.body.error.type).toBe('idempotency_error');
  });

  it('with a delay, answers pending and succeeds later with refund.updated', async () => {
    await control('POST', '/stripe/knobs', { refundDelayMs: 150 });
    const { paymentIntent } = await paidSession();
    const answer = await createRefund({ payment_intent: paymentIntent, amount: '500' });
    expect(answer.body).toMatchObject({ status: 'pending', pending_reason: 'processing' });
    expect((await api(`/v1/refunds/${answer.body.id}`)).body.status).toBe('pending');
    const updated = await hooks().waitFor(eventFor('refund.updated', answer.body.id));
    expectValidStripeSignature(updated);
    expect(JSON.parse(updated.raw.toString('utf8')).data.object.status).toBe('succeeded');
    expect((await api(`/v1/refunds/${answer.body.id}`)).body.status).toBe('succeeded');
  });

  it('fail: pending first, then failed with a failure_reason and refund.failed; the amount becomes refundable again', async () => {
    await control('POST', '/stripe/knobs', { refundOutcome: 'fail', refundDelayMs: 50 });
    const { paymentIntent } = await paidSession();
    const answer = await createRefund({ payment_intent: paymentIntent, amount: '3000' });
    expect(answer.body.status).toBe('pending');
    const failed = await hooks().waitFor(eventFor('refund.failed', answer.body.id));
    expectValidStripeSignature(failed);
    const refund = (await api(`/v1/refunds/${answer.body.id}`)).body;
    expect(refund).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    expect(refund.failure_balance_transaction).toMatch(/^txn_/);
    await control('POST', '/stripe/knobs', { refundOutcome: 'succeed', refundDelayMs: 0 });
    const retried = await createRefund({ payment_intent: paymentIntent, amount: '3000' });
    expect(retried.body).toMatchObject({ status: 'succeeded', amount: 3000 });
  });

  it('hold: stays pending until the control API completes it; a final refund cannot be completed again', async () => {
    await control('POST', '/stripe/knobs', { refundOutcome: 'hold', refundDelayMs: 0 });
    const { paymentIntent } = await paidSession();
    const answer = await createRefund({ payment_intent: paymentIntent, amount: '700' });
    expect(answer.body.status).toBe('pending');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await api(`/v1/refunds/${answer.body.id}`)).body.status).toBe('pending');
    expect(eventsFor(answer.body.id)).toEqual(['refund.created']);

    const completed = await control('POST', `/stripe/refunds/${answer.body.id}/complete`, {
      outcome: 'succeeded',
    });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ status: 'succeeded' });
    expect((await api(`/v1/refunds/${answer.body.id}`)).body.status).toBe('succeeded');
    const updated = await hooks().waitFor(eventFor('refund.updated', answer.body.id));
    expectValidStripeSignature(updated);

    const twice = await control('POST', `/stripe/refunds/${answer.body.id}/complete`, { outcome: 'failed' });
    expect(twice.status).toBe(409);
    const unknown = await control('POST', '/stripe/refunds/re_unknown/complete', { outcome: 'succeeded' });
    expect(unknown.status).toBe(404);
  });

  it('action: answers requires_action with next_action; the control API fails it, the cancel endpoint cancels another', async () => {
    await control('POST', '/stripe/knobs', { refundOutcome: 'action' });
    const { paymentIntent } = await paidSession();
    const answer = await createRefund({ payment_intent: paymentIntent, amount: '1000' });
    expect(answer.body).toMatchObject({
      status: 'requires_action',
      next_action: {
        type: 'display_details',
        display_details: { email_sent: { email_sent_to: 'ada@example.com' } },
      },
    });
    const failed = await control('POST', `/stripe/refunds/${answer.body.id}/complete`, { outcome: 'failed' });
    expect(failed.body).toMatchObject({ status: 'failed' });
    await hooks().waitFor(eventFor('refund.failed', answer.body.id));

    const another = await createRefund({ payment_intent: paymentIntent, amount: '1000' });
    expect(another.body.status).toBe('requires_action');
    const cancelled = await api(`/v1/refunds/${another.body.id}/cancel`, { method: 'POST' });
    expect(cancelled.body).toMatchObject({ status: 'canceled' });
    const cannot = await api(`/v1/refunds/${another.body.id}/cancel`, { method: 'POST' });
    expect(cannot.status).toBe(400);
  });

  it('holds refund webhooks with holdWebhooks, and lists them in the deliveries', async () => {
    await control('POST', '/stripe/knobs', { holdWebhooks: true });
    const { paymentIntent } = await paidSession();
    const answer = await createRefund({ payment_intent: paymentIntent, amount: '100' });
    const deliveries = (await control('GET', '/stripe/webhooks')).body.deliveries as {
      event: string;
      state: string;
    }[];
    expect(
      deliveries.filter((d) => d.event === 'refund.created' && d.state === 'held').length,
    ).toBeGreaterThan(0);
    expect(
      deliveries.filter((d) => d.event === 'charge.refunded' && d.state === 'held').length,
    ).toBeGreaterThan(0);
    await control('POST', '/stripe/webhooks/release');
    await hooks().waitFor(eventFor('refund.created', answer.body.id));
  });

  it('answers Stripe’s errors for an unknown refund and a bad list limit', async () => {
    const unknown = await api('/v1/refunds/re_nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({
      code: 'resource_missing',
      message: "No such refund: 're_nope'",
    });
    expect((await api('/v1/refunds?limit=101')).status).toBe(400);
  });

  it('the adapter refunds and looks refunds up end to end against the sandbox', async () => {
    await control('POST', '/stripe/knobs', { refundDelayMs: 100 });
    const ctx = {
      baseUrl: sandbox().baseUrls.stripe,
      credentials: { secretKey, webhookSecret: signingSecret },
      timeoutMs: 2000,
    };
    const reference = `ref_${randomUUID()}`;
    const init = await stripe.initialize(ctx, {
      reference,
      amount: 5000,
      currency: 'JPY',
      customer: { email: 'ada@example.com' },
      redirectUrl: 'https://merchant.example/return',
    });
    await clickOn(init.checkoutUrl, 'success');
    const verified = await stripe.verify(ctx, { reference, providerReference: init.providerReference });
    expect(verified).toMatchObject({ status: 'succeeded', amount: 5000, currency: 'JPY' });
    expect(verified.chargeId).toMatch(/^pi_/);
    expect(verified.fee).toBeUndefined();
    const payment = { reference, providerReference: init.providerReference, chargeId: verified.chargeId };

    const refundId = `re_${randomUUID().replaceAll('-', '')}`;
    const lookup = { refundId, providerRefundId: undefined, payment, amount: 2000, currency: 'JPY' };
    expect(await stripe.lookupRefund(ctx, lookup)).toBeUndefined();

    const result = await stripe.refund(ctx, {
      refundId,
      payment,
      amount: 2000,
      currency: 'JPY',
      reason: 'duplicate',
    });
    expect(result).toMatchObject({ status: 'pending', amount: 2000, providerStatus: 'pending' });
    expect(result.providerRefundId).toMatch(/^re_/);
    // A retry after a lost answer gets the same refund back.
    expect(
      (await stripe.refund(ctx, { refundId, payment, amount: 2000, currency: 'JPY', reason: 'duplicate' }))
        .providerRefundId,
    ).toBe(result.providerRefundId);

    const byOurId = await stripe.lookupRefund(ctx, lookup);
    expect(byOurId).toMatchObject({ providerRefundId: result.providerRefundId, amount: 2000 });
    const created = await hooks().waitFor(eventFor('refund.created', result.providerRefundId));
    expect(
      stripe.verifyWebhookSignature(
        created.raw,
        created.headers as Record<string, string>,
        ctx.credentials,
        new Date(),
      ),
    ).toEqual({ ok: true });
    expect(stripe.parseWebhook(created.raw)).toMatchObject({ kind: 'refund', reference, refundId });

    await hooks().waitFor(eventFor('refund.updated', result.providerRefundId));
    const byStripeId = await stripe.lookupRefund(ctx, {
      ...lookup,
      providerRefundId: result.providerRefundId,
    });
    expect(byStripeId).toMatchObject({ status: 'succeeded', amount: 2000 });
    expect(
      await stripe.lookupRefund(ctx, { ...lookup, providerRefundId: 're_unknownAtStripe' }),
    ).toBeUndefined();

    const over = await stripe
      .refund(ctx, {
        refundId: `re_${randomUUID().replaceAll('-', '')}`,
        payment,
        amount: 3001,
        currency: 'JPY',
      })
      .catch((e: unknown) => e);
    expect(over).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((over as Error).message).toContain('is greater than unrefunded amount on charge');
  });
});
