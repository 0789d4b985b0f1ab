import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Unprocessable } from '#core/errors';
import {
  canSettleLate,
  canTransition,
  isOpen,
  type PaymentStatus,
  paymentStatuses,
  byPreference,
  preference,
  preferenceFor,
  type RoutableProvider,
  routeFor,
} from '#core/payments';
import { providerNames } from '#core/provider-adapter';

const finals: readonly PaymentStatus[] = ['failed', 'cancelled', 'expired', 'requires_review', 'refunded'];

/** Every status reachable from `from` by one or more forward moves. */
function reachable(from: PaymentStatus): Set<PaymentStatus> {
  const seen = new Set<PaymentStatus>();
  const todo = [from];
  while (todo.length > 0) {
    const at = todo.pop() as PaymentStatus;
    for (const to of paymentStatuses) {
      if (canTransition(at, to) && !seen.has(to)) {
        seen.add(to);
        todo.push(to);
      }
    }
  }
  return seen;
}

describe('the payment state machine', () => {
  it('moves forward only: no status can ever come back to itself', () => {
    for (const status of paymentStatuses) expect(reachable(status).has(status)).toBe(false);
  });

  it('takes an open payment to every outcome, and nothing out of a final one', () => {
    expect([...reachable('pending')].sort()).toEqual(paymentStatuses.filter((s) => s !== 'pending').sort());
    for (const status of finals) expect(reachable(status).size).toBe(0);
  });

  it('never moves a settled payment back to open, and refunds only follow success', () => {
    for (const from of paymentStatuses) {
      if (!isOpen(from)) {
        expect(canTransition(from, 'pending')).toBe(false);
        expect(canTransition(from, 'processing')).toBe(false);
      }
      const toRefund = canTransition(from, 'partially_refunded') || canTransition(from, 'refunded');
      expect(toRefund).toBe(from === 'succeeded' || from === 'partially_refunded');
    }
    expect(canTransition('processing', 'pending')).toBe(false);
    expect(canTransition('partially_refunded', 'succeeded')).toBe(false);
  });

  it('lets nothing move a payment out of requires_review automatically', () => {
    for (const to of paymentStatuses) expect(canTransition('requires_review', to)).toBe(false);
  });

  it('settles late only what expired (our own timeout), never what failed or was cancelled', () => {
    for (const status of paymentStatuses) expect(canSettleLate({ status })).toBe(status === 'expired');
  });

  it('calls pending and processing open, everything else settled', () => {
    expect(paymentStatuses.filter(isOpen)).toEqual(['pending', 'processing']);
  });
});

const everywhere: RoutableProvider[] = [
  { provider: 'stripe', currencies: ['USD', 'NGN', 'ETB', 'EUR'] },
  { provider: 'chapa', currencies: ['ETB', 'USD'] },
  { provider: 'flutterwave', currencies: ['NGN', 'USD', 'ETB'] },
  { provider: 'paystack', currencies: ['NGN', 'USD'] },
];

describe('routeFor', () => {
  it('prefers the local processors for their currencies, Stripe for the rest', () => {
    expect(routeFor({ currency: 'NGN' }, everywhere)).toEqual(['paystack', 'flutterwave', 'stripe']);
    expect(routeFor({ currency: 'EUR' }, everywhere)).toEqual(['stripe']);
  });

  it('puts Chapa first for ETB, where it is the local rail', () => {
    expect(routeFor({ currency: 'ETB' }, everywhere)).toEqual(['chapa', 'stripe', 'flutterwave']);
  });

  it('uses only the named provider, refusing one not enabled or not taking the currency (422)', () => {
    expect(routeFor({ currency: 'USD', provider: 'chapa' }, everywhere)).toEqual(['chapa']);
    expect(() => routeFor({ currency: 'NGN', provider: 'chapa' }, everywhere)).toThrow(
      expect.objectContaining({ code: 'currency_not_supported', param: 'currency' }),
    );
    expect(() => routeFor({ currency: 'NGN', provider: 'paystack' }, everywhere.slice(0, 2))).toThrow(
      expect.objectContaining({ code: 'provider_not_configured', param: 'provider' }),
    );
  });

  it('refuses a currency nobody enabled takes, naming the way to configure one', () => {
    expect(() => routeFor({ currency: 'GHS' }, everywhere)).toThrow(Unprocessable);
    expect(() => routeFor({ currency: 'GHS' }, [])).toThrow(/PUT \/v1\/providers/);
  });

  it('for any merchant setup: exactly the providers taking the currency, in the preference order', () => {
    const setup = fc.uniqueArray(
      fc.record({
        provider: fc.constantFrom(...providerNames),
        currencies: fc.subarray(['NGN', 'USD', 'ETB', 'KES', 'GHS']),
      }),
      { selector: (p) => p.provider },
    );
    fc.assert(
      fc.property(setup, fc.constantFrom('NGN', 'USD', 'ETB', 'KES', 'GHS'), (enabled, currency) => {
        const able = enabled.filter((p) => p.currencies.includes(currency)).map((p) => p.provider);
        if (able.length === 0) {
          expect(() => routeFor({ currency }, enabled)).toThrow(Unprocessable);
          return;
        }
        const route = routeFor({ currency }, enabled);
        expect([...route].sort()).toEqual([...able].sort());
        const order = preferenceFor(currency);
        expect(route).toEqual([...route].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
      }),
    );
  });

  it('has a preference for every provider there is', () => {
    expect([...preference].sort()).toEqual([...providerNames].sort());
    expect([...preferenceFor('ETB')].sort()).toEqual([...providerNames].sort());
  });

  it('ranks every provider apart, the comparator agreeing with the order', () => {
    for (const currency of ['NGN', 'ETB']) {
      const order = preferenceFor(currency);
      expect(new Set(order).size).toBe(providerNames.length);
      expect([...providerNames].sort(byPreference(currency))).toEqual(order);
    }
    expect(preference).toEqual(['paystack', 'flutterwave', 'stripe', 'chapa']);
    expect(preferenceFor('ETB')).toEqual(['chapa', 'stripe', 'flutterwave', 'paystack']);
  });
});
