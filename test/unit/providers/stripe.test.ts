import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { defaultMaxAmounts, isCurrency } from '#core/money';
import { stripe, stripeApiVersion, stripeExpiresAt } from '#providers/stripe';
import type { InitializeInput, RefundInput, RefundLookup } from '#core/provider-adapter';
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

  it('clamps expires_at into Stripe’s 30 min–24 h, a minute inside each edge, and keeps a lifetime within it', () => {
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    // The local stack's seconds-long expiry: clamped up to 31 min (ours governs; the sweeper ends the session).
    expect(stripeExpiresAt(at(3), now)).toBe(t + 31 * 60);
    expect(stripeExpiresAt(at(30 * 60), now)).toBe(t + 31 * 60);
    expect(stripeExpiresAt(at(2 * 3600), now)).toBe(t + 2 * 3600);
    expect(stripeExpiresAt(at(24 * 3600), now)).toBe(t + 24 * 3600 - 60);
    expect(stripeExpiresAt(at(72 * 3600), now)).toBe(t + 24 * 3600 - 60);
  });

  it('sends expires_at on the Checkout Session when the payment expires, and none otherwise', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        id: sessionId,
        payment_status: 'unpaid',
        status: 'open',
        url: 'https://checkout.stripe.com/c/pay/x',
      },
    }));
    const before = Math.floor(Date.now() / 1000);
    await stripe.initialize(server.context(credentials), {
      ...input,
      expiresAt: new Date(Date.now() + 5000),
    });
    await stripe.initialize(server.context(credentials), {
      ...input,
      expiresAt: new Date((before + 2 * 3600) * 1000),
    });
    await stripe.initialize(server.context(credentials), input);
    const sent = server.received.map((r) => new URLSearchParams(r.body).get('expires_at'));
    const short = Number(sent[0]);
    expect(short).toBeGreaterThanOrEqual(before + 31 * 60);
    expect(short).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 31 * 60);
    expect(sent[1]).toBe(String(before + 2 * 3600));
    expect(sent[2]).toBeNull();
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
      // The expanded PaymentIntent's id: what the refund API takes. No fee on a session answer.
      chargeId: 'pi_3Q9zX1LkdIwHu7ix1AbCdEfG',
    });
    expect(result.fee).toBeUndefined();
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

describe('Stripe verify: chargeId', () => {
  const server = useProviderServer();
  const paidSession = () =>
    JSON.parse(payload('session-complete-paid.json').toString('utf8')) as Record<string, unknown>;

  it('takes chargeId from a PaymentIntent answered as a plain id', async () => {
    server.respond(() => ({ status: 200, json: { ...paidSession(), payment_intent: 'pi_plainId123' } }));
    const result = await stripe.verify(server.context(credentials), {
      reference,
      providerReference: sessionId,
    });
    expect(result).toMatchObject({ status: 'succeeded', chargeId: 'pi_plainId123' });
    expect(result.fee).toBeUndefined();
  });

  it('gives no chargeId before the session is paid', async () => {
    server.respond(() => ({
      status: 200,
      json: { ...paidSession(), status: 'open', payment_status: 'unpaid', payment_intent: null },
    }));
    const open = await stripe.verify(server.context(credentials), {
      reference,
      providerReference: sessionId,
    });
    expect(open.status).toBe('pending');
    expect('chargeId' in open).toBe(false);
    server.respond(() => ({
      status: 200,
      text: payload('session-complete-async-failed.json').toString('utf8'),
    }));
    const failed = await stripe.verify(server.context(credentials), {
      reference,
      providerReference: sessionId,
    });
    expect(failed.status).toBe('failed');
    expect(failed.chargeId).toBeUndefined();
  });
});

const refundId = 're_01JA2B3C4D5E6F7G8H9J0K1M2N';
const paymentIntent = 'pi_3Q9zX1LkdIwHu7ix1AbCdEfG';
const stripeRefundId = 're_3Q9zX1LkdIwHu7ix0RfNdA1b';
const target = { reference, providerReference: sessionId, chargeId: paymentIntent };
const refundInput: RefundInput = {
  refundId,
  payment: target,
  amount: 1500,
  currency: 'USD',
  reason: 'requested_by_customer',
};

