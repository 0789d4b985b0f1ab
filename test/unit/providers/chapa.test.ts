import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import { chapa } from '#providers/chapa';
import type { InitializeInput } from '#providers/types';
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
