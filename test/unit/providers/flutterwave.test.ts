import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { flutterwave } from '#providers/flutterwave';
import type { InitializeInput, RefundInput, RefundLookup } from '#core/provider-adapter';
import { useProviderServer } from './provider-server.ts';

const secretKey = 'FLWSECK_TEST-6b1d7e2a9c4f3b8e5d0a1c2b3e4f5a6b-X';
const webhookSecret = 'paybridge-flw-hash-7c1e9a';
const credentials = { secretKey, webhookSecret };
const now = new Date('2024-10-14T10:32:12Z');
const reference = 'ref_01J9Z3K6V8Q2M4N7P5R1T0W3XY';

function payload(name: string): Buffer {
  return readFileSync(new URL(`./payloads/flutterwave/${name}`, import.meta.url));
}

function sign(body: Buffer | string, key = webhookSecret): string {
  return createHmac('sha256', key).update(body).digest('base64');
}

const input: InitializeInput = {
  reference,
  amount: 10750,
  currency: 'NGN',
  customer: { email: 'ada@example.com', name: 'Ada Lovelace', phone: '08012345678' },
  description: 'Order 1042',
  redirectUrl: 'https://shop.example/return',
  metadata: { order: 'ord_1042' },
};

describe('Flutterwave webhook signature', () => {
  const body = payload('charge-completed-successful.json');

  it('accepts a Flutterwave webhook whose flutterwave-signature matches the exact raw bytes', () => {
    const check = flutterwave.verifyWebhookSignature(
      body,
      { 'flutterwave-signature': sign(body) },
      credentials,
      now,
    );
    expect(check).toEqual({ ok: true, scheme: 'body' });
  });

  it('rejects a Flutterwave webhook whose body was altered by one byte', () => {
    const signature = sign(body);
    const altered = Buffer.from(body);
    altered[altered.indexOf('107.5')] = '9'.charCodeAt(0);
    expect(
      flutterwave.verifyWebhookSignature(altered, { 'flutterwave-signature': signature }, credentials, now),
    ).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a Flutterwave webhook with no signature header at all', () => {
    expect(flutterwave.verifyWebhookSignature(body, {}, credentials, now)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('rejects a Flutterwave webhook signed with another secret hash', () => {
    const signature = sign(body, 'someone-elses-hash');
    expect(
      flutterwave.verifyWebhookSignature(body, { 'flutterwave-signature': signature }, credentials, now),
    ).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts the legacy verif-hash only when it equals the secret hash', () => {
    expect(
      flutterwave.verifyWebhookSignature(body, { 'verif-hash': webhookSecret }, credentials, now),
    ).toEqual({ ok: true, scheme: 'static' });
    expect(
      flutterwave.verifyWebhookSignature(body, { 'verif-hash': `${webhookSecret}x` }, credentials, now),
    ).toEqual({ ok: false, reason: 'bad_signature' });
    expect(flutterwave.verifyWebhookSignature(body, { 'verif-hash': 'short' }, credentials, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('lets a present flutterwave-signature decide, even when verif-hash is right', () => {
    const altered = Buffer.from(body.toString('utf8').replace('"successful"', '"Successful"'));
    const headers = { 'flutterwave-signature': sign(body), 'verif-hash': webhookSecret };
    expect(flutterwave.verifyWebhookSignature(altered, headers, credentials, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('says no_secret when the merchant configured no secret hash', () => {
    expect(
      flutterwave.verifyWebhookSignature(body, { 'flutterwave-signature': sign(body) }, { secretKey }, now),
    ).toEqual({ ok: false, reason: 'no_secret' });
  });
});

describe('Flutterwave webhook parsing', () => {
  it('reads a successful charge.completed keyed by transaction id and status', () => {
    expect(flutterwave.parseWebhook(payload('charge-completed-successful.json'))).toEqual({
      kind: 'payment',
      eventId: '285959875:successful',
      type: 'charge.completed',
      reference,
      providerReference: reference,
      claimedStatus: 'succeeded',
    });
  });

  it('reads a failed charge.completed as a failed payment', () => {
    expect(flutterwave.parseWebhook(payload('charge-completed-failed.json'))).toMatchObject({
      kind: 'payment',
      eventId: '408136545:failed',
      reference,
      claimedStatus: 'failed',
    });
  });

  it('reads the flat legacy shape with txRef and "event.type"', () => {
    expect(flutterwave.parseWebhook(payload('legacy-card-transaction.json'))).toEqual({
      kind: 'payment',
      eventId: '10484949:successful',
      type: 'CARD_TRANSACTION',
      reference,
      providerReference: reference,
      claimedStatus: 'succeeded',
    });
  });

  it('ignores event types that are not charges', () => {
    expect(flutterwave.parseWebhook(payload('transfer-completed.json'))).toEqual({
      kind: 'ignored',
      type: 'transfer.completed',
    });
    expect(flutterwave.parseWebhook(Buffer.from('{"hello":"world"}'))).toEqual({
      kind: 'ignored',
      type: 'unknown',
    });
  });

  it('refuses a body that is not JSON', () => {
    expect(() => flutterwave.parseWebhook(Buffer.from('<xml/>'))).toThrow(ValidationFailed);
  });
});

describe('Flutterwave API', () => {
  const server = useProviderServer();

  it('initializes POST /v3/payments with the major-unit amount, tx_ref and redirect_url as JSON', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        status: 'success',
        message: 'Hosted Link',
        data: { link: 'https://checkout.flutterwave.com/v3/hosted/pay/4c5a' },
      },
    }));
    const result = await flutterwave.initialize(server.context(credentials), input);
    expect(result).toEqual({
      providerReference: reference,
      checkoutUrl: 'https://checkout.flutterwave.com/v3/hosted/pay/4c5a',
    });
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v3/payments');
    expect(request?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toContain('"amount":107.5,');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      tx_ref: reference,
      amount: 107.5,
      currency: 'NGN',
      redirect_url: 'https://shop.example/return',
      customer: { email: 'ada@example.com', name: 'Ada Lovelace', phonenumber: '08012345678' },
      customizations: { description: 'Order 1042' },
      meta: { order: 'ord_1042', paybridge_reference: reference },
    });
  });

  it('sends session_duration in whole minutes, rounded up, from 1 to Flutterwave’s 1440, and none without an expiry', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: 'success', data: { link: 'https://x.test/pay' } },
    }));
    const inMs = (ms: number) => new Date(Date.now() + ms);
    for (const expiresAt of [
      inMs(3000), // the local stack's seconds: at least a minute
      inMs(90 * 60_000 - 30_000), // 89.5 minutes: rounded up to 90
      inMs(24 * 3600_000),
      inMs(48 * 3600_000), // beyond Flutterwave's maximum
    ]) {
      await flutterwave.initialize(server.context(credentials), { ...input, expiresAt });
    }
    await flutterwave.initialize(server.context(credentials), input);
    const durations = server.received.map(
      (r) => (JSON.parse(r.body) as { session_duration?: number }).session_duration,
    );
    expect(durations).toEqual([1, 90, 1440, 1440, undefined]);
  });

  it('sends UGX in whole shillings', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: 'success', data: { link: 'https://x.test/pay' } },
    }));
    await flutterwave.initialize(server.context(credentials), { ...input, amount: 100000, currency: 'UGX' });
    expect(JSON.parse(server.received[0]?.body ?? '')).toMatchObject({ amount: 100000, currency: 'UGX' });
  });

  it('refuses an unsupported currency, or a missing redirect URL, before calling Flutterwave', async () => {
    await expect(
      flutterwave.initialize(server.context(credentials), { ...input, currency: 'JPY' }),
    ).rejects.toThrow(Unprocessable);
    const { redirectUrl: _, ...withoutRedirect } = input;
    await expect(flutterwave.initialize(server.context(credentials), withoutRedirect)).rejects.toThrow(
      Unprocessable,
    );
    expect(server.received).toHaveLength(0);
  });

  it('maps a 503 on initialize to a retryable failure without retrying the POST', async () => {
    server.respond(() => ({
      status: 503,
      json: { status: 'error', message: 'Service temporarily unavailable' },
    }));
    const error = await flutterwave.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailed);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(1);
  });

  it('maps a 400 to a non-retryable failure with Flutterwave’s message', async () => {
    server.respond(() => ({
      status: 400,
      json: { status: 'error', message: 'Invalid currency provided', data: null },
    }));
    const error = await flutterwave.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain('Invalid currency provided');
  });

  it('maps a timeout on initialize to a retryable failure', async () => {
    server.respond(() => ({ hang: true }));
    const error = await flutterwave
      .initialize(server.context(credentials, 150), input)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_timeout', retryable: true });
  });

  it('verifies by GET /v3/transactions/verify_by_reference?tx_ref= and converts the major-unit amount', async () => {
    server.respond(() => ({ status: 200, text: payload('verify-successful.json').toString('utf8') }));
    const result = await flutterwave.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result).toEqual({
      status: 'succeeded',
      amount: 10750,
      currency: 'NGN',
      providerStatus: 'successful',
      chargeId: '285959875',
      fee: 151,
    });
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.url).toBe(`/v3/transactions/verify_by_reference?tx_ref=${reference}`);
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${secretKey}`);
  });

  it('reads "No transaction was found" with HTTP 200 as still pending', async () => {
    server.respond(() => ({ status: 200, text: payload('verify-not-found.json').toString('utf8') }));
    const result = await flutterwave.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result).toEqual({
      status: 'pending',
      amount: undefined,
      currency: undefined,
      providerStatus: 'not_found',
    });
  });

  it('reads "No transaction was found" with HTTP 400 as still pending', async () => {
    server.respond(() => ({ status: 400, text: payload('verify-not-found.json').toString('utf8') }));
    const result = await flutterwave.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result.status).toBe('pending');
    expect(server.received).toHaveLength(1);
  });

  it('treats any other HTTP 200 with status "error" as a refusal', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: 'error', message: 'Invalid tx_ref supplied', data: null },
    }));
    const error = await flutterwave
      .verify(server.context(credentials), { reference, providerReference: reference })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain('Invalid tx_ref supplied');
  });

  it('retries a verify that got 503 twice, then fails retryably', async () => {
    server.respond(() => ({ status: 503, json: { status: 'error', message: 'unavailable' } }));
    const error = await flutterwave
      .verify(server.context(credentials), { reference, providerReference: reference })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(3);
  });

  it('does not retry a verify refused with 401', async () => {
    server.respond(() => ({
      status: 401,
      json: { status: 'error', message: 'Invalid authorization key', data: null },
    }));
    const error = await flutterwave
      .verify(server.context(credentials), { reference, providerReference: reference })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect(server.received).toHaveLength(1);
  });
});

describe('Flutterwave verify: chargeId and fee', () => {
  const server = useProviderServer();
  const verified = (data: Record<string, unknown>) => ({
    status: 200,
    json: {
      status: 'success',
      message: 'Transaction fetched successfully',
      data: { id: 4975363, tx_ref: reference, amount: 100000, currency: 'UGX', ...data },
    },
  });

  it('gives no chargeId before the transaction is paid', async () => {
    server.respond(() => verified({ status: 'pending', app_fee: 1400 }));
    const result = await flutterwave.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result.status).toBe('pending');
    expect(result.chargeId).toBeUndefined();
    expect(result.fee).toBe(1400);
  });

  it('converts app_fee exactly in a zero-decimal currency and omits a fee finer than the currency', async () => {
    server.respond(() => verified({ status: 'successful', app_fee: 1400 }));
    const whole = await flutterwave.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(whole).toMatchObject({ chargeId: '4975363', fee: 1400, amount: 100000 });

    server.respond(() => verified({ status: 'successful', app_fee: 1400.35 }));
    const fine = await flutterwave.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(fine.status).toBe('succeeded');
    expect(fine.chargeId).toBe('4975363');
    expect(fine).not.toHaveProperty('fee');
  });
});

describe('Flutterwave refund webhooks', () => {
  it('ignores refund-looking bodies: v3 documents no refund webhook, the sweeper polls', () => {
    const v4Completed = Buffer.from(
      JSON.stringify({
        event: 'refund.completed',
        data: { id: 75923, tx_id: 908790, amount_refunded: 6900, status: 'completed', comments: 're_1' },
      }),
    );
    expect(flutterwave.parseWebhook(v4Completed)).toEqual({ kind: 'ignored', type: 'refund.completed' });
    const v4Failed = Buffer.from(JSON.stringify({ event: 'refund.failed', data: { id: 75923 } }));
    expect(flutterwave.parseWebhook(v4Failed)).toEqual({ kind: 'ignored', type: 'refund.failed' });
    const legacyRefund = Buffer.from(
      JSON.stringify({ id: 75923, 'event.type': 'REFUND', status: 'completed' }),
    );
    expect(flutterwave.parseWebhook(legacyRefund)).toEqual({ kind: 'ignored', type: 'REFUND' });
  });

  it('still reads charge.completed as a payment after refunds were added', () => {
    expect(flutterwave.parseWebhook(payload('charge-completed-successful.json'))).toMatchObject({
      kind: 'payment',
      eventId: '285959875:successful',
    });
  });
});

describe('Flutterwave refunds', () => {
  const server = useProviderServer();
  const chargeId = '285959875';
  const refundId = 're_01JA2B3C4D5E6F7G8H9J0K1M2N';
  const refundInput: RefundInput = {
    refundId,
    payment: { reference, providerReference: reference, chargeId },
    amount: 6950,
    currency: 'NGN',
    reason: 'requested_by_customer',
  };
  const lookup: RefundLookup = {
    refundId,
    providerRefundId: undefined,
    payment: refundInput.payment,
    amount: 6950,
    currency: 'NGN',
  };
  /** The documented create answer (developer.flutterwave.com/docs/payment-operations/refunds). */
  const refundObject = (overrides: Record<string, unknown> = {}) => ({
    id: 75923,
    account_id: 73362,
    tx_id: Number(chargeId),
    flw_ref: 'URF_1577867664541_3572735',
    wallet_id: 74639,
    amount_refunded: 69.5,
    status: 'completed',
    destination: 'payment_source',
    meta: { source: 'availablebalance' },
    created_at: '2021-01-24T09:18:37.000Z',
    ...overrides,
  });
  const created = (overrides: Record<string, unknown> = {}) => ({
    status: 200,
    json: { status: 'success', message: 'Transaction refund initiated', data: refundObject(overrides) },
  });

  it('posts to /v3/transactions/{numeric id}/refund with the major-unit amount and our id in comments', async () => {
    server.respond(() => created());
    const result = await flutterwave.refund(server.context(credentials), refundInput);
    expect(result).toEqual({
      status: 'succeeded',
      providerRefundId: '75923',
      amount: 6950,
      providerStatus: 'completed',
    });
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/v3/transactions/${chargeId}/refund`);
    expect(request?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toBe(`{"amount":69.5,"comments":"${refundId}"}`);
    expect(server.received).toHaveLength(1);
  });

  it.each([
    ['completed', 'succeeded'],
    ['COMPLETED', 'succeeded'],
    ['pending', 'pending'],
    ['processing', 'pending'],
    ['something-new', 'pending'],
    ['failed', 'failed'],
  ] as const)('maps the refund status word %s to %s', async (word, status) => {
    server.respond(() => created({ status: word }));
    const result = await flutterwave.refund(server.context(credentials), refundInput);
    expect(result.status).toBe(status);
    expect(result.providerStatus).toBe(word);
    if (status === 'failed') expect(result.failureReason).toContain(word);
    else expect(result).not.toHaveProperty('failureReason');
  });

  it('refuses without the numeric transaction id, before calling Flutterwave', async () => {
    for (const chargeIdValue of [undefined, reference, '']) {
      const error = await flutterwave
        .refund(server.context(credentials), {
          ...refundInput,
          payment: { ...refundInput.payment, chargeId: chargeIdValue },
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationFailed);
      expect(error).toMatchObject({ code: 'charge_id_required' });
    }
    expect(server.received).toHaveLength(0);
  });

  it('refuses an unsupported currency or an amount finer than the currency, before calling', async () => {
    await expect(
      flutterwave.refund(server.context(credentials), { ...refundInput, currency: 'JPY' }),
    ).rejects.toThrow(Unprocessable);
    await expect(
      flutterwave.refund(server.context(credentials), { ...refundInput, amount: 0 }),
    ).rejects.toThrow(ValidationFailed);
    expect(server.received).toHaveLength(0);
  });

  it('treats the ~28 s gateway 503 as retryable (outcome unknown) and never re-sends the POST', async () => {
    server.respond(() => ({
      status: 503,
      json: { status: 'error', message: 'Gateway timeout, please requery', data: null },
    }));
    const error = await flutterwave.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailed);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(1);
  });

  it('treats a timeout, a 429 and a network failure as retryable', async () => {
    server.respond(() => ({ hang: true }));
    await expect(flutterwave.refund(server.context(credentials, 150), refundInput)).rejects.toMatchObject({
      code: 'provider_timeout',
      retryable: true,
    });
    server.respond(() => ({ status: 429, json: { status: 'error', message: 'Too many requests' } }));
    await expect(flutterwave.refund(server.context(credentials), refundInput)).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryable: true,
    });
    await expect(
      flutterwave.refund({ baseUrl: 'http://127.0.0.1:1', credentials, timeoutMs: 1_000 }, refundInput),
    ).rejects.toMatchObject({ code: 'provider_unreachable', retryable: true });
  });

  it('maps a refusal (over-refund, insufficient balance) to a non-retryable failure in Flutterwave’s words', async () => {
    for (const message of [
      'Refund amount cannot be greater than transaction amount',
      'Insufficient balance in your wallet to process this refund',
    ]) {
      server.respond(() => ({ status: 400, json: { status: 'error', message, data: null } }));
      const error = await flutterwave
        .refund(server.context(credentials), refundInput)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
      expect((error as ProviderFailed).message).toContain(message);
    }
    server.respond(() => ({
      status: 200,
      json: { status: 'error', message: 'Transaction already fully refunded', data: null },
    }));
    const error = await flutterwave.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain('Transaction already fully refunded');
  });

  it('refuses an answer about another transaction, or in a shape it does not know', async () => {
    server.respond(() => created({ tx_id: 1 }));
    await expect(flutterwave.refund(server.context(credentials), refundInput)).rejects.toMatchObject({
      code: 'provider_bad_response',
      retryable: false,
    });
    server.respond(() => ({ status: 200, json: { status: 'success', data: { amount_refunded: 69.5 } } }));
    await expect(flutterwave.refund(server.context(credentials), refundInput)).rejects.toMatchObject({
      code: 'provider_bad_response',
    });
  });

  it('looks a refund up by Flutterwave’s id at GET /v3/refunds/{id}', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: 'success', message: 'Refund fetched', data: refundObject({ status: 'pending' }) },
    }));
    const result = await flutterwave.lookupRefund(server.context(credentials), {
      ...lookup,
      providerRefundId: '75923',
    });
    expect(result).toEqual({
      status: 'pending',
      providerRefundId: '75923',
      amount: 6950,
      providerStatus: 'pending',
    });
    expect(server.received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v3/refunds/75923']);
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${secretKey}`);
  });

  it('answers undefined when Flutterwave has no refund with that id (404, or 400 "not found")', async () => {
    server.respond(() => ({
      status: 404,
      json: { status: 'error', message: 'Refund not found', data: null },
    }));
    expect(
      await flutterwave.lookupRefund(server.context(credentials), { ...lookup, providerRefundId: '1' }),
    ).toBeUndefined();
    server.respond(() => ({
      status: 400,
      json: { status: 'error', message: 'No refund found', data: null },
    }));
    expect(
      await flutterwave.lookupRefund(server.context(credentials), { ...lookup, providerRefundId: '1' }),
    ).toBeUndefined();
    server.respond(() => ({ status: 401, json: { status: 'error', message: 'Invalid authorization key' } }));
    await expect(
      flutterwave.lookupRefund(server.context(credentials), { ...lookup, providerRefundId: '1' }),
    ).rejects.toMatchObject({ code: 'provider_rejected', retryable: false });
  });

  it('refuses a refund id that belongs to another transaction', async () => {
    server.respond(() => ({ status: 200, json: { status: 'success', data: refundObject({ tx_id: 42 }) } }));
    await expect(
      flutterwave.lookupRefund(server.context(credentials), { ...lookup, providerRefundId: '75923' }),
    ).rejects.toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  const listPage = (data: unknown[], page: number, totalPages: number) => ({
    status: 200,
    json: {
      status: 'success',
      message: 'Refunds fetched',
      meta: { page_info: { total: data.length, current_page: page, total_pages: totalPages } },
      data,
    },
  });

  it('finds a refund by our id in comments on this transaction, paging GET /v3/refunds', async () => {
    server.respond((request) => {
      const page = new URL(request.url, 'http://x').searchParams.get('page');
      if (page === '1') {
        return listPage(
          [
            refundObject({ id: 1, comments: refundId, tx_id: 99 }),
            refundObject({ id: 2, comments: 're_other' }),
          ],
          1,
          2,
        );
      }
      return listPage([refundObject({ id: 3, comments: refundId, status: 'pending' })], 2, 2);
    });
    const result = await flutterwave.lookupRefund(server.context(credentials), lookup);
    expect(result).toEqual({
      status: 'pending',
      providerRefundId: '3',
      amount: 6950,
      providerStatus: 'pending',
    });
    expect(server.received.map((r) => r.url)).toEqual(['/v3/refunds?page=1', '/v3/refunds?page=2']);
  });

  it('answers undefined when no refund on the transaction carries our id', async () => {
    server.respond(() => listPage([refundObject({ comments: 're_other' })], 1, 1));
    expect(await flutterwave.lookupRefund(server.context(credentials), lookup)).toBeUndefined();
    server.respond(() => listPage([], 1, 0));
    expect(await flutterwave.lookupRefund(server.context(credentials), lookup)).toBeUndefined();
  });

  it('takes a same-amount refund on the transaction as ours when list items echo no comments', async () => {
    server.respond(() =>
      listPage([refundObject({ id: 8, amount_refunded: 10 }), refundObject({ id: 9 })], 1, 1),
    );
    expect(await flutterwave.lookupRefund(server.context(credentials), lookup)).toMatchObject({
      providerRefundId: '9',
      status: 'succeeded',
    });
  });

  it('answers undefined without calling when the payment has no transaction id', async () => {
    const result = await flutterwave.lookupRefund(server.context(credentials), {
      ...lookup,
      payment: { ...lookup.payment, chargeId: undefined },
    });
    expect(result).toBeUndefined();
    expect(server.received).toHaveLength(0);
  });

  it('says it could not tell rather than "absent" when the list runs past the pages it reads', async () => {
    server.respond((request) => {
      const page = Number(new URL(request.url, 'http://x').searchParams.get('page'));
      return listPage([refundObject({ id: page, comments: 're_other' })], page, 50);
    });
    await expect(flutterwave.lookupRefund(server.context(credentials), lookup)).rejects.toMatchObject({
      code: 'refund_lookup_inconclusive',
      retryable: false,
    });
    expect(server.received).toHaveLength(10);
  });

  it('sends exactly toProviderAmount(amount) and reads the answer back to the same minor units', async () => {
    let answer: unknown;
    server.respond((request) => {
      const sent = JSON.parse(request.body) as { amount: number };
      answer = sent.amount;
      return created({ amount_refunded: sent.amount });
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...flutterwave.currencies),
        fc.integer({ min: 1, max: 10_000_000_000 }),
        async (currency, amount) => {
          server.received.length = 0;
          const result = await flutterwave.refund(server.context(credentials), {
            ...refundInput,
            currency,
            amount,
          });
          expect(server.received).toHaveLength(1);
          const body = JSON.parse(server.received[0]?.body ?? '') as { amount: unknown };
          expect(body.amount).toBe(flutterwave.toProviderAmount(amount, currency));
          expect(answer).toBe(body.amount);
          expect(result.amount).toBe(amount);
        },
      ),
      { numRuns: 60 },
    );
  });
});
