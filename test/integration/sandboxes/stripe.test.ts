import { createHmac, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { stripeApiVersion } from '#providers/stripe';
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
