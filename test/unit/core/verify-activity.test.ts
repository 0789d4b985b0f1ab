import { describe, expect, it } from 'vitest';
import type { RequestMeta } from '#core/actor';
import { createPayment, type Payment, type PaymentDeps, settlePayment } from '#core/payments';
import { recordVerifyCalls } from '#core/verify-activity';
import { ManualClock } from '../../support/memory/clock.ts';
import { FakeGateway, providerDown } from '../../support/memory/gateway.ts';
import { MemoryLedger } from '../../support/memory/ledger.ts';
import { MemoryPayments } from '../../support/memory/payments.ts';
import { MemoryActivity } from '../../support/memory/webhooks.ts';

const actor = { kind: 'api_key', merchantId: 'mer_A', mode: 'test', keyId: 'key_1', scopes: [] } as never;
const meta: RequestMeta = { ip: '203.0.113.9', userAgent: 'test', requestId: 'req_1' };

async function world() {
  const clock = new ManualClock();
  const store = new MemoryPayments(new MemoryLedger(), clock.now);
  const gateway = new FakeGateway();
  const activity = new MemoryActivity();
  const logged: string[] = [];
  const deps: PaymentDeps = {
    store,
    gateway,
    transition: store.transition,
    now: clock.now,
    verified: recordVerifyCalls(activity, clock.now),
    log: (_level, message) => void logged.push(message),
  };
  const out = await createPayment(
    deps,
    { merchantId: 'mer_A', mode: 'test', actor },
    { amount: 500000, currency: 'NGN', provider: 'paystack', customer: { email: 'a@b.co' } },
    'order-1',
    meta,
  );
  const id = (out.body as { id: string }).id;
  const payment = (await store.getPayment('mer_A', 'test', id)) as Payment;
  const settle = (via: 'verify' | 'reconciliation' | 'webhook') =>
    settlePayment(deps, 'mer_A', 'test', id, { via });
  return { clock, gateway, activity, logged, payment, settle };
}

describe('verify calls on the payment’s timeline', () => {
  it('records POST /verify as api and the sweeper as reconciliation, with the status each left', async () => {
    const w = await world();
    await w.settle('verify'); // still pending: a verify call all the same
    w.gateway.pay(w.payment);
    await w.settle('reconciliation');
    expect(w.activity.entries).toEqual([
      {
        kind: 'verify',
        merchantId: 'mer_A',
        mode: 'test',
        paymentId: w.payment.id,
        provider: 'paystack',
        at: w.clock.iso(),
        source: 'api',
        status: 'pending',
      },
      expect.objectContaining({ source: 'reconciliation', status: 'succeeded' }),
    ]);
  });

  it('leaves out a sweeper check that finds the payment still open, but not one the provider failed', async () => {
    const w = await world();
    await w.settle('reconciliation');
    await w.settle('reconciliation');
    expect(w.activity.entries).toEqual([]);
    w.gateway.setVerdict(w.payment, providerDown('paystack'));
    await expect(w.settle('reconciliation')).rejects.toThrow();
    expect(w.activity.entries).toMatchObject([
      { source: 'reconciliation', errorCode: 'provider_unavailable' },
    ]);
  });

  it('records the error code when the provider fails, and still throws', async () => {
    const w = await world();
    w.gateway.setVerdict(w.payment, providerDown('paystack'));
    await expect(w.settle('verify')).rejects.toThrow();
    expect(w.activity.entries).toMatchObject([{ source: 'api', errorCode: 'provider_unavailable' }]);
  });

  it('leaves a webhook’s own check to the webhook’s entry, and records no call that was not made', async () => {
    const w = await world();
    w.gateway.pay(w.payment);
    await w.settle('webhook');
    await w.settle('verify'); // already succeeded: no provider call
    expect(w.activity.entries).toEqual([]);
  });

  it('never fails the settle path when the timeline cannot be written', async () => {
    const w = await world();
    w.activity.failing = true;
    w.gateway.pay(w.payment);
    await expect(w.settle('verify')).resolves.toMatchObject({ outcome: 'moved' });
    expect(w.logged).toContain('payment activity not recorded');
  });
});
