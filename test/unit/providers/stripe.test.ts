import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { stripe, stripeApiVersion } from '#providers/stripe';
import type { InitializeInput } from '#providers/types';
import { useProviderServer } from './provider-server.ts';

const secretKey = 'sk_test_51Hx9QeLkdIwHu7ixR4nD0mK3yS3cr3tK3y';
const webhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const credentials = { secretKey, webhookSecret };
const reference = 'ref_01J9Z3K6V8Q2M4N7P5R1T0W3XY';
const sessionId = 'cs_test_a1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6';
const t = 1728901931;
const now = new Date(t * 1000);

function payload(name: string): Buffer {
  return readFileSync(new URL(`./payloads/stripe/${name}`, import.meta.url));
}

/** Stripe's scheme: hex HMAC-SHA256 of `${t}.${body}`, keyed by the whole whsec_ string. */
function v1(body: Buffer | string, timestamp = t, key: string | Buffer = webhookSecret): string {
  return createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex');
}

const input: InitializeInput = {
  reference,
  amount: 1999,
  currency: 'USD',
  customer: { email: 'ada@example.com' },
  description: 'Order 1042',
  redirectUrl: 'https://shop.example/return',
  metadata: { order: 'ord_1042' },
};

describe('Stripe webhook signature', () => {
  const body = payload('checkout-session-completed.json');

  it('accepts a Stripe webhook signed over the exact raw bytes', () => {
    const header = `t=${t},v1=${v1(body)}`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: true,
    });
  });

  it('rejects a Stripe webhook whose body was altered by one byte', () => {
    const header = `t=${t},v1=${v1(body)}`;
    const altered = Buffer.from(body);
    altered[altered.indexOf('1999')] = '9'.charCodeAt(0);
    expect(stripe.verifyWebhookSignature(altered, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a Stripe webhook without a Stripe-Signature header', () => {
    expect(stripe.verifyWebhookSignature(body, {}, credentials, now)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('rejects a Stripe webhook signed with another endpoint secret', () => {
    const header = `t=${t},v1=${v1(body, t, 'whsec_someoneElsesSecret000000000000')}`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('keys the HMAC with the whole whsec_ string, not its base64-decoded part', () => {
    const decodedKey = Buffer.from(webhookSecret.slice('whsec_'.length), 'base64');
    const header = `t=${t},v1=${v1(body, t, decodedKey)}`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a correctly signed Stripe webhook older than 300 seconds', () => {
    const old = t - 301;
    const header = `t=${old},v1=${v1(body, old)}`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
  });

  it('rejects a correctly signed Stripe webhook more than 300 seconds in the future', () => {
    const ahead = t + 301;
    const header = `t=${ahead},v1=${v1(body, ahead)}`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
  });

  it('accepts a signature exactly at the 300-second edge', () => {
    const edge = t - 300;
    const header = `t=${edge},v1=${v1(body, edge)}`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: true,
    });
  });

  it('accepts any matching v1 among several, as during a secret roll', () => {
    const other = v1(body, t, 'whsec_theRetiredSecret0000000000000000');
    const header = `t=${t},v1=${other},v1=${v1(body)},v0=deadbeef`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: true,
    });
  });

  it('rejects a header whose timestamp was changed after signing', () => {
    const header = `t=${t + 1},v1=${v1(body)}`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a header with no timestamp or no v1', () => {
    for (const header of [`v1=${v1(body)}`, `t=${t}`, 'garbage']) {
      expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, credentials, now)).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });

  it('says no_secret when the merchant has no whsec_ secret', () => {
    const header = `t=${t},v1=${v1(body)}`;
    expect(stripe.verifyWebhookSignature(body, { 'stripe-signature': header }, { secretKey }, now)).toEqual({
      ok: false,
      reason: 'no_secret',
    });
  });
});

