import { newId } from '#core/ids';
import { type Payment, type PaymentChange, type ProviderEventRef, publicPayment } from '#core/payments';
import {
  type Delivery,
  deliveryMessage,
  eventTypeFor,
  newDelivery,
  type OutboundEvent,
  subscribes,
} from '#core/webhooks';
import { listEndpoints, recordPaymentTransition, type TransitionOutcome } from '#store/webhooks';
import { logger } from '#runtime/logger';
import { enqueueDeliveries } from '#runtime/queues';

/**
 * The one way a payment's status moves: the new status, the merchant event it
 * produces and one delivery per subscribed endpoint — and, when a provider
 * webhook caused it, that event marked processed — in one transaction; then the
 * deliveries are queued. Called only by the one settle path
 * (`settlePayment` in core/payments.ts) that the verify worker, POST /verify and
 * the reconciliation sweeper share, so whichever learns first of a settlement
 * tells the merchant, once.
 */
export async function transitionPayment(
  payment: Payment,
  change: PaymentChange,
  providerEvent?: ProviderEventRef,
): Promise<TransitionOutcome> {
  const now = new Date().toISOString();
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
    ? (await listEndpoints(payment.merchantId, payment.mode)).filter((e) => subscribes(e, event.type))
    : [];
  const deliveries: Delivery[] = event
    ? endpoints.map((e) => newDelivery(event, payment.merchantId, e.id, now))
    : [];
  const outcome = await recordPaymentTransition({
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
    logger.info('payment transition', {
      paymentId: payment.id,
      provider: payment.provider,
      mode: payment.mode,
      from: payment.status,
      status: change.status,
      settledBy: change.settledBy,
      lateSettlement: change.lateSettlement,
    });
    await enqueueDeliveries(deliveries.map((d) => deliveryMessage(d, Date.now())));
  }
  return outcome;
}
