import { describe, expect, it } from 'vitest';
import { NotFound, ProviderFailed } from '#core/errors';
import { type Payment, settlePayment, verifyPayment } from '#core/payments';
import { apiCaller, memoryWorld } from '#test/memory/world';

const settle = (
  world: ReturnType<typeof memoryWorld>,
  payment: Payment,
  request: Parameters<typeof settlePayment>[4],
) => settlePayment(world.paymentDeps, payment.merchantId, payment.mode, payment.id, request);

const stored = async (world: ReturnType<typeof memoryWorld>, payment: Payment) =>
  (await world.payments.getPayment(payment.merchantId, payment.mode, payment.id)) as Payment;

describe('settlePayment: the provider’s verdict decides', () => {
  it('leaves a payment the provider still calls pending unchanged, with no event', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    const out = await settle(world, payment, { via: 'verify' });
    expect(out).toMatchObject({ outcome: 'unchanged', reason: 'no_change' });
    expect((await stored(world, payment)).version).toBe(1);
    expect(world.payments.events).toEqual([]);
  });

  it('settles a paid payment once: status, provenance, capture, one event and the ledger’s charge and fee', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    world.gateway.pay(payment, { fee: 7_500, chargeId: 'ch_1' });
    const out = await settle(world, payment, { via: 'webhook' });
    expect(out).toMatchObject({ outcome: 'moved', change: { status: 'succeeded', settledBy: 'webhook' } });
    expect(await stored(world, payment)).toMatchObject({
      status: 'succeeded',
      settledBy: 'webhook',
      version: 2,
      capturedAmount: 500_000,
      refundableAmount: 500_000,
      chargeId: 'ch_1',
      fee: 7_500,
      lateSettlement: false,
    });
    expect(world.payments.events.map((e) => e.type)).toEqual(['payment.succeeded']);
    const postings = await world.ledger.allPostings('mer_A', 'test');
    expect(postings.map((p) => [p.kind, p.amount])).toEqual([
      ['charge', 500_000],
      ['fee', 7_500],
    ]);
    expect(await world.ledger.balances('mer_A', 'test')).toEqual([
      { provider: 'paystack', currency: 'NGN', available: 492_500, pendingRefunds: 0 },
    ]);
    expect(await world.ledger.check('mer_A', 'test', await world.payments.list('mer_A', 'test'), [])).toEqual(
      [],
    );
  });

  it('puts a lower amount, another currency or an overpayment not opted into to review, never succeeded', async () => {
    for (const [paid, reported] of [
      [{ amount: 499_999 }, { amount: 499_999, currency: 'NGN' }],
      [{ currency: 'GHS' }, { amount: 500_000, currency: 'GHS' }],
      [{ amount: 600_000 }, { amount: 600_000, currency: 'NGN' }],
    ] as const) {
      const world = memoryWorld();
      const payment = await world.create();
      world.gateway.pay(payment, paid);
      await settle(world, payment, { via: 'reconciliation' });
      expect(await stored(world, payment)).toMatchObject({
        status: 'requires_review',
        failureReason: 'amount_mismatch',
        amountMismatch: { expected: { amount: 500_000, currency: 'NGN' }, reported },
      });
      expect(world.payments.events.map((e) => e.type)).toEqual(['payment.amount_mismatch']);
      // Nothing was captured: the ledger holds nothing, refunds have nothing to take from.
      expect(await world.ledger.allPostings('mer_A', 'test')).toEqual([]);
      expect((await stored(world, payment)).capturedAmount).toBeUndefined();
    }
  });

  it('accepts an overpayment in the right currency when the merchant opted in, capturing what was paid', async () => {
    const world = memoryWorld();
    const payment = await world.create({ acceptOverpayment: true });
    world.gateway.pay(payment, { amount: 600_000 });
    await settle(world, payment, { via: 'webhook' });
    expect(await stored(world, payment)).toMatchObject({
      status: 'succeeded',
      capturedAmount: 600_000,
      refundableAmount: 600_000,
      amountMismatch: { reported: { amount: 600_000, currency: 'NGN' } },
    });
  });

  it('fails a declined payment with the provider’s reason', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    world.gateway.decline(payment, 'Insufficient Funds');
    await settle(world, payment, { via: 'reconciliation' });
    expect(await stored(world, payment)).toMatchObject({
      status: 'failed',
      failureReason: 'Insufficient Funds',
    });
    expect(world.payments.events.map((e) => e.type)).toEqual(['payment.failed']);
  });

  it('never moves a settled payment back or sideways, and does not ask the provider again', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    world.gateway.decline(payment, 'Declined');
    await settle(world, payment, { via: 'webhook' });
    world.gateway.pay(payment);
    const out = await settle(world, payment, { via: 'verify' });
    expect(out).toMatchObject({ outcome: 'unchanged', reason: 'already_failed', verdict: undefined });
    expect(world.gateway.callsOf('verify')).toHaveLength(1);
    expect((await stored(world, payment)).status).toBe('failed');
  });

  it('passes a provider outage to the caller and changes nothing', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    world.gateway.setVerdict(payment, new ProviderFailed('provider_timeout', 'Paystack timed out.', true));
    await expect(settle(world, payment, { via: 'verify' })).rejects.toMatchObject({
      code: 'provider_timeout',
    });
    expect((await stored(world, payment)).version).toBe(1);
  });
});

