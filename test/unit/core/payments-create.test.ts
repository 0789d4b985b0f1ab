import { describe, expect, it } from 'vitest';
import { Conflict, ProviderFailed, Unprocessable, ValidationFailed } from '#core/errors';
import {
  createPayment,
  type CreatePaymentInput,
  type Payment,
  type PaymentGateway,
  requestHash,
} from '#core/payments';
import type { ProviderName } from '#core/provider-adapter';
import { providerDown, providerRefused } from '#test/memory/gateway';
import { apiCaller, memoryWorld, meta } from '#test/memory/world';

const body = (over: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
  amount: 500_000,
  currency: 'NGN',
  customer: { email: 'a@b.co' },
  ...over,
});

const idOf = (out: { body: unknown }) => (out.body as { id: string }).id;

describe('createPayment: idempotency', () => {
  it('answers the same key and body with the first payment, marked replayed, and starts one checkout', async () => {
    const world = memoryWorld();
    const first = await createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    const again = await createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    expect(first.status).toBe(201);
    expect(first.replayed).toBeUndefined();
    expect(again).toEqual({ status: 201, body: first.body, replayed: true });
    expect(world.gateway.callsOf('initialize')).toHaveLength(1);
    expect(await world.payments.list('mer_A', 'test')).toHaveLength(1);
  });

  it('treats a body with its keys in another order as the same request', async () => {
    const world = memoryWorld();
    const first = await createPayment(world.paymentDeps, apiCaller(), body({ reference: 'r-1' }), 'k', meta);
    const reordered = { reference: 'r-1', customer: { email: 'a@b.co' }, currency: 'NGN', amount: 500_000 };
    expect(requestHash(reordered)).toBe(requestHash(body({ reference: 'r-1' })));
    expect(idOf(await createPayment(world.paymentDeps, apiCaller(), reordered, 'k', meta))).toBe(idOf(first));
  });

  it('refuses the same key with another body (409) without asking any provider', async () => {
    const world = memoryWorld();
    await createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    const other = createPayment(world.paymentDeps, apiCaller(), body({ amount: 600_000 }), 'order-1', meta);
    await expect(other).rejects.toBeInstanceOf(Conflict);
    await expect(other).rejects.toMatchObject({
      code: 'idempotency_key_reused',
      status: 409,
      param: 'Idempotency-Key',
    });
    expect(world.gateway.callsOf('initialize')).toHaveLength(1);
  });

  it('gives concurrent duplicates one payment and one checkout: the rest wait and replay it', async () => {
    const world = memoryWorld();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta)),
    );
    expect(new Set(answers.map(idOf)).size).toBe(1);
    expect(answers.filter((a) => a.replayed === undefined)).toHaveLength(1);
    expect(world.gateway.callsOf('initialize')).toHaveLength(1);
    expect(await world.payments.list('mer_A', 'test')).toHaveLength(1);
  });

  it('answers 409 in progress when the first request still holds the key after the wait', async () => {
    const world = memoryWorld({ payments: { idempotencyWaitMs: 120 } });
    const hash = requestHash(body());
    // Another request claimed the key a moment ago and is still talking to the provider.
    expect(
      await world.payments.claimIdempotency('mer_A', 'test', 'order-1', hash, 'pay_FIRST', new Date()),
    ).toEqual({
      kind: 'claimed',
      paymentId: 'pay_FIRST',
    });
    const second = createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    await expect(second).rejects.toMatchObject({ code: 'idempotency_in_progress', status: 409 });
    expect(world.gateway.callsOf('initialize')).toHaveLength(0);
  });

  it('takes over the claim of a holder that crashed, keeping the payment id it had reserved', async () => {
    const world = memoryWorld();
    const hash = requestHash(body());
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await world.payments.claimIdempotency(
      'mer_A',
      'test',
      'order-1',
      hash,
      'pay_01CRASHEDHOLDER00000000000',
      twoMinutesAgo,
    );
    const out = await createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    expect(idOf(out)).toBe('pay_01CRASHEDHOLDER00000000000');
    expect(out.replayed).toBeUndefined();
  });

  it('keeps keys apart per merchant and per mode', async () => {
    const world = memoryWorld();
    const a = await createPayment(world.paymentDeps, apiCaller('mer_A', 'test'), body(), 'order-1', meta);
    const b = await createPayment(world.paymentDeps, apiCaller('mer_B', 'test'), body(), 'order-1', meta);
    const live = await createPayment(world.paymentDeps, apiCaller('mer_A', 'live'), body(), 'order-1', meta);
    expect(new Set([idOf(a), idOf(b), idOf(live)]).size).toBe(3);
    expect([a, b, live].every((x) => x.replayed === undefined)).toBe(true);
    expect(await world.payments.getPayment('mer_B', 'test', idOf(a))).toBeUndefined();
  });

  it('a claim that expired (past its 24 h TTL) no longer counts, even before it is deleted', async () => {
    const world = memoryWorld();
    const dayAgo = new Date(Date.now() - 25 * 3600_000);
    await world.payments.claimIdempotency('mer_A', 'test', 'order-1', 'another-body', 'pay_OLD', dayAgo);
    const out = await createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    expect(out.replayed).toBeUndefined();
    expect(idOf(out)).not.toBe('pay_OLD');
  });
});

