import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { paystack } from '#providers/paystack';
import type { InitializeInput } from '#providers/types';
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
