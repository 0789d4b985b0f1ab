import { createHmac, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchJson, useSandboxes } from '#test/sandbox-fixture';
import { carrying } from '#test/sandbox-receiver';

const secretKey = 'FLWSECK_TEST-5c1dd7b8e0a94f6f9f1c2c3a4b5d6e7f-X';
const otherKey = 'FLWSECK_TEST-0000aaaa1111bbbb2222cccc3333dddd-X';
const secretHash = 'my-flutterwave-secret-hash';

describe('Flutterwave sandbox', () => {
  const { sandbox, hooks, control, clickOn } = useSandboxes();

  beforeAll(async () => {
    const configured = await control('PUT', '/flutterwave/accounts', {
      secretKey,
      webhookUrl: `${hooks().url}/hooks/flutterwave`,
      webhookSecret: secretHash,
    });
    expect(configured.status).toBe(200);
    expect(JSON.stringify(configured.body)).not.toContain(secretHash);
  });

  const api = (path: string, init: RequestInit = {}, key: string | null = secretKey) =>
    fetchJson(`${sandbox().baseUrls.flutterwave}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
    });

  const pay = (body: Record<string, unknown>, key: string | null = secretKey) =>
    api('/v3/payments', { method: 'POST', body: JSON.stringify(body) }, key);

  const payment = (txRef: string, amount: number | string = 107.5, currency = 'NGN') => ({
    tx_ref: txRef,
    amount,
    currency,
    redirect_url: 'https://merchant.example/flutterwave/return',
    customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
  });

  const verifyByReference = (txRef: string, key: string | null = secretKey) =>
    api(`/v3/transactions/verify_by_reference?tx_ref=${encodeURIComponent(txRef)}`, {}, key);

  const newTxRef = () => `tx-${randomUUID()}`;

  it("creates a payment with Flutterwave's Hosted Link answer", async () => {
    const answer = await pay(payment(newTxRef()));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      status: 'success',
      message: 'Hosted Link',
      data: {
        link: expect.stringMatching(new RegExp(`^${sandbox().baseUrls.flutterwave}/checkout/[0-9a-f]{32}$`)),
      },
    });
  });

  it('finds no transaction until the customer reaches the payment page, then reports it pending', async () => {
    const txRef = newTxRef();
    const { body } = await pay(payment(txRef));
    const before = await verifyByReference(txRef);
    expect(before.body).toEqual({
      status: 'error',
      message: 'No transaction was found for this id',
      data: null,
    });

    const page = await fetch(body.data.link);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('NGN 107.50');
    expect(html).toMatch(/<button[^>]*value="success"[^>]*>Pay<\/button>/);
    expect(html).toMatch(/<button[^>]*value="decline"[^>]*>Decline<\/button>/);

    const after = await verifyByReference(txRef);
    expect(after.body).toMatchObject({ status: 'success', data: { tx_ref: txRef, status: 'pending' } });
  });

  it('sends charge.completed with both signatures, and verify reports successful in major units', async () => {
    const txRef = newTxRef();
    const { body } = await pay(payment(txRef, '2500.75'));
    const clicked = await clickOn(body.data.link, 'success');
    expect(clicked.body).toMatchObject({ status: 'successful' });
    expect(clicked.body.redirectUrl).toMatch(
      /^https:\/\/merchant\.example\/flutterwave\/return\?status=successful&/,
    );

    const webhook = await hooks().waitFor(carrying('tx_ref', txRef));
    expect(webhook.url).toBe('/hooks/flutterwave');
    expect(webhook.headers['verif-hash']).toBe(secretHash);
    expect(webhook.headers['flutterwave-signature']).toBe(
      createHmac('sha256', secretHash).update(webhook.raw).digest('base64'),
    );
    const event = JSON.parse(webhook.raw.toString('utf8'));
    expect(event).toMatchObject({
      event: 'charge.completed',
      data: {
        tx_ref: txRef,
        status: 'successful',
        amount: 2500.75,
        currency: 'NGN',
        flw_ref: expect.any(String),
      },
    });

    const verified = await verifyByReference(txRef);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      status: 'success',
      data: { id: event.data.id, tx_ref: txRef, status: 'successful', amount: 2500.75, currency: 'NGN' },
    });
    const byId = await api(`/v3/transactions/${event.data.id}/verify`);
    expect(byId.body.data).toMatchObject({ tx_ref: txRef, status: 'successful', amount: 2500.75 });
  });

  it('reports a declined payment as failed, in the webhook and on verify', async () => {
    const txRef = newTxRef();
    const { body } = await pay(payment(txRef, 5000, 'KES'));
    await clickOn(body.data.link, 'decline');
    const webhook = await hooks().waitFor(carrying('tx_ref', txRef));
    expect(JSON.parse(webhook.raw.toString('utf8'))).toMatchObject({
      event: 'charge.completed',
      data: { status: 'failed', amount: 5000, currency: 'KES' },
    });
    expect((await verifyByReference(txRef)).body.data).toMatchObject({ status: 'failed', amount: 5000 });
  });

  it('answers 401 in Flutterwave shape to a missing or malformed key', async () => {
    const missing = await pay(payment(newTxRef()), null);
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ status: 'error', data: null });
    for (const key of ['FLWSECK-livekey-X', 'FLWPUBK_TEST-abc-X', 'sk_test_abc']) {
      const wrong = await pay(payment(newTxRef()), key);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ status: 'error', message: 'Invalid authorization key', data: null });
    }
  });

  it("never shows one secret key's transactions to another key", async () => {
    const txRef = newTxRef();
    const { body } = await pay(payment(txRef));
    await clickOn(body.data.link, 'success');
    const other = await verifyByReference(txRef, otherKey);
    expect(other.body).toEqual({
      status: 'error',
      message: 'No transaction was found for this id',
      data: null,
    });
  });

  it('refuses amounts finer than the currency and missing customer emails', async () => {
    const tooFine = await pay(payment(newTxRef(), 10.001));
    expect(tooFine.status).toBe(400);
    expect(tooFine.body).toMatchObject({ status: 'error', data: null });
    const noEmail = await pay({ ...payment(newTxRef()), customer: { name: 'Ada' } });
    expect(noEmail.status).toBe(400);
    expect(noEmail.body).toEqual({ status: 'error', message: 'customer.email is required', data: null });
  });
});