describe('createPayment: what is written', () => {
  it('stores a pending payment with its attempt, expiry and the answer the API shows (no internal fields)', async () => {
    const world = memoryWorld();
    const out = await createPayment(
      world.paymentDeps,
      apiCaller(),
      body({ reference: 'order-1042', metadata: { cart: '7' } }),
      'k',
      meta,
    );
    const stored = (await world.payments.getPayment('mer_A', 'test', idOf(out))) as Payment;
    expect(stored).toMatchObject({
      status: 'pending',
      provider: 'paystack',
      amount: 500_000,
      currency: 'NGN',
      reference: 'order-1042',
      metadata: { cart: '7' },
      version: 1,
      expiresAt: new Date(world.clock.now().getTime() + 24 * 3600_000).toISOString(),
    });
    expect(await world.payments.findAttempt('paystack', stored.attemptReference)).toEqual({
      merchantId: 'mer_A',
      mode: 'test',
      paymentId: stored.id,
    });
    const answer = out.body as Record<string, unknown>;
    for (const internal of ['merchantId', 'version', 'attemptReference', 'checkCount'])
      expect(answer).not.toHaveProperty(internal);
    expect(Object.keys(answer)[0]).toBe('id');
    expect(world.payments.audits).toEqual([
      expect.objectContaining({ action: 'payment.created', merchantId: 'mer_A' }),
    ]);
  });

  it('logs one `payment created` line per payment, with its provider and failovers (the metric filters read it)', async () => {
    const world = memoryWorld();
    await world.create();
    expect(world.gateway.callsOf('initialize')).toHaveLength(1);
    expect(world.logs).toContainEqual({
      level: 'info',
      message: 'payment created',
      fields: expect.objectContaining({ provider: 'paystack', failovers: 0 }),
    });
  });
});

describe('createPayment: routing and failover', () => {
  it('falls over to the next provider when the first is down, recording both attempts', async () => {
    const world = memoryWorld();
    world.gateway.failInitialize('paystack', providerDown('paystack'));
    const payment = await world.create();
    expect(payment.provider).toBe('flutterwave');
    expect(payment.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['paystack', 'failed'],
      ['flutterwave', 'initialized'],
    ]);
    expect(payment.attempts[0]?.error?.code).toBe('provider_unavailable');
    expect(world.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'provider failover',
        fields: expect.objectContaining({ provider: 'paystack', to: 'flutterwave' }),
      }),
    );
  });

  it('stops at a provider that refuses the request itself, and frees the key for a retry', async () => {
    const world = memoryWorld();
    world.gateway.failInitialize('paystack', providerRefused('paystack'));
    const refused = createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    await expect(refused).rejects.toBeInstanceOf(ProviderFailed);
    await expect(refused).rejects.toMatchObject({ code: 'provider_error', status: 502 });
    expect(world.gateway.callsOf('initialize').map((c) => c.provider)).toEqual(['paystack']);
    world.gateway.failInitialize('paystack', undefined);
    const retried = await createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    expect(retried.status).toBe(201);
    expect(retried.replayed).toBeUndefined();
  });

  it('says which providers failed when every one able to take the currency is down', async () => {
    const world = memoryWorld({ providers: ['paystack', 'stripe'] });
    world.gateway.failInitialize('paystack', providerDown('paystack'));
    world.gateway.failInitialize('stripe', providerDown('stripe'));
    const failed = createPayment(world.paymentDeps, apiCaller(), body(), 'order-1', meta);
    await expect(failed).rejects.toThrow(/paystack: .*503.*stripe: .*503/);
    expect(await world.payments.list('mer_A', 'test')).toEqual([]);
    expect(await world.payments.readIdempotency('mer_A', 'test', 'order-1')).toBeUndefined();
  });

  it('uses the named provider only, and refuses one that is not enabled (422) before any claim', async () => {
    const world = memoryWorld({ providers: ['paystack', 'stripe'] });
    expect((await world.create({ provider: 'stripe' })).provider).toBe('stripe');
    const missing = createPayment(
      world.paymentDeps,
      apiCaller(),
      body({ provider: 'chapa' }),
      'order-x',
      meta,
    );
    await expect(missing).rejects.toBeInstanceOf(Unprocessable);
    await expect(missing).rejects.toMatchObject({ code: 'provider_not_configured', param: 'provider' });
    expect(await world.payments.readIdempotency('mer_A', 'test', 'order-x')).toBeUndefined();
  });

  it('refuses a currency no enabled provider takes (422) without a provider call', async () => {
    const world = memoryWorld({ providers: ['chapa'] });
    const out = createPayment(world.paymentDeps, apiCaller(), body(), 'k', meta);
    await expect(out).rejects.toMatchObject({ code: 'currency_not_supported', status: 422 });
    expect(world.gateway.callsOf('initialize')).toHaveLength(0);
  });
});

