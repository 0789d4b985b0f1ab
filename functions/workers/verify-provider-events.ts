import { processProviderEvent } from '#app/inbound';
import { queueWorker, RetryLater } from '#edge/queue-worker';
import { logger } from '#runtime/logger';
import { providerEventMessage } from '#runtime/queues';

/**
 * The provider-events worker: verifies, de-duplicates, reconciles and records
 * each webhook; a webhook that cannot be decided yet fails only its own record,
 * so SQS retries just that one (and moves it to the DLQ after maxReceiveCount).
 */
export const handler = queueWorker(providerEventMessage, async (message, { messageId }) => {
  const outcome = await processProviderEvent(message, messageId);
  logger.info('provider event', { outcome, provider: message.provider, messageId });
  if (outcome === 'retry') throw new RetryLater(`provider event ${messageId} not decidable yet`);
});
