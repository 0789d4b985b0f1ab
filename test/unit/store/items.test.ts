import { describe, expect, it } from 'vitest';
import { MalformedItem, reader, stripKeys, check } from '#store/items';
import { readPayment } from '#store/payments';
import { readRefund } from '#store/refunds';

const paymentItem = {
  pk: 'MER#mer_1#test',
  sk: 'PAY#pay_01J9Z3K6V8Q2M4N7P5R1T0W3XY',
  gsi2pk: 'RECON#0',
  gsi2sk: '2026-01-01T00:00:00.000Z#pay_01J9Z3K6V8Q2M4N7P5R1T0W3XY',
  type: 'payment',
  emailKey: 'a@b.co',
  id: 'pay_01J9Z3K6V8Q2M4N7P5R1T0W3XY',
  merchantId: 'mer_1',
  mode: 'test',
  status: 'pending',
  amount: 500000,
  currency: 'NGN',
  provider: 'paystack',
  version: 1,
  customer: { email: 'A@b.co' },
};

describe('item readers', () => {
  it('returns the domain object without the key attributes or the store’s own fields', () => {
    const payment = readPayment(paymentItem);
    expect(payment).toMatchObject({ id: paymentItem.id, amount: 500000, customer: { email: 'A@b.co' } });
    for (const name of ['pk', 'sk', 'gsi2pk', 'gsi2sk', 'type', 'emailKey']) {
      expect(payment).not.toHaveProperty(name);
    }
  });

  it('refuses an item of another type read under a payment’s key', () => {
    expect(() => readPayment({ ...paymentItem, type: 'refund' })).toThrow(MalformedItem);
    expect(() => readRefund(paymentItem)).toThrow(/Malformed refund item: .*type/);
  });

  it('names the missing or mistyped fields, never their values', () => {
    const { amount: _a, ...noAmount } = paymentItem;
    let error: unknown;
    try {
      readPayment({ ...noAmount, status: 'teleported', currency: 'NGN' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MalformedItem);
    expect((error as MalformedItem).fields).toEqual(expect.arrayContaining(['amount', 'status']));
    expect((error as MalformedItem).message).not.toContain('teleported');
    expect(() => readPayment({ ...paymentItem, amount: '500000' })).toThrow(/amount/);
    expect(() => readPayment({ ...paymentItem, id: 're_01J9Z3K6V8Q2M4N7P5R1T0W3XY' })).toThrow(/id/);
    expect(() => readPayment({ ...paymentItem, mode: 'prod' })).toThrow(/mode/);
  });

  it('reads an index projection that carries no type when asked to', () => {
    const read = reader<{ id: string }>('projection', { id: check.text }, { type: null });
    expect(read({ id: 'pay_1', gsi2pk: 'RECON#1' })).toEqual({ id: 'pay_1' });
    expect(() => read({ gsi2pk: 'RECON#1' })).toThrow(MalformedItem);
  });

  it('strips every key attribute and nothing else', () => {
    expect(
      stripKeys({
        pk: 1,
        sk: 2,
        gsi1pk: 3,
        gsi1sk: 4,
        gsi2pk: 5,
        gsi2sk: 6,
        type: 7,
        ttl: 8,
        id: 'x',
        kept: 0,
      }),
    ).toEqual({ id: 'x', kept: 0 });
  });
});