describe('createPayment: amounts and lifetime', () => {
  it('refuses an amount above the merchant’s own limit before any claim or provider call', async () => {
    const world = memoryWorld();
    world.payments.setAmountLimit('mer_A', 'test', 'NGN', 100_000);
    const big = createPayment(world.paymentDeps, apiCaller(), body({ amount: 100_001 }), 'k', meta);
    await expect(big).rejects.toBeInstanceOf(ValidationFailed);
    await expect(big).rejects.toMatchObject({ code: 'amount_too_large', param: 'amount' });
    expect(world.gateway.calls).toEqual([]);
    expect(await world.payments.readIdempotency('mer_A', 'test', 'k')).toBeUndefined();
    // The limit is the merchant's, in that mode only.
    expect((await world.create({ amount: 100_001 }, apiCaller('mer_A', 'live'))).amount).toBe(100_001);
    expect((await world.create({ amount: 100_000 })).amount).toBe(100_000);
  });

  it('refuses a fractional, zero or negative amount and an unknown currency (400)', async () => {
    const world = memoryWorld();
    for (const bad of [
      body({ amount: 10.5 }),
      body({ amount: 0 }),
      body({ amount: -1 }),
      body({ currency: 'XYZ' }),
    ]) {
      await expect(createPayment(world.paymentDeps, apiCaller(), bad, 'k', meta)).rejects.toMatchObject({
        status: 400,
      });
    }
    expect(world.gateway.calls).toEqual([]);
  });

  it('keeps the lifetime within the configured bounds', async () => {
    const world = memoryWorld({ payments: { expiryBounds: () => ({ min: 1800, max: 86_400 }) } });
    for (const expiresInSeconds of [1799, 86_401, 3600.5]) {
      await expect(
        createPayment(world.paymentDeps, apiCaller(), body({ expiresInSeconds }), 'k', meta),
      ).rejects.toMatchObject({ code: 'invalid_field', param: 'expiresInSeconds' });
    }
    const payment = await world.create({ expiresInSeconds: 1800 });
    expect(Date.parse(payment.expiresAt) - world.clock.now().getTime()).toBe(1_800_000);
  });
});

describe('createPayment: routing behind a cached view of the providers', () => {
  /** The gateway as app/payments.ts wires it: a cached view until asked for a fresh one. */
  function cachedView(world: ReturnType<typeof memoryWorld>, cached: readonly ProviderName[]) {
    const asked: boolean[] = [];
    const gateway: PaymentGateway = {
      ...world.gateway,
      initialize: world.gateway.initialize.bind(world.gateway),
      verify: world.gateway.verify.bind(world.gateway),
      expire: world.gateway.expire.bind(world.gateway),
      async enabledProviders(merchantId, mode, options) {
        asked.push(options?.fresh === true);
        const all = await world.gateway.enabledProviders(merchantId, mode);
        return options?.fresh ? all : all.filter((p) => cached.includes(p.provider));
      },
    };
    return { deps: { ...world.paymentDeps, gateway }, asked };
  }

  it('routes a payment to a provider configured after the cache was filled, on a fresh read', async () => {
    const world = memoryWorld();
    const { deps, asked } = cachedView(world, ['paystack']);
    const out = await createPayment(
      deps,
      apiCaller(),
      body({ provider: 'stripe', currency: 'USD' }),
      'k',
      meta,
    );
    expect(out.status).toBe(201);
    expect((out.body as { provider: string }).provider).toBe('stripe');
    expect(asked).toEqual([false, true]);
  });

  it('refuses on the fresh read too when the provider really is not configured, and reads once when routing works', async () => {
    const world = memoryWorld({ providers: ['paystack'] });
    const { deps, asked } = cachedView(world, ['paystack']);
    const refused = createPayment(
      deps,
      apiCaller(),
      body({ provider: 'stripe', currency: 'USD' }),
      'k1',
      meta,
    );
    await expect(refused).rejects.toMatchObject({ code: 'provider_not_configured', status: 422 });
    expect(asked).toEqual([false, true]);
    asked.length = 0;
    await createPayment(deps, apiCaller(), body(), 'k2', meta);
    expect(asked).toEqual([false]);
  });
});
