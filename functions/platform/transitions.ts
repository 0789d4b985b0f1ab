import { newId } from '#core/ids';
import { type Payment, type PaymentStatus, publicPayment } from '#core/payments';
import {
  type Delivery,
  deliveryMessage,
  eventTypeFor,
  newDelivery,
  type OutboundEvent,
  subscribes,
} from '#core/webhooks';
import { listEndpoints, recordPaymentTransition, type TransitionOutcome } from '#store/webhooks';
import { enqueueDeliveries } from './queues.ts';

/**
 * The one way a payment's status moves: the new status, the merchant event it
 * produces and one delivery per subscribed endpoint — and, when a provider
 * webhook caused it, that event marked processed — in one transaction; then the
 * deliveries are queued. Used by the verify worker and by POST /verify alike, so
 * whichever learns first of a settlement tells the merchant.
 */
export async function transitionPayment(
  payment: Payment,
  status: PaymentStatus,
  failureReason: string | null,
  providerEvent?: { provider: string; eventId: string; type: string },
): Promise<TransitionOutcome> {
  const now = new Date().toISOString();
  const type = eventTypeFor(status);
  const event: OutboundEvent | undefined = type
    ? {
        id: newId('evt'),
        type,
        createdAt: now,
        mode: payment.mode,
        paymentId: payment.id,
        data: { object: publicPayment({ ...payment, status, failureReason, updatedAt: now }) },
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
    status,
    failureReason,
    providerEvent,
    event,
    deliveries,
    now,
  });
  if (outcome === 'recorded') await enqueueDeliveries(deliveries.map((d) => deliveryMessage(d, Date.now())));
  return outcome;
}
