import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { paystack } from '#providers/paystack';
import type { InitializeInput, RefundInput, RefundLookup } from '#core/provider-adapter';
import { useProviderServer } from './provider-server.ts';

const secretKey = 'sk_test_4f1c2e8b9a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b';
const credentials = { secretKey };
const now = new Date('2024-10-14T10:32:12Z');
const reference = 'ref_01J9Z3K6V8Q2M4N7P5R1T0W3XY';
/** Paystack allows no `_` in references: ours travel as `ref-…`. */
const wire = 'ref-01J9Z3K6V8Q2M4N7P5R1T0W3XY';

function payload(name: string): Buffer {
  return readFileSync(new URL(`./payloads/paystack/${name}`, import.meta.url));
}

function sign(body: Buffer | string, key = secretKey): string {
  return createHmac('sha512', key).update(body).digest('hex');
}

const input: InitializeInput = {
  reference,
  amount: 10750,
  currency: 'NGN',
  customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
  redirectUrl: 'https://shop.example/return',
  metadata: { order: 'ord_1042' },
};

describe('Paystack webhook signature', () => {
  const body = payload('charge-success.json');

  it('accepts a Paystack webhook signed over the exact raw bytes', () => {
    const check = paystack.verifyWebhookSignature(
      body,
      { 'x-paystack-signature': sign(body) },
      credentials,
      now,
    );
    expect(check).toEqual({ ok: true });
  });

  it('rejects a Paystack webhook whose body was altered by one byte', () => {
    const signature = sign(body);
    const altered = Buffer.from(body);
    const at = altered.indexOf('1075000');
    altered[at] = '2'.charCodeAt(0);
    const check = paystack.verifyWebhookSignature(
      altered,
      { 'x-paystack-signature': signature },
      credentials,
      now,
    );
    expect(check).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a signature computed over re-serialised JSON instead of the bytes received', () => {
    const reserialised = JSON.stringify(JSON.parse(body.toString('utf8')));
    const check = paystack.verifyWebhookSignature(
      body,
      { 'x-paystack-signature': sign(reserialised) },
      credentials,
      now,
    );
    expect(check).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a Paystack webhook without the x-paystack-signature header', () => {
    expect(paystack.verifyWebhookSignature(body, {}, credentials, now)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('rejects a Paystack webhook signed with another secret key', () => {
    const signature = sign(body, 'sk_test_someone_else_entirely_0000000000');
    expect(
      paystack.verifyWebhookSignature(body, { 'x-paystack-signature': signature }, credentials, now),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a signature with trailing characters after a valid digest', () => {
    const signature = `${sign(body)}00`;
    expect(
      paystack.verifyWebhookSignature(body, { 'x-paystack-signature': signature }, credentials, now),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('says no_secret when the merchant has no Paystack secret key', () => {
    expect(
      paystack.verifyWebhookSignature(body, { 'x-paystack-signature': sign(body) }, { secretKey: '' }, now),
    ).toEqual({
      ok: false,
      reason: 'no_secret',
    });
  });
});

describe('Paystack webhook parsing', () => {
  it('reads charge.success as a succeeded payment keyed by event, reference and status', () => {
    expect(paystack.parseWebhook(payload('charge-success.json'))).toEqual({
      kind: 'payment',
      eventId: `charge.success:${wire}:success`,
      type: 'charge.success',
      reference,
      providerReference: wire,
      claimedStatus: 'succeeded',
    });
  });

  it('ignores event types that are not about a checkout', () => {
    expect(paystack.parseWebhook(payload('transfer-success.json'))).toEqual({
      kind: 'ignored',
      type: 'transfer.success',
    });
  });

  it('refuses a body that is not JSON', () => {
    expect(() => paystack.parseWebhook(Buffer.from('event=charge.success'))).toThrow(ValidationFailed);
  });

  it('refuses a charge.success without a reference rather than guessing one', () => {
    const body = Buffer.from(JSON.stringify({ event: 'charge.success', data: { status: 'success' } }));
    expect(() => paystack.parseWebhook(body)).toThrow(ValidationFailed);
  });
});

describe('Paystack API', () => {
  const server = useProviderServer();

  it('initializes with the subunit amount, our reference and the callback URL as JSON', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        status: true,
        message: 'Authorization URL created',
        data: {
          authorization_url: 'https://checkout.paystack.com/0peioxfhpn',
          access_code: '0peioxfhpn',
          reference: wire,
        },
      },
    }));
    const result = await paystack.initialize(server.context(credentials), input);
    expect(result).toEqual({
      providerReference: wire,
      checkoutUrl: 'https://checkout.paystack.com/0peioxfhpn',
    });
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/transaction/initialize');
    expect(request?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      email: 'ada@example.com',
      amount: 10750,
      currency: 'NGN',
      reference: wire,
      callback_url: 'https://shop.example/return',
      metadata: { order: 'ord_1042', paybridge_reference: reference },
    });
  });

  it('sends XOF in hundredths of a franc, as Paystack counts it', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: true, data: { authorization_url: 'https://checkout.paystack.com/x', reference: wire } },
    }));
    await paystack.initialize(server.context(credentials), { ...input, amount: 500, currency: 'XOF' });
    expect(JSON.parse(server.received[0]?.body ?? '')).toMatchObject({ amount: 50000, currency: 'XOF' });
  });

  it('refuses an unsupported currency before calling Paystack', async () => {
    await expect(
      paystack.initialize(server.context(credentials), { ...input, currency: 'JPY' }),
    ).rejects.toThrow(Unprocessable);
    expect(server.received).toHaveLength(0);
  });

  it('maps a 503 on initialize to a retryable failure and does not retry the POST', async () => {
    server.respond(() => ({ status: 503, json: { status: false, message: 'Service Unavailable' } }));
    const error = await paystack.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailed);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(1);
  });

  it('maps a 400 to a non-retryable failure carrying Paystack’s message without the key', async () => {
    server.respond(() => ({
      status: 400,
      json: { status: false, message: `Invalid key: ${secretKey} is not allowed for this currency` },
    }));
    const error = await paystack.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailed);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain('Invalid key');
    expect((error as ProviderFailed).message).not.toContain(secretKey);
  });

  it('maps a timeout on initialize to a retryable failure', async () => {
    server.respond(() => ({ hang: true }));
    const error = await paystack.initialize(server.context(credentials, 150), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_timeout', retryable: true });
    expect(server.received).toHaveLength(1);
  });

  it('verifies by GET /transaction/verify/{reference} and converts the amount', async () => {
    server.respond(() => ({ status: 200, text: payload('verify-success.json').toString('utf8') }));
    const result = await paystack.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result).toEqual({
      status: 'succeeded',
      amount: 1075000,
      currency: 'NGN',
      providerStatus: 'success',
      chargeId: wire,
      fee: 26125,
    });
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.url).toBe(`/transaction/verify/${wire}`);
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${secretKey}`);
  });

  it('reports a failed transaction as failed', async () => {
    server.respond(() => ({ status: 200, text: payload('verify-failed.json').toString('utf8') }));
    const result = await paystack.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result).toMatchObject({ status: 'failed', providerStatus: 'failed' });
  });

  it('keeps an abandoned XOF checkout pending and converts hundredths back to francs', async () => {
    server.respond(() => ({ status: 200, text: payload('verify-abandoned-xof.json').toString('utf8') }));
    const result = await paystack.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result).toEqual({ status: 'pending', amount: 500, currency: 'XOF', providerStatus: 'abandoned' });
  });

  it('retries a verify that got 503 twice, then fails retryably', async () => {
    server.respond(() => ({ status: 503, text: '<html>upstream unavailable</html>' }));
    const error = await paystack
      .verify(server.context(credentials), { reference, providerReference: reference })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(3);
  });

  it('recovers when a retried verify succeeds', async () => {
    let calls = 0;
    server.respond(() => {
      calls += 1;
      return calls === 1
        ? { status: 502, json: { status: false, message: 'Bad gateway' } }
        : { status: 200, text: payload('verify-success.json').toString('utf8') };
    });
    const result = await paystack.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result.status).toBe('succeeded');
    expect(server.received).toHaveLength(2);
  });

  it('does not retry a verify refused with 400', async () => {
    server.respond(() => ({
      status: 400,
      json: { status: false, message: 'Transaction reference not found' },
    }));
    const error = await paystack
      .verify(server.context(credentials), { reference, providerReference: reference })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain('Transaction reference not found');
    expect(server.received).toHaveLength(1);
  });

  it('maps a verify that times out on every attempt to a retryable timeout', async () => {
    server.respond(() => ({ hang: true }));
    const error = await paystack
      .verify(server.context(credentials, 100), { reference, providerReference: reference })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_timeout', retryable: true });
    expect(server.received).toHaveLength(3);
  });

  it('maps a 429 to a retryable rate-limit failure', async () => {
    server.respond(() => ({ status: 429, json: { status: false, message: 'Too many requests' } }));
    const error = await paystack.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rate_limited', retryable: true });
  });

  it('treats a 200 that is not JSON as a retryable bad response', async () => {
    server.respond(() => ({ status: 200, text: '<html>captive portal</html>' }));
    const error = await paystack.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: true });
  });

  it('treats a 200 in an unexpected shape as a non-retryable bad response', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: true, data: { url: 'https://elsewhere.example' } },
    }));
    const error = await paystack.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  it('refuses an answer that echoes a different reference', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        status: true,
        data: { authorization_url: 'https://checkout.paystack.com/x', reference: 'T123' },
      },
    }));
    const error = await paystack.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  it('maps an unreachable Paystack to a retryable failure', async () => {
    const ctx = { baseUrl: 'http://127.0.0.1:1', credentials, timeoutMs: 1_000 };
    const error = await paystack.initialize(ctx, input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unreachable', retryable: true });
  });
});

// ---------------------------------------------------------------------------
// Refunds
// ---------------------------------------------------------------------------

const refundId = 're_01JA0Q7R8S9T0V1W2X3Y4Z5A6B';

const refundInput: RefundInput = {
  refundId,
  payment: { reference, providerReference: wire, chargeId: wire },
  amount: 5000,
  currency: 'NGN',
};

const lookupInput: RefundLookup = {
  refundId,
  providerRefundId: '3018284',
  payment: refundInput.payment,
  amount: 5000,
  currency: 'NGN',
};

/** `POST /refund`'s answer as Paystack documents it: the transaction expanded, the refund pending. */
function createdAnswer(overrides: Record<string, unknown> = {}) {
  return {
    status: true,
    message: 'Refund has been queued for processing',
    data: {
      transaction: {
        id: 4099260516,
        domain: 'test',
        reference: wire,
        amount: 1075000,
        paid_at: '2024-10-14T10:32:11.000Z',
        channel: 'card',
        currency: 'NGN',
      },
      integration: 412829,
      deducted_amount: 0,
      channel: null,
      merchant_note: refundId,
      customer_note: null,
      status: 'pending',
      refunded_by: 'merchant@example.com',
      expected_at: '2024-10-24T10:40:00.000Z',
      currency: 'NGN',
      domain: 'test',
      amount: 5000,
      fully_deducted: false,
      id: 3018284,
      createdAt: '2024-10-14T10:40:00.000Z',
      updatedAt: '2024-10-14T10:40:00.000Z',
      ...overrides,
    },
  };
}

/** `GET /refund/{id}`'s refund object: `transaction` is the numeric id. */
function fetchedRefund(overrides: Record<string, unknown> = {}) {
  return {
    integration: 412829,
    transaction: 4099260516,
    dispute: null,
    settlement: null,
    id: 3018284,
    domain: 'test',
    currency: 'NGN',
    amount: 5000,
    status: 'processed',
    refunded_at: '2024-10-15T09:00:00.000Z',
    expected_at: '2024-10-24T10:40:00.000Z',
    channel: 'card',
    refunded_by: 'merchant@example.com',
    customer_note: null,
    merchant_note: refundId,
    deducted_amount: 5000,
    fully_deducted: true,
    bank_reference: null,
    reason: null,
    createdAt: '2024-10-14T10:40:00.000Z',
    updatedAt: '2024-10-15T09:00:00.000Z',
    ...overrides,
  };
}

/** Paystack's refund event samples (PaystackOSS/doc-code-snippets `dist/doc/payments/refunds/events.js`). */
const refundSamples = {
  pending: `{
  "event": "refund.pending",
  "data": {
    "status": "pending",
    "transaction_reference": "tvunjbbd_412829_4b18075d_c7had",
    "refund_reference": null,
    "amount": "10000",
    "currency": "NGN",
    "processor": "instant-transfer",
    "customer": { "first_name": "Drew", "last_name": "Berry", "email": "demo@email.com" },
    "integration": 412829,
    "domain": "live"
  }
}`,
  processing: `{
  "event": "refund.processing",
  "data": {
    "status": "processing",
    "transaction_reference": "tvunjbbd_412829_4b18075d_c7had",
    "refund_reference": null,
    "amount": "10000",
    "currency": "NGN",
    "processor": "instant-transfer",
    "customer": { "first_name": "Drew", "last_name": "Berry", "email": "demo@email.com" },
    "integration": 412829,
    "domain": "live"
  }
}`,
  processed: `{
  "event": "refund.processed",
  "data": {
    "status": "processed",
    "transaction_reference": "T2154954_412829_3be32076_6lcg3",
    "refund_reference": "132013318360",
    "amount": "5000",
    "currency": "NGN",
    "processor": "mpgs_zen",
    "customer": { "first_name": "Damilola", "last_name": "Kwabena", "email": "damilola@email.com" },
    "integration": 412829,
    "domain": "live"
  }
}`,
  failed: `{
  "event": "refund.failed",
  "data": {
    "status": "failed",
    "transaction_reference": "T9171231_412325_3be2736c_n6tml",
    "refund_reference": "TRF_9vgfawjnoz58uxy",
    "amount": 20000,
    "currency": "NGN",
    "processor": "instant-transfer",
    "customer": { "first_name": "Tobi", "last_name": "Digz", "email": "tobi@mail.com" },
    "integration": 412325,
    "domain": "live"
  }
}`,
};

describe('Paystack refund webhook parsing', () => {
  it.each([
    ['pending', 'refund.pending', 'tvunjbbd_412829_4b18075d_c7had', '10000'],
    ['processing', 'refund.processing', 'tvunjbbd_412829_4b18075d_c7had', '10000'],
    ['processed', 'refund.processed', 'T2154954_412829_3be32076_6lcg3', '5000'],
    ['failed', 'refund.failed', 'T9171231_412325_3be2736c_n6tml', '20000'],
  ] as const)('reads Paystack’s %s sample as a refund hint', (sample, type, transactionReference, amount) => {
    const status = sample;
    expect(paystack.parseWebhook(Buffer.from(refundSamples[sample]))).toEqual({
      kind: 'refund',
      eventId: `${type}:${transactionReference}:${status}:${amount}`,
      type,
      // Not a reference of ours: only Paystack's is known.
      reference: undefined,
      providerReference: transactionReference,
      providerRefundId: undefined,
      refundId: undefined,
    });
  });

  it('maps our own ref-… transaction reference back to ref_…', () => {
    const body = refundSamples.processed.replace('T2154954_412829_3be32076_6lcg3', wire);
    expect(paystack.parseWebhook(Buffer.from(body))).toMatchObject({
      kind: 'refund',
      reference,
      providerReference: wire,
      eventId: `refund.processed:${wire}:processed:5000`,
    });
  });

  it('derives the same event id for the same delivery, whether the amount is a string or a number', () => {
    const asString = Buffer.from(refundSamples.pending);
    const first = paystack.parseWebhook(asString);
    const again = paystack.parseWebhook(Buffer.from(asString));
    const asNumber = paystack.parseWebhook(Buffer.from(refundSamples.pending.replace('"10000"', '10000')));
    expect(again).toEqual(first);
    expect(asNumber).toEqual(first);
  });

  it('tells the stages of one refund apart', () => {
    const pending = paystack.parseWebhook(Buffer.from(refundSamples.pending));
    const processing = paystack.parseWebhook(Buffer.from(refundSamples.processing));
    expect(pending.kind === 'refund' && processing.kind === 'refund').toBe(true);
    if (pending.kind === 'refund' && processing.kind === 'refund') {
      expect(pending.eventId).not.toBe(processing.eventId);
    }
  });

  it('passes on a refund id and our refund id when the body carries them', () => {
    const event = JSON.parse(refundSamples.processed) as { data: Record<string, unknown> };
    event.data.id = 3018284;
    event.data.merchant_note = refundId;
    expect(paystack.parseWebhook(Buffer.from(JSON.stringify(event)))).toMatchObject({
      kind: 'refund',
      providerRefundId: '3018284',
      refundId,
    });
  });

  it('does not take a merchant note that is not one of our refund ids as a refund id', () => {
    const event = JSON.parse(refundSamples.processed) as { data: Record<string, unknown> };
    event.data.merchant_note = 'Refund for transaction T2154954 by merchant@example.com';
    expect(paystack.parseWebhook(Buffer.from(JSON.stringify(event)))).toMatchObject({ refundId: undefined });
  });

  it('refuses a refund event without a transaction reference', () => {
    const body = Buffer.from(JSON.stringify({ event: 'refund.processed', data: { status: 'processed' } }));
    expect(() => paystack.parseWebhook(body)).toThrow(ValidationFailed);
  });

  it('still reads charge.success as a payment and ignores other refund-like events', () => {
    expect(paystack.parseWebhook(payload('charge-success.json'))).toMatchObject({ kind: 'payment' });
    const other = Buffer.from(JSON.stringify({ event: 'refund.created', data: {} }));
    expect(paystack.parseWebhook(other)).toEqual({ kind: 'ignored', type: 'refund.created' });
  });
});

describe('Paystack refunds API', () => {
  const server = useProviderServer();

  it('creates a refund with POST /refund: subunits, currency, the charge reference and our id as merchant_note', async () => {
    server.respond(() => ({ status: 200, json: createdAnswer() }));
    const result = await paystack.refund(server.context(credentials), {
      ...refundInput,
      reason: 'requested_by_customer',
    });
    expect(result).toEqual({
      status: 'pending',
      providerRefundId: '3018284',
      amount: 5000,
      providerStatus: 'pending',
    });
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/refund');
    expect(request?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      transaction: wire,
      amount: 5000,
      currency: 'NGN',
      merchant_note: refundId,
      customer_note: 'Refund requested by the customer',
    });
  });

  it('sends no customer note for a reason the customer should not read', async () => {
    server.respond(() => ({ status: 200, json: createdAnswer() }));
    await paystack.refund(server.context(credentials), { ...refundInput, reason: 'fraudulent' });
    expect(JSON.parse(server.received[0]?.body ?? '')).not.toHaveProperty('customer_note');
  });

  it('falls back to our wire reference when no charge id was stored', async () => {
    server.respond(() => ({ status: 200, json: createdAnswer() }));
    await paystack.refund(server.context(credentials), {
      ...refundInput,
      payment: { reference, providerReference: wire, chargeId: undefined },
    });
    expect(JSON.parse(server.received[0]?.body ?? '')).toMatchObject({ transaction: wire });
  });

  it('sends an XOF refund in hundredths of a franc and reads the answer back in francs', async () => {
    server.respond(() => ({ status: 200, json: createdAnswer({ amount: 50000, currency: 'XOF' }) }));
    const result = await paystack.refund(server.context(credentials), {
      ...refundInput,
      amount: 500,
      currency: 'XOF',
    });
    expect(JSON.parse(server.received[0]?.body ?? '')).toMatchObject({ amount: 50000, currency: 'XOF' });
    expect(result.amount).toBe(500);
  });

  it('refuses an unsupported currency or a non-integer amount before calling Paystack', async () => {
    await expect(
      paystack.refund(server.context(credentials), { ...refundInput, currency: 'JPY' }),
    ).rejects.toThrow(Unprocessable);
    await expect(
      paystack.refund(server.context(credentials), { ...refundInput, amount: 10.5 }),
    ).rejects.toThrow(ValidationFailed);
    expect(server.received).toHaveLength(0);
  });

  it.each([
    [503, 'provider_unavailable'],
    [502, 'provider_unavailable'],
    [429, 'provider_rate_limited'],
  ] as const)(
    'maps HTTP %i on a refund to a retryable failure and sends the POST once',
    async (status, code) => {
      server.respond(() => ({ status, json: { status: false, message: 'Try again later' } }));
      const error = await paystack.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderFailed);
      expect(error).toMatchObject({ code, retryable: true });
      expect(server.received).toHaveLength(1);
    },
  );

  it('maps a refund that times out to a retryable failure (the outcome is unknown)', async () => {
    server.respond(() => ({ hang: true }));
    const error = await paystack
      .refund(server.context(credentials, 150), refundInput)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_timeout', retryable: true });
    expect(server.received).toHaveLength(1);
  });

  it.each([
    'Refund amount cannot be more than the refundable balance of NGN 20.00',
    'Transaction has been fully reversed',
    'Insufficient balance to process this refund',
  ])('maps Paystack refusing the refund (%s) to a non-retryable failure in its words', async (message) => {
    server.respond(() => ({ status: 400, json: { status: false, message } }));
    const error = await paystack.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailed);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain(message);
  });

  it('treats a 200 it cannot read as retryable: the refund may have been queued', async () => {
    server.respond(() => ({ status: 200, json: { status: true, message: 'Refund has been queued' } }));
    const error = await paystack.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: true });
  });

  it.each([
    ['pending', 'pending'],
    ['processing', 'pending'],
    ['processed', 'succeeded'],
    ['failed', 'failed'],
    ['needs-attention', 'requires_action'],
    ['something-new', 'pending'],
  ] as const)('maps the refund status %s to %s', async (word, status) => {
    server.respond(() => ({
      status: 200,
      json: { status: true, message: 'Refund retrieved', data: fetchedRefund({ status: word }) },
    }));
    const result = await paystack.lookupRefund(server.context(credentials), lookupInput);
    expect(result).toMatchObject({ status, providerStatus: word, providerRefundId: '3018284', amount: 5000 });
    if (status === 'requires_action') expect(result?.nextAction).toMatch(/bank account details/);
    else expect(result).not.toHaveProperty('nextAction');
  });

  it('maps the first answer’s pending and needs-attention words the same way', async () => {
    server.respond(() => ({ status: 200, json: createdAnswer({ status: 'needs-attention' }) }));
    const result = await paystack.refund(server.context(credentials), refundInput);
    expect(result).toMatchObject({ status: 'requires_action', providerStatus: 'needs-attention' });
    expect(result.nextAction).toContain('retry_with_customer_details');
  });

  it('says why a refund failed when Paystack does', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: true, data: fetchedRefund({ status: 'failed', reason: 'Card issuer declined' }) },
    }));
    const result = await paystack.lookupRefund(server.context(credentials), lookupInput);
    expect(result).toMatchObject({ status: 'failed', failureReason: 'Card issuer declined' });
  });

  it('looks a refund up by Paystack’s id with GET /refund/{id}', async () => {
    server.respond(() => ({ status: 200, json: { status: true, data: fetchedRefund() } }));
    const result = await paystack.lookupRefund(server.context(credentials), lookupInput);
    expect(result).toEqual({
      status: 'succeeded',
      providerRefundId: '3018284',
      amount: 5000,
      providerStatus: 'processed',
    });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.url).toBe('/refund/3018284');
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${secretKey}`);
  });

  it('answers undefined when Paystack has no refund with that id', async () => {
    server.respond(() => ({ status: 404, json: { status: false, message: 'Refund not found' } }));
    expect(await paystack.lookupRefund(server.context(credentials), lookupInput)).toBeUndefined();
    expect(server.received).toHaveLength(1);
  });

  it('refuses a refund found by id that was made for another refund of ours', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: true, data: fetchedRefund({ merchant_note: 're_01JA0Q7R8S9T0V1W2X3Y4Z5ZZZ' }) },
    }));
    const error = await paystack
      .lookupRefund(server.context(credentials), lookupInput)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  it('finds a refund by our id in the transaction’s refund list when the create’s answer was lost', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        status: true,
        message: 'Refunds retrieved',
        data: [
          fetchedRefund({ id: 3018290, merchant_note: 're_01JA0Q7R8S9T0V1W2X3Y4Z5ZZZ', amount: 1000 }),
          fetchedRefund({ status: 'pending' }),
        ],
        meta: { total: 2, skipped: 0, perPage: 100, page: 1, pageCount: 1 },
      },
    }));
    const result = await paystack.lookupRefund(server.context(credentials), {
      ...lookupInput,
      providerRefundId: undefined,
    });
    expect(result).toEqual({
      status: 'pending',
      providerRefundId: '3018284',
      amount: 5000,
      providerStatus: 'pending',
    });
    expect(server.received).toHaveLength(1);
    const url = new URL(server.received[0]?.url ?? '', 'http://x');
    expect(url.pathname).toBe('/refund');
    expect(Object.fromEntries(url.searchParams)).toEqual({ transaction: wire, perPage: '100', page: '1' });
  });

  it('reads further pages until it finds our refund', async () => {
    server.respond((request) => {
      const page = new URL(request.url, 'http://x').searchParams.get('page');
      const data = page === '1' ? [fetchedRefund({ id: 1, merchant_note: null })] : [fetchedRefund()];
      return { status: 200, json: { status: true, data, meta: { page: Number(page), pageCount: 2 } } };
    });
    const result = await paystack.lookupRefund(server.context(credentials), {
      ...lookupInput,
      providerRefundId: undefined,
    });
    expect(result?.providerRefundId).toBe('3018284');
    expect(server.received).toHaveLength(2);
  });

  it('prefers the standing refund when our id was sent twice', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        status: true,
        data: [fetchedRefund({ id: 1, status: 'failed' }), fetchedRefund({ id: 2, status: 'processing' })],
        meta: { pageCount: 1 },
      },
    }));
    const result = await paystack.lookupRefund(server.context(credentials), {
      ...lookupInput,
      providerRefundId: undefined,
    });
    expect(result).toMatchObject({ providerRefundId: '2', status: 'pending' });
  });

  it('answers undefined when no refund of the transaction carries our id', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: true, data: [fetchedRefund({ merchant_note: 'by hand' })], meta: { pageCount: 1 } },
    }));
    const result = await paystack.lookupRefund(server.context(credentials), {
      ...lookupInput,
      providerRefundId: undefined,
    });
    expect(result).toBeUndefined();
  });

  it('retries a refund lookup that got 503 (a GET), then fails retryably', async () => {
    server.respond(() => ({ status: 503, json: { status: false, message: 'Service Unavailable' } }));
    const error = await paystack
      .lookupRefund(server.context(credentials), lookupInput)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(3);
  });

  it('carries exactly toProviderAmount(amount) and reads the answer back to the same minor units', async () => {
    const context = server.context(credentials);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paystack.currencies),
        fc.integer({ min: 1, max: 10_000_000_000 }),
        async (currency, amount) => {
          server.received.length = 0;
          server.respond((request) => {
            const sent = JSON.parse(request.body) as { amount: number; currency: string };
            return {
              status: 200,
              json: createdAnswer({ amount: sent.amount, currency: sent.currency }),
            };
          });
          const result = await paystack.refund(context, { ...refundInput, amount, currency });
          const sent = JSON.parse(server.received[0]?.body ?? '') as { amount: unknown; currency: unknown };
          expect(sent.amount).toBe(paystack.toProviderAmount(amount, currency));
          expect(Number.isSafeInteger(sent.amount)).toBe(true);
          expect(sent.currency).toBe(currency);
          expect(result.amount).toBe(amount);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Paystack verify for refunds', () => {
  const server = useProviderServer();

  function verifyAnswer(data: Record<string, unknown>) {
    return {
      status: true,
      message: 'Verification successful',
      data: { reference: wire, status: 'success', amount: 50000, currency: 'XOF', ...data },
    };
  }

  it('keeps the charge reference and converts an exact XOF fee to francs', async () => {
    server.respond(() => ({ status: 200, json: verifyAnswer({ fees: 800 }) }));
    const result = await paystack.verify(server.context(credentials), { reference, providerReference: wire });
    expect(result).toMatchObject({ status: 'succeeded', amount: 500, chargeId: wire, fee: 8 });
  });

  it('leaves out a fee that is not a whole number of minor units rather than rounding it', async () => {
    server.respond(() => ({ status: 200, json: verifyAnswer({ fees: 750 }) }));
    const result = await paystack.verify(server.context(credentials), { reference, providerReference: wire });
    expect(result).toMatchObject({ status: 'succeeded', amount: 500, chargeId: wire });
    expect(result).not.toHaveProperty('fee');
  });

  it('gives no charge id or fee before the customer paid', async () => {
    server.respond(() => ({ status: 200, json: verifyAnswer({ status: 'abandoned', fees: null }) }));
    const result = await paystack.verify(server.context(credentials), { reference, providerReference: wire });
    expect(result).not.toHaveProperty('chargeId');
    expect(result).not.toHaveProperty('fee');
  });

  it('keeps the charge id of a transaction refunded in full (reversed)', async () => {
    server.respond(() => ({ status: 200, json: verifyAnswer({ status: 'reversed', fees: 700 }) }));
    const result = await paystack.verify(server.context(credentials), { reference, providerReference: wire });
    expect(result).toMatchObject({ status: 'failed', providerStatus: 'reversed', chargeId: wire, fee: 7 });
  });
});