/** A refund object as docs.stripe.com/api/refunds/object shows it, with our metadata. */
function refundObject(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: stripeRefundId,
    object: 'refund',
    amount: 1500,
    balance_transaction: 'txn_1Nispe2eZvKYlo2CYezqFhEx',
    charge: 'ch_3Q9zX1LkdIwHu7ix1ChArGe0',
    created: 1728902000,
    currency: 'usd',
    destination_details: { card: { reference_status: 'pending', type: 'refund' }, type: 'card' },
    metadata: { paybridge_refund_id: refundId, paybridge_reference: reference },
    payment_intent: paymentIntent,
    reason: 'requested_by_customer',
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
    ...overrides,
  };
}

describe('Stripe refunds', () => {
  const server = useProviderServer();

  it('creates a refund: POST /v1/refunds, form-encoded, Idempotency-Key = our refund id, pinned version', async () => {
    server.respond(() => ({ status: 200, json: refundObject() }));
    const result = await stripe.refund(server.context(credentials), refundInput);
    expect(result).toEqual({
      status: 'succeeded',
      providerRefundId: stripeRefundId,
      amount: 1500,
      providerStatus: 'succeeded',
    });
    const [request] = server.received;
    expect(server.received).toHaveLength(1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/refunds');
    expect(request?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers['idempotency-key']).toBe(refundId);
    expect(request?.headers['stripe-version']).toBe(stripeApiVersion);
    expect(Object.fromEntries(new URLSearchParams(request?.body ?? ''))).toEqual({
      payment_intent: paymentIntent,
      amount: '1500',
      reason: 'requested_by_customer',
      'metadata[paybridge_refund_id]': refundId,
      'metadata[paybridge_reference]': reference,
    });
  });

  it('omits reason for "other" and sends zero-decimal currencies in whole units', async () => {
    server.respond(() => ({ status: 200, json: refundObject({ amount: 700, currency: 'jpy' }) }));
    const result = await stripe.refund(server.context(credentials), {
      ...refundInput,
      amount: 700,
      currency: 'JPY',
      reason: 'other',
    });
    expect(result.amount).toBe(700);
    const form = new URLSearchParams(server.received[0]?.body ?? '');
    expect(form.get('amount')).toBe('700');
    expect(form.has('reason')).toBe(false);
  });

  it('refuses without a PaymentIntent, and an unsupported currency, before calling Stripe', async () => {
    await expect(
      stripe.refund(server.context(credentials), {
        ...refundInput,
        payment: { ...target, chargeId: undefined },
      }),
    ).rejects.toThrow(Unprocessable);
    await expect(
      stripe.refund(server.context(credentials), { ...refundInput, currency: 'GHS' }),
    ).rejects.toThrow(Unprocessable);
    expect(server.received).toHaveLength(0);
  });

  it.each([
    ['pending', 'pending'],
    ['succeeded', 'succeeded'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
    ['requires_action', 'requires_action'],
    ['something_new', 'pending'],
  ] as const)('maps Stripe refund status %s to %s', async (word, ours) => {
    server.respond(() => ({ status: 200, json: refundObject({ status: word }) }));
    const result = await stripe.refund(server.context(credentials), refundInput);
    expect(result.status).toBe(ours);
    expect(result.providerStatus).toBe(word);
  });

  it('reads a null status as pending', async () => {
    server.respond(() => ({ status: 200, json: refundObject({ status: null }) }));
    expect((await stripe.refund(server.context(credentials), refundInput)).status).toBe('pending');
  });

  it('says why a refund failed, in words, with Stripe’s failure_reason', async () => {
    server.respond(() => ({
      status: 200,
      json: refundObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' }),
    }));
    const result = await stripe.refund(server.context(credentials), refundInput);
    expect(result.status).toBe('failed');
    expect(result.failureReason).toContain('expired_or_canceled_card');
    expect(result.failureReason).toMatch(/expired/);
    server.respond(() => ({ status: 200, json: refundObject({ status: 'canceled' }) }));
    const cancelled = await stripe.refund(server.context(credentials), refundInput);
    expect(cancelled.failureReason).toMatch(/cancelled/);
  });

  it('says what is needed when the refund requires action', async () => {
    server.respond(() => ({
      status: 200,
      json: refundObject({
        status: 'requires_action',
        next_action: {
          type: 'display_details',
          display_details: {
            email_sent: { email_sent_at: 1728902000, email_sent_to: 'ada@example.com' },
            expires_at: 1729506800,
          },
        },
      }),
    }));
    const result = await stripe.refund(server.context(credentials), refundInput);
    expect(result.status).toBe('requires_action');
    expect(result.nextAction).toContain('ada@example.com');
    expect(result.nextAction).toMatch(/refund details/);
  });

  it('refuses (not retryable) when Stripe says the amount is over what is refundable', async () => {
    server.respond(() => ({
      status: 400,
      json: {
        error: {
          type: 'invalid_request_error',
          code: 'amount_too_large',
          param: 'amount',
          message: 'Refund amount ($25.00) is greater than unrefunded amount on charge ($21.45)',
        },
      },
    }));
    const error = await stripe.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailed);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain('is greater than unrefunded amount on charge');
    expect(server.received).toHaveLength(1);
  });

  it.each([
    [503, 'provider_unavailable'],
    [500, 'provider_unavailable'],
    [429, 'provider_rate_limited'],
    [409, 'provider_conflict'],
  ])('fails retryably on HTTP %i (outcome unknown) without repeating the POST', async (status, code) => {
    server.respond(() => ({
      status,
      json: { error: { type: 'api_error', message: 'Something went wrong on Stripe’s end.' } },
    }));
    const error = await stripe.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toMatchObject({ code, retryable: true });
    expect((error as ProviderFailed).message).toContain('Something went wrong');
    expect(server.received).toHaveLength(1);
  });

  it('fails retryably on a timeout', async () => {
    server.respond(() => ({ hang: true }));
    const error = await stripe.refund(server.context(credentials, 150), refundInput).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_timeout', retryable: true });
  });

  it('refuses an answer that is not a refund object', async () => {
    server.respond(() => ({ status: 200, json: { object: 'refund' } }));
    const error = await stripe.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  const lookup: RefundLookup = {
    refundId,
    providerRefundId: stripeRefundId,
    payment: target,
    amount: 1500,
    currency: 'USD',
  };

  it('looks a refund up by Stripe’s id: GET /v1/refunds/{id}', async () => {
    server.respond(() => ({ status: 200, json: refundObject({ status: 'pending' }) }));
    const result = await stripe.lookupRefund(server.context(credentials), lookup);
    expect(result).toEqual({
      status: 'pending',
      providerRefundId: stripeRefundId,
      amount: 1500,
      providerStatus: 'pending',
    });
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.url).toBe(`/v1/refunds/${stripeRefundId}`);
    expect(server.received[0]?.headers['stripe-version']).toBe(stripeApiVersion);
  });

  it('answers undefined when Stripe has no refund with that id', async () => {
    server.respond(() => ({
      status: 404,
      json: {
        error: {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'id',
          message: `No such refund: '${stripeRefundId}'`,
        },
      },
    }));
    expect(await stripe.lookupRefund(server.context(credentials), lookup)).toBeUndefined();
    expect(server.received).toHaveLength(1);
  });

  it('refuses a refund found by id that names another PayBridge refund', async () => {
    server.respond(() => ({
      status: 200,
      json: refundObject({ metadata: { paybridge_refund_id: 're_someoneElse' } }),
    }));
    const error = await stripe.lookupRefund(server.context(credentials), lookup).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  it('finds a refund by our id among the PaymentIntent’s refunds when Stripe’s id is unknown', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        object: 'list',
        url: '/v1/refunds',
        has_more: false,
        data: [
          refundObject({ id: 're_other', metadata: { paybridge_refund_id: 're_another' } }),
          refundObject({ id: 're_dashboard', metadata: {} }),
          refundObject({ status: 'pending' }),
        ],
      },
    }));
    const result = await stripe.lookupRefund(server.context(credentials), {
      ...lookup,
      providerRefundId: undefined,
    });
    expect(result).toMatchObject({ providerRefundId: stripeRefundId, status: 'pending' });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.url).toBe(`/v1/refunds?payment_intent=${paymentIntent}&limit=100`);
  });

  it('pages through the list with starting_after', async () => {
    server.respond((request) => {
      const later = request.url.includes('starting_after=re_page1last');
      return {
        status: 200,
        json: later
          ? { object: 'list', has_more: false, data: [refundObject()] }
          : {
              object: 'list',
              has_more: true,
              data: [refundObject({ id: 're_page1last', metadata: { paybridge_refund_id: 're_x' } })],
            },
      };
    });
    const result = await stripe.lookupRefund(server.context(credentials), {
      ...lookup,
      providerRefundId: undefined,
    });
    expect(result?.providerRefundId).toBe(stripeRefundId);
    expect(server.received).toHaveLength(2);
  });

  it('answers undefined when no refund of the PaymentIntent carries our id, or there is no PaymentIntent', async () => {
    server.respond(() => ({
      status: 200,
      json: { object: 'list', has_more: false, data: [refundObject({ metadata: {} })] },
    }));
    expect(
      await stripe.lookupRefund(server.context(credentials), { ...lookup, providerRefundId: undefined }),
    ).toBeUndefined();
    expect(
      await stripe.lookupRefund(server.context(credentials), {
        ...lookup,
        providerRefundId: undefined,
        payment: { ...target, chargeId: undefined },
      }),
    ).toBeUndefined();
    expect(server.received).toHaveLength(1);
  });

  it('retries a lookup that got 503 (a GET), then fails retryably', async () => {
    server.respond(() => ({ status: 503, json: { error: { message: 'unavailable' } } }));
    const error = await stripe.lookupRefund(server.context(credentials), lookup).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(3);
  });

  it('sends exactly toProviderAmount(amount) for every currency, and reads the answer back to the same minor units', async () => {
    let answeredCurrency = 'usd';
    // Stripe answers with the amount it took and the charge's currency, lower-case.
    server.respond((request) => ({
      status: 200,
      json: refundObject({
        amount: Number(new URLSearchParams(request.body).get('amount')),
        currency: answeredCurrency,
      }),
    }));
    for (const currency of stripe.currencies) {
      if (!isCurrency(currency)) throw new Error(`no exponent for ${currency}`);
      answeredCurrency = currency.toLowerCase();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: defaultMaxAmounts[currency] }), async (amount) => {
          server.received.length = 0;
          const result = await stripe.refund(server.context(credentials), {
            ...refundInput,
            amount,
            currency,
          });
          const sent = new URLSearchParams(server.received[0]?.body ?? '').get('amount');
          expect(sent).toBe(String(stripe.toProviderAmount(amount, currency)));
          expect(result.amount).toBe(amount);
        }),
        { numRuns: 15 },
      );
    }
  });
});

