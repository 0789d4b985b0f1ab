import { describe, expect, it } from 'vitest';
import { Conflict, ProviderFailed, Unprocessable } from '#core/errors';
import type { Payment } from '#core/payments';
import {
  createRefund,
  type CreateRefundInput,
  type Refund,
  syncOpenRefunds,
  syncRefund,
} from '#core/refunds';
import { apiCaller, memoryWorld, meta } from '#test/memory/world';

type World = ReturnType<typeof memoryWorld>;

const refund = async (
  world: World,
  payment: Payment,
  input: CreateRefundInput = {},
  key = `rk-${Math.random()}`,
) => {
  const out = await createRefund(world.refundDeps, apiCaller(), payment.id, input, key, meta);
  return { ...out, refund: out.body as Refund };
};
const paymentNow = async (world: World, payment: Payment) =>
  (await world.payments.getPayment('mer_A', 'test', payment.id)) as Payment;
const refundNow = async (world: World, id: string) =>
  (await world.refunds.getRefund('mer_A', 'test', id)) as Refund;
const ledgerProblems = async (world: World) =>
  world.ledger.check(
    'mer_A',
    'test',
    await world.payments.list('mer_A', 'test'),
    await world.refunds.list('mer_A', 'test'),
  );

describe('createRefund: never above what was captured', () => {
  it('reserves everything still refundable when no amount is given, with its event and ledger hold', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    const out = await refund(world, payment);
    expect(out.status).toBe(201);
    expect(out.refund).toMatchObject({
      paymentId: payment.id,
      amount: 500_000,
      currency: 'NGN',
      status: 'pending',
    });
    expect(await paymentNow(world, payment)).toMatchObject({
      refundableAmount: 0,
      refundCount: 1,
      status: 'succeeded',
    });
    expect(world.payments.events.map((e) => e.type)).toEqual(['payment.succeeded', 'refund.created']);
    expect(await world.ledger.balances('mer_A', 'test')).toEqual([
      { provider: 'paystack', currency: 'NGN', available: 500_000, pendingRefunds: 500_000 },
    ]);
    expect(world.refundGateway.submitted).toEqual([out.refund.id]);
    expect(await ledgerProblems(world)).toEqual([]);
  });

  it('refuses more than is left (422), saying what is left in words and minor units', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    await refund(world, payment, { amount: 200_000 });
    const over = refund(world, payment, { amount: 300_001 });
    await expect(over).rejects.toBeInstanceOf(Unprocessable);
    await expect(over).rejects.toMatchObject({ code: 'amount_exceeds_refundable', param: 'amount' });
    await expect(over).rejects.toThrow(/\(300000 in minor units\)/);
    expect((await refund(world, payment, { amount: 300_000 })).refund.amount).toBe(300_000);
    await expect(refund(world, payment)).rejects.toMatchObject({ code: 'nothing_to_refund' });
  });

  it('creates exactly three of ten concurrent refunds of a third each', async () => {
    const world = memoryWorld();
    const payment = await world.paid({ amount: 300_000 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => refund(world, payment, { amount: 100_000 }, `concurrent-${i}`)),
    );
    const created = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(created).toHaveLength(3);
    expect(refused.map((r) => (r.reason as Unprocessable).code)).toEqual(
      Array(7).fill('amount_exceeds_refundable'),
    );
    expect(await paymentNow(world, payment)).toMatchObject({ refundableAmount: 0, refundCount: 3 });
    expect(await world.refunds.refundsOfPayment('mer_A', 'test', payment.id)).toHaveLength(3);
    expect(await ledgerProblems(world)).toEqual([]);
  });

  it('refunds only succeeded or partially refunded payments', async () => {
    const world = memoryWorld();
    const pending = await world.create();
    await expect(refund(world, pending)).rejects.toMatchObject({
      code: 'payment_not_refundable',
      status: 422,
    });
    const declined = await world.create();
    world.gateway.decline(declined, 'Declined');
    await world.paymentDeps.transition(declined, {
      status: 'failed',
      failureReason: 'Declined',
      settledBy: 'verify',
      lateSettlement: false,
      amountMismatch: null,
      checkedAt: world.clock.iso(),
      nextCheckAt: null,
    });
    await expect(refund(world, declined)).rejects.toMatchObject({ code: 'payment_not_refundable' });
    expect(world.refundGateway.submitted).toEqual([]);
  });

  it('holds to the merchant’s policy: at most N refunds per payment, within the window', async () => {
    const world = memoryWorld();
    world.refunds.setRefundPolicy('mer_A', 'test', { windowDays: 30, maxRefundsPerPayment: 2 });
    const payment = await world.paid();
    await refund(world, payment, { amount: 1_000 });
    await refund(world, payment, { amount: 1_000 });
    await expect(refund(world, payment, { amount: 1_000 })).rejects.toMatchObject({
      code: 'too_many_refunds',
    });
    const old = await world.paid();
    world.clock.advance(31 * 86_400_000);
    await expect(refund(world, old, { amount: 1_000 })).rejects.toMatchObject({
      code: 'refund_window_passed',
    });
  });

  it('counts a failed refund no more: its amount and its place under the policy come back', async () => {
    const world = memoryWorld();
    world.refunds.setRefundPolicy('mer_A', 'test', { windowDays: 365, maxRefundsPerPayment: 1 });
    const payment = await world.paid();
    const first = (await refund(world, payment)).refund;
    world.refundGateway.settle(first.id, 'failed', { failureReason: 'Account closed' });
    expect(await syncRefund(world.refundDeps, 'mer_A', 'test', first.id)).toBe('moved');
    expect(await refundNow(world, first.id)).toMatchObject({
      status: 'failed',
      failureReason: 'Account closed',
    });
    expect(await paymentNow(world, payment)).toMatchObject({ refundableAmount: 500_000, refundCount: 0 });
    expect((await refund(world, payment)).refund.amount).toBe(500_000);
    expect(await ledgerProblems(world)).toEqual([]);
  });
});

