import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { flutterwave } from '#providers/flutterwave';
import type { ProviderContext, RefundLookup } from '#core/provider-adapter';
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

describe('Flutterwave sandbox refunds', () => {
  const { sandbox, hooks, control, clickOn } = useSandboxes();
  const refundKey = 'FLWSECK_TEST-7e7e7e7e1111222233334444aaaabbbb-X';

  beforeAll(async () => {
    const configured = await control('PUT', '/flutterwave/accounts', {
      secretKey: refundKey,
      webhookUrl: `${hooks().url}/hooks/flutterwave`,
      webhookSecret: secretHash,
    });
    expect(configured.status).toBe(200);
  });

  afterEach(async () => {
    await control('POST', '/flutterwave/knobs', { refundOutcome: 'succeed', refundDelayMs: 50 });
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetchJson(`${sandbox().baseUrls.flutterwave}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${refundKey}` },
    });

  const refund = (transactionId: number | string, body: Record<string, unknown>) =>
    api(`/v3/transactions/${transactionId}/refund`, { method: 'POST', body: JSON.stringify(body) });

  /** A transaction paid on the checkout page; answers its tx_ref and Flutterwave's numeric id. */
  async function paid(
    amount: number | string = 1000,
    currency = 'NGN',
    outcome: 'success' | 'decline' = 'success',
  ) {
    const txRef = `tx-${randomUUID()}`;
    const created = await api('/v3/payments', {
      method: 'POST',
      body: JSON.stringify({
        tx_ref: txRef,
        amount,
        currency,
        redirect_url: 'https://merchant.example/flutterwave/return',
        customer: { email: 'ada@example.com' },
      }),
    });
    expect(created.status).toBe(200);
    await clickOn(created.body.data.link, outcome);
    const verified = await api(`/v3/transactions/verify_by_reference?tx_ref=${txRef}`);
    return { txRef, id: verified.body.data.id as number };
  }

  const newRefundId = () => `re_${randomUUID().replace(/-/g, '')}`;

  async function until<T>(
    read: () => Promise<T>,
    done: (value: T) => boolean,
    timeoutMs = 3_000,
  ): Promise<T> {
    const started = Date.now();
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() - started > timeoutMs) return value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('verify carries the numeric id and app_fee in major units (1.4 %)', async () => {
    const { txRef, id } = await paid(2500.75);
    const verified = await api(`/v3/transactions/verify_by_reference?tx_ref=${txRef}`);
    expect(verified.body.data).toMatchObject({ id, amount: 2500.75, app_fee: 35.01, status: 'successful' });
  });

  it('refunds the whole charge at once as completed, then refuses any more', async () => {
    const { id } = await paid(1000);
    const refundId = newRefundId();
    const answer = await refund(id, { amount: 1000, comments: refundId });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      status: 'success',
      message: 'Transaction refund initiated',
      data: {
        id: expect.any(Number),
        account_id: expect.any(Number),
        tx_id: id,
        flw_ref: expect.stringMatching(/^URF_\d+_\d+$/),
        wallet_id: expect.any(Number),
        amount_refunded: 1000,
        status: 'completed',
        destination: 'payment_source',
        meta: { source: 'availablebalance' },
        comments: refundId,
        created_at: expect.any(String),
      },
    });
    const again = await refund(id, { amount: 1, comments: newRefundId() });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      status: 'error',
      message: 'Transaction has been fully refunded',
      data: null,
    });

    const fetched = await api(`/v3/refunds/${answer.body.data.id}`);
    expect(fetched.body).toMatchObject({
      status: 'success',
      data: { id: answer.body.data.id, status: 'completed' },
    });
  });

  it('takes partial refunds in major units and refuses one over what is left', async () => {
    const { id } = await paid(107.5);
    const first = await refund(id, { amount: 50.25, comments: newRefundId() });
    expect(first.body.data).toMatchObject({ amount_refunded: 50.25, status: 'completed' });
    const over = await refund(id, { amount: 57.26, comments: newRefundId() });
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      status: 'error',
      message: 'Refund amount cannot be greater than the refundable amount of 57.25 NGN',
      data: null,
    });
    const rest = await refund(id, { amount: 57.25, comments: newRefundId() });
    expect(rest.body.data).toMatchObject({ amount_refunded: 57.25, status: 'completed' });
    const tooFine = await refund((await paid(10)).id, { amount: 1.001 });
    expect(tooFine.status).toBe(400);
    expect(tooFine.body).toMatchObject({ status: 'error', message: 'Invalid amount' });
  });

  it('refunds the whole remainder when the amount is left out', async () => {
    const { id } = await paid(300, 'UGX');
    await refund(id, { amount: 100 });
    const rest = await refund(id, {});
    expect(rest.body.data).toMatchObject({ amount_refunded: 200, status: 'completed' });
  });

  it('refuses a refund on a failed, unpaid, unknown or other key’s transaction', async () => {
    const declined = await paid(1000, 'NGN', 'decline');
    const failed = await refund(declined.id, { amount: 10 });
    expect(failed.status).toBe(400);
    expect(failed.body).toEqual({
      status: 'error',
      message: 'Only successful transactions can be refunded',
      data: null,
    });
    const unknown = await refund(1, { amount: 10 });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      status: 'error',
      message: 'No transaction was found for this id',
      data: null,
    });

    const { id } = await paid(1000);
    const foreign = await fetchJson(`${sandbox().baseUrls.flutterwave}/v3/transactions/${id}/refund`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${otherKey}` },
      body: JSON.stringify({ amount: 10 }),
    });
    expect(foreign.status).toBe(400);
  });

  it('has no idempotency key: a repeated create makes a second refund, capped by what is left', async () => {
    const { id } = await paid(100);
    const refundId = newRefundId();
    const first = await refund(id, { amount: 60, comments: refundId });
    const repeat = await refund(id, { amount: 60, comments: refundId });
    // Real Flutterwave v3 behaviour: `comments` is a note, not a key. The caller looks the refund up
    // (lookupRefund by our id) before ever submitting it again; the cap stops a double refund here.
    expect(first.status).toBe(200);
    expect(repeat.status).toBe(400);
    const small = await refund(id, { amount: 40, comments: refundId });
    expect(small.status).toBe(200);
    expect(small.body.data.id).not.toBe(first.body.data.id);
  });

  it('records every refund API call', async () => {
    const before = (await control('GET', '/flutterwave/calls')).body.count as number;
    const { id } = await paid(100);
    const made = await refund(id, { amount: 10 });
    await api(`/v3/refunds/${made.body.data.id}`);
    await api('/v3/refunds?page=1');
    const { body } = await control('GET', '/flutterwave/calls');
    const paths = (body.calls as { method: string; path: string; status?: number }[])
      .slice(before)
      .map((c) => `${c.method} ${c.path} ${c.status}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        `POST /v3/transactions/${id}/refund 200`,
        `GET /v3/refunds/${made.body.data.id} 200`,
        'GET /v3/refunds?page=1 200',
      ]),
    );
  });

  it('lists refunds newest first, 10 a page, filtered by day and status; 404 for an unknown id', async () => {
    const { id } = await paid(1000);
    const ids: number[] = [];
    for (let i = 0; i < 12; i += 1)
      ids.push((await refund(id, { amount: 1, comments: `re_list_${i}` })).body.data.id);
    const first = await api('/v3/refunds');
    expect(first.body.status).toBe('success');
    expect(first.body.data).toHaveLength(10);
    expect(first.body.data[0]).toMatchObject({ id: ids[11], comments: 're_list_11' });
    expect(first.body.meta.page_info.current_page).toBe(1);
    const lastPage = first.body.meta.page_info.total_pages as number;
    expect(lastPage).toBeGreaterThanOrEqual(2);
    const second = await api('/v3/refunds?page=2');
    expect(second.body.data[0]).toMatchObject({ id: ids[1] });
    const today = new Date().toISOString().slice(0, 10);
    const todays = await api(`/v3/refunds?from=${today}&to=${today}`);
    expect(todays.body.meta.page_info.total).toBe(first.body.meta.page_info.total);
    const past = await api('/v3/refunds?from=2000-01-01&to=2000-01-02');
    expect(past.body).toMatchObject({ status: 'success', data: [] });
    const pending = await api('/v3/refunds?status=pending');
    expect(pending.body.data.every((r: { status: string }) => r.status === 'pending')).toBe(true);
    const bad = await api('/v3/refunds?from=yesterday');
    expect(bad.status).toBe(400);
    const missing = await api('/v3/refunds/1');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ status: 'error', message: 'Refund not found', data: null });
  });

  it('refundOutcome fail: answers pending, reads failed after refundDelayMs, and frees the amount again', async () => {
    await control('POST', '/flutterwave/knobs', { refundOutcome: 'fail', refundDelayMs: 30 });
    const { id } = await paid(100);
    const made = await refund(id, { amount: 100, comments: newRefundId() });
    expect(made.body.data).toMatchObject({ status: 'pending', amount_refunded: 100 });
    const later = await until(
      () => api(`/v3/refunds/${made.body.data.id}`),
      (answer) => answer.body.data.status !== 'pending',
    );
    expect(later.body.data.status).toBe('failed');
    const settled = await control('POST', `/flutterwave/refunds/${made.body.data.id}/complete`, {
      outcome: 'succeeded',
    });
    expect(settled.status).toBe(409);
    await control('POST', '/flutterwave/knobs', { refundOutcome: 'succeed' });
    const retried = await refund(id, { amount: 100, comments: newRefundId() });
    expect(retried.body.data).toMatchObject({ status: 'completed', amount_refunded: 100 });
  });

  it('refundOutcome hold: stays pending until the control API completes it, and only once', async () => {
    await control('POST', '/flutterwave/knobs', { refundOutcome: 'hold', refundDelayMs: 0 });
    const { id } = await paid(100);
    const made = await refund(id, { amount: 40, comments: newRefundId() });
    expect(made.body.data.status).toBe('pending');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await api(`/v3/refunds/${made.body.data.id}`)).body.data.status).toBe('pending');
    // A pending refund still counts against what is refundable.
    expect((await refund(id, { amount: 61 })).status).toBe(400);
    const done = await control('POST', `/flutterwave/refunds/${made.body.data.id}/complete`, {
      outcome: 'succeeded',
    });
    expect(done.body).toEqual({
      provider: 'flutterwave',
      refund: String(made.body.data.id),
      status: 'completed',
    });
    expect((await api(`/v3/refunds/${made.body.data.id}`)).body.data.status).toBe('completed');
    const twice = await control('POST', `/flutterwave/refunds/${made.body.data.id}/complete`, {
      outcome: 'failed',
    });
    expect(twice.status).toBe(409);
    expect((await control('POST', '/flutterwave/refunds/1/complete', { outcome: 'failed' })).status).toBe(
      404,
    );
  });

  it('refundOutcome action: Flutterwave has no needs-action state, so it holds; failing it frees the amount', async () => {
    await control('POST', '/flutterwave/knobs', { refundOutcome: 'action' });
    const { id } = await paid(100);
    const made = await refund(id, { amount: 100, comments: newRefundId() });
    expect(made.body.data.status).toBe('pending');
    const failed = await control('POST', `/flutterwave/refunds/${made.body.data.id}/complete`, {
      outcome: 'failed',
    });
    expect(failed.body.status).toBe('failed');
    expect((await api(`/v3/refunds/${made.body.data.id}`)).body.data.status).toBe('failed');
    await control('POST', '/flutterwave/knobs', { refundOutcome: 'succeed' });
    expect((await refund(id, { amount: 100 })).status).toBe(200);
  });

  it('sends no refund webhook (v3 has none), whatever the knob', async () => {
    const { txRef, id } = await paid(100);
    await hooks().waitFor(carrying('tx_ref', txRef));
    await control('POST', '/flutterwave/knobs', { refundOutcome: 'hold' });
    const held = await refund(id, { amount: 50 });
    await control('POST', `/flutterwave/refunds/${held.body.data.id}/complete`, { outcome: 'succeeded' });
    await control('POST', '/flutterwave/knobs', { refundOutcome: 'succeed' });
    await refund(id, { amount: 50 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { body } = await control('GET', '/flutterwave/webhooks');
    expect(body.deliveries.map((d: { event: string }) => d.event)).toEqual(
      expect.not.arrayContaining([expect.stringMatching(/refund/i)]),
    );
    expect(body.deliveries.every((d: { event: string }) => d.event === 'charge.completed')).toBe(true);
  });

  describe('the adapter against the sandbox', () => {
    const ctx = (): ProviderContext => ({
      baseUrl: sandbox().baseUrls.flutterwave,
      credentials: { secretKey: refundKey, webhookSecret: secretHash },
      timeoutMs: 2_000,
    });

    async function settled(amount = 107.5) {
      const { txRef } = await paid(amount);
      const verified = await flutterwave.verify(ctx(), { reference: txRef, providerReference: txRef });
      return { txRef, verified };
    }

    it('verify gives the chargeId and fee; refund and lookup by both ids agree', async () => {
      const { txRef, verified } = await settled(107.5);
      expect(verified).toMatchObject({ status: 'succeeded', amount: 10750, currency: 'NGN', fee: 151 });
      expect(verified.chargeId).toMatch(/^\d+$/);
      const payment = { reference: txRef, providerReference: txRef, chargeId: verified.chargeId };
      const refundId = newRefundId();
      const result = await flutterwave.refund(ctx(), { refundId, payment, amount: 5025, currency: 'NGN' });
      expect(result).toEqual({
        status: 'succeeded',
        providerRefundId: expect.stringMatching(/^\d+$/),
        amount: 5025,
        providerStatus: 'completed',
      });
      const lookup: RefundLookup = {
        refundId,
        providerRefundId: undefined,
        payment,
        amount: 5025,
        currency: 'NGN',
      };
      expect(await flutterwave.lookupRefund(ctx(), lookup)).toEqual(result);
      expect(
        await flutterwave.lookupRefund(ctx(), { ...lookup, providerRefundId: result.providerRefundId }),
      ).toEqual(result);
      expect(await flutterwave.lookupRefund(ctx(), { ...lookup, refundId: newRefundId() })).toBeUndefined();
      expect(await flutterwave.lookupRefund(ctx(), { ...lookup, providerRefundId: '1' })).toBeUndefined();
      const over = await flutterwave
        .refund(ctx(), { refundId: newRefundId(), payment, amount: 5726, currency: 'NGN' })
        .catch((e: unknown) => e);
      expect(over).toMatchObject({ code: 'provider_rejected', retryable: false });
      expect((over as Error).message).toContain('cannot be greater than the refundable amount');
    });

    it('follows a held refund from pending to completed through lookupRefund', async () => {
      await control('POST', '/flutterwave/knobs', { refundOutcome: 'hold' });
      const { txRef, verified } = await settled(20);
      const payment = { reference: txRef, providerReference: txRef, chargeId: verified.chargeId };
      const refundId = newRefundId();
      const result = await flutterwave.refund(ctx(), { refundId, payment, amount: 2000, currency: 'NGN' });
      expect(result.status).toBe('pending');
      const lookup: RefundLookup = {
        refundId,
        providerRefundId: result.providerRefundId,
        payment,
        amount: 2000,
        currency: 'NGN',
      };
      expect((await flutterwave.lookupRefund(ctx(), lookup))?.status).toBe('pending');
      await control('POST', `/flutterwave/refunds/${result.providerRefundId}/complete`, {
        outcome: 'succeeded',
      });
      expect(await flutterwave.lookupRefund(ctx(), lookup)).toMatchObject({
        status: 'succeeded',
        amount: 2000,
      });
    });

    it('reads a refund the fail knob failed as failed', async () => {
      await control('POST', '/flutterwave/knobs', { refundOutcome: 'fail', refundDelayMs: 20 });
      const { txRef, verified } = await settled(20);
      const payment = { reference: txRef, providerReference: txRef, chargeId: verified.chargeId };
      const refundId = newRefundId();
      const result = await flutterwave.refund(ctx(), { refundId, payment, amount: 2000, currency: 'NGN' });
      expect(result.status).toBe('pending');
      const lookup: RefundLookup = {
        refundId,
        providerRefundId: undefined,
        payment,
        amount: 2000,
        currency: 'NGN',
      };
      const later = await until(
        () => flutterwave.lookupRefund(ctx(), lookup),
        (found) => found?.status !== 'pending',
      );
      expect(later).toMatchObject({ status: 'failed', providerStatus: 'failed' });
    });

    it('treats a 503 on the refund create as retryable, and the caller’s lookup then finds nothing', async () => {
      const { txRef, verified } = await settled(20);
      const payment = { reference: txRef, providerReference: txRef, chargeId: verified.chargeId };
      await control('POST', '/flutterwave/knobs', { failNext: 1 });
      const refundId = newRefundId();
      const error = await flutterwave
        .refund(ctx(), { refundId, payment, amount: 2000, currency: 'NGN' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
      expect(
        await flutterwave.lookupRefund(ctx(), {
          refundId,
          providerRefundId: undefined,
          payment,
          amount: 2000,
          currency: 'NGN',
        }),
      ).toBeUndefined();
    });
  });
});
