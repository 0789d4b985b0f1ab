import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { chapa } from '#providers/chapa';
import type { InitializeInput, RefundInput, RefundLookup } from '#core/provider-adapter';
import { useProviderServer } from './provider-server.ts';

const secretKey = 'CHASECK_TEST-q8Zk3Lr0Tn5Wv2Yx7Bc4Df9Gh1Jk6Mn';
const webhookSecret = 'paybridge-chapa-hash-41d7';
const credentials = { secretKey, webhookSecret };
const now = new Date('2024-10-14T10:32:12Z');
const reference = 'ref_01J9Z3K6V8Q2M4N7P5R1T0W3XY';

function payload(name: string): Buffer {
  return readFileSync(new URL(`./payloads/chapa/${name}`, import.meta.url));
}

function sign(body: Buffer | string, key = webhookSecret): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

const input: InitializeInput = {
  reference,
  amount: 10750,
  currency: 'ETB',
  customer: { email: 'abebe@example.com', name: 'Abebe Bikila Demissie', phone: '0912345678' },
  redirectUrl: 'https://shop.example/return',
  metadata: { order: 'ord_1042' },
};

describe('Chapa webhook signature', () => {
  const body = payload('charge-success.json');

  it('accepts a Chapa webhook whose x-chapa-signature matches the exact raw bytes', () => {
    expect(chapa.verifyWebhookSignature(body, { 'x-chapa-signature': sign(body) }, credentials, now)).toEqual(
      {
        ok: true,
      },
    );
  });

  it('rejects a Chapa webhook whose body was altered by one byte', () => {
    const signature = sign(body);
    const altered = Buffer.from(body);
    altered[altered.indexOf('107.50')] = '9'.charCodeAt(0);
    expect(
      chapa.verifyWebhookSignature(altered, { 'x-chapa-signature': signature }, credentials, now),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a Chapa webhook without x-chapa-signature', () => {
    expect(chapa.verifyWebhookSignature(body, {}, credentials, now)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('does not accept the body-independent chapa-signature header on its own', () => {
    const constant = createHmac('sha256', webhookSecret).update(webhookSecret).digest('hex');
    expect(chapa.verifyWebhookSignature(body, { 'chapa-signature': constant }, credentials, now)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('rejects a Chapa webhook signed with another secret hash', () => {
    expect(
      chapa.verifyWebhookSignature(
        body,
        { 'x-chapa-signature': sign(body, 'not-our-hash') },
        credentials,
        now,
      ),
    ).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('says no_secret when the merchant configured no secret hash', () => {
    expect(
      chapa.verifyWebhookSignature(body, { 'x-chapa-signature': sign(body) }, { secretKey }, now),
    ).toEqual({
      ok: false,
      reason: 'no_secret',
    });
  });
});

describe('Chapa webhook parsing', () => {
  it('reads the flat charge.success as succeeded, keyed by Chapa reference and event', () => {
    expect(chapa.parseWebhook(payload('charge-success.json'))).toEqual({
      kind: 'payment',
      eventId: 'APdLrQy9cTnF:charge.success',
      type: 'charge.success',
      reference,
      providerReference: reference,
      claimedStatus: 'succeeded',
    });
  });

  it('reads charge.failed/cancelled with status cancelled as a cancellation', () => {
    expect(chapa.parseWebhook(payload('charge-failed-cancelled.json'))).toEqual({
      kind: 'payment',
      eventId: 'APdLrQy9cTnG:charge.failed/cancelled',
      type: 'charge.failed/cancelled',
      reference,
      providerReference: reference,
      claimedStatus: 'cancelled',
    });
  });

  it('reads charge.failed/cancelled with status failed as a failure', () => {
    const body = payload('charge-failed-cancelled.json')
      .toString('utf8')
      .replace('"cancelled",', '"failed",');
    expect(chapa.parseWebhook(Buffer.from(body))).toMatchObject({ claimedStatus: 'failed' });
  });

  it('also reads the fields when nested under data', () => {
    const body = JSON.stringify({
      event: 'charge.success',
      data: { tx_ref: reference, reference: 'APx', status: 'success' },
    });
    expect(chapa.parseWebhook(Buffer.from(body))).toMatchObject({ reference, eventId: 'APx:charge.success' });
  });

  it('ignores event types that are not charges', () => {
    expect(chapa.parseWebhook(payload('payout-success.json'))).toEqual({
      kind: 'ignored',
      type: 'payout.success',
    });
  });

  it('refuses a body that is not JSON', () => {
    expect(() => chapa.parseWebhook(Buffer.from(''))).toThrow(ValidationFailed);
  });
});

describe('Chapa API', () => {
  const server = useProviderServer();

  it('initializes with the amount as a major-unit decimal string, tx_ref and split names', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        message: 'Hosted Link',
        status: 'success',
        data: {
          checkout_url:
            'https://checkout.chapa.co/checkout/payment/V38JyhpTygC9QimkJrdful9oEjih0heIv53eJ1MsJS6xG',
        },
      },
    }));
    const result = await chapa.initialize(server.context(credentials), input);
    expect(result).toEqual({
      providerReference: reference,
      checkoutUrl: 'https://checkout.chapa.co/checkout/payment/V38JyhpTygC9QimkJrdful9oEjih0heIv53eJ1MsJS6xG',
    });
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/transaction/initialize');
    expect(request?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      amount: '107.50',
      currency: 'ETB',
      email: 'abebe@example.com',
      first_name: 'Abebe',
      last_name: 'Bikila Demissie',
      phone_number: '0912345678',
      tx_ref: reference,
      return_url: 'https://shop.example/return',
      meta: { order: 'ord_1042', paybridge_reference: reference },
    });
  });

  it('leaves out a phone number Chapa would refuse', async () => {
    server.respond(() => ({
      status: 200,
      json: { status: 'success', data: { checkout_url: 'https://x.test/pay' } },
    }));
    await chapa.initialize(server.context(credentials), {
      ...input,
      customer: { email: 'abebe@example.com', phone: '+251912345678' },
    });
    expect(JSON.parse(server.received[0]?.body ?? '')).not.toHaveProperty('phone_number');
  });

  it('refuses an unsupported currency before calling Chapa', async () => {
    await expect(
      chapa.initialize(server.context(credentials), { ...input, currency: 'NGN' }),
    ).rejects.toThrow(Unprocessable);
    expect(server.received).toHaveLength(0);
  });

  it('maps a 503 on initialize to a retryable failure without retrying the POST', async () => {
    server.respond(() => ({ status: 503, text: 'Service Unavailable' }));
    const error = await chapa.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailed);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(1);
  });

  it('maps a 400 to a non-retryable failure, flattening Chapa’s field messages', async () => {
    server.respond(() => ({
      status: 400,
      json: {
        message: { email: ['The email must be a valid email address.'] },
        status: 'failed',
        data: null,
      },
    }));
    const error = await chapa.initialize(server.context(credentials), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect((error as ProviderFailed).message).toContain('email: The email must be a valid email address.');
  });

  it('maps a timeout on initialize to a retryable failure', async () => {
    server.respond(() => ({ hang: true }));
    const error = await chapa.initialize(server.context(credentials, 150), input).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_timeout', retryable: true });
  });

  it('verifies by GET /v1/transaction/verify/{tx_ref} and converts the amount', async () => {
    server.respond(() => ({ status: 200, text: payload('verify-success.json').toString('utf8') }));
    const result = await chapa.verify(server.context(credentials), {
      reference,
      providerReference: reference,
    });
    expect(result).toEqual({
      status: 'succeeded',
      amount: 10750,
      currency: 'ETB',
      providerStatus: 'success',
      chargeId: 'APdLrQy9cTnF',
      fee: 376,
    });
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.url).toBe(`/v1/transaction/verify/${reference}`);
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${secretKey}`);
  });

  it('refuses a verify answer that omits or changes the tx_ref echo', async () => {
    const success = JSON.parse(payload('verify-success.json').toString('utf8')) as {
      data: Record<string, unknown>;
    };
    const { tx_ref: _omitted, ...withoutEcho } = success.data;
    for (const data of [
      withoutEcho,
      { ...success.data, tx_ref: null },
      { ...success.data, tx_ref: 'ref_other' },
    ]) {
      server.respond(() => ({ status: 200, json: { ...success, data } }));
      const error = await chapa
        .verify(server.context(credentials), { reference, providerReference: reference })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
    }
  });

  it('retries a verify that got 503 twice, then fails retryably', async () => {
    server.respond(() => ({ status: 503, json: { message: 'unavailable', status: 'failed' } }));
    const error = await chapa
      .verify(server.context(credentials), { reference, providerReference: reference })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(3);
  });

  it('does not retry a verify refused with 400', async () => {
    server.respond(() => ({
      status: 400,
      json: { message: 'Invalid transaction or Transaction not found', status: 'failed', data: null },
    }));
    const error = await chapa
      .verify(server.context(credentials), { reference, providerReference: reference })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect(server.received).toHaveLength(1);
  });
});

describe('Chapa verify: chargeId and fee', () => {
  const server = useProviderServer();
  const success = JSON.parse(payload('verify-success.json').toString('utf8')) as {
    data: Record<string, unknown>;
  };
  const verifyWith = async (data: Record<string, unknown>) => {
    server.respond(() => ({ status: 200, json: { ...success, data: { ...success.data, ...data } } }));
    return chapa.verify(server.context(credentials), { reference, providerReference: reference });
  };

  it("returns Chapa's own reference (not our tx_ref) as chargeId and the charge in minor units", async () => {
    expect(await verifyWith({ charge: '3.76', reference: 'APchargeRef1' })).toMatchObject({
      chargeId: 'APchargeRef1',
      fee: 376,
    });
    expect(await verifyWith({ currency: 'USD', amount: '10', charge: 0.35 })).toMatchObject({ fee: 35 });
  });

  it('gives neither before the payment succeeded', async () => {
    for (const status of ['pending', 'failed']) {
      const result = await verifyWith({ status });
      expect(result).not.toHaveProperty('chargeId');
      expect(result).not.toHaveProperty('fee');
    }
  });

  it('leaves out a fee that is missing or not exact in the currency, but still verifies', async () => {
    expect(await verifyWith({ charge: null })).not.toHaveProperty('fee');
    const inexact = await verifyWith({ charge: '3.765' });
    expect(inexact).not.toHaveProperty('fee');
    expect(inexact).toMatchObject({ status: 'succeeded', amount: 10750, chargeId: 'APdLrQy9cTnF' });
  });
});

describe('Chapa refunds', () => {
  const server = useProviderServer();
  const refundId = 're_01JA0B1C2D3E4F5G6H7J8K9M0N';
  const chargeId = 'APdLrQy9cTnF';
  const refundInput: RefundInput = {
    refundId,
    payment: { reference, providerReference: reference, chargeId },
    amount: 10750,
    currency: 'ETB',
    reason: 'requested_by_customer',
  };
  const lookup: RefundLookup = {
    refundId,
    providerRefundId: 'MnRf8dK2pQ7z',
    payment: refundInput.payment,
    amount: 10750,
    currency: 'ETB',
  };
  const initiated = (data: Record<string, unknown> = {}) => ({
    status: 200,
    json: {
      message: 'Refund Initiated',
      status: 'success',
      data: { ref_id: 'MnRf8dK2pQ7z', amount: '107.50', currency: 'ETB', ...data },
    },
  });
  const form = (body: string | undefined) => Object.fromEntries(new URLSearchParams(body ?? ''));

  it("posts a form to /v1/refund/{Chapa's reference} with the amount as a major-unit string and our id as reference", async () => {
    server.respond(() => initiated());
    const result = await chapa.refund(server.context(credentials), refundInput);
    expect(result).toEqual({
      status: 'pending',
      providerRefundId: 'MnRf8dK2pQ7z',
      amount: 10750,
      providerStatus: 'initiated',
    });
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/v1/refund/${chargeId}`);
    expect(request?.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form(request?.body)).toEqual({
      reason: 'Requested by the customer',
      amount: '107.50',
      reference: refundId,
      'meta[paybridge_refund_id]': refundId,
    });
  });

  it('always sends the amount, leaves out an absent reason, and escapes the path', async () => {
    server.respond(() => initiated({ amount: '0.05' }));
    const { reason: _reason, ...noReason } = refundInput;
    await chapa.refund(server.context(credentials), {
      ...noReason,
      amount: 5,
      payment: { ...refundInput.payment, chargeId: 'AP/x y' },
    });
    expect(server.received[0]?.url).toBe('/v1/refund/AP%2Fx%20y');
    expect(form(server.received[0]?.body)).toEqual({
      amount: '0.05',
      reference: refundId,
      'meta[paybridge_refund_id]': refundId,
    });
  });

  it('maps every Chapa refund status word', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'pending'],
      ['initiated', 'pending'],
      ['pending', 'pending'],
      ['processing', 'pending'],
      ['something-new', 'pending'],
      ['refunded', 'succeeded'],
      ['Refunded', 'succeeded'],
      ['success', 'succeeded'],
      ['successful', 'succeeded'],
      ['completed', 'succeeded'],
      ['failed', 'failed'],
      ['rejected', 'failed'],
      ['cancelled', 'failed'],
      ['canceled', 'failed'],
    ];
    for (const [word, expected] of cases) {
      server.respond(() => initiated(word === undefined ? {} : { status: word }));
      const result = await chapa.refund(server.context(credentials), refundInput);
      expect(result.status, String(word)).toBe(expected);
      expect(result.providerStatus).toBe(word ?? 'initiated');
      expect(result).not.toHaveProperty('nextAction');
      if (expected === 'failed') expect(result.failureReason).toContain(word);
      else expect(result).not.toHaveProperty('failureReason');
    }
  });

  it('accepts the refund id as ref_id, ref or id, and refuses an answer without one', async () => {
    for (const data of [{ ref_id: 'A1' }, { ref_id: null, ref: 'A1' }, { ref_id: undefined, id: 'A1' }]) {
      server.respond(() => initiated(data));
      expect((await chapa.refund(server.context(credentials), refundInput)).providerRefundId).toBe('A1');
    }
    server.respond(() => initiated({ ref_id: 12345 }));
    expect((await chapa.refund(server.context(credentials), refundInput)).providerRefundId).toBe('12345');
    server.respond(() => ({
      status: 200,
      json: { message: 'Refund Initiated', status: 'success', data: {} },
    }));
    const error = await chapa.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  it('reads an answer without an amount as amount unknown, and refuses an inexact one', async () => {
    server.respond(() => initiated({ amount: undefined, currency: undefined }));
    expect((await chapa.refund(server.context(credentials), refundInput)).amount).toBeUndefined();
    server.respond(() => initiated({ amount: '1.005' }));
    const error = await chapa.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  it('refuses an answer that echoes another refund of ours', async () => {
    server.respond(() => initiated({ reference: 're_someOtherRefund' }));
    const error = await chapa.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_bad_response', retryable: false });
  });

  it("refuses without Chapa's reference for the payment, or in another currency, before any call", async () => {
    const missing = await chapa
      .refund(server.context(credentials), {
        ...refundInput,
        payment: { ...refundInput.payment, chargeId: undefined },
      })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Unprocessable);
    await expect(
      chapa.refund(server.context(credentials), { ...refundInput, currency: 'NGN' }),
    ).rejects.toThrow(Unprocessable);
    await expect(chapa.refund(server.context(credentials), { ...refundInput, amount: 0 })).rejects.toThrow(
      ValidationFailed,
    );
    expect(server.received).toHaveLength(0);
  });

  it('maps timeouts, 429 and 5xx to retryable failures without resending the POST', async () => {
    const replies = [
      [
        { status: 503, json: { message: 'Service Unavailable', status: 'failed', data: null } },
        'provider_unavailable',
      ],
      [{ status: 500, text: 'oops' }, 'provider_unavailable'],
      [{ status: 429, json: { message: 'Too Many Attempts.' } }, 'provider_rate_limited'],
    ] as const;
    for (const [reply, code] of replies) {
      server.received.length = 0;
      server.respond(() => reply);
      const error = await chapa.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderFailed);
      expect(error).toMatchObject({ code, retryable: true });
      expect(server.received).toHaveLength(1);
    }
    server.received.length = 0;
    server.respond(() => ({ hang: true }));
    const timeout = await chapa
      .refund(server.context(credentials, 150), refundInput)
      .catch((e: unknown) => e);
    expect(timeout).toMatchObject({ code: 'provider_timeout', retryable: true });
    expect(server.received).toHaveLength(1);
  });

  it("maps Chapa's refusals to non-retryable failures in its words", async () => {
    for (const message of [
      'The refund amount exceeds the refundable amount of the transaction',
      'Insufficient balance to process the refund',
      'Refunds can only be processed in live mode',
    ]) {
      server.respond(() => ({ status: 400, json: { message, status: 'failed', data: null } }));
      const error = await chapa.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'provider_rejected', retryable: false });
      expect((error as ProviderFailed).message).toContain(message);
    }
    server.respond(() => ({
      status: 400,
      json: { message: { amount: ['The amount must be a number.'] }, status: 'failed', data: null },
    }));
    const error = await chapa.refund(server.context(credentials), refundInput).catch((e: unknown) => e);
    expect((error as ProviderFailed).message).toContain('amount: The amount must be a number.');
  });

  it('looks a refund up by its ref_id with GET /v1/refund/{ref_id}/verify', async () => {
    server.respond(() => ({
      status: 200,
      json: {
        message: 'Refund verified successfully',
        status: 'success',
        data: { amount: 107.5, currency: 'ETB', ref_id: 'MnRf8dK2pQ7z', status: 'refunded' },
      },
    }));
    expect(await chapa.lookupRefund(server.context(credentials), lookup)).toEqual({
      status: 'succeeded',
      providerRefundId: 'MnRf8dK2pQ7z',
      amount: 10750,
      providerStatus: 'refunded',
    });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.url).toBe('/v1/refund/MnRf8dK2pQ7z/verify');
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${secretKey}`);
  });

  it('answers undefined when Chapa has no such refund', async () => {
    for (const reply of [
      { status: 404, json: { message: 'Refund not found', status: 'failed', data: null } },
      { status: 400, json: { message: 'Refund Not Found', status: 'failed', data: null } },
    ]) {
      server.respond(() => reply);
      expect(await chapa.lookupRefund(server.context(credentials), lookup)).toBeUndefined();
    }
  });

  it('fails a lookup that Chapa refuses for another reason, or answers for another refund', async () => {
    server.respond(() => ({
      status: 401,
      json: { message: 'Invalid API Key', status: 'failed', data: null },
    }));
    expect(
      await chapa.lookupRefund(server.context(credentials), lookup).catch((e: unknown) => e),
    ).toMatchObject({
      code: 'provider_rejected',
      retryable: false,
    });
    server.respond(() => ({
      status: 200,
      json: { status: 'success', data: { ref_id: 'SomeOtherRef', status: 'refunded', amount: 107.5 } },
    }));
    expect(
      await chapa.lookupRefund(server.context(credentials), lookup).catch((e: unknown) => e),
    ).toMatchObject({
      code: 'provider_bad_response',
    });
  });

  it('retries a lookup that got 503, then fails retryably', async () => {
    server.respond(() => ({ status: 503, json: { message: 'Service Unavailable' } }));
    const error = await chapa.lookupRefund(server.context(credentials), lookup).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(server.received).toHaveLength(3);
  });

  it('without a ref_id, finds the refund by re-submitting the create with our unique reference', async () => {
    server.respond(() => initiated({ status: 'refunded' }));
    const result = await chapa.lookupRefund(server.context(credentials), {
      ...lookup,
      providerRefundId: undefined,
    });
    expect(result).toEqual({
      status: 'succeeded',
      providerRefundId: 'MnRf8dK2pQ7z',
      amount: 10750,
      providerStatus: 'refunded',
    });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]?.method).toBe('POST');
    expect(server.received[0]?.url).toBe(`/v1/refund/${chargeId}`);
    expect(form(server.received[0]?.body)).toMatchObject({ amount: '107.50', reference: refundId });
  });

  it('sends exactly toProviderAmount(amount) and reads the answer back to the same minor units', async () => {
    server.respond((request) => ({
      status: 200,
      json: {
        message: 'Refund Initiated',
        status: 'success',
        data: { ref_id: 'Rp1', amount: form(request.body).amount },
      },
    }));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...chapa.currencies),
        fc.integer({ min: 1, max: 1_200_000_000 }),
        async (currency, amount) => {
          server.received.length = 0;
          const result = await chapa.refund(server.context(credentials), {
            ...refundInput,
            amount,
            currency,
          });
          const sent = form(server.received[0]?.body).amount;
          expect(sent).toBe(chapa.toProviderAmount(amount, currency));
          expect(chapa.fromProviderAmount(sent ?? '', currency)).toBe(amount);
          expect(result.amount).toBe(amount);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Chapa refund webhook parsing', () => {
  // The flat transaction shape of Chapa's payment events (payloads/chapa/charge-success.json)
  // with the refund event: Chapa's docs show no refund sample, so this is built from that one.
  const refunded = {
    event: 'charge.refunded',
    first_name: 'Abebe',
    last_name: 'Bikila',
    email: 'abebe@example.com',
    mobile: '0912345678',
    currency: 'ETB',
    amount: '107.50',
    charge: '3.76',
    status: 'refunded',
    failure_reason: null,
    mode: 'test',
    reference: 'APdLrQy9cTnF',
    created_at: '2024-10-14T10:32:11.000000Z',
    updated_at: '2024-10-15T08:00:00.000000Z',
    type: 'API',
    tx_ref: reference,
    payment_method: 'telebirr',
    customization: { title: null, description: null, logo: null },
    meta: { paybridge_reference: reference },
  };
  const parse = (body: unknown) => chapa.parseWebhook(Buffer.from(JSON.stringify(body)));

  it('reads charge.refunded as a refund hint on the payment, without a refund id', () => {
    expect(parse(refunded)).toEqual({
      kind: 'refund',
      eventId: 'APdLrQy9cTnF:charge.refunded:2024-10-15T08:00:00.000000Z',
      type: 'charge.refunded',
      reference,
      providerReference: 'APdLrQy9cTnF',
      providerRefundId: undefined,
      refundId: undefined,
    });
  });

  it('keeps the same event id for the same delivery, and a new one for another refund of the payment', () => {
    const bytes = Buffer.from(JSON.stringify(refunded));
    expect(chapa.parseWebhook(bytes)).toEqual(chapa.parseWebhook(Buffer.from(bytes)));
    const second = parse({ ...refunded, updated_at: '2024-10-16T09:00:00.000000Z' });
    expect(second).toMatchObject({ kind: 'refund' });
    expect((second as { eventId: string }).eventId).not.toBe(
      (parse(refunded) as { eventId: string }).eventId,
    );
  });

  it('passes on a refund id and our re_… id when the body carries them', () => {
    expect(
      parse({ ...refunded, ref_id: 'MnRf8dK2pQ7z', meta: { paybridge_refund_id: 're_01JA0B1C2D3E' } }),
    ).toMatchObject({
      eventId: 'APdLrQy9cTnF:charge.refunded:MnRf8dK2pQ7z',
      providerRefundId: 'MnRf8dK2pQ7z',
      refundId: 're_01JA0B1C2D3E',
    });
  });

  it('reads the fields nested under data too, and a body with only one of the references', () => {
    expect(parse({ event: 'charge.refunded', data: { reference: 'APx', tx_ref: reference } })).toMatchObject({
      kind: 'refund',
      eventId: 'APx:charge.refunded',
      reference,
      providerReference: 'APx',
    });
    expect(parse({ event: 'charge.refunded', reference: 'APx' })).toMatchObject({
      reference: undefined,
      providerReference: 'APx',
    });
  });

  it('refuses a charge.refunded that names no payment', () => {
    expect(() => parse({ event: 'charge.refunded', status: 'refunded' })).toThrow(ValidationFailed);
  });

  it('still reads the payment events as payments', () => {
    expect(chapa.parseWebhook(payload('charge-success.json'))).toMatchObject({ kind: 'payment' });
  });
});