describe('settlePayment: races between webhook, verify and the sweeper', () => {
  it('records one move and one event however many callers settle at once', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    world.gateway.pay(payment);
    const outcomes = await Promise.all(
      (['webhook', 'verify', 'reconciliation', 'verify'] as const).map((via) =>
        settle(world, payment, { via }),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === 'moved')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome !== 'moved').every((o) => o.outcome === 'unchanged')).toBe(true);
    expect(world.payments.events.map((e) => e.type)).toEqual(['payment.succeeded']);
    expect((await stored(world, payment)).version).toBe(2);
    expect((await world.ledger.allPostings('mer_A', 'test')).filter((p) => p.kind === 'charge')).toHaveLength(
      1,
    );
  });

  it('reports the same provider webhook delivered twice at once as a duplicate, not a second move', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    world.gateway.pay(payment);
    const providerEvent = { provider: 'paystack', eventId: 'evt_ps_1', type: 'charge.success' };
    const outcomes = await Promise.all([
      settle(world, payment, { via: 'webhook', providerEvent }),
      settle(world, payment, { via: 'webhook', providerEvent }),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'moved']);
    expect(world.payments.processed('mer_A', 'test', 'paystack', 'evt_ps_1')).toBe(true);
    expect(world.payments.events).toHaveLength(1);
  });

  it('re-reads after losing a race and decides again from the payment as it now is', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    world.gateway.pay(payment);
    let raced = false;
    const deps = {
      ...world.paymentDeps,
      // Between this caller's verdict and its write, a webhook settles the payment.
      transition: async (...args: Parameters<typeof world.payments.transition>) => {
        if (!raced) {
          raced = true;
          await settle(world, payment, { via: 'webhook' });
        }
        return world.payments.transition(...args);
      },
    };
    const out = await settlePayment(deps, 'mer_A', 'test', payment.id, { via: 'reconciliation' });
    expect(out).toMatchObject({ outcome: 'unchanged', reason: 'already_succeeded' });
    expect((await stored(world, payment)).settledBy).toBe('webhook');
    expect(world.payments.events).toHaveLength(1);
  });
});

