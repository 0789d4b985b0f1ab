import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  balanceDelta,
  capturePostings,
  checkLedger,
  type PaymentFacts,
  type Posting,
  posting,
  postingId,
} from '#core/ledger';
import { canMoveRefund, refundedStatus } from '#core/refunds';

const at = '2026-12-07T10:00:00.000Z';
const payment = {
  id: 'pay_01JXAMPLE0000000000000000P',
  merchantId: 'mer_1',
  mode: 'test' as const,
  provider: 'paystack' as const,
  currency: 'NGN',
};
const refundSource = (id: string) => ({
  merchantId: 'mer_1',
  mode: 'test' as const,
  provider: 'paystack' as const,
  currency: 'NGN',
  paymentId: payment.id,
  source: { type: 'refund' as const, id },
});

describe('ledger postings', () => {
  it('balance every posting and give each cause one deterministic id', () => {
    const [charge, fee] = capturePostings(payment, 10_000, 150, at);
    expect(charge?.lines.reduce((s, l) => s + l.amount, 0)).toBe(0);
    expect(fee?.lines).toEqual([
      { account: 'fees', amount: 150 },
      { account: 'provider_balance', amount: -150 },
    ]);
    expect(charge?.id).toBe(postingId(payment.id, 'charge'));
    expect(capturePostings(payment, 10_000, 150, '2027-01-01T00:00:00.000Z')[0]?.id).toBe(charge?.id);
    expect(capturePostings(payment, 10_000, null, at)).toHaveLength(1);
  });

  it('refuse a zero, negative or fractional amount', () => {
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => posting(refundSource('re_1'), 'refund', bad, at)).toThrow();
  });

  it('move `available` only by captures, fees and succeeded refunds, and `pendingRefunds` by holds', () => {
    const hold = posting(refundSource('re_1'), 'refund_hold', 3000, at);
    expect(balanceDelta([hold])).toEqual({ available: 0, pendingRefunds: 3000 });
    expect(balanceDelta([posting(refundSource('re_1'), 'refund', 3000, at)])).toEqual({
      available: -3000,
      pendingRefunds: -3000,
    });
    expect(balanceDelta([posting(refundSource('re_1'), 'refund_void', 3000, at)])).toEqual({
      available: 0,
      pendingRefunds: -3000,
    });
  });

  it('hold for any sequence of refunds: sums to zero, and agree with captured − succeeded refunds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(
          fc.record({
            share: fc.integer({ min: 1, max: 100 }),
            end: fc.constantFrom('succeeded', 'failed', 'open'),
          }),
          {
            maxLength: 10,
          },
        ),
        (captured, fee, refunds) => {
          const postings: Posting[] = capturePostings(payment, captured, Math.min(fee, captured), at);
          let left = captured;
          let succeeded = 0;
          let open = 0;
          refunds.forEach((r, i) => {
            const amount = Math.max(1, Math.floor((captured * r.share) / 1000));
            if (amount > left) return; // the conditional reserve refuses it
            left -= amount;
            const id = `re_${i}`;
            postings.push(posting(refundSource(id), 'refund_hold', amount, at));
            if (r.end === 'succeeded') {
              postings.push(posting(refundSource(id), 'refund', amount, at));
              succeeded += amount;
            } else if (r.end === 'failed') {
              postings.push(posting(refundSource(id), 'refund_void', amount, at));
              left += amount;
            } else {
              open += amount;
            }
          });
          const facts: PaymentFacts = {
            id: payment.id,
            provider: 'paystack',
            currency: 'NGN',
            captured,
            fee: Math.min(fee, captured),
            succeededRefunds: succeeded,
            openRefunds: open,
          };
          const delta = balanceDelta(postings);
          expect(delta).toEqual({
            available: captured - succeeded - Math.min(fee, captured),
            pendingRefunds: open,
          });
          expect(
            checkLedger(postings, [facts], [{ provider: 'paystack', currency: 'NGN', ...delta }]),
          ).toEqual([]);
        },
      ),
    );
  });

  it('name what disagrees: an unbalanced posting, a payment, a running balance', () => {
    const [charge] = capturePostings(payment, 10_000, null, at);
    const broken: Posting = {
      ...(charge as Posting),
      lines: [{ account: 'provider_balance', amount: 10_000 }],
    };
    const kinds = checkLedger(
      [broken],
      [
        {
          id: payment.id,
          provider: 'paystack',
          currency: 'NGN',
          captured: 9_000,
          fee: 0,
          succeededRefunds: 0,
          openRefunds: 0,
        },
      ],
      [{ provider: 'paystack', currency: 'NGN', available: 1, pendingRefunds: 0 }],
    ).map((p) => p.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'unbalanced_posting',
        'accounts_do_not_sum_to_zero',
        'payment_disagrees',
        'balance_disagrees',
      ]),
    );
  });
});

describe('refund states', () => {
  it('move forward only: final states never move', () => {
    expect(canMoveRefund('pending', 'succeeded')).toBe(true);
    expect(canMoveRefund('requires_action', 'pending')).toBe(true);
    expect(canMoveRefund('succeeded', 'failed')).toBe(false);
    expect(canMoveRefund('failed', 'succeeded')).toBe(false);
    expect(canMoveRefund('pending', 'pending')).toBe(false);
  });

  it('make the payment refunded only when succeeded refunds reach what was captured', () => {
    expect(refundedStatus(1000, 999)).toBe('partially_refunded');
    expect(refundedStatus(1000, 1000)).toBe('refunded');
  });
});
