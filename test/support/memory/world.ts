import type { Actor, Mode, RequestMeta } from '#core/actor';
import {
  createPayment,
  type Caller,
  type CreatePaymentInput,
  type Payment,
  settlePayment,
} from '#core/payments';
import type { ProviderName } from '#core/provider-adapter';
import { ManualClock } from './clock.ts';
import { FakeGateway, FakeRefundGateway } from './gateway.ts';
import { MemoryLedger } from './ledger.ts';
import { memoryPaymentDeps, MemoryPayments, type PaymentDepsOptions } from './payments.ts';
import { memoryRefundDeps, MemoryRefunds } from './refunds.ts';

export const meta: RequestMeta = { ip: '203.0.113.7', userAgent: 'unit', requestId: 'req_unit' };

/** A merchant's server calling with an API key of `mode`. */
export function apiCaller(merchantId = 'mer_A', mode: Mode = 'test'): Caller {
  const actor: Actor = { kind: 'apiKey', merchantId, mode, keyId: `key_${merchantId}`, scope: 'server' };
  return { merchantId, mode, actor };
}

/**
 * The payments and refunds domains wired to the in-memory adapters, a scripted
 * gateway and a manual clock: everything a core test needs, built per test.
 */
export function memoryWorld(
  options: {
    providers?: readonly ProviderName[];
    start?: string;
    payments?: Partial<PaymentDepsOptions>;
  } = {},
) {
  const clock = new ManualClock(options.start);
  const ledger = new MemoryLedger();
  const payments = new MemoryPayments(ledger, clock.now);
  const refunds = new MemoryRefunds(payments, ledger, clock.now);
  const gateway = new FakeGateway(options.providers);
  const refundGateway = new FakeRefundGateway();
  const logs: { level: 'info' | 'warn'; message: string; fields: Record<string, unknown> }[] = [];
  const paymentDeps = memoryPaymentDeps(payments, {
    gateway,
    now: clock.now,
    idempotencyWaitMs: 2_000,
    log: (level, message, fields) => logs.push({ level, message, fields }),
    ...options.payments,
  });
  const refundDeps = memoryRefundDeps(payments, refunds, {
    gateway: refundGateway,
    now: clock.now,
    leaseMs: () => 30_000,
    idempotencyWaitMs: 2_000,
  });
  let keys = 0;

  /** Creates a payment through the domain and returns it as stored. */
  async function create(input: Partial<CreatePaymentInput> = {}, caller = apiCaller()): Promise<Payment> {
    const out = await createPayment(
      paymentDeps,
      caller,
      { amount: 500_000, currency: 'NGN', customer: { email: 'a@b.co' }, ...input },
      `order-${++keys}`,
      meta,
    );
    const id = (out.body as { id: string }).id;
    return (await payments.getPayment(caller.merchantId, caller.mode, id)) as Payment;
  }

  /** A payment the provider reports paid (fee `fee`), settled through the one settle path. */
  async function paid(
    input: Partial<CreatePaymentInput> = {},
    fee?: number,
    caller = apiCaller(),
  ): Promise<Payment> {
    const payment = await create(input, caller);
    gateway.pay(payment, fee === undefined ? {} : { fee });
    const settled = await settlePayment(paymentDeps, caller.merchantId, caller.mode, payment.id, {
      via: 'webhook',
    });
    if (settled.outcome !== 'moved')
      throw new Error(`expected the payment to settle, got ${settled.outcome}`);
    return (await payments.getPayment(caller.merchantId, caller.mode, payment.id)) as Payment;
  }

  return {
    clock,
    ledger,
    payments,
    refunds,
    gateway,
    refundGateway,
    paymentDeps,
    refundDeps,
    logs,
    create,
    paid,
  };
}
