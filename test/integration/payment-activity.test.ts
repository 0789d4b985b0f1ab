import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from '#test/http';
import { documentChecker } from '#test/openapi';
import { buildOpenApiDocument } from '#openapi';
import { bearer, createKey, registerMerchant, type TestMerchant } from '#test/merchants';
import { newId } from '#core/ids';
import type { PaymentActivityEntry } from '#core/payment-activity';
import type { Payment } from '#core/payments';
import { paymentActivity } from '#app/payment-activity';
import { paymentsStore } from '#store/payments';
import { activityReadLimit, rejectedPerMinute } from '#store/payment-activity';

/**
 * A payment's activity (provider webhooks received, verify calls): recorded through the
 * wired `paymentActivity`, read through GET /v1/payments/{id}/activity on the real
 * handlers and DynamoDB Local.
 */
const api = useApi();

let merchant: TestMerchant;
let key: string;

async function insertPayment(): Promise<string> {
  const at = new Date().toISOString();
  const payment: Payment = {
    id: newId('pay'),
    merchantId: merchant.merchantId,
    mode: 'test',
    status: 'pending',
    amount: 5000,
    currency: 'NGN',
    provider: 'paystack',
    providerReference: 'ref-activity',
    attemptReference: newId('ref'),
    checkoutUrl: 'https://checkout.example/activity',
    reference: null,
    customer: { email: 'buyer@example.com' },
    description: null,
    redirectUrl: null,
    metadata: {},
    attempts: [],
    failureReason: null,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    acceptOverpayment: false,
    lastCheckedAt: null,
    nextCheckAt: null,
    checkCount: 0,
    settledBy: null,
    lateSettlement: false,
    amountMismatch: null,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await paymentsStore.insertPayment(payment, undefined, {
    actor: { kind: 'anonymous' },
    meta: { ip: '', userAgent: '', requestId: 'fixture' },
  });
  return payment.id;
}

interface ActivityBody {
  data: Record<string, unknown>[];
  hasMore: boolean;
  nextCursor: string | null;
}

async function activityOf(paymentId: string): Promise<ActivityBody> {
  const res = await api.request(`/v1/payments/${paymentId}/activity`, bearer(key));
  expect(res.status).toBe(200);
  return (await res.json()) as ActivityBody;
}

const base = (paymentId: string, at: string) =>
  ({ merchantId: merchant.merchantId, mode: 'test', paymentId, at, provider: 'paystack' }) as const;

beforeAll(async () => {
  merchant = await registerMerchant(api.request, 'Activity Shop');
  key = (await createKey(api.request, merchant, 'test', 'server')).key;
});

describe('payment activity', () => {
  it('answers the payment’s webhooks and verify calls in time order, whatever order they were recorded in', async () => {
    const paymentId = await insertPayment();
    const other = await insertPayment();
    const t0 = Date.parse('2026-12-01T10:00:00.000Z');
    const iso = (s: number) => new Date(t0 + s * 1000).toISOString();
    const entries: PaymentActivityEntry[] = [
      { ...base(paymentId, iso(30)), kind: 'verify', source: 'api', status: 'succeeded' },
      {
        ...base(paymentId, iso(10)),
        kind: 'provider_webhook',
        signature: 'rejected',
        reason: 'signature_mismatch',
        outcome: 'rejected',
      },
      {
        ...base(paymentId, iso(20)),
        kind: 'provider_webhook',
        signature: 'valid',
        outcome: 'applied',
        providerEventId: '4099260516',
      },
      {
        ...base(paymentId, iso(40)),
        kind: 'verify',
        source: 'reconciliation',
        errorCode: 'provider_timeout',
      },
      // Another payment's entry never shows on this one.
      { ...base(other, iso(25)), kind: 'verify', source: 'api', status: 'failed' },
    ];
    for (const entry of entries) await paymentActivity.record(entry);

    const body = await activityOf(paymentId);
    expect(body).toEqual({
      data: [
        {
          kind: 'provider_webhook',
          at: iso(10),
          provider: 'paystack',
          signature: 'rejected',
          outcome: 'rejected',
          reason: 'signature_mismatch',
        },
        {
          kind: 'provider_webhook',
          at: iso(20),
          provider: 'paystack',
          signature: 'valid',
          outcome: 'applied',
          providerEventId: '4099260516',
        },
        { kind: 'verify', at: iso(30), provider: 'paystack', source: 'api', status: 'succeeded' },
        {
          kind: 'verify',
          at: iso(40),
          provider: 'paystack',
          source: 'reconciliation',
          errorCode: 'provider_timeout',
        },
      ],
      hasMore: false,
      nextCursor: null,
    });
    expect((await activityOf(other)).data).toHaveLength(1);
    // …and the answer is what the OpenAPI document (and so the typed client) says.
    const check = documentChecker(await buildOpenApiDocument({ version: 'test' }));
    expect(check.response('GET', '/v1/payments/{id}/activity', 200, body)).toEqual([]);
    expect(
      check.response('GET', '/v1/payments/{id}/activity', 200, {
        ...body,
        data: [{ kind: 'verify', at: iso(1), provider: 'paystack', signature: 'valid' }],
      }),
    ).not.toEqual([]);
  });

  it('answers an empty timeline for a payment with no activity, and 404 for no such payment', async () => {
    const paymentId = await insertPayment();
    expect(await activityOf(paymentId)).toEqual({ data: [], hasMore: false, nextCursor: null });
    const res = await api.request(`/v1/payments/${newId('pay')}/activity`, bearer(key));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('resource_missing');
  });

  it(`answers the newest ${activityReadLimit} entries, oldest first, with hasMore when older ones are left out`, async () => {
    const paymentId = await insertPayment();
    const t0 = Date.parse('2026-12-02T00:00:00.000Z');
    const total = activityReadLimit + 5;
    await Promise.all(
      Array.from({ length: total }, (_, n) =>
        paymentActivity.record({
          ...base(paymentId, new Date(t0 + n * 1000).toISOString()),
          kind: 'verify',
          source: 'reconciliation',
          status: 'pending',
        }),
      ),
    );
    const body = await activityOf(paymentId);
    expect(body.hasMore).toBe(true);
    expect(body.data).toHaveLength(activityReadLimit);
    expect(body.data[0]?.at).toBe(new Date(t0 + 5 * 1000).toISOString());
    expect(body.data.at(-1)?.at).toBe(new Date(t0 + (total - 1) * 1000).toISOString());
  });

  it('keeps at most a bounded number of rejected-signature entries a minute: a forger cannot grow the partition', async () => {
    // Its own merchant: the budget is per merchant and mode, and the other tests spend some.
    merchant = await registerMerchant(api.request, 'Forged Shop');
    key = (await createKey(api.request, merchant, 'test', 'server')).key;
    const paymentId = await insertPayment();
    const sent = 2 * rejectedPerMinute + 5;
    for (let n = 0; n < sent; n++) {
      await paymentActivity.record({
        ...base(paymentId, new Date().toISOString()),
        kind: 'provider_webhook',
        signature: 'rejected',
        reason: 'signature_mismatch',
        outcome: 'rejected',
      });
    }
    const stored = (await activityOf(paymentId)).data.length;
    // One window holds `rejectedPerMinute`; a run across a minute boundary spans two.
    expect(stored).toBeGreaterThanOrEqual(rejectedPerMinute);
    expect(stored).toBeLessThanOrEqual(2 * rejectedPerMinute);
  });

  it('clips long words and never rejects: a write that fails is logged, not thrown at the money path', async () => {
    const paymentId = await insertPayment();
    await paymentActivity.record({
      ...base(paymentId, new Date().toISOString()),
      kind: 'provider_webhook',
      signature: 'valid',
      outcome: 'ignored',
      reason: 'x'.repeat(500),
      providerEventId: 'e'.repeat(500),
    });
    await expect(
      paymentActivity.record({ ...base(paymentId, 'not a date'), kind: 'verify', source: 'api' }),
    ).resolves.toBeUndefined();
    const [entry, ...rest] = (await activityOf(paymentId)).data;
    expect(rest).toEqual([]);
    expect(String(entry?.reason)).toHaveLength(64);
    expect(String(entry?.providerEventId)).toHaveLength(128);
  });
});
