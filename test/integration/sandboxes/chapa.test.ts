import { createHmac, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchJson, useSandboxes } from '#test/sandbox-fixture';
import { carrying } from '#test/sandbox-receiver';

const secretKey = 'CHASECK_TEST-tlwSXblBmeL9Da8degDKrKRELPL7G3cr';
const otherKey = 'CHASECK_TEST-otherMerchant000000000000000000';
const secretHash = 'chapa-secret-hash-123';

describe('Chapa sandbox', () => {
  const { sandbox, hooks, control, clickOn } = useSandboxes();

  beforeAll(async () => {
    const configured = await control('PUT', '/chapa/accounts', {
      secretKey,
      webhookUrl: `${hooks().url}/hooks/chapa`,
      webhookSecret: secretHash,
    });
    expect(configured.status).toBe(200);
  });

  const api = (path: string, init: RequestInit = {}, key: string | null = secretKey) =>
    fetchJson(`${sandbox().baseUrls.chapa}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
    });

  const initialize = (body: Record<string, unknown>, key: string | null = secretKey) =>
    api('/v1/transaction/initialize', { method: 'POST', body: JSON.stringify(body) }, key);

  const transaction = (txRef: string, amount = '100') => ({
    amount,
    currency: 'ETB',
    email: 'abebe@example.com',
    first_name: 'Abebe',
    last_name: 'Bikila',
    tx_ref: txRef,
    callback_url: `${hooks().url}/chapa/callback`,
    return_url: 'https://merchant.example/chapa/return',
  });

  const verify = (txRef: string, key: string | null = secretKey) =>
    api(`/v1/transaction/verify/${encodeURIComponent(txRef)}`, {}, key);

  const newTxRef = () => `chewata-${randomUUID()}`;

  it("initializes a transaction with Chapa's Hosted Link answer and verifies it pending", async () => {
    const txRef = newTxRef();
    const answer = await initialize(transaction(txRef));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      message: 'Hosted Link',
      status: 'success',
      data: { checkout_url: expect.stringMatching(new RegExp(`^${sandbox().baseUrls.chapa}/checkout/`)) },
    });
    const verified = await verify(txRef);
    expect(verified.body).toMatchObject({
      message: 'Payment details',
      status: 'success',
      data: { tx_ref: txRef, status: 'pending', amount: '100.00', currency: 'ETB' },
    });
  });

  it('serves a checkout page with Pay and Decline buttons', async () => {
    const { body } = await initialize(transaction(newTxRef(), '250.5'));
    const page = await fetch(body.data.checkout_url);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('ETB 250.50');
    expect(html).toMatch(/<button[^>]*value="success"[^>]*>Pay<\/button>/);
    expect(html).toMatch(/<button[^>]*value="decline"[^>]*>Decline<\/button>/);
  });

  it('sends a flat charge.success with x-chapa-signature over the raw body, and verify reports success', async () => {
    const txRef = newTxRef();
    const { body } = await initialize(transaction(txRef, '1234.5'));
    const clicked = await clickOn(body.data.checkout_url, 'success');
    expect(clicked.body).toMatchObject({
      status: 'success',
      redirectUrl: 'https://merchant.example/chapa/return',
    });

    const webhook = await hooks().waitFor((r) => r.url === '/hooks/chapa' && carrying('tx_ref', txRef)(r));
    expect(webhook.headers['x-chapa-signature']).toBe(
      createHmac('sha256', secretHash).update(webhook.raw).digest('hex'),
    );
    expect(webhook.headers['chapa-signature']).toBe(
      createHmac('sha256', secretHash).update(secretHash).digest('hex'),
    );
    const event = JSON.parse(webhook.raw.toString('utf8'));
    expect(event).toMatchObject({
      event: 'charge.success',
      tx_ref: txRef,
      amount: '1234.50',
      currency: 'ETB',
      status: 'success',
      reference: expect.any(String),
    });

    const verified = await verify(txRef);
    expect(verified.body.data).toMatchObject({
      status: 'success',
      amount: '1234.50',
      currency: 'ETB',
      reference: event.reference,
    });

    const callback = await hooks().waitFor((r) => r.url.startsWith('/chapa/callback'));
    expect(callback.method).toBe('GET');
    const query = new URL(callback.url, 'http://x').searchParams;
    expect(query.get('trx_ref')).toBe(txRef);
    expect(query.get('status')).toBe('success');
  });

  it('sends charge.failed/cancelled for a declined payment, and verify reports failed', async () => {
    const txRef = newTxRef();
    const { body } = await initialize(transaction(txRef));
    await clickOn(body.data.checkout_url, 'decline');
    const webhook = await hooks().waitFor(carrying('tx_ref', txRef));
    expect(JSON.parse(webhook.raw.toString('utf8'))).toMatchObject({
      event: 'charge.failed/cancelled',
      tx_ref: txRef,
    });
    expect((await verify(txRef)).body.data).toMatchObject({ status: 'failed', amount: '100.00' });
  });

  it('answers 401 in Chapa shape to a missing or malformed key', async () => {
    const missing = await initialize(transaction(newTxRef()), null);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ message: 'Authorization required', status: 'failed', data: null });
    for (const key of ['CHASECK-liveKey', 'CHAPUBK_TEST-public', 'sk_test_abc']) {
      const wrong = await initialize(transaction(newTxRef()), key);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({
        message: "Invalid API Key or User doesn't exist",
        status: 'failed',
        data: null,
      });
    }
  });

  it("never shows one secret key's transactions to another key", async () => {
    const txRef = newTxRef();
    await initialize(transaction(txRef));
    const other = await verify(txRef, otherKey);
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ status: 'failed', data: null });
  });

  it('refuses a reused tx_ref, a missing currency and a non-JSON body like Chapa', async () => {
    const txRef = newTxRef();
    expect((await initialize(transaction(txRef))).status).toBe(200);
    const reused = await initialize(transaction(txRef));
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual({
      message: 'Transaction reference has been used before',
      status: 'failed',
      data: null,
    });

    const { currency: _, ...noCurrency } = transaction(newTxRef());
    const missing = await initialize(noCurrency);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ status: 'failed', data: null });

    const form = await fetchJson(`${sandbox().baseUrls.chapa}/v1/transaction/initialize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'amount=100&currency=ETB',
    });
    expect(form.status).toBe(400);
  });
});
