import { describe, expect, it } from 'vitest';
import { inFieldOrder } from '#core/field-order';
import { paymentFieldOrder, publicPayment, type Payment } from '#core/payments';
import { eventFieldOrder } from '#core/webhooks';
import { event, payment } from '#edge/responses';

const shapeKeys = (schema: unknown) =>
  Object.keys((schema as { def: { shape: Record<string, unknown> } }).def.shape);

describe('answers list their fields in their schema’s order, id first', () => {
  it('the payment order is the payment answer schema’s, field for field', () => {
    expect([...paymentFieldOrder]).toEqual(shapeKeys(payment));
  });

  it('the event order is the event answer schema’s, field for field', () => {
    expect([...eventFieldOrder]).toEqual(shapeKeys(event));
  });

  it('orders a payment read back in any attribute order, keeping unlisted fields after', () => {
    const scrambled = {
      updatedAt: 'u',
      amount: 5,
      merchantId: 'mer_x',
      version: 3,
      id: 'pay_1',
      currency: 'NGN',
      mode: 'test',
      status: 'pending',
      later: true,
    } as unknown as Payment;
    const keys = Object.keys(publicPayment(scrambled));
    expect(keys).toEqual(['id', 'mode', 'status', 'amount', 'currency', 'updatedAt', 'later']);
  });

  it('never drops a field it does not know', () => {
    expect(inFieldOrder({ b: 1, a: 2, id: 'x' }, ['id'])).toEqual({ id: 'x', a: 2, b: 1 });
    expect(Object.keys(inFieldOrder({ b: 1, a: 2, id: 'x' }, ['id']))).toEqual(['id', 'a', 'b']);
  });
});