describe('settlePayment: expiry and late money', () => {
  it('expires an unpaid payment only once past expiresAt, ending the provider’s checkout first', async () => {
    const world = memoryWorld();
    const payment = await world.create({ expiresInSeconds: 3600 });
    world.clock.advance(3599_000);
    expect(await settle(world, payment, { via: 'reconciliation', expireIfDue: true })).toMatchObject({
      outcome: 'unchanged',
    });
    world.clock.advance(1_000);
    await settle(world, payment, { via: 'reconciliation', expireIfDue: true });
    expect((await stored(world, payment)).status).toBe('expired');
    expect(world.gateway.callsOf('expire').map((c) => c.paymentId)).toEqual([payment.id]);
    expect(world.payments.events.map((e) => e.type)).toEqual(['payment.expired']);
  });

  it('does not expire a payment past its expiry when asked by anyone but the sweeper', async () => {
    const world = memoryWorld();
    const payment = await world.create({ expiresInSeconds: 3600 });
    world.clock.advance(7200_000);
    await settle(world, payment, { via: 'verify' });
    expect((await stored(world, payment)).status).toBe('pending');
  });

  it('settles a payment that turns out paid at expiry, instead of expiring it', async () => {
    const world = memoryWorld();
    const payment = await world.create({ expiresInSeconds: 3600 });
    world.clock.advance(3600_000);
    world.gateway.pay(payment);
    await settle(world, payment, { via: 'reconciliation', expireIfDue: true });
    expect((await stored(world, payment)).status).toBe('succeeded');
    expect(world.gateway.callsOf('expire')).toEqual([]);
  });

  it('settles money that arrived after expiry late, with an audit entry that says why', async () => {
    const world = memoryWorld();
    const payment = await world.create({ expiresInSeconds: 3600 });
    world.clock.advance(3600_000);
    await settle(world, payment, { via: 'reconciliation', expireIfDue: true });
    world.gateway.pay(payment);
    const out = await settle(world, payment, { via: 'webhook' });
    expect(out).toMatchObject({ outcome: 'moved', change: { status: 'succeeded', lateSettlement: true } });
    expect(await stored(world, payment)).toMatchObject({
      status: 'succeeded',
      lateSettlement: true,
      capturedAmount: 500_000,
    });
    expect(world.payments.events.map((e) => e.type)).toEqual(['payment.expired', 'payment.succeeded']);
    expect(world.payments.audits).toContainEqual(
      expect.objectContaining({
        action: 'payment.succeeded',
        actor: { type: 'system', id: 'webhook' },
        reason: expect.stringMatching(/after PayBridge had marked it expired/),
      }),
    );
  });

  it('puts late money of the wrong amount to review, and leaves an expired payment the provider calls unpaid alone', async () => {
    const world = memoryWorld();
    const payment = await world.create({ expiresInSeconds: 3600 });
    world.clock.advance(3600_000);
    await settle(world, payment, { via: 'reconciliation', expireIfDue: true });
    expect(await settle(world, payment, { via: 'reconciliation' })).toMatchObject({
      outcome: 'unchanged',
      reason: 'would_move_expired_to_pending',
    });
    world.gateway.pay(payment, { amount: 100 });
    await settle(world, payment, { via: 'verify' });
    expect(await stored(world, payment)).toMatchObject({ status: 'requires_review', lateSettlement: true });
  });
});

describe('verifyPayment', () => {
  it('answers the payment as it now is after settling it', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    world.gateway.pay(payment);
    const after = await verifyPayment(world.paymentDeps, apiCaller(), payment.id);
    expect(after).toMatchObject({ id: payment.id, status: 'succeeded', settledBy: 'verify' });
  });

  it('finds no payment of another merchant or the other mode (404), and asks no provider about it', async () => {
    const world = memoryWorld();
    const payment = await world.create();
    for (const caller of [apiCaller('mer_B', 'test'), apiCaller('mer_A', 'live')]) {
      await expect(verifyPayment(world.paymentDeps, caller, payment.id)).rejects.toBeInstanceOf(NotFound);
    }
    expect(world.gateway.callsOf('verify')).toEqual([]);
  });
});
