import { createHmac, randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { paystack } from '#providers/paystack';
import type { ProviderContext, RefundTarget } from '#core/provider-adapter';
import { fetchJson, useSandboxes } from '#test/sandbox-fixture';
import { carrying, type ReceivedRequest } from '#test/sandbox-receiver';

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

  // -------------------------------------------------------------------------
  // Refunds
  // -------------------------------------------------------------------------

  describe('refunds', () => {
    afterEach(async () => {
      await control('POST', '/paystack/knobs', {
        refundOutcome: 'succeed',
        refundDelayMs: 50,
        holdWebhooks: false,
      });
    });

    const knobs = (values: Record<string, unknown>) => control('POST', '/paystack/knobs', values);

    /** A transaction the customer paid on the checkout page; answers its reference and numeric id. */
    async function paid(amount: number, currency = 'NGN'): Promise<{ reference: string; id: number }> {
      const reference = newReference();
      const { body } = await initialize({ email: 'ada@example.com', amount, currency, reference });
      const clicked = await clickOn(body.data.authorization_url, 'success');
      expect(clicked.body).toMatchObject({ status: 'success' });
      const verified = await api(`/transaction/verify/${reference}`);
      return { reference, id: verified.body.data.id as number };
    }

    const createRefund = (body: Record<string, unknown>, key: string = secretKey) =>
      api('/refund', { method: 'POST', body: JSON.stringify(body) }, key);

    /** The refund webhook `event` for the transaction `reference`. */
    const refundEvent =
      (event: string, reference: string) =>
      (request: ReceivedRequest): boolean => {
        try {
          const body = JSON.parse(request.raw.toString('utf8')) as {
            event?: string;
            data?: { transaction_reference?: string };
          };
          return body.event === event && body.data?.transaction_reference === reference;
        } catch {
          return false;
        }
      };

    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    async function refundStatus(id: number): Promise<string> {
      return (await api(`/refund/${id}`)).body.data.status as string;
    }

    it('refunds a paid transaction in full: queued, then processed, and the transaction reads reversed', async () => {
      await knobs({ refundDelayMs: 60 });
      const { reference, id: transactionId } = await paid(500000);
      const created = await createRefund({ transaction: reference, merchant_note: 're_full' });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        status: true,
        message: 'Refund has been queued for processing',
        data: {
          transaction: { id: transactionId, reference, amount: 500000, currency: 'NGN' },
          status: 'pending',
          amount: 500000,
          currency: 'NGN',
          merchant_note: 're_full',
          deducted_amount: 0,
          fully_deducted: false,
          id: expect.any(Number),
        },
      });
      const refundId = created.body.data.id as number;

      const processed = await hooks().waitFor(refundEvent('refund.processed', reference));
      expect(JSON.parse(processed.raw.toString('utf8'))).toMatchObject({
        event: 'refund.processed',
        data: { status: 'processed', transaction_reference: reference, amount: '500000', currency: 'NGN' },
      });
      const fetched = await api(`/refund/${refundId}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toMatchObject({
        status: true,
        data: {
          id: refundId,
          transaction: transactionId,
          status: 'processed',
          amount: 500000,
          merchant_note: 're_full',
          refunded_at: expect.any(String),
          fully_deducted: true,
        },
      });

      const verified = await api(`/transaction/verify/${reference}`);
      expect(verified.body.data).toMatchObject({ status: 'reversed', amount: 500000 });
      const again = await createRefund({ transaction: reference, amount: 100 });
      expect(again.status).toBe(400);
      expect(again.body).toEqual({ status: false, message: 'Transaction has been fully reversed' });
    });

    it('takes partial refunds by reference or numeric id, and refuses one over what is left', async () => {
      const { reference, id } = await paid(10000, 'GHS');
      const first = await createRefund({ transaction: reference, amount: 4000, currency: 'GHS' });
      expect(first.status).toBe(200);
      expect(first.body.data).toMatchObject({ status: 'pending', amount: 4000, currency: 'GHS' });

      const over = await createRefund({ transaction: reference, amount: 6001 });
      expect(over.status).toBe(400);
      expect(over.body.status).toBe(false);
      expect(over.body.message).toMatch(/cannot be more than the refundable balance of GHS 60\.00/);

      const rest = await createRefund({ transaction: id, amount: 6000 });
      expect(rest.status).toBe(200);
      expect(rest.body.data).toMatchObject({ amount: 6000, transaction: { reference } });

      const nothingLeft = await createRefund({ transaction: reference, amount: 1 });
      expect(nothingLeft.status).toBe(400);

      const listed = await api(`/refund?transaction=${reference}`);
      expect(listed.status).toBe(200);
      expect(listed.body.meta).toMatchObject({ total: 2, page: 1, pageCount: 1 });
      expect(listed.body.data.map((r: { amount: number }) => r.amount)).toEqual([6000, 4000]);
      expect(listed.body.data.every((r: { transaction: number }) => r.transaction === id)).toBe(true);
    });

    it('refuses a refund of an unpaid, declined or unknown transaction, in a wrong currency or amount', async () => {
      const reference = newReference();
      await initialize({ email: 'ada@example.com', amount: 10000, reference });
      const unpaid = await createRefund({ transaction: reference, amount: 100 });
      expect(unpaid.status).toBe(400);
      expect(unpaid.body).toEqual({ status: false, message: 'Only successful transactions can be refunded' });

      const declinedRef = newReference();
      const { body } = await initialize({ email: 'ada@example.com', amount: 10000, reference: declinedRef });
      await clickOn(body.data.authorization_url, 'decline');
      expect((await createRefund({ transaction: declinedRef })).status).toBe(400);

      const unknown = await createRefund({ transaction: 'never-issued', amount: 100 });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ status: false, message: 'Transaction not found' });

      const { reference: paidRef } = await paid(10000);
      const otherKey = await createRefund(
        { transaction: paidRef, amount: 100 },
        'sk_test_paystackMerchantTwo',
      );
      expect(otherKey.status).toBe(404);
      expect((await createRefund({ transaction: paidRef, amount: 100, currency: 'USD' })).status).toBe(400);
      expect((await createRefund({ transaction: paidRef, amount: 10.5 })).body).toEqual({
        status: false,
        message: 'Invalid Amount Sent',
      });
      expect((await createRefund({ transaction: paidRef, amount: 0 })).status).toBe(400);
    });

    it('does not deduplicate a repeated create (Paystack has no idempotency key): the list finds both by merchant_note', async () => {
      await knobs({ refundOutcome: 'hold' });
      const { reference } = await paid(10000);
      const body = { transaction: reference, amount: 3000, merchant_note: 're_repeat' };
      const first = await createRefund(body);
      const second = await createRefund(body);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.body.data.id).not.toBe(first.body.data.id);
      const listed = await api(`/refund?transaction=${reference}`);
      expect(
        listed.body.data.filter((r: { merchant_note: string }) => r.merchant_note === 're_repeat'),
      ).toHaveLength(2);

      // A repeated full refund is refused: the first already took everything.
      const { reference: fullRef } = await paid(2000);
      expect((await createRefund({ transaction: fullRef, merchant_note: 're_whole' })).status).toBe(200);
      const repeat = await createRefund({ transaction: fullRef, merchant_note: 're_whole' });
      expect(repeat.status).toBe(400);
      expect(repeat.body.status).toBe(false);
    });

    it('sends refund.pending then refund.processed, each signed with HMAC-SHA512 of the raw body', async () => {
      const { reference } = await paid(7000);
      const created = await createRefund({ transaction: reference, amount: 2500 });
      expect(created.status).toBe(200);
      for (const [event, status, refundReference] of [
        ['refund.pending', 'pending', null],
        ['refund.processed', 'processed', expect.stringMatching(/^\d{12}$/)],
      ] as const) {
        const webhook = await hooks().waitFor(refundEvent(event, reference));
        expect(webhook.method).toBe('POST');
        expect(webhook.url).toBe('/hooks/paystack');
        const expected = createHmac('sha512', secretKey).update(webhook.raw).digest('hex');
        expect(webhook.headers['x-paystack-signature']).toBe(expected);
        expect(JSON.parse(webhook.raw.toString('utf8'))).toEqual({
          event,
          data: {
            status,
            transaction_reference: reference,
            refund_reference: refundReference,
            amount: '2500',
            currency: 'NGN',
            processor: 'instant-transfer',
            customer: { first_name: null, last_name: null, email: 'ada@example.com' },
            integration: expect.any(Number),
            domain: 'test',
          },
        });
        // The adapter reads it as a refund hint for our payment.
        expect(paystack.parseWebhook(webhook.raw)).toMatchObject({
          kind: 'refund',
          providerReference: reference,
        });
      }
      const deliveries = (await control('GET', '/paystack/webhooks')).body.deliveries as { event: string }[];
      expect(deliveries.map((d) => d.event)).toEqual(
        expect.arrayContaining(['refund.pending', 'refund.processed']),
      );
      const calls = (await control('GET', '/paystack/calls')).body.calls as {
        method: string;
        path: string;
      }[];
      expect(calls.some((c) => c.method === 'POST' && c.path === '/refund')).toBe(true);
    });

    it('fail: the refund ends failed with refund.failed (amount a number) and the money is refundable again', async () => {
      await knobs({ refundOutcome: 'fail', refundDelayMs: 40 });
      const { reference } = await paid(9000);
      const created = await createRefund({ transaction: reference });
      expect(created.body.data).toMatchObject({ status: 'pending', amount: 9000 });
      const failed = await hooks().waitFor(refundEvent('refund.failed', reference));
      expect(JSON.parse(failed.raw.toString('utf8')).data).toMatchObject({ status: 'failed', amount: 9000 });
      expect(await refundStatus(created.body.data.id)).toBe('failed');
      expect(hooks().received.filter(refundEvent('refund.processed', reference))).toEqual([]);
      expect((await api(`/transaction/verify/${reference}`)).body.data.status).toBe('success');
      await knobs({ refundOutcome: 'succeed' });
      expect((await createRefund({ transaction: reference })).status).toBe(200);
    });

    it('hold: the refund stays pending until the control API completes it, once', async () => {
      await knobs({ refundOutcome: 'hold', refundDelayMs: 20 });
      const { reference } = await paid(8000);
      const created = await createRefund({ transaction: reference, amount: 8000 });
      const id = created.body.data.id as number;
      await sleep(120);
      expect(await refundStatus(id)).toBe('pending');

      const completed = await control('POST', `/paystack/refunds/${id}/complete`, { outcome: 'succeeded' });
      expect(completed.status).toBe(200);
      expect(completed.body).toEqual({ provider: 'paystack', refund: String(id), status: 'processed' });
      await hooks().waitFor(refundEvent('refund.processed', reference));
      expect(await refundStatus(id)).toBe('processed');

      const twice = await control('POST', `/paystack/refunds/${id}/complete`, { outcome: 'failed' });
      expect(twice.status).toBe(409);
      expect(twice.body.status).toBe('processed');
      expect((await control('POST', '/paystack/refunds/999/complete', { outcome: 'failed' })).status).toBe(
        404,
      );
    });

    it('action: the refund turns needs-attention, sends no final event, and can still be settled', async () => {
      await knobs({ refundOutcome: 'action', refundDelayMs: 30 });
      const { reference } = await paid(6000);
      const created = await createRefund({ transaction: reference, amount: 1000 });
      const id = created.body.data.id as number;
      await expect.poll(() => refundStatus(id), { timeout: 2000, interval: 20 }).toBe('needs-attention');
      expect(hooks().received.filter(refundEvent('refund.processed', reference))).toEqual([]);
      expect(hooks().received.filter(refundEvent('refund.failed', reference))).toEqual([]);
      const settled = await control('POST', `/paystack/refunds/${id}/complete`, { outcome: 'failed' });
      expect(settled.body.status).toBe('failed');
      await hooks().waitFor(refundEvent('refund.failed', reference));
    });

    it('holdWebhooks keeps refund webhooks back until released', async () => {
      await knobs({ holdWebhooks: true, refundOutcome: 'hold' });
      const { reference } = await paid(3000);
      await createRefund({ transaction: reference });
      await sleep(80);
      expect(hooks().received.filter(refundEvent('refund.pending', reference))).toEqual([]);
      const deliveries = (await control('GET', '/paystack/webhooks')).body.deliveries as {
        event: string;
        state: string;
      }[];
      expect(deliveries.some((d) => d.event === 'refund.pending' && d.state === 'held')).toBe(true);
      await control('POST', '/paystack/webhooks/release');
      await hooks().waitFor(refundEvent('refund.pending', reference));
    });

    it('answers 404 for an unknown or another key’s refund id', async () => {
      await knobs({ refundOutcome: 'hold' });
      const { reference } = await paid(3000);
      const created = await createRefund({ transaction: reference });
      expect((await api('/refund/12345')).body).toEqual({ status: false, message: 'Refund not found' });
      expect((await api(`/refund/${created.body.data.id}`, {}, 'sk_test_paystackMerchantTwo')).status).toBe(
        404,
      );
      expect((await api('/refund?transaction=never-issued')).body).toMatchObject({ status: true, data: [] });
    });

    it('works end to end with the adapter: verify, refund, look up by id and by our refund id', async () => {
      await knobs({ refundDelayMs: 150 });
      const ctx: ProviderContext = {
        baseUrl: sandbox().baseUrls.paystack,
        credentials: { secretKey },
        timeoutMs: 2000,
      };
      const reference = `ref_${ulid()}`;
      const init = await paystack.initialize(ctx, {
        reference,
        amount: 250000,
        currency: 'NGN',
        customer: { email: 'ada@example.com' },
      });
      await clickOn(init.checkoutUrl, 'success');
      const verified = await paystack.verify(ctx, { reference, providerReference: init.providerReference });
      expect(verified).toMatchObject({
        status: 'succeeded',
        amount: 250000,
        chargeId: init.providerReference,
        fee: 3750, // 1.5%
      });

      const payment: RefundTarget = {
        reference,
        providerReference: init.providerReference,
        chargeId: verified.chargeId,
      };
      const refundId = `re_${ulid()}`;
      const created = await paystack.refund(ctx, {
        refundId,
        payment,
        amount: 100000,
        currency: 'NGN',
        reason: 'requested_by_customer',
      });
      expect(created).toMatchObject({ status: 'pending', providerStatus: 'pending', amount: 100000 });
      expect(created.providerRefundId).toMatch(/^\d+$/);

      const lookup = { refundId, payment, amount: 100000, currency: 'NGN' };
      const byOurId = await paystack.lookupRefund(ctx, { ...lookup, providerRefundId: undefined });
      expect(byOurId?.providerRefundId).toBe(created.providerRefundId);
      await expect
        .poll(
          async () =>
            (await paystack.lookupRefund(ctx, { ...lookup, providerRefundId: created.providerRefundId }))
              ?.status,
          {
            timeout: 3000,
            interval: 30,
          },
        )
        .toBe('succeeded');
      expect(
        await paystack.lookupRefund(ctx, {
          ...lookup,
          providerRefundId: undefined,
          refundId: `re_${ulid()}`,
        }),
      ).toBeUndefined();
      expect(await paystack.lookupRefund(ctx, { ...lookup, providerRefundId: '1' })).toBeUndefined();

      const over = await paystack
        .refund(ctx, { refundId: `re_${ulid()}`, payment, amount: 150001, currency: 'NGN' })
        .catch((e: unknown) => e);
      expect(over).toMatchObject({ code: 'provider_rejected', retryable: false });
      expect((over as Error).message).toContain('refundable balance');
      // A refund webhook reaches the merchant and names our payment.
      const hint = await hooks().waitFor(refundEvent('refund.processed', init.providerReference));
      expect(paystack.parseWebhook(hint.raw)).toMatchObject({ kind: 'refund', reference });
    });
  });
});
