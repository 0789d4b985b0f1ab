import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Payment } from '#core/payments';
import { dynamoClient } from '#runtime/clients';
import { paymentsStore, readPayment } from '#store/payments';

/** A fresh payment as create payment makes it (nothing optional given). */
const payment: Payment = {
  id: 'pay_01J9Z3K6V8Q2M4N7P5R1T0W3XY',
  merchantId: 'mer_01J9Z3K6V8Q2M4N7P5R1T0W3XZ',
  mode: 'test',
  status: 'pending',
  amount: 500000,
  currency: 'NGN',
  provider: 'paystack',
  providerReference: 'ref-01J9Z3K6V8Q2M4N7P5R1T0W3XA',
  attemptReference: 'ref_01J9Z3K6V8Q2M4N7P5R1T0W3XA',
  checkoutUrl: 'https://checkout.paystack.com/abcdefghijklmno',
  reference: null,
  customer: { email: 'buyer@example.com' },
  description: null,
  redirectUrl: null,
  metadata: {},
  paymentLinkId: null,
  attempts: [
    {
      provider: 'paystack',
      reference: 'ref_01J9Z3K6V8Q2M4N7P5R1T0W3XA',
      outcome: 'initialized',
      at: '2026-12-07T23:00:00.000Z',
    },
  ],
  failureReason: null,
  expiresAt: '2026-12-08T23:00:00.000Z',
  acceptOverpayment: false,
  lastCheckedAt: null,
  nextCheckAt: '2026-12-07T23:05:00.000Z',
  checkCount: 0,
  settledBy: null,
  lateSettlement: false,
  amountMismatch: null,
  createdAt: '2026-12-07T23:00:00.000Z',
  updatedAt: '2026-12-07T23:00:00.000Z',
  version: 1,
};

/** The payment item insertPayment puts in its transaction. */
async function storedItem(p: Payment): Promise<Record<string, unknown>> {
  let item: Record<string, unknown> | undefined;
  vi.spyOn(dynamoClient(), 'send').mockImplementation((async (command: {
    input: { TransactItems: { Put?: { Item: Record<string, unknown> } }[] };
  }) => {
    item = command.input.TransactItems[0]?.Put?.Item;
    return {};
  }) as never);
  vi.stubEnv('TABLE_NAME', 'unit');
  await paymentsStore.insertPayment(p, undefined, {
    actor: { type: 'api_key', merchantId: p.merchantId, mode: 'test', keyId: 'key_1', scopes: [] } as never,
    meta: { ip: '203.0.113.1', userAgent: 'unit', requestId: 'req-1' },
  });
  if (!item) throw new Error('no payment item written');
  return item;
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('payment item', () => {
  it('leaves out fields at their empty value and reads back the same payment', async () => {
    const item = await storedItem(payment);
    for (const field of [
      'reference',
      'description',
      'redirectUrl',
      'failureReason',
      'lastCheckedAt',
      'settledBy',
      'amountMismatch',
      'metadata',
      'acceptOverpayment',
      'lateSettlement',
      'emailKey',
    ]) {
      expect(item).not.toHaveProperty(field);
    }
    expect(readPayment(item)).toEqual(payment);
  });

  it('keeps fields that hold something, and the lower-cased email when it differs', async () => {
    const full: Payment = {
      ...payment,
      reference: 'order-1',
      description: 'Two mugs',
      metadata: { cart: '42' },
      acceptOverpayment: true,
      customer: { email: 'Buyer@Example.com' },
    };
    const item = await storedItem(full);
    expect(item).toMatchObject({
      reference: 'order-1',
      description: 'Two mugs',
      metadata: { cart: '42' },
      acceptOverpayment: true,
      emailKey: 'buyer@example.com',
    });
    expect(readPayment(item)).toEqual(full);
  });

  it('reads an item written with every empty field stored, as before', async () => {
    const item = await storedItem(payment);
    const before = { ...item, ...payment, emailKey: payment.customer.email };
    expect(readPayment(before)).toEqual(payment);
  });
});