/** An event envelope as Stripe sends it (docs.stripe.com/api/events/object), pretty-printed. */
function stripeEvent(id: string, type: string, object: Record<string, unknown>): Buffer {
  return Buffer.from(
    JSON.stringify(
      {
        id,
        object: 'event',
        api_version: '2024-10-28.acacia',
        created: 1728902001,
        data: { object },
        livemode: false,
        pending_webhooks: 1,
        request: { id: 'req_5Kq2LkdIwHu7ix', idempotency_key: refundId },
        type,
      },
      null,
      2,
    ),
  );
}

/** The charge object of docs.stripe.com/api/charges/object, refunded in part, with our PaymentIntent metadata. */
const refundedCharge = {
  id: 'ch_3Q9zX1LkdIwHu7ix1ChArGe0',
  object: 'charge',
  amount: 1999,
  amount_captured: 1999,
  amount_refunded: 1500,
  balance_transaction: 'txn_3Q9zX1LkdIwHu7ix1Bt0Xn1a',
  captured: true,
  created: 1728901930,
  currency: 'usd',
  metadata: { paybridge_reference: reference },
  paid: true,
  payment_intent: paymentIntent,
  refunded: false,
  status: 'succeeded',
};

describe('Stripe refund webhook parsing', () => {
  it.each(['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated'])(
    'reads %s (a refund object) as a refund hint naming both refunds and the payment',
    (type) => {
      const body = stripeEvent('evt_3Q9zX9LkdIwHu7ix0RfEvT1a', type, refundObject({ status: 'pending' }));
      expect(stripe.parseWebhook(body)).toEqual({
        kind: 'refund',
        eventId: 'evt_3Q9zX9LkdIwHu7ix0RfEvT1a',
        type,
        reference,
        providerReference: paymentIntent,
        providerRefundId: stripeRefundId,
        refundId,
      });
    },
  );

  it('reads charge.refunded (a charge object) with our reference and no refund ids', () => {
    const body = stripeEvent('evt_3Q9zXALkdIwHu7ix0ChRfD2b', 'charge.refunded', refundedCharge);
    expect(stripe.parseWebhook(body)).toEqual({
      kind: 'refund',
      eventId: 'evt_3Q9zXALkdIwHu7ix0ChRfD2b',
      type: 'charge.refunded',
      reference,
      providerReference: paymentIntent,
      providerRefundId: undefined,
      refundId: undefined,
    });
  });

  it('reads the docs’ own refund object (no metadata of ours: a dashboard refund) by its PaymentIntent', () => {
    // The sample of docs.stripe.com/api/refunds/object, as is.
    const sample = {
      id: 're_1Nispe2eZvKYlo2Cd31jOCgZ',
      object: 'refund',
      amount: 1000,
      balance_transaction: 'txn_1Nispe2eZvKYlo2CYezqFhEx',
      charge: 'ch_1NirD82eZvKYlo2CIvbtLWuY',
      created: 1692942318,
      currency: 'usd',
      destination_details: {
        card: {
          reference: '123456789012',
          reference_status: 'available',
          reference_type: 'acquirer_reference_number',
          type: 'refund',
        },
        type: 'card',
      },
      metadata: {},
      payment_intent: 'pi_1GszsK2eZvKYlo2CfhZyoZLp',
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    expect(
      stripe.parseWebhook(stripeEvent('evt_1Nispe2eZvKYlo2C0aB1cD2e', 'refund.updated', sample)),
    ).toEqual({
      kind: 'refund',
      eventId: 'evt_1Nispe2eZvKYlo2C0aB1cD2e',
      type: 'refund.updated',
      reference: undefined,
      providerReference: 'pi_1GszsK2eZvKYlo2CfhZyoZLp',
      providerRefundId: 're_1Nispe2eZvKYlo2Cd31jOCgZ',
      refundId: undefined,
    });
  });

  it('falls back to the charge id when a refund has no PaymentIntent', () => {
    const body = stripeEvent('evt_x', 'refund.created', refundObject({ payment_intent: null, metadata: {} }));
    expect(stripe.parseWebhook(body)).toMatchObject({ providerReference: 'ch_3Q9zX1LkdIwHu7ix1ChArGe0' });
  });

  it('keeps the event id stable for the same delivery', () => {
    const body = stripeEvent('evt_same', 'refund.updated', refundObject());
    const first = stripe.parseWebhook(body);
    const again = stripe.parseWebhook(Buffer.from(body));
    expect(first).toEqual(again);
    expect(first).toMatchObject({ eventId: 'evt_same' });
  });

  it('refuses a refund event without an event id or object', () => {
    const { id: _id, ...noId } = JSON.parse(
      stripeEvent('evt_x', 'refund.updated', refundObject()).toString('utf8'),
    ) as Record<string, unknown>;
    expect(() => stripe.parseWebhook(Buffer.from(JSON.stringify(noId)))).toThrow(ValidationFailed);
    expect(() =>
      stripe.parseWebhook(Buffer.from(JSON.stringify({ id: 'evt_y', type: 'charge.refunded', data: {} }))),
    ).toThrow(ValidationFailed);
  });

  it('still reads payment events as payments', () => {
    expect(stripe.parseWebhook(payload('checkout-session-completed.json'))).toMatchObject({
      kind: 'payment',
      claimedStatus: 'succeeded',
    });
  });
});
