import { describe, expect, it } from 'vitest';
import { canSettleLate, canTransition, reconcile } from '#core/payments';
import { nextCheckAt } from '#core/reconciliation';

const settings = { schedule: [60, 300, 900, 3600, 21600], lateWindowSeconds: 86_400 };
const created = '2026-11-23T09:00:00.000Z';
const expires = '2026-11-24T09:00:00.000Z';
const at = (iso: string) => new Date(iso);

describe('the sweeper’s schedule', () => {
  it('checks an open payment first 60 s after creation, then backs off 5 min, 15 min, 1 h and every 6 h', () => {
    const p = { status: 'pending' as const, createdAt: created, expiresAt: expires, checkCount: 0 };
    expect(nextCheckAt(p, at(created), settings)).toBe('2026-11-23T09:01:00.000Z');
    const now = at('2026-11-23T09:01:00.000Z');
    expect(nextCheckAt({ ...p, checkCount: 1 }, now, settings)).toBe('2026-11-23T09:06:00.000Z');
    expect(nextCheckAt({ ...p, checkCount: 3 }, now, settings)).toBe('2026-11-23T10:01:00.000Z');
    expect(nextCheckAt({ ...p, checkCount: 4 }, now, settings)).toBe('2026-11-23T15:01:00.000Z');
    expect(nextCheckAt({ ...p, checkCount: 9 }, now, settings)).toBe('2026-11-23T15:01:00.000Z');
  });

  it('never schedules an open payment’s check after its expiry', () => {
    const p = {
      status: 'pending' as const,
      createdAt: created,
      expiresAt: '2026-11-23T09:00:30.000Z',
      checkCount: 0,
    };
    expect(nextCheckAt(p, at(created), settings)).toBe('2026-11-23T09:00:30.000Z');
  });

  it('watches an expired payment for late money until the late window closes, then never again', () => {
    const p = { status: 'expired' as const, createdAt: created, expiresAt: expires, checkCount: 4 };
    expect(nextCheckAt(p, at(expires), settings)).toBe('2026-11-24T15:00:00.000Z');
    expect(nextCheckAt(p, at('2026-11-25T08:00:00.000Z'), settings)).toBe('2026-11-25T09:00:00.000Z');
    expect(nextCheckAt(p, at('2026-11-25T09:00:00.000Z'), settings)).toBeNull();
  });

  it('has nothing to check on a settled payment', () => {
    for (const status of ['succeeded', 'failed', 'requires_review', 'cancelled'] as const) {
      expect(
        nextCheckAt({ status, createdAt: created, expiresAt: expires, checkCount: 1 }, at(created), settings),
      ).toBeNull();
    }
  });
});

describe('reconcile', () => {
  const payment = { amount: 500000, currency: 'NGN' };
  const paid = (amount: number | undefined, currency: string | undefined) =>
    ({ status: 'succeeded', amount, currency, providerStatus: 'success' }) as const;

  it('settles exact money only', () => {
    expect(reconcile(payment, paid(500000, 'NGN'))).toEqual({
      status: 'succeeded',
      failureReason: null,
      amountMismatch: null,
    });
  });

  it('sends a lower, a higher, another-currency or an unreported amount to review with both amounts', () => {
    for (const [amount, currency] of [
      [400000, 'NGN'],
      [600000, 'NGN'],
      [500000, 'USD'],
      [undefined, undefined],
    ] as const) {
      expect(reconcile(payment, paid(amount, currency))).toEqual({
        status: 'requires_review',
        failureReason: 'amount_mismatch',
        amountMismatch: {
          expected: { amount: 500000, currency: 'NGN' },
          reported: { amount: amount ?? null, currency: currency ?? null },
        },
      });
    }
  });

  it('accepts an overpayment in the right currency only when the merchant opted in, and still reports it', () => {
    const optedIn = { ...payment, acceptOverpayment: true };
    expect(reconcile(optedIn, paid(600000, 'NGN'))).toMatchObject({
      status: 'succeeded',
      amountMismatch: { reported: { amount: 600000 } },
    });
    expect(reconcile(optedIn, paid(400000, 'NGN')).status).toBe('requires_review');
    expect(reconcile(optedIn, paid(600000, 'USD')).status).toBe('requires_review');
  });

  it('carries the provider’s decline reason, or its status word', () => {
    expect(
      reconcile(payment, {
        status: 'failed',
        amount: undefined,
        currency: undefined,
        providerStatus: 'failed',
        failureReason: 'Declined',
      }),
    ).toMatchObject({ status: 'failed', failureReason: 'Declined' });
    expect(
      reconcile(payment, {
        status: 'failed',
        amount: undefined,
        currency: undefined,
        providerStatus: 'reversed',
      }),
    ).toMatchObject({ status: 'failed', failureReason: 'reversed' });
  });
});

describe('states', () => {
  it('moves forward only, with late settlement of an expired payment as the one exception', () => {
    expect(canTransition('pending', 'requires_review')).toBe(true);
    expect(canTransition('expired', 'succeeded')).toBe(false);
    expect(canTransition('requires_review', 'succeeded')).toBe(false);
    expect(canSettleLate({ status: 'expired' })).toBe(true);
    expect(canSettleLate({ status: 'failed' })).toBe(false);
    expect(canSettleLate({ status: 'cancelled' })).toBe(false);
  });
});