describe('Stripe webhook parsing', () => {
  it('reads checkout.session.completed (paid) as succeeded, keyed by the event id', () => {
    expect(stripe.parseWebhook(payload('checkout-session-completed.json'))).toEqual({
      kind: 'payment',
      eventId: 'evt_1Q9zX2LkdIwHu7ix0aB1cD2e',
      type: 'checkout.session.completed',
      reference,
      providerReference: sessionId,
      claimedStatus: 'succeeded',
    });
  });

  it('reads checkout.session.async_payment_failed as failed', () => {
    expect(stripe.parseWebhook(payload('checkout-session-async-payment-failed.json'))).toMatchObject({
      kind: 'payment',
      eventId: 'evt_1QA0b7LkdIwHu7ixZz9yXw8v',
      reference: 'ref_01J9Z3K6V8Q2M4N7P5R1T0W3XZ',
      claimedStatus: 'failed',
    });
  });

  it('reads checkout.session.expired as expired', () => {
    expect(stripe.parseWebhook(payload('checkout-session-expired.json'))).toMatchObject({
      kind: 'payment',
      claimedStatus: 'expired',
    });
  });

  it('reads a completed session that is still unpaid (async method) as pending', () => {
    const body = JSON.parse(payload('checkout-session-completed.json').toString('utf8')) as {
      data: { object: Record<string, unknown> };
    };
    body.data.object.payment_status = 'unpaid';
    expect(stripe.parseWebhook(Buffer.from(JSON.stringify(body)))).toMatchObject({
      claimedStatus: 'pending',
    });
  });

  it('ignores event types PayBridge does not act on', () => {
    expect(stripe.parseWebhook(payload('payment-intent-succeeded.json'))).toEqual({
      kind: 'ignored',
      type: 'payment_intent.succeeded',
    });
  });

  it('ignores a Checkout Session that PayBridge did not create', () => {
    const body = JSON.parse(payload('checkout-session-completed.json').toString('utf8')) as {
      data: { object: Record<string, unknown> };
    };
    body.data.object.client_reference_id = null;
    expect(stripe.parseWebhook(Buffer.from(JSON.stringify(body)))).toEqual({
      kind: 'ignored',
      type: 'checkout.session.completed',
    });
  });

  it('refuses a body that is not JSON', () => {
    expect(() => stripe.parseWebhook(Buffer.from('not json'))).toThrow(ValidationFailed);
  });
});

