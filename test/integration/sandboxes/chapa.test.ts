import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chapa } from '#providers/chapa';
import type { ProviderContext } from '#core/provider-adapter';
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

  describe('refunds', () => {
    beforeEach(async () => {
      const knobs = await control('POST', '/chapa/knobs', { refundOutcome: 'succeed', refundDelayMs: 50 });
      expect(knobs.status).toBe(200);
    });

    const newRefundId = () => `re_${randomUUID().replaceAll('-', '')}`;

    /** A transaction the customer paid; `chapaRef` is Chapa's own reference from verify. */
    const paid = async (amount = '100') => {
      const txRef = newTxRef();
      const { body } = await initialize(transaction(txRef, amount));
      expect((await clickOn(body.data.checkout_url, 'success')).status).toBe(200);
      const verified = await verify(txRef);
      return { txRef, chapaRef: verified.body.data.reference as string };
    };

    /** Chapa's documented create: form-encoded, our unique id as `reference`. */
    const createRefund = (chapaRef: string, fields: Record<string, string>, key: string = secretKey) =>
      fetchJson(`${sandbox().baseUrls.chapa}/v1/refund/${encodeURIComponent(chapaRef)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });

    const verifyRefund = (refId: string, key: string | null = secretKey) =>
      api(`/v1/refund/${encodeURIComponent(refId)}/verify`, {}, key);

    /** Polls the refund verify until it reads `status`. */
    const refundReads = async (refId: string, status: string, timeoutMs = 3000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = await verifyRefund(refId);
        if (answer.body?.data?.status === status || Date.now() > deadline) return answer;
        await sleep(20);
      }
    };

    const refundWebhooks = (txRef: string) =>
      hooks().received.filter(
        (r) =>
          r.url === '/hooks/chapa' &&
          carrying('tx_ref', txRef)(r) &&
          JSON.parse(r.raw.toString('utf8')).event === 'charge.refunded',
      );

    const refundCalls = async () => {
      const { body } = await control('GET', '/chapa/calls');
      return (body.calls as { method: string; path: string; status?: number }[]).filter((c) =>
        c.path.startsWith('/v1/refund/'),
      );
    };

    it('refunds a whole payment: Refund Initiated, then refunded and a signed charge.refunded', async () => {
      const { txRef, chapaRef } = await paid('100');
      const refundId = newRefundId();
      const created = await createRefund(chapaRef, {
        reason: 'Requested by the customer',
        amount: '100.00',
        reference: refundId,
        'meta[paybridge_refund_id]': refundId,
      });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        message: 'Refund Initiated',
        status: 'success',
        data: {
          ref_id: expect.any(String),
          reference: refundId,
          amount: '100.00',
          currency: 'ETB',
          status: 'initiated',
          reason: 'Requested by the customer',
          meta: { paybridge_refund_id: refundId },
        },
      });
      const refId = created.body.data.ref_id as string;

      const webhook = await hooks().waitFor(
        (r) => r.url === '/hooks/chapa' && refundWebhooks(txRef).includes(r),
      );
      expect(webhook.headers['x-chapa-signature']).toBe(
        createHmac('sha256', secretHash).update(webhook.raw).digest('hex'),
      );
      expect(webhook.headers['chapa-signature']).toBe(
        createHmac('sha256', secretHash).update(secretHash).digest('hex'),
      );
      expect(JSON.parse(webhook.raw.toString('utf8'))).toMatchObject({
        event: 'charge.refunded',
        tx_ref: txRef,
        reference: chapaRef,
        status: 'refunded',
        amount: '100.00',
        currency: 'ETB',
      });
      const verified = await verifyRefund(refId);
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({
        message: 'Refund verified successfully',
        status: 'success',
        data: { ref_id: refId, amount: 100, currency: 'ETB', status: 'refunded', reference: refundId },
      });

      const deliveries = await control('GET', '/chapa/webhooks');
      expect(deliveries.body.deliveries).toContainEqual(
        expect.objectContaining({ event: 'charge.refunded', state: 'delivered' }),
      );
      const calls = await refundCalls();
      expect(calls).toContainEqual(
        expect.objectContaining({ method: 'POST', path: `/v1/refund/${chapaRef}`, status: 200 }),
      );
      expect(calls).toContainEqual(
        expect.objectContaining({ method: 'GET', path: `/v1/refund/${refId}/verify`, status: 200 }),
      );

      // Nothing is left to refund.
      const again = await createRefund(chapaRef, { amount: '0.01', reference: newRefundId() });
      expect(again.status).toBe(400);
    });

    it('takes partial refunds up to what is left, and refuses one over it in Chapa shape', async () => {
      const { chapaRef } = await paid('250.50');
      const first = await createRefund(chapaRef, { amount: '100.25', reference: newRefundId() });
      expect(first.status).toBe(200);
      expect(first.body.data).toMatchObject({ amount: '100.25' });
      const over = await createRefund(chapaRef, { amount: '150.26', reference: newRefundId() });
      expect(over.status).toBe(400);
      expect(over.body).toEqual({
        message: expect.stringMatching(/exceeds the refundable amount of 150\.25 ETB/),
        status: 'failed',
        data: null,
      });
      // Without an amount Chapa refunds the whole transaction: more than is left.
      expect((await createRefund(chapaRef, { reference: newRefundId() })).status).toBe(400);
      const rest = await createRefund(chapaRef, { amount: '150.25', reference: newRefundId() });
      expect(rest.status).toBe(200);
      expect(rest.body.data.ref_id).not.toBe(first.body.data.ref_id);
      expect((await createRefund(chapaRef, { amount: '0.01', reference: newRefundId() })).status).toBe(400);
    });

    it('refuses a refund above the charge, on an unpaid transaction, by tx_ref, or in bad units', async () => {
      const { txRef, chapaRef } = await paid('100');
      const over = await createRefund(chapaRef, { amount: '100.01', reference: newRefundId() });
      expect(over.status).toBe(400);
      expect(over.body).toMatchObject({ status: 'failed', data: null });

      const unpaid = newTxRef();
      await initialize(transaction(unpaid));
      const pendingRef = (await verify(unpaid)).body.data.reference as string;
      const notPaid = await createRefund(pendingRef, { amount: '1.00', reference: newRefundId() });
      expect(notPaid.status).toBe(400);
      expect(notPaid.body).toEqual({
        message: 'Transaction is not eligible for refund',
        status: 'failed',
        data: null,
      });

      // The path takes Chapa's reference, not the merchant's tx_ref.
      expect((await createRefund(txRef, { amount: '1.00', reference: newRefundId() })).status).toBe(404);
      expect((await createRefund(chapaRef, { amount: '1.005', reference: newRefundId() })).status).toBe(400);
      // Another key never sees this transaction.
      expect(
        (await createRefund(chapaRef, { amount: '1.00', reference: newRefundId() }, otherKey)).status,
      ).toBe(404);
      expect((await verifyRefund('NoSuchRefund')).status).toBe(404);
      // None of these made a refund: the whole amount is still there.
      expect((await createRefund(chapaRef, { amount: '100.00', reference: newRefundId() })).status).toBe(200);
    });

    it('answers a repeated reference with the refund already made, not a second one', async () => {
      const { chapaRef } = await paid('100');
      const refundId = newRefundId();
      const first = await createRefund(chapaRef, { amount: '60.00', reference: refundId });
      const repeat = await createRefund(chapaRef, { amount: '60.00', reference: refundId });
      expect(first.status).toBe(200);
      expect(repeat.status).toBe(200);
      expect(repeat.body.data.ref_id).toBe(first.body.data.ref_id);
      // Only 60 was taken: 40 is still refundable, 40.01 is not.
      expect((await createRefund(chapaRef, { amount: '40.01', reference: newRefundId() })).status).toBe(400);
      expect((await createRefund(chapaRef, { amount: '40.00', reference: newRefundId() })).status).toBe(200);
      const posts = (await refundCalls()).filter(
        (c) => c.method === 'POST' && c.path === `/v1/refund/${chapaRef}`,
      );
      expect(posts).toHaveLength(4);

      // The same reference on another transaction is refused.
      const other = await paid('100');
      expect((await createRefund(other.chapaRef, { amount: '1.00', reference: refundId })).status).toBe(400);
    });

    it('fail: the refund reads failed after the delay, sends no webhook, and frees the amount', async () => {
      await control('POST', '/chapa/knobs', { refundOutcome: 'fail', refundDelayMs: 30 });
      const { txRef, chapaRef } = await paid('100');
      const created = await createRefund(chapaRef, { amount: '100.00', reference: newRefundId() });
      expect(created.body.data.status).toBe('initiated');
      const refId = created.body.data.ref_id as string;
      expect((await verifyRefund(refId)).body.data.status).toBe('initiated');
      expect((await refundReads(refId, 'failed')).body.data).toMatchObject({ status: 'failed', amount: 100 });
      await sleep(150);
      expect(refundWebhooks(txRef)).toHaveLength(0);
      // A failed refund gave the money back to the balance: the whole amount can be refunded again.
      await control('POST', '/chapa/knobs', { refundOutcome: 'succeed' });
      expect((await createRefund(chapaRef, { amount: '100.00', reference: newRefundId() })).status).toBe(200);
    });

    it('hold: stays initiated until the control API completes it; a second complete is refused', async () => {
      await control('POST', '/chapa/knobs', { refundOutcome: 'hold', refundDelayMs: 10 });
      const { txRef, chapaRef } = await paid('100');
      const held = await createRefund(chapaRef, { amount: '30.00', reference: newRefundId() });
      const other = await createRefund(chapaRef, { amount: '20.00', reference: newRefundId() });
      const refId = held.body.data.ref_id as string;
      await sleep(100);
      expect((await verifyRefund(refId)).body.data.status).toBe('initiated');
      expect(refundWebhooks(txRef)).toHaveLength(0);

      const completed = await control('POST', `/chapa/refunds/${refId}/complete`, { outcome: 'succeeded' });
      expect(completed.status).toBe(200);
      expect(completed.body).toMatchObject({ refund: refId, status: 'refunded' });
      expect((await verifyRefund(refId)).body.data.status).toBe('refunded');
      const webhook = await hooks().waitFor((r) => refundWebhooks(txRef).includes(r));
      expect(webhook.headers['x-chapa-signature']).toBe(
        createHmac('sha256', secretHash).update(webhook.raw).digest('hex'),
      );

      const twice = await control('POST', `/chapa/refunds/${refId}/complete`, { outcome: 'failed' });
      expect(twice.status).toBe(409);
      expect(twice.body).toMatchObject({ status: 'refunded' });

      const otherId = other.body.data.ref_id as string;
      const failed = await control('POST', `/chapa/refunds/${otherId}/complete`, { outcome: 'failed' });
      expect(failed.body).toMatchObject({ status: 'failed' });
      expect((await verifyRefund(otherId)).body.data.status).toBe('failed');

      const unknown = await control('POST', '/chapa/refunds/NoSuchRefund/complete', { outcome: 'succeeded' });
      expect(unknown.status).toBe(404);
    });

    it('action: Chapa has no needs-action state, so the refund is held like hold', async () => {
      await control('POST', '/chapa/knobs', { refundOutcome: 'action', refundDelayMs: 10 });
      const { chapaRef } = await paid('100');
      const created = await createRefund(chapaRef, { amount: '10.00', reference: newRefundId() });
      const refId = created.body.data.ref_id as string;
      await sleep(100);
      expect((await verifyRefund(refId)).body.data.status).toBe('initiated');
      const completed = await control('POST', `/chapa/refunds/${refId}/complete`, { outcome: 'succeeded' });
      expect(completed.body).toMatchObject({ status: 'refunded' });
    });

    it('holds the refund webhook with holdWebhooks until released', async () => {
      await control('POST', '/chapa/knobs', { holdWebhooks: true, refundDelayMs: 10 });
      try {
        const { txRef, chapaRef } = await paid('100');
        const created = await createRefund(chapaRef, { amount: '5.00', reference: newRefundId() });
        await refundReads(created.body.data.ref_id as string, 'refunded');
        const { body } = await control('GET', '/chapa/webhooks');
        expect(body.deliveries).toContainEqual(
          expect.objectContaining({ event: 'charge.refunded', state: 'held' }),
        );
        expect(refundWebhooks(txRef)).toHaveLength(0);
        await control('POST', '/chapa/knobs', { holdWebhooks: false });
        await control('POST', '/chapa/webhooks/release');
        await hooks().waitFor((r) => refundWebhooks(txRef).includes(r));
      } finally {
        await control('POST', '/chapa/knobs', { holdWebhooks: false });
      }
    });

    it("the adapter's verify, refund and lookupRefund work against the sandbox end to end", async () => {
      const ctx: ProviderContext = {
        baseUrl: sandbox().baseUrls.chapa,
        credentials: { secretKey, webhookSecret: secretHash },
        timeoutMs: 2000,
      };
      await control('POST', '/chapa/knobs', { refundOutcome: 'succeed', refundDelayMs: 150 });
      const { txRef, chapaRef } = await paid('1234.56');
      const verified = await chapa.verify(ctx, { reference: txRef, providerReference: txRef });
      // The sandbox's fee: 3.5 % of 1234.56, rounded half up to the cent.
      expect(verified).toMatchObject({ status: 'succeeded', amount: 123456, chargeId: chapaRef, fee: 4321 });

      const payment = { reference: txRef, providerReference: txRef, chargeId: verified.chargeId };
      const refundId = newRefundId();
      const result = await chapa.refund(ctx, {
        refundId,
        payment,
        amount: 23456,
        currency: 'ETB',
        reason: 'duplicate',
      });
      expect(result).toEqual({
        status: 'pending',
        providerRefundId: expect.any(String),
        amount: 23456,
        providerStatus: 'initiated',
      });
      const lookup = { refundId, payment, amount: 23456, currency: 'ETB' };
      expect(
        await chapa.lookupRefund(ctx, { ...lookup, providerRefundId: result.providerRefundId }),
      ).toMatchObject({ status: 'pending', providerRefundId: result.providerRefundId });

      // Without the ref_id (the create's answer was lost), the same reference finds the same refund.
      const before = (await refundCalls()).length;
      const found = await chapa.lookupRefund(ctx, { ...lookup, providerRefundId: undefined });
      expect(found?.providerRefundId).toBe(result.providerRefundId);
      expect((await refundCalls()).length).toBe(before + 1);

      const webhook = await hooks().waitFor((r) => refundWebhooks(txRef).includes(r));
      const headers = Object.fromEntries(
        Object.entries(webhook.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
      );
      expect(chapa.verifyWebhookSignature(webhook.raw, headers, ctx.credentials, new Date())).toEqual({
        ok: true,
      });
      expect(chapa.parseWebhook(webhook.raw)).toMatchObject({
        kind: 'refund',
        type: 'charge.refunded',
        reference: txRef,
        providerReference: chapaRef,
      });
      expect(await chapa.lookupRefund(ctx, { ...lookup, providerRefundId: result.providerRefundId })).toEqual(
        {
          status: 'succeeded',
          providerRefundId: result.providerRefundId,
          amount: 23456,
          providerStatus: 'refunded',
        },
      );
      expect(await chapa.lookupRefund(ctx, { ...lookup, providerRefundId: 'NoSuchRefund' })).toBeUndefined();

      // Over what is left: Chapa's refusal, not retryable, in its words.
      const refused = await chapa
        .refund(ctx, { refundId: newRefundId(), payment, amount: 100001, currency: 'ETB' })
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'provider_rejected', retryable: false });
      expect((refused as Error).message).toContain('exceeds the refundable amount');
    });

    it('reset cancels refunds still queued, so no webhook follows', async () => {
      await control('POST', '/chapa/knobs', { refundDelayMs: 150 });
      const { txRef, chapaRef } = await paid('100');
      expect((await createRefund(chapaRef, { amount: '1.00', reference: newRefundId() })).status).toBe(200);
      expect((await control('POST', '/reset')).status).toBe(200);
      await control('PUT', '/chapa/accounts', {
        secretKey,
        webhookUrl: `${hooks().url}/hooks/chapa`,
        webhookSecret: secretHash,
      });
      await sleep(300);
      expect(refundWebhooks(txRef)).toHaveLength(0);
    });
  });
});
