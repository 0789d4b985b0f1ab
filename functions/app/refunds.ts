import { Unprocessable } from '#core/errors';
import { newId } from '#core/ids';
import { posting, type Posting, type PostingSource } from '#core/ledger';
import type { Payment } from '#core/payments';
import { publicRefund, type Refund, type RefundDeps, refundedStatus } from '#core/refunds';
import {
  type Delivery,
  type EventType,
  newDelivery,
  type OutboundEvent,
  refundEventTypeFor,
  subscribes,
} from '#core/webhooks';
import type { RefundTarget } from '#core/provider-adapter';
import { paymentsStore } from '#store/payments';
import { refundsStore } from '#store/refunds';
import { listEndpoints } from '#store/webhooks';
import { config, reconcileSettings } from '#runtime/config';
import { payments, providerConfig } from '#app/payments';
import { adapterFor, providerContext } from '#app/providers';
import { logger } from '#runtime/logger';
import { webhookDeps } from '#app/webhooks';
import { refundReads } from '#app/refund-reads';

async function context(payment: Payment) {
  const config = await providerConfig(payment.merchantId, payment.mode, payment.provider);
  if (!config) {
    throw new Unprocessable(
      'provider_not_configured',
      `${payment.provider} is no longer configured in this mode: refunds go through the provider that took the payment.`,
      'provider',
    );
  }
  return providerContext(payment.provider, await config.credentials());
}

/**
 * The provider's id for the charge: stored at settlement; for a payment settled
 * before refunds existed, asked of the provider's verify API once.
 */
async function target(payment: Payment): Promise<RefundTarget> {
  let chargeId = payment.chargeId ?? undefined;
  if (chargeId === undefined) {
    chargeId = (await payments.gateway.verify(payment.merchantId, payment.mode, payment)).chargeId;
  }
  return { reference: payment.attemptReference, providerReference: payment.providerReference, chargeId };
}

const refundGateway: RefundDeps['gateway'] = {
  async refund(payment, refund) {
    return adapterFor(payment.provider).refund(await context(payment), {
      refundId: refund.id,
      payment: await target(payment),
      amount: refund.amount,
      currency: refund.currency,
      ...(refund.reason ? { reason: refund.reason } : {}),
    });
  },
  async lookup(payment, refund) {
    return adapterFor(payment.provider).lookupRefund(await context(payment), {
      refundId: refund.id,
      providerRefundId: refund.providerRefundId ?? undefined,
      payment: await target(payment),
      amount: refund.amount,
      currency: refund.currency,
    });
  },
};

const sourceOf = (refund: Refund): PostingSource => ({
  merchantId: refund.merchantId,
  mode: refund.mode,
  provider: refund.provider,
  currency: refund.currency,
  paymentId: refund.paymentId,
  source: { type: 'refund', id: refund.id },
});

/** The merchant event for a refund and one delivery per subscribed endpoint. */
async function eventFor(
  refund: Refund,
  type: EventType,
  now: string,
): Promise<{ event: OutboundEvent; deliveries: Delivery[] }> {
  const event: OutboundEvent = {
    id: newId('evt'),
    type,
    createdAt: now,
    mode: refund.mode,
    paymentId: refund.paymentId,
    data: { object: publicRefund(refund) },
  };
  const endpoints = (await listEndpoints(refund.merchantId, refund.mode)).filter((e) => subscribes(e, type));
  return { event, deliveries: endpoints.map((e) => newDelivery(event, refund.merchantId, e.id, now)) };
}

const enqueue = (deliveries: Delivery[]) =>
  deliveries.length > 0 ? webhookDeps.queue.enqueue(deliveries, Date.now()) : Promise.resolve();

const domain: RefundDeps = {
  payments: paymentsStore,
  store: refundsStore,
  gateway: refundGateway,
  schedule: () => reconcileSettings().schedule,
  // The create may spend up to three provider timeouts (the adapter's own tries): a sync waits that long
  // before it concludes the create died, and at least the 29 s the create route can run in the cloud.
  leaseMs: () =>
    Math.max(3 * config().PROVIDER_TIMEOUT_MS, config().PAYBRIDGE_STAGE === 'local' ? 1_000 : 30_000),
  async reserve(payment, refund, policy, idempotency, audit) {
    const { event, deliveries } = await eventFor(refund, 'refund.created', refund.createdAt);
    const hold = posting(sourceOf(refund), 'refund_hold', refund.amount, refund.createdAt);
    const outcome = await refundsStore.reserve({
      payment,
      refund,
      policy,
      hold,
      event,
      deliveries,
      idempotency,
      audit,
    });
    if (outcome === 'reserved') {
      // Counted by a metric filter (lib/observability.ts): refunds created per provider and mode.
      logger.info('refund created', refundFields(refund));
      await enqueue(deliveries);
    }
    return outcome;
  },
  async transition(refund, change) {
    const moved: Refund = { ...refund, ...change, updatedAt: change.checkedAt };
    const type = refundEventTypeFor(change.status);
    const { event, deliveries } = type
      ? await eventFor(moved, type, change.checkedAt)
      : { event: undefined, deliveries: [] };
    let payment: Payment | undefined;
    let paymentStatus: Payment['status'] | undefined;
    const postings: Posting[] = [];
    if (change.status === 'succeeded' || change.status === 'failed') {
      payment = await paymentsStore.getPayment(refund.merchantId, refund.mode, refund.paymentId);
      if (!payment) return 'stale';
      if (change.status === 'succeeded') {
        const captured = payment.capturedAmount ?? payment.amount;
        paymentStatus = refundedStatus(captured, (payment.amountRefunded ?? 0) + refund.amount);
        postings.push(posting(sourceOf(refund), 'refund', refund.amount, change.checkedAt));
      } else {
        postings.push(posting(sourceOf(refund), 'refund_void', refund.amount, change.checkedAt));
      }
    }
    const outcome = await refundsStore.transition({
      refund,
      change,
      payment,
      paymentStatus,
      postings,
      event,
      deliveries,
    });
    if (outcome === 'recorded') {
      // Counted by a metric filter (lib/observability.ts): refunds by new status, provider and mode.
      logger.info('refund transition', {
        ...refundFields(refund),
        from: refund.status,
        status: change.status,
      });
      await enqueue(deliveries);
    }
    return outcome;
  },
};

/**
 * The refunds area, wired to DynamoDB, the adapters and the delivery queue once
 * per cold start: the ports the domain's functions take (`createRefund(refunds, …)`)
 * and the reads the handlers make (app/refund-reads.ts: a handler that only reads
 * imports that module instead, and bundles none of this wiring).
 */
export const refunds = {
  ...domain,
  ...refundReads,
};

/** What a refund's log lines say about it: ids and routing facts only. */
const refundFields = (refund: Refund) => ({
  refundId: refund.id,
  paymentId: refund.paymentId,
  provider: refund.provider,
  mode: refund.mode,
});