describe('Stripe API', () => {
  const server = useProviderServer();

  it('creates a Checkout Session form-encoded with a lower-case currency and minor-unit amount', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        id: sessionId,
        object: 'checkout.session',
        payment_status: 'unpaid',
        status: 'open',
        url: `https://checkout.stripe.com/c/pay/${sessionId}`,
      },
    }));
    const result = await stripe.initialize(server.context(credentials), input);
    expect(result).toEqual({
      providerReference: sessionId,
      checkoutUrl: `https://checkout.stripe.com/c/pay/${sessionId}`,
    });
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/checkout/sessions');
    expect(request?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers['idempotency-key']).toBe(`paybridge-${reference}`);
    // Pinned: answers must not follow whatever version the merchant's account defaults to.
    expect(request?.headers['stripe-version']).toBe(stripeApiVersion);
    const form = new URLSearchParams(request?.body ?? '');
    expect(Object.fromEntries(form)).toEqual({
      mode: 'payment',
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '1999',
      'line_items[0][price_data][product_data][name]': 'Order 1042',
      'line_items[0][quantity]': '1',
      client_reference_id: reference,
      customer_email: 'ada@example.com',
      success_url: 'https://shop.example/return',
      cancel_url: 'https://shop.example/return',
      'metadata[order]': 'ord_1042',
      'metadata[paybridge_reference]': reference,
      'payment_intent_data[metadata][paybridge_reference]': reference,
    });
    expect(request?.body).toContain('line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd');
  });

  it('sends a zero-decimal currency in whole units', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        id: sessionId,
        payment_status: 'unpaid',
        status: 'open',
        url: 'https://checkout.stripe.com/c/pay/x',
      },
    }));
    await stripe.initialize(server.context(credentials), { ...input, amount: 5000, currency: 'JPY' });
    const form = new URLSearchParams(server.received[0]?.body ?? '');
    expect(form.get('line_items[0][price_data][currency]')).toBe('jpy');
    expect(form.get('line_items[0][price_data][unit_amount]')).toBe('5000');
  });

  it('refuses an unsupported currency before calling Stripe', async () => {
    await expect(
      stripe.initialize(server.context(credentials), { ...input, currency: 'GHS' }),
    ).rejects.toThrow(Unprocessable);
    expect(server.received).toHaveLength(0);
  });

  it('maps a 503 on initialize to a retryable failure without retrying the POST', async () => {
    server.respond(() => ({
      status: 503,
      json: { error: { message: 'Stripe is temporarily unavailable.' } },
    }));
    const error = await stripe.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailed);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(1);
  });

  it('maps a 400 to a non-retryable failure carrying Stripe’s error.message', async () => {
    server.respond(() => ({
      status: 400,
      json: {
        error: {
          type: 'invalid_request_error',
          code: 'url_invalid',
          param: 'success_url',
          message: 'Not a valid URL',
        },
      },
    }));
    const error = await stripe.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain('Not a valid URL');
  });

  it('maps a timeout on initialize to a retryable failure', async () => {
    server.respond(() => ({ hang: true }));
    const error = await stripe.initialize(server.context(credentials, 150), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_timeout', retryable: true });
  });

  it('verifies by GET /v1/checkout/sessions/{id} with the PaymentIntent expanded', async () => {
    server.respond(() => ({ status: 200, text: payload('session-complete-paid.json').toString('utf8') }));
    const result = await stripe.verify(server.context(credentials), {
      reference,
      providerReference: sessionId,
    });
    expect(result).toEqual({
      status: 'succeeded',
      amount: 1999,
      currency: 'USD',
      providerStatus: 'complete/paid',
    });
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.url).toBe(`/v1/checkout/sessions/${sessionId}?expand%5B%5D=payment_intent`);
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(server.received[0]?.headers['stripe-version']).toBe(stripeApiVersion);
  });

  it('reads a complete, unpaid session whose PaymentIntent needs a new method as failed', async () => {
    server.respond(() => ({
      status: 200,
      text: payload('session-complete-async-failed.json').toString('utf8'),
    }));
    const result = await stripe.verify(server.context(credentials), {
      reference,
      providerReference: sessionId,
    });
    expect(result).toEqual({
      status: 'failed',
      amount: 500000,
      currency: 'EUR',
      providerStatus: 'complete/unpaid',
    });
  });

  it('reads open sessions as pending and expired ones as expired', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        id: sessionId,
        status: 'open',
        payment_status: 'unpaid',
        amount_total: 5000,
        currency: 'jpy',
        client_reference_id: reference,
      },
    }));
    const open = await stripe.verify(server.context(credentials), {
      reference,
      providerReference: sessionId,
    });
    expect(open).toEqual({ status: 'pending', amount: 5000, currency: 'JPY', providerStatus: 'open/unpaid' });
    server.respond(() => ({
      status: 200,
      json: {
        id: sessionId,
        status: 'expired',
        payment_status: 'unpaid',
        amount_total: 5000,
        currency: 'jpy',
        client_reference_id: reference,
      },
    }));
    const expired = await stripe.verify(server.context(credentials), {
      reference,
      providerReference: sessionId,
    });
    expect(expired.status).toBe('expired');
  });

  it('refuses a verify answer that omits or changes the reference echo', async () => {
    const paid = JSON.parse(payload('session-complete-paid.json').toString('utf8')) as Record<
      string,
      unknown
    >;
    const { client_reference_id: _omitted, ...withoutEcho } = paid;
    for (const answer of [withoutEcho, { ...paid, client_reference_id: 'ref_someone_else' }]) {
      server.respond(() => ({ status: 200, json: answer }));
      const error = await stripe
        .verify(server.context(credentials), { reference, providerReference: sessionId })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
    }
  });

  it('retries a verify that got 503 twice, then fails retryably', async () => {
    server.respond(() => ({ status: 503, json: { error: { message: 'unavailable' } } }));
    const error = await stripe
      .verify(server.context(credentials), { reference, providerReference: sessionId })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(3);
  });

  it('does not retry a verify refused with 404', async () => {
    server.respond(() => ({
      status: 404,
      json: { error: { type: 'invalid_request_error', message: `No such checkout.session: '${sessionId}'` } },
    }));
    const error = await stripe
      .verify(server.context(credentials), { reference, providerReference: sessionId })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect(server.received).toHaveLength(1);
  });
});
