import { newId } from './ids.ts';
import {
  type Payment,
  type PaymentChange,
  type ProviderEventRef,
  publicPayment,
  type TransitionOutcome,
} from './payments.ts';
import {
  clockOf,
  type Delivery,
  eventBody,
  eventTypeFor,
  newDelivery,
  type OutboundEvent,
  subscribes,
  type WebhookDeps,
} from './webhooks.ts';

/**
 * The one way a payment's status moves: the new status, the merchant event it
 * produces and one delivery per subscribed endpoint — and, when a provider
 * webhook caused it, that event marked processed — in one write; then the
 * deliveries are queued. It is `PaymentDeps.transition`, so only the one settle
 * path (`settlePayment` in core/payments.ts) that the verify worker, POST /verify
 * and the reconciliation sweeper share calls it: whichever learns first of a
 * settlement tells the merchant, once.
 */
export async function transitionPayment(
  deps: WebhookDeps,
  payment: Payment,
  change: PaymentChange,
  providerEvent?: ProviderEventRef,
): Promise<TransitionOutcome> {
  const now = new Date(clockOf(deps)).toISOString();
  const type = eventTypeFor(change.status);
  const moved: Payment = {
    ...payment,
    status: change.status,
    failureReason: change.failureReason,
    settledBy: change.settledBy,
    lateSettlement: change.lateSettlement,
    amountMismatch: change.amountMismatch,
    lastCheckedAt: change.checkedAt,
    nextCheckAt: change.nextCheckAt,
    updatedAt: now,
  };
  const event: OutboundEvent | undefined = type
    ? {
        id: newId('evt'),
        type,
        createdAt: now,
        mode: payment.mode,
        paymentId: payment.id,
        data: { object: publicPayment(moved) },
      }
    : undefined;
  const endpoints = event
    ? (await deps.store.listEndpoints(payment.merchantId, payment.mode)).filter((e) =>
        subscribes(e, event.type),
      )
    : [];
  const deliveries: Delivery[] = event
    ? endpoints.map((e) => newDelivery(event, payment.merchantId, e.id, now))
    : [];
  const outcome = await deps.store.recordPaymentTransition({
    payment,
    change,
    providerEvent,
    event,
    deliveries,
    now,
  });
  if (outcome === 'recorded') {
    // The one line per recorded move: CloudWatch metric filters (lib/observability.ts) count payments
    // by status, provider and mode, and settlements by source (webhook, verify, reconciliation).
    deps.telemetry.log('info', 'payment transition', {
      paymentId: payment.id,
      provider: payment.provider,
      mode: payment.mode,
      from: payment.status,
      status: change.status,
      settledBy: change.settledBy,
      lateSettlement: change.lateSettlement,
    });
    if (event && deliveries.length > 0) await deps.queue.enqueue(deliveries, clockOf(deps), eventBody(event));
  }
  return outcome;
}
