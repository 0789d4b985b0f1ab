import { createHmac, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchJson, useSandboxes } from '#test/sandbox-fixture';
import { carrying } from '#test/sandbox-receiver';

const secretKey = 'sk_test_paystackMerchantOne';
const otherKey = 'sk_test_paystackMerchantTwo';

describe('Paystack sandbox', () => {
  const { sandbox, hooks, control, clickOn } = useSandboxes();

  beforeAll(async () => {
    const configured = await control('PUT', '/paystack/accounts', {
      secretKey,
      webhookUrl: `${hooks().url}/hooks/paystack`,
    });
    expect(configured.status).toBe(200);
  });

  const api = (path: string, init: RequestInit = {}, key: string | null = secretKey) =>
    fetchJson(`${sandbox().baseUrls.paystack}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
    });

  const initialize = (body: Record<string, unknown>, key: string | null = secretKey) =>
    api('/transaction/initialize', { method: 'POST', body: JSON.stringify(body) }, key);

  const newReference = () => `ref-${randomUUID()}`;

  it("initializes a transaction with Paystack's answer shape", async () => {
    const reference = newReference();
    const answer = await initialize({ email: 'ada@example.com', amount: 500000, currency: 'NGN', reference });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: true,
      message: 'Authorization URL created',
      data: { reference, access_code: expect.any(String) },
    });
    expect(answer.body.data.authorization_url).toBe(
      `${sandbox().baseUrls.paystack}/checkout/${answer.body.data.access_code}`,
    );
  });

  it('verifies an unpaid transaction as abandoned', async () => {
    const reference = newReference();
    await initialize({ email: 'ada@example.com', amount: 10000, reference });
    const verified = await api(`/transaction/verify/${reference}`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      status: true,
      message: 'Verification successful',
      data: { reference, status: 'abandoned', amount: 10000, currency: 'NGN', paid_at: null },
    });
  });

  it('serves a checkout page with Pay and Decline buttons', async () => {
    const reference = newReference();
    const { body } = await initialize({ email: 'ada@example.com', amount: 250050, reference });
    const page = await fetch(body.data.authorization_url);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('NGN 2500.50');
    expect(html).toContain(`action="/paystack/checkout/${body.data.access_code}/complete"`);
    expect(html).toMatch(/<button[^>]*name="outcome" value="success"[^>]*>Pay<\/button>/);
    expect(html).toMatch(/<button[^>]*name="outcome" value="decline"[^>]*>Decline<\/button>/);
  });

  it('sends charge.success signed with HMAC-SHA512 of the raw body, and verify reports success', async () => {
    const reference = newReference();
    const { body } = await initialize({
      email: 'ada@example.com',
      amount: 500000,
      currency: 'NGN',
      reference,
      callback_url: 'https://merchant.example/return',
      metadata: { orderId: 'o_1' },
    });
    const clicked = await clickOn(body.data.authorization_url, 'success');
    expect(clicked.body).toMatchObject({ status: 'success' });
    expect(clicked.body.redirectUrl).toBe(
      `https://merchant.example/return?trxref=${reference}&reference=${reference}`,
    );

    const webhook = await hooks().waitFor(carrying('reference', reference));
    expect(webhook.method).toBe('POST');
    expect(webhook.url).toBe('/hooks/paystack');
    const expected = createHmac('sha512', secretKey).update(webhook.raw).digest('hex');
    expect(webhook.headers['x-paystack-signature']).toBe(expected);
    const event = JSON.parse(webhook.raw.toString('utf8'));
    expect(event).toMatchObject({
      event: 'charge.success',
      data: { reference, status: 'success', amount: 500000, currency: 'NGN', metadata: { orderId: 'o_1' } },
    });

    const verified = await api(`/transaction/verify/${reference}`);
    expect(verified.body.data).toMatchObject({
      reference,
      status: 'success',
      amount: 500000,
      currency: 'NGN',
      gateway_response: 'Successful',
    });
    expect(verified.body.data.paid_at).toEqual(expect.any(String));
  });

  it('verifies a declined payment as failed and sends no webhook for it', async () => {
    const reference = newReference();
    const { body } = await initialize({ email: 'ada@example.com', amount: 7000, currency: 'GHS', reference });
    const clicked = await clickOn(body.data.authorization_url, 'decline');
    expect(clicked.body).toMatchObject({ status: 'failed', redirectUrl: null });

    const verified = await api(`/transaction/verify/${reference}`);
    expect(verified.body.data).toMatchObject({ status: 'failed', amount: 7000, currency: 'GHS' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(hooks().received.filter(carrying('reference', reference))).toEqual([]);
    const webhooks = await control('GET', '/paystack/webhooks');
    expect(webhooks.body.deliveries.every((d: { event: string }) => d.event === 'charge.success')).toBe(true);
  });

  it('refuses a second payment on a completed transaction', async () => {
    const reference = newReference();
    const { body } = await initialize({ email: 'ada@example.com', amount: 1000, reference });
    await clickOn(body.data.authorization_url, 'success');
    const again = await clickOn(body.data.authorization_url, 'decline');
    expect(again.status).toBe(409);
    expect((await api(`/transaction/verify/${reference}`)).body.data.status).toBe('success');
  });

  it('answers 401 in Paystack shape to a missing or malformed key', async () => {
    const missing = await initialize({ email: 'ada@example.com', amount: 1000 }, null);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ status: false, message: 'No Authorization header was found' });
    for (const key of ['sk_live_realMoney', 'pk_test_publicKey', 'FLWSECK_TEST-abc']) {
      const wrong = await initialize({ email: 'ada@example.com', amount: 1000 }, key);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ status: false, message: 'Invalid key' });
    }
  });

  it("never shows one secret key's transactions to another key", async () => {
    const reference = newReference();
    await initialize({ email: 'ada@example.com', amount: 1000, reference });
    const other = await api(`/transaction/verify/${reference}`, {}, otherKey);
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ status: false, message: 'Transaction reference not found' });
    // The same reference is free for the other key.
    expect((await initialize({ email: 'bo@example.com', amount: 1000, reference }, otherKey)).status).toBe(
      200,
    );
  });

  it('refuses fractional amounts, duplicate references and unknown references like Paystack', async () => {
    const fractional = await initialize({ email: 'ada@example.com', amount: 100.5 });
    expect(fractional.status).toBe(400);
    expect(fractional.body).toEqual({ status: false, message: 'Invalid Amount Sent' });

    const reference = newReference();
    expect((await initialize({ email: 'ada@example.com', amount: 1000, reference })).status).toBe(200);
    const duplicate = await initialize({ email: 'ada@example.com', amount: 1000, reference });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toEqual({ status: false, message: 'Duplicate Transaction Reference' });

    const unknown = await api('/transaction/verify/never-issued');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ status: false, message: 'Transaction reference not found' });
  });

  it('accepts a form-encoded initialize with the amount as a string, as Paystack does', async () => {
    const reference = newReference();
    const answer = await fetchJson(`${sandbox().baseUrls.paystack}/transaction/initialize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'ada@example.com', amount: '20000', reference }).toString(),
    });
    expect(answer.status).toBe(200);
    expect((await api(`/transaction/verify/${reference}`)).body.data.amount).toBe(20000);
  });
});
