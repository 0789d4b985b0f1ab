import { decodeTime } from 'ulid';
import { webhookDeliveries } from '#app/webhooks';
import { queueWorker } from '#edge/queue-worker';
import { logger } from '#runtime/logger';
import { deliveriesMessage } from '#runtime/queues';

/** Milliseconds since an `evt_…` id was minted; undefined for an id that is not ours. */
function sinceCreated(eventId: string): number | undefined {
  try {
    return Math.max(0, Date.now() - decodeTime(eventId.slice(eventId.indexOf('_') + 1)));
  } catch {
    return undefined;
  }
}

/**
 * The deliveries worker: one delivery attempt per message, or one step of a
 * recover. Retries are scheduled by the domain itself (a new, delayed message
 * per attempt), so a thrown error here means our own failure (DynamoDB, SQS):
 * SQS redelivers that record, and the DLQ takes it after 5.
 */
export const handler = queueWorker(deliveriesMessage, async (message) => {
  if ('kind' in message) {
    const step = await webhookDeliveries.recoverStep(message);
    logger.info('recover step', { ...step, endpointId: message.endpointId });
    return;
  }
  const outcome = await webhookDeliveries.deliver(message);
  if (outcome === 'retrying') {
    logger.warn('delivery attempt failed, will retry', {
      outcome,
      eventId: message.eventId,
      endpointId: message.endpointId,
      ...(await webhookDeliveries.lastAttempt(message)),
    });
    return;
  }
  logger.info('delivery', {
    outcome,
    eventId: message.eventId,
    endpointId: message.endpointId,
    // From the event's creation (its id is a ULID) to the merchant's 2xx, retries included: the
    // delivery-latency metric filter (lib/observability.ts) reads it, with no extra read.
    ...(outcome === 'delivered' ? { deliveryLatencyMs: sinceCreated(message.eventId) } : {}),
  });
});