describe('createRefund: idempotent', () => {
  it('answers a replay with the refund as it is now, and a reused key with another body with 409', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    const first = await refund(world, payment, { amount: 1_000 }, 'r-1');
    world.refundGateway.settle(first.refund.id, 'succeeded');
    await syncRefund(world.refundDeps, 'mer_A', 'test', first.refund.id);
    const replay = await refund(world, payment, { amount: 1_000 }, 'r-1');
    expect(replay).toMatchObject({ replayed: true, refund: { id: first.refund.id, status: 'succeeded' } });
    await expect(refund(world, payment, { amount: 2_000 }, 'r-1')).rejects.toBeInstanceOf(Conflict);
    expect(world.refundGateway.submitted).toEqual([first.refund.id]);
  });

  it('scopes the key to the payment: the same key on another payment is another refund', async () => {
    const world = memoryWorld();
    const a = await world.paid();
    const b = await world.paid();
    const ra = await refund(world, a, { amount: 1_000 }, 'same');
    const rb = await refund(world, b, { amount: 1_000 }, 'same');
    expect(ra.refund.id).not.toBe(rb.refund.id);
    expect(rb.replayed).toBeUndefined();
  });
});

describe('refund statuses', () => {
  it('moves the payment to partially_refunded, then refunded, only as refunds succeed', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    const part = (await refund(world, payment, { amount: 200_000 })).refund;
    expect((await paymentNow(world, payment)).status).toBe('succeeded');
    world.refundGateway.settle(part.id, 'succeeded');
    expect(await syncOpenRefunds(world.refundDeps, payment)).toBe(1);
    expect(await paymentNow(world, payment)).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 200_000,
    });
    const rest = (await refund(world, payment)).refund;
    world.refundGateway.settle(rest.id, 'succeeded');
    await syncRefund(world.refundDeps, 'mer_A', 'test', rest.id);
    expect(await paymentNow(world, payment)).toMatchObject({ status: 'refunded', amountRefunded: 500_000 });
    expect(world.payments.events.filter((e) => e.type === 'refund.succeeded')).toHaveLength(2);
    expect(await world.ledger.balances('mer_A', 'test')).toEqual([
      { provider: 'paystack', currency: 'NGN', available: 0, pendingRefunds: 0 },
    ]);
    expect(await ledgerProblems(world)).toEqual([]);
  });

  it('fails a refund the provider refuses outright, giving its amount back at once', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    world.refundGateway.failNextRefund(new ProviderFailed('provider_rejected', 'Refund not allowed.', false));
    const out = await refund(world, payment, { amount: 1_000 });
    expect(out.refund).toMatchObject({ status: 'failed', failureReason: 'Refund not allowed.' });
    expect((await paymentNow(world, payment)).refundableAmount).toBe(500_000);
    expect(world.payments.events.map((e) => e.type)).toContain('refund.failed');
  });

  it('says what the provider needs when it requires action, and settles later', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    const r = (await refund(world, payment, { amount: 1_000 })).refund;
    world.refundGateway.settle(r.id, 'requires_action', { nextAction: 'Add the customer’s bank details.' });
    await syncRefund(world.refundDeps, 'mer_A', 'test', r.id);
    expect(await refundNow(world, r.id)).toMatchObject({
      status: 'requires_action',
      nextAction: 'Add the customer’s bank details.',
    });
    world.refundGateway.settle(r.id, 'succeeded');
    await syncRefund(world.refundDeps, 'mer_A', 'test', r.id);
    expect(await refundNow(world, r.id)).toMatchObject({ status: 'succeeded', nextAction: null });
    expect(await syncRefund(world.refundDeps, 'mer_A', 'test', r.id)).toBe('final');
  });

  it('keeps a refund whose answer was lost pending, and finds it by our id instead of sending it again', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    world.refundGateway.failNextRefund(
      new ProviderFailed('provider_timeout', 'Paystack timed out.', true),
      true,
    );
    const r = (await refund(world, payment, { amount: 1_000 })).refund;
    expect(r).toMatchObject({ status: 'pending', providerRefundId: null });
    // Within the create's lease nobody else may talk to the provider about it.
    expect(await syncRefund(world.refundDeps, 'mer_A', 'test', r.id)).toBe('leased');
    world.clock.advance(30_001);
    expect(await syncRefund(world.refundDeps, 'mer_A', 'test', r.id)).toBe('checked');
    expect(await refundNow(world, r.id)).toMatchObject({ providerRefundId: `prf_${r.id}`, submitted: true });
    expect(world.refundGateway.submitted).toEqual([r.id]);
  });

  it('submits a refund the provider never received again, once, however many syncs race for it', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    world.refundGateway.failNextRefund(new ProviderFailed('provider_unreachable', 'Connection reset.', true));
    const r = (await refund(world, payment, { amount: 1_000 })).refund;
    expect(world.refundGateway.has(r.id)).toBe(false);
    world.clock.advance(30_001);
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => syncRefund(world.refundDeps, 'mer_A', 'test', r.id)),
    );
    expect(world.refundGateway.submitted).toEqual([r.id, r.id]);
    expect(outcomes.filter((o) => o === 'leased').length).toBeGreaterThanOrEqual(1);
    expect(await refundNow(world, r.id)).toMatchObject({
      status: 'pending',
      providerRefundId: `prf_${r.id}`,
    });
  });

  it('finds no refund of another merchant', async () => {
    const world = memoryWorld();
    const payment = await world.paid();
    const r = (await refund(world, payment, { amount: 1_000 })).refund;
    expect(await syncRefund(world.refundDeps, 'mer_B', 'test', r.id)).toBe('missing');
    await expect(
      createRefund(world.refundDeps, apiCaller('mer_B', 'test'), payment.id, {}, 'x', meta),
    ).rejects.toMatchObject({ status: 404 });
  });
});
