import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { flutterwave } from '#providers/flutterwave';
import type { InitializeInput } from '#providers/types';
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
